from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from sciplan.core.middleware import CSP

pytestmark = pytest.mark.django_db

# The operations this part of the API provides (SPEC §14), plus the R&D platform operations an applicant
# needs to complete an application through the API.
OWN_OPERATIONS = {
    "auth_token_create",
    "auth_token_revoke",
    "unit_register",
    "unit_approve",
    "call_list",
    "call_get",
    "call_create",
    "call_update",
    "call_copy",
    "call_publish",
    "call_close",
    "call_archive",
    "application_list",
    "application_create",
    "application_get",
    "application_update",
    "member_create",
    "member_update",
    "member_delete",
    "member_confirm",
    "attachment_upload",
    "attachment_download",
    "attachment_delete",
    "eligibility_check",
    "application_transition",
    "application_history",
    "platform_create",
    "platform_update",
    "platform_delete",
    # what the pages also do (tests/api/test_parity.py)
    "member_link_reissue",
    "unit_user_create",
    "uscc_override_create",
}
OWN_TAGS = {"单位与账号", "申报批次", "申报书"}
ANONYMOUS = {"auth_token_create", "unit_register", "call_list", "call_get", "member_confirm"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def schema():
    """The schema as clients read it."""
    return Client().get("/api/v1/openapi.json").json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_is_served_as_json():
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "岳阳市科技计划管理系统 API"


def test_schema_json_has_no_duplicate_keys():
    duplicates: list[str] = []

    def pairs(items):
        keys = [k for k, _ in items]
        duplicates.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(items)

    json.loads(Client().get("/api/v1/openapi.json").content, object_pairs_hook=pairs)

    assert duplicates == []


def test_schema_is_valid_openapi(schema):
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(schema)] == []


def test_schema_references_all_resolve(schema):
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schema)))

    assert sorted(refs - set(schema["components"]["schemas"])) == []


def test_schema_has_exactly_our_operations_under_our_tags(schema):
    ours = {op["operationId"] for _, _, op in _operations(schema) if set(op.get("tags", [])) & OWN_TAGS}

    assert ours == OWN_OPERATIONS


def test_our_operations_are_described_in_chinese(schema):
    undocumented = [
        op["operationId"]
        for _, _, op in _operations(schema)
        if op["operationId"] in OWN_OPERATIONS
        and not (CHINESE.search(op.get("summary", "")) and CHINESE.search(op.get("description", "")))
    ]

    assert undocumented == []


def test_anonymous_operations_are_exactly_the_public_ones(schema):
    anonymous = {
        op["operationId"]
        for _, _, op in _operations(schema)
        if op["operationId"] in OWN_OPERATIONS and not op.get("security")
    }

    assert anonymous == ANONYMOUS


def test_docs_page_serves_local_assets_only():
    response = Client().get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert response["Content-Security-Policy"] == CSP
