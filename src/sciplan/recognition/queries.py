"""Reads: public notices, the register of recognised consortia, the bureau's work lists.

Public reads select only public fields: a consortium's name, lead unit, industry and member units —
never contact details or personal data.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from sciplan.applications.models import Application, Member
from sciplan.applications.workflow import Status
from sciplan.calls.models import Call
from sciplan.core import clock
from sciplan.core.errors import NotFound
from sciplan.recognition.models import (
    Assessment,
    NoticeEntry,
    Objection,
    ObjectionOutcome,
    PublicNotice,
    Recognition,
)

PUBLIC_MEMBER_FIELDS = ("id", "application_id", "name", "category", "order")


def _public_entries() -> Prefetch:
    members = Prefetch("application__members", queryset=Member.objects.only(*PUBLIC_MEMBER_FIELDS))
    entries = (
        NoticeEntry.objects.select_related(
            "application__lead_unit", "application__industry", "assessment__recognition"
        )
        .prefetch_related(members)
        .order_by("order", "id")
    )
    return Prefetch("entries", queryset=entries)


def public_notices() -> QuerySet[PublicNotice]:
    """Notices that have started, newest first, with their entry counts."""
    today = clock.local(clock.now()).date()
    return (
        PublicNotice.objects.filter(starts_on__lte=today)
        .select_related("call")
        .annotate(entry_count=Count("entries"))
        .order_by("-starts_on", "-id")
    )


def public_notice(pk: int) -> PublicNotice:
    notice = public_notices().prefetch_related(_public_entries()).filter(pk=pk).first()
    if notice is None:
        raise NotFound()
    return notice


def public_notices_with_entries() -> QuerySet[PublicNotice]:
    return public_notices().prefetch_related(_public_entries())


def notice_with_entries(pk: int) -> PublicNotice:
    """One notice with its consortia, whether it has started or not: the answer to the bureau that has
    just published a notice starting on a later day (the public lists show it only from its start)."""
    return PublicNotice.objects.select_related("call").prefetch_related(_public_entries()).get(pk=pk)


def recognized(*, year: int | None = None, industry: int | None = None) -> QuerySet[Recognition]:
    qs = Recognition.objects.select_related("application__lead_unit", "industry", "call").prefetch_related(
        Prefetch("application__members", queryset=Member.objects.only(*PUBLIC_MEMBER_FIELDS))
    )
    if year:
        qs = qs.filter(year=year)
    if industry:
        qs = qs.filter(industry_id=industry)
    return qs.order_by("-year", "official_name")


def active_recognition_of_unit(unit_id: int) -> Recognition | None:
    """The unit's recognition still in force (as lead unit), for later calls to refer to, or ``None``."""
    return (
        Recognition.objects.filter(application__lead_unit_id=unit_id, revoked_on__isnull=True)
        .order_by("-recognized_on")
        .first()
    )


def recognized_years() -> list[int]:
    return list(Recognition.objects.order_by("-year").values_list("year", flat=True).distinct())


def recognition_detail(pk: int) -> Recognition:
    recognition = (
        recognized()
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=Assessment.objects.exclude(grade="")
                .filter(notice_entries__isnull=False)
                .distinct()
                .order_by("-year"),
                to_attr="public_assessments",
            )
        )
        .filter(pk=pk)
        .first()
    )
    if recognition is None:
        raise NotFound()
    return recognition


# ---------------------------------------------------------------- bureau


def confirmed_ranking(call: Call) -> list[dict] | None:
    """The review app's confirmed ranking as rows ``{"application", "rank", "score"}``, or ``None`` when
    the review app does not offer one (yet)."""
    try:
        from sciplan.review.queries import confirmed_ranking as review_ranking  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        ranking = review_ranking(call)
    except Exception:  # an unfinished review app must not break the bureau's page
        return None
    if ranking is None:
        return None
    rows = []
    for index, item in enumerate(ranking, 1):
        application = item if isinstance(item, Application) else getattr(item, "application", None)
        if application is None and isinstance(item, dict):
            application = item.get("application")
        if application is None:
            continue
        get = item.get if isinstance(item, dict) else lambda k, d=None, o=item: getattr(o, k, d)
        rows.append({"application": application, "rank": get("rank", index), "score": get("score", None)})
    return rows


def bureau_applications(call: Call) -> QuerySet[Application]:
    """The applications of ``call`` from review onwards, for the bureau's recognition page."""
    return (
        Application.objects.filter(
            call=call,
            status__in=[
                Status.UNDER_REVIEW,
                Status.PROPOSED,
                Status.IN_PUBLIC_NOTICE,
                Status.RECOGNIZED,
                Status.NOT_RECOGNIZED,
                Status.REVOKED,
            ],
        )
        .select_related("lead_unit", "industry", "recommender", "recognition")
        .annotate(
            pending_objections=Count("objections", filter=Q(objections__outcome=ObjectionOutcome.PENDING))
        )
        .order_by("status", "pk")
    )


def objections_visible(user, queryset: QuerySet[Objection] | None = None) -> QuerySet[Objection]:
    """Objections (and the objector's identity) are for bureau staff only."""
    qs = queryset if queryset is not None else Objection.objects.all()
    return qs if getattr(user, "role", None) == "bureau" and user.is_active else qs.none()


def objections(*, call: Call | None = None) -> QuerySet[Objection]:
    qs = Objection.objects.select_related("application__lead_unit", "notice", "resolved_by")
    if call is not None:
        qs = qs.filter(notice__call=call)
    return qs.order_by("outcome", "-submitted_at")


def assessments_for_bureau(*, year: int | None = None) -> QuerySet[Assessment]:
    qs = Assessment.objects.select_related("recognition__application__lead_unit", "graded_by").annotate(
        published=Count("notice_entries")
    )
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "recognition__official_name")


def recognitions_of_unit(user) -> QuerySet[Recognition]:
    if not getattr(user, "unit_id", None):
        return Recognition.objects.none()
    return (
        Recognition.objects.filter(application__lead_unit_id=user.unit_id)
        .select_related("application")
        .prefetch_related("assessments")
        .order_by("-year")
    )


def objection_by_receipt(receipt_no: str, *, notice_id: int) -> Objection | None:
    return (
        Objection.objects.select_related("notice", "application")
        .filter(receipt_no=receipt_no, notice_id=notice_id)
        .first()
    )
