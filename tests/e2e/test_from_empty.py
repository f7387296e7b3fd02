"""A bureau starts SciPlan from nothing: an empty database, the first administrator from the documented
command, and from then on only SciPlan's pages.

The administrator enrols an authenticator, enters the dictionaries and the working-day calendar, and
opens the officials' accounts; every official sets their own password from the link in their mail. The
bureau sets up and publishes a call and invites its experts, who set their own passwords too. Then a
unit registers, applies, is recommended, reviewed, ranked, put on public notice and recognised. No
fixture, no shell, no demo data: the only data written outside a page is the administrator the
installation's own command creates.
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django_otp.oath import TOTP

from sciplan.accounts.models import User
from sciplan.applications.models import Application
from sciplan.calls.models import Call
from sciplan.core import clock
from tests.e2e import steps
from tests.e2e import test_story as story
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "Admin-2026-first"
PASSWORD = "Own-2026-password"


def authenticator_code(secret: str, *, offset: int = 0) -> str:
    """What an authenticator app shows for the secret printed on the enrolment page."""
    raw = secret.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6, drift=offset)
    return f"{totp.token():06d}"


class Person:
    """One official at their own browser, with the authenticator secret they enrolled (if any)."""

    def __init__(self, page, username: str, password: str):
        self.page, self.username, self.password, self.secret = page, username, password, ""

    def go(self, path: str) -> None:
        self.page.goto(self.page.base + path)
        steps.settle(self.page)

    def sign_in(self) -> None:
        page = self.page
        page.goto(page.base + "/accounts/login/")
        page.get_by_label("用户名").fill(self.username)
        page.get_by_label("密码").fill(self.password)
        page.get_by_role("button", name="登录").click()
        steps.settle(page)
        if "/accounts/otp/setup/" in page.url:
            self.secret = page.locator("code").first.inner_text()
            self._code("完成绑定")
        elif "/accounts/otp/" in page.url:
            self._code("验证")
        assert "/accounts/login/" not in page.url, page.locator("main").inner_text()

    def _code(self, button: str) -> None:
        # A code is accepted once: when the previous step used this window's code, wait for the next.
        for attempt in range(3):
            self.page.get_by_label("6位动态码").fill(authenticator_code(self.secret))
            self.page.get_by_role("button", name=button).click()
            steps.settle(self.page)
            if "/accounts/otp/" not in self.page.url:
                return
            self.page.wait_for_timeout(10_000 if attempt < 2 else 0)
        raise AssertionError(f"{self.username}: the one-time code was refused")


def set_password_from_mail(new_page, email: str, password: str) -> None:
    """Open the one-time link SciPlan mailed to ``email`` and choose a password."""
    messages = [m for m in mail.outbox if email in m.to]
    assert messages, f"no mail to {email}: {[m.to for m in mail.outbox]}"
    link = re.search(r"https?://\S+/accounts/set-password/\S+/", messages[-1].body)
    assert link, messages[-1].body
    page = new_page()
    path = link.group(0).split("/accounts/", 1)[1]
    page.goto(f"{page.base}/accounts/{path}")
    page.get_by_label("新密码", exact=True).fill(password)
    page.get_by_label("再次输入新密码").fill(password)
    page.get_by_role("button", name="设置密码").click()
    steps.settle(page)
    assert "密码已设置" in page.locator("body").inner_text(), page.locator("main").inner_text()
    page.context.close()


def open_account(
    admin: Person, *, username: str, name: str, email: str, role: str, recommender: str = ""
) -> None:
    admin.go("/accounts/users/new/")
    form = admin.page.locator("main form")
    form.get_by_label("登录名").fill(username)
    form.get_by_label("姓名").fill(name)
    form.get_by_label("电子邮箱").fill(email)
    form.get_by_role("combobox", name=re.compile("^角色")).select_option(label=role)
    if recommender:
        form.get_by_label("所属推荐单位").select_option(label=recommender)
    form.get_by_role("button", name="开设账号", exact=True).click()
    steps.settle(admin.page)
    assert "已开设账号" in admin.page.locator("body").inner_text(), admin.page.locator("main").inner_text()


def official(new_page, *, username: str, email: str) -> Person:
    set_password_from_mail(new_page, email, PASSWORD)
    person = Person(new_page(), username, PASSWORD)
    person.sign_in()
    return person


def test_a_bureau_starts_from_an_empty_database(new_page, settings, shoot, monkeypatch):
    settings.OTP_ENFORCED = True
    assert not User.objects.exists()

    # 0. The installation's one command: the first administrator.
    monkeypatch.setenv("SCIPLAN_ADMIN_PASSWORD", ADMIN_PASSWORD)
    call_command("create_admin", username="sysadmin", email="admin@kjj.example.cn", no_input=True)

    # 1. The administrator signs in, enrols an authenticator, enters the dictionaries.
    admin = Person(new_page(), "sysadmin", ADMIN_PASSWORD)
    admin.sign_in()
    shoot(admin.page, "empty-admin-home", phone=True)
    build_dictionaries(admin, shoot)

    # 2. The officials' accounts; each sets their own password from the mailed link.
    open_account(admin, username="kjj_li", name="李科员", email="li@kjj.example.cn", role="市科技局")
    open_account(
        admin,
        username="yx_kj",
        name="云溪科技",
        email="kj@yx.example.cn",
        role="推荐单位",
        recommender="云溪区",
    )
    open_account(
        admin,
        username="yx_cz",
        name="云溪财政",
        email="cz@yx.example.cn",
        role="财政部门",
        recommender="云溪区",
    )
    shoot(admin.page, "empty-admin-users", phone=True)
    bureau = official(new_page, username="kjj_li", email="li@kjj.example.cn")
    county = official(new_page, username="yx_kj", email="kj@yx.example.cn")
    finance = official(new_page, username="yx_cz", email="cz@yx.example.cn")

    # 3. The bureau sets up and publishes the call, and invites its experts.
    call_pk = set_up_call(bureau, shoot)
    experts = invite_experts(bureau, new_page, shoot)

    # 4. From here the procedure is the one every call follows.
    run_the_procedure(
        new_page, shoot, bureau=bureau, county=county, finance=finance, experts=experts, call_pk=call_pk
    )


def _new_entry(admin: Person, dictionary: str, link: str, code: str, name: str):
    admin.go(f"/calls/dictionaries/{dictionary}/")
    admin.page.get_by_role("link", name=link).first.click()
    form = admin.page.locator("main form")
    form.get_by_role("textbox", name="编码", exact=True).fill(code)
    form.get_by_role("textbox", name="名称", exact=True).fill(name)
    return form


def _save_entry(admin: Person, form, name: str) -> None:
    form.get_by_role("button", name="保存").click()
    steps.settle(admin.page)
    assert name in admin.page.locator("main").inner_text()


def build_dictionaries(admin: Person, shoot) -> None:
    """The industries, the recommending units and next year's working-day calendar, from the menu."""
    admin.go("/")
    admin.page.get_by_role("link", name="数据字典").first.click()
    steps.settle(admin.page)
    shoot(admin.page, "empty-dictionaries", phone=True)
    for code, group, name in (("petrochem", "1", "石油化工"), ("newmat", "3", "新材料")):
        form = _new_entry(admin, "industries", "新增产业", code, name)
        form.get_by_label("类别").select_option(group)
        _save_entry(admin, form, name)
    for code, name, kind, region, cosign in (
        ("430603", "云溪区", "county", "430603", True),
        ("P01", "岳阳经济技术开发区", "park", "", False),
    ):
        form = _new_entry(admin, "recommenders", "新增推荐单位", code, name)
        form.get_by_label("类型").select_option(kind)
        if region:
            form.get_by_label("行政区划代码（GB/T 2260）").fill(region)
        if cosign:
            form.get_by_label("需财政部门联合推荐").check()
        _save_entry(admin, form, name)
    shoot(admin.page, "empty-recommenders", phone=True)
    # The State Council's arrangement for next year, entered when it is published.
    admin.go("/recognition/calendar/?year=2027#year-form")
    form = admin.page.locator("#year-form")
    form.get_by_label("依据").fill("国务院办公厅关于2027年部分节假日安排的通知")
    form.get_by_label("放假日期（周一至周五中放假的日期）").fill(
        "2027-01-01\n2027-02-05\n2027-02-08\n2027-02-09"
    )
    form.get_by_label("调休上班日期（周六、周日上班的日期）").fill("2027-02-20")
    form.get_by_role("button", name="确认该年度安排").click()
    steps.settle(admin.page)
    assert "2027" in admin.page.locator("main").inner_text()


def set_up_call(bureau: Person, shoot) -> int:
    """A new call from nothing: title, windows, panel size; the defaults for the rest; published."""
    page = bureau.page
    now = clock.local(clock.now()).replace(microsecond=0)
    title = f"{now.year + 1}年度岳阳市创新联合体申报"
    bureau.go("/")
    page.get_by_role("link", name="批次设置").first.click()
    steps.settle(page)
    page.get_by_role("link", name="新建批次").click()
    steps.settle(page)
    page.get_by_label("通知标题").fill(title)
    page.get_by_role("spinbutton", name="年度", exact=True).fill(str(now.year + 1))
    page.get_by_label("网上申报开始").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_label("网上申报截止").fill((now + timedelta(days=20)).strftime("%Y-%m-%dT18:00:00"))
    page.get_by_label("推荐单位推荐截止").fill((now + timedelta(days=30)).strftime("%Y-%m-%dT18:00:00"))
    page.get_by_label("纸质材料报送截止日期").fill((now + timedelta(days=35)).date().isoformat())
    page.get_by_label("纸质材料报送地址").fill("市科技局606室")
    page.get_by_label("评审专家组最少人数").fill("3")
    page.get_by_label("评审专家组默认人数").fill("3")
    shoot(page, "empty-call-new", phone=True)
    page.get_by_role("button", name="创建草稿批次").click()
    steps.settle(page)
    assert "申报批次已创建" in page.locator("body").inner_text(), page.locator("main").inner_text()
    page.get_by_role("link", name="发布", exact=True).click()
    steps.settle(page)
    page.get_by_role("button", name="确认发布").click()
    steps.settle(page)
    assert "本批次已发布" in page.locator("body").inner_text(), page.locator("main").inner_text()
    call = Call.objects.get(title=title)
    public = page.context.new_page()
    public.goto(page.base + "/calls/")
    assert public.get_by_text(title).count() == 1
    public.close()
    return call.pk


def invite_experts(bureau: Person, new_page, shoot) -> list[Person]:
    """Three experts entered in the pool and invited; each sets a password from the mailed link."""
    page = bureau.page
    experts = []
    for i in range(1, 4):
        name, email = f"专家{'甲乙丙'[i - 1]}", f"expert{i}@univ.example.cn"
        bureau.go("/")
        page.get_by_role("link", name="专家库").first.click()
        steps.settle(page)
        page.get_by_role("link", name="新增专家").first.click()
        steps.settle(page)
        form = page.locator("main form").first
        form.get_by_label("姓名").fill(name)
        form.get_by_label("职称/职务").fill("教授")
        form.get_by_label("工作单位").fill(f"湖南第{i}理工大学")
        form.get_by_label("电子邮箱").fill(email)
        form.get_by_label("石油化工").check()
        form.get_by_label("在库（可被抽取）").check()
        form.get_by_role("button", name="保存").click()
        steps.settle(page)
        page.get_by_role("row").filter(has_text=name).get_by_role("button", name="邀请").click()
        steps.settle(page)
        sent = re.search(r"登录名 (\S+)）", page.locator("body").inner_text())
        assert sent, page.locator("main").inner_text()
        if i == 1:
            shoot(page, "empty-expert-invited", phone=True)
        experts.append(official(new_page, username=sent.group(1), email=email))
    return experts


def run_the_procedure(new_page, shoot, *, bureau, county, finance, experts, call_pk) -> None:
    """Registration to recognition, as every call goes (the whole-path story, with these people)."""
    call = Call.objects.get(pk=call_pk)

    # A unit registers; its county approves it; it fills in, its members confirm, it submits.
    story.register_unit(new_page, shoot)
    story.approve_unit(county.page, shoot)
    applicant = Person(new_page(), "story_unit", "Story-2024-pass")
    applicant.sign_in()
    pk, links = story.fill_application(applicant.page, call, shoot)
    for index, link in enumerate(links):
        member = new_page(viewport=PHONE)
        steps.confirm_member(member, link, f"成员负责人{index + 1}")
        member.context.close()
    applicant.go(f"/applications/{pk}/eligibility/")
    assert applicant.page.locator("li.rule.fail").count() == 0, applicant.page.locator(
        "li.rule.fail"
    ).all_inner_texts()
    assert "回执" in steps.submit(applicant.page, pk)

    # The county accepts, checks credit, uploads its letter and recommends; its finance department co-signs.
    steps.recommender_act(county.page, pk, "受理")
    steps.record_credit(county.page, pk)
    steps.upload_letter(county.page, call.pk)
    steps.recommender_act(county.page, pk, "推荐", opinion="该联合体合作基础扎实，同意推荐。")
    finance.go("/recommend/worklist/")
    steps.recommender_act(finance.page, pk, "财政部门确认推荐")
    assert Application.objects.get(pk=pk).status == "recommended"

    # The bureau: paper copies and summary table, formal review, the draw among the invited experts.
    steps.receive_summary_table(bureau.page, call.pk)
    steps.receive_paper_and_pass_formal_review(bureau.page, pk)
    assert Application.objects.get(pk=pk).status == "under_review"
    steps.draw_panel(bureau.page, call.pk, len(experts))
    shoot(bureau.page, "empty-draw", phone=True)

    # Each invited expert declares no conflict and scores.
    for i, expert in enumerate(experts):
        steps.declare_and_score(expert.page, pk, 0.9 - i * 0.05)
        steps.submit_scores(expert.page)

    # Ranking, the proposed list, the public notice; after it, recognition and the public register.
    steps.confirm_ranking(bureau.page, call.pk)
    steps.propose_and_publish_notice(bureau.page, call.pk, pk)
    assert Application.objects.get(pk=pk).status == "in_public_notice"
    notice_end = Application.objects.get(pk=pk).notice_entries.get().notice.ends_at
    with time_machine.travel(notice_end + timedelta(days=1, hours=1), tick=True):
        # A week later the session has ended: the bureau signs in again, with the same authenticator.
        again = Person(new_page(), bureau.username, bureau.password)
        again.secret = bureau.secret
        again.sign_in()
        steps.recognize(again.page, pk, "岳科发〔2026〕9号")
        assert Application.objects.get(pk=pk).status == "recognized"
        public = new_page()
        public.goto(public.base + "/recognized/")
        shoot(public, "empty-public-register", phone=True)
        assert story.NAME in public.locator("main").inner_text()
