"""What the recommender's and finance department's decisions do, said before they are taken
(``core.confirmation``): each one is irreversible from the recommending unit's side.

The questions are data: ``{name}`` is the consortium's name in quotes, ``{unit}`` its lead unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sciplan.applications.workflow import Action
from sciplan.core.confirmation import Confirmation, Kind

TOLD_APPLICANT = "申报单位（{unit}）的填报人，站内通知和电子邮件。"


@dataclass(frozen=True)
class _Question:
    title: str
    happens: tuple[str, ...]
    told: str
    button: str
    kind: Kind = Kind.PRIMARY


QUESTIONS: dict[str, _Question] = {
    Action.ACCEPT: _Question(
        title="确认受理{name}？",
        happens=("受理后申报单位不能再撤回申报书，本单位须在截止前作出推荐、退回或不予推荐的决定。",),
        told=TOLD_APPLICANT,
        button="确认受理",
    ),
    Action.RETURN: _Question(
        title="确认将{name}退回修改？",
        happens=("申报书退回申报单位，退回理由对其可见。", "申报单位修改后须重新提交，本单位再次受理。"),
        told="申报单位（{unit}）的填报人，站内通知、电子邮件和短信。",
        button="确认退回修改",
        kind=Kind.SECONDARY,
    ),
    Action.RECOMMEND: _Question(
        title="确认推荐{name}？",
        happens=(
            "推荐意见和排序提交后即生效，申报进入市科技局受理环节。",
            "推荐后不能撤回，只能在截止前调整排序。",
        ),
        told=TOLD_APPLICANT,
        button="确认推荐",
    ),
    Action.DECLINE: _Question(
        title="确认对{name}不予推荐？",
        happens=(
            "这是最终决定：本批次该申报书不再进入市科技局评审，不能撤回。",
            "不予推荐的理由将告知申报单位。",
        ),
        told=TOLD_APPLICANT,
        button="确认不予推荐",
        kind=Kind.DESTRUCTIVE,
    ),
    Action.FINANCE_CONFIRM: _Question(
        title="确认联合推荐{name}？",
        happens=("财政部门确认后，本次推荐生效，申报进入市科技局受理环节，不能撤回。",),
        told=TOLD_APPLICANT,
        button="确认推荐",
    ),
    Action.FINANCE_REFUSE: _Question(
        title="确认不同意推荐{name}？",
        happens=("推荐不生效，申报退回本级科技部门重新办理，理由对其可见。",),
        told="本级科技部门（推荐单位）的经办人，站内通知和电子邮件。",
        button="确认不同意推荐",
        kind=Kind.DESTRUCTIVE,
    ),
}

# Where the recommender needs the finance department's co-signature, a recommendation takes effect
# only once the finance department confirms it, and the applicant is told then.
RECOMMEND_COSIGNED = replace(
    QUESTIONS[Action.RECOMMEND],
    happens=(
        "推荐意见和排序提交后，须经本级财政部门确认，联合推荐方才生效。",
        "推荐后不能撤回，只能在截止前调整排序。",
    ),
    told="本级财政部门（待其确认）；申报单位（{unit}）在推荐生效后收到通知。",
)


def for_action(action: str, application) -> Confirmation | None:
    """The question asked before ``action`` on ``application``; None for an action that asks none."""
    question = QUESTIONS.get(action)
    if question is None:
        return None
    if action == Action.RECOMMEND and application.recommender.needs_finance_cosign:
        question = RECOMMEND_COSIGNED
    words = {"name": f"“{application.consortium_name}”", "unit": application.lead_unit.name}
    return Confirmation(
        key=action,
        title=question.title.format(**words),
        happens=question.happens,
        told=question.told.format(**words),
        button=question.button,
        kind=question.kind,
    )
