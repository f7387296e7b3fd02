"""Making text safe to log and to keep in the audit log (STANDARDS E23). No model imports here: the
logging configuration loads this module before the apps are ready."""

from __future__ import annotations

import logging
import re
from typing import Any

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SENSITIVE_KEYS = {
    "password",
    "password1",
    "password2",
    "old_password",
    "new_password1",
    "new_password2",
    "token",
    "otp",
    "otp_token",
    "code",
    "sessionid",
    "session_key",
    "secret",
    "key",
    "authorization",
    "csrfmiddlewaretoken",
}
# An 18-character citizen ID and an 11-digit mainland mobile, not inside a longer run of digits.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# In pages and JSON a number glued to letters is a token or a hash, not a phone: leave those alone.
_MOBILE_STANDALONE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})(?![0-9A-Za-z])")


def mask_personal(text: str, *, standalone: bool = False) -> str:
    """Mask every ID number and mobile number inside free text: 138****1234, 430***********1234."""
    text = _ID_NUMBER.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    mobile = _MOBILE_STANDALONE if standalone else _MOBILE
    return mobile.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def scrub(value: Any) -> Any:
    """Make a value safe to log (STANDARDS E23): drop secrets, mask phone and ID numbers, escape
    control characters."""
    if isinstance(value, dict):
        return {str(k): ("***" if str(k).lower() in _SENSITIVE_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        text = mask_personal(value)
        return _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)[:2000]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))


class ScrubFilter(logging.Filter):
    """A logging filter that masks phone and ID numbers and escapes control characters in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
