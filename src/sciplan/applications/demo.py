"""Demo applications in the practice call, built through the same services the web and API use.

``build_complete_application`` is also what tests use to get an application that passes every rule.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from pypdf import PdfWriter

from sciplan.accounts import uscc
from sciplan.applications import budget, services
from sciplan.applications.models import Application, AttachmentKind, MemberCategory
from sciplan.calls.models import Call, Industry, PlatformLevel
from sciplan.core import clock


def sample_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _upload(application, user, kind, name, **kw):
    return services.upload_attachment(
        application, kind=kind, fileobj=io.BytesIO(sample_pdf()), filename=name, by=user, **kw
    )


MEMBER_TEMPLATES = [
    (
        "中南大学",
        uscc.build("12100000", "44488502"),
        MemberCategory.UNIVERSITY,
        False,
        "联合攻关核心工艺，共建联合实验室",
    ),
    (
        "湖南理工学院",
        uscc.build("12430600", "44880001"),
        MemberCategory.UNIVERSITY,
        True,
        "人才培养与中试验证",
    ),
    (
        "岳阳市产品质量检验检测中心",
        uscc.build("12430600", "44880002"),
        MemberCategory.TESTING,
        True,
        "产品检验检测与标准制定",
    ),
    (
        "岳阳恒通化工配套有限公司",
        uscc.build("91430600", "MA4L1001"),
        MemberCategory.CHAIN_ENTERPRISE,
        True,
        "上游原料本地配套",
    ),
]

NARRATIVE = (
    "依托牵头单位省级企业技术中心，联合高校、科研院所与产业链上下游企业，围绕{direction}领域关键核心技术开展联合攻关。"
    "近三年共同承担省市科技计划项目，形成了稳定的合作机制与良好的合作成效。"
)


# A plausible three-year budget of 6800 万元 (the demo's 计划总投入): per year the sources equal the uses.
DEMO_BUDGET: dict[int, dict[str, str]] = {
    1: {
        "source_lead": "1500", "source_members": "400", "source_other": "100",
        "use_equipment": "800", "use_materials": "400", "use_personnel": "350",
        "use_cooperation": "200", "use_platform": "200", "use_other": "50",
    },
    2: {
        "source_lead": "1750", "source_members": "550", "source_other": "100",
        "use_equipment": "700", "use_materials": "600", "use_personnel": "450",
        "use_cooperation": "300", "use_platform": "300", "use_other": "50",
    },
    3: {
        "source_lead": "1750", "source_members": "550", "source_other": "100",
        "use_equipment": "500", "use_materials": "700", "use_personnel": "550",
        "use_cooperation": "350", "use_platform": "250", "use_other": "50",
    },
}  # fmt: skip
DEMO_BUDGET_PLAN = (
    "建设期三年计划总投入6800万元，其中牵头单位自筹5000万元、成员单位投入1500万元、"
    "其他来源300万元；主要用于中试线设备购置、联合攻关材料与测试化验、研发人员投入和公共服务平台建设。"
)
DEMO_BUDGET_OTHER_NOTE = "市级科技计划项目资金与银行科技贷款贴息。"


def budget_fields(rows: dict[int, dict[str, str]] = DEMO_BUDGET) -> dict[str, str]:
    """A budget as the plan section's form names it: ``budget_<year>_<line>``."""
    return {
        budget.key(index, line): amount for index, lines in rows.items() for line, amount in lines.items()
    }


def build_complete_application(
    call: Call,
    user,
    *,
    direction: str = "高性能聚烯烃新材料",
    industry_code: str = "petrochem",
    member_count: int = 3,
    confirm_members: bool = True,
    rd_per_year: int = 450,
) -> Application:
    """An application that passes every hard eligibility rule (members confirmed unless told not to)."""
    application = services.create_application(call=call, by=user)
    today = clock.local(clock.now()).date()
    industry = Industry.objects.get(code=industry_code)

    def save(section, data):
        nonlocal application
        result = services.save_section(application, section, data, base_version=application.version, by=user)
        application = result.application

    save(
        "basic",
        {
            "direction": direction,
            "industry": industry.pk,
            "tech_field": f"{direction}关键材料与工艺",
            "contact_name": user.name or "联系人",
            "contact_post": "科技部部长",
            "contact_mobile": "13807301234",
            "contact_email": "contact@example.cn",
            "start_date": today.replace(month=1, day=1).isoformat(),
            "end_date": date(today.year + 2, 12, 31).isoformat(),
            "planned_investment": "6800.00",
        },
    )
    lead = {
        "lead_legal_rep": "张建华",
        "lead_enterprise_type": "民营企业",
        "lead_credentials": ["高新技术企业", "专精特新“小巨人”企业"],
        "lead_rd_staff": 186,
        "lead_invention_patents": 42,
        "lead_standing_level": "province",
        "lead_standing": f"公司是省内{direction}领域龙头企业，市场占有率居全省首位。",
    }
    for offset, year in enumerate(call.rd_years):
        lead[f"revenue_{year}"] = str(52000 + offset * 3000)
        lead[f"rd_{year}"] = str(rd_per_year + offset * 20)
    save("lead", lead)
    save(
        "governance",
        {
            "decision_body": "设立联合体理事会，由牵头单位和各成员单位负责人组成，负责重大事项决策。",
            "execution_body": "理事会下设秘书处，挂靠牵头单位技术中心，负责日常运行。",
            "meeting_frequency": "理事会每半年召开一次，秘书处每月例会",
            "liaison_name": "李志强",
            "liaison_post": "技术中心主任",
            "liaison_mobile": "13907305678",
            "ip_sharing": "按投入与贡献约定知识产权归属，成果转化收益按协议比例分配。",
            "member_entry_exit": "新成员经理事会三分之二以上同意加入；成员可提前三个月书面申请退出。",
        },
    )
    save(
        "basis",
        {
            "basis": NARRATIVE.format(direction=direction),
            "goal_year1": "完成关键工艺中试，申请发明专利5项。",
            "goal_year2": "实现首批产品本地配套，新增产值2亿元。",
            "goal_year3": "形成产业化能力，带动配套企业10家以上。",
        },
    )
    save(
        "tasks",
        {
            "task_application": "应用一代：现有牌号产品性能提升与本地配套替代。",
            "task_development": "研发一代：新一代高端牌号的配方与工艺开发。",
            "task_reserve": "储备一代：前沿催化与绿色合成技术预研。",
        },
    )
    save(
        "plan",
        {
            "local_support": "三年内本地配套率由30%提升至50%。",
            "transfer": "依托中试基地推动成果就地转化。",
            "service_platform": "共建检验检测与中试熟化公共服务平台。",
            "budget_plan": DEMO_BUDGET_PLAN,
            "budget_other_note": DEMO_BUDGET_OTHER_NOTE,
            **budget_fields(),
            "schedule": "第一年中试，第二年示范，第三年产业化。",
            "safeguards": "建立理事会制度、专项资金与考核激励机制。",
            "expected_results": "新增发明专利15项，制定标准3项，新增产值5亿元。",
        },
    )
    platform = services.add_platform(
        application,
        {
            "name": f"湖南省{direction}工程技术研究中心",
            "level": PlatformLevel.PROVINCE,
            "authority": "湖南省科学技术厅",
            "year": today.year - 4,
        },
        by=user,
    )
    _upload(
        application, user, AttachmentKind.PLATFORM_CERTIFICATE, "平台认定证书.pdf", platform_id=platform.pk
    )
    for index, (name, code, category, local, role) in enumerate(MEMBER_TEMPLATES[:member_count]):
        result = services.add_member(
            application,
            {
                "name": name,
                "uscc": code,
                "category": category,
                "in_yueyang": local,
                "role": role,
                "agreement_signed_on": (today - timedelta(days=500 + index)).isoformat(),
                "agreement_years": 5,
                "cooperation_started_on": (today - timedelta(days=700 + index)).isoformat(),
                "cooperation_results": "联合申请发明专利3项，共同完成省级项目1项。",
                "contact_name": f"成员联系人{index + 1}",
                "contact_mobile": f"1370730{index:04d}",
            },
            by=user,
        )
        _upload(
            application, user, AttachmentKind.AGREEMENT, f"{name}合作协议.pdf", member_id=result.member.pk
        )
        if confirm_members and result.confirm_token:
            services.confirm_member(result.confirm_token, confirmer_name=f"成员联系人{index + 1}")
    for kind, name in (
        (AttachmentKind.FINANCIAL_EVIDENCE, "近三年审计报告.pdf"),
        (AttachmentKind.CHARTER, "联合体章程.pdf"),
        (AttachmentKind.COMMITMENT, "承诺书.pdf"),
    ):
        _upload(application, user, kind, name)
    return Application.objects.get(pk=application.pk)


def load(context: dict) -> None:
    call = context["practice_call"]
    users = context["users"]
    if Application.objects.filter(call=call).exists():
        return
    # The main persona's application: complete and ready to submit.
    context["app_draft"] = build_complete_application(call, users["applicant"])
    submitted = {}
    for username, direction, industry in (
        ("applicant_b", "智能装备", "equipment"),
        ("applicant_xinghu", "生物医药", "medicine"),
        ("applicant_jiangbei", "绿色食品", "agri_food"),
        ("applicant_gangcheng", "智慧物流", "port_logistics"),
    ):
        user = users[username]
        application = build_complete_application(call, user, direction=direction, industry_code=industry)
        services.submit_application(application, by=user)
        submitted[username] = Application.objects.get(pk=application.pk)
    context["submitted"] = submitted
