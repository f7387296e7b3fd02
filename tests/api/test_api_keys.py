"""API keys of integration accounts (SPEC §14): issued by the system administrator, scoped, expiring,
revocable, shown once, recorded at each use, limited and audited per key."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sciplan.accounts import api_keys, user_admin
from sciplan.accounts.models import ApiKey, User
from sciplan.accounts.roles import Role
from sciplan.core import clock
from sciplan.core.models import AuditEvent
from tests.api.conftest import ApiClient, sign_in

pytestmark = pytest.mark.django_db


def _tomorrow_plus(days: int) -> str:
    return (clock.local(clock.now()).date() + timedelta(days=days)).isoformat()


@pytest.fixture
def integration(personas, django_capture_on_commit_callbacks) -> User:
    """A recommender integration account of the county (云溪区), created by the administrator."""
    with django_capture_on_commit_callbacks(execute=True):
        return user_admin.create_user(
            {
                "username": "yunxi_sync",
                "name": "云溪区对接系统",
                "email": "sync@yunxi.example.cn",
                "role": Role.RECOMMENDER,
                "recommender": str(personas.county.recommender_id),
                "integration": "1",
            },
            by=personas.admin,
        )


def _key(user: User, admin: User, scope: str = "write", name: str = "省平台同步") -> tuple[str, ApiKey]:
    return api_keys.create_key(user, {"name": name, "scope": scope}, by=admin)


def test_admin_creates_an_integration_account_and_a_key_shown_once(personas, integration):
    admin = sign_in(personas.admin.username)

    created = admin.post(
        f"/users/{integration.pk}/api-keys",
        {"name": "省平台同步", "scope": "write", "expires_on": _tomorrow_plus(30)},
    )
    listed = admin.get(f"/users/{integration.pk}/api-keys")

    assert created.status_code == 201, created.content
    raw = created.json()["key"]
    row = ApiKey.objects.get(pk=created.json()["id"])
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(ApiKey.objects.values()))  # only the hash is stored
    assert [k["id"] for k in listed.json()] == [row.pk]
    assert "key" not in listed.json()[0]
    assert listed.json()[0]["prefix"] == raw[:12]
    assert integration.has_usable_password() is False
    assert mail.outbox == []  # no set-password link for an account that has no password
    assert AuditEvent.objects.filter(event_type="api_key.create", object_id=str(row.pk)).count() == 1
    # The key acts as the county's recommender: it sees what the county sees.
    assert ApiClient(raw).get("/applications").status_code == 200


def test_integration_account_cannot_sign_in_with_a_password(integration):
    answer = ApiClient().post("/auth/token", {"username": integration.username, "password": ""})

    assert answer.status_code == 401


def test_integration_account_only_for_roles_that_work_on_applications(personas):
    admin = sign_in(personas.admin.username)

    refused = admin.post(
        "/users",
        {
            "username": "audit_sync",
            "name": "审计脚本",
            "email": "a@example.cn",
            "role": "auditor",
            "integration": True,
        },
    )

    assert refused.status_code == 422
    assert refused.json()["errors"]["integration"] == "接口集成账号只能是推荐单位、财政部门或市科技局角色。"


def test_key_fields_are_checked_with_messages_beside_them(personas, integration):
    admin = sign_in(personas.admin.username)

    empty = admin.post(f"/users/{integration.pk}/api-keys", {"name": " ", "scope": "write"})
    past = admin.post(
        f"/users/{integration.pk}/api-keys", {"name": "x", "scope": "read", "expires_on": "2020-01-01"}
    )
    far = admin.post(
        f"/users/{integration.pk}/api-keys", {"name": "x", "scope": "read", "expires_on": _tomorrow_plus(400)}
    )

    assert empty.json()["errors"] == {"name": "请填写密钥名称（如对接的系统或脚本）。"}
    assert past.json()["errors"] == {"expires_on": "有效期须晚于今天。"}
    assert list(far.json()["errors"]) == ["expires_on"]
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize("persona", ["bureau", "county", "applicant"])
def test_only_the_administrator_manages_keys(personas, integration, persona):
    client = sign_in(personas[persona].username)

    answers = [
        client.get(f"/users/{integration.pk}/api-keys").status_code,
        client.post(f"/users/{integration.pk}/api-keys", {"name": "x", "scope": "write"}).status_code,
    ]

    assert answers == [404, 404]
    assert ApiKey.objects.count() == 0


def test_keys_only_for_integration_accounts(personas):
    admin = sign_in(personas.admin.username)

    answer = admin.post(f"/users/{personas.county.pk}/api-keys", {"name": "x", "scope": "write"})

    assert answer.status_code == 404


def test_read_only_key_reads_but_cannot_write(personas, integration, submitted_application):
    raw, key = _key(integration, personas.admin, scope="read")
    client = ApiClient(raw)

    read = client.get(f"/applications/{submitted_application.pk}")
    write = client.post(f"/applications/{submitted_application.pk}/transitions", {"action": "accept"})

    assert read.status_code == 200
    assert (write.status_code, write.json()["code"]) == (403, "scope")
    submitted_application.refresh_from_db()
    assert submitted_application.status == "submitted"
    refusal = AuditEvent.objects.get(event_type="access.refused")
    assert refusal.detail["api_key"] == key.pk


def test_write_by_key_is_audited_with_the_key_id(personas, integration, submitted_application):
    raw, key = _key(integration, personas.admin, scope="write")

    accepted = ApiClient(raw).post(
        f"/applications/{submitted_application.pk}/transitions", {"action": "accept"}
    )

    assert accepted.status_code == 200, accepted.content
    event = AuditEvent.objects.get(event_type="application.accept", object_id=str(submitted_application.pk))
    assert (event.actor_id, event.detail["api_key"]) == (integration.pk, key.pk)
    assert event.ip == "127.0.0.1"


def test_revoked_key_is_refused_at_once(personas, integration):
    raw, key = _key(integration, personas.admin)
    client = ApiClient(raw)
    before = client.get("/applications").status_code

    admin = sign_in(personas.admin.username)
    revoked = admin.delete(f"/users/{integration.pk}/api-keys/{key.pk}")
    again = admin.delete(f"/users/{integration.pk}/api-keys/{key.pk}")

    assert (before, revoked.status_code, revoked.json()["state"]) == (200, 200, "revoked")
    assert client.get("/applications").status_code == 401
    assert (again.status_code, again.json()["code"]) == (409, "state")


def test_expired_key_is_refused(personas, integration):
    raw, key = _key(integration, personas.admin)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=clock.now() - timedelta(seconds=1))

    answer = ApiClient(raw).get("/applications")

    assert answer.status_code == 401
    listed = sign_in(personas.admin.username).get(f"/users/{integration.pk}/api-keys").json()
    assert [k["state"] for k in listed] == ["expired"]


def test_keys_die_with_the_deactivation_of_the_account(personas, integration):
    raw, key = _key(integration, personas.admin)
    admin = sign_in(personas.admin.username)

    off = admin.patch(f"/users/{integration.pk}", {"active": False})
    during = ApiClient(raw).get("/applications").status_code
    on = admin.patch(f"/users/{integration.pk}", {"active": True})
    after = ApiClient(raw).get("/applications").status_code

    assert (off.status_code, on.status_code) == (200, 200)
    assert (during, after) == (401, 401)  # reactivating the account does not revive its keys
    key.refresh_from_db()
    assert (key.revoke_reason, key.revoked_at is not None) == ("deactivated", True)


def test_last_use_is_recorded_with_time_and_address(personas, integration):
    raw, key = _key(integration, personas.admin)
    assert key.last_used_at is None

    Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="10.1.2.3").get("/api/v1/applications")

    key.refresh_from_db()
    assert key.last_used_ip == "10.1.2.3"
    assert clock.now() - key.last_used_at < timedelta(seconds=30)
    listed = sign_in(personas.admin.username).get(f"/users/{integration.pk}/api-keys").json()
    assert listed[0]["last_used_ip"] == "10.1.2.3"


def test_rate_limit_counts_each_key_apart(personas, integration, settings):
    settings.API_KEY_RATE_LIMIT = 3
    first, _ = _key(integration, personas.admin, name="第一")
    second, _ = _key(integration, personas.admin, name="第二")

    answers = [ApiClient(first).get("/applications").status_code for _ in range(3)]
    limited = ApiClient(first).get("/applications")
    other = ApiClient(second).get("/applications")

    assert answers == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["code"] == "rate_limited"
    assert other.status_code == 200


def test_a_key_cannot_revoke_itself_as_a_token(personas, integration):
    raw, _ = _key(integration, personas.admin)

    answer = ApiClient(raw).delete("/auth/token")

    assert (answer.status_code, answer.json()["code"]) == (409, "state")


def test_password_reset_is_refused_for_an_integration_account(personas, integration):
    answer = sign_in(personas.admin.username).post(f"/users/{integration.pk}/password-reset")

    assert (answer.status_code, answer.json()["code"]) == (409, "state")


# --- the administrator's pages ------------------------------------------------------------------------


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_page_creates_a_key_shows_it_once_and_revokes_it(personas, integration):
    client = _page_client(personas.admin)
    url = reverse("accounts:api_keys", args=[integration.pk])

    created = client.post(url, {"name": "省平台同步", "scope": "read", "expires_on": _tomorrow_plus(10)})
    key = ApiKey.objects.get()
    raw = created.context["created"][0]
    later = client.get(url)
    revoked = client.post(reverse("accounts:api_key_revoke", args=[integration.pk, key.pk]))

    assert created.status_code == 200
    assert raw in created.content.decode()
    assert created["Cache-Control"] == "no-store"
    assert raw not in later.content.decode()
    assert key.prefix in later.content.decode()
    assert revoked.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "已吊销" in client.get(url).content.decode()


def test_admin_page_keeps_the_input_and_shows_the_message_beside_the_field(personas, integration):
    client = _page_client(personas.admin)

    answer = client.post(
        reverse("accounts:api_keys", args=[integration.pk]),
        {"name": "省平台同步", "scope": "", "expires_on": ""},
    )

    html = answer.content.decode()
    assert answer.status_code == 422
    assert "请选择权限范围：只读或读写。" in html
    assert 'value="省平台同步"' in html
    assert ApiKey.objects.count() == 0


def test_admin_page_creates_an_integration_account(personas):
    client = _page_client(personas.admin)

    answer = client.post(
        reverse("accounts:user_new"),
        {
            "username": "bureau_sync",
            "name": "省平台对接",
            "email": "sync@example.cn",
            "role": "bureau",
            "integration": "1",
        },
    )

    user = User.objects.get(username="bureau_sync")
    edit = client.get(reverse("accounts:user_edit", args=[user.pk])).content.decode()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("accounts:api_keys", args=[user.pk])
    assert user.is_integration is True
    assert "管理接口密钥" in edit
    assert "重置密码" not in edit  # an integration account has no password
    assert mail.outbox == []


@pytest.mark.parametrize("persona", ["bureau", "county", "applicant"])
def test_key_pages_are_404_for_anyone_but_the_administrator(personas, integration, persona):
    client = _page_client(personas[persona])

    answers = [
        client.get(reverse("accounts:api_keys", args=[integration.pk])).status_code,
        client.post(
            reverse("accounts:api_keys", args=[integration.pk]), {"name": "x", "scope": "write"}
        ).status_code,
    ]

    assert answers == [404, 404]
