"""Who is told what after a transition. Called by ``workflow.transition``; sends after commit."""

from __future__ import annotations

from django.urls import reverse

from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.applications.workflow import Action, Status
from sciplan.core.notifications import notify


def _applicant_users(application):
    return list(User.objects.filter(unit_id=application.lead_unit_id, role=Role.APPLICANT, is_active=True))


def _recommender_users(application, role=Role.RECOMMENDER):
    return list(User.objects.filter(recommender_id=application.recommender_id, role=role, is_active=True))


def after_transition(application, *, action: Action, before: Status, by, reason: str) -> None:
    name = application.consortium_name
    link = reverse("applications:detail", args=[application.pk])
    new = Status(application.status).label
    if action == Action.SUBMIT:
        notify(
            _applicant_users(application),
            subject=f"申报书已提交：{name}",
            body=f"您的申报书已提交，当前状态：{new}。",
            link=link,
            sms=True,
        )
        notify(
            _recommender_users(application),
            subject=f"新的申报待受理：{name}",
            body=f"{application.lead_unit.name} 提交了申报书，请及时受理。",
            link=link,
        )
    elif action in (Action.RETURN, Action.FORMAL_RETURN):
        notify(
            _applicant_users(application),
            subject=f"申报书被退回：{name}",
            body=f"退回理由：{reason}",
            link=link,
            sms=True,
        )
    elif action == Action.RECOMMEND and application.status == Status.AWAITING_FINANCE:
        notify(
            _recommender_users(application, Role.FINANCE),
            subject=f"待联合推荐确认：{name}",
            body="科技部门已推荐，请财政部门确认。",
            link=link,
        )
    elif action == Action.FINANCE_REFUSE:
        notify(
            _recommender_users(application),
            subject=f"财政部门未同意推荐：{name}",
            body=f"理由：{reason}",
            link=link,
        )
    else:
        body = f"当前状态：{new}。" + (f"意见：{reason}" if reason else "")
        notify(_applicant_users(application), subject=f"申报状态更新：{name}", body=body, link=link)
