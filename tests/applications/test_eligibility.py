from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from sciplan.applications.eligibility import check_application, hard_failures
from sciplan.applications.models import Application, Attachment, AttachmentKind
from sciplan.applications.services import save_section, submit_application, update_member
from sciplan.calls.models import Industry, PlatformLevel
from sciplan.core import clock
from sciplan.core.errors import Conflict

pytestmark = pytest.mark.django_db


def rule(application, code):
    fresh = Application.objects.get(pk=application.pk)
    return {r.code: r for r in check_application(fresh)}[code]


def test_eligibility_complete_application_passes_every_hard_rule(complete_application):
    assert hard_failures(check_application(complete_application)) == []


def test_eligibility_industry_outside_the_call_fails(complete_application, call):
    outside = Industry.objects.create(code="outside", group="X", name="非目录产业")
    Application.objects.filter(pk=complete_application.pk).update(industry=outside)

    result = rule(complete_application, "industry")

    assert (result.passed, result.messages) == (False, ["请在“基本信息”中选择本批次1+3+X产业目录中的产业。"])


def test_eligibility_rd_spending_below_threshold_names_the_total(complete_application, call, personas):
    app = complete_application
    years = call.rd_years
    save_section(
        app, "lead", {f"rd_{y}": "300" for y in years}, base_version=app.version, by=personas.applicant
    )

    result = rule(app, "rd_spending")

    assert result.passed is False
    assert result.messages == [f"{years[0]}—{years[-1]}年研发投入合计900.00万元，低于1000.00万元的要求。"]


def test_eligibility_rd_spending_missing_year_is_named(complete_application, call, personas):
    app = complete_application
    save_section(app, "lead", {f"rd_{call.rd_years[1]}": ""}, base_version=app.version, by=personas.applicant)

    result = rule(app, "rd_spending")

    assert result.messages == [f"请填写{call.rd_years[1]}年度的研发投入。"]


def test_eligibility_platform_without_certificate_fails(complete_application):
    Attachment.objects.filter(
        application=complete_application, kind=AttachmentKind.PLATFORM_CERTIFICATE
    ).delete()
    name = complete_application.platforms.get().name

    result = rule(complete_application, "platform")

    assert (result.passed, result.messages) == (False, [f"请上传研发平台（{name}）的认定证书。"])


def test_eligibility_platform_below_city_level_fails(complete_application):
    complete_application.platforms.update(level=PlatformLevel.COUNTY)

    result = rule(complete_application, "platform")

    assert (result.passed, result.messages) == (False, ["请至少填写一个市级以上研发平台。"])


def test_eligibility_member_short_agreement_and_recent_cooperation_fail(complete_application, call):
    member = complete_application.members.first()
    recent = clock.local(clock.now()).date() - timedelta(days=100)
    type(member).objects.filter(pk=member.pk).update(agreement_years=2, cooperation_started_on=recent)

    result = rule(complete_application, "members")

    assert result.passed is False
    assert result.messages[0].startswith(f"{member.name}：合作协议期限须为3年以上、实质性合作须在提交前满1年")


def test_eligibility_unconfirmed_member_blocks_with_its_name(complete_application, personas):
    member = complete_application.members.first()
    update_member(member, {"role": "调整后的分工"}, base_version=member.version, by=personas.applicant)

    result = rule(complete_application, "members")

    assert result.messages == [f"{member.name}：尚未在线确认参与。"]


def test_eligibility_member_without_agreement_fails(complete_application):
    member = complete_application.members.first()
    Attachment.objects.filter(member=member).delete()

    result = rule(complete_application, "members")

    assert result.messages == [f"{member.name}：未上传合作协议。"]


def test_eligibility_missing_liaison_and_attachment_are_listed(complete_application, personas):
    app = complete_application
    save_section(app, "governance", {"liaison_name": ""}, base_version=app.version, by=personas.applicant)
    Attachment.objects.filter(application=app, kind=AttachmentKind.CHARTER).delete()

    result = rule(app, "completeness")

    assert result.messages == [
        "“运行机制”未填写：日常对接工作人员。",
        "运行机制中须明确负责日常工作对接的工作人员。",
        "请上传：联合体章程。",
    ]


def test_eligibility_lead_unit_as_member_and_duplicates_fail(complete_application):
    first, second = complete_application.members.all()[:2]
    type(first).objects.filter(pk=first.pk).update(uscc=complete_application.lead_unit.uscc)
    type(second).objects.filter(pk=second.pk).update(uscc=complete_application.lead_unit.uscc)

    result = rule(complete_application, "identity")

    assert result.passed is False
    assert f"成员单位“{second.name}”重复添加。" in result.messages
    assert f"“{first.name}”是牵头单位，不能同时作为成员单位。" in result.messages


def test_eligibility_second_active_application_of_the_same_unit_fails(complete_application, call, personas):
    submit_application(complete_application, by=personas.applicant)
    other = Application.objects.create(
        call=call,
        lead_unit=complete_application.lead_unit,
        recommender=complete_application.recommender,
        created_by=personas.applicant,
    )

    result = rule(other, "identity")

    assert result.messages == ["本单位在本批次已有一份有效申报，不能重复申报。"]


def test_eligibility_soft_signals_never_block(complete_application):
    results = {r.code: r for r in check_application(complete_application)}

    assert [results[c].hard for c in ("local_share", "member_mix", "rd_intensity")] == [False, False, False]
    assert results["member_mix"].passed is True


def test_submit_refuses_while_a_hard_rule_fails(complete_application, personas):
    app = complete_application
    save_section(
        app,
        "lead",
        {f"rd_{y}": "1" for y in app.call.rd_years},
        base_version=app.version,
        by=personas.applicant,
    )

    with pytest.raises(Conflict) as caught:
        submit_application(app, by=personas.applicant)

    assert caught.value.message.startswith("资格自查未通过：【近三年研发投入不少于1000万元】")
    assert Application.objects.get(pk=app.pk).status == "draft"
    assert Decimal(3) == sum(f.rd_spending for f in app.finance_years.all())
