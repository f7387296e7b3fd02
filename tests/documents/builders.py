"""A maximal application — every narrative at its length limit, many members — for layout tests and the
benchmark. Built through the real services, like the demo."""

from __future__ import annotations

import io
from datetime import timedelta

from sciplan.accounts import uscc
from sciplan.applications import services
from sciplan.applications.demo import build_complete_application, sample_pdf
from sciplan.applications.models import Application, ApplicationVersion, AttachmentKind, MemberCategory
from sciplan.applications.sections import SECTIONS
from sciplan.core import clock

# The demo budget (``applications.demo.DEMO_BUDGET``) as the 实施方案 prints it.
DEMO_BUDGET_ROWS = [
    ["一、资金来源合计", "2,000.00", "2,400.00", "2,400.00", "6,800.00"],
    ["1. 牵头单位自筹", "1,500.00", "1,750.00", "1,750.00", "5,000.00"],
    ["2. 成员单位投入", "400.00", "550.00", "550.00", "1,500.00"],
    ["3. 其他来源", "100.00", "100.00", "100.00", "300.00"],
    ["二、资金用途合计", "2,000.00", "2,400.00", "2,400.00", "6,800.00"],
    ["1. 设备购置费", "800.00", "700.00", "500.00", "2,000.00"],
    ["2. 材料与测试化验费", "400.00", "600.00", "700.00", "1,700.00"],
    ["3. 人员费用", "350.00", "450.00", "550.00", "1,350.00"],
    ["4. 合作与委托研发费", "200.00", "300.00", "350.00", "850.00"],
    ["5. 平台建设费", "200.00", "300.00", "250.00", "750.00"],
    ["6. 其他支出", "50.00", "50.00", "50.00", "150.00"],
]

PHRASE = "围绕产业链关键环节开展联合攻关，推动成果就地转化，提升本地配套水平；"


def filled(max_length: int, marker: str) -> str:
    """Text of exactly ``max_length`` characters, ending with ``marker`` so a cut end is visible."""
    body = (PHRASE * (max_length // len(PHRASE) + 1))[: max_length - len(marker)]
    return body + marker


def max_application(call, user, *, members: int = 15) -> Application:
    application = build_complete_application(call, user, member_count=1)
    for section in SECTIONS:
        data = {}
        for name in section.fields:
            field = Application._meta.get_field(name)
            if field.get_internal_type() == "TextField":
                data[name] = filled(field.max_length, f"【{name}完】")
        if data:
            result = services.save_section(
                application, section.code, data, base_version=application.version, by=user
            )
            application = result.application
    today = clock.local(clock.now()).date()
    categories = list(MemberCategory.values)
    for index in range(members - 1):
        result = services.add_member(
            application,
            {
                "name": f"岳阳市第{index + 1:02d}号产业链配套协作有限责任公司（测试）",
                "uscc": uscc.build("91430600", f"MB{index:06d}"),
                "category": categories[index % len(categories)],
                "in_yueyang": index % 3 != 0,
                "role": filled(500, f"【分工{index + 1}完】"),
                "agreement_signed_on": (today - timedelta(days=600)).isoformat(),
                "agreement_years": 5,
                "cooperation_started_on": (today - timedelta(days=800)).isoformat(),
                "cooperation_results": filled(1000, f"【成效{index + 1}完】"),
                "contact_name": f"联系人{index + 1}",
                "contact_mobile": f"1390730{index:04d}",
            },
            by=user,
        )
        services.upload_attachment(
            application,
            kind=AttachmentKind.AGREEMENT,
            fileobj=io.BytesIO(sample_pdf()),
            filename=f"第{index + 1:02d}号成员合作协议.pdf",
            by=user,
            member_id=result.member.pk,
        )
        services.confirm_member(result.confirm_token, confirmer_name=f"联系人{index + 1}")
    return Application.objects.get(pk=application.pk)


def submitted_max_version(call, user, *, members: int = 15) -> ApplicationVersion:
    application = max_application(call, user, members=members)
    return services.submit_application(application, by=user)
