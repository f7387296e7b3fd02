"""The budget table of the plan section in a browser: totals and balance follow the typing, a wrong
amount is shown beside its cell, the valid cells are saved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sciplan.applications import budget
from sciplan.applications.models import BudgetYear
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_budget_totals_follow_the_typing_and_a_wrong_amount_is_shown_beside_it(
    new_page, complete_application, shoot
):
    page = new_page()
    login(page, "applicant")
    page.goto(f"{page.base}/applications/{complete_application.pk}/section/plan/#budget")
    table = page.locator("[data-budget]")

    years = budget.plan_years(complete_application.start_date, complete_application.call.year)
    page.get_by_label(f"{years[0]}年 牵头单位自筹（万元）", exact=True).fill("1,600.00")
    assert table.locator('[data-budget-total="source-1"]').text_content() == "2,100.00"
    assert table.locator('[data-budget-balance="1"]').text_content() == "相差 100.00"
    page.locator('[name="budget_1_use_equipment"]').fill("９００")
    assert table.locator('[data-budget-balance="1"]').text_content() == "平衡"
    assert table.locator('[data-budget-total="use-all"]').text_content() == "6,900.00"
    page.locator('[name="budget_2_use_other"]').fill("五十")
    assert table.locator('[data-budget-total="use-2"]').text_content() == "请检查数字"
    page.locator("#e-f-budget_2_use_other").wait_for(state="visible")
    shoot(page, "budget-table")

    assert (
        page.locator("#e-f-budget_2_use_other").text_content()
        == f"{years[1]}年 其他支出应填写金额数字（单位：万元），如“6800”或“6,800.00”。"
    )
    row = BudgetYear.objects.get(application=complete_application, index=1)
    assert (row.source_lead, row.use_equipment) == (Decimal("1600.00"), Decimal("900.00"))
    assert BudgetYear.objects.get(application=complete_application, index=2).use_other == Decimal("50.00")

    # Corrected, the cell saves and nothing is left unsaved when the page closes.
    page.locator('[name="budget_2_use_other"]').fill("50")
    page.wait_for_function(
        "() => document.querySelector('[data-save-state]').textContent.includes('已自动保存')"
    )
    assert table.locator('[data-budget-total="use-2"]').text_content() == "2,400.00"
