"""Masking personal data for roles without the right to see it (PIPL; STANDARDS E25)."""

from __future__ import annotations

import re


def mask_phone(value: str | None) -> str:
    """13812341234 → 138****1234; +86 and landlines keep their last four digits only."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 11 and digits.endswith(digits[-11:]) and digits[-11] == "1":
        core = digits[-11:]
        return f"{core[:3]}****{core[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:]


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return value or ""
    name, domain = value.split("@", 1)
    return (name[:1] + "***@" + domain) if name else "***@" + domain
