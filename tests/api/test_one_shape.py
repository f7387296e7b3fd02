"""One shape everywhere (docs/api.md, "Conventions"): times in +08:00 wherever they appear, one key per
field for a type error and a rule error alike, one top ``detail`` for invalid fields, and SciPlan's own
wording instead of Django's default messages."""

from __future__ import annotations

import re

import pytest

from sciplan.applications.models import Application
from tests.api.conftest import sign_in

pytestmark = pytest.mark.django_db

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
VALIDATION_DETAIL = "部分内容填写有误，请按提示修改。"
DJANGO_WORDING = re.compile(
    r"确认小数|确认总共|有效的 ?Email|这个字段是必填项|不是有效选项|的值应该是|错误的日期"
)


def _times(value, path=""):
    """Every ISO date-time text in an answer, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _times(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _times(item, f"{path}.{index}")
    elif isinstance(value, str) and ISO_TIME.match(value):
        yield path, value


def _not_shanghai(body) -> list[tuple[str, str]]:
    return [(path, text) for path, text in _times(body) if not text.endswith("+08:00")]


def test_audit_list_times_and_the_times_inside_details_are_shanghai(call, personas):
    bureau = sign_in("bureau")
    sign_in("applicant")  # its audit detail records the token's expiry

    body = bureau.get("/audit/events", event_type="auth.token", page_size=200).json()

    assert body["count"] >= 2
    assert [e["detail"]["expires_at"][-6:] for e in body["items"]] == ["+08:00"] * len(body["items"])
    assert _not_shanghai(body) == []


def test_extension_create_times_are_shanghai(call, personas):
    response = sign_in("bureau").post(
        "/extensions",
        {
            "call_id": call.pk,
            "stage": "recommend",
            "recommender_id": personas.county.recommender_id,
            "until": "2099-01-01T10:00:00Z",
            "reason": "系统维护，顺延推荐截止时间。",
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["until"] == "2099-01-01T18:00:00+08:00"
    assert response.json()["granted_at"].endswith("+08:00")
    assert _not_shanghai(response.json()) == []


def test_application_answers_carry_only_shanghai_times(complete_application, api_as):
    client = api_as("applicant")

    detail = client.get(f"/applications/{complete_application.pk}").json()
    history = client.get(f"/applications/{complete_application.pk}/history").json()

    assert _not_shanghai(detail) == []
    assert _not_shanghai(history) == []


def _patch(client, application: Application, **fields):
    return client.patch(f"/applications/{application.pk}", {"version": application.version, **fields})


def test_a_type_error_and_a_rule_error_of_a_finance_year_have_the_same_key(complete_application, api_as):
    application = Application.objects.get(pk=complete_application.pk)
    year = application.call.rd_years[0]
    client = api_as("applicant")

    typed = _patch(client, application, finances=[{"year": year, "rd_spending": [1]}])
    ruled = _patch(client, application, finances=[{"year": year, "rd_spending": "-1"}])

    assert (typed.status_code, ruled.status_code) == (422, 422)
    assert list(typed.json()["errors"]) == [f"finances.{year}.rd_spending"]
    assert list(ruled.json()["errors"]) == [f"finances.{year}.rd_spending"]
    assert typed.json()["detail"] == ruled.json()["detail"] == VALIDATION_DETAIL


def test_a_finance_row_without_a_year_keeps_its_position(complete_application, api_as):
    application = Application.objects.get(pk=complete_application.pk)

    response = _patch(api_as("applicant"), application, finances=[{"rd_spending": "1.00"}])

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["finances.0.year"]


def test_every_validation_failure_has_the_one_top_detail(complete_application, api_as, anonymous, personas):
    application = Application.objects.get(pk=complete_application.pk)
    client = api_as("applicant")
    answers = [
        _patch(client, application, contact_mobile="12345"),  # a rule of the service
        _patch(client, application, start_date="not a date"),  # the schema's type check
        client.post(f"/applications/{application.pk}/members", {"name": "某单位"}),  # missing fields
        anonymous.post("/units", {"unit_name": "x"}),
    ]

    assert [r.status_code for r in answers] == [422] * 4
    assert [r.json()["detail"] for r in answers] == [VALIDATION_DETAIL] * 4
    assert [r.json()["code"] for r in answers] == ["validation"] * 4


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        (
            {"finances": [{"year": "{year}", "rd_spending": "1.234"}]},
            "finances.{year}.rd_spending",
            "{year}年研发投入最多保留2位小数。",
        ),
        (
            {"finances": [{"year": "{year}", "revenue": "123456789012345"}]},
            "finances.{year}.revenue",
            "{year}年营业收入数值过大：整数部分最多12位。",
        ),
        ({"planned_investment": "1.005"}, "planned_investment", None),
        (
            {"contact_email": "not-an-address"},
            "contact_email",
            "联系人邮箱格式不正确，请填写有效的电子邮箱地址，如 name@example.cn。",
        ),
    ],
)
def test_field_messages_are_sciplans_own_and_name_the_field(
    complete_application, api_as, fields, key, message
):
    application = Application.objects.get(pk=complete_application.pk)
    year = application.call.rd_years[0]
    if "finances" in fields:
        fields = {"finances": [{k: (year if v == "{year}" else v) for k, v in fields["finances"][0].items()}]}

    response = _patch(api_as("applicant"), application, **fields)

    errors = response.json()["errors"]
    assert response.status_code == 422
    assert list(errors) == [key.format(year=year)]
    assert DJANGO_WORDING.search(errors[key.format(year=year)]) is None
    if message is not None:
        assert errors[key.format(year=year)] == message.format(year=year)


def test_member_fields_are_named_in_their_messages_on_the_page_and_the_api(complete_application, personas):
    from sciplan.applications import services
    from sciplan.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.add_member(  # what the member page sends, unchecked by any schema
            complete_application,
            {
                "name": "某大学",
                "uscc": "12100000444885061X",
                "category": "nowhere",
                "role": "联合攻关",
                "agreement_signed_on": "2024-02-30",
                "agreement_years": "五年",
                "contact_email": "x@",
            },
            by=personas.applicant,
        )

    errors = refused.value.field_errors
    assert errors["category"] == "请从列表中选择成员类别。"
    assert (
        errors["agreement_signed_on"] == "合作协议签订日期应为有效的日期，格式为“年-月-日”，如 2024-06-01。"
    )
    assert errors["agreement_years"] == "协议期限（年）应为整数。"
    assert errors["contact_email"] == "联系人邮箱格式不正确，请填写有效的电子邮箱地址，如 name@example.cn。"
    assert [m for m in errors.values() if DJANGO_WORDING.search(m)] == []


def test_sign_in_page_names_the_empty_fields(client, db):
    page = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()

    assert ("请填写用户名。" in page, "请填写密码。" in page) == (True, True)
    assert DJANGO_WORDING.search(page) is None


def test_late_submit_answers_deadline_passed(call_2024, personas):
    import time_machine

    from tests.api.test_deadline_codes import at
    from tests.factories import application_in_state

    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        draft = application_in_state(call_2024, personas.applicant, "draft")
    with time_machine.travel(at(2024, 8, 5, 9, 0), tick=False):
        response = sign_in(personas.applicant.username).post(
            f"/applications/{draft.pk}/transitions", {"action": "submit"}
        )

    assert (response.status_code, response.json()["code"]) == (409, "deadline_passed")
