"""Reads. ``get_application_for`` answers 404 for anything the user may not see (STANDARDS B7)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from sciplan.applications import permissions
from sciplan.applications.models import Application, ApplicationVersion, Attachment, Member
from sciplan.core.errors import NotFound


def applications_for(user) -> QuerySet[Application]:
    return (
        permissions.visible(user)
        .select_related("call", "lead_unit", "recommender", "industry")
        .annotate(
            member_count=Count("members", distinct=True),
            confirmed_count=Count("members", filter=Q(members__confirmed_at__isnull=False), distinct=True),
        )
        .order_by("-updated_at", "-id")
    )


def get_application_for(user, pk, *, for_update: bool = False) -> Application:
    qs = permissions.visible(user).select_related("call", "lead_unit", "recommender", "industry")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def application_detail(user, pk) -> Application:
    """One application with everything its pages show, in a fixed number of queries."""
    qs = (
        permissions.visible(user)
        .select_related("call", "lead_unit", "recommender", "industry")
        .prefetch_related(
            "finance_years",
            "budget_years",
            Prefetch("platforms"),
            Prefetch("members"),
            Prefetch("attachments", queryset=Attachment.objects.filter(removed_at__isnull=True)),
            # The frozen snapshot is read only on the one version a page shows (loaded then, by itself).
            Prefetch(
                "versions",
                queryset=ApplicationVersion.objects.defer("snapshot")
                .select_related("submitted_by")
                .order_by("number"),
            ),
        )
    )
    try:
        return qs.get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_member_for(user, application: Application, member_pk) -> Member:
    try:
        return application.members.get(pk=member_pk)
    except (Member.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_attachment_for(user, pk) -> Attachment:
    """An attachment of an application the user may see; removed ones stay readable for versions."""
    visible_apps = permissions.visible(user).values("pk")
    try:
        return Attachment.objects.select_related("application").get(pk=pk, application__in=visible_apps)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
