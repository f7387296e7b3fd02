"""Drawing expert panels, verifying a draw, and the expert's own declarations and recusals.

An expert sees an application only after declaring no conflict for it; a recusal removes them from
the panel and an automatic redraw (recorded like any draw) fills the seat.

No re-rolling: a panel is drawn once. Afterwards the bureau can only replace named seats, with a reason
from a fixed list and a written explanation (:func:`replace_seats`); the replaced seats and every draw
stay on record, and every expert ever seated is excluded from the application's later draws.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from sciplan.accounts.roles import Role
from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.calls import queries as call_queries
from sciplan.core import audit, clock
from sciplan.core.errors import Conflict, NotFound, ValidationFailed
from sciplan.core.notifications import notify
from sciplan.review import draws
from sciplan.review.models import (
    BUREAU_REDRAW_REASONS,
    GONE,
    Assignment,
    AssignmentStatus,
    AvoidEntry,
    Draw,
    DrawReason,
    Expert,
    Ranking,
    Score,
    ScoreReopening,
)
from sciplan.review.services import ensure_bureau

# What the expert agrees to by declaring no conflict; recorded word for word with the declaration.
COMMITMENT = (
    "本人承诺：本人及本人所在单位与该申报书的牵头单位和全部成员单位不存在任职、兼职、合作、"
    "隶属、投资或亲属关系等利益关系，未参与该申报书的编写；对申报材料和评审情况保密，"
    "不向任何单位或个人透露；独立、客观、公正地评分，不接受请托。如有违反，愿承担相应责任。"
)

MAX_PANEL = 15


class PanelShort(ValidationFailed):
    """The pool cannot fill the panel; ``shortfall`` counts why, ``field`` is the industry code drawn."""

    def __init__(self, exc: draws.PoolTooSmall, *, field: str):
        super().__init__(str(exc), field_errors={"size": str(exc)}, code="pool_too_small")
        self.shortfall = exc.shortfall
        self.field = field
        self.needed = exc.needed


def pool_snapshot() -> list[dict]:
    """Every expert with the attributes the draw rules read, ordered by id."""
    return [
        {
            "id": e["id"],
            "name": e["name"],
            "organisation": e["organisation"],
            "uscc": e["organisation_uscc"],
            "fields": sorted(e["fields"] or []),
            "active": e["active"],
            # An expert who cannot sign in could never declare or score: never drawn (SPEC §8).
            "account": e["user_id"] is not None and bool(e["user__is_active"]),
        }
        for e in Expert.objects.order_by("id").values(
            "id",
            "name",
            "organisation",
            "organisation_uscc",
            "fields",
            "active",
            "user_id",
            "user__is_active",
        )
    ]


def application_facts(application: Application) -> dict:
    """The facts about one application that decide conflicts, as recorded in a draw's snapshot."""
    units = [{"name": application.lead_unit.name, "uscc": application.lead_unit.uscc}]
    units += [{"name": m.name, "uscc": m.uscc} for m in application.members.order_by("id")]
    avoid = sorted(AvoidEntry.objects.filter(application=application).values_list("expert_id", flat=True))
    declared = sorted(
        Assignment.objects.filter(application=application, status=AssignmentStatus.RECUSED).values_list(
            "expert_id", flat=True
        )
    )
    return {"id": application.pk, "units": units, "avoid": avoid, "declared": declared}


def _field_of(applications: Sequence[Application]) -> str:
    fields = {a.industry.code if a.industry_id else "" for a in applications}
    if "" in fields:
        raise ValidationFailed("申报书未填写所属产业，无法按领域抽取专家。")
    if len(fields) != 1:
        raise ValidationFailed(
            "同组抽取的申报书须属于同一领域。", field_errors={"applications": "所选申报书不属于同一领域。"}
        )
    return fields.pop()


def _record(applications, *, field, size, seed, taken, by, redraw_reason="", reason_code="") -> Draw:
    snapshot = {
        "field": field,
        "pool": pool_snapshot(),
        "applications": [application_facts(a) for a in applications],
        "taken": sorted(taken),
    }
    try:
        result = draws.run(snapshot, seed=seed, size=size)
    except draws.PoolTooSmall as exc:
        raise PanelShort(exc, field=field) from None
    draw = Draw.objects.create(
        call=applications[0].call,
        field=field,
        size=size,
        seed=seed,
        snapshot=snapshot,
        snapshot_hash=draws.snapshot_hash(snapshot),
        result=result,
        is_redraw=bool(redraw_reason),
        reason=redraw_reason[:300],
        reason_code=reason_code,
        drawn_by=by,
    )
    Assignment.objects.bulk_create(
        [
            Assignment(draw=draw, application=a, expert_id=expert_id)
            for a in applications
            for expert_id in result
        ]
    )
    audit.record(
        "review.redraw" if redraw_reason else "review.draw",
        actor=by,
        obj=draw,
        detail={
            "applications": [a.pk for a in applications],
            "seed": seed,
            "result": result,
            "reason_code": reason_code,
            "reason": redraw_reason[:300],
        },
    )
    _tell_drawn(draw, applications)
    return draw


def _tell_drawn(draw: Draw, applications) -> None:
    """Each drawn expert is told at once (in-app message and e-mail): the declaration is waiting."""
    names = "、".join(a.consortium_name for a in applications)
    users = [e.user for e in Expert.objects.filter(pk__in=draw.result).select_related("user")]
    notify(
        users,
        subject="您被抽取为创新联合体申报书评审专家",
        body=f"您被抽取为以下申报书的评审专家：{names}。请登录系统，先声明是否存在利益冲突，再进行评审。",
        link=reverse("review:assignments"),
    )


def draw_panel(application_ids: Sequence[int], *, size: int, by, seed: str | None = None) -> Draw:
    """Draw one panel of ``size`` experts for one application or a group in one field."""
    ensure_bureau(by)
    if not application_ids:
        raise ValidationFailed("请选择申报书。", field_errors={"applications": "请选择申报书。"})
    if not 1 <= int(size) <= MAX_PANEL:
        raise ValidationFailed("抽取人数有误。", field_errors={"size": f"抽取人数应为1至{MAX_PANEL}人。"})
    with transaction.atomic():
        # Locking the applications serialises two bureau users drawing for the same one.
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "lead_unit", "industry")
            .filter(pk__in=list(application_ids))
            .exclude(status=Status.DRAFT)
            .order_by("pk")
        )
        if len(applications) != len(set(application_ids)):
            raise NotFound()
        if len({a.call_id for a in applications}) != 1:
            raise ValidationFailed("同组抽取的申报书须属于同一批次。")
        for a in applications:
            if a.status != Status.UNDER_REVIEW:
                raise Conflict(f"“{a.consortium_name}”尚未通过形式审查，不能抽取专家。", code="state")
            if a.assignments.exists():
                # Drawing again would let anyone re-roll until a panel suits them: seats are replaced
                # one by one, with a recorded reason, through replace_seats.
                raise Conflict(
                    f"“{a.consortium_name}”已抽取评审专家，不能重新抽取。如需更换专家，"
                    "请在该申报书的评审组页面选择要替换的专家并说明原因。",
                    code="state",
                )
        field = _field_of(applications)
        seed = (seed or "").strip() or secrets.token_hex(8)
        return _record(applications, field=field, size=int(size), seed=seed[:40], taken=[], by=by)


def verify_draw(draw: Draw, *, by) -> draws.Verification:
    """Re-run the draw from its record alone; anyone with the record gets the same answer."""
    ensure_draw_reader(by)
    outcome = draws.verify(
        snapshot=draw.snapshot,
        seed=draw.seed,
        size=draw.size,
        result=draw.result,
        recorded_hash=draw.snapshot_hash,
    )
    audit.record("review.draw_verify", actor=by, obj=draw, detail={"ok": outcome.ok})
    return outcome


def ensure_draw_reader(user) -> None:
    """Bureau staff and the audit viewer read the draw records; anyone else gets 404."""
    if getattr(user, "role", None) not in (Role.BUREAU, Role.AUDITOR) or not user.is_active:
        raise NotFound()


def draws_for(user, call_id: int, *, application_id: int | None = None) -> list[Draw]:
    """Every recorded draw of a call (bureau and audit viewer), newest first; with ``application_id``,
    those that seated experts on that application. Every draw seats its whole result on each application
    it names and seats are never deleted, so replaced draws are included and no draw disappears."""
    ensure_draw_reader(user)
    call = call_queries.get_call_for(user, call_id)
    records = Draw.objects.filter(call=call).select_related("drawn_by").prefetch_related("assignments")
    if application_id is not None:
        records = records.filter(
            pk__in=Assignment.objects.filter(application_id=application_id).values("draw_id")
        )
    return list(records)


def get_draw_for(user, pk) -> Draw:
    ensure_draw_reader(user)
    try:
        return Draw.objects.get(pk=pk)
    except (Draw.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


@transaction.atomic
def add_avoid(application: Application, expert: Expert, *, reason: str, by) -> AvoidEntry:
    ensure_bureau(by)
    entry, _ = AvoidEntry.objects.get_or_create(
        application=application, expert=expert, defaults={"reason": reason.strip()[:300], "recorded_by": by}
    )
    audit.record("review.avoid", actor=by, obj=application, detail={"expert": expert.pk})
    return entry


def seat_ids(application: Application, expert_ids: Sequence[int]) -> list[int]:
    """The current seats of ``expert_ids`` on the application's panel; an expert not on it is refused."""
    found = dict(
        Assignment.objects.filter(application=application, expert_id__in=list(expert_ids))
        .exclude(status__in=GONE)
        .values_list("expert_id", "pk")
    )
    missing = [str(e) for e in expert_ids if e not in found]
    if missing:
        message = f"专家（编号{'、'.join(missing)}）不在当前评审组中。"
        raise ValidationFailed(message, field_errors={"seats": message})
    return [found[e] for e in expert_ids]


def replace_seats(
    application: Application, *, assignment_ids: Sequence[int], reason_code: str, reason: str, by
) -> Draw:
    """Replace named seats of a drawn panel: the only way to draw again for a panel that exists.

    ``reason_code`` is one of :data:`BUREAU_REDRAW_REASONS` and ``reason`` explains it. The replaced
    seats stay on record as 已被替换 (pointing at the draw that replaced them), their experts are told
    and are never drawn again for this application. A seat whose expert has submitted a score cannot
    be replaced (the bureau reopens the score instead), so no score can be drawn away. A pool too small
    changes nothing."""
    ensure_bureau(by)
    errors: dict[str, str] = {}
    if reason_code not in BUREAU_REDRAW_REASONS:
        errors["reason_code"] = "请选择重新抽取的原因。"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请写明具体情况（如哪位专家、因何回避或无法联系）。"
    elif len(reason) > 250:
        errors["reason"] = "具体情况不能超过250字。"
    ids = {int(i) for i in assignment_ids}
    if not ids:
        errors["seats"] = "请勾选要替换的专家。"
    if errors:
        raise ValidationFailed("重新抽取的信息不完整，请按提示填写。", field_errors=errors)
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "lead_unit", "industry")
            .get(pk=application.pk)
        )
        if Ranking.objects.filter(call_id=locked.call_id).exists():
            raise Conflict("评审排名已确认，评审组不能再更换专家。", code="ranking_confirmed")
        if locked.status != Status.UNDER_REVIEW:
            raise Conflict("该申报书不在评审阶段，不能更换评审专家。", code="state")
        seats = list(
            Assignment.objects.select_for_update(of=("self",))
            .filter(application=locked, pk__in=ids)
            .exclude(status__in=GONE)
            .select_related("expert__user", "draw")
        )
        if len(seats) != len(ids):
            raise ValidationFailed(
                "所选专家不在当前评审组中，请刷新页面后重新选择。",
                field_errors={"seats": "所选专家不在当前评审组中，请刷新页面后重新选择。"},
            )
        scored = [s.expert.name for s in seats if Score.objects.filter(assignment=s).exists()]
        if scored:
            message = "、".join(scored) + "已提交评分，不能替换；如评分需要修改，请退回该专家的评分。"
            raise ValidationFailed(message, field_errors={"seats": message})
        taken = list(Assignment.objects.filter(application=locked).values_list("expert_id", flat=True))
        label = DrawReason(reason_code).label
        names = "、".join(f"{s.expert.name}（编号{s.expert_id}）" for s in seats)
        draw = _record(
            [locked],
            field=seats[0].draw.field,
            size=len(seats),
            seed=secrets.token_hex(8),
            taken=taken,
            by=by,
            redraw_reason=f"{label}：{reason}（替换{names}）",
            reason_code=reason_code,
        )
        Assignment.objects.filter(pk__in=[s.pk for s in seats]).update(
            status=AssignmentStatus.REPLACED, replaced_by_draw=draw
        )
        audit.record(
            "review.seats_replace",
            actor=by,
            obj=locked,
            detail={
                "draw": draw.pk,
                "reason_code": reason_code,
                "reason": reason,
                "replaced": [s.expert_id for s in seats],
            },
        )
        notify(
            [s.expert.user for s in seats],
            subject="评审任务已取消",
            body=f"市科技局已更换“{locked.consortium_name}”评审组的专家，您无需再评审该申报书。原因：{label}。",
            link=reverse("review:assignments"),
        )
    return draw


# --- the expert's side ------------------------------------------------------------------------------


# States in which an application has a panel: formal review passed, and everything after it. A seat on
# an application in any other state (sent back, withdrawn …) opens nothing.
REVIEW_STATES = frozenset(
    {
        Status.UNDER_REVIEW,
        Status.PROPOSED,
        Status.IN_PUBLIC_NOTICE,
        Status.RECOGNIZED,
        Status.NOT_RECOGNIZED,
        Status.REVOKED,
    }
)


def seat_conflict(assignment: Assignment, *, avoided: bool | None = None) -> str | None:
    """Why the seated expert may not review the application now, or ``None``: on its avoid list, or
    working at the lead unit or a member. The draw never seats such an expert, but an avoid entry or a
    corrected organisation can be recorded after the draw; the seat then opens nothing. ``avoided``
    may be passed when the caller has read the avoid list already."""
    expert = assignment.expert
    application = assignment.application
    if avoided is None:
        avoided = AvoidEntry.objects.filter(application_id=application.pk, expert_id=expert.pk).exists()
    facts = {
        "units": [{"name": application.lead_unit.name, "uscc": application.lead_unit.uscc}]
        + [{"name": m.name, "uscc": m.uscc} for m in application.members.all()],
        "avoid": [expert.pk] if avoided else [],
    }
    return draws.conflict_reason(
        {"id": expert.pk, "organisation": expert.organisation, "uscc": expert.organisation_uscc}, facts
    )


def _live_seats(user, application_id: int | None = None) -> list[Assignment]:
    """The user's seats that may open their application: not recused, the application under review
    or later, no conflict recorded since the draw."""
    seats = Assignment.objects.filter(expert__user_id=user.pk, application__status__in=REVIEW_STATES)
    if application_id is not None:
        seats = seats.filter(application_id=application_id)
    seats = (
        seats.exclude(status=AssignmentStatus.RECUSED)
        .select_related("expert", "application__lead_unit")
        .prefetch_related("application__members")
    )
    avoided = set(
        AvoidEntry.objects.filter(expert__user_id=user.pk).values_list("application_id", "expert_id")
    )
    return [
        seat
        for seat in seats
        if seat_conflict(seat, avoided=(seat.application_id, seat.expert_id) in avoided) is None
    ]


def expert_scope(user) -> Q:
    """An expert sees an application only through a live seat they declared no conflict for. The
    seats are few (a panel's worth per call), so the conflict rules run in Python, exactly as the draw
    runs them."""
    if not getattr(user, "pk", None):
        return Q(pk__in=[])
    ids = [seat.application_id for seat in _live_seats(user) if seat.status == AssignmentStatus.ACTIVE]
    return Q(pk__in=ids)


def assignments_for(user):
    if getattr(user, "role", None) != Role.EXPERT:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(expert__user_id=user.pk)
        .select_related(
            "application", "application__lead_unit", "application__call", "application__industry", "score"
        )
        .order_by("status", "-created_at")
    )


def get_assignment_for(user, application_id) -> Assignment:
    """The user's own live seat on the application's panel, or 404: a recused seat, a seat on an
    application not under review, or one with a conflict recorded since the draw acts on nothing."""
    if getattr(user, "role", None) != Role.EXPERT:
        raise NotFound()
    try:
        pk = int(application_id)
    except (ValueError, TypeError):
        raise NotFound() from None
    seats = _live_seats(user, pk)
    if not seats:
        raise NotFound()
    return assignments_for(user).get(pk=seats[0].pk)


def declare(assignment: Assignment, *, conflict: bool, reason: str = "", by) -> Assignment:
    """Declare no conflict (the application opens) or a conflict (recusal, then a redraw)."""
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.expert.user_id != by.pk:
            raise NotFound()
        if locked.status == AssignmentStatus.RECUSED:
            raise Conflict("您已回避该申报书。", code="state")
        if locked.status == AssignmentStatus.REPLACED:
            raise Conflict("该评审任务已取消（评审组已更换专家）。", code="state")
        if not conflict and seat_conflict(locked) is not None:
            raise NotFound()  # a conflict recorded since the draw: the seat opens nothing
        if Score.objects.filter(assignment=locked).exists():
            raise Conflict("已提交评分，不能再回避。", code="state")
        if not conflict:
            if locked.status == AssignmentStatus.ACTIVE:
                return locked
            locked.status = AssignmentStatus.ACTIVE
            locked.declared_at = clock.now()
            locked.save(update_fields=["status", "declared_at"])
            audit.record(
                "review.no_conflict", actor=by, obj=locked.application, detail={"commitment": COMMITMENT}
            )
            return locked
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed("请说明回避原因。", field_errors={"reason": "请说明回避原因。"})
        locked.status = AssignmentStatus.RECUSED
        locked.declared_at = clock.now()
        locked.recusal_reason = reason[:300]
        locked.save(update_fields=["status", "declared_at", "recusal_reason"])
        audit.record("review.recuse", actor=by, obj=locked.application, detail={"reason": reason[:300]})
    _redraw_seat(locked, by=by)
    return locked


def vacancies(application: Application) -> int:
    """Seats of the application's panel left empty: a recusal whose redraw found nobody, or a panel
    drawn smaller than the call's minimum (``Call.panel_min_size``), which the ranking needs."""
    first = Draw.objects.filter(assignments__application=application, is_redraw=False).order_by("pk").first()
    if first is None:
        return 0
    seated = Assignment.objects.filter(application=application).exclude(status__in=GONE).count()
    return max(max(first.size, application.call.panel_min_size) - seated, 0)


def fill_vacancies(application: Application, *, by) -> Draw:
    """The bureau fills empty seats once the pool has grown; recorded like any draw."""
    ensure_bureau(by)
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "lead_unit", "industry")
            .get(pk=application.pk)
        )
        missing = vacancies(locked)
        if not missing:
            raise Conflict("评审组没有空缺席位。", code="state")
        field = (
            Draw.objects.filter(assignments__application=locked)
            .order_by("pk")
            .values_list("field", flat=True)[0]
        )
        taken = list(Assignment.objects.filter(application=locked).values_list("expert_id", flat=True))
        return _record(
            [locked],
            field=field,
            size=missing,
            seed=secrets.token_hex(8),
            taken=taken,
            by=by,
            redraw_reason="空缺席位补抽",
            reason_code=DrawReason.VACANCY,
        )


def _redraw_seat(recused: Assignment, *, by) -> Draw | None:
    """Fill the seat left by a recusal. A pool too small leaves the seat empty and says so in the log."""
    application = Application.objects.select_related("call", "lead_unit", "industry").get(
        pk=recused.application_id
    )
    taken = list(Assignment.objects.filter(application=application).values_list("expert_id", flat=True))
    try:
        with transaction.atomic():
            return _record(
                [application],
                field=recused.draw.field,
                size=1,
                seed=secrets.token_hex(8),
                taken=taken,
                by=by,
                redraw_reason=f"专家回避补抽（原专家编号{recused.expert_id}）",
                reason_code=DrawReason.SELF_RECUSAL,
            )
    except ValidationFailed as exc:
        audit.record(
            "review.redraw_failed",
            actor=by,
            obj=application,
            outcome="failed",
            detail={"message": exc.message},
        )
        return None


# --- the record of an application's panel ------------------------------------------------------------


@dataclass
class DrawRow:
    draw: Draw
    seated: list[Assignment]
    field_name: str = ""


@dataclass
class PanelRecord:
    """Everything that happened to one application's panel, for the bureau and the audit viewer."""

    application: Application
    seats: list[Assignment]
    draws: list[DrawRow]
    reopenings: list[ScoreReopening]


def panel_record(user, application_id) -> PanelRecord:
    """The seats (current and replaced, with scores), every draw that seated anyone on the application
    (oldest first) and every reopened score. Bureau staff and the audit viewer only; else 404."""
    ensure_draw_reader(user)
    try:
        application = (
            Application.objects.select_related("call", "lead_unit", "industry")
            .exclude(status=Status.DRAFT)
            .get(pk=application_id)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    seats = list(
        Assignment.objects.filter(application=application)
        .select_related("expert", "draw", "replaced_by_draw", "score")
        .order_by("id")
    )
    records = list(
        Draw.objects.filter(pk__in=Assignment.objects.filter(application=application).values("draw_id"))
        .select_related("drawn_by")
        .order_by("drawn_at", "pk")
    )
    rows = [DrawRow(record, [s for s in seats if s.draw_id == record.pk]) for record in records]
    reopenings = list(
        ScoreReopening.objects.filter(score__assignment__application=application)
        .select_related("score__assignment__expert", "reopened_by")
        .order_by("reopened_at", "pk")
    )
    return PanelRecord(application, seats, rows, reopenings)
