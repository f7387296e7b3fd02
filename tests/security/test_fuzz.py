"""STANDARDS C15, C16: the OpenAPI schema fuzzed through the WSGI app as an anonymous client and as an
applicant (no 5xx, answers match the schema), and the USCC, phone and ID validators fuzzed with
Hypothesis (a validation error with a message, never anything else). Bounded to run in well under two
minutes: a few examples per operation, derandomised so a failure reproduces. The API tests commit like
production does (one transaction per request), so one failing request cannot poison the next on
PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciplan.accounts import uscc
from sciplan.accounts.validators import validate_id_number, validate_mobile, validate_phone, validate_uscc

EXAMPLES_PER_OPERATION = 4
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz_api(headers: dict[str, str]) -> tuple[list[str], int]:
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        def make_run(strategy):
            @FUZZ_SETTINGS
            @given(case=strategy)
            def run(case):
                response = case.call(headers=headers)
                case.validate_response(
                    response,
                    checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
                )

            return run

        try:
            make_run(operation.as_strategy())()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, not just the first
            failures.append(
                f"{operation.method.upper()} {operation.path}: {' '.join(str(exc).split())[:400]}"
            )
    return failures, operations


@pytest.mark.django_db(transaction=True)
def test_api_fuzzed_anonymously_has_no_server_errors_and_conforms(call):
    from django.core.cache import cache

    failures, operations = _fuzz_api({})
    cache.clear()
    print("FUZZ", *failures, sep="\n")

    assert operations > 30
    assert failures == []


@pytest.mark.django_db(transaction=True)
def test_api_fuzzed_as_applicant_has_no_server_errors_and_conforms(personas, complete_application):
    from django.core.cache import cache

    from sciplan.api.auth import issue_token

    raw, _ = issue_token(personas.applicant)
    failures, operations = _fuzz_api({"Authorization": f"Bearer {raw}"})
    cache.clear()
    print("FUZZ", *failures, sep="\n")

    assert operations > 30
    assert failures == []


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
