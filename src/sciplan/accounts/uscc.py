"""Unified social credit code (统一社会信用代码), GB 32100-2015, with the embedded GB 11714 check.

Layout: 1 registration authority, 2 organisation type, 3–8 region code (GB/T 2260), 9–17 organisation
code (8 body characters + its own mod-11 check), 18 the check character over the first 17.
"""

from __future__ import annotations

import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


class UsccError(ValueError):
    """An invalid code. ``message`` is the Chinese sentence shown beside the field."""

    def __init__(self, message: str, *, checksum_only: bool = False):
        super().__init__(message)
        self.message = message
        # True when only a check character is wrong: a bureau admin may override this for one unit.
        self.checksum_only = checksum_only


def normalize(raw: str) -> str:
    """Trim, full-width → half-width, drop inner spaces, upper case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - 55


def org_check_character(body8: str) -> str:
    remainder = 11 - sum(_org_value(ch) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def validate(raw: str) -> str:
    """Return the normalised code or raise :class:`UsccError` saying exactly what is wrong."""
    code = normalize(raw)
    if not code:
        raise UsccError("请填写统一社会信用代码。")
    if len(code) != 18:
        raise UsccError(f"统一社会信用代码应为18位，您输入了{len(code)}位。")
    for position, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise UsccError(
                f"第{position}位“{ch}”不是统一社会信用代码允许的字符（数字及除I、O、S、V、Z外的大写字母）。"
            )
    if org_check_character(code[8:16]) != code[16]:
        raise UsccError("第9至17位（组织机构代码）的校验位不符，请核对。", checksum_only=True)
    if check_character(code[:17]) != code[17]:
        raise UsccError("第18位校验码不符，请核对是否输入有误。", checksum_only=True)
    return code


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except UsccError:
        return False
    return True


def build(prefix8: str, org_body8: str) -> str:
    """Compose a valid code from the first 8 characters and the 8-character organisation body."""
    first16 = normalize(prefix8) + normalize(org_body8)
    first17 = first16 + org_check_character(first16[8:16])
    return first17 + check_character(first17)
