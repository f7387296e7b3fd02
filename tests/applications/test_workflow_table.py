"""Walk the whole transition table: every (state, action, role) moves exactly as the table says or is refused
and changes nothing."""

from __future__ import annotations

import pytest

from sciplan.applications import workflow
from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.services import submit_application
from sciplan.applications.workflow import TABLE, Action, Status, transition
from sciplan.core.errors import Conflict, DomainError, NotAllowed, NotFound
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ROLES = ["applicant", "county", "finance", "bureau", "admin", "county_b", "applicant_b"]


@pytest.fixture
def guards_pass(monkeypatch):
    """Guards belong to the apps that own their rules and are tested there; here only the table is walked."""
    for name in {g for t in TABLE.values() for g in t.guards}:
        monkeypatch.setitem(workflow.GUARDS, name, lambda application, user: None)


def attempt(app, state, action, user):
    """Put ``app`` in ``state``, try ``action`` as ``user``; return (outcome, status after, new events)."""
    Application.objects.filter(pk=app.pk).update(status=state)
    fresh = Application.objects.get(pk=app.pk)
    before = StatusEvent.objects.filter(application=app).count()
    outcome = "moved"
    try:
        transition(fresh, action, by=user, reason="理由")
    except NotFound:
        outcome = "404"
    except NotAllowed:
        outcome = "403"
    except Conflict:
        outcome = "409"
    after = Application.objects.get(pk=app.pk).status
    return outcome, after, StatusEvent.objects.filter(application=app).count() - before, fresh


def test_workflow_every_table_entry_moves_for_its_roles_only(complete_application, personas, guards_pass):
    app = complete_application
    submit_application(app, by=personas.applicant)  # a version exists, as for any state after draft
    for (state, action), entry in TABLE.items():
        for who in ROLES:
            user = personas[who]
            outcome, after, new_events, fresh = attempt(app, state, action, user)
            if user.role in entry.roles and who not in ("county_b", "applicant_b"):
                assert (outcome, after, new_events) == ("moved", workflow.target_of(fresh, entry), 1), (
                    state,
                    action,
                    who,
                )
            else:
                assert (after, new_events) == (state, 0), (state, action, who)
                assert outcome in {"403", "404"}, (state, action, who)
                if who in ("county_b", "applicant_b") or (state == Status.DRAFT and who != "applicant"):
                    assert outcome == "404", (state, action, who)


def test_workflow_pairs_outside_the_table_are_refused(complete_application, personas, guards_pass):
    app = complete_application
    submit_application(app, by=personas.applicant)
    for state in Status:
        for action in Action:
            if (state, action) in TABLE:
                continue
            for who in ("applicant", "bureau"):
                outcome, after, new_events, _ = attempt(app, state, action, personas[who])
                expected = "404" if (state == Status.DRAFT and who == "bureau") else "409"
                if (state, action, who) == (Status.SUBMITTED, Action.SUBMIT, "applicant"):
                    expected = "moved"  # a repeated submit answers with the first one and changes nothing
                assert (outcome, after, new_events) == (expected, state, 0), (state, action, who)


def test_workflow_county_recommendation_waits_for_finance(complete_application, personas, guards_pass):
    app = complete_application
    submit_application(app, by=personas.applicant)
    transition(app, Action.ACCEPT, by=personas.county)
    transition(app, Action.RECOMMEND, by=personas.county)

    assert Application.objects.get(pk=app.pk).status == Status.AWAITING_FINANCE
    transition(app, Action.FINANCE_CONFIRM, by=personas.finance)
    assert Application.objects.get(pk=app.pk).status == Status.RECOMMENDED


def test_workflow_reason_required_for_send_back(submitted_application, personas):
    with pytest.raises(DomainError) as caught:
        transition(submitted_application, Action.RETURN, by=personas.county, reason="  ")

    assert caught.value.field_errors == {"reason": "“退回修改”须填写理由。"}
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED


def test_workflow_unregistered_guard_refuses(submitted_application, personas, monkeypatch):
    monkeypatch.delitem(workflow.GUARDS, "credit_checked", raising=False)
    transition(submitted_application, Action.ACCEPT, by=personas.county)

    with pytest.raises(Conflict) as caught:
        transition(submitted_application, Action.RECOMMEND, by=personas.county)

    assert caught.value.message == "系统未配置检查项“credit_checked”，操作已拒绝。"


def test_workflow_refusal_is_audited_and_changes_nothing(submitted_application, personas):
    with pytest.raises(NotAllowed):
        transition(submitted_application, Action.ACCEPT, by=personas.applicant)

    refused = AuditEvent.objects.filter(
        event_type="application.refused", object_id=str(submitted_application.pk)
    )
    assert [(e.outcome, e.detail["action"]) for e in refused] == [("refused", "accept")]
    assert Application.objects.get(pk=submitted_application.pk).status == Status.SUBMITTED


def test_workflow_send_back_then_resubmit_keeps_both_versions(submitted_application, personas):
    app = submitted_application
    transition(app, Action.RETURN, by=personas.county, reason="请补充第三年目标")
    app.refresh_from_db()
    from sciplan.applications.services import save_section

    save_section(
        app, "basis", {"goal_year3": "补充后的目标"}, base_version=app.version, by=personas.applicant
    )
    version = submit_application(app, by=personas.applicant)

    versions = list(app.versions.order_by("number").values_list("number", "snapshot__fields__goal_year3"))
    assert version.number == 2
    assert versions[1] == (2, "补充后的目标")
    assert versions[0][1] != "补充后的目标"
    history = list(app.events.values_list("action", "reason"))
    assert history == [("submit", ""), ("return", "请补充第三年目标"), ("submit", "")]
