"""The people of the story and what each of them clicks, shared by the browser tests.

Every function here drives a page the way a person would: it opens a page, fills in labelled fields,
clicks buttons and waits for what the page says. Nothing here calls a service.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sciplan.accounts import uscc
from sciplan.applications.demo import DEMO_BUDGET_OTHER_NOTE, DEMO_BUDGET_PLAN, budget_fields, sample_pdf
from sciplan.core import clock

PDF = {"mimeType": "application/pdf", "buffer": b""}


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": sample_pdf()}


def settle(page) -> None:
    page.wait_for_load_state("networkidle")


def confirm(page) -> str:
    """Answer the confirmation dialog of an irreversible action (core.confirmation) with its 确认
    button; returns what the dialog said, also kept in ``page.confirm_dialogs``."""
    dialog = page.locator("dialog.confirm-dialog[open]")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "将通知：" in text, text
    page.confirm_dialogs.append(text)
    dialog.locator("[data-confirm-yes]").click()
    settle(page)
    return text


def fill_form(form, values: dict) -> None:
    """Fill the named controls of one form: text, selects (by value or label), check boxes, radios."""
    for name, value in values.items():
        control = form.locator(f'[name="{name}"]')
        kind = control.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind.startswith("select"):
            control.first.select_option(str(value))
        elif kind.endswith(":checkbox"):
            if isinstance(value, list | tuple):
                for item in value:
                    form.locator(f'[name="{name}"][value="{item}"]').check()
            elif value:
                control.first.check()
            else:
                control.first.uncheck()
        elif kind.endswith(":radio"):
            form.locator(f'[name="{name}"][value="{value}"]').check()
        else:
            control.first.fill(str(value))


# --- what the applicant types ------------------------------------------------------------------------


def section_values(call, direction: str, industry_pk: int, text=None) -> dict[str, dict]:
    """Every field of every section; ``text`` replaces every free-text value (the XSS test)."""
    today = clock.local(clock.now()).date()

    def t(value: str) -> str:
        return text if text is not None else value

    lead = {
        "lead_legal_rep": t("张建华"),
        "lead_enterprise_type": t("民营企业"),
        "lead_credentials": ["高新技术企业"],
        "lead_rd_staff": 186,
        "lead_invention_patents": 42,
        "lead_standing_level": "province",
        "lead_standing": t(f"公司是省内{direction}领域龙头企业，市场占有率居全省首位。"),
    }
    for offset, year in enumerate(call.rd_years):
        lead[f"revenue_{year}"] = str(52000 + offset * 3000)
        lead[f"rd_{year}"] = str(450 + offset * 20)
    return {
        "basic": {
            "direction": direction,
            "industry": str(industry_pk),
            "tech_field": t(f"{direction}关键材料与工艺"),
            "contact_name": t("王晓明"),
            "contact_post": t("科技部部长"),
            "contact_mobile": "13807301234",
            "contact_email": "contact@example.cn",
            "start_date": today.replace(month=1, day=1).isoformat(),
            "end_date": date(today.year + 2, 12, 31).isoformat(),
            "planned_investment": "6800.00",
        },
        "lead": lead,
        "governance": {
            "decision_body": t("设立联合体理事会，由牵头单位和各成员单位负责人组成，负责重大事项决策。"),
            "execution_body": t("理事会下设秘书处，挂靠牵头单位技术中心，负责日常运行。"),
            "meeting_frequency": t("理事会每半年召开一次，秘书处每月例会"),
            "liaison_name": t("李志强"),
            "liaison_post": t("技术中心主任"),
            "liaison_mobile": "13907305678",
            "ip_sharing": t("按投入与贡献约定知识产权归属，成果转化收益按协议比例分配。"),
            "member_entry_exit": t("新成员经理事会三分之二以上同意加入；成员可提前三个月书面申请退出。"),
        },
        "basis": {
            "basis": t("依托牵头单位省级企业技术中心，联合高校、科研院所与产业链上下游企业开展联合攻关。"),
            "goal_year1": t("完成关键工艺中试，申请发明专利5项。"),
            "goal_year2": t("实现首批产品本地配套，新增产值2亿元。"),
            "goal_year3": t("形成产业化能力，带动配套企业10家以上。"),
        },
        "tasks": {
            "task_application": t("应用一代：现有牌号产品性能提升与本地配套替代。"),
            "task_development": t("研发一代：新一代高端牌号的配方与工艺开发。"),
            "task_reserve": t("储备一代：前沿催化与绿色合成技术预研。"),
        },
        "plan": {
            "local_support": t("三年内本地配套率由30%提升至50%。"),
            "transfer": t("依托中试基地推动成果就地转化。"),
            "service_platform": t("共建检验检测与中试熟化公共服务平台。"),
            "budget_plan": t(DEMO_BUDGET_PLAN),
            "budget_other_note": t(DEMO_BUDGET_OTHER_NOTE),
            **budget_fields(),
            "schedule": t("第一年中试，第二年示范，第三年产业化。"),
            "safeguards": t("建立理事会制度、专项资金与考核激励机制。"),
            "expected_results": t("新增发明专利15项，制定标准3项，新增产值5亿元。"),
        },
    }


MEMBERS = [
    ("中南大学", uscc.build("12100000", "44488502"), "university", False, "联合攻关核心工艺，共建联合实验室"),
    ("湖南理工学院", uscc.build("12430600", "44880001"), "university", True, "人才培养与中试验证"),
    (
        "岳阳市产品质量检验检测中心",
        uscc.build("12430600", "44880002"),
        "testing",
        True,
        "产品检验检测与标准制定",
    ),
]


def member_values(index: int, text=None) -> dict:
    name, code, category, local, role = MEMBERS[index]
    today = clock.local(clock.now()).date()
    return {
        "name": text + name if text is not None else name,
        "uscc": code,
        "category": category,
        "in_yueyang": local,
        "role": text if text is not None else role,
        "agreement_signed_on": (today - timedelta(days=500 + index)).isoformat(),
        "agreement_years": 5,
        "cooperation_started_on": (today - timedelta(days=700 + index)).isoformat(),
        "cooperation_results": text if text is not None else "联合申请发明专利3项，共同完成省级项目1项。",
        "contact_name": text if text is not None else f"成员联系人{index + 1}",
        "contact_mobile": f"1370730{index:04d}",
        "contact_email": f"member{index}@example.cn",
    }


def save_section(page, application_pk: int, code: str, values: dict) -> None:
    page.goto(f"{page.base}/applications/{application_pk}/section/{code}/")
    form = page.locator("#section-form")
    fill_form(form, values)
    form.get_by_role("button", name="保存", exact=True).click()
    settle(page)
    assert page.locator(".has-error").count() == 0, page.locator(".has-error").all_inner_texts()


def add_member(page, application_pk: int, values: dict) -> str:
    """Adds a member; returns the one-time confirmation link the page shows."""
    page.goto(f"{page.base}/applications/{application_pk}/members/")
    add = page.locator("#add")
    if not add.locator("details").evaluate("d => d.open"):
        add.locator("summary").click()
    fill_form(add.locator("form"), values)
    add.get_by_role("button", name="添加并生成确认链接").click()
    settle(page)
    return page.locator("#confirm-link").input_value()


def upload_member_agreement(page, application_pk: int, member_name: str) -> None:
    page.goto(f"{page.base}/applications/{application_pk}/members/")
    card = page.locator("article.item-card").filter(has=page.get_by_role("heading", name=member_name))
    card.get_by_label("上传合作协议").set_input_files(pdf(f"{member_name[-6:]}合作协议.pdf"))
    card.get_by_role("button", name="上传", exact=True).click()
    settle(page)


def add_platform(page, application_pk: int, name: str) -> None:
    page.goto(f"{page.base}/applications/{application_pk}/platforms/")
    forms = page.locator("form").filter(has=page.get_by_role("button", name="添加", exact=True))
    form = forms.last
    details = page.locator("details").filter(has=form)
    if details.count() and not details.first.evaluate("d => d.open"):
        details.first.locator("summary").click()
    today = clock.local(clock.now()).date()
    fill_form(form, {"name": name, "level": "2", "authority": "湖南省科学技术厅", "year": today.year - 4})
    form.get_by_role("button", name="添加", exact=True).click()
    settle(page)
    page.get_by_label("上传认定证书").first.set_input_files(pdf("平台认定证书.pdf"))
    page.locator("form.upload-form").first.get_by_role("button", name="上传", exact=True).click()
    settle(page)


def upload_attachment(page, application_pk: int, kind: str, filename: str) -> None:
    page.goto(f"{page.base}/applications/{application_pk}/attachments/")
    block = page.locator(f"#kind-{kind}")
    block.locator("input[type=file]").set_input_files(pdf(filename))
    block.get_by_role("button", name="上传", exact=True).click()
    settle(page)
    assert page.locator(f"#kind-{kind}").get_by_text(filename).count() >= 1


def confirm_member(page, link: str, name: str) -> None:
    page.goto(link)
    page.get_by_label("确认人姓名").fill(name)
    page.get_by_role("button", name="确认参与联合体").click()
    settle(page)


def submit(page, application_pk: int) -> str:
    """Submits and returns the receipt page's text."""
    page.goto(f"{page.base}/applications/{application_pk}/submit/")
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url(re.compile(r"/receipt/"))
    settle(page)
    return page.locator("main").inner_text()


# --- the recommending unit and the finance department ---------------------------------------------------


def recommender_act(page, application_pk: int, label: str, **text) -> None:
    page.goto(f"{page.base}/recommend/applications/{application_pk}/")
    box = page.locator("form.action-box").filter(has=page.get_by_role("heading", name=label, exact=True))
    for name, value in text.items():
        box.locator(f'[name="{name}"]').fill(str(value))
    box.get_by_role("button", name=label, exact=True).click()
    confirm(page)


def record_credit(page, application_pk: int) -> None:
    page.goto(f"{page.base}/recommend/applications/{application_pk}/")
    card = page.locator("#credit")
    for radio in card.locator('input[type=radio][value="clean"]').all():
        radio.check()
    today = clock.local(clock.now()).date().isoformat()
    for field in card.locator("input[type=date]").all():
        field.fill(today)
    card.get_by_role("button", name="保存信用核查结果").click()
    settle(page)


def upload_letter(page, call_pk: int) -> None:
    page.goto(f"{page.base}/recommend/letter/?call={call_pk}")
    page.get_by_label("盖章推荐函扫描件").set_input_files(pdf("推荐函（盖章）.pdf"))
    page.locator("form.card").get_by_role("button", name=re.compile("^(上传|替换)$")).click()
    settle(page)


# --- the bureau and the experts ----------------------------------------------------------------------


def today() -> str:
    return clock.local(clock.now()).date().isoformat()


def receive_summary_table(page, call_pk: int) -> None:
    page.goto(f"{page.base}/review/intake/?call={call_pk}")
    page.get_by_label("汇总表接收日期").first.fill(today())
    page.get_by_role("button", name="登记收到汇总表").first.click()
    settle(page)


def receive_paper_and_pass_formal_review(page, application_pk: int, copies: int = 3) -> None:
    """Records the paper copies, ticks every checklist item and passes the formal review."""
    page.goto(f"{page.base}/review/applications/{application_pk}/")
    intake = page.locator("#intake")
    intake.get_by_label("接收日期").fill(today())
    intake.get_by_label("份数").fill(str(copies))
    intake.get_by_role("button", name="登记", exact=True).click()
    settle(page)
    formal = page.locator("#formal")
    for box in formal.locator('input[name="checklist"]').all():
        box.check()
    formal.locator('input[name="outcome"][value="pass"]').check()
    formal.get_by_role("button", name="提交审查结论").click()
    confirm(page)


def draw_panel(page, call_pk: int, size: int) -> None:
    """Draws a panel of ``size`` for the first application waiting for one."""
    page.goto(f"{page.base}/review/draws/?call={call_pk}")
    page.locator('input[name="applications"]').first.check()
    page.get_by_label("每组人数").fill(str(size))
    page.get_by_role("button", name="随机抽取").click()
    settle(page)


def declare_and_score(page, application_pk: int, share: float) -> None:
    """An assigned expert reads the commitment, declares no conflict and scores every indicator at
    ``share`` of its maximum (the sheet is filled in, not yet sent)."""
    page.goto(f"{page.base}/review/assignments/")
    page.locator(f'a[href="/review/assignments/{application_pk}/declare/"]').click()
    settle(page)
    page.get_by_role("button", name="本人承诺无利益冲突，开始评审").click()
    settle(page)
    page.goto(f"{page.base}/review/assignments/{application_pk}/score/")
    for score in page.locator("input.score-input").all():
        score.fill(str(max(1, int(float(score.get_attribute("data-max")) * share))))
    for comment in page.locator('textarea[name^="comment_"]').all():
        comment.fill("技术路线清晰，合作机制健全。")


def submit_scores(page) -> None:
    """Reviews the sheet (each score and the weighted total), then confirms; the sheet is then locked."""
    page.get_by_role("button", name="核对评分").click()
    settle(page)
    page.get_by_role("button", name=re.compile("^确认提交评分")).click()
    settle(page)


def confirm_ranking(page, call_pk: int) -> None:
    page.goto(f"{page.base}/review/ranking/?call={call_pk}")
    page.get_by_role("button", name="确认并冻结排名").click()
    confirm(page)


def propose_and_publish_notice(page, call_pk: int, application_pk: int) -> None:
    """Puts the application on the proposed list with the meeting's record and publishes the notice."""
    page.goto(f"{page.base}/recognition/calls/{call_pk}/")
    page.locator(f"#p-{application_pk}").check()
    page.get_by_label("决策会议日期").fill(today())
    page.get_by_label("参会人员").fill("局长、分管副局长、基础研究科科长")
    page.get_by_label("会议纪要").fill("会议研究确定拟认定名单，同意按程序公示。")
    page.get_by_role("button", name="列入拟认定名单").click()
    settle(page)
    page.get_by_role("button", name="发布公示", exact=True).click()
    confirm(page)


def recognize(page, application_pk: int, number: str) -> None:
    page.goto(f"{page.base}/recognition/applications/{application_pk}/recognize/")
    page.get_by_label("认定文号").fill(number)
    page.get_by_role("button", name="认定并发送通知").click()
    confirm(page)


# --- registration -----------------------------------------------------------------------------------


def licence() -> dict:
    return pdf("营业执照（副本）.pdf")


def fill_registration(page, *, unit: str, code: str, username: str, password: str, mobile: str) -> None:
    page.get_by_label("单位名称").fill(unit)
    page.get_by_label("统一社会信用代码").fill(code)
    page.get_by_label("所在县市区或园区（推荐单位）").select_option(label="云溪区")
    page.get_by_label("通讯地址").fill("岳阳市云溪区云港路8号")
    page.get_by_label("营业执照或登记证书扫描件").set_input_files(licence())
    page.get_by_label("姓名").fill("周明")
    page.get_by_label("手机号码").fill(mobile)
    page.get_by_label("登录名").fill(username)
    page.locator("#f-password").fill(password)
    page.locator("#f-password2").fill(password)


def approve_registration(page, unit: str) -> str:
    """The county opens the unit's page from its review list, reads it, approves and confirms."""
    page.goto(f"{page.base}/accounts/units/pending/")
    page.get_by_role("link", name=unit).click()
    settle(page)
    page.get_by_role("button", name="审核通过", exact=True).click()
    return confirm(page)
