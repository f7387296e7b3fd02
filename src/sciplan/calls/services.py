"""Writes to calls: set-up by the bureau (create, copy, edit, publish, close, archive) and deadline
extensions (SPEC §3, STANDARDS G35)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sciplan.accounts.roles import Role
from sciplan.calls import dictionaries, rules
from sciplan.calls.deadlines import base_deadline
from sciplan.calls.models import Call, CallState, Extension, Industry, Recommender, Stage
from sciplan.core import audit, clock, notifications
from sciplan.core.errors import Conflict, NotFound, ValidationFailed

# Which subject an extension of each stage is for: the applicants' window per unit, the recommenders'
# deadline per recommender. A correction deadline is set per application at formal review instead.
SUBJECT_OF_STAGE = {Stage.APPLY: "unit", Stage.RECOMMEND: "recommender"}


@transaction.atomic
def grant_extension(
    call: Call,
    *,
    stage: str,
    until: datetime | None,
    reason: str,
    by,
    unit=None,
    recommender: Recommender | None = None,
    ip: str | None = None,
) -> Extension:
    """Extend ``stage`` of ``call`` for one unit (apply) or one recommender (recommend), audited."""
    ensure_bureau(by)
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    subject = SUBJECT_OF_STAGE.get(stage)  # type: ignore[call-overload]
    if subject is None:
        errors["stage"] = "请选择“网上申报”或“推荐单位推荐”环节。"
    elif subject == "unit" and (unit is None or recommender is not None):
        errors["unit"] = "网上申报环节的延期须指定一家申报单位。"
    elif subject == "recommender" and (recommender is None or unit is not None):
        errors["recommender"] = "推荐环节的延期须指定一个推荐单位。"
    if (
        subject == "recommender"
        and recommender is not None
        and not call.recommenders.filter(pk=recommender.pk).exists()
    ):
        errors["recommender"] = "该推荐单位不在本批次的推荐单位名单中。"
    if not reason:
        errors["reason"] = "请填写延期理由。"
    elif len(reason) > 500:
        errors["reason"] = f"延期理由不能超过500字，当前{len(reason)}字。"
    if until is None:
        errors["until"] = "请填写延期截止时间。"
    elif timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until is not None and subject and "until" not in errors:
        original = base_deadline(call, stage)
        if until <= original:
            errors["until"] = f"延期截止时间须晚于原截止时间{clock.fmt(original)}。"
    if errors or until is None:
        raise ValidationFailed("延期信息填写有误，请按提示修改。", field_errors=errors)
    extension = Extension.objects.create(
        call=call, stage=stage, unit=unit, recommender=recommender, until=until, reason=reason, granted_by=by
    )
    audit.record(
        "call.extension_grant",
        actor=by,
        obj=extension,
        ip=ip,
        detail={
            "call": call.pk,
            "stage": stage,
            "unit": getattr(unit, "pk", None),
            "recommender": getattr(recommender, "pk", None),
            "until": until.isoformat() if until else None,
            "reason": reason,
        },
    )
    return extension


# --- call set-up --------------------------------------------------------------------------------------

SCALAR_FIELDS = (
    "title",
    "year",
    "notice",
    "is_practice",
    "opens_at",
    "closes_at",
    "recommend_deadline",
    "paper_deadline",
    "correction_deadline",
    "paper_address",
    *rules.THRESHOLD_FIELDS,
    "public_notice_days",
    "panel_min_size",
    "panel_default_size",
    "contact",
)
LIST_FIELDS = ("rubric", "attachment_specs")
RELATION_FIELDS = {"industries": Industry, "recommenders": Recommender}
DICTIONARY_KINDS = {"industries": dictionaries.INDUSTRIES, "recommenders": dictionaries.RECOMMENDERS}
EDITABLE_FIELDS = (*SCALAR_FIELDS, *LIST_FIELDS, *RELATION_FIELDS)


class CallAction:
    PUBLISH = "publish"
    CLOSE = "close"
    ARCHIVE = "archive"


@dataclass(frozen=True)
class CallTransition:
    to: str
    label: str


# (state, action) → transition: the only ways a call's state changes.
TABLE: dict[tuple[str, str], CallTransition] = {
    (CallState.DRAFT, CallAction.PUBLISH): CallTransition(CallState.PUBLISHED, "发布"),
    (CallState.PUBLISHED, CallAction.CLOSE): CallTransition(CallState.CLOSED, "结束"),
    (CallState.CLOSED, CallAction.ARCHIVE): CallTransition(CallState.ARCHIVED, "归档"),
}


def ensure_bureau(by) -> None:
    if getattr(by, "role", None) != Role.BUREAU:
        raise NotFound()


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return clock.local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _current(call: Call) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(call, name) for name in (*SCALAR_FIELDS, *LIST_FIELDS)}
    if call.pk:
        for name in RELATION_FIELDS:
            values[name] = sorted(getattr(call, name).values_list("pk", flat=True))
    else:
        values.update({name: [] for name in RELATION_FIELDS})
    return values


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)  # the wall time of Asia/Shanghai
    return value


def _clean(
    data: dict[str, Any], merged: dict[str, Any], keep: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the merged (current + changed) values; return the cleaned changes and field errors.

    ``keep``: the entries the call already names — a deactivated dictionary entry may stay on the call
    it was chosen for, but cannot be chosen anew."""
    errors = rules.check_settings({k: merged[k] for k in merged if k in data or k in ("panel_min_size",)})
    errors.update(rules.check_windows(merged))
    clean = {k: _aware(v) for k, v in data.items() if k in SCALAR_FIELDS}
    for key in ("title", "notice", "paper_address", "contact"):
        if key in clean:
            clean[key] = str(clean[key] or "").strip()
    if "rubric" in data:
        clean["rubric"], found = rules.check_rubric(list(data["rubric"] or []))
        errors.update(found)
    if "attachment_specs" in data:
        limit = settings.UPLOAD_MAX_BYTES // 1048576
        clean["attachment_specs"], found = rules.check_attachments(
            list(data["attachment_specs"] or []), max_mb_limit=limit
        )
        errors.update(found)
    for name, model in RELATION_FIELDS.items():
        if name in data:
            ids = sorted({int(i) for i in data[name] or []})
            inactive = dictionaries.newly_chosen_inactive(
                DICTIONARY_KINDS[name], ids, keep=(keep or {}).get(name, ())
            )
            if len(ids) != model.objects.filter(pk__in=ids).count():
                errors[name] = "所选项目中有不存在的条目，请刷新页面后重新选择。"
            elif inactive:
                errors[name] = f"“{'、'.join(inactive)}”已停用，不能再选入批次。"
            elif not ids:
                errors[name] = "请至少选择一项。" if name == "industries" else "请至少选择一个推荐单位。"
            clean[name] = ids
    return clean, errors


def _write(call: Call, clean: dict[str, Any]) -> None:
    for name in (*SCALAR_FIELDS, *LIST_FIELDS):
        if name in clean:
            setattr(call, name, clean[name])
    call.save()
    for name in RELATION_FIELDS:
        if name in clean:
            getattr(call, name).set(clean[name])


@transaction.atomic
def create_call(*, data: dict[str, Any], by, ip: str | None = None) -> Call:
    """A new draft call from ``data``; invisible to applicants and the public until published."""
    ensure_bureau(by)
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    merged = {**_current(Call()), **{k: _aware(v) for k, v in data.items()}}
    for required in ("title", "year", "rd_first_year", "rubric", "industries", "recommenders"):
        data.setdefault(required, merged.get(required))
    clean, errors = _clean(data, merged)
    if errors:
        raise ValidationFailed("申报批次信息填写有误，请按提示修改。", field_errors=errors)
    return _new_draft(clean, event="call.create", by=by, ip=ip)


def _new_draft(values: dict[str, Any], *, event: str, by, ip: str | None, **detail: Any) -> Call:
    """Save a new draft call with ``values`` and record every value in one audit event."""
    call = Call(state=CallState.DRAFT)
    _write(call, values)
    changes = {k: {"old": None, "new": _json(v)} for k, v in values.items()}
    audit.record(event, actor=by, obj=call, ip=ip, detail={**detail, "changes": changes})
    return call


def _shift_year(value, years: int):
    if value is None:
        return None
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


@transaction.atomic
def copy_call(source: Call, *, by, year: int | None = None, ip: str | None = None) -> Call:
    """A draft copy of ``source`` for ``year`` (default: the next year), every date moved by as many
    years, the R&D statistics years too; the title's year is replaced. Nothing of ``source`` changes."""
    ensure_bureau(by)
    year = source.year + 1 if year is None else year
    if not 2000 <= year <= 2100:
        raise ValidationFailed("年度有误。", field_errors={"year": "请填写2000至2100之间的年度。"})
    years = year - source.year
    values = _current(source)
    values["title"] = source.title.replace(str(source.year), str(year))
    if values["title"] == source.title:
        values["title"] = f"{source.title}（{year}年度）"
    values["year"] = year
    values["rd_first_year"] = source.rd_first_year + years
    for name in rules.WINDOW_FIELDS:
        values[name] = _shift_year(values[name], years)
    for name, model in RELATION_FIELDS.items():  # entries deactivated since are not carried over
        values[name] = list(model.objects.active().filter(pk__in=values[name]).values_list("pk", flat=True))
    return _new_draft(values, event="call.copy", by=by, ip=ip, source=source.pk)


def _lock(call: Call) -> Call:
    locked = Call.objects.select_for_update().filter(pk=call.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def _tell_applicants(call: Call, moved: dict[str, dict], reason: str) -> None:
    from django.contrib.auth import get_user_model

    labels = {name: str(Call._meta.get_field(name).verbose_name) for name in moved}
    lines = [f"{labels[k]}：由{_show(v['old'])}调整为{_show(v['new'])}" for k, v in moved.items()]
    users = (
        get_user_model()
        .objects.filter(role=Role.APPLICANT, unit__applications__call=call, is_active=True)
        .distinct()
    )
    notifications.notify(
        list(users),
        subject=f"{call.title}时间节点调整",
        body="；".join(lines) + f"。调整理由：{reason}",
        link=reverse("calls:detail", args=[call.pk]),
        sms=True,
    )


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return clock.fmt(value, seconds=False)
    if isinstance(value, date):
        return f"{value:%Y年%m月%d日}"
    return "未设置" if value in (None, "") else str(value)


@transaction.atomic
def update_call(call: Call, *, data: dict[str, Any], by, reason: str = "", ip: str | None = None) -> Call:
    """Change some of a call's settings (``data`` holds only what is sent; other fields stay).

    Once the call has opened its thresholds, rubric, attachment rules and industries are frozen and a
    change to them is refused; its windows may still move, with a reason, and the applicants of the
    call are told after the commit. One audit record holds every old and new value.
    """
    ensure_bureau(by)
    locked = _lock(call)
    if locked.state == CallState.ARCHIVED:
        raise Conflict("本批次已归档，不能再修改。", code="state")
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    before = _current(locked)
    merged = {**before, **{k: _aware(v) for k, v in data.items()}}
    clean, errors = _clean(data, merged, keep=before)
    changes = {k: {"old": before[k], "new": v} for k, v in clean.items() if before[k] != v}
    opened = locked.has_opened(clock.now())
    if opened:
        frozen = [k for k in changes if k in rules.FROZEN_FIELDS]
        for name in frozen:
            errors[name] = (
                "本批次已开始申报，申报条件、评分指标、附件要求和产业目录已冻结，不能修改"
                "（申报书始终按提交时的规则评判）。"
            )
    moved = {k: v for k, v in changes.items() if k in rules.WINDOW_FIELDS}
    reason = (reason or "").strip()
    if opened and moved and not reason:
        errors["reason"] = "本批次已开始申报，调整时间节点须填写理由，调整后将通知本批次的申报单位。"
    elif len(reason) > 500:
        errors["reason"] = f"理由不能超过500字，当前{len(reason)}字。"
    if errors:
        message = "申报批次信息填写有误，请按提示修改。"
        if opened and any(k in rules.FROZEN_FIELDS for k in errors):
            message = "本批次已开始申报，申报条件和评分指标已冻结，本次修改未保存。"
        raise ValidationFailed(message, field_errors=errors)
    if not changes:
        return locked
    _write(locked, {k: clean[k] for k in changes})
    audit.record(
        "call.update",
        actor=by,
        obj=locked,
        ip=ip,
        detail={
            "changes": {k: {"old": _json(v["old"]), "new": _json(v["new"])} for k, v in changes.items()},
            "reason": reason,
        },
    )
    if opened and moved:
        _tell_applicants(locked, moved, reason)
    return locked


def _guard(call: Call, action: str, now: datetime) -> dict[str, str]:
    if action == CallAction.PUBLISH:
        errors = rules.check_windows(_current(call))
        _, rubric_errors = rules.check_rubric(call.rubric or [])
        if rubric_errors:
            errors["rubric"] = rubric_errors.get("rubric") or "评分指标不完整，请先补全。"
        if not call.industries.exists():
            errors["industries"] = "请至少选择一个产业。"
        if not call.recommenders.exists():
            errors["recommenders"] = "请至少选择一个推荐单位。"
        if call.closes_at <= now:
            errors["closes_at"] = "网上申报截止时间已过，请先调整时间节点再发布。"
        return errors
    if action == CallAction.CLOSE and now < call.closes_at:
        return {"state": f"网上申报尚未截止（截止时间{clock.fmt(call.closes_at)}），不能结束本批次。"}
    return {}


@transaction.atomic
def transition_call(call: Call, action: str, *, by, ip: str | None = None) -> Call:
    """Move the call along ``TABLE`` (publish, close, archive); refused moves change nothing."""
    ensure_bureau(by)
    locked = _lock(call)
    step = TABLE.get((locked.state, action))
    if step is None:
        raise Conflict(f"本批次当前为“{locked.get_state_display()}”，不能执行此操作。", code="state")
    errors = _guard(locked, action, clock.now())
    if errors:
        raise ValidationFailed(f"本批次暂不能{step.label}，请按提示处理。", field_errors=errors)
    old = locked.state
    locked.state = step.to
    locked.save(update_fields=["state"])
    audit.record(
        f"call.{action}",
        actor=by,
        obj=locked,
        ip=ip,
        detail={"changes": {"state": {"old": old, "new": step.to}}},
    )
    return locked
