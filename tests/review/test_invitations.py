"""Inviting experts (SPEC §8): an account and a one-time link; who cannot sign in is never drawn; the
draw explains a shortfall by count and links to the pool; a short panel cannot carry a ranking."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.core.errors import Conflict, ValidationFailed
from sciplan.core.models import AuditEvent
from sciplan.review import invitations, panels, scoring
from sciplan.review.models import Expert
from tests.review.test_import import _sheet
from tests.review.test_scoring import _score

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _link(message) -> str:
    return re.search(r"https?://[^/]+(/\S+)", message.body).group(1)


def test_invite_creates_an_expert_account_and_the_link_sets_its_password(
    personas, make_expert, django_capture_on_commit_callbacks
):
    expert = make_expert("王教授", "湖南大学", user=False)

    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.invite_expert(expert, by=personas.bureau)

    expert.refresh_from_db()
    user = User.objects.get(pk=expert.user_id)
    assert (invitation.created, user.role, user.email, user.has_usable_password()) == (
        True,
        Role.EXPERT,
        "expert@example.cn",
        False,
    )
    assert mail.outbox[-1].to == ["expert@example.cn"]
    assert user.username in mail.outbox[-1].body
    events = AuditEvent.objects.filter(event_type="review.expert_invite", object_id=str(expert.pk))
    assert [e.detail for e in events] == [{"user": user.pk, "resend": False}]
    client = Client()
    form = client.get(_link(mail.outbox[-1]), follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "Xy7#long-enough", "new_password2": "Xy7#long-enough"}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("Xy7#long-enough")


def test_reinvite_resends_the_link_to_the_same_account(
    personas, make_expert, django_capture_on_commit_callbacks
):
    expert = make_expert("王教授", "湖南大学", user=False)
    first = invitations.invite_expert(expert, by=personas.bureau)

    with django_capture_on_commit_callbacks(execute=True):
        again = invitations.invite_expert(expert, by=personas.bureau)

    assert (again.created, again.user.pk) == (False, first.user.pk)
    assert User.objects.filter(role=Role.EXPERT, expert_profile=expert).count() == 1
    assert len(mail.outbox) == 1
    assert [
        e.detail["resend"]
        for e in AuditEvent.objects.filter(event_type="review.expert_invite").order_by("pk")
    ] == [
        False,
        True,
    ]


def test_invite_without_email_is_refused_in_chinese(personas, make_expert):
    expert = make_expert("王教授", "湖南大学", user=False)
    Expert.objects.filter(pk=expert.pk).update(email="")

    with pytest.raises(ValidationFailed) as exc:
        invitations.invite_expert(expert, by=personas.bureau)

    message = f"专家“{expert.name}”未填写电子邮箱，无法发送账号邀请。请先在专家信息中填写电子邮箱。"
    assert (exc.value.message, exc.value.field_errors) == (message, {"email": message})
    assert User.objects.filter(role=Role.EXPERT).count() == 0


def test_invite_of_a_deactivated_account_is_refused(personas, make_expert):
    expert = make_expert("王教授", "湖南大学")
    User.objects.filter(pk=expert.user_id).update(is_active=False)

    with pytest.raises(Conflict) as exc:
        invitations.invite_expert(Expert.objects.get(pk=expert.pk), by=personas.bureau)

    assert "已停用，请联系系统管理员启用后再邀请" in exc.value.message


def test_invite_is_bureau_only(personas, make_expert):
    expert = make_expert("王教授", "湖南大学", user=False)
    statuses = {
        name: _client(personas[name]).post(reverse("review:expert_invite", args=[expert.pk])).status_code
        for name in ("applicant", "county", "admin", "bureau")
    }

    assert statuses == {"applicant": 404, "county": 404, "admin": 404, "bureau": 302}
    assert Expert.objects.get(pk=expert.pk).user is not None


def test_pool_page_invites_and_filters_by_field_and_account(personas, make_expert):
    without = make_expert("无账号", "湖南大学", user=False)
    make_expert("有账号", "中南林业科技大学")
    make_expert("其他领域", "长沙理工大学", fields=("medicine",), user=False)
    client = _client(personas.bureau)

    listed = client.get(reverse("review:experts"), {"field": "petrochem", "account": "unusable"})
    answer = client.post(
        reverse("review:expert_invite", args=[without.pk]), {"next": "/review/experts/?account=none"}
    )

    assert [e.pk for e in listed.context["page"]] == [without.pk]
    assert "邀请" in listed.content.decode()
    assert (answer.status_code, answer["Location"]) == (302, "/review/experts/?account=none")
    assert Expert.objects.get(pk=without.pk).user.role == Role.EXPERT


def test_import_with_invite_invites_every_expert_with_an_email(dictionaries, personas):
    from sciplan.review import experts as pool

    rows = [
        ["张伟", "湖南大学", "", "新材料", "教授", "13800001111", "zhang@example.cn", "是"],
        ["李强", "湘潭大学", "", "新材料", "教授", "", "", "是"],
    ]

    result = pool.import_experts(_sheet(rows), by=personas.bureau, invite=True)

    invited = Expert.objects.filter(user__isnull=False).values_list("name", "user__email")
    assert (result.imported, result.invited, result.not_invited) == (2, 1, ["李强（未填写电子邮箱）"])
    assert list(invited) == [("张伟", "zhang@example.cn")]


def test_import_page_offers_the_invite_option(dictionaries, personas):
    client = _client(personas.bureau)
    rows = [["张伟", "湖南大学", "", "新材料", "教授", "13800001111", "zhang@example.cn", "是"]]

    page = client.get(reverse("review:expert_import"))
    client.post(reverse("review:expert_import"), {"file": _named(_sheet(rows)), "invite": "on"})

    assert "导入后立即发送账号邀请" in page.content.decode()
    assert Expert.objects.get(name="张伟").user.email == "zhang@example.cn"


def _named(buffer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("专家.xlsx", buffer.getvalue())


def test_api_expert_invite(personas, make_expert, api):
    expert = make_expert("王教授", "湖南大学", user=False)
    no_mail = make_expert("李教授", "湘潭大学", user=False)
    Expert.objects.filter(pk=no_mail.pk).update(email="")

    created = api(personas.bureau).post(f"/review/experts/{expert.pk}/invite")
    again = api(personas.bureau).post(f"/review/experts/{expert.pk}/invite")
    refused = api(personas.bureau).post(f"/review/experts/{no_mail.pk}/invite")
    hidden = api(personas.county).post(f"/review/experts/{expert.pk}/invite")

    assert (created.status_code, created.json()["created"]) == (200, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert (refused.status_code, list(refused.json()["errors"])) == (422, ["email"])
    assert hidden.status_code == 404


# --- the draw -----------------------------------------------------------------------------------------


def test_expert_without_a_usable_account_is_never_drawn(under_review, personas, make_expert):
    able = [make_expert("专家", f"单位{i}") for i in range(2)]
    make_expert("无账号", "单位乙", user=False)
    inactive = make_expert("停用账号", "单位丙")
    User.objects.filter(pk=inactive.user_id).update(is_active=False)

    draw = panels.draw_panel([under_review.pk], size=2, seed="s", by=personas.bureau)

    assert sorted(draw.result) == sorted(e.pk for e in able)
    assert panels.verify_draw(draw, by=personas.bureau).ok is True


def test_an_old_snapshot_without_accounts_still_verifies():
    from sciplan.review import draws

    snapshot = {
        "field": "petrochem",
        "pool": [
            {"id": i, "name": "专家", "organisation": f"单位{i}", "uscc": "", "fields": ["petrochem"]}
            for i in (1, 2, 3)
        ],
        "applications": [{"id": 9, "units": [], "avoid": [], "declared": []}],
        "taken": [],
    }

    assert len(draws.eligible(snapshot)) == 3


def test_failed_draw_page_links_to_the_pool_experts_to_invite(under_review, personas, make_expert):
    make_expert("专家", "单位甲")
    make_expert("无账号", "单位乙", user=False)
    client = _client(personas.bureau)

    page = client.post(reverse("review:draw_one", args=[under_review.pk]), {"size": "3"})
    group = client.post(
        reverse("review:draws"),
        {"call": under_review.call_id, "applications": [under_review.pk], "size": "3"},
    )

    body = page.content.decode()
    assert page.status_code == 422
    assert "没有可用登录账号的1名" in body
    assert "/review/experts/?field=petrochem&amp;account=unusable" in body
    assert "/review/experts/?field=petrochem&amp;account=unusable" in group.content.decode()


# --- the ranking --------------------------------------------------------------------------------------


def test_ranking_cannot_be_confirmed_with_a_panel_below_the_call_minimum(
    under_review, personas, make_expert, api
):
    experts = [make_expert("专家", f"单位{i}") for i in range(3)]
    panels.draw_panel([under_review.pk], size=3, seed="small", by=personas.bureau)
    for expert in experts:
        seat = panels.get_assignment_for(expert.user, under_review.pk)
        panels.declare(seat, conflict=False, by=expert.user)
        _score(seat, expert.user, D("0.8"))
    call = under_review.call
    assert call.panel_min_size == 5

    with pytest.raises(Conflict) as exc:
        scoring.confirm_ranking(call, by=personas.bureau)
    response = api(personas.bureau).post(f"/review/calls/{call.pk}/ranking/confirm")

    assert exc.value.message == (
        f"以下申报书的评审专家组少于本批次要求的最少5人，不能确认排名：{under_review.consortium_name}（现有3人）。"
        "请在申报书页面补抽空缺席位并完成评分后再确认。"
    )
    assert (response.status_code, response.json()["code"]) == (409, "panel_too_small")
    assert panels.vacancies(under_review) == 2
    newcomers = [make_expert("新专家", f"新单位{i}") for i in range(2)]
    panels.fill_vacancies(under_review, by=personas.bureau)
    for expert in newcomers:
        seat = panels.get_assignment_for(expert.user, under_review.pk)
        panels.declare(seat, conflict=False, by=expert.user)
        _score(seat, expert.user, D("0.7"))
    assert scoring.confirm_ranking(call, by=personas.bureau).rows[0]["panel"] == 5


def test_invite_returns_only_to_a_page_of_this_site(personas, make_expert):
    expert = make_expert("王教授", "湖南大学", user=False)

    answer = _client(personas.bureau).post(
        reverse("review:expert_invite", args=[expert.pk]), {"next": "//evil.example/"}
    )

    assert answer["Location"] == reverse("review:expert_edit", args=[expert.pk])


def test_pool_page_queries_do_not_grow_with_the_rows(personas, make_expert):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(personas.bureau)
    make_expert("专家", "单位甲")
    make_expert("无账号", "单位乙", user=False)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("review:experts"), {"field": "petrochem"})
    for i in range(6):
        make_expert("专家", f"单位{i}", user=i % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("review:experts"), {"field": "petrochem"})

    assert len(many) == len(few)
