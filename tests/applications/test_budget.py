"""The plan's budget table (经费预算): amounts as typed, versioned saves, the pre-check rule, the
snapshot and the section page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sciplan.applications import budget, eligibility
from sciplan.applications.demo import DEMO_BUDGET
from sciplan.applications.models import Application, BudgetYear, FinanceYear
from sciplan.applications.services import save_section, submit_application
from sciplan.core.errors import Conflict
from tests.factories import budget_data

pytestmark = pytest.mark.django_db

CELL = BudgetYear._meta.get_field("source_lead")


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("6800", Decimal("6800.00")),
        ("6,800.00", Decimal("6800.00")),
        (" 1,234,567.5 ", Decimal("1234567.50")),
        ("６８００．５", Decimal("6800.50")),
        ("6800万元", Decimal("6800.00")),
        ("6800.100", Decimal("6800.10")),
        ("0", Decimal("0.00")),
        ("", None),
    ],
)
def test_parse_amount_accepts_what_people_type(typed, amount):
    assert budget.parse_amount(typed, CELL) == amount


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "自筹应填写金额数字（单位：万元），如“6800”或“6,800.00”。"),
        ("68,00", "自筹的千位分隔符位置不对，请按“6,800.00”或“6800”的格式填写。"),
        ("-5", "自筹不能为负数。"),
        ("12.345", "自筹最多保留2位小数。"),
        ("1e5", "自筹应填写金额数字（单位：万元），如“6800”或“6,800.00”。"),
        ("99999999999", "自筹的整数部分最多10位。"),
    ],
)
def test_parse_amount_refuses_other_input_with_a_chinese_message(typed, message):
    with pytest.raises(ValidationError) as caught:
        budget.parse_amount(typed, CELL, label="自筹")

    assert caught.value.messages == [message]


def test_parse_amount_takes_its_limits_from_the_field():
    revenue = FinanceYear._meta.get_field("revenue")  # max_digits=14: twelve digits before the point

    assert budget.parse_amount("999,999,999,999.99", revenue) == Decimal("999999999999.99")
    with pytest.raises(ValidationError) as caught:
        budget.parse_amount("999,999,999,999.99", CELL)
    assert caught.value.messages == ["牵头单位自筹（万元）数值过大：整数部分最多10位。"]


def test_plan_years_follow_the_construction_period_or_the_year_after_the_call():
    assert budget.plan_years(date(2025, 3, 1), 2024) == [2025, 2026, 2027]
    assert budget.plan_years("2026-01-01", 2024) == [2026, 2027, 2028]
    assert budget.plan_years(None, 2024) == [2025, 2026, 2027]


def test_demo_application_has_a_balanced_budget_equal_to_the_planned_investment(complete_application):
    rows = {row.index: row.amounts() for row in complete_application.budget_years.all()}
    totals = budget.totals(rows)

    assert sorted(rows) == [1, 2, 3]
    assert [totals.balanced(i) for i in budget.YEARS] == [True, True, True]
    assert (totals.sources_total, complete_application.planned_investment) == (Decimal("6800.00"),) * 2
    assert rule(complete_application).passed is True


def test_budget_cells_save_as_typed_and_count_as_one_version(complete_application, personas):
    app = complete_application
    base = app.version

    result = save_section(
        app,
        "plan",
        {"budget_1_source_lead": "1,600.00", "budget_1_use_equipment": "900"},
        base_version=base,
        by=personas.applicant,
    )

    row = BudgetYear.objects.get(application=app, index=1)
    assert (row.source_lead, row.use_equipment) == (Decimal("1600.00"), Decimal("900.00"))
    assert sorted(result.saved) == ["budget_1_source_lead", "budget_1_use_equipment"]
    assert result.application.version == base + 1
    assert result.application.field_versions["budget_1_source_lead"] == base + 1


def test_budget_rows_are_created_for_an_application_that_had_none(complete_application, personas):
    app = complete_application
    BudgetYear.objects.filter(application=app).delete()

    save_section(
        app, "plan", {"budget_3_source_other": "12"}, base_version=app.version, by=personas.applicant
    )

    assert list(BudgetYear.objects.filter(application=app).values_list("index", "source_other")) == [
        (3, Decimal("12.00"))
    ]


def rule(application: Application) -> eligibility.RuleResult:
    fresh = Application.objects.get(pk=application.pk)
    return next(r for r in eligibility.check_application(fresh) if r.code == "budget")


def test_precheck_fails_an_unbalanced_year_with_both_totals(complete_application, personas):
    app = complete_application
    save_section(
        app, "plan", {"budget_2_use_equipment": "800"}, base_version=app.version, by=personas.applicant
    )

    result = rule(app)

    years = budget.plan_years(app.start_date, app.call.year)
    assert (result.passed, result.hard, result.section) == (False, True, "plan")
    assert result.messages == [
        f"第二年（{years[1]}年）资金来源合计2,400.00万元，资金用途合计2,500.00万元，两者应相等。"
    ]


def test_precheck_asks_for_every_year_and_the_note_of_other_sources(complete_application, personas):
    app = complete_application
    data = budget_data({1: DEMO_BUDGET[1]})
    data.update({budget.key(i, line): "" for i in (2, 3) for line, _ in budget.LINES})
    data["budget_other_note"] = ""
    save_section(app, "plan", data, base_version=app.version, by=personas.applicant)

    result = rule(app)

    years = budget.plan_years(app.start_date, app.call.year)
    assert result.messages == [
        f"请填写第二年（{years[1]}年）、第三年（{years[2]}年）的资金来源。",
        "填写了“其他来源”的，请在“其他来源说明”中写明资金来源。",
        "经费预算三年合计2,000.00万元，与“基本信息”中的计划总投入6,800.00万元不一致。",
    ]


def test_submission_is_refused_while_the_budget_does_not_balance(complete_application, personas):
    app = complete_application
    save_section(app, "plan", {"budget_3_source_lead": "1"}, base_version=app.version, by=personas.applicant)

    with pytest.raises(Conflict) as caught:
        submit_application(Application.objects.get(pk=app.pk), by=personas.applicant)

    assert "【经费预算完整且收支平衡】" in caught.value.message
    assert Application.objects.get(pk=app.pk).versions.count() == 0


def test_submitted_version_carries_the_budget(submitted_application):
    snapshot = submitted_application.versions.get(number=1).snapshot
    years = budget.plan_years(submitted_application.start_date, submitted_application.call.year)

    assert snapshot["schema"] == 2
    assert [(b["index"], b["year"]) for b in snapshot["budget"]] == list(
        zip(budget.YEARS, years, strict=True)
    )
    assert snapshot["budget"][0]["source_lead"] == "1500.00"
    assert snapshot["fields"]["budget_other_note"] == "市级科技计划项目资金与银行科技贷款贴息。"


def test_plan_page_shows_the_budget_table_with_totals(client, personas, complete_application):
    client.force_login(personas.applicant)

    page = client.get(
        reverse("applications:section", args=[complete_application.pk, "plan"])
    ).content.decode()

    assert 'name="budget_1_source_lead" value="1500.00"' in page
    assert 'data-budget-total="source-all">6,800.00</output>' in page
    assert 'data-budget-total="line-use_equipment">2,000.00</output>' in page
    assert page.count(">平衡</td>") == 3
    assert page.count('id="f-budget_other_note"') == 1


def test_plan_page_keeps_a_wrong_amount_as_typed_with_its_message(client, personas, complete_application):
    client.force_login(personas.applicant)
    url = reverse("applications:section", args=[complete_application.pk, "plan"])

    response = client.post(
        url,
        {
            "base_version": complete_application.version,
            "budget_1_use_materials": "四百",
            "budget_1_use_other": "60",
        },
    )

    page = response.content.decode()
    year = budget.plan_years(complete_application.start_date, complete_application.call.year)[0]
    assert response.status_code == 422
    assert 'name="budget_1_use_materials" value="四百"' in page
    assert f"{year}年 材料与测试化验费应填写金额数字（单位：万元），如“6800”或“6,800.00”。" in page
    assert BudgetYear.objects.get(application=complete_application, index=1).use_other == Decimal("60.00")


def test_eligibility_page_links_a_failed_budget_to_the_plan_section(client, personas, complete_application):
    app = complete_application
    save_section(app, "plan", {"budget_1_use_other": "0"}, base_version=app.version, by=personas.applicant)
    client.force_login(personas.applicant)

    page = client.get(reverse("applications:eligibility", args=[app.pk])).content.decode()

    assert "经费预算完整且收支平衡" in page
    assert reverse("applications:section", args=[app.pk, "plan"]) + "#budget" in page


def test_version_page_shows_the_frozen_budget_table(client, personas, submitted_application):
    client.force_login(personas.applicant)

    page = client.get(reverse("applications:version", args=[submitted_application.pk, 1])).content.decode()

    assert "经费预算表（万元）" in page
    assert '<th scope="row">二、资金用途合计</th><td class="num">2,000.00</td>' in page


def test_version_page_of_a_version_from_before_the_budget_table_renders(
    client, personas, submitted_application
):
    from sciplan.applications.models import ApplicationVersion

    version = submitted_application.versions.get(number=1)
    old = {k: v for k, v in version.snapshot.items() if k != "budget"}
    ApplicationVersion.objects.filter(pk=version.pk).update(snapshot={**old, "schema": 1})
    client.force_login(personas.applicant)

    response = client.get(reverse("applications:version", args=[submitted_application.pk, 1]))

    assert response.status_code == 200
    assert "经费预算表" not in response.content.decode()


def test_a_budget_cell_has_one_name_in_its_label_its_messages_and_the_conflict_panel(complete_application):
    from sciplan.applications import forms

    years = budget.plan_years(complete_application.start_date, complete_application.call.year)
    table = forms.budget_table(complete_application, [])
    cell = next(row for row in table.rows if row.code == "use_other").cells[1]

    assert budget.cell_label(2, "use_other", years) == f"{years[1]}年 其他支出"
    assert cell.label == f"{years[1]}年 其他支出（万元）"
    assert forms.field_label("budget_2_use_other", years=years) == cell.label


def test_read_only_plan_page_prints_the_same_rows_as_the_version_page(
    client, personas, submitted_application
):
    client.force_login(personas.applicant)
    section = client.get(reverse("applications:section", args=[submitted_application.pk, "plan"]))
    version = client.get(reverse("applications:version", args=[submitted_application.pk, 1]))

    def rows(page: str) -> list[str]:
        body = page[page.index('<h3 id="budget">') :]
        return re.findall(
            r"<tr(?: class=\"subtotal\")?><th scope=\"row\">.*?</tr>", body[: body.index("</table>")]
        )

    printed = rows(section.content.decode())
    assert 'name="budget_1_source_lead"' not in section.content.decode()
    assert printed[1] == '<tr><th scope="row">1. 牵头单位自筹</th><td class="num">1,500.00</td>' + (
        '<td class="num">1,750.00</td><td class="num">1,750.00</td><td class="num">5,000.00</td></tr>'
    )
    assert (len(printed), printed) == (11, rows(version.content.decode()))
