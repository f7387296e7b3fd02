"""An unreachable database answers 503 + Retry-After with the limiter's "系统繁忙" sentence, for pages,
the page's autosave and the API, and nothing is half written (STANDARDS F30; issue: outage → 500).

The outage is injected at Django's database layer: every query (or every write, for a failure in the
middle of a request) raises the OperationalError a dropped connection raises. The PostgreSQL test points
the connection at a closed port instead, as a stopped server looks to the application.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

from sciplan.applications.models import Application, ApplicationVersion
from sciplan.core.badinput import FIELD_MESSAGE
from sciplan.core.errors import BUSY_MESSAGE
from sciplan.core.views import server_error
from tests.api.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def outage(*, writes_only: bool = False):
    def refuse(execute, sql, params, many, context):
        if not writes_only or sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def _assert_busy(response, *, json_body: bool) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    if json_body:
        assert (response.json()["detail"], response.json()["code"]) == (BUSY_MESSAGE, "unavailable")
    else:
        assert BUSY_MESSAGE in response.content.decode()


@pytest.fixture
def applicant_page(personas):
    client = Client(raise_request_exception=False)
    client.force_login(personas.applicant)
    return client


@pytest.mark.parametrize("writes_only", [False, True])
def test_autosave_during_an_outage_is_503_and_saves_nothing(
    applicant_page, complete_application, writes_only
):
    before = Application.objects.get(pk=complete_application.pk)

    with outage(writes_only=writes_only):
        response = applicant_page.post(
            f"/applications/{before.pk}/section/basic/",
            {"direction": "停电期间输入的文字", "base_version": before.version},
            HTTP_ACCEPT="application/json",
            HTTP_X_AUTOSAVE="1",
        )

    _assert_busy(response, json_body=True)
    assert response.json()["message"] == BUSY_MESSAGE  # what the autosave script shows before it retries
    after = Application.objects.get(pk=before.pk)
    assert (after.version, after.direction) == (before.version, before.direction)


@pytest.mark.parametrize("writes_only", [False, True])
def test_submit_page_during_an_outage_is_503_and_submits_nothing(
    applicant_page, complete_application, writes_only
):
    with outage(writes_only=writes_only):
        response = applicant_page.post(f"/applications/{complete_application.pk}/submit/")

    _assert_busy(response, json_body=False)
    assert Application.objects.get(pk=complete_application.pk).status == "draft"
    assert ApplicationVersion.objects.filter(application_id=complete_application.pk).count() == 0


@pytest.mark.parametrize("writes_only", [False, True])
def test_api_submit_during_an_outage_is_503_and_a_retry_submits_once(
    personas, complete_application, writes_only
):
    token = sign_in(personas.applicant.username).token
    client = Client(raise_request_exception=False)
    path = f"/api/v1/applications/{complete_application.pk}/transitions"
    body = json.dumps({"action": "submit", "idempotency_key": "outage-retry-1"})
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    with outage(writes_only=writes_only):
        refused = client.post(path, body, content_type="application/json", **headers)
    retried = client.post(path, body, content_type="application/json", **headers)

    _assert_busy(refused, json_body=True)
    assert retried.status_code == 200
    assert ApplicationVersion.objects.filter(application_id=complete_application.pk).count() == 1


def test_anonymous_page_during_an_outage_is_503():
    with outage():
        response = Client(raise_request_exception=False).get("/calls/")

    _assert_busy(response, json_body=False)


@pytest.mark.postgres
def test_database_server_gone_is_503_for_page_and_api(personas, complete_application):
    token = sign_in(personas.applicant.username).token
    page = Client(raise_request_exception=False)
    page.force_login(personas.applicant)
    api = Client(raise_request_exception=False)
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: "connection refused"
    try:
        page_response = page.get(f"/applications/{complete_application.pk}/")
        api_response = api.get(
            f"/api/v1/applications/{complete_application.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port

    _assert_busy(page_response, json_body=False)
    _assert_busy(api_response, json_body=True)


@pytest.mark.parametrize("debug", [False, True])
def test_outage_in_a_view_is_503_whatever_debug_says(settings, personas, debug):
    settings.DEBUG = debug
    token = sign_in(personas.applicant.username).token
    client = Client(raise_request_exception=False)

    with outage():
        page = client.get("/calls/")
        api = client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {token}")

    _assert_busy(page, json_body=False)
    _assert_busy(api, json_body=True)


@override_settings(DEBUG=False)
def test_outage_met_in_a_middleware_before_any_view_is_503_with_debug_off(applicant_page):
    # The signed-in user's session is first read by SessionTimeoutMiddleware, before any view runs.
    with outage():
        response = applicant_page.get("/")

    _assert_busy(response, json_body=False)


def test_the_500_handler_answers_an_outage_as_busy(rf):
    # Django calls handler500 inside its ``except`` for what no middleware turned into a response.
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(rf.get("/calls/"))

    _assert_busy(response, json_body=False)


PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import override_settings, setup_test_environment

setup_test_environment(debug=False)
assert settings.DEBUG is False

def refuse(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")

# The static manifest is built by collectstatic on deployment; the probe renders without it.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
client = Client(raise_request_exception=False)
answers = {}
with override_settings(STORAGES=storages), connection.execute_wrapper(refuse):
    for name, response in (
        ("page_outage", client.get("/calls/", secure=True)),
        ("api_outage", client.post("/api/v1/auth/token", json.dumps({"username": "a", "password": "b"}),
                                   content_type="application/json", secure=True)),
        ("api_nul", client.post("/api/v1/auth/token", json.dumps({"username": "a\\x00", "password": "b"}),
                                content_type="application/json", secure=True)),
        ("page_nul", client.post("/accounts/login/", {"username": "a\\x00", "password": "b"}, secure=True)),
    ):
        answers[name] = [response.status_code, response.get("Retry-After"), response.content.decode()]
print(json.dumps(answers, ensure_ascii=False))
"""


def test_outage_and_unstorable_input_answers_hold_under_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sciplan.settings",
        "SCIPLAN_DEBUG": "0",
        "SCIPLAN_SECRET_KEY": "test-only-" + "x" * 50,
        "SCIPLAN_ALLOWED_HOSTS": "testserver",
        "SCIPLAN_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
    }
    env.pop("DATABASE_URL", None)
    run = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PRODUCTION_PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    answers = json.loads(run.stdout.strip().splitlines()[-1])

    assert answers["page_outage"][:2] == [503, "3"]
    assert BUSY_MESSAGE in answers["page_outage"][2]
    assert answers["api_outage"][:2] == [503, "3"]
    assert json.loads(answers["api_outage"][2])["code"] == "unavailable"
    assert answers["api_nul"][0] == 422
    assert json.loads(answers["api_nul"][2])["errors"] == {"username": FIELD_MESSAGE}
    assert answers["page_nul"][0] == 400
    assert FIELD_MESSAGE in answers["page_nul"][2]


def test_outage_inside_the_access_policy_check_is_503_not_403(applicant_page, complete_application):
    # The page's access policy fails closed on an error; a dropped database is still refused, as a 503
    # the autosave retries, not as a 403 it would show as "no permission".
    from sciplan.core.middleware import AccessPolicyMiddleware

    def dropped(self, request, user):
        raise OperationalError("terminating connection due to administrator command")

    with mock.patch.object(AccessPolicyMiddleware, "_policy", dropped):
        response = applicant_page.post(
            f"/applications/{complete_application.pk}/section/basic/",
            {"direction": "断线时输入的文字", "base_version": complete_application.version},
            HTTP_ACCEPT="application/json",
            HTTP_X_AUTOSAVE="1",
        )

    _assert_busy(response, json_body=True)


@pytest.mark.parametrize("writes_only", [False, True])
def test_sign_in_during_an_outage_is_503_not_a_lockout_or_429(personas, writes_only):
    """A sign-in met by an outage is "busy", never a failed sign-in: nothing counts toward a lockout."""
    from sciplan.accounts.demo import DEMO_PASSWORD

    page, api = Client(raise_request_exception=False), Client(raise_request_exception=False)
    body = {"username": personas.applicant.username, "password": DEMO_PASSWORD}
    with outage(writes_only=writes_only):
        for _ in range(7):
            _assert_busy(page.post("/accounts/login/", body), json_body=False)
            _assert_busy(
                api.post("/api/v1/auth/token", json.dumps(body), content_type="application/json"),
                json_body=True,
            )

    # After the outage the same person signs in at once: the busy answers were not failed attempts.
    response = page.post("/accounts/login/", body)
    assert response.status_code == 302
