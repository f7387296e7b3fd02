"""Scoring with the call's rubric, aggregation (mean or trimmed mean), ranking with ties, confirming."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse

from sciplan.applications.models import Application
from sciplan.applications.workflow import Status, register_guard
from sciplan.calls.models import DEFAULT_RUBRIC, Call
from sciplan.core import audit, clock
from sciplan.core.errors import Conflict, NotFound, ValidationFailed
from sciplan.core.notifications import notify
from sciplan.review.models import GONE, Assignment, AssignmentStatus, Draw, Ranking, Score, ScoreReopening
from sciplan.review.panels import seat_conflict
from sciplan.review.services import ensure_bureau

TWO_PLACES = Decimal("0.01")
TRIM_FROM = 5  # panels of 5 or more drop one highest and one lowest total (SPEC §8)


def rubric_of(call: Call) -> list[dict]:
    return copy.deepcopy(call.rubric) if call.rubric else copy.deepcopy(DEFAULT_RUBRIC)


def review_started(call: Call) -> bool:
    return Draw.objects.filter(call=call).exists()


@transaction.atomic
def update_rubric(call: Call, items: list[dict[str, Any]], *, by) -> list[dict]:
    """Replace the call's rubric; refused once the first panel has been drawn."""
    ensure_bureau(by)
    if review_started(call):
        raise Conflict("专家评审已开始，评分指标不能再修改。", code="state")
    clean: list[dict] = []
    errors: dict[str, str] = {}
    codes: set[str] = set()
    for index, item in enumerate(items):
        label = str(item.get("label") or "").strip()
        if not label:
            continue
        code = str(item.get("code") or f"item{index + 1}").strip()[:30]
        try:
            maximum = int(str(item.get("max", "")).strip())
        except ValueError:
            maximum = 0
        if not 1 <= maximum <= 100:
            errors[f"max_{index}"] = "分值应为1至100之间的整数。"
        if code in codes:
            code = f"{code}_{index + 1}"
        codes.add(code)
        clean.append({"code": code, "label": label[:50], "max": maximum})
    if not clean:
        errors["rubric"] = "请至少保留一项评分指标。"
    if errors:
        raise ValidationFailed("评分指标有误，请按提示修改。", field_errors=errors)
    call.rubric = clean
    call.save(update_fields=["rubric"])
    audit.record("review.rubric", actor=by, obj=call, detail={"rubric": clean})
    return clean


def _decimal(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def clean_sheet(
    rubric: list[dict], values: dict[str, Any], comments: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str], Decimal]:
    """Check a score sheet against the rubric: the clean values, the comments and the weighted total
    (each indicator is scored out of its own maximum, so the total is their sum). Raises
    ``ValidationFailed`` with a message per field."""
    clean: dict[str, str] = {}
    notes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for item in rubric:
        code, maximum = item["code"], Decimal(item["max"])
        value = _decimal(values.get(code, ""))
        if value is None:
            errors[f"score_{code}"] = f"请填写“{item['label']}”的得分。"
        elif not Decimal(0) <= value <= maximum:
            errors[f"score_{code}"] = f"“{item['label']}”的得分应在0至{item['max']}分之间。"
        elif value != value.quantize(Decimal("0.1")):
            errors[f"score_{code}"] = "得分最多保留一位小数。"
        else:
            clean[code] = str(value.quantize(Decimal("0.1")))
        note = str(comments.get(code) or "").strip()
        if not note:
            errors[f"comment_{code}"] = f"请填写“{item['label']}”的评语。"
        elif len(note) > 500:
            errors[f"comment_{code}"] = "评语不能超过500字。"
        notes[code] = note
    if errors:
        raise ValidationFailed("评分有误，请按提示修改。", field_errors=errors)
    return clean, notes, weighted_total(clean)


def weighted_total(values: dict[str, Any]) -> Decimal:
    """The sheet's total, as the scoring page's running total shows it."""
    return sum((Decimal(str(v)) for v in values.values()), Decimal(0)).quantize(TWO_PLACES)


def _open_sheet(assignment: Assignment, *, by) -> Assignment:
    """Lock the seat and check that ``by`` may (still) score it. Inside a transaction."""
    locked = (
        Assignment.objects.select_for_update()
        .select_related("application__call", "expert")
        .get(pk=assignment.pk)
    )
    if (
        locked.expert.user_id != by.pk
        or locked.status != AssignmentStatus.ACTIVE
        or seat_conflict(locked) is not None
    ):
        raise NotFound()
    application = locked.application
    # Confirming locks the call row too, so a score and a confirmation never interleave.
    Call.objects.select_for_update().filter(pk=application.call_id).first()
    if Ranking.objects.filter(call_id=application.call_id).exists():
        raise Conflict("评审排名已确认，评分不能再提交或修改。", code="ranking_confirmed")
    if application.status != Status.UNDER_REVIEW:
        raise Conflict("该申报书不在评审阶段，不能评分。", code="state")
    earlier = Score.objects.filter(assignment=locked).first()
    if earlier is not None and not earlier.reopened:
        raise Conflict(
            "您已提交该申报书的评分，评分已锁定。如确需修改，请联系市科技局退回评分。", code="score_locked"
        )
    return locked


@transaction.atomic
def check_score(assignment: Assignment, *, values: dict[str, Any], comments: dict[str, Any], by) -> Decimal:
    """Everything :func:`submit_score` would check, without saving: the total for the review step."""
    locked = _open_sheet(assignment, by=by)
    _, _, total = clean_sheet(rubric_of(locked.application.call), values, comments)
    return total


def submit_score(
    assignment: Assignment, *, values: dict[str, Any], comments: dict[str, Any], by, ip: str | None = None
) -> Score:
    """Submit the expert's score sheet. Once submitted it is locked: a second submission is refused
    unless the bureau has reopened it (:func:`reopen_score`), and never after the ranking is confirmed."""
    with transaction.atomic():
        locked = _open_sheet(assignment, by=by)
        application = locked.application
        clean, notes, total = clean_sheet(rubric_of(application.call), values, comments)
        score, created = Score.objects.update_or_create(
            assignment=locked,
            defaults={
                "values": clean,
                "comments": notes,
                "total": total,
                "submitted_at": clock.now(),
                "reopened": False,
            },
        )
        if not created:
            ScoreReopening.objects.filter(score=score, resubmitted_at__isnull=True).update(
                resubmitted_at=score.submitted_at
            )
        audit.record(
            "review.score" if created else "review.score_resubmit",
            actor=by,
            obj=application,
            ip=ip,
            detail={"total": str(total)},
        )
    return score


def reopen_score(score: Score, *, reason: str, by, ip: str | None = None) -> ScoreReopening:
    """The bureau reopens a submitted score for its expert to revise: with a reason, audited, the
    expert is told. The score keeps counting as it stands until the expert submits again."""
    ensure_bureau(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "请填写退回原因。", field_errors={"reason": "请填写退回原因，专家将看到这段说明。"}
        )
    if len(reason) > 300:
        raise ValidationFailed("退回原因不能超过300字。", field_errors={"reason": "退回原因不能超过300字。"})
    with transaction.atomic():
        locked = (
            Score.objects.select_for_update(of=("self",))
            .select_related("assignment__application", "assignment__expert__user")
            .get(pk=score.pk)
        )
        application = locked.assignment.application
        Call.objects.select_for_update().filter(pk=application.call_id).first()
        if Ranking.objects.filter(call_id=application.call_id).exists():
            raise Conflict("评审排名已确认，评分不能再退回修改。", code="ranking_confirmed")
        if locked.assignment.status != AssignmentStatus.ACTIVE:
            raise Conflict("该专家已不在评审组中。", code="state")
        if locked.reopened:
            raise Conflict("该评分已退回，正等待专家重新提交。", code="state")
        reopening = ScoreReopening.objects.create(
            score=locked,
            reason=reason,
            previous_values=locked.values,
            previous_total=locked.total,
            reopened_by=by,
        )
        locked.reopened = True
        locked.save(update_fields=["reopened", "updated_at"])
        audit.record(
            "review.score_reopen",
            actor=by,
            obj=application,
            ip=ip,
            detail={"expert": locked.assignment.expert_id, "reason": reason, "total": str(locked.total)},
        )
        notify(
            [locked.assignment.expert.user],
            subject="评分已退回修改",
            body=f"市科技局退回了您对“{application.consortium_name}”的评分，请修改后重新提交。原因：{reason}",
            link=reverse("review:score", args=[application.pk]),
        )
    return reopening


def get_score_for(user, application_id, score_id) -> Score:
    ensure_bureau(user)
    try:
        return Score.objects.select_related("assignment").get(
            pk=score_id, assignment__application_id=application_id
        )
    except (Score.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def score_of_expert(user, application_id, expert_id) -> Score:
    """The score an expert of the application's current panel submitted (bureau only), or 404."""
    ensure_bureau(user)
    try:
        return Score.objects.select_related("assignment").get(
            assignment__application_id=application_id,
            assignment__expert_id=expert_id,
            assignment__status=AssignmentStatus.ACTIVE,
        )
    except (Score.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


@dataclass
class PanelResult:
    """What an expert may see of their panel once the ranking is confirmed: anonymous totals."""

    totals: list[str]
    score: str | None
    trimmed: bool


def panel_result_for_expert(assignment: Assignment) -> PanelResult | None:
    """Blind scoring (SPEC §8): the panel's totals only once every seat has scored and the call's
    ranking is confirmed — before that nobody can move toward the others, and nothing can change after."""
    application = assignment.application
    if not Ranking.objects.filter(call_id=application.call_id).exists():
        return None
    totals = sorted(
        Decimal(t)
        for t in Score.objects.filter(assignment__application=application)
        .exclude(assignment__status__in=GONE)
        .values_list("total", flat=True)
    )
    score, trimmed = aggregate(totals)
    return PanelResult([str(t) for t in totals], str(score) if score is not None else None, trimmed)


# --- aggregation and ranking -------------------------------------------------------------------------


def aggregate(totals: list[Decimal]) -> tuple[Decimal | None, bool]:
    """The panel's score and whether it is trimmed: with ≥5 totals, one highest and one lowest drop."""
    if not totals:
        return None, False
    ordered = sorted(Decimal(t) for t in totals)
    trimmed = len(ordered) >= TRIM_FROM
    if trimmed:
        ordered = ordered[1:-1]
    mean = sum(ordered, Decimal(0)) / len(ordered)
    return mean.quantize(TWO_PLACES, rounding=ROUND_HALF_UP), trimmed


@dataclass
class RankRow:
    application_id: int
    name: str
    lead_unit: str
    recommender: str
    scores: int
    panel: int
    mean: str | None
    score: str | None
    trimmed: bool
    rank: int | None = None
    tied: bool = False


def assign_ranks(rows: list[RankRow]) -> list[RankRow]:
    """Competition ranking: equal scores share a rank and the next rank skips (1, 1, 3)."""
    scored = sorted(
        (r for r in rows if r.score is not None), key=lambda r: (-Decimal(r.score), r.application_id)
    )
    unscored = sorted((r for r in rows if r.score is None), key=lambda r: r.application_id)
    for index, row in enumerate(scored):
        if (
            index
            and scored[index - 1].score is not None
            and Decimal(scored[index - 1].score) == Decimal(row.score)
        ):
            row.rank = scored[index - 1].rank
        else:
            row.rank = index + 1
    counts: dict[int | None, int] = {}
    for row in scored:
        counts[row.rank] = counts.get(row.rank, 0) + 1
    for row in scored:
        row.tied = counts[row.rank] > 1
    return scored + unscored


def compute_ranking(call: Call) -> list[RankRow]:
    """The live ranking of the applications under review in ``call``, in a fixed number of queries."""
    applications = list(
        Application.objects.filter(call=call, assignments__isnull=False)
        .exclude(status=Status.DRAFT)
        .select_related("lead_unit", "recommender")
        .distinct()
        .order_by("pk")
    )
    totals: dict[int, list[Decimal]] = {a.pk: [] for a in applications}
    panel: dict[int, int] = {a.pk: 0 for a in applications}
    for app_id, status, total in Assignment.objects.filter(application__call=call).values_list(
        "application_id", "status", "score__total"
    ):
        if app_id not in totals or status in GONE:
            continue
        panel[app_id] += 1
        if total is not None:
            totals[app_id].append(Decimal(total))
    rows = []
    for a in applications:
        score, trimmed = aggregate(totals[a.pk])
        values = totals[a.pk]
        mean = (
            (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
            if values
            else None
        )
        rows.append(
            RankRow(
                application_id=a.pk,
                name=a.consortium_name,
                lead_unit=a.lead_unit.name,
                recommender=a.recommender.name,
                scores=len(totals[a.pk]),
                panel=panel[a.pk],
                mean=str(mean) if mean is not None else None,
                score=str(score) if score is not None else None,
                trimmed=trimmed,
            )
        )
    return assign_ranks(rows)


def content_hash(rows: list[dict]) -> str:
    payload = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


@transaction.atomic
def confirm_ranking(call: Call, *, by) -> Ranking:
    """Freeze the ranking: every seated expert must have scored; later score changes are refused."""
    ensure_bureau(by)
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if Ranking.objects.filter(call=locked).exists():
        raise Conflict("本批次的评审排名已确认。", code="state")
    unpanelled = [
        a.consortium_name
        for a in Application.objects.filter(call=locked, status=Status.UNDER_REVIEW, assignments__isnull=True)
    ]
    if unpanelled:
        raise Conflict("以下申报书尚未抽取评审专家：" + "、".join(unpanelled) + "。", code="incomplete")
    rows = compute_ranking(locked)
    if not rows:
        raise Conflict("尚无可排名的申报书。", code="state")
    # A panel left below the call's minimum (drawn small, or a recusal nobody could replace) cannot
    # carry a ranking: the score would rest on fewer experts than the call promised.
    short = [f"{r.name}（现有{r.panel}人）" for r in rows if r.panel < locked.panel_min_size]
    if short:
        raise Conflict(
            f"以下申报书的评审专家组少于本批次要求的最少{locked.panel_min_size}人，不能确认排名："
            + "、".join(short)
            + "。请在申报书页面补抽空缺席位并完成评分后再确认。",
            code="panel_too_small",
        )
    waiting = [r.name for r in rows if r.scores < r.panel or r.panel == 0]
    if waiting:
        raise Conflict("以下申报书尚有专家未提交评分：" + "、".join(waiting) + "。", code="incomplete")
    reopened_ids = (
        Score.objects.filter(assignment__application__call=locked, reopened=True)
        .exclude(assignment__status__in=GONE)
        .values("assignment__application_id")
    )
    reopened = [a.consortium_name for a in Application.objects.filter(pk__in=reopened_ids).order_by("pk")]
    if reopened:
        raise Conflict(
            "以下申报书有退回修改的评分，专家尚未重新提交：" + "、".join(reopened) + "。", code="incomplete"
        )
    data = [asdict(r) for r in rows]
    ranking = Ranking.objects.create(call=locked, rows=data, content_hash=content_hash(data), confirmed_by=by)
    audit.record("review.ranking_confirm", actor=by, obj=locked, detail={"hash": ranking.content_hash})
    return ranking


def _ranking_confirmed(application: Application, user) -> str | None:
    ranking = Ranking.objects.filter(call_id=application.call_id).first()
    if ranking is None:
        return "评审排名尚未确认。"
    if application.pk not in {row["application_id"] for row in ranking.rows}:
        return "该申报书不在已确认的评审排名中。"
    return None


register_guard("ranking_confirmed", _ranking_confirmed)


def get_call_for(user, pk) -> Call:
    ensure_bureau(user)
    try:
        return Call.objects.get(pk=pk)
    except (Call.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
