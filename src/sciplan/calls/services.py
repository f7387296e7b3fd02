"""Writes to calls: deadline extensions granted by the bureau (SPEC §3, STANDARDS G35)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from sciplan.accounts.roles import Role
from sciplan.calls.deadlines import base_deadline
from sciplan.calls.models import Call, Extension, Recommender, Stage
from sciplan.core import audit, clock
from sciplan.core.errors import NotFound, ValidationFailed

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
    if getattr(by, "role", None) != Role.BUREAU:
        raise NotFound()
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
