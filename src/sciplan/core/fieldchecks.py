"""Django's field checks in SciPlan's own words.

A model field's ``clean()`` answers in Django's default wording ("确认小数不超过 2 位.", "输入一个有效的
Email 地址。"), which names neither the field nor what to do. :func:`clean_field` runs the same checks
and replaces each message, by its error code, with a sentence that names the field; services use it
for every value they clean with a model field, so the pages and the API show the same text.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


def _label(field: models.Field) -> str:
    return str(getattr(field, "verbose_name", "") or field.name)


def _invalid(field: models.Field, label: str) -> str:
    if isinstance(field, models.EmailField):
        return f"{label}格式不正确，请填写有效的电子邮箱地址，如 name@example.cn。"
    if isinstance(field, models.DecimalField):
        return f"{label}应为数字，最多{field.decimal_places}位小数。"
    if isinstance(field, models.DateTimeField):
        return f"{label}应为日期和时间，如 2024-08-04 18:00。"
    if isinstance(field, models.DateField):
        return f"{label}应为有效的日期，格式为“年-月-日”，如 2024-06-01。"
    if isinstance(field, models.IntegerField):
        return f"{label}应为整数。"
    if isinstance(field, models.BooleanField):
        return f"{label}应为“是”或“否”。"
    if isinstance(field, models.URLField):
        return f"{label}应为有效的网址。"
    return f"{label}格式不正确。"


def message(field: models.Field, error: ValidationError, *, label: str | None = None) -> str:
    """SciPlan's sentence for one of Django's errors on ``field`` (``error`` carries a code), naming
    the field by ``label`` or its verbose name."""
    label = label or _label(field)
    params = error.params or {}
    code = error.code or ""
    if code in ("required", "null", "blank"):
        return f"请填写{label}。"
    if code in ("invalid", "invalid_date", "invalid_datetime", "invalid_time"):
        return _invalid(field, label)
    if code == "invalid_choice":
        return f"请从列表中选择{label}。"
    if code == "max_decimal_places":
        return f"{label}最多保留{params.get('max')}位小数。"
    if code == "max_whole_digits":
        return f"{label}的整数部分最多{params.get('max')}位。"
    if code == "max_digits":
        places = getattr(field, "decimal_places", 0) or 0
        whole = int(params.get("max") or 0) - places
        return f"{label}数值过大：整数部分最多{whole}位。" if places else f"{label}最多{whole}位数字。"
    if code == "max_length":
        return f"{label}不能超过{params.get('limit_value')}字，当前{params.get('show_value')}字。"
    if code == "min_length":
        return f"{label}至少{params.get('limit_value')}字。"
    if code == "max_value":
        return f"{label}不能大于{params.get('limit_value')}。"
    if code == "min_value":
        return f"{label}不能小于{params.get('limit_value')}。"
    if code == "unique":
        return f"该{label}已被使用。"
    return f"{label}填写有误，请检查。"


def clean_field(field: Any, raw: Any, instance: models.Model | None, *, label: str | None = None) -> Any:
    """``field.clean(raw, instance)`` for a model field (``_meta.get_field``); each of Django's refusals (a code of :data:`DJANGO_CODES`) is
    re-raised with :func:`message`, keeping its code. Other errors keep their text."""
    try:
        return field.clean(raw, instance)
    except ValidationError as exc:
        raise ValidationError(
            [
                ValidationError(message(field, e, label=label), code=e.code) if e.code in DJANGO_CODES else e
                for e in exc.error_list
            ]
        ) from None


# The codes of Django's own field and validator errors that :func:`message` words.
DJANGO_CODES = frozenset(
    {
        "required",
        "null",
        "blank",
        "invalid",
        "invalid_date",
        "invalid_datetime",
        "invalid_time",
        "invalid_choice",
        "max_decimal_places",
        "max_whole_digits",
        "max_digits",
        "max_length",
        "min_length",
        "max_value",
        "min_value",
        "unique",
    }
)
