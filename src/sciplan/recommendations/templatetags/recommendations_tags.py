"""Small template helpers for the recommender's pages."""

from __future__ import annotations

from django import template

from sciplan.applications.workflow import Status

register = template.Library()

_BADGE: dict[str, str] = {
    Status.SUBMITTED: "badge-warn",
    Status.ACCEPTED: "badge-warn",
    Status.AWAITING_FINANCE: "badge-warn",
    Status.RECOMMENDED: "badge-ok",
    Status.NOT_RECOMMENDED: "badge-bad",
    Status.RETURNED: "badge-bad",
    Status.WITHDRAWN: "",
}


@register.filter
def status_badge(code: str) -> str:
    return _BADGE.get(code, "")


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
