"""Phone and ID-number validation with Chinese messages (SPEC §9). USCC is in ``uscc``."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError

from sciplan.accounts import uscc

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def _half(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split())


def validate_username(value: str) -> str:
    """A sign-in name: four or more ASCII letters, digits, underscores or dots."""
    if len(value) < 4 or not value.isascii() or not value.replace("_", "").replace(".", "").isalnum():
        raise ValidationError("登录名为4位以上的字母、数字、下划线或点。")
    return value


def normalize_mobile(raw: str) -> str:
    value = _half(raw).replace("-", "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def validate_mobile(raw: str) -> str:
    value = normalize_mobile(raw)
    if not MOBILE.match(value):
        raise ValidationError("请填写11位手机号码（以1开头，第二位为3–9），可带+86。", code="mobile")
    return value


def validate_phone(raw: str) -> str:
    """A mobile or a landline such as 0730-8186096."""
    value = _half(raw)
    if LANDLINE.match(value):
        return value
    try:
        return validate_mobile(value)
    except ValidationError:
        raise ValidationError("请填写手机号码或带区号的固定电话（如0730-8186096）。", code="phone") from None


def validate_id_number(raw: str) -> str:
    """GB 11643 citizen ID: 18 characters, a valid birth date and the mod-11 check character."""
    value = _half(raw).upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError("身份证号码应为18位，前17位为数字，末位为数字或X。", code="id_number")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError("身份证号码中的出生日期无效。", code="id_number") from None
    if born > date.today() or born.year < 1900:
        raise ValidationError("身份证号码中的出生日期无效。", code="id_number")
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != value[17]:
        raise ValidationError("身份证号码校验位不符，请核对。", code="id_number")
    return value


def validate_uscc(raw: str) -> str:
    try:
        return uscc.validate(raw)
    except uscc.UsccError as exc:
        raise ValidationError(exc.message, code="uscc") from None
