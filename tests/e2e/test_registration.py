"""A new applicant unit registers; its county approves it; a mistyped code is explained beside the field."""

from __future__ import annotations

import pytest

from sciplan.accounts import uscc
from sciplan.accounts.models import Unit
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_unit_registers_and_its_county_approves(new_page, personas, shoot):
    page = new_page()
    page.goto(page.base + "/accounts/register/")
    code = uscc.build("91430600", "MA4LE2E1")
    page.get_by_label("单位名称").fill("岳阳新材料示范有限公司")
    page.get_by_label("统一社会信用代码").fill(code[:-1] + ("0" if code[-1] != "0" else "1"))
    page.get_by_label("所在县市区或园区（推荐单位）").select_option(label="云溪区")
    page.get_by_label("姓名").fill("测试管理员")
    page.get_by_label("手机号码").fill("13807309999")
    page.get_by_label("登录名").fill("e2e_unit_admin")
    page.get_by_label("密码").fill("Abcdef-2024")
    page.get_by_role("button", name="提交注册").click()

    error = page.locator("#e-uscc")
    assert (
        error.inner_text()
        == "第18位校验码不符，请核对是否输入有误。如确认代码与营业执照一致，请联系市科技局核实。"
    )
    assert page.get_by_label("单位名称").input_value() == "岳阳新材料示范有限公司"
    shoot(page, "registration-bad-code")

    page.get_by_label("统一社会信用代码").fill(code.lower())
    page.get_by_label("密码").fill("Abcdef-2024")
    page.get_by_role("button", name="提交注册").click()
    page.get_by_role("heading", name="注册已提交").wait_for()
    shoot(page, "registration-done")
    assert Unit.objects.get(uscc=code).status == "pending"

    county = new_page()
    login(county, "county")
    county.goto(county.base + "/accounts/units/pending/")
    row = county.get_by_role("row").filter(has_text="岳阳新材料示范有限公司")
    shoot(county, "county-pending-units")
    row.get_by_role("button", name="审核通过").click()
    county.wait_for_load_state("networkidle")

    assert Unit.objects.get(uscc=code).status == "approved"
