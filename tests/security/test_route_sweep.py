"""STANDARDS B6 and C13, generated from the URL conf: every route refuses anonymous users unless it is
on the public list below, and every state-changing page refuses a POST without a CSRF token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.security.routes import all_routes, url_for

pytestmark = pytest.mark.django_db

# Routes anyone may call, by name, each with the reason. A route in neither this list nor refusing
# anonymous users fails the sweep, naming it.
PUBLIC = {
    "core:home": "the public start page: open calls and the practice call",
    "core:healthz": "the load balancer's health check; says nothing but ok/unreachable",
    "accounts:login": "signing in",
    "accounts:logout": "signing out does nothing without a session (and is POST-only with CSRF)",
    "accounts:register": "a new applicant unit registers itself (SPEC §2)",
    "accounts:register_done": "the static page after registering",
    "accounts:set_password": "the one-time set-password link; the token is the credential",
    "calls:list": "calls are public notices",
    "calls:detail": "a call's public notice text and deadlines",
    "applications:confirm": "a member unit confirms with its one-time token (the token is the credential)",
    "recognition:notices": "公示 is public by law",
    "recognition:notice": "one public notice",
    "recognition:objection_new": "the public files objections with a real name (SPEC §8)",
    "recognition:objection_done": "the answer to a filed objection, read from this browser's session only",
    "recognition:objection_lookup": "an objector looks up its status with 受理编号 and phone (rate-limited)",
    "recognition:register": "the public list of recognised consortia",
    "recognition:register_detail": "one recognised consortium in the public list",
    "documents:verify": "anyone checks a paper copy against the submitted version (SPEC §10)",
    "api:openapi-json": "the API schema is published for integrators",
    "api:openapi-view": "the browsable API docs",
    "api:api-root": "ninja's index of the API",
    "api:auth_token_create": "signing in through the API",
    "api:unit_register": "SPEC §14: anyone",
    "api:call_list": "SPEC §14: anyone",
    "api:call_get": "SPEC §14: anyone",
    "api:member_confirm": "SPEC §14: anyone, with the one-time token",
    "api:document_verify": "SPEC §14: anyone",
    "api:public_notice_list": "SPEC §14: anyone",
    "api:objection_create": "SPEC §14: anyone",
    "api:recognized_list": "SPEC §14: anyone",
}
# Not state-changing although they answer POST with something other than 403 — none so far.
CSRF_EXEMPT_PAGES: dict[str, str] = {
    "accounts:logout": "checked below like every other page: listed here only if it ever stops being POST",
}
CSRF_EXEMPT_PAGES.clear()

REFUSALS = {401, 403, 404, 405}


def _anonymous_answer(client: Client, route, method: str):
    url = url_for(route)
    if method == "GET":
        return client.get(url)
    if route.api:
        return client.generic(method, url, json.dumps({}), content_type="application/json")
    return client.post(url, {})


def _refuses(response) -> bool:
    if response.status_code in REFUSALS:
        return True
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_route_refuses_anonymous_users_unless_public(call):
    client = Client()
    problems = []
    for route in all_routes():
        answers = {m: _anonymous_answer(client, route, m) for m in route.methods}
        if route.name in PUBLIC:
            problems += [
                f"{route.name} {m}: {r.status_code}" for m, r in answers.items() if r.status_code >= 500
            ]
            continue
        if not all(_refuses(r) for r in answers.values()):
            shown = ", ".join(f"{m}→{r.status_code}" for m, r in answers.items())
            problems.append(f"{route.name} ({shown}) is neither public nor refusing anonymous users")
        elif all(r.status_code == 405 for r in answers.values()):
            problems.append(f"{route.name}: every method answered 405, the sweep proves nothing")

    assert problems == []


def test_public_list_names_only_existing_routes():
    names = {route.name for route in all_routes()}

    assert sorted(set(PUBLIC) - names) == []


def test_sweep_sees_routes_added_by_every_app():
    names = {route.name for route in all_routes()}

    assert {"accounts:login", "api:auth_token_create", "core:notifications", "accounts:audit_log"} <= names
    assert len(names) > 40


def test_every_page_refuses_post_without_csrf_token(personas):
    problems = []
    for persona in ("applicant", "county", "bureau"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(personas[persona])
        for route in all_routes():
            if route.api or route.name in CSRF_EXEMPT_PAGES:
                continue
            response = client.post(url_for(route), {})
            if response.status_code != 403:
                problems.append(f"{persona} POST {route.name}: {response.status_code}")

    assert problems == []


def test_anonymous_csrf_applies_to_public_forms(call):
    client = Client(enforce_csrf_checks=True)
    problems = []
    for route in all_routes():
        if route.api or route.name not in PUBLIC:
            continue
        response = client.post(url_for(route), {})
        if response.status_code not in (403, 405):
            problems.append(f"anonymous POST {route.name}: {response.status_code}")

    assert problems == []
