from __future__ import annotations

from datetime import timedelta

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sciplan.accounts.demo import DEMO_PASSWORD
from sciplan.api.models import ApiToken
from sciplan.core.models import AuditEvent
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_token_create_with_good_password_returns_usable_token(personas, anonymous):
    response = anonymous.post("/auth/token", {"username": "applicant", "password": DEMO_PASSWORD})

    body = response.json()
    assert response.status_code == 201
    assert body["token_type"] == "Bearer"
    assert body["user"]["role"] == "applicant"
    assert body["expires_at"].endswith("+08:00")
    assert ApiClient(body["token"]).get("/applications").status_code == 200
    assert AuditEvent.objects.filter(event_type="auth.token", actor=personas.applicant).count() == 1


def test_token_create_refuses_wrong_password_and_unknown_user_alike(personas, anonymous):
    wrong = anonymous.post("/auth/token", {"username": "applicant", "password": "nope-nope-1A"})
    unknown = anonymous.post("/auth/token", {"username": "nobody_here", "password": "nope-nope-1A"})

    assert wrong.status_code == 401
    assert unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    assert AuditEvent.objects.filter(event_type="auth.login_failed").count() == 2


def test_token_create_locks_out_after_five_failures(personas, anonymous):
    statuses = [
        anonymous.post("/auth/token", {"username": "applicant", "password": "wrong-Pass-1"}).status_code
        for _ in range(5)
    ]
    locked = anonymous.post("/auth/token", {"username": "applicant", "password": DEMO_PASSWORD})

    assert statuses == [401, 401, 401, 401, 429]
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json; charset=utf-8"
    assert locked["Retry-After"] == "900"
    assert locked.json()["code"] == "locked"


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_token_create_requires_otp_when_device_confirmed(personas, anonymous):
    device = TOTPDevice.objects.create(user=personas.bureau, name="手机", confirmed=True)

    without = anonymous.post("/auth/token", {"username": "bureau", "password": DEMO_PASSWORD})
    right = anonymous.post(
        "/auth/token", {"username": "bureau", "password": DEMO_PASSWORD, "otp": _code(device)}
    )

    assert (without.status_code, without.json()["code"]) == (401, "otp_required")
    assert right.status_code == 201


def test_token_create_refuses_wrong_otp_as_a_login_failure(personas, anonymous):
    TOTPDevice.objects.create(user=personas.bureau, name="手机", confirmed=True)

    wrong = anonymous.post("/auth/token", {"username": "bureau", "password": DEMO_PASSWORD, "otp": "000000"})

    assert (wrong.status_code, wrong.json()["code"]) == (401, "otp_invalid")
    assert wrong.json()["errors"] == {"otp": "动态验证码不正确或已过期。"}
    assert AuditEvent.objects.filter(event_type="auth.login_failed").count() == 1
    assert ApiToken.objects.count() == 0


def test_token_create_for_bureau_without_two_factor_is_refused_when_enforced(personas, anonymous, settings):
    settings.OTP_ENFORCED = True
    TOTPDevice.objects.filter(user=personas.bureau).delete()

    response = anonymous.post("/auth/token", {"username": "bureau", "password": DEMO_PASSWORD})

    assert (response.status_code, response.json()["code"]) == (401, "otp_setup_required")
    assert ApiToken.objects.count() == 0


def test_expired_token_is_refused(personas, api_as):
    client = api_as("applicant")
    ApiToken.objects.update(expires_at=ApiToken.objects.get().created_at - timedelta(seconds=1))

    response = client.get("/applications")

    assert response.status_code == 401
    assert response.json() == {"detail": "未登录或令牌已失效。", "code": "unauthenticated"}


def test_revoked_token_is_refused(personas, api_as):
    client = api_as("applicant")

    revoked = client.delete("/auth/token")
    after = client.get("/applications")

    assert revoked.status_code == 204
    assert after.status_code == 401
    assert AuditEvent.objects.filter(event_type="auth.token_revoked").count() == 1


@pytest.mark.parametrize(
    "path",
    ["/applications", "/applications/1", "/applications/1/history", "/applications/1/eligibility"],
)
def test_request_without_token_is_401(anonymous, path, db):
    response = anonymous.get(path)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_request_with_garbage_token_is_401(personas):
    response = ApiClient("not-a-token").get("/applications")

    assert response.status_code == 401
