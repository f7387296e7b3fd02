"""What the bureau's public and final decisions do, said before they are taken (``core.confirmation``):
publishing the notice, recognising, refusing recognition and deciding an objection."""

from __future__ import annotations

from sciplan.core.confirmation import Confirmation, Kind


def publish(call, proposed: list) -> Confirmation:
    return Confirmation(
        key="publish",
        title=f"确认发布“{call.title}”的拟认定名单公示？",
        happens=(
            f"拟认定的 {len(proposed)} 个联合体的名称、牵头单位和成员单位立即在公示公告页面向社会公开。",
            "公示发布后不能撤回或修改；公示期内公众可以提出异议。",
        ),
        told="拟认定联合体的牵头单位和推荐单位，站内通知和电子邮件；社会公众通过公示公告页面知悉。",
        button="确认发布公示",
    )


def recognize(application) -> Confirmation:
    return Confirmation(
        key="recognize",
        title=f"确认认定“{application.consortium_name}”？",
        happens=(
            "以所填正式名称和认定文号生成认定通知（PDF），联合体列入公开的认定名单。",
            "认定后只能按程序撤销，不能撤回。",
        ),
        told="牵头单位和推荐单位，站内通知和电子邮件。",
        button="确认认定",
    )


def decline(application) -> Confirmation:
    return Confirmation(
        key=f"decline-{application.pk}",
        title=f"确认对“{application.consortium_name}”不予认定？",
        happens=("这是最终决定，不能撤回；不予认定的理由告知申报单位。",),
        told="牵头单位和推荐单位，站内通知和电子邮件。",
        button="确认不予认定",
        kind=Kind.DESTRUCTIVE,
    )


def objection(item) -> dict[str, Confirmation]:
    name = f"“{item.application.consortium_name}”"
    return {
        "upheld": Confirmation(
            key="objection-upheld",
            title=f"确认异议成立（{item.receipt_no}）？",
            happens=(f"{name}移出拟认定名单，不予认定；这是最终决定，不能撤回。",),
            told="牵头单位和推荐单位，站内通知和电子邮件；异议人可凭受理编号和手机号查询处理结果。",
            button="确认异议成立",
            kind=Kind.DESTRUCTIVE,
        ),
        "not_upheld": Confirmation(
            key="objection-not-upheld",
            title=f"确认异议不成立（{item.receipt_no}）？",
            happens=(f"{name}继续公示和认定程序；处理结果记录后不能修改。",),
            told="异议人可凭受理编号和手机号查询处理结果；不另行通知申报单位。",
            button="确认异议不成立",
        ),
    }
