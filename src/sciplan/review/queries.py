"""Reads for the bureau and for other apps. Every function here runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from sciplan.applications.models import Application, FinanceYear, Member, MemberCategory
from sciplan.applications.workflow import PRIVATE_TO_APPLICANT, Status
from sciplan.calls.models import Call, Recommender
from sciplan.core import clock
from sciplan.review.models import (
    GONE,
    Assignment,
    AssignmentStatus,
    PaperReceipt,
    Ranking,
    Score,
    SummaryTableReceipt,
)

# --- the confirmed ranking, for the recognition app --------------------------------------------------


@dataclass
class ConfirmedRow:
    application: Application
    application_id: int
    rank: int | None
    score: Decimal | None
    mean: Decimal | None
    trimmed: bool
    tied: bool
    scores: int


@dataclass
class ConfirmedRanking:
    call_id: int
    rows: list[ConfirmedRow]
    content_hash: str
    confirmed_at: datetime
    confirmed_by_id: int = 0

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def confirmed_ranking(call: Call | int) -> ConfirmedRanking | None:
    """The frozen ranking of ``call`` in rank order (ties share a rank), or ``None`` if not confirmed."""
    call_id = call if isinstance(call, int) else call.pk
    ranking = Ranking.objects.filter(call_id=call_id).first()
    if ranking is None:
        return None
    apps = Application.objects.select_related("lead_unit", "recommender", "industry").in_bulk(
        [row["application_id"] for row in ranking.rows]
    )

    def dec(value):
        return Decimal(value) if value is not None else None

    rows = [
        ConfirmedRow(
            application=apps[row["application_id"]],
            application_id=row["application_id"],
            rank=row["rank"],
            score=dec(row["score"]),
            mean=dec(row["mean"]),
            trimmed=row["trimmed"],
            tied=row["tied"],
            scores=row["scores"],
        )
        for row in ranking.rows
        if row["application_id"] in apps
    ]
    return ConfirmedRanking(
        call_id, rows, ranking.content_hash, ranking.confirmed_at, ranking.confirmed_by_id
    )


# --- the bureau's list of applications ---------------------------------------------------------------


def bureau_applications(
    call: Call | None, *, state: str = "", recommender: str = "", industry: str = "", q: str = ""
) -> QuerySet[Application]:
    qs = Application.objects.exclude(status__in=PRIVATE_TO_APPLICANT)
    if call is not None:
        qs = qs.filter(call=call)
    if state:
        qs = qs.filter(status=state)
    if recommender:
        qs = qs.filter(recommender_id=recommender) if str(recommender).isdigit() else qs.none()
    if industry:
        qs = qs.filter(industry_id=industry) if str(industry).isdigit() else qs.none()
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(direction__icontains=q) | Q(lead_unit__name__icontains=q) | Q(lead_unit__uscc__iexact=q)
        )
    # The list never shows the narratives or the call's notice: not loading them keeps a page of rows
    # small (found by the benchmark's profiler).
    narratives = [
        f.name for f in Application._meta.fields if f.get_internal_type() in ("TextField", "JSONField")
    ]
    # Per-row figures as correlated subqueries, not COUNT(DISTINCT …) over joins: with joins PostgreSQL
    # must group every matching row (20,000 at province scale) before it can take the first page; a
    # subquery in the select list is evaluated only for the rows of the page, after the sort and LIMIT.
    # ``paper_count`` says whether the paper copy arrived (the pages only test it): an EXISTS.
    members = (
        Member.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("call", "lead_unit", "recommender", "industry")
        .defer(*narratives, "call__notice")
        .annotate(
            paper_count=Exists(PaperReceipt.objects.filter(application=OuterRef("pk"))),
            member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
        )
        .order_by("recommender__order", "-submitted_at", "-id")
    )


class BureauListPaginator(Paginator):
    """The bureau list, a page at a time, at province scale (20,000 applications in a call):

    - the page's ids are read first, in the list's order, from the narrow ``application_bureau_list``
      index (an index-only scan and a top-N sort of ids, not of wide rows joined to four tables);
    - then only those rows are loaded with what the page shows (related rows, per-row subqueries);
    - the count is a plain ``COUNT(*)`` without the annotations and joins, from the same index.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        queryset = self.object_list
        ids = list(queryset.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = {row.pk: row for row in queryset.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)

    @cached_property
    def count(self) -> int:
        return self.object_list.values("pk").order_by().count()


def bureau_list_page(call: Call | None, number, *, per_page: int, **filters) -> Page:
    return BureauListPaginator(bureau_applications(call, **filters), per_page).get_page(number)


def default_call() -> Call | None:
    """The call the bureau is most likely working on: the latest with submitted applications (an EXISTS
    per call, not a join with every application)."""
    arrived = Application.objects.filter(
        call=OuterRef("pk"), status__in=[s for s in Status.values if s != Status.DRAFT]
    )
    calls = Call.objects.order_by("-opens_at")
    return calls.filter(Exists(arrived)).first() or calls.first()


# --- the dashboard -----------------------------------------------------------------------------------


def _countdown(moment: datetime, now: datetime) -> dict[str, Any]:
    delta = moment - now
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        text = "已截止"
    elif seconds < 86400:
        text = f"剩余{seconds // 3600}小时{seconds % 3600 // 60}分"
    else:
        text = f"剩余{seconds // 86400}天{seconds % 86400 // 3600}小时"
    return {"at": moment, "shown": clock.fmt(moment, seconds=False), "text": text, "passed": seconds <= 0}


@dataclass
class Dashboard:
    call: Call
    total: int = 0
    by_state: list[dict] = field(default_factory=list)
    by_recommender: list[dict] = field(default_factory=list)
    by_industry: list[dict] = field(default_factory=list)
    rd_total: Decimal = Decimal(0)
    revenue_total: Decimal = Decimal(0)
    member_mix: list[dict] = field(default_factory=list)
    members: int = 0
    members_local: int = 0
    deadlines: list[dict] = field(default_factory=list)
    review: dict = field(default_factory=dict)

    @property
    def local_share(self) -> str:
        return f"{self.members_local * 100 / self.members:.1f}%" if self.members else "—"

    def chart_data(self) -> dict:
        return {
            "state": {
                "labels": [r["label"] for r in self.by_state],
                "values": [r["n"] for r in self.by_state],
            },
            "recommender": {
                "labels": [r["label"] for r in self.by_recommender],
                "values": [r["n"] for r in self.by_recommender],
            },
            "industry": {
                "labels": [r["label"] for r in self.by_industry],
                "values": [r["n"] for r in self.by_industry],
            },
            "members": {
                "labels": [r["label"] for r in self.member_mix],
                "values": [r["n"] for r in self.member_mix],
            },
        }


def dashboard(call: Call) -> Dashboard:
    """Counts and totals of one call, in nine queries whatever the number of applications."""
    base = Application.objects.filter(call=call).exclude(status__in=PRIVATE_TO_APPLICANT)
    board = Dashboard(call=call)
    labels = dict(Status.choices)
    for row in base.values("status").annotate(n=Count("id")).order_by():
        board.by_state.append(
            {"code": row["status"], "label": labels.get(row["status"], row["status"]), "n": row["n"]}
        )
    order = {code: i for i, code in enumerate(Status.values)}
    board.by_state.sort(key=lambda r: order.get(r["code"], 99))
    board.total = sum(r["n"] for r in board.by_state)
    board.by_recommender = [
        {"id": r["recommender_id"], "label": r["recommender__name"], "n": r["n"]}
        for r in base.values("recommender_id", "recommender__name", "recommender__order")
        .annotate(n=Count("id"))
        .order_by("recommender__order", "recommender__name")
    ]
    board.by_industry = [
        {"id": r["industry_id"], "label": r["industry__name"] or "未填写", "n": r["n"]}
        for r in base.values("industry_id", "industry__name", "industry__order")
        .annotate(n=Count("id"))
        .order_by("industry__order")
    ]
    money = FinanceYear.objects.filter(application__in=base, year__in=call.rd_years).aggregate(
        rd=Sum("rd_spending"), revenue=Sum("revenue")
    )
    board.rd_total = money["rd"] or Decimal(0)
    board.revenue_total = money["revenue"] or Decimal(0)
    categories = dict(MemberCategory.choices)
    members = Member.objects.filter(application__in=base)
    board.member_mix = [
        {"code": r["category"], "label": categories.get(r["category"], r["category"]), "n": r["n"]}
        for r in members.values("category").annotate(n=Count("id")).order_by("-n", "category")
    ]
    counts = members.aggregate(total=Count("id"), local=Count("id", filter=Q(in_yueyang=True)))
    board.members, board.members_local = counts["total"], counts["local"]
    now = clock.now()
    paper_end = timezone.make_aware(datetime.combine(call.paper_deadline + timedelta(days=1), time(0, 0)))
    board.deadlines = [
        {"label": "网上申报截止", **_countdown(call.closes_at, now)},
        {"label": "推荐单位推荐截止", **_countdown(call.recommend_deadline, now)},
        {
            "label": "纸质材料报送截止",
            **_countdown(paper_end, now),
            "shown": f"{call.paper_deadline:%Y年%m月%d日}（当日下班前）",
        },
    ]
    for a in base.filter(status=Status.CORRECTION, correction_deadline__isnull=False).order_by(
        "correction_deadline"
    )[:5]:
        board.deadlines.append(
            {"label": f"补正截止：{a.consortium_name}", **_countdown(a.correction_deadline, now)}
        )
    seats = Assignment.objects.filter(application__in=base).aggregate(
        seats=Count("id", filter=~Q(status__in=GONE)),
        pending=Count("id", filter=Q(status=AssignmentStatus.PENDING)),
        scored=Count("score"),
    )
    board.review = {**seats, "confirmed": Ranking.objects.filter(call=call).exists()}
    return board


# --- intake per recommender --------------------------------------------------------------------------


@dataclass
class IntakeRow:
    recommender: Recommender
    applications: list[Application]
    letter: Any
    summary_table: SummaryTableReceipt | None

    @property
    def missing(self) -> list[str]:
        out = []
        if self.letter is None:
            out.append("推荐函")
        if self.summary_table is None:
            out.append("信息汇总表（纸质）")
        waiting = [a.consortium_name for a in self.applications if not a.paper_count]
        if waiting:
            out.append("纸质申报材料：" + "、".join(waiting))
        return out


def intake(call: Call) -> list[IntakeRow]:
    """Per recommender with recommended applications: letter, summary table, paper copies, what is missing."""
    from sciplan.review.services import letter_of

    statuses = [Status.RECOMMENDED, Status.CORRECTION, Status.UNDER_REVIEW, Status.FORMAL_REVIEW_FAILED]
    applications = list(
        Application.objects.filter(call=call, status__in=statuses)
        .select_related("recommender", "lead_unit", "call")
        .annotate(paper_count=Count("paper_receipts"))
        .order_by("recommender__order", "pk")
    )
    tables = {t.recommender_id: t for t in SummaryTableReceipt.objects.filter(call=call)}
    rows: dict[int, IntakeRow] = {}
    for a in applications:
        if a.recommender_id not in rows:
            rows[a.recommender_id] = IntakeRow(a.recommender, [], letter_of(a), tables.get(a.recommender_id))
        rows[a.recommender_id].applications.append(a)
    return list(rows.values())


def score_progress(application: Application) -> list[Assignment]:
    return list(
        Assignment.objects.filter(application=application)
        .select_related("expert", "draw")
        .annotate(has_score=Exists(Score.objects.filter(assignment=OuterRef("pk"))))
        .order_by("id")
    )


def papers_of(application: Application) -> list[PaperReceipt]:
    return list(application.paper_receipts.select_related("recorded_by"))
