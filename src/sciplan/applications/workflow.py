"""The application workflow: its states, its actions and the one function that changes a state.

Read the table top to bottom and you have read the procedure of the notice (SPEC §6):

* ``(state, action) → (next state, roles who may, deadline stage, reason required, guards)``
* :func:`transition` is the only code that writes ``Application.status``. It locks the row, checks the
  table, the role, the caller's relation to the application (their own unit, their own jurisdiction),
  the deadline and the guards, writes the state, appends one :class:`StatusEvent` and one audit event,
  and queues notifications to be sent after commit.

Guards that belong to later stages (the recommendation letter at intake, the ranking before a proposal)
are registered by the apps that own them, by name; a guard named in the table but not registered
refuses the action (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models, transaction

from sciplan.accounts.roles import Role

if TYPE_CHECKING:
    from sciplan.applications.models import Application


class Status(models.TextChoices):
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交，待推荐单位受理"
    RETURNED = "returned", "退回修改"
    ACCEPTED = "accepted", "推荐单位已受理"
    AWAITING_FINANCE = "awaiting_finance", "待财政部门确认"
    RECOMMENDED = "recommended", "已推荐"
    NOT_RECOMMENDED = "not_recommended", "不予推荐"
    WITHDRAWN = "withdrawn", "已撤回"
    CORRECTION = "correction", "形式审查补正"
    FORMAL_REVIEW_FAILED = "formal_review_failed", "形式审查不通过"
    UNDER_REVIEW = "under_review", "评审中"
    PROPOSED = "proposed", "拟认定"
    IN_PUBLIC_NOTICE = "in_public_notice", "公示中"
    RECOGNIZED = "recognized", "已认定"
    NOT_RECOGNIZED = "not_recognized", "未认定"
    REVOKED = "revoked", "已撤销认定"


class Action(models.TextChoices):
    SUBMIT = "submit", "提交"
    WITHDRAW = "withdraw", "撤回"
    ACCEPT = "accept", "受理"
    RETURN = "return", "退回修改"
    RECOMMEND = "recommend", "推荐"
    DECLINE = "decline", "不予推荐"
    FINANCE_CONFIRM = "finance_confirm", "财政部门确认推荐"
    FINANCE_REFUSE = "finance_refuse", "财政部门不同意推荐"
    FORMAL_PASS = "formal_pass", "形式审查通过"
    FORMAL_FAIL = "formal_fail", "形式审查不通过"
    FORMAL_RETURN = "formal_return", "退回补正"
    SUBMIT_CORRECTION = "submit_correction", "提交补正材料"
    PROPOSE = "propose", "列入拟认定名单"
    UNPROPOSE = "unpropose", "移出拟认定名单"
    REJECT = "reject", "不予认定"
    PUBLISH = "publish", "开始公示"
    UPHOLD_OBJECTION = "uphold_objection", "异议成立"
    RECOGNIZE = "recognize", "认定"
    REVOKE = "revoke", "撤销认定"


# States in which the applicant can still edit the form.
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED, Status.CORRECTION})
# States the recommender and the bureau never see: nothing has been submitted yet.
PRIVATE_TO_APPLICANT = frozenset({Status.DRAFT})
FINAL = frozenset(
    {
        Status.NOT_RECOMMENDED,
        Status.WITHDRAWN,
        Status.FORMAL_REVIEW_FAILED,
        Status.NOT_RECOGNIZED,
        Status.REVOKED,
    }
)

APPLY, RECOMMEND, CORRECTION = "apply", "recommend", "correction"  # deadline stages (calls.models.Stage)


@dataclass(frozen=True)
class Transition:
    to: Status
    roles: frozenset[str]
    deadline: str | None = None
    reason_required: bool = False
    guards: tuple[str, ...] = ()
    # Where the recommender is a county, a recommendation waits for the finance department first.
    to_when_cosign: Status | None = None


def _t(to, roles, **kw) -> Transition:
    return Transition(to=to, roles=frozenset(roles), **kw)


S, A, R = Status, Action, Role
TABLE: dict[tuple[Status, Action], Transition] = {
    # The applicant
    (S.DRAFT, A.SUBMIT): _t(S.SUBMITTED, {R.APPLICANT}, deadline=APPLY, guards=("unit_approved", "eligible")),
    (S.RETURNED, A.SUBMIT): _t(
        S.SUBMITTED, {R.APPLICANT}, deadline=APPLY, guards=("unit_approved", "eligible")
    ),
    (S.SUBMITTED, A.WITHDRAW): _t(S.WITHDRAWN, {R.APPLICANT}),
    (S.RETURNED, A.WITHDRAW): _t(S.WITHDRAWN, {R.APPLICANT}),
    (S.CORRECTION, A.SUBMIT_CORRECTION): _t(
        S.RECOMMENDED, {R.APPLICANT}, deadline=CORRECTION, guards=("eligible",)
    ),
    # The recommending unit (county S&T department or park), and the county's finance department
    (S.SUBMITTED, A.ACCEPT): _t(S.ACCEPTED, {R.RECOMMENDER}, deadline=RECOMMEND),
    (S.SUBMITTED, A.RETURN): _t(S.RETURNED, {R.RECOMMENDER}, deadline=RECOMMEND, reason_required=True),
    (S.ACCEPTED, A.RETURN): _t(S.RETURNED, {R.RECOMMENDER}, deadline=RECOMMEND, reason_required=True),
    (S.ACCEPTED, A.RECOMMEND): _t(
        S.RECOMMENDED,
        {R.RECOMMENDER},
        deadline=RECOMMEND,
        guards=("credit_checked",),
        to_when_cosign=S.AWAITING_FINANCE,
    ),
    (S.ACCEPTED, A.DECLINE): _t(S.NOT_RECOMMENDED, {R.RECOMMENDER}, deadline=RECOMMEND, reason_required=True),
    (S.AWAITING_FINANCE, A.FINANCE_CONFIRM): _t(S.RECOMMENDED, {R.FINANCE}, deadline=RECOMMEND),
    (S.AWAITING_FINANCE, A.FINANCE_REFUSE): _t(
        S.ACCEPTED, {R.FINANCE}, deadline=RECOMMEND, reason_required=True
    ),
    # The bureau: formal review
    (S.RECOMMENDED, A.FORMAL_PASS): _t(S.UNDER_REVIEW, {R.BUREAU}, guards=("intake_complete",)),
    (S.RECOMMENDED, A.FORMAL_FAIL): _t(S.FORMAL_REVIEW_FAILED, {R.BUREAU}, reason_required=True),
    (S.RECOMMENDED, A.FORMAL_RETURN): _t(S.CORRECTION, {R.BUREAU}, reason_required=True),
    # The bureau: decision, public notice, recognition
    (S.UNDER_REVIEW, A.PROPOSE): _t(S.PROPOSED, {R.BUREAU}, guards=("ranking_confirmed",)),
    (S.UNDER_REVIEW, A.REJECT): _t(
        S.NOT_RECOGNIZED, {R.BUREAU}, reason_required=True, guards=("ranking_confirmed",)
    ),
    (S.PROPOSED, A.UNPROPOSE): _t(S.UNDER_REVIEW, {R.BUREAU}, reason_required=True),
    (S.PROPOSED, A.PUBLISH): _t(S.IN_PUBLIC_NOTICE, {R.BUREAU}),
    (S.IN_PUBLIC_NOTICE, A.UPHOLD_OBJECTION): _t(S.NOT_RECOGNIZED, {R.BUREAU}, reason_required=True),
    (S.IN_PUBLIC_NOTICE, A.REJECT): _t(S.NOT_RECOGNIZED, {R.BUREAU}, reason_required=True),
    (S.IN_PUBLIC_NOTICE, A.RECOGNIZE): _t(S.RECOGNIZED, {R.BUREAU}, guards=("public_notice_ended",)),
    (S.RECOGNIZED, A.REVOKE): _t(S.REVOKED, {R.BUREAU}, reason_required=True),
}

# Actions a repeated request must not repeat: a second submit of an already submitted application
# answers with the first submission instead of an error (double click, retry, ten concurrent requests).
IDEMPOTENT_BY_STATE = {A.SUBMIT: S.SUBMITTED, A.SUBMIT_CORRECTION: S.RECOMMENDED}

GuardFn = Callable[["Application", object], str | None]
GUARDS: dict[str, GuardFn] = {}


def register_guard(name: str, fn: GuardFn) -> None:
    """Register a guard: ``fn(application, user)`` returns ``None`` when allowed, else the reason."""
    GUARDS[name] = fn


def actions_for(status: str, role: str) -> list[Action]:
    return [action for (state, action), t in TABLE.items() if state == status and role in t.roles]


def target_of(application: Application, t: Transition) -> Status:
    if t.to_when_cosign is not None and application.recommender.needs_finance_cosign:
        return t.to_when_cosign
    return t.to


@dataclass
class Refusal:
    message: str
    status: int  # 404: may not see it at all; 403: may see, may not act; 409: wrong state or too late
    code: str = "state"  # the API's error code for a 409: "state", or "deadline_passed" when too late


def check(
    application: Application, action: str, *, by, reason: str = "", at: datetime | None = None
) -> Refusal | None:
    """Why ``by`` may not do ``action`` now, or ``None``. Read-only: the UI uses it to explain buttons."""
    from sciplan.applications.permissions import can_view, relates_to
    from sciplan.calls.deadlines import ensure_open
    from sciplan.core.errors import DeadlinePassed

    if not can_view(by, application):
        return Refusal("未找到，或您无权查看。", 404)
    t = TABLE.get((Status(application.status), Action(action)))
    if t is None:
        label = Action(action).label if action in Action.values else action
        return Refusal(f"当前状态为“{Status(application.status).label}”，不能执行“{label}”。", 409)
    if by.role not in t.roles or not relates_to(by, application):
        return Refusal(f"您的角色不能执行“{Action(action).label}”。", 403)
    if t.reason_required and not (reason or "").strip():
        return Refusal(f"“{Action(action).label}”须填写理由。", 400)
    try:
        if t.deadline == APPLY:
            ensure_open(application.call, APPLY, unit=application.lead_unit, at=at)
        elif t.deadline == RECOMMEND:
            ensure_open(application.call, RECOMMEND, recommender=application.recommender, at=at)
        elif t.deadline == CORRECTION:
            from sciplan.core import clock

            moment = at or clock.now()
            if application.correction_deadline and moment >= application.correction_deadline:
                return Refusal(
                    f"补正已于{clock.fmt(application.correction_deadline)}截止，服务器时间为{clock.fmt(moment)}。",
                    409,
                    DeadlinePassed.code,
                )
    except DeadlinePassed as exc:
        return Refusal(exc.message, 409, exc.code)
    for name in t.guards:
        guard = GUARDS.get(name)
        if guard is None:
            return Refusal(f"系统未配置检查项“{name}”，操作已拒绝。", 409)
        message = guard(application, by)
        if message:
            return Refusal(message, 409)
    return None


def transition(
    application: Application,
    action: str,
    *,
    by,
    reason: str = "",
    idempotency_key: str | None = None,
    version_number: int | None = None,
    at: datetime | None = None,
    ip: str | None = None,
) -> Application:
    """Move ``application`` by ``action``. The only writer of ``Application.status``.

    Raises a :class:`~sciplan.core.errors.DomainError` (404, 403, 409, 400) and changes nothing when
    refused. Repeating a request with the same ``idempotency_key``, or repeating a submit that already
    took effect, returns the application unchanged and writes no second event.
    """
    from sciplan.applications.models import Application, StatusEvent
    from sciplan.core import audit, clock

    refusal: Refusal | None = None
    with transaction.atomic():
        # The row lock serialises concurrent actions on one application; everything below sees the
        # state as it is, not as it was when the request started.
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "recommender", "lead_unit")
            .get(pk=application.pk)
        )
        if _may_repeat(locked, action, by):
            if idempotency_key and locked.events.filter(idempotency_key=idempotency_key).exists():
                return locked
            if IDEMPOTENT_BY_STATE.get(Action(action)) == locked.status:
                last = locked.events.order_by("-at", "-id").first()
                if last is not None and last.action == action:
                    return locked
        moment = at or clock.now()
        refusal = check(locked, action, by=by, reason=reason, at=moment)
        if refusal is None:
            t = TABLE[(Status(locked.status), Action(action))]
            before = locked.status
            locked.status = target_of(locked, t)
            fields = ["status", "updated_at"]
            if action in (Action.SUBMIT, Action.SUBMIT_CORRECTION):
                locked.submitted_at = moment
                fields.append("submitted_at")
            locked.save(update_fields=fields)
            StatusEvent.objects.create(
                application=locked,
                action=action,
                from_status=before,
                to_status=locked.status,
                actor=by,
                actor_role=by.role,
                at=moment,
                reason=reason.strip(),
                version_number=version_number,
                idempotency_key=idempotency_key or None,
            )
            audit.record(
                f"application.{action}",
                actor=by,
                obj=locked,
                ip=ip,
                detail={"from": before, "to": locked.status, "reason": reason.strip()[:500]},
            )
            from sciplan.applications.notify import after_transition

            after_transition(
                locked, action=Action(action), before=Status(before), by=by, reason=reason.strip()
            )
    if refusal is not None:
        # Recorded outside the (rolled back) transaction so the refusal itself is never lost.
        audit.record(
            "application.refused",
            actor=by,
            obj=locked,
            outcome="refused",
            ip=ip,
            detail={"action": action, "status": locked.status, "message": refusal.message},
        )
        raise _error_for(refusal)
    application.status = locked.status
    application.submitted_at = locked.submitted_at
    return locked


def _may_repeat(application: Application, action: str, user) -> bool:
    """A repeat is answered as a success only for someone who could have done the action at all."""
    from sciplan.applications.permissions import can_view, relates_to

    roles = {role for (_, act), t in TABLE.items() if act == action for role in t.roles}
    return (
        getattr(user, "role", None) in roles and relates_to(user, application) and can_view(user, application)
    )


def _error_for(refusal: Refusal) -> Exception:
    from sciplan.core.errors import Conflict, DomainError, NotAllowed, NotFound

    if refusal.status == 404:
        return NotFound()
    if refusal.status == 403:
        return NotAllowed(refusal.message)
    if refusal.status == 409:
        return Conflict(refusal.message, code=refusal.code)
    return DomainError(refusal.message, field_errors={"reason": refusal.message})
