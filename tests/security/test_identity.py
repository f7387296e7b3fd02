"""STANDARDS A1–A4: password rules, hashing, expiry, lockout, timeouts, session rotation, cookies,
two-factor sign-in."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse

from sciplan.accounts import services
from sciplan.accounts.demo import DEMO_PASSWORD
from sciplan.accounts.roles import Role
from sciplan.core import clock
from sciplan.core.models import AuditEvent
from tests.security.conftest import confirmed_device, current_code

LOGIN = "/accounts/login/"
pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


# --- A1 passwords --------------------------------------------------------------------------------


def test_registration_refuses_short_password_with_message_beside_field(dictionaries):
    from sciplan.accounts.demo import unit_code
    from sciplan.calls.models import Recommender

    response = Client().post(
        "/accounts/register/",
        {
            "unit_name": "岳阳测试科技有限公司",
            "uscc": unit_code("MA4L0T91"),
            "recommender": Recommender.objects.get(code="430603").pk,
            "username": "tester01",
            "name": "测试",
            "mobile": "13807301234",
            "password": "Ab1!x",
        },
    )

    assert response.status_code == 422
    assert "密码至少8位。" in response.content.decode()
    assert "岳阳测试科技有限公司" in response.content.decode()  # nothing typed is lost


@pytest.mark.parametrize(
    ("role", "password", "ok"),
    [
        (Role.APPLICANT, "Abcdef1!", True),
        (Role.BUREAU, "Abcdef1!", False),
        (Role.BUREAU, "Abcdef1!Xyz9", True),
        (Role.ADMIN, "Abcdefgh12!", False),
        (Role.EXPERT, "Abcdefgh12!", False),
        (Role.APPLICANT, "abcdefgh1", False),  # two classes only
        (Role.APPLICANT, "Yueyang-2024", True),
    ],
)
def test_password_rules_depend_on_role(role, password, ok):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from sciplan.accounts.models import User

    user = User(username="someone", role=role)
    try:
        validate_password(password, user)
        accepted = True
    except ValidationError:
        accepted = False

    assert accepted is ok


def test_password_change_applies_the_bureau_length(personas, client_for):
    client = client_for("bureau")

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "Abcdef1!x", "new_password2": "Abcdef1!x"},
    )

    assert response.status_code == 200
    assert "密码至少12位。" in response.content.decode()


def test_new_password_hash_is_argon2(personas, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = personas.applicant

    user.set_password("Another-2024-pass")

    assert identify_hasher(user.password).algorithm == "argon2"


def test_expired_password_forces_change_page_first(personas, settings):
    settings.PASSWORD_CHANGE_DAYS = 90
    user = personas.applicant
    user.password_changed_at = clock.now() - timedelta(days=91)
    user.save()
    client = Client()

    _login(client, "applicant", DEMO_PASSWORD)
    response = client.get("/applications/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:password_change"))
    changed = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Fresh-2025-pass",
            "new_password2": "Fresh-2025-pass",
        },
    )
    assert changed.status_code == 302
    assert client.get("/applications/").status_code == 200


def test_password_within_period_goes_straight_in(personas, settings):
    settings.PASSWORD_CHANGE_DAYS = 90
    client = Client()

    _login(client, "applicant", DEMO_PASSWORD)

    assert client.get("/applications/").status_code == 200


# --- A2 lockout ----------------------------------------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_message(personas):
    unknown = _login(Client(), "nobody-here", "Wrong-pass-1")
    wrong = _login(Client(REMOTE_ADDR="10.0.0.2"), "applicant", "Wrong-pass-1")

    assert unknown.status_code == wrong.status_code == 200
    assert "用户名或密码不正确。连续失败5次将暂时锁定。" in unknown.content.decode()
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()


def test_five_failures_lock_the_account_with_429_and_audit(personas):
    client = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(5):
        _login(client, "applicant", "Wrong-pass-1")

    locked = _login(Client(REMOTE_ADDR="10.9.9.9"), "applicant", DEMO_PASSWORD)

    assert locked.status_code == 429
    assert 890 <= int(locked["Retry-After"]) <= 900
    page = locked.content.decode()
    assert "登录已暂时锁定" in page
    assert "之后" in page and "从其他网络登录不受此限制" in page and "解除锁定" in page
    assert AuditEvent.objects.filter(event_type="auth.login_failed").count() >= 5
    assert AuditEvent.objects.filter(event_type="auth.locked").count() >= 1


def test_locked_account_opens_again_after_cool_off(personas, settings):
    import time_machine

    client = Client(REMOTE_ADDR="10.9.9.8")
    for _ in range(5):
        _login(client, "applicant", "Wrong-pass-1")
    assert _login(Client(REMOTE_ADDR="10.9.9.8"), "applicant", DEMO_PASSWORD).status_code == 429

    with time_machine.travel(clock.now() + timedelta(minutes=16)):
        response = _login(Client(REMOTE_ADDR="10.9.9.8"), "applicant", DEMO_PASSWORD)

    assert response.status_code == 302


def test_successful_login_is_audited_with_ip(personas):
    _login(Client(REMOTE_ADDR="10.1.2.3"), "applicant", DEMO_PASSWORD)

    event = AuditEvent.objects.filter(event_type="auth.login").latest("id")
    assert (event.actor_id, event.ip, event.outcome) == (personas.applicant.pk, "10.1.2.3", "ok")


# --- A3 sessions ---------------------------------------------------------------------------------


def test_session_key_rotates_at_login(personas):
    client = Client()
    client.get(LOGIN)
    client.session["probe"] = 1
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.cookies["sessionid"].value

    _login(client, "applicant", DEMO_PASSWORD)

    assert client.cookies["sessionid"].value != before


def test_logout_kills_the_server_session(personas):
    from django.contrib.sessions.models import Session

    client = Client()
    _login(client, "applicant", DEMO_PASSWORD)
    key = client.cookies["sessionid"].value

    client.post(reverse("accounts:logout"))

    assert Session.objects.filter(session_key=key).exists() is False
    assert client.get("/applications/").status_code == 302


def test_idle_session_is_logged_out_after_30_minutes(personas, settings):
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    client = Client()
    _login(client, "applicant", DEMO_PASSWORD)
    session = client.session
    session["last_seen"] = int(time.time()) - 31 * 60
    session.save()

    response = client.get("/applications/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "您已30分钟未操作" in client.get(LOGIN).content.decode()


def test_active_session_stays_signed_in(personas):
    client = Client()
    _login(client, "applicant", DEMO_PASSWORD)
    session = client.session
    session["last_seen"] = int(time.time()) - 29 * 60
    session.save()

    assert client.get("/applications/").status_code == 200


def test_absolute_timeout_ends_even_a_busy_session(personas, settings):
    client = Client()
    _login(client, "applicant", DEMO_PASSWORD)
    session = client.session
    session["auth_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session["last_seen"] = int(time.time())
    session.save()

    response = client.get("/applications/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_session_cookie_is_httponly_and_samesite(personas):
    client = Client()

    _login(client, "applicant", DEMO_PASSWORD)

    cookie = client.cookies["sessionid"]
    assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")


def test_production_settings_mark_cookies_secure():
    import subprocess
    import sys

    code = (
        "import django,os;django.setup();from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "sciplan.settings",
        "SCIPLAN_DEBUG": "0",
        "SCIPLAN_SECRET_KEY": "x" * 60,
        "PYTHONPATH": "src",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603

    assert out.stdout.split() == ["True", "True", "True", "31536000"]


# --- A4 two-factor -------------------------------------------------------------------------------


def test_bureau_without_device_reaches_only_enrolment(personas, otp_enforced):
    personas.bureau.totpdevice_set.all().delete()  # the demo loader gives bureau a published demo device
    client = Client()
    _login(client, "bureau", DEMO_PASSWORD)

    page = client.get("/review/dashboard/")
    enrol = client.get(reverse("accounts:otp_setup"))

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:otp_setup"))
    assert enrol.status_code == 200
    assert "<svg" in enrol.content.decode()
    assert "http" not in enrol.content.decode().split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )


def test_bureau_enrols_with_a_valid_code_and_gets_in(personas, otp_enforced):
    personas.bureau.totpdevice_set.all().delete()
    client = Client()
    _login(client, "bureau", DEMO_PASSWORD)
    client.get(reverse("accounts:otp_setup"))
    device = personas.bureau.totpdevice_set.get()

    wrong = client.post(reverse("accounts:otp_setup"), {"code": "12a456"})
    right = client.post(reverse("accounts:otp_setup"), {"code": current_code(device)})

    assert wrong.status_code == 422
    assert right.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/review/dashboard/").status_code == 200


def test_enrolled_user_must_verify_at_next_login(personas, otp_enforced):
    personas.admin.totpdevice_set.all().delete()
    device = confirmed_device(personas.admin)
    client = Client()
    _login(client, "admin", DEMO_PASSWORD)

    blocked = client.get("/notifications/")
    verified = client.post(reverse("accounts:otp_verify"), {"code": current_code(device)})

    assert blocked.status_code == 302
    assert blocked["Location"].startswith(reverse("accounts:otp_verify"))
    assert verified.status_code == 302
    assert client.get("/notifications/").status_code == 200


def test_wrong_code_keeps_the_gate_closed_and_is_audited(personas, otp_enforced):
    confirmed_device(personas.admin)
    client = Client()
    _login(client, "admin", DEMO_PASSWORD)

    response = client.post(reverse("accounts:otp_verify"), {"code": "12345x"})

    assert response.status_code == 422
    assert client.get("/notifications/").status_code == 302
    assert AuditEvent.objects.filter(event_type="auth.otp_verify", outcome="failed").count() == 1


def test_applicant_may_enrol_voluntarily_and_is_then_asked(personas, otp_enforced):
    client = Client()
    _login(client, "applicant", DEMO_PASSWORD)
    assert client.get("/applications/").status_code == 200

    device = confirmed_device(personas.applicant)
    fresh = Client()
    _login(fresh, "applicant", DEMO_PASSWORD)

    assert fresh.get("/applications/").status_code == 302
    assert services.verify_otp(personas.applicant, current_code(device)) is True


def test_otp_helpers_for_the_api(personas):
    device = confirmed_device(personas.county)

    assert services.user_requires_otp(personas.bureau) is True
    assert services.user_requires_otp(personas.admin) is True
    assert services.user_requires_otp(personas.county) is True
    assert services.user_requires_otp(personas.applicant) is False
    assert services.verify_otp(personas.county, "abc") is False
    assert services.verify_otp(personas.county, current_code(device)) is True


def test_api_token_requires_the_code_for_bureau(personas):
    import json

    personas.bureau.totpdevice_set.all().delete()
    device = confirmed_device(personas.bureau)
    body = {"username": "bureau", "password": DEMO_PASSWORD}

    without = Client().post("/api/v1/auth/token", json.dumps(body), content_type="application/json")
    with_code = Client().post(
        "/api/v1/auth/token",
        json.dumps({**body, "otp": current_code(device)}),
        content_type="application/json",
    )

    assert without.status_code in (401, 422)
    assert with_code.status_code in (200, 201)
