"""Reads for recommending units. Everything starts from ``applications.permissions.visible`` so a
recommender and its finance department see only their own jurisdiction; anything else is 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from sciplan.accounts.roles import Role
from sciplan.applications import permissions
from sciplan.applications.models import Application, ApplicationVersion
from sciplan.applications.workflow import Status
from sciplan.calls.deadlines import base_deadline, deadline_for
from sciplan.calls.models import Call, Recommender, Stage
from sciplan.core import authority
from sciplan.core.errors import NotFound
from sciplan.recommendations.models import CreditCheck, CreditSource, Recommendation, RecommendationLetter

RECOMMENDER_ROLES = frozenset({Role.RECOMMENDER, Role.FINANCE})


def letter_for(call_id, recommender_id) -> RecommendationLetter | None:
    """The current letter of ``recommender_id`` for ``call_id``, or ``None`` (the bureau's intake check)."""
    return (
        RecommendationLetter.objects.select_related("uploaded_by")
        .filter(call_id=call_id, recommender_id=recommender_id, replaced_at__isnull=True)
        .first()
    )


def recommendation_for(application) -> Recommendation | None:
    application_id = getattr(application, "pk", application)
    return (
        Recommendation.objects.select_related("recommended_by", "finance_confirmed_by")
        .filter(application_id=application_id)
        .first()
    )


def ensure_recommender_user(user) -> None:
    """Pages of this app are for recommenders and their finance departments; others get 404."""
    if getattr(user, "role", None) not in RECOMMENDER_ROLES or not user.recommender_id:
        raise NotFound()


def calls_for(user) -> QuerySet[Call]:
    return Call.objects.public().filter(recommenders=user.recommender_id).order_by("-opens_at")


def current_call(user, call_id=None) -> Call:
    calls = calls_for(user)
    if call_id:
        try:
            return calls.get(pk=call_id)
        except (Call.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
    call = calls.first()
    if call is None:
        raise NotFound("目前没有本单位参与的申报批次。")
    return call


def recommender_for(user, call: Call, recommender_id=None) -> Recommender:
    """Whose summary/letters ``user`` may read: their own; the bureau may name any of the call's."""
    if user.role in RECOMMENDER_ROLES and user.recommender_id:
        if recommender_id not in (None, "", user.recommender_id, str(user.recommender_id)):
            raise NotFound()
        return user.recommender
    if user.role == Role.BUREAU and recommender_id:
        try:
            return call.recommenders.get(pk=recommender_id)
        except (Recommender.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
    raise NotFound()


@dataclass
class Deadline:
    at: datetime
    base: datetime
    extended: bool

    def is_open(self, now: datetime) -> bool:
        return now < self.at

    def remaining(self, now: datetime) -> str:
        """剩余 3天4小时5分 — what is left until the deadline by the server's clock."""
        seconds = int((self.at - now).total_seconds())
        if seconds <= 0:
            return "已截止"
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        if days:
            return f"剩余{days}天{hours}小时{minutes}分"
        return f"剩余{hours}小时{minutes}分{secs}秒"


def recommend_deadline(call: Call, recommender: Recommender) -> Deadline:
    at = deadline_for(call, Stage.RECOMMEND, recommender=recommender)
    base = base_deadline(call, Stage.RECOMMEND)
    return Deadline(at=at, base=base, extended=at > base)


# A list never shows the narratives; not loading ≈60 KB of text per row (found by the benchmark's profiler).
LIST_DEFERRED = [
    f.name for f in Application._meta.fields if f.get_internal_type() in ("TextField", "JSONField")
]


def _credit_checks(**conditions) -> Coalesce:
    """How many credit checks an application has (matching ``conditions``): a correlated subquery,
    evaluated for the rows of the page only, where COUNT(DISTINCT …) over a join would group all of the
    jurisdiction's rows before the page is cut."""
    rows = (
        CreditCheck.objects.filter(application=OuterRef("pk"), **conditions)
        .order_by()
        .values("application")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def worklist(user, call: Call, *, status: str = "", industry: str = "", q: str = "") -> QuerySet[Application]:
    """The jurisdiction's applications in ``call`` with what the list shows, in a fixed number of queries."""
    qs = (
        permissions.visible(user)
        .filter(call=call)
        .defer(*LIST_DEFERRED)
        .select_related("lead_unit", "industry", "recommendation")
        .annotate(
            credit_count=_credit_checks(),
            credit_bad=_credit_checks(has_bad_record=True),
        )
        .order_by("-submitted_at", "-id")
    )
    if status:
        qs = qs.filter(status=status)
    if industry:
        qs = qs.filter(industry_id=industry) if str(industry).isdigit() else qs.none()
    q = (q or "").strip()
    if q:
        direction = authority.current().direction_of(q) or q
        qs = qs.filter(
            Q(direction__icontains=direction)
            | Q(lead_unit__name__icontains=q)
            | Q(lead_unit__uscc__icontains=q.upper())
        )
    return qs


def state_counts(user, call: Call) -> list[dict]:
    """Counts by state, in the order of the procedure, for the states that occur."""
    rows = dict(
        permissions.visible(user)
        .filter(call=call)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [
        {"code": code, "label": label, "count": rows[code]} for code, label in Status.choices if code in rows
    ]


def application_for(user, pk) -> Application:
    ensure_recommender_user(user)
    try:
        return (
            permissions.visible(user)
            .select_related("call", "lead_unit", "recommender", "industry")
            .get(pk=pk)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def versions_of(application: Application) -> list[ApplicationVersion]:
    return list(application.versions.select_related("submitted_by").order_by("number"))


def credit_checks_of(application: Application) -> dict[str, CreditCheck]:
    return {c.source: c for c in application.credit_checks.select_related("recorded_by")}


def credit_status(checks: dict[str, CreditCheck]) -> str | None:
    """Why the lead unit may not be recommended yet, or ``None`` (the ``credit_checked`` guard)."""
    missing = [label for code, label in CreditSource.choices if code not in checks]
    if missing:
        return f"推荐前须完成信用核查：尚未记录“{'”“'.join(missing)}”的查询结果。"
    bad = [label for code, label in CreditSource.choices if checks[code].has_bad_record]
    if bad:
        return f"经查询，牵头单位在“{'”“'.join(bad)}”存在不良记录，不能推荐；请选择“不予推荐”并填写理由。"
    return None


def ranked(call_id, recommender_id) -> list[Recommendation]:
    return list(
        Recommendation.objects.filter(call_id=call_id, recommender_id=recommender_id)
        .select_related("application")
        .order_by("rank", "id")
    )


def recommended_for_summary(call: Call, recommender: Recommender) -> list[tuple[Recommendation, dict]]:
    """The recommender's recommendations in rank order, each with its latest frozen snapshot."""
    recs = list(
        Recommendation.objects.filter(call=call, recommender=recommender)
        .select_related("application__lead_unit", "recommender")
        .order_by("rank", "id")
    )
    newest = (
        ApplicationVersion.objects.filter(application_id=OuterRef("application_id"))
        .order_by("-number")
        .values("number")[:1]
    )
    versions = ApplicationVersion.objects.filter(
        application_id__in=[r.application_id for r in recs], number=Subquery(newest)
    )
    latest = {v.application_id: v.snapshot for v in versions}
    return [(r, latest.get(r.application_id, {})) for r in recs]
