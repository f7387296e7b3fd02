"""Writes of recommending units: decisions with their rank, the finance co-signature, letters, credit
checks. Every state change goes through ``applications.workflow.transition``; the handlers registered
here with ``applications.actions.register_action`` are what both the pages and the API run.
"""

from __future__ import annotations

from datetime import date
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from sciplan.accounts.roles import Role
from sciplan.applications import actions, permissions
from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.workflow import Action, Status, check, register_guard, transition
from sciplan.calls.deadlines import ensure_open
from sciplan.calls.models import Call, Recommender, Stage
from sciplan.core import audit, clock, filetypes, storage
from sciplan.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from sciplan.recommendations import queries
from sciplan.recommendations.models import CreditCheck, CreditSource, Recommendation, RecommendationLetter

OPINION_MAX = 1000
LETTER_TYPES = ("pdf", "jpeg", "png")
# Ranks are moved out of the way before renumbering so the unique (call, recommender, rank) constraint
# holds after every single UPDATE statement, on every database.
_RANK_PARKING = 100_000


# --- the credit_checked guard ----------------------------------------------------------------------


def _credit_guard(application: Application, user) -> str | None:
    return queries.credit_status(queries.credit_checks_of(application))


register_guard("credit_checked", _credit_guard)


# --- ranks --------------------------------------------------------------------------------------------


def _lock_recommender(recommender_id: int) -> None:
    """Serialise rank changes of one recommender (two officials recommending at the same moment)."""
    Recommender.objects.select_for_update().filter(pk=recommender_id).first()


def _renumber(ordered: list[Recommendation]) -> None:
    """Give ``ordered`` the ranks 1..n, in that order."""
    if not ordered:
        return
    Recommendation.objects.filter(pk__in=[r.pk for r in ordered]).update(rank=F("rank") + _RANK_PARKING)
    for index, rec in enumerate(ordered, start=1):
        Recommendation.objects.filter(pk=rec.pk).update(rank=index)
        rec.rank = index


def clean_rank(raw: Any) -> int | None:
    """The rank as typed (blank: after the others); ``ValidationFailed`` beside the field otherwise."""
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ValidationFailed(
            "推荐排序应为正整数。", field_errors={"rank": "推荐排序应为正整数，如 1、2、3。"}
        )
    return value


def _place(ordered: list[Recommendation], rec: Recommendation, rank: int | None) -> list[Recommendation]:
    """``ordered`` without ``rec``, then ``rec`` put at ``rank`` (clamped; ``None`` = last)."""
    others = [r for r in ordered if r.pk != rec.pk]
    position = len(others) if rank is None else min(max(rank, 1), len(others) + 1) - 1
    return [*others[:position], rec, *others[position:]]


# --- the action handlers ----------------------------------------------------------------------------


def _already_done(application: Application, idempotency_key: str | None) -> bool:
    return (
        bool(idempotency_key)
        and StatusEvent.objects.filter(
            application_id=application.pk, idempotency_key=idempotency_key
        ).exists()
    )


def _run(
    application: Application, action: str, after, *, by, reason: str, idempotency_key, ip
) -> Application:
    """Transition and do ``after(app)`` in one transaction, under the recommender's lock.

    A refusal is caught inside the transaction so the refusal's audit event (written by ``transition``)
    commits, then re-raised: the state and the ranks stay untouched.
    """
    if not permissions.can_view(by, application):
        raise NotFound()
    refusal: DomainError | None = None
    with transaction.atomic():
        _lock_recommender(application.recommender_id)
        if _already_done(application, idempotency_key):
            return Application.objects.get(pk=application.pk)
        try:
            moved = transition(
                application, action, by=by, reason=reason, idempotency_key=idempotency_key, ip=ip
            )
        except DomainError as exc:
            refusal = exc
        else:
            after(moved)
    if refusal is not None:
        raise refusal
    return Application.objects.get(pk=application.pk)


def recommend(
    application: Application,
    *,
    by,
    opinion: str,
    rank: Any = None,
    idempotency_key: str | None = None,
    ip: str | None = None,
) -> Application:
    """推荐: the transition (to awaiting_finance for a county), the opinion, and the rank among this
    recommender's recommendations in the call; ranks at or after it move down by one."""
    if not permissions.can_view(by, application):
        raise NotFound()
    refusal = check(application, Action.RECOMMEND, by=by, reason="-")
    if refusal is not None and refusal.status == 403:
        # A role that may not recommend at all hears that, not a complaint about the opinion text;
        # the transition raises and audits the refusal.
        return _run(
            application, Action.RECOMMEND, lambda app: None, by=by, reason="-", idempotency_key=None, ip=ip
        )
    opinion = (opinion or "").strip()
    errors: dict[str, str] = {}
    if not opinion:
        errors["opinion"] = "请填写推荐意见。"
    elif len(opinion) > OPINION_MAX:
        errors["opinion"] = f"推荐意见不能超过{OPINION_MAX}字，当前{len(opinion)}字。"
    try:
        wanted = clean_rank(rank)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
        wanted = None
    if errors:
        raise ValidationFailed("推荐信息填写有误，请按提示修改。", field_errors=errors)

    def after(app: Application) -> None:
        Recommendation.objects.filter(application=app).delete()  # a stale one from an earlier round
        existing = queries.ranked(app.call_id, app.recommender_id)
        rec = Recommendation.objects.create(
            application=app,
            call_id=app.call_id,
            recommender_id=app.recommender_id,
            opinion=opinion,
            rank=_RANK_PARKING * 2 + len(existing) + 1,
            recommended_by=by,
            recommended_at=clock.now(),
        )
        _renumber(_place(existing, rec, wanted))
        audit.record("recommendation.rank", actor=by, obj=rec, ip=ip, detail={"rank": rec.rank})

    return _run(
        application, Action.RECOMMEND, after, by=by, reason=opinion, idempotency_key=idempotency_key, ip=ip
    )


def finance_confirm(
    application: Application,
    *,
    by,
    reason: str = "",
    idempotency_key: str | None = None,
    ip: str | None = None,
) -> Application:
    """The county finance department co-signs: the recommendation takes effect."""

    def after(app: Application) -> None:
        Recommendation.objects.filter(application=app).update(
            finance_confirmed_by=by, finance_confirmed_at=clock.now()
        )

    return _run(
        application,
        Action.FINANCE_CONFIRM,
        after,
        by=by,
        reason=reason,
        idempotency_key=idempotency_key,
        ip=ip,
    )


def finance_refuse(
    application: Application, *, by, reason: str, idempotency_key: str | None = None, ip: str | None = None
) -> Application:
    """Finance does not agree: back to accepted; the recommendation goes and the ranks close up."""

    def after(app: Application) -> None:
        Recommendation.objects.filter(application=app).delete()
        _renumber(queries.ranked(app.call_id, app.recommender_id))

    return _run(
        application,
        Action.FINANCE_REFUSE,
        after,
        by=by,
        reason=reason,
        idempotency_key=idempotency_key,
        ip=ip,
    )


def move_rank(application: Application, *, rank: Any, by, ip: str | None = None) -> Recommendation:
    """Put a recommended application at another place in the recommender's order (until the deadline)."""
    if not permissions.can_view(by, application):
        raise NotFound()
    if by.role != Role.RECOMMENDER or not permissions.relates_to(by, application):
        raise NotAllowed("只有推荐单位可以调整推荐排序。")
    wanted = clean_rank(rank)
    if wanted is None:
        raise ValidationFailed("请填写推荐排序。", field_errors={"rank": "请填写推荐排序。"})
    with transaction.atomic():
        _lock_recommender(application.recommender_id)
        ensure_open(application.call, Stage.RECOMMEND, recommender=application.recommender)
        ordered = queries.ranked(application.call_id, application.recommender_id)
        rec = next((r for r in ordered if r.application_id == application.pk), None)
        if rec is None:
            raise Conflict("该申报尚未推荐，不能调整排序。", code="state")
        before = rec.rank
        _renumber(_place(ordered, rec, wanted))
        audit.record("recommendation.rank", actor=by, obj=rec, ip=ip, detail={"from": before, "to": rec.rank})
    return rec


def _recommend_handler(application, *, by, reason, idempotency_key, ip, payload):
    return recommend(
        application,
        by=by,
        opinion=payload.get("opinion") or reason,
        rank=payload.get("rank"),
        idempotency_key=idempotency_key,
        ip=ip,
    )


def _finance_confirm_handler(application, *, by, reason, idempotency_key, ip, payload):
    return finance_confirm(application, by=by, reason=reason, idempotency_key=idempotency_key, ip=ip)


def _finance_refuse_handler(application, *, by, reason, idempotency_key, ip, payload):
    return finance_refuse(application, by=by, reason=reason, idempotency_key=idempotency_key, ip=ip)


actions.register_action(Action.RECOMMEND, _recommend_handler)
actions.register_action(Action.FINANCE_CONFIRM, _finance_confirm_handler)
actions.register_action(Action.FINANCE_REFUSE, _finance_refuse_handler)


# --- credit checks ------------------------------------------------------------------------------------

CREDIT_EDITABLE = frozenset({Status.SUBMITTED, Status.ACCEPTED})


def record_credit_checks(
    application: Application, entries: dict[str, dict[str, Any]], *, by, ip: str | None = None
) -> list[CreditCheck]:
    """Record the lead unit's credit look-ups. ``entries`` maps a source to ``{"result": "clean"|"bad",
    "checked_on": date or ISO text, "note": text}``; a source left entirely blank is skipped.
    All or nothing: any bad entry refuses the whole save with a message per field."""
    if not permissions.can_view(by, application):
        raise NotFound()
    if by.role != Role.RECOMMENDER or not permissions.relates_to(by, application):
        raise NotAllowed("只有推荐单位可以记录信用核查结果。")
    today = clock.local(clock.now()).date()
    errors: dict[str, str] = {}
    cleaned: dict[str, tuple[bool, date, str]] = {}
    for source in CreditSource.values:
        entry = entries.get(source) or {}
        result = (entry.get("result") or "").strip()
        raw_date = entry.get("checked_on")
        note = (entry.get("note") or "").strip()
        if not result and not raw_date and not note:
            continue
        if result not in ("clean", "bad"):
            errors[f"{source}_result"] = "请选择查询结果。"
        checked_on: date | None = None
        if isinstance(raw_date, date):
            checked_on = raw_date
        elif raw_date:
            try:
                checked_on = date.fromisoformat(str(raw_date).strip())
            except ValueError:
                errors[f"{source}_checked_on"] = "日期格式不正确，请按“2024-08-01”填写。"
        else:
            errors[f"{source}_checked_on"] = "请填写查询日期。"
        if checked_on and checked_on > today:
            errors[f"{source}_checked_on"] = "查询日期不能晚于今天。"
        if len(note) > 300:
            errors[f"{source}_note"] = f"备注不能超过300字，当前{len(note)}字。"
        if checked_on and result in ("clean", "bad"):
            cleaned[source] = (result == "bad", checked_on, note)
    if errors:
        raise ValidationFailed("信用核查记录填写有误，请按提示修改。", field_errors=errors)
    if not cleaned:
        raise ValidationFailed(
            "请至少填写一项查询结果。", field_errors={"credit": "请至少填写一项查询结果。"}
        )
    with transaction.atomic():
        locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if locked.status not in CREDIT_EDITABLE:
            raise Conflict(
                f"申报书当前状态为“{locked.get_status_display()}”，不能修改信用核查记录。", code="state"
            )
        saved = []
        for source, (bad, checked_on, note) in cleaned.items():
            check, _ = CreditCheck.objects.update_or_create(
                application=locked,
                source=source,
                defaults={
                    "has_bad_record": bad,
                    "checked_on": checked_on,
                    "note": note,
                    "recorded_by": by,
                    "recorded_at": clock.now(),
                },
            )
            saved.append(check)
        audit.record(
            "recommendation.credit_check",
            actor=by,
            obj=locked,
            detail={s: {"bad": b, "checked_on": d.isoformat()} for s, (b, d, _n) in cleaned.items()},
            ip=ip,
        )
    return saved


# --- the recommendation letter ----------------------------------------------------------------------


def upload_letter(
    call: Call, *, fileobj: IO[bytes], filename: str, by, ip: str | None = None
) -> RecommendationLetter:
    """Store the stamped letter (PDF/JPG/PNG by content) privately; a new one replaces the current one,
    whose row and file are kept. The file is written before the row and removed if the row fails."""
    if by.role != Role.RECOMMENDER or not by.recommender_id:
        raise NotFound()
    if not call.recommenders.filter(pk=by.recommender_id).exists():
        raise NotFound()
    size = fileobj.seek(0, 2)
    fileobj.seek(0)
    if size == 0:
        raise ValidationFailed("文件为空。", field_errors={"file": "文件为空，请重新选择。"})
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        message = f"文件大小为{size / 1048576:.1f}MB，超过{limit // 1048576}MB的限制。"
        raise ValidationFailed(message, field_errors={"file": message})
    try:
        detected = filetypes.sniff(fileobj, accept=LETTER_TYPES)
    except filetypes.FileTypeError as exc:
        raise ValidationFailed(str(exc), field_errors={"file": str(exc)}) from None
    if detected not in LETTER_TYPES:
        message = (
            f"推荐函只接受{filetypes.describe(LETTER_TYPES)}文件（盖章扫描件）；所选文件的内容不是这些格式。"
        )
        raise ValidationFailed(message, field_errors={"file": message})
    with storage.files_with_rows():
        stored = storage.store_upload(
            fileobj, filename=filename, kind=detected, prefix=f"letters/{call.pk}/{by.recommender_id}", by=by
        )
        _lock_recommender(by.recommender_id)
        now = clock.now()
        previous = list(
            RecommendationLetter.objects.filter(
                call=call, recommender_id=by.recommender_id, replaced_at__isnull=True
            )
        )
        RecommendationLetter.objects.filter(pk__in=[p.pk for p in previous]).update(replaced_at=now)
        letter = RecommendationLetter.objects.create(
            call=call, recommender_id=by.recommender_id, uploaded_at=now, **stored
        )
        audit.record(
            "recommendation.letter_upload",
            actor=by,
            obj=letter,
            ip=ip,
            detail={"call": call.pk, "sha256": stored["sha256"], "replaces": [p.pk for p in previous]},
        )
    return letter
