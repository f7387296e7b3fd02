"""What the recommender's decision on a unit's registration does, said before it is taken
(``core.confirmation``): approving or rejecting cannot be undone."""

from __future__ import annotations

from sciplan.core.confirmation import Confirmation, Kind


def unit_review(unit) -> dict[str, Confirmation]:
    """One question per decision (``approve``, ``reject``) on ``unit``'s registration."""
    name = f"“{unit.name}”"
    told = f"该单位的单位管理员（{unit.contact_name}），站内通知和电子邮件。"
    return {
        "approve": Confirmation(
            key="approve",
            title=f"确认{name}的注册审核通过？",
            happens=(
                "审核通过后，该单位的账号即可提交申报书，本单位受理其申报。",
                "通过后不能撤回；如发现虚假注册，须联系市科技局停用账号。",
            ),
            told=told,
            button="确认审核通过",
        ),
        "reject": Confirmation(
            key="reject",
            title=f"确认{name}的注册审核不通过？",
            happens=(
                "该单位不能提交申报；不通过的理由写入通知。",
                "单位须按理由修改后重新注册，本次审核结果不能撤回。",
            ),
            told=told,
            button="确认不通过",
            kind=Kind.DESTRUCTIVE,
        ),
    }
