"""What must hold with DEBUG off (STANDARDS A1, A2, E22): the auth receivers stay connected, sign-ins,
failures and sign-outs are audited, an old password must be changed, and API tokens end with the
credentials they were issued for."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings

from sciplan.accounts.demo import DEMO_PASSWORD
from sciplan.core import clock
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, django
django.setup()
gc.collect()
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from axes.signals import user_locked_out
from django.db.models.signals import pre_save
from django.contrib.auth import get_user_model
for signal, sender in ((user_logged_in, None), (user_logged_out, None), (user_login_failed, None),
                       (user_locked_out, None), (pre_save, get_user_model())):
    sync, _ = signal._live_receivers(sender)
    print(sorted(getattr(r, "__name__", "") for r in sync))
"""


def test_auth_receivers_stay_connected_when_the_app_loads_with_debug_off(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sciplan.settings",
        "SCIPLAN_DEBUG": "0",
        "SCIPLAN_SECRET_KEY": "test-only-" + "x" * 50,
        "SCIPLAN_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    out = out.stdout
    assert "on_login" in out
    assert "on_logout" in out
    assert "on_failure" in out
    assert "on_locked" in out
    assert "revoke_tokens_on_credential_change" in out


def _sign_in(client, username, password=DEMO_PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


@override_settings(DEBUG=False)
def test_sign_in_failure_and_sign_out_are_audited_with_debug_off(personas):
    client = Client()
    _sign_in(client, personas.applicant.username, "wrong-password-1")
    assert AuditEvent.objects.filter(event_type="auth.login_failed").count() == 1
    response = _sign_in(client, personas.applicant.username)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event_type="auth.login", actor_id=personas.applicant.pk).count() == 1
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(event_type="auth.logout", actor_id=personas.applicant.pk).count() == 1


@override_settings(DEBUG=False)
def test_an_expired_password_must_be_changed_with_debug_off(personas):
    user = personas.applicant
    type(user).objects.filter(pk=user.pk).update(password_changed_at=clock.now() - timedelta(days=100))
    client = Client()
    assert _sign_in(client, user.username).status_code == 302
    response = client.get("/")
    assert response.status_code == 302
    assert "password" in response["Location"]


def _token(client, username):
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return response.json()["token"]


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
        user.set_password("Reset-2025-pass!")
        user.save(update_fields=["password"])
    else:
        user.is_active = False
        user.save()
        user.is_active = True
        user.save()  # reactivating does not bring the old token back
    assert client.get("/api/v1/applications", **auth).status_code == 401
    assert AuditEvent.objects.filter(event_type="auth.token_revoked", object_id=str(user.pk)).exists()
