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
