"""STANDARDS H36 and the rate limits of SPEC §14 / I39: deploy checks, headers on every response, error
pages without tracebacks, 429 with Retry-After, fail-closed limiter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.security.routes import all_routes, url_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
CSP_EXEMPT = {"api:openapi-view": "the interactive API docs page (ninja's Swagger UI) sets its own policy"}


def test_check_deploy_passes_with_production_settings():
    # Only the settings named here: a run under production settings exports some of its own (no TLS
    # redirect for the test client) that a deployment would not have.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SCIPLAN_")},
        "SCIPLAN_DEBUG": "0",
        "SCIPLAN_SECRET_KEY": "check-only-secret-key-long-enough-for-deploy-check-" + "x" * 20,
        "SCIPLAN_ALLOWED_HOSTS": "sciplan.example.cn",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests of this process only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert (result.returncode, result.stderr.strip()) == (0, ""), result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "SCIPLAN_DEBUG": "0", "SCIPLAN_SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "SCIPLAN_SECRET_KEY must be set" in result.stderr


def _get_routes():
    return [r for r in all_routes() if "GET" in r.methods and r.name not in CSP_EXEMPT]


def test_security_headers_on_every_get_route(personas, client_for):
    anonymous = Client()
    bureau = client_for("bureau")
    missing = []
    for route in _get_routes():
        for who, client in (("anonymous", anonymous), ("bureau", bureau)):
            response = client.get(url_for(route))
            csp = response.get("Content-Security-Policy", "")
            if "frame-ancestors 'none'" not in csp or "default-src 'self'" not in csp:
                missing.append(f"{who} {route.name}: CSP")
            if response.get("X-Content-Type-Options") != "nosniff":
                missing.append(f"{who} {route.name}: nosniff")
            if response.get("Referrer-Policy") != "same-origin":
                missing.append(f"{who} {route.name}: Referrer-Policy")

    assert missing == []


def test_hsts_on_https_in_production(settings, call):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False

    response = Client().get("/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_server_error_page_shows_an_error_id_and_no_traceback(settings, caplog):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.security.urls_boom"
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    body = response.content.decode()
    assert response.status_code == 500
    error_id = response["X-Error-Id"]
    assert len(error_id) == 12
    assert f"错误编号：{error_id}" in body
    assert "Traceback" not in body and "hunter2" not in body and "/srv/sciplan" not in body
    assert any(error_id in r.getMessage() for r in caplog.records)


def test_api_not_found_is_json_with_error_id(settings):
    settings.DEBUG = False

    response = Client().get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()


# --- rate limits -----------------------------------------------------------------------------------


def _limit(settings, pattern: str, methods: str = "POST", key: str = "ip"):
    settings.RATE_LIMITS = [(pattern, methods, 3, 300, key)]


def test_login_is_rate_limited_with_retry_after(settings, personas):
    _limit(settings, "accounts:login")
    client = Client()
    answers = [
        client.post("/accounts/login/", {"username": f"user{i}", "password": "x"}).status_code
        for i in range(4)
    ]

    assert answers == [200, 200, 200, 429]
    limited = client.post("/accounts/login/", {"username": "applicant", "password": "x"})
    assert 1 <= int(limited["Retry-After"]) <= 300
    assert "操作过于频繁" in limited.content.decode()


def test_token_endpoint_is_rate_limited(settings, personas):
    _limit(settings, "api:auth_token_create")
    body = json.dumps({"username": "nobody", "password": "x"})
    answers = [
        Client().post("/api/v1/auth/token", body, content_type="application/json").status_code
        for _ in range(4)
    ]

    assert answers[-1] == 429
    assert answers[:3].count(429) == 0


def test_objection_endpoint_is_rate_limited(settings, call):
    _limit(settings, "*objection*")
    body = json.dumps({"name": "张三", "phone": "13807301234", "content": "异议"})
    answers = [
        Client().post("/api/v1/public-notices/987654/objections", body, content_type="application/json")
        for _ in range(4)
    ]

    assert [a.status_code for a in answers][-1] == 429
    assert answers[-1].json()["code"] == "rate_limited"
    assert int(answers[-1]["Retry-After"]) >= 1


def test_exports_are_rate_limited_per_user(settings, client_for):
    _limit(settings, "*export*", methods="GET", key="user")
    bureau = client_for("bureau")
    answers = [bureau.get("/accounts/audit/export/", {"format": "csv"}).status_code for _ in range(4)]
    other = client_for("county").get("/accounts/audit/export/", {"format": "csv"}).status_code

    assert answers == [200, 200, 200, 429]
    assert other == 403  # another user has their own budget (and no right to the audit log)


def test_configured_limits_cover_login_token_objection_and_export(settings):
    from sciplan.core.ratelimit import matching_rule

    covered = {
        name: matching_rule(name, method) is not None
        for name, method in [
            ("accounts:login", "POST"),
            ("api:auth_token_create", "POST"),
            ("api:objection_create", "POST"),
            ("recognition:objection_new", "POST"),
            ("api:export_download", "GET"),
            ("documents:export_applications", "GET"),
            ("review:ranking_export", "GET"),
            ("api:summary_table_download", "GET"),
            ("recommendations:summary", "GET"),
        ]
    }

    assert all(covered.values()), covered


def test_broken_rate_limiter_refuses_the_request(settings, personas):
    settings.RATE_LIMITS = [("accounts:login", "POST", 3, 300, "ip")]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    response = Client().post("/accounts/login/", {"username": "applicant", "password": "x"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
