"""A new applicant unit registers; its county approves it; a mistyped code is explained beside the field."""

from __future__ import annotations

import pytest

from sciplan.accounts import uscc
from sciplan.accounts.models import Unit
from tests.e2e import steps
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_unit_registers_and_its_county_approves(new_page, personas, shoot):
    page = new_page()
    page.goto(page.base + "/accounts/register/")
    code = uscc.build("91430600", "MA4LE2E1")
    steps.fill_registration(
        page,
        unit="岳阳新材料示范有限公司",
        code=code[:-1] + ("0" if code[-1] != "0" else "1"),
        username="e2e_unit_admin",
        password="Abcdef-2024",
        mobile="13807309999",
    )
    page.locator("#f-password2").fill("Abcdef-2025")
    page.get_by_role("button", name="提交注册").click()

    error = page.locator("#e-uscc")
    assert (
        error.inner_text()
        == "第18位校验码不符，请核对是否输入有误。如确认代码与营业执照一致，请联系市科技局核实。"
    )
    assert page.locator("#e-password2").inner_text() == "两次输入的密码不一致，请重新输入。"
    assert page.get_by_label("单位名称").input_value() == "岳阳新材料示范有限公司"
    shoot(page, "registration-bad-code", phone=True)

    page.get_by_label("统一社会信用代码").fill(code.lower())
    page.get_by_label("营业执照或登记证书扫描件").set_input_files(steps.licence())
    page.locator("#f-password").fill("Abcdef-2024")
    page.locator("#f-password2").fill("Abcdef-2024")
    page.get_by_role("button", name="提交注册").click()
    page.get_by_role("heading", name="注册已提交").wait_for()
    assert "3 个工作日" in page.locator("main").inner_text()
    shoot(page, "registration-done", phone=True)
    assert Unit.objects.get(uscc=code).status == "pending"

    county = new_page()
    login(county, "county")
    county.goto(county.base + "/accounts/units/pending/")
    shoot(county, "county-pending-units", phone=True)
    county.get_by_role("link", name="岳阳新材料示范有限公司").click()
    county.wait_for_load_state("networkidle")
    assert county.get_by_role("link", name="下载 营业执照（副本）.pdf").count() == 1
    shoot(county, "county-unit-detail", phone=True)
    county.get_by_role("button", name="审核通过", exact=True).click()
    county.locator("dialog.confirm-dialog[open]").wait_for()
    shoot(county, "county-approve-dialog", phone=True)
    steps.confirm(county)

    assert Unit.objects.get(uscc=code).status == "approved"
