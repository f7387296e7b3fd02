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
