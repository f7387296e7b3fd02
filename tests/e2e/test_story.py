"""The whole path in a real browser, one person at a time: from a unit's registration to the public register.

Each person has their own browser context and signs in as they would; bureau staff type the code of the
demo authenticator. Only the experts' pool (people, not steps of the procedure) is set up through the
ORM. Screenshots of every step, at desktop and phone width, go to ``$SCIPLAN_ARTIFACTS/screenshots``.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from sciplan.accounts import uscc
from sciplan.accounts.demo import ensure_user
from sciplan.accounts.roles import Role
from sciplan.applications.models import Application, ApplicationVersion, StatusEvent
from sciplan.calls.models import Industry
from sciplan.review.models import Expert
from tests.e2e import steps
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

UNIT = "岳阳示范新材料科技有限公司"
DIRECTION = "先进高分子材料"
NAME = f"岳阳市{DIRECTION}创新联合体"


def make_experts(n: int = 3) -> list:
    """A pool of petrochemical experts with accounts (the pool is data, not a step of the procedure)."""
    experts = []
    for i in range(1, n + 1):
        user = ensure_user(f"e2e_expert{i}", f"评审专家{i}", Role.EXPERT, mobile=f"1357309{i:04d}")
        experts.append(
            Expert.objects.create(
                name=f"评审专家{i}",
                organisation=f"测试大学{i}",
                fields=["petrochem"],
                phone=f"1357309{i:04d}",
                title="教授",
                active=True,
                user=user,
            )
        )
    return experts


def register_unit(new_page, shoot) -> None:
    page = new_page()
    page.goto(page.base + "/accounts/register/")
    steps.fill_registration(
        page,
        unit=UNIT,
        code=uscc.build("91430600", "MA4L0Y07"),
        username="story_unit",
        password="Story-2024-pass",
        mobile="13807308888",
    )
    shoot(page, "register", phone=True)
    page.get_by_role("button", name="提交注册").click()
    page.get_by_role("heading", name="注册已提交").wait_for()
    shoot(page, "registered", phone=True)


def approve_unit(county, shoot) -> None:
    county.goto(county.base + "/accounts/units/pending/")
    shoot(county, "county-pending-units", phone=True)
    said = steps.approve_registration(county, UNIT)
    assert "该单位的单位管理员（周明）" in said
    shoot(county, "county-approved", phone=True)


def fill_application(applicant, call, shoot) -> int:
    applicant.goto(applicant.base + "/applications/")
    shoot(applicant, "applicant-home", phone=True)
    applicant.get_by_role("button", name="新建申报书").first.click()
    applicant.wait_for_url(re.compile(r"/applications/\d+/"))
    pk = int(re.search(r"/applications/(\d+)/", applicant.url).group(1))
    values = steps.section_values(call, DIRECTION, Industry.objects.get(code="petrochem").pk)
    for code, data in values.items():
        steps.save_section(applicant, pk, code, data)
        if code == "basic":
            # The breadcrumb follows the saved direction once the save's answer has arrived: wait for it.
            expect(applicant.locator(".breadcrumb").get_by_text(NAME)).to_have_count(1)
        shoot(applicant, f"section-{code}", phone=True)
    links = []
    for index in range(len(steps.MEMBERS)):
        links.append(steps.add_member(applicant, pk, steps.member_values(index)))
        if index == 0:
            shoot(applicant, "member-link", phone=True)
        steps.upload_member_agreement(applicant, pk, steps.MEMBERS[index][0])
    steps.add_platform(applicant, pk, f"湖南省{DIRECTION}工程技术研究中心")
    shoot(applicant, "platforms", phone=True)
    for kind, filename in (
        ("financial_evidence", "近三年审计报告.pdf"),
        ("charter", "联合体章程.pdf"),
        ("commitment", "承诺书.pdf"),
    ):
        steps.upload_attachment(applicant, pk, kind, filename)
    shoot(applicant, "attachments", phone=True)
    return pk, links


def test_the_whole_path(new_page, personas, call, shoot, two_factor):
    # A panel of three keeps the walk short; the call must then allow panels of three (panel_min_size).
    call.panel_min_size = 3
    call.save(update_fields=["panel_min_size"])
    experts = make_experts(3)

    # 1. A unit registers; its recommender (云溪区) approves it.
    register_unit(new_page, shoot)
    county = new_page()
    login(county, "county")
    approve_unit(county, shoot)

    # 2. The unit fills in every section, adds members, uploads attachments.
    applicant = new_page()
    login(applicant, "story_unit", "Story-2024-pass")
    pk, links = fill_application(applicant, call, shoot)

    # 3. Each member confirms through its link.
    for index, link in enumerate(links):
        member = new_page(viewport=steps_phone())
        steps.confirm_member(member, link, f"成员负责人{index + 1}")
        if index == 0:
            shoot(member, "member-confirmed", phone=True)
    applicant.goto(f"{applicant.base}/applications/{pk}/members/")
    assert applicant.get_by_text(f"已确认 {len(links)} 家").count() == 1
    shoot(applicant, "members-confirmed", phone=True)

    # 4. Eligibility passes; submit; receipt.
    applicant.goto(f"{applicant.base}/applications/{pk}/eligibility/")
    shoot(applicant, "eligibility", phone=True)
    assert applicant.locator("li.rule.fail").count() == 0, applicant.locator("li.rule.fail").all_inner_texts()
    receipt = steps.submit(applicant, pk)
    shoot(applicant, "receipt", phone=True)
    assert "回执" in receipt

    # 5. The recommender sends it back with a reason; the applicant revises and resubmits.
    county.goto(county.base + "/recommend/worklist/")
    shoot(county, "county-worklist", phone=True)
    steps.recommender_act(county, pk, "退回修改", reason="请补充第三年目标的量化指标。")
    shoot(county, "county-returned", phone=True)
    applicant.goto(f"{applicant.base}/applications/{pk}/")
    assert applicant.get_by_text("请补充第三年目标的量化指标。").count() >= 1
    shoot(applicant, "applicant-sees-reason", phone=True)
    steps.save_section(
        applicant, pk, "basis", {"goal_year3": "形成产业化能力，带动配套企业12家，新增产值5亿元。"}
    )
    steps.submit(applicant, pk)
    shoot(applicant, "receipt-2", phone=True)

    # 6. The recommender accepts, checks credit, uploads its letter, recommends; finance co-signs.
    steps.recommender_act(county, pk, "受理")
    steps.record_credit(county, pk)
    steps.upload_letter(county, call.pk)
    steps.recommender_act(county, pk, "推荐", opinion="该联合体合作基础扎实，同意推荐。")
    shoot(county, "county-recommended", phone=True)
    finance = new_page()
    login(finance, "finance")
    finance.goto(finance.base + "/recommend/worklist/")
    shoot(finance, "finance-worklist", phone=True)
    steps.recommender_act(finance, pk, "财政部门确认推荐")
    shoot(finance, "finance-confirmed", phone=True)
    assert Application.objects.get(pk=pk).status == "recommended"

    # 7. The bureau records intake (paper copies, summary table) and the formal review.
    bureau = new_page()
    login(bureau, "bureau")
    bureau.goto(bureau.base + "/review/dashboard/")
    shoot(bureau, "bureau-dashboard", phone=True)
    steps.receive_summary_table(bureau, call.pk)
    assert bureau.get_by_label("汇总表接收日期").count() == 0
    shoot(bureau, "bureau-intake", phone=True)
    steps.receive_paper_and_pass_formal_review(bureau, pk)
    shoot(bureau, "bureau-formal-review", phone=True)
    assert Application.objects.get(pk=pk).status == "under_review"

    # 8. A panel is drawn; the experts declare and score.
    steps.draw_panel(bureau, call.pk, len(experts))
    shoot(bureau, "bureau-draw", phone=True)
    for i, expert in enumerate(experts):
        page = new_page()
        login(page, expert.user.username)
        if i == 0:
            page.goto(page.base + "/review/assignments/")
            shoot(page, "expert-assignments", phone=True)
        steps.declare_and_score(page, pk, 0.9 - i * 0.05)
        if i == 0:
            shoot(page, "expert-score", phone=True)
        steps.submit_scores(page)
        page.context.close()

    # 9. The ranking is confirmed; the proposed list and the public notice.
    steps.confirm_ranking(bureau, call.pk)
    shoot(bureau, "bureau-ranking", phone=True)
    steps.propose_and_publish_notice(bureau, call.pk, pk)
    shoot(bureau, "bureau-notice-published", phone=True)
    assert Application.objects.get(pk=pk).status == "in_public_notice"

    # 10. Someone files an objection on the public page; the bureau investigates and records the outcome.
    public = new_page()
    public.goto(public.base + "/gongshi/")
    shoot(public, "public-notices", phone=True)
    public.get_by_role("link").filter(has_text="公示").first.click()
    steps.settle(public)
    shoot(public, "public-notice", phone=True)
    public.get_by_role("link", name="提出异议").first.click()
    steps.settle(public)
    public.locator("#k-person").check()
    public.get_by_label("真实姓名").fill("张三")
    public.get_by_label("手机号码").fill("13907301111")
    public.locator('textarea[name="content"]').fill("该联合体成员单位合作协议签订时间存疑，请核实。")
    shoot(public, "objection-form", phone=True)
    public.get_by_role("button", name="提交异议").click()
    steps.settle(public)
    shoot(public, "objection-filed", phone=True)
    bureau.goto(f"{bureau.base}/recognition/calls/{call.pk}/")
    bureau.get_by_role("link", name="处理").first.click()
    steps.settle(bureau)
    bureau.get_by_label("调查核实情况").fill("经核实，合作协议原件签订时间与申报一致，异议不成立。")
    bureau.locator("#o-no").check()
    shoot(bureau, "objection-handling", phone=True)
    bureau.get_by_role("button", name="记录处理结果").click()
    assert "确认异议不成立" in steps.confirm(bureau)

    # 11. After the notice period: recognition, the public register, the PDF's code on /verify/.
    notice_end = Application.objects.get(pk=pk).notice_entries.get().notice.ends_at
    with time_machine.travel(notice_end + timedelta(days=1, hours=1), tick=True):
        bureau = new_page()
        login(bureau, "bureau")
        bureau.goto(f"{bureau.base}/recognition/applications/{pk}/recognize/")
        shoot(bureau, "recognize", phone=True)
        steps.recognize(bureau, pk, "岳科发〔2026〕8号")
        assert Application.objects.get(pk=pk).status == "recognized"

        public.goto(public.base + "/recognized/")
        shoot(public, "public-register", phone=True)
        public.get_by_role("link", name=NAME).first.click()
        steps.settle(public)
        shoot(public, "public-register-detail", phone=True)

    applicant.goto(f"{applicant.base}/documents/{pk}/")
    shoot(applicant, "documents", phone=True)
    with applicant.expect_download() as download:
        applicant.locator("td").get_by_role("link", name="PDF", exact=True).first.click()
    code = pdf_code(download.value.path())
    public.goto(public.base + "/verify/")
    public.get_by_label("校验码").fill(code)
    public.get_by_role("button", name="核验").click()
    steps.settle(public)
    shoot(public, "verify", phone=True)
    assert NAME in public.locator("main").inner_text()

    assert ApplicationVersion.objects.filter(application_id=pk).count() == 2
    assert StatusEvent.objects.filter(application_id=pk, action="recognize").count() == 1


def steps_phone():
    from tests.e2e.conftest import PHONE

    return PHONE


def pdf_code(path) -> str:
    from pypdf import PdfReader

    with open(path, "rb") as handle:
        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(handle.read())).pages)
    from sciplan.documents.models import VersionCode

    codes = VersionCode.objects.values_list("code", flat=True)
    found = [c for c in codes if c and c in text.replace(" ", "")]
    assert found, f"no verification code in the PDF: {text[:300]}"
    return found[0]
