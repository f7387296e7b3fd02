"""API: the plan's budget in application_get, application_update and eligibility_check."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sciplan.applications import budget
from sciplan.applications.models import Application, BudgetYear

pytestmark = pytest.mark.django_db


def test_application_get_has_the_budget_with_its_totals(complete_application, api_as):
    body = api_as("applicant").get(f"/applications/{complete_application.pk}").json()

    years = budget.plan_years(complete_application.start_date, complete_application.call.year)
    assert [(b["index"], b["year"]) for b in body["budget"]] == list(zip(budget.YEARS, years, strict=True))
    assert body["budget"][0] == {
        "index": 1,
        "year": years[0],
        "sources_total": "2000.00",
        "uses_total": "2000.00",
        "source_lead": "1500.00",
        "source_members": "400.00",
        "source_other": "100.00",
        "use_equipment": "800.00",
        "use_materials": "400.00",
        "use_personnel": "350.00",
        "use_cooperation": "200.00",
        "use_platform": "200.00",
        "use_other": "50.00",
    }
    assert body["budget_other_note"] == "市级科技计划项目资金与银行科技贷款贴息。"


def test_application_update_saves_budget_cells_with_the_version(complete_application, api_as):
    application = Application.objects.get(pk=complete_application.pk)

    response = api_as("applicant").patch(
        f"/applications/{application.pk}",
        {
            "version": application.version,
            "budget": [{"index": 2, "source_members": "600", "use_other": "100.00"}],
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["budget"][1]["sources_total"], body["budget"][1]["uses_total"]) == ("2450.00", "2450.00")
    assert body["version"] == application.version + 1
    row = BudgetYear.objects.get(application=application, index=2)
    assert (row.source_members, row.use_other, row.source_lead) == (
        Decimal("600.00"),
        Decimal("100.00"),
        Decimal("1750.00"),
    )


def test_application_update_refuses_a_bad_budget_cell_and_saves_nothing(complete_application, api_as):
    application = Application.objects.get(pk=complete_application.pk)

    response = api_as("applicant").patch(
        f"/applications/{application.pk}",
        {
            "version": application.version,
            "direction": "新方向",
            "budget": [{"index": 1, "source_lead": "-1", "use_other": "0.005"}],
        },
    )

    year = budget.plan_years(application.start_date, application.call.year)[0]
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "budget.1.source_lead": f"{year}年 牵头单位自筹不能为负数。",
        "budget.1.use_other": f"{year}年 其他支出最多保留2位小数。",
    }
    assert Application.objects.get(pk=application.pk).direction == "高性能聚烯烃新材料"
    assert BudgetYear.objects.get(application=application, index=1).source_lead == Decimal("1500.00")


def test_application_update_refuses_a_year_outside_the_plan(complete_application, api_as):
    response = api_as("applicant").patch(
        f"/applications/{complete_application.pk}",
        {"version": complete_application.version, "budget": [{"index": 4, "source_lead": "1"}]},
    )

    assert response.status_code == 422


def test_eligibility_check_reports_an_unbalanced_budget(complete_application, api_as):
    client = api_as("applicant")
    client.patch(
        f"/applications/{complete_application.pk}",
        {"version": complete_application.version, "budget": [{"index": 1, "use_equipment": "850"}]},
    )

    body = client.get(f"/applications/{complete_application.pk}/eligibility").json()

    rule = next(r for r in body["rules"] if r["code"] == "budget")
    assert (body["eligible"], rule["passed"], rule["hard"]) == (False, False, True)
    assert rule["messages"][0].endswith("资金来源合计2,000.00万元，资金用途合计2,050.00万元，两者应相等。")
