"""Turning a frozen version's snapshot into labelled rows for the recommender's detail page."""

from __future__ import annotations

from typing import Any

from sciplan.applications.models import Application, StandingLevel
from sciplan.applications.sections import SECTIONS

_STANDING = dict(StandingLevel.choices)


def _label(name: str) -> str:
    try:
        return str(getattr(Application._meta.get_field(name), "verbose_name", name))
    except Exception:  # a field of an older snapshot schema that the model no longer has
        return name


def _value(name: str, value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if name == "lead_standing_level":
        return _STANDING.get(value, value)
    return str(value)


def snapshot_sections(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    fields = snapshot.get("fields", {})
    return [
        {
            "title": section.title,
            "rows": [(_label(name), _value(name, fields.get(name))) for name in section.fields],
        }
        for section in SECTIONS
    ]
