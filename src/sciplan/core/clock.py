"""The server's clock, the only clock deadlines are judged by (STANDARDS G32)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def fmt(dt: datetime | None, *, seconds: bool = True) -> str:
    """Asia/Shanghai wall time as Chinese officials write it: 2024年08月04日 18:00:00."""
    if dt is None:
        return "—"
    pattern = "%Y年%m月%d日 %H:%M:%S" if seconds else "%Y年%m月%d日 %H:%M"
    return timezone.localtime(dt).strftime(pattern)
