"""The served schema says what the API does (issue 16, item 2): every operation has a Chinese summary
and description and declares its error answers with the error schema; every field and parameter is
described; enumerations and limits are declared; every error code the code can answer is listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import sciplan
from sciplan.core.errors import DomainError

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ERROR_SCHEMAS = {"#/components/schemas/ErrorOut", "#/components/schemas/ConflictOut"}
SOURCE = Path(sciplan.__file__).parent


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return Client().get("/api/v1/openapi.json").json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_has_a_chinese_summary_and_description(schema):
    missing = [
        op["operationId"]
        for _, _, op in _operations(schema)
        if not (CHINESE.search(op.get("summary", "")) and CHINESE.search(op.get("description", "")))
    ]

    assert missing == []


def test_every_property_of_every_schema_is_described(schema):
    missing = [
        f"{name}.{prop}"
        for name, component in schema["components"]["schemas"].items()
        for prop, spec in component.get("properties", {}).items()
        if not spec.get("description")
    ]

    assert missing == []


def test_every_parameter_is_described(schema):
    missing = [
        f"{op['operationId']}.{p['name']}"
        for _, _, op in _operations(schema)
        for p in op.get("parameters", [])
        if not p.get("description")
    ]

    assert missing == []


def _expected_errors(path: str, operation: dict) -> set[str]:
    expected = {"503"}
    if operation.get("security"):
        expected.add("401")
    if "{" in path:
        expected.add("404")
    if operation.get("parameters") or operation.get("requestBody"):
        expected.add("422")
    if operation.get("requestBody"):
        expected |= {"400", "413"}
    return expected


def test_every_operation_declares_its_error_answers(schema):
    missing = {
        op["operationId"]: sorted(_expected_errors(path, op) - set(op["responses"]))
        for path, _, op in _operations(schema)
        if _expected_errors(path, op) - set(op["responses"])
    }

    assert missing == {}


def test_every_error_answer_has_the_error_schema_and_a_chinese_description(schema):
    wrong = [
        f"{op['operationId']} {status}"
        for _, _, op in _operations(schema)
        for status, answer in op["responses"].items()
        if int(status) >= 400
        and (
            answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
            not in ERROR_SCHEMAS
            or not CHINESE.search(answer.get("description", ""))
        )
    ]

    assert wrong == []


def test_rate_limited_operations_declare_429(schema):
    limited = {"auth_token_create", "unit_register", "objection_create", "summary_table_download"}
    declared = {op["operationId"] for _, _, op in _operations(schema) if "429" in op["responses"]}

    assert limited - declared == set()


def _codes_in_source() -> set[str]:
    """The error codes the code can answer: those of the domain errors, the ``code=`` of every raise,
    and the literal codes of the API's and the middleware's own answers."""
    codes = set()
    stack = [DomainError]
    while stack:
        cls = stack.pop()
        codes.add(cls.code)
        stack.extend(cls.__subclasses__())
    for path in SOURCE.rglob("*.py"):
        if path.name in ("passwords.py", "validators.py"):  # Django validators, reworded before the API
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if "ValidationError(" in line:  # Django's validators: their codes never reach the API
                continue
            codes.update(re.findall(r"\bcode=\"([a-z_]+)\"", line))
            if path.parent.name == "api" or path.name in ("middleware.py", "ratelimit.py"):
                codes.update(re.findall(r"\"code\": \"([a-z_]+)\"", line))
    return codes


def test_the_error_code_enum_lists_every_code_the_api_can_answer(schema):
    code = schema["components"]["schemas"]["ErrorOut"]["properties"]["code"]
    enum = schema["components"]["schemas"][code["$ref"].rsplit("/", 1)[-1]]["enum"]

    assert sorted(_codes_in_source() - set(enum)) == []
    assert {"validation", "stale", "state", "deadline_passed", "rate_limited", "unavailable"} <= set(enum)


def test_panel_verify_has_its_own_response_schema(schema):
    panel = schema["paths"]["/api/v1/review/panels/{draw_id}/verify"]["get"]["responses"]["200"]
    document = next(
        op["responses"]["200"] for _, _, op in _operations(schema) if op["operationId"] == "document_verify"
    )
    panel_ref = panel["content"]["application/json"]["schema"]["$ref"]
    document_ref = document["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][panel_ref.rsplit("/", 1)[-1]]["properties"]

    assert panel_ref != document_ref
    assert sorted(properties) == ["message", "ok", "recomputed", "recorded", "snapshot_hash_ok"]


def _property(schema, component: str, name: str) -> dict:
    spec = schema["components"]["schemas"][component]["properties"][name]
    return next((s for s in spec.get("anyOf", []) if s.get("type") != "null"), spec)


def test_enumerations_and_text_limits_are_declared(schema):
    assert _property(schema, "ApplicationPatch", "lead_standing_level")["enum"] == [
        "",
        "nation",
        "province",
        "city",
    ]
    assert _property(schema, "ApplicationPatch", "basis")["maxLength"] == 3000
    assert _property(schema, "ApplicationPatch", "tech_field")["maxLength"] == 100
    assert _property(schema, "ApplicationDetail", "basis")["maxLength"] == 3000
    assert _property(schema, "UserOut", "role")["enum"] == [
        "applicant",
        "recommender",
        "finance",
        "bureau",
        "expert",
        "admin",
        "auditor",
    ]
    assert _property(schema, "FormalReviewIn", "outcome")["enum"] == ["pass", "fail", "return"]
    assert "submit" in schema["components"]["schemas"]["Action"]["enum"]


def test_a_text_over_its_declared_limit_is_refused_by_the_limit(complete_application, api_as):
    application = complete_application
    response = api_as("applicant").patch(
        f"/applications/{application.pk}", {"version": application.version, "tech_field": "字" * 101}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"tech_field": "不能超过100字。"}


def test_schema_descriptions_are_chinese(schema):
    english = [
        name
        for name, component in schema["components"]["schemas"].items()
        if component.get("description") and not CHINESE.search(component["description"])
    ]

    assert english == []
