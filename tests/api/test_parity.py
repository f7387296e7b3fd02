"""Everything a page can do, the API can do (SPEC §14): the list of actions is derived from the code.

Two sources, both read from the code rather than written down here:

- every ``(state, action)`` of the workflow table ``applications.workflow.TABLE``;
- every write of the services of each app — a public function of a services module that opens a
  transaction, appends to the audit log, runs a transition, or calls another such function.

Each must map to the operationId that does it through the API, or stand in ``NOT_IN_API`` with the
reason. A service write added later without an operation (or an entry below) fails this test, and so
does an entry that names a function or operation that no longer exists.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from sciplan.api.urls import api
from sciplan.applications.workflow import TABLE, Action

SERVICE_MODULES = [
    "accounts.services",
    "accounts.user_admin",
    "accounts.api_keys",
    "calls.services",
    "calls.dictionaries",
    "applications.services",
    "recommendations.services",
    "review.services",
    "review.draws",
    "review.experts",
    "review.invitations",
    "review.panels",
    "review.scoring",
    "recognition.services",
    "recognition.assessment",
    "recognition.calendar",
]

# The workflow actions with an operation of their own, which records what the action needs besides the
# state (a formal review's checklist, a proposed list, a notice, a recognition's number, an objection's
# outcome). Every other action is ``application_transition`` with that action.
DEDICATED = {
    Action.FORMAL_PASS: "formal_review_create",
    Action.FORMAL_FAIL: "formal_review_create",
    Action.PROPOSE: "proposal_create",
    Action.UNPROPOSE: "proposal_create",
    Action.PUBLISH: "public_notice_create",
    Action.UPHOLD_OBJECTION: "objection_resolve",
    Action.RECOGNIZE: "recognition_create",
}

SERVICE_OPERATIONS = {
    # accounts
    "accounts.services.register_unit": "unit_register",
    "accounts.services.approve_unit": "unit_approve",
    "accounts.services.add_unit_user": "unit_user_create",
    "accounts.services.override_uscc": "uscc_override_create",
    "accounts.user_admin.create_user": "user_create",
    "accounts.user_admin.update_user": "user_update",
    "accounts.user_admin.set_active": "user_update",
    "accounts.user_admin.reset_password": "user_password_reset",
    "accounts.user_admin.reset_authenticator": "user_authenticator_reset",
    "accounts.user_admin.unlock": "user_unlock",
    "accounts.api_keys.create_key": "api_key_create",
    "accounts.api_keys.revoke_key": "api_key_revoke",
    "calls.dictionaries.create_entry": "dictionary_entry_create",
    "calls.dictionaries.update_entry": "dictionary_entry_update",
    "calls.dictionaries.set_active": "dictionary_entry_activate",
    "accounts.api_keys.revoke_keys_of": "user_update",  # deactivation (active=false) revokes the keys
    # calls set-up
    "calls.services.create_call": "call_create",
    "calls.services.update_call": "call_update",
    "calls.services.copy_call": "call_copy",
    "calls.services.transition_call": "call_publish",  # and call_close, call_archive
    "calls.services.grant_extension": "extension_create",
    # applications
    "applications.services.create_application": "application_create",
    "applications.services.save_section": "application_update",
    "applications.services.add_member": "member_create",
    "applications.services.update_member": "member_update",
    "applications.services.delete_member": "member_delete",
    "applications.services.confirm_member": "member_confirm",
    "applications.services.reissue_member_link": "member_link_reissue",
    "applications.services.add_platform": "platform_create",
    "applications.services.update_platform": "platform_update",
    "applications.services.delete_platform": "platform_delete",
    "applications.services.upload_attachment": "attachment_upload",
    "applications.services.delete_attachment": "attachment_delete",
    "applications.services.submit_application": "application_transition",
    "applications.services.withdraw_application": "application_transition",
    # recommendations
    "recommendations.services.recommend": "application_transition",
    "recommendations.services.record_credit_checks": "credit_check_record",
    "recommendations.services.upload_letter": "recommendation_letter_upload",
    "recommendations.services.move_rank": "recommendation_rank_update",
    # review
    "review.services.record_paper_receipt": "paper_receipt_create",
    "review.services.record_formal_review": "formal_review_create",
    "review.services.record_site_visit": "site_visit_create",
    "review.services.add_visit_file": "site_visit_create",
    "review.experts.create_expert": "expert_create",
    "review.experts.import_experts": "expert_import",
    "review.invitations.invite_expert": "expert_invite",
    "review.invitations.invite_many": "expert_invite",  # the page's "invite all" is one call per expert
    "review.panels.draw_panel": "panel_draw",
    "review.panels.fill_vacancies": "panel_fill",
    "review.panels.replace_seats": "panel_replace",
    "review.scoring.reopen_score": "score_reopen",
    "review.panels.add_avoid": "avoid_create",
    "review.services.record_summary_table": "summary_table_receipt_create",
    "review.experts.update_expert": "expert_update",
    "review.panels.verify_draw": "panel_verify",
    "review.panels.declare": "conflict_declare",
    "review.scoring.submit_score": "score_submit",
    "review.scoring.confirm_ranking": "ranking_confirm",
    "review.scoring.update_rubric": "call_update",  # the call's rubric field
    # recognition
    "recognition.services.propose": "proposal_create",
    "recognition.services.publish_notice": "public_notice_create",
    "recognition.services.file_objection": "objection_create",
    "recognition.services.resolve_objection": "objection_resolve",
    "recognition.services.recognize": "recognition_create",
    "recognition.services.decline": "application_transition",  # action reject
    "recognition.services.revoke": "application_transition",  # action revoke, same handler
    "recognition.services.confirm_workday_year": "workday_calendar_update",
    "recognition.services.set_workday_override": "workday_calendar_update",  # a year's days at once
    "recognition.services.delete_workday_override": "workday_calendar_update",
    "recognition.assessment.submit_assessment": "assessment_submit",
    "recognition.assessment.grade_assessment": "assessment_grade",
    "recognition.assessment.publish_assessment_notice": "assessment_notice_create",
    "recognition.assessment.revoke_after_failure": "application_transition",  # revoke, payload.assessment_id
    "recognition.assessment.revoke_action": "application_transition",  # the handler of revoke
}

# What the pages (or the system) can do that the API does not, each with the reason. Entries marked
# "gap" are differences an integrator could meet; the others are not actions of a role's work.
NOT_IN_API = {
    # not a role's work through an integration
    "accounts.services.verify_otp": "two-factor sign-in: the API takes the code in auth_token_create",
    "accounts.services.confirm_device": "enrolling an authenticator is done on the web by design (docs/api.md)",
    "accounts.services.change_role": "no page calls it; the administrator changes roles with user_update",
    "accounts.user_admin.create_first_admin": "the installation's first account (manage.py create_admin)",
    "accounts.user_admin.password_set_by_link": "the person's own one-time e-mailed link, on the web",
    "review.scoring.check_score": "writes nothing: the page's review step before score_submit, whose 422 "
    "answers carry the same checks",
}


def _calls(source: str, names: set[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(n)}\(|\.{re.escape(n)}\(", source) for n in names)


def service_writes() -> set[str]:
    """``app.module.function`` of every write of the service modules (see the module docstring)."""
    functions: dict[str, str] = {}
    for name in SERVICE_MODULES:
        module = importlib.import_module(f"sciplan.{name}")
        for attr, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not attr.startswith("_"):
                functions[f"{name}.{attr}"] = inspect.getsource(fn)
    writes = {
        q
        for q, src in functions.items()
        if "audit.record(" in src or "transaction.atomic" in src or re.search(r"\btransition\(", src)
    }
    while True:  # a function that calls a write is a write
        more = {
            q
            for q, src in functions.items()
            if q not in writes and _calls(src, {w.rsplit(".", 1)[1] for w in writes})
        }
        if not more:
            return writes
        writes |= more


@pytest.fixture(scope="module")
def schema() -> dict:
    return api.get_openapi_schema()


def _operations(schema: dict) -> dict[str, dict]:
    return {
        op["operationId"]: op
        for item in schema["paths"].values()
        for op in item.values()
        if "operationId" in op
    }


def _transition_actions(schema: dict) -> set[str]:
    body = _operations(schema)["application_transition"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    ref = body["$ref"].rsplit("/", 1)[1]
    action = schema["components"]["schemas"][ref]["properties"]["action"]
    enum_ref = action.get("$ref") or action["allOf"][0]["$ref"]
    return set(schema["components"]["schemas"][enum_ref.rsplit("/", 1)[1]]["enum"])


def test_every_service_write_has_an_operation_or_a_reason():
    writes = service_writes()

    missing = sorted(writes - SERVICE_OPERATIONS.keys() - NOT_IN_API.keys())
    stale = sorted((SERVICE_OPERATIONS.keys() | NOT_IN_API.keys()) - writes)

    assert missing == [], "a page can do this and the API cannot: add an operation or a reason"
    assert stale == [], "no longer a service write: remove the entry"
    assert SERVICE_OPERATIONS.keys().isdisjoint(NOT_IN_API)


def test_every_mapped_operation_is_served(schema):
    served = set(_operations(schema))

    named = set(SERVICE_OPERATIONS.values()) | set(DEDICATED.values()) | {"application_transition"}

    assert sorted(named - served) == []


def test_every_action_of_the_workflow_table_has_an_operation(schema):
    through_transition = _transition_actions(schema)

    unreachable = sorted(
        f"{state}:{action}"
        for state, action in TABLE
        if action not in DEDICATED and action not in through_transition
    )

    assert unreachable == []
    assert {a for _, a in TABLE} <= set(Action.values)


def test_the_derivation_finds_the_writes_it_should():
    """The derivation itself can fail: it finds known writes of each kind (transaction, audit, transition,
    and a write through another write)."""
    writes = service_writes()

    assert {
        "accounts.services.register_unit",
        "recommendations.services.recommend",
        "recognition.services.decline",
        "recognition.assessment.revoke_after_failure",
    } <= writes
    assert "accounts.user_admin.ensure_admin" not in writes
