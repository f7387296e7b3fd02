"""Who may see and edit an application. Predicates only; fetch helpers live in ``queries``.

Relations, not just roles: an applicant sees their own unit's applications; a recommender and its
finance department see their own jurisdiction's once submitted; the bureau sees every submitted one; an
expert sees the ones assigned to them after declaring no conflict (registered by the review app).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from sciplan.accounts.roles import Role
from sciplan.applications.workflow import EDITABLE, PRIVATE_TO_APPLICANT

if TYPE_CHECKING:
    from sciplan.applications.models import Application

# role → function(user) returning a Q over Application; apps with their own relations add theirs.
_SCOPES: dict[str, Callable[[object], Q]] = {}


def register_scope(role: str, fn: Callable[[object], Q]) -> None:
    _SCOPES[role] = fn


def scope_q(user) -> Q | None:
    """The Q selecting what ``user`` may see, or ``None`` for nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    role = user.role
    if role == Role.APPLICANT:
        return Q(lead_unit_id=user.unit_id) if user.unit_id else None
    if role in (Role.RECOMMENDER, Role.FINANCE):
        if not user.recommender_id:
            return None
        return Q(recommender_id=user.recommender_id) & ~Q(status__in=PRIVATE_TO_APPLICANT)
    if role == Role.BUREAU:
        return ~Q(status__in=PRIVATE_TO_APPLICANT)
    if role in _SCOPES:
        return _SCOPES[role](user)
    return None


def visible(user, queryset: QuerySet | None = None) -> QuerySet:
    from sciplan.applications.models import Application

    qs = queryset if queryset is not None else Application.objects.all()
    q = scope_q(user)
    return qs.filter(q) if q is not None else qs.none()


def can_view(user, application: Application) -> bool:
    q = scope_q(user)
    if q is None:
        return False
    if getattr(user, "role", None) in (Role.APPLICANT, Role.RECOMMENDER, Role.FINANCE, Role.BUREAU):
        return relates_to(user, application) and (
            user.role == Role.APPLICANT or application.status not in PRIVATE_TO_APPLICANT
        )
    from sciplan.applications.models import Application

    return Application.objects.filter(q, pk=application.pk).exists()


def relates_to(user, application: Application) -> bool:
    """The relation a role needs to act: own unit, own jurisdiction, or the bureau (all)."""
    role = getattr(user, "role", None)
    if role == Role.APPLICANT:
        return bool(user.unit_id) and user.unit_id == application.lead_unit_id
    if role in (Role.RECOMMENDER, Role.FINANCE):
        return bool(user.recommender_id) and user.recommender_id == application.recommender_id
    return role == Role.BUREAU


def can_edit(user, application: Application) -> bool:
    """Only the lead unit's own users, only while the form is open to them."""
    return (
        getattr(user, "role", None) == Role.APPLICANT
        and relates_to(user, application)
        and application.status in EDITABLE
    )
