"""Test factories beyond the personas of ``conftest``: applications in a given state.

``application_in_state`` builds a complete application through the real services, submits it, and then
places it in the requested state with the workflow's own bookkeeping (a StatusEvent per step), so tests
of a later stage do not depend on every earlier stage's guards.
"""

from __future__ import annotations

from sciplan.applications.demo import DEMO_BUDGET, budget_fields, build_complete_application
from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.services import submit_application
from sciplan.applications.workflow import Status
from sciplan.core import clock


def applicant_of_new_unit(index: int, recommender, *, tag: str, code_base: int = 40000000):
    """An approved enterprise of ``recommender``'s jurisdiction and its unit administrator, numbered
    ``index`` under ``tag``; the credit code's serial is ``code_base + index``."""
    from sciplan.accounts import uscc
    from sciplan.accounts.models import Unit, UnitKind, UnitStatus, User
    from sciplan.accounts.roles import Role

    unit = Unit.objects.create(
        name=f"岳阳{tag}第{index + 1:03d}号测试有限公司",
        uscc=uscc.build("91430600", f"{code_base + index:08d}"),
        kind=UnitKind.ENTERPRISE,
        recommender=recommender,
        address="湖南省岳阳市",
        legal_representative="张建华",
        contact_name="李志强",
        contact_mobile="13807301234",
        status=UnitStatus.APPROVED,
        reviewed_at=clock.now(),
    )
    return User.objects.create_user(
        username=f"{tag}_applicant_{index}",
        password="Factory-pass-2024",
        role=Role.APPLICANT,
        unit=unit,
        is_unit_admin=True,
        name=f"填报人{index}",
        password_changed_at=clock.now(),
    )


def application_in_state(call, user, status: str, *, direction: str = "测试方向", actor=None) -> Application:
    application = build_complete_application(call, user, direction=direction)
    if status == Status.DRAFT:
        return application
    submit_application(application, by=user)
    application.refresh_from_db()
    if status != Status.SUBMITTED:
        StatusEvent.objects.create(
            application=application,
            action="factory",
            from_status=application.status,
            to_status=status,
            actor=actor or user,
            actor_role=(actor or user).role,
            at=clock.now(),
            reason="测试数据",
        )
        Application.objects.filter(pk=application.pk).update(status=status)
        application.refresh_from_db()
    return application


def budget_data(rows: dict[int, dict[str, str]] | None = None) -> dict[str, str]:
    """Budget cells as the plan section takes them (``budget_<year>_<line>``); the demo's by default.
    Lines left out of ``rows`` are not part of the data, so a save leaves them as they are."""
    return budget_fields(DEMO_BUDGET if rows is None else rows)


def seated_experts(application: Application, *, bureau) -> dict:
    """Six expert accounts around ``application``, by relation (STANDARDS B7):

    ``expert_active`` seated and declared no conflict; ``expert_pending`` seated, declaration pending;
    ``expert_recused`` seated and recused; ``expert_conflicted`` works at a member unit and
    ``expert_avoided`` is on the application's avoid list, both seated and declared before the conflict
    was recorded (the draw would never seat them); ``expert_unassigned`` in the pool, not seated.
    The seats hang on one recorded draw, as a draw's would."""
    from sciplan.accounts.demo import ensure_user
    from sciplan.accounts.roles import Role
    from sciplan.review.models import Assignment, AssignmentStatus, AvoidEntry, Draw, Expert

    member = application.members.order_by("id").first()
    plan = {
        "expert_active": ("湖南大学", "", AssignmentStatus.ACTIVE),
        "expert_pending": ("湘潭大学", "", AssignmentStatus.PENDING),
        "expert_recused": ("长沙理工大学", "", AssignmentStatus.RECUSED),
        "expert_conflicted": (member.name, member.uscc, AssignmentStatus.ACTIVE),
        "expert_avoided": ("国防科技大学", "", AssignmentStatus.ACTIVE),
        "expert_unassigned": ("中国科学院长沙分院", "", None),
    }
    draw = Draw.objects.create(
        call=application.call,
        field="petrochem",
        size=5,
        seed="matrix",
        snapshot={},
        snapshot_hash="0" * 64,
        result=[],
        drawn_by=bureau,
    )
    users = {}
    for index, (username, (organisation, uscc, seat)) in enumerate(plan.items(), start=1):
        user = ensure_user(username, f"专家{index}", Role.EXPERT, mobile=f"1350730{index:04d}")
        expert = Expert.objects.create(
            name=f"专家{index}",
            organisation=organisation,
            organisation_uscc=uscc,
            fields=["petrochem"],
            user=user,
        )
        if seat is not None:
            Assignment.objects.create(
                draw=draw,
                application=application,
                expert=expert,
                status=seat,
                declared_at=None if seat == AssignmentStatus.PENDING else clock.now(),
                recusal_reason="曾参与该项目前期论证" if seat == AssignmentStatus.RECUSED else "",
            )
        if username == "expert_avoided":
            AvoidEntry.objects.create(
                application=application, expert=expert, reason="申报单位申请回避", recorded_by=bureau
            )
        users[username] = user
    return users
