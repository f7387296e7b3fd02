"""The system administrator's account pages and services (SPEC §2)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sciplan.accounts import user_admin
from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_user_list_admin_only(personas):
    assert _client(personas.admin).get(reverse("accounts:user_list")).status_code == 200
    for name in ("bureau", "applicant", "county"):
        assert _client(personas[name]).get(reverse("accounts:user_list")).status_code == 404


def test_create_user_sends_one_time_link(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = user_admin.create_user(
            {"username": "bureau_new", "name": "新同事", "email": "new@example.cn", "role": Role.BUREAU},
            by=personas.admin,
        )
    assert user.has_usable_password() is False
    assert AuditEvent.objects.filter(event_type="user.create", object_id=str(user.pk)).count() == 1
    path = re.search(r"https?://[^/]+(/\S+)", mail.outbox[-1].body).group(1)
    client = Client()
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "Xy7#long-enough", "new_password2": "Xy7#long-enough"}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("Xy7#long-enough")
    again = Client().get(path, follow=True)
    assert "该链接已使用或已过期" in again.content.decode()


def test_admin_cannot_change_own_role(personas):
    from sciplan.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        user_admin.update_user(personas.admin, {"role": Role.BUREAU}, by=personas.admin)


def test_deactivated_user_cannot_sign_in(personas):
    personas.county.set_password("Secret#1234x")
    personas.county.save()
    user_admin.set_active(personas.county, active=False, by=personas.admin)
    response = Client().post(
        reverse("accounts:login"), {"username": personas.county.username, "password": "Secret#1234x"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session
    assert AuditEvent.objects.filter(event_type="user.deactivate").count() == 1


def test_finance_user_needs_county(personas):
    from sciplan.calls.models import Recommender
    from sciplan.core.errors import ValidationFailed

    park = Recommender.objects.filter(needs_finance_cosign=False).first()
    with pytest.raises(ValidationFailed) as exc:
        user_admin.create_user(
            {
                "username": "fin_x",
                "name": "财政",
                "email": "f@example.cn",
                "role": Role.FINANCE,
                "recommender": park.pk,
            },
            by=personas.admin,
        )
    assert list(exc.value.field_errors) == ["recommender"]


def _fail_sign_in(username, times):
    client = Client()
    for _ in range(times):
        client.post(reverse("accounts:login"), {"username": username, "password": "wrong-password-1"})


def test_unlock_clears_the_lockout_and_is_audited(personas, settings):
    from axes.models import AccessAttempt

    county = personas.county
    _fail_sign_in(county.username, settings.AXES_FAILURE_LIMIT)
    assert AccessAttempt.objects.filter(username=county.username).exists()
    locked = user_admin.user_list(by=personas.admin, locked="1")
    assert [u.username for u in locked] == [county.username]

    response = _client(personas.admin).post(reverse("accounts:user_action", args=[county.pk, "unlock"]))
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=county.username).exists()
    assert not user_admin.user_list(by=personas.admin, locked="1").exists()
    event = AuditEvent.objects.get(event_type="user.unlock")
    assert (event.actor_id, event.detail["username"]) == (personas.admin.pk, county.username)
    assert event.detail["attempts"] >= 1


def test_unlock_needs_a_username_or_address(personas):
    from sciplan.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        user_admin.unlock(by=personas.admin, username=" ", ip_address="")
    assert list(exc.value.field_errors) == ["username"]
    assert not AuditEvent.objects.filter(event_type="user.unlock").exists()


def test_reset_authenticator_removes_every_device_and_is_audited(personas):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    bureau = personas.bureau
    TOTPDevice.objects.create(user=bureau, name="旧手机", confirmed=True)
    TOTPDevice.objects.create(user=bureau, name="未完成绑定", confirmed=False)
    held = TOTPDevice.objects.filter(user=bureau).count()  # the demo persona's device and these two
    others = TOTPDevice.objects.exclude(user=bureau).count()

    response = _client(personas.admin).post(reverse("accounts:user_action", args=[bureau.pk, "reset_otp"]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=bureau).exists()
    assert TOTPDevice.objects.count() == others
    event = AuditEvent.objects.get(event_type="user.otp_reset")
    assert (event.actor_id, event.object_id) == (personas.admin.pk, str(bureau.pk))
    assert event.detail == {"devices": held} and held >= 2


def test_only_the_administrator_resets_an_authenticator(personas):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=personas.county, name="手机", confirmed=True)
    response = _client(personas.bureau).post(
        reverse("accounts:user_action", args=[personas.county.pk, "reset_otp"])
    )
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=personas.county).count() == 1


def test_user_list_queries_do_not_grow_with_the_accounts(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(personas.admin)

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("accounts:user_list"))
        assert response.status_code == 200
        return len(captured)

    before = page_queries()
    for n in range(8):
        user_admin.create_user(
            {
                "username": f"staff_{n}",
                "name": f"同事{n}",
                "email": f"s{n}@example.cn",
                "role": Role.RECOMMENDER,
                "recommender": personas.county.recommender_id,
            },
            by=personas.admin,
        )
    _fail_sign_in("staff_0", 5)
    content = client.get(reverse("accounts:user_list")).content.decode()
    assert "staff_7" in content and "已锁定" in content
    assert page_queries() == before


@pytest.mark.parametrize("username", ["abc", "张三丰登录", "with space", "a-b-c-d"])
def test_create_user_refuses_a_malformed_username(personas, username):
    from sciplan.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        user_admin.create_user(
            {"username": username, "name": "新同事", "email": "new@example.cn", "role": Role.BUREAU},
            by=personas.admin,
        )
    assert exc.value.field_errors == {"username": "登录名为4位以上的字母、数字、下划线或点。"}


def test_first_admin_sets_a_validated_password_once(db):
    from sciplan.core.errors import Conflict, ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        user_admin.create_first_admin(username="root_admin", email="root@example.cn", password="123")
    assert list(exc.value.field_errors) == ["password"]
    assert not User.objects.filter(role=Role.ADMIN).exists()

    admin = user_admin.create_first_admin(
        username="root_admin", email="root@example.cn", password="Xy7#long-enough"
    )
    assert admin.check_password("Xy7#long-enough") and admin.password_changed_at is not None
    assert AuditEvent.objects.filter(event_type="user.create", object_id=str(admin.pk)).count() == 1
    with pytest.raises(Conflict):
        user_admin.create_first_admin(username="second", email="s@example.cn", password="Xy7#long-enough")


def test_unit_admin_adds_a_filling_user_with_a_validated_password(personas):
    from sciplan.accounts.services import add_unit_user
    from sciplan.core.errors import ValidationFailed

    admin = personas.applicant
    assert admin.is_unit_admin
    fields = {"username": "filler_1", "name": "填报人", "mobile": "13912345678", "email": ""}
    with pytest.raises(ValidationFailed) as exc:
        add_unit_user(by=admin, password="123", **fields)
    assert list(exc.value.field_errors) == ["password"]
    user = add_unit_user(by=admin, password="Xy7#long-enough", **fields)
    assert (user.unit_id, user.role) == (admin.unit_id, Role.APPLICANT)
    assert user.check_password("Xy7#long-enough") and user.password_changed_at is not None
