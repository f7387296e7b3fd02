"""Random sequences of actions by random people at random times (STANDARDS B10): submitted versions never
change, nothing is submitted at or after the deadline, and every transition leaves exactly one history
event and one audit event."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sciplan.applications import workflow
from sciplan.applications.models import Application, ApplicationVersion, StatusEvent
from sciplan.applications.services import save_section, submit_application
from sciplan.applications.snapshot import content_hash
from sciplan.applications.workflow import Action
from sciplan.core.errors import DomainError
from sciplan.core.models import AuditEvent

PEOPLE = ["applicant", "applicant_b", "county", "finance", "county_b", "bureau"]
ACTIONS = [a.value for a in Action]


@pytest.mark.django_db
def test_workflow_random_operations_keep_the_promises(complete_application, personas, monkeypatch):
    # Later stages' guards are their own apps' business; here they pass so the walk can reach every state.
    for name in {
        g for t in workflow.TABLE.values() for g in t.guards if g not in ("eligible", "unit_approved")
    }:
        monkeypatch.setitem(workflow.GUARDS, name, lambda application, user: None)
    deadline = complete_application.call.closes_at

    class Machine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.app = Application.objects.get(pk=complete_application.pk)
            self.frozen = {
                v.pk: content_hash(v.snapshot)
                for v in ApplicationVersion.objects.filter(application=self.app)
            }

        @rule(who=st.sampled_from(PEOPLE), text=st.text(min_size=1, max_size=30))
        def edit(self, who, text):
            app = Application.objects.get(pk=self.app.pk)
            with contextlib.suppress(DomainError):
                save_section(app, "basis", {"goal_year1": text}, base_version=app.version, by=personas[who])

        @rule(who=st.sampled_from(PEOPLE), seconds=st.integers(min_value=-5, max_value=5))
        def submit(self, who, seconds):
            at = deadline + timedelta(seconds=seconds)
            try:
                version = submit_application(self.app, by=personas[who], at=at)
            except DomainError:
                return
            assert version.submitted_at < deadline
            self.frozen.setdefault(version.pk, content_hash(version.snapshot))

        @rule(who=st.sampled_from(PEOPLE), action=st.sampled_from(ACTIONS))
        def act(self, who, action):
            if action in (Action.SUBMIT, Action.SUBMIT_CORRECTION):
                return
            with contextlib.suppress(DomainError):
                workflow.transition(
                    Application.objects.get(pk=self.app.pk), action, by=personas[who], reason="理由"
                )

        @invariant()
        def versions_never_change(self):
            current = {
                v.pk: content_hash(v.snapshot)
                for v in ApplicationVersion.objects.filter(application=self.app)
            }
            assert {pk: current[pk] for pk in self.frozen} == self.frozen

        @invariant()
        def one_event_and_one_audit_per_transition(self):
            events = StatusEvent.objects.filter(application=self.app).count()
            audits = (
                AuditEvent.objects.filter(object_type="applications.application", object_id=str(self.app.pk))
                .exclude(event_type__in=["application.refused", "application.create"])
                .count()
            )
            assert events == audits

    Machine.TestCase.settings = settings(
        max_examples=10,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    Machine.TestCase().runTest()
