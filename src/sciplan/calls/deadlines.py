"""Deadlines, judged by the server's clock in Asia/Shanghai to the second (SPEC §3, STANDARDS G).

An action is on time when the server reads its clock strictly before the deadline: 17:59:59.999 is on
time, 18:00:00.000 is late. Extensions are per unit (applicants) or per recommender, per stage.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from sciplan.calls.models import Call, CallState, Extension, Recommender, Stage
from sciplan.core import clock
from sciplan.core.errors import DeadlinePassed


def base_deadline(call: Call, stage: str) -> datetime:
    if stage == Stage.APPLY:
        return call.closes_at
    if stage == Stage.RECOMMEND:
        return call.recommend_deadline
    raise ValueError(f"stage {stage} has no call-wide deadline")


def deadline_for(call: Call, stage: str, *, unit=None, recommender: Recommender | None = None) -> datetime:
    """The deadline that applies to this unit or recommender: the call's, or a later extension."""
    deadline = base_deadline(call, stage)
    extensions = Extension.objects.filter(call=call, stage=stage)
    if unit is not None:
        latest = extensions.filter(unit=unit).aggregate(m=Max("until"))["m"]
    elif recommender is not None:
        latest = extensions.filter(recommender=recommender).aggregate(m=Max("until"))["m"]
    else:
        latest = None
    return max(deadline, latest) if latest else deadline


def ensure_open(
    call: Call, stage: str, *, unit=None, recommender: Recommender | None = None, at: datetime | None = None
) -> datetime:
    """Raise :class:`DeadlinePassed` when ``at`` (default: now) is not strictly before the deadline."""
    at = at or clock.now()
    if call.state == CallState.DRAFT:
        raise DeadlinePassed("本批次尚未发布，暂不能办理。")
    if call.state == CallState.ARCHIVED:
        raise DeadlinePassed("本批次已归档，不再办理。")
    if stage == Stage.APPLY and at < call.opens_at:
        raise DeadlinePassed(f"网上申报尚未开始，开始时间为{clock.fmt(call.opens_at)}。")
    deadline = deadline_for(call, stage, unit=unit, recommender=recommender)
    if at >= deadline:
        label = Stage(stage).label
        raise DeadlinePassed(
            f"{label}已于{clock.fmt(deadline)}截止，服务器时间为{clock.fmt(at)}，本次操作未生效。"
        )
    return deadline
