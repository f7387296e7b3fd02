"""What must hold with DEBUG off (STANDARDS A1, A2, E22): the auth receivers stay connected, sign-ins,
failures and sign-outs are audited, an old password must be changed, and API tokens end with the
credentials they were issued for.

The DEBUG-off checks run in a fresh interpreter started with ``SCIPLAN_DEBUG=0`` (``production.run_probe``):
a receiver that only lives because of DEBUG (a nested function held by weak reference) is gone there.
That interpreter signs in over Django's test client, through the production middleware stack.
"""

from __future__ import annotations

import pytest
from django.test import Client

from sciplan.accounts import user_admin
from sciplan.accounts.demo import DEMO_PASSWORD
from sciplan.core.models import AuditEvent
from tests.security.production import run_probe

PROBE = """
import gc, json, django
django.setup()
gc.collect()
from datetime import timedelta
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from axes.signals import user_locked_out
from django.db.models.signals import pre_save
from django.contrib.auth import get_user_model

out = {"debug": settings.DEBUG, "receivers": {}}
for name, signal, sender in (("user_logged_in", user_logged_in, None),
                             ("user_logged_out", user_logged_out, None),
                             ("user_login_failed", user_login_failed, None),
                             ("user_locked_out", user_locked_out, None),
                             ("pre_save", pre_save, get_user_model())):
    sync, _ = signal._live_receivers(sender)
    out["receivers"][name] = sorted(getattr(r, "__name__", "") for r in sync)

from django.core.management import call_command
call_command("migrate", verbosity=0)

from django.test import Client
from django.test.utils import override_settings
from sciplan.accounts.models import User
from sciplan.api.auth import issue_token
from sciplan.api.models import ApiToken
from sciplan.core import clock
from sciplan.core.models import AuditEvent

def events(kind, user=None):
    qs = AuditEvent.objects.filter(event_type=kind)
    return qs.filter(actor_id=user.pk).count() if user else qs.count()

def person(username, **extra):
    user = User(username=username, name=username, role="expert", **extra)
    user.set_password("Probe-2025-pass!")
    user.save()
    return user

fresh = person("probe_fresh", password_changed_at=clock.now())
old = person("probe_old", password_changed_at=clock.now() - timedelta(days=settings.PASSWORD_CHANGE_DAYS + 1))

# The production static storage needs collectstatic's manifest; pages are rendered with plain storage.
static = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=static):
    client = Client(HTTP_X_FORWARDED_PROTO="https")  # behind the TLS proxy
    failed = client.post("/accounts/login/", {"username": fresh.username, "password": "wrong-password-1"})
    out["failed_status"] = failed.status_code
    out["failed_events"] = events("auth.login_failed")
    signed_in = client.post("/accounts/login/", {"username": fresh.username, "password": "Probe-2025-pass!"})
    out["login_status"] = signed_in.status_code
    out["login_events"] = events("auth.login", fresh)
    home = client.get("/")
    out["fresh_home"] = [home.status_code, home.get("Location", "")]
    client.post("/accounts/logout/")
    out["logout_events"] = events("auth.logout", fresh)

    client = Client(HTTP_X_FORWARDED_PROTO="https")  # behind the TLS proxy
    client.post("/accounts/login/", {"username": old.username, "password": "Probe-2025-pass!"})
    home = client.get("/")
    out["expired_home"] = [home.status_code, home.get("Location", "")]

_, token = issue_token(fresh)
fresh.set_password("Another-2025-pass!")
fresh.save()
token.refresh_from_db()
out["token_revoked"] = token.revoked_at is not None
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """One fresh interpreter with DEBUG off; what it saw, as a dict."""
    return run_probe(PROBE, tmp_path_factory.mktemp("production"))


def test_the_probe_really_runs_with_debug_off(production):
    assert production["debug"] is False


def test_auth_receivers_stay_connected_when_the_app_loads_with_debug_off(production):
    receivers = production["receivers"]
    assert "on_login" in receivers["user_logged_in"]
    assert "on_logout" in receivers["user_logged_out"]
    assert "on_failure" in receivers["user_login_failed"]
    assert "on_locked" in receivers["user_locked_out"]
    assert "revoke_tokens_on_credential_change" in receivers["pre_save"]


def test_sign_in_failure_and_sign_out_are_audited_with_debug_off(production):
    assert (production["failed_status"], production["failed_events"]) == (200, 1)
    assert (production["login_status"], production["login_events"]) == (302, 1)
    assert production["logout_events"] == 1


def test_an_expired_password_must_be_changed_with_debug_off(production):
    assert "/accounts/password/" not in production["fresh_home"][1]
    status, location = production["expired_home"]
    assert status == 302
    assert location.startswith("/accounts/password/")


def test_a_new_password_ends_the_api_token_with_debug_off(production):
    assert production["token_revoked"] is True


def _token(client, username):
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return response.json()["token"]


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["own_password", "admin_reset", "deactivate"])
def test_a_token_ends_with_the_credentials_it_was_issued_for(personas, change):
    user = personas.applicant
    client = Client()
    raw = _token(client, user.username)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/applications", **auth).status_code == 200
    user.refresh_from_db()
    if change == "own_password":
        user.set_password("Another-2025-pass")
        user.save()
    elif change == "admin_reset":
        user.email = user.email or "applicant@example.cn"
        user.save(update_fields=["email"])
        user_admin.reset_password(user, by=personas.admin)
    else:
        user_admin.set_active(user, active=False, by=personas.admin)
        user_admin.set_active(user, active=True, by=personas.admin)  # the old token stays revoked
    assert client.get("/api/v1/applications", **auth).status_code == 401
    assert AuditEvent.objects.filter(event_type="auth.token_revoked", object_id=str(user.pk)).count() == 1


@pytest.mark.django_db
def test_saves_that_leave_the_credentials_alone_keep_the_token(personas, django_assert_num_queries):
    user = personas.applicant
    client = Client()
    raw = _token(client, user.username)
    user.refresh_from_db()
    with django_assert_num_queries(1):  # the UPDATE itself: the receiver does not look
        user.save(update_fields=["last_login"])
    user_admin.update_user(user, {"post": "主任"}, by=personas.admin)  # a full save, same password
    response = client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(event_type="auth.token_revoked").exists()
