"""The system administrator's accounts through the API: the same services, refusals and messages as
the pages (SPEC §2, §14)."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client

from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.api.auth import issue_token
from sciplan.core.models import AuditEvent
from sciplan.review.models import Expert

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "user_list": ("get", "/users"),
    "user_create": ("post", "/users"),
    "user_update": ("patch", "/users/{pk}"),
    "user_unlock": ("post", "/users/unlock"),
    "user_password_reset": ("post", "/users/{pk}/password-reset"),
    "user_authenticator_reset": ("post", "/users/{pk}/authenticator-reset"),
}


class Api:
    def __init__(self, user=None):
        headers = {}
        if user is not None:
            raw, _ = issue_token(user)
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        self.client = Client(**headers)

    def call(self, method: str, path: str, body: dict | None = None, **params):
        url = "/api/v1" + path
        if method == "get":
            return self.client.get(url, params)
        return getattr(self.client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_the_operations_are_in_the_schema_under_their_stable_ids():
    schema = Client().get("/api/v1/openapi.json").json()
    ids = {op["operationId"] for item in schema["paths"].values() for op in item.values()}

    assert set(OPERATIONS) <= ids


# A body every operation accepts, so that the answer is about who asks, not about the body.
BODY = {"username": "someone_new", "role": "bureau", "name": "某人", "email": "x@example.cn", "active": False}


def test_everyone_but_the_administrator_is_refused_and_nothing_changes(personas):
    target = personas.county
    answers = {}
    for name in ("anonymous", "applicant", "county", "finance", "bureau", "auditor"):
        if name == "auditor" and "auditor" not in personas:
            continue
        api = Api(None if name == "anonymous" else personas[name])
        answers[name] = [
            api.call(method, path.format(pk=target.pk), BODY).status_code
            for method, path in OPERATIONS.values()
        ]

    expected = {name: [401 if name == "anonymous" else 404] * len(OPERATIONS) for name in answers}
    assert answers == expected
    assert User.objects.get(pk=target.pk).is_active is True
    assert not AuditEvent.objects.filter(event_type__startswith="user.").exists()


def test_user_list_searches_filters_and_pages(personas):
    api = Api(personas.admin)
    User.objects.filter(pk=personas.county_b.pk).update(is_active=False)

    recommenders = api.call("get", "/users", role="recommender", limit=1).json()
    inactive = api.call("get", "/users", active="false").json()
    found = api.call("get", "/users", q=personas.finance_b.username).json()
    bad = api.call("get", "/users", role="nobody")

    expected = User.objects.filter(role=Role.RECOMMENDER).count()
    assert (recommenders["count"], len(recommenders["items"])) == (expected, 1)
    assert [u["username"] for u in inactive["items"]] == [personas.county_b.username]
    assert [u["username"] for u in found["items"]] == [personas.finance_b.username]
    assert found["items"][0]["is_locked"] is False
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["role"])


def test_user_create_validates_with_the_pages_messages(personas):
    answer = Api(personas.admin).call(
        "post", "/users", {"username": "ab", "role": "recommender", "name": "", "email": "bad"}
    )

    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "username": "登录名为4位以上的字母、数字、下划线或点。",
        "name": "请填写姓名。",
        "email": "电子邮箱格式不正确。",
        "recommender_id": "请选择所属推荐单位。",
    }
    assert not User.objects.filter(username="ab").exists()


def test_user_create_opens_the_account_and_sends_the_link(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = Api(personas.admin).call(
            "post",
            "/users",
            {
                "username": "yunxi_2",
                "role": "recommender",
                "name": "新同事",
                "email": "new@example.cn",
                "recommender_id": personas.county.recommender_id,
            },
        )

    body = answer.json()
    assert (answer.status_code, body["role"], body["has_usable_password"]) == (201, "recommender", False)
    assert body["recommender_id"] == personas.county.recommender_id
    assert mail.outbox[-1].to == ["new@example.cn"]
    assert AuditEvent.objects.filter(event_type="user.create", object_id=str(body["id"])).count() == 1


def test_user_create_expert_is_tied_to_its_pool_record(personas):
    expert = Expert.objects.create(
        name="王教授", organisation="湖南大学", fields=["petrochem"], email="w@example.cn"
    )
    api = Api(personas.admin)

    missing = api.call(
        "post",
        "/users",
        {"username": "wang_prof", "role": "expert", "name": "王教授", "email": "w@example.cn"},
    )
    made = api.call(
        "post",
        "/users",
        {
            "username": "wang_prof",
            "role": "expert",
            "name": "王教授",
            "email": "w@example.cn",
            "expert_id": expert.pk,
        },
    )

    assert (missing.status_code, missing.json()["errors"]) == (422, {"expert_id": "请选择专家库中的专家。"})
    assert made.status_code == 201
    assert Expert.objects.get(pk=expert.pk).user_id == made.json()["id"]


def test_user_update_changes_role_and_deactivates_audited(personas):
    target = personas.bureau
    answer = Api(personas.admin).call(
        "patch", f"/users/{target.pk}", {"role": "auditor", "post": "审计员", "active": False}
    )

    assert (answer.status_code, answer.json()["role"], answer.json()["is_active"]) == (200, "auditor", False)
    events = AuditEvent.objects.filter(object_id=str(target.pk)).order_by("pk")
    assert [e.event_type for e in events if e.event_type.startswith("user.")] == [
        "user.update",
        "user.role_change",
        "user.deactivate",
    ]


def test_admin_cannot_change_own_role_or_deactivate_self(personas):
    api = Api(personas.admin)

    role = api.call("patch", f"/users/{personas.admin.pk}", {"role": "bureau"})
    active = api.call("patch", f"/users/{personas.admin.pk}", {"active": False})

    assert (role.status_code, role.json()["errors"]) == (
        422,
        {"role": "不能修改自己的角色（职责分离）：请由另一名系统管理员操作。"},
    )
    assert (active.status_code, active.json()["detail"]) == (403, "不能停用自己的账号。")
    assert User.objects.get(pk=personas.admin.pk).role == Role.ADMIN


def test_user_update_unknown_account_is_404(personas):
    assert Api(personas.admin).call("patch", "/users/987654", {"name": "x"}).status_code == 404


def test_user_unlock_needs_a_name_or_address(personas):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username=personas.county.username, ip_address="10.0.0.9", user_agent="t", failures_since_start=5
    )
    api = Api(personas.admin)

    empty = api.call("post", "/users/unlock", {})
    listed = api.call("get", "/users", locked="true").json()
    done = api.call("post", "/users/unlock", {"username": personas.county.username})

    assert (empty.status_code, empty.json()["errors"]) == (
        422,
        {"username": "请填写要解锁的登录名或IP地址。"},
    )
    assert [u["username"] for u in listed["items"]] == [personas.county.username]
    assert (done.status_code, done.json()) == (200, {"attempts": 1})
    assert AuditEvent.objects.filter(event_type="user.unlock").count() == 1


@pytest.mark.parametrize("address", ["d", "10.0.0.999", "::g", "10.0.0.9\u200b"])
def test_user_unlock_by_a_malformed_address_is_422_naming_it(personas, address):
    """Found by fuzzing on PostgreSQL: the inet column refused "d" with a server error."""
    answer = Api(personas.admin).call("post", "/users/unlock", {"ip_address": address})

    assert (answer.status_code, list(answer.json()["errors"])) == (422, ["ip_address"])
    assert answer.json()["errors"]["ip_address"].startswith("IP地址格式不正确")
    assert AuditEvent.objects.filter(event_type="user.unlock").count() == 0


def test_user_unlock_by_address_clears_its_failures(personas):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(username="x", ip_address="10.0.0.9", user_agent="t", failures_since_start=5)

    answer = Api(personas.admin).call("post", "/users/unlock", {"ip_address": " 10.0.0.9 "})

    assert (answer.status_code, answer.json()) == (200, {"attempts": 1})


def test_password_and_authenticator_reset(personas, django_capture_on_commit_callbacks):
    api = Api(personas.admin)
    target = personas.bureau

    with django_capture_on_commit_callbacks(execute=True):
        reset = api.call("post", f"/users/{target.pk}/password-reset")
    otp = api.call("post", f"/users/{target.pk}/authenticator-reset")

    assert (reset.status_code, reset.json()["has_usable_password"]) == (200, False)
    assert mail.outbox[-1].to == [target.email]
    assert otp.status_code == 200
    assert [e.event_type for e in AuditEvent.objects.filter(object_id=str(target.pk)).order_by("pk")][
        -2:
    ] == [
        "user.password_reset",
        "user.otp_reset",
    ]


def test_overlong_name_and_post_are_field_errors_not_database_errors(personas):
    from sciplan.accounts import user_admin
    from sciplan.core.errors import ValidationFailed

    data = {
        "username": "long_name",
        "role": "bureau",
        "name": "长" * 51,
        "email": "l@example.cn",
        "post": "职" * 51,
    }
    with pytest.raises(ValidationFailed) as exc:
        user_admin.create_user(data, by=personas.admin)
    answer = Api(personas.admin).call("post", "/users", data)

    assert exc.value.field_errors == {"name": "姓名不能超过50字。", "post": "职务不能超过50字。"}
    assert (answer.status_code, answer.json()["errors"]) == (
        422,
        {"name": "不能超过50字。", "post": "不能超过50字。"},
    )


def test_user_list_queries_do_not_grow_with_the_rows(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = Api(personas.admin)
    api.call("get", "/users")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        api.call("get", "/users", limit=5)
    for i in range(8):
        User.objects.create(username=f"extra_user{i}", role=Role.BUREAU, name=f"同事{i}")
    with CaptureQueriesContext(connection) as many:
        api.call("get", "/users", limit=15)

    assert len(many) == len(few)
