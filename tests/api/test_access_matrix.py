"""Every persona against every applicant-side read, and every protected operation without a token."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from sciplan.applications.models import StatusEvent
from tests.api.conftest import ApiClient, sign_in
from tests.api.test_schema import ANONYMOUS, OWN_OPERATIONS

pytestmark = pytest.mark.django_db

PERSONAS = ("applicant", "applicant_b", "county", "finance", "park", "county_b", "finance_b", "bureau")
READS = ("/applications/{pk}", "/applications/{pk}/history", "/applications/{pk}/eligibility")


def _statuses(application, name: str) -> list[int]:
    client = sign_in(name)
    attachment = application.attachments.first()
    paths = [p.format(pk=application.pk) for p in READS]
    paths.append(f"/applications/{application.pk}/attachments/{attachment.pk}")
    return [client.get(path).status_code for path in paths]


def test_draft_is_visible_to_its_own_unit_only(complete_application, personas):
    seen = {name: _statuses(complete_application, name) for name in PERSONAS}

    assert seen == {name: [200] * 4 if name == "applicant" else [404] * 4 for name in PERSONAS}


def test_submitted_application_is_visible_to_its_unit_jurisdiction_and_bureau(
    submitted_application, personas
):
    seen = {name: _statuses(submitted_application, name) for name in PERSONAS}

    visible = {"applicant", "county", "finance", "bureau"}
    assert seen == {name: [200] * 4 if name in visible else [404] * 4 for name in PERSONAS}


def test_every_protected_operation_answers_401_without_token(db):
    schema = Client().get("/api/v1/openapi.json").json()
    answers = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if operation["operationId"] not in OWN_OPERATIONS - ANONYMOUS:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            answers[operation["operationId"]] = getattr(Client(), method)(url).status_code

    assert answers == {op: 401 for op in OWN_OPERATIONS - ANONYMOUS}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_with_one_idempotency_key_give_one_event(complete_application, personas):
    token = sign_in("applicant").token
    answers: list[int] = []
    receipts: set[str] = set()
    start = threading.Barrier(6)

    def submit():
        client = ApiClient(token)
        start.wait()
        try:
            response = client.post(
                f"/applications/{complete_application.pk}/transitions",
                {"action": "submit", "idempotency_key": "same-key-for-all"},
            )
            answers.append(response.status_code)
            receipts.add(response.json()["version"]["receipt_no"])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 6
    assert len(receipts) == 1
    assert StatusEvent.objects.filter(application=complete_application).count() == 1
