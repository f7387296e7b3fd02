"""What the bureau's irreversible review decisions do, said before they are taken
(``core.confirmation``): the formal review's conclusion and the freezing of a call's ranking."""

from __future__ import annotations

from sciplan.core.confirmation import Confirmation, Kind
from sciplan.review.models import FormalOutcome


def formal_review(application) -> dict[str, Confirmation]:
    """One question per outcome; the page shows the one whose outcome is chosen."""
    name = f"“{application.consortium_name}”"
    unit = application.lead_unit.name
    told = f"申报单位（{unit}）的填报人，站内通知和电子邮件"
    return {
        FormalOutcome.PASS: Confirmation(
            key="formal-pass",
            title=f"确认{name}形式审查通过？",
            happens=("申报书进入现场考察和专家评审环节，审查清单和结论记入办理记录。",),
            told=told + "。",
            button="确认通过",
        ),
        FormalOutcome.RETURN: Confirmation(
            key="formal-return",
            title=f"确认将{name}退回补正？",
            happens=(
                "申报单位须在补正截止时间前提交补正材料，逾期未补正的不再受理。",
                "审查意见对申报单位可见。",
            ),
            told=told + "和短信。",
            button="确认退回补正",
            kind=Kind.SECONDARY,
        ),
        FormalOutcome.FAIL: Confirmation(
            key="formal-fail",
            title=f"确认{name}形式审查不通过？",
            happens=(
                "这是最终结论：该申报书不再进入后续评审，本批次不能再次提交。",
                "不通过的审查意见将告知申报单位。",
            ),
            told=told + "。",
            button="确认不通过",
            kind=Kind.DESTRUCTIVE,
        ),
    }


def freeze_ranking(call) -> Confirmation:
    return Confirmation(
        key="freeze-ranking",
        title=f"确认并冻结“{call.title}”的评审排名？",
        happens=(
            "排名按当前专家评分计算后冻结，此后评分不能再修改，排名不再变化。",
            "拟认定名单只能从冻结的排名中选择。",
        ),
        told="不发送通知；冻结记入审计日志，申报单位此时看不到排名。",
        button="确认冻结排名",
    )
