"""STANDARDS C15, C16: the OpenAPI schema fuzzed through the WSGI app by every role — anonymous, applicant,
county recommender, county finance, park recommender, bureau staff, a seated expert, the audit viewer and
the system administrator — with hostile strings (NUL, lone surrogates, zero-width characters, very long
text) and ids of objects that exist (``tests/security/fuzzing.py``): no 5xx, answers match the schema.
The USCC, phone and ID validators are fuzzed with Hypothesis (a validation error with a message, never
anything else).

Bounded: derandomised (a failure reproduces), ``READ_EXAMPLES`` cases per reading operation and
``WRITE_EXAMPLES`` per writing one. ``make test`` runs 2 and 5 (about 30 s a role on SQLite); the
production-settings run of ``make test-prod`` 1 and 2 (it is there for the wiring); a deep run sets
``SCIPLAN_FUZZ_EXAMPLES=5,12`` (the depth that found the bugs listed in docs/security.md). Each role fuzzes its own fresh
database (``transaction=True`` flushes it after each test), so what one role's fuzzing created cannot
reach another's. The API commits like production does (one transaction per request), so one failing
request cannot poison the next on PostgreSQL.
"""

from __future__ import annotations

import os
import time

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from sciplan.accounts import uscc
from sciplan.accounts.validators import validate_id_number, validate_mobile, validate_phone, validate_uscc
from tests.security.fuzzing import Caller, fuzz_api

READ_EXAMPLES, WRITE_EXAMPLES = (int(n) for n in os.environ.get("SCIPLAN_FUZZ_EXAMPLES", "2,5").split(","))

# Every role, as (persona, what it is). The expert is seated and declared on an application under review.
ROLES = {
    "anonymous": "匿名访问者",
    "applicant": "申报单位用户",
    "county": "县市区推荐单位",
    "finance": "县市区财政部门",
    "park": "园区推荐单位",
    "bureau": "市科技局",
    "expert_active": "已分配的评审专家",
    "auditor": "审计管理员",
    "admin": "系统管理员",
}


@pytest.fixture
def world(personas, call, complete_application):
    """Objects in several states for the ids the fuzzing uses: the applicant's draft, a submitted
    application (云溪区), one awaiting the finance department (云溪区), one under review with six experts
    around it (园区), one recommended (华容县); the audit viewer's account."""
    from sciplan.accounts.demo import ensure_user
    from sciplan.accounts.roles import Role
    from sciplan.applications.models import StatusEvent
    from sciplan.applications.workflow import Action
    from tests.factories import application_in_state, seated_experts

    application_in_state(call, personas.applicant_xinghu, "submitted", direction="生物医药")
    application_in_state(call, personas.applicant_gangcheng, "awaiting_finance", direction="智慧物流")
    under_review = application_in_state(
        call, personas.applicant_b, "under_review", direction="智能装备", actor=personas.bureau
    )
    application_in_state(call, personas.applicant_jiangbei, "recommended", direction="绿色食品")
    # The factory records its shortcut as the action "factory", which no transition writes and the
    # schema's action list rightly does not hold: give those steps a real action, as the workflow would.
    StatusEvent.objects.filter(action="factory").update(action=Action.ACCEPT)
    users = dict(personas)
    users.update(seated_experts(under_review, bureau=personas.bureau))
    users["auditor"] = ensure_user("auditor", "审计员", Role.AUDITOR, mobile="13507309999")
    return users


def existing_ids(name: str) -> list:
    """The ids of existing objects for a path or query parameter's name (``[]``: leave it random)."""
    from django.apps import apps

    models = {
        "application_id": "applications.Application",
        "attachment_id": "applications.Attachment",
        "member_id": "applications.Member",
        "platform_id": "applications.RdPlatform",
        "assessment_id": "recognition.Assessment",
        "call_id": "calls.Call",
        "draw_id": "review.Draw",
        "expert_id": "review.Expert",
        "key_id": "accounts.ApiKey",
        "notice_id": "recognition.PublicNotice",
        "objection_id": "recognition.Objection",
        "recognition_id": "recognition.Recognition",
        "unit_id": "accounts.Unit",
        "user_id": "accounts.User",
        "recommender_id": "calls.Recommender",
        "industry_id": "calls.Industry",
        "entry_id": "calls.Industry",
    }
    if name == "number":
        return [1, 2]
    if name == "year":
        return [2026, 2027]
    if name not in models:
        return []
    return sorted(apps.get_model(models[name]).objects.values_list("pk", flat=True))[:40]


def caller_for(user) -> Caller:
    """Bearer headers for ``user`` (none for anonymous), restoring the account and the token if the
    fuzzing deactivated, re-roled or signed it out."""
    from sciplan.accounts.models import User
    from sciplan.api.auth import hash_token, issue_token
    from sciplan.api.models import ApiToken

    if user is None:
        return Caller(headers=dict)
    kept = {
        "is_active": True,
        "role": user.role,
        "unit_id": user.unit_id,
        "recommender_id": user.recommender_id,
    }
    current = {"raw": issue_token(user)[0]}

    def headers() -> dict[str, str]:
        User.objects.filter(pk=user.pk).exclude(**kept).update(
            **kept, password_changed_at=user.password_changed_at
        )
        live = ApiToken.objects.filter(
            token_hash=hash_token(current["raw"]), revoked_at__isnull=True
        ).exists()
        if not live:
            current["raw"] = issue_token(user)[0]
        return {"Authorization": f"Bearer {current['raw']}"}

    return Caller(headers=headers)


def examples_for(method: str) -> int:
    return READ_EXAMPLES if method in ("GET", "HEAD") else WRITE_EXAMPLES


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", list(ROLES))
def test_api_fuzzed_by_every_role_has_no_server_errors_and_conforms(role, world):
    started = time.monotonic()
    report = fuzz_api(
        caller_for(None if role == "anonymous" else world[role]), examples=examples_for, ids=existing_ids
    )
    print(
        f"FUZZ {role}: {report.operations} operations, {report.requests} requests in "
        f"{time.monotonic() - started:.0f}s, statuses {dict(sorted(report.statuses.items()))}",
        *report.failures,
        sep="\n",
    )

    assert report.operations > 80
    assert report.failures == []


# --- validators ------------------------------------------------------------------------------------

ALL_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
NEAR_USCC = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ０１２３ 　-", min_size=0, max_size=22)


def _only_validation_errors(fn, value) -> str:
    try:
        return fn(value)
    except ValidationError as exc:
        assert exc.messages and all(isinstance(m, str) and m for m in exc.messages)
        return ""


@settings(max_examples=300, deadline=None)
@given(st.one_of(ALL_TEXT, NEAR_USCC))
def test_uscc_validator_only_raises_validation_errors(value):
    result = _only_validation_errors(validate_uscc, value)

    if result:
        assert len(result) == 18
        assert uscc.is_valid(result)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ALL_TEXT, st.from_regex(r"\+?(86)?1[0-9]{9,11}", fullmatch=True)))
def test_mobile_and_phone_validators_only_raise_validation_errors(value):
    mobile = _only_validation_errors(validate_mobile, value)
    _only_validation_errors(validate_phone, value)

    if mobile:
        assert len(mobile) == 11 and mobile.startswith("1")


@settings(max_examples=300, deadline=None)
@given(st.one_of(ALL_TEXT, st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True)))
def test_id_number_validator_only_raises_validation_errors(value):
    result = _only_validation_errors(validate_id_number, value)

    if result:
        assert len(result) == 18


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_built_codes_always_validate(body):
    assert uscc.is_valid(uscc.build("91430600", body)) is True
