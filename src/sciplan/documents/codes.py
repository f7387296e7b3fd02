"""Verification codes: a short, typable code on every document of a submitted version (SPEC §10).

A code is 11 characters taken from the version's SHA-256 content hash plus one check character, written
in an alphabet without look-alikes (no 0/O, 1/I) and grouped ``ABCD-EFGH-JKLM``. It holds no secret:
anyone holding the paper may type it to learn which online version the paper is and whether it is still
current. 55 bits make guessing a valid code hopeless; the check character (Luhn mod 32, which catches
every single wrong character and nearly every swap of neighbours) lets the page say "typo" rather than
"not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from sciplan.applications.models import ApplicationVersion
from sciplan.documents.models import VersionCode

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BASE = len(ALPHABET)  # 32: five bits per character
DATA_LENGTH = 11
LENGTH = DATA_LENGTH + 1
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-_－—–·.]+")


def check_character(data: str) -> str:
    """Luhn mod N over ``data`` (characters of ALPHABET)."""
    factor, total = 2, 0
    for ch in reversed(data):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // BASE + addend % BASE
    return ALPHABET[(BASE - total % BASE) % BASE]


def derive(content_hash: str) -> str:
    """The 12-character code of a content hash (no separators)."""
    number = int(content_hash[:16], 16) >> (64 - 5 * DATA_LENGTH)
    data = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(DATA_LENGTH)))
    return data + check_character(data)


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class CodeError(ValueError):
    """A typed code that cannot be right; the message is shown as is."""


def normalize(typed: str) -> str:
    """The canonical code of what someone typed, or :class:`CodeError` with the reason in Chinese."""
    text = _SEPARATORS.sub("", (typed or "").strip()).upper()
    # Full-width letters and digits typed with a Chinese input method.
    text = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
    if not text:
        raise CodeError("请输入文档上的校验码。")
    if len(text) != LENGTH:
        raise CodeError(f"校验码应为{LENGTH}位字母或数字（可含短横线），您输入了{len(text)}位，请核对。")
    wrong = sorted({c for c in text if c not in _INDEX})
    if wrong:
        raise CodeError(
            "校验码输入有误：校验码不含字符“" + "”“".join(wrong) + "”（不使用数字0、1和字母O、I），请核对。"
        )
    if check_character(text[:DATA_LENGTH]) != text[DATA_LENGTH]:
        raise CodeError("校验码输入有误，请逐位核对后重新输入。")
    return text


def code_for(version: ApplicationVersion) -> str:
    """The version's code, recorded for lookup on first use."""
    code = derive(version.content_hash)
    if not VersionCode.objects.filter(version=version).exists():
        try:
            with transaction.atomic():
                VersionCode.objects.create(version=version, code=code)
        except IntegrityError:
            pass  # recorded meanwhile by a concurrent request: same version, same code
    return code


def ensure_codes(versions) -> dict[int, str]:
    """Codes of many versions at once (exports), recording the missing ones in one statement."""
    codes = {v.pk: derive(v.content_hash) for v in versions}
    known = set(VersionCode.objects.filter(version_id__in=codes).values_list("version_id", flat=True))
    missing = [VersionCode(version_id=pk, code=code) for pk, code in codes.items() if pk not in known]
    if missing:
        VersionCode.objects.bulk_create(missing, ignore_conflicts=True)
    return codes


@dataclass(frozen=True)
class Verification:
    code: str
    call_title: str
    consortium_name: str
    lead_unit: str
    version_number: int
    submitted_at: datetime
    receipt_no: str
    latest_number: int

    @property
    def display_code(self) -> str:
        return display(self.code)

    @property
    def is_current(self) -> bool:
        return self.version_number == self.latest_number

    @property
    def state_label(self) -> str:
        if self.is_current:
            return "有效：为该申报书最新提交的版本"
        return f"已被第{self.latest_number}版取代"


class UnknownCode(LookupError):
    pass


def verify(typed: str) -> Verification:
    """What a code stands for. Raises :class:`CodeError` for a typo, :class:`UnknownCode` if no version
    has this code. Reads only the frozen snapshot, never the live form."""
    code = normalize(typed)
    row = (
        VersionCode.objects.select_related("version")
        .only(
            "code",
            "version__number",
            "version__snapshot",
            "version__submitted_at",
            "version__receipt_no",
            "version__application_id",
        )
        .filter(code=code)
        .first()
    )
    if row is None:
        raise UnknownCode(code)
    version = row.version
    latest = (
        ApplicationVersion.objects.filter(application_id=version.application_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    snapshot = version.snapshot
    return Verification(
        code=code,
        call_title=snapshot["call"]["title"],
        consortium_name=snapshot["consortium_name"],
        lead_unit=snapshot["lead_unit"]["name"],
        version_number=version.number,
        submitted_at=version.submitted_at,
        receipt_no=version.receipt_no,
        latest_number=latest or version.number,
    )
