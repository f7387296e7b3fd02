"""STANDARDS A5 (no default accounts outside demo mode) and A17 (``next=`` never leaves the site)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from sciplan.accounts.models import User
from sciplan.calls.models import Call
from sciplan.core.http import safe_next

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "sciplan"

OFF_SITE = [
    "https://evil.example/",
    "http://evil.example/login/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    " //evil.example/",
    "javascript:alert(1)",
    "http://testserver/applications/",  # this host, but plain http on an https site
]


# --- A5 ------------------------------------------------------------------------------------------------


def test_seed_demo_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="演示模式"):
        call_command("seed_demo")

    assert not User.objects.exists()
    assert not Call.objects.exists()


def test_demo_personas_refuse_to_exist_outside_demo_mode(settings, dictionaries):
    from sciplan.accounts.demo import load

    settings.DEMO_MODE = False

    with pytest.raises(ImproperlyConfigured, match="演示模式"):
        load({})

    assert not User.objects.exists()


def test_demo_authenticator_codes_refuse_outside_demo_mode(settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError):
        call_command("demo_otp", "bureau")


@pytest.mark.parametrize(("debug", "demo"), [("0", "False"), ("1", "True")])
def test_demo_mode_follows_debug_unless_set(debug, demo):
    """Production (DEBUG off) is never demo mode unless SCIPLAN_DEMO says so: read from the settings a
    fresh process computes, not from this test run's."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SCIPLAN_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        SCIPLAN_DEBUG=debug,
        SCIPLAN_SECRET_KEY="demo-mode-check-0123456789-secret-key-long-enough-for-production-xx",
        SCIPLAN_ALLOWED_HOSTS="sciplan.example.cn",
        DJANGO_SETTINGS_MODULE="sciplan.settings",
        PYTHONPATH=str(SRC.parent),
    )
    code = "from django.conf import settings; print(settings.DEMO_MODE)"
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed line of code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )

    assert out.stdout.strip() == demo, out.stderr


# --- A17 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_every_off_site_target(target):
    request = RequestFactory().get("/", {"next": target}, secure=True)

    assert safe_next(request, "/fallback/") == "/fallback/"


@pytest.mark.parametrize("target", ["/applications/", "/review/applications/?call=3#intake"])
def test_safe_next_keeps_a_path_on_the_site(target):
    request = RequestFactory().post("/", {"next": target}, secure=True)

    assert safe_next(request, "/fallback/") == target


def test_every_view_takes_next_through_the_one_helper():
    """A view that reads ``next`` itself could forget the check: only ``core.http.safe_next`` may."""
    readers = []
    pattern = re.compile(r"""(GET|POST)\.get\(\s*["']next["']|url_has_allowed_host_and_scheme""")
    for path in SRC.rglob("*.py"):
        if path == SRC / "core" / "http.py":
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            readers.append(str(path.relative_to(SRC)))

    assert readers == []


def _location_stays(response) -> bool:
    location = response["Location"]
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", OFF_SITE[:5])
def test_sign_in_with_an_off_site_next_lands_on_the_site(client, personas, target):
    response = client.post(
        "/accounts/login/", {"username": "applicant", "password": "Demo-2024-pass", "next": target}
    )

    assert response.status_code == 302
    assert _location_stays(response), response["Location"]


@pytest.mark.parametrize("target", OFF_SITE[:5])
def test_unit_review_with_an_off_site_next_lands_on_the_site(client_for, personas, target):
    from sciplan.accounts.models import Unit, UnitStatus

    unit = Unit.objects.filter(recommender=personas.county.recommender).first()
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.PENDING)
    response = client_for("county").post(
        f"/accounts/units/{unit.pk}/review/", {"decision": "approve", "next": target, "confirm": "1"}
    )

    assert response.status_code == 302
    assert _location_stays(response), response["Location"]


@pytest.mark.parametrize("target", OFF_SITE[:5])
def test_attachment_upload_with_an_off_site_next_lands_on_the_site(client_for, complete_application, target):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sciplan.applications.demo import sample_pdf

    response = client_for("applicant").post(
        f"/applications/{complete_application.pk}/attachments/upload/",
        {
            "kind": "charter",
            "file": SimpleUploadedFile("章程.pdf", sample_pdf(), content_type="application/pdf"),
            "next": target,
        },
    )

    assert response.status_code == 302
    assert _location_stays(response), response["Location"]
