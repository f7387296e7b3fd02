"""Reads of calls. A draft is the bureau's own until it is published: everyone else — applicants,
recommenders, the public and the API — neither lists it nor reaches it by address (404)."""

from __future__ import annotations

from django.db.models import QuerySet

from sciplan.accounts.roles import Role
from sciplan.calls.models import Call, CallState
from sciplan.core.errors import NotFound


def _sees_drafts(user) -> bool:
    return getattr(user, "role", None) == Role.BUREAU


def calls_visible_to(user) -> QuerySet[Call]:
    """Every call ``user`` may open: all of them for bureau staff, the published ones for anyone else."""
    return Call.objects.all() if _sees_drafts(user) else Call.objects.public()


def calls_listed_for(user) -> QuerySet[Call]:
    """The calls the lists show ``user``: bureau staff see drafts too; archived calls only by address."""
    return Call.objects.exclude(state=CallState.ARCHIVED) if _sees_drafts(user) else Call.objects.listed()


def get_call_for(user, pk) -> Call:
    try:
        return calls_visible_to(user).prefetch_related("industries", "recommenders").get(pk=pk)
    except (Call.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
