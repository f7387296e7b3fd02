"""The eligibility pre-check (SPEC §5). Each rule says pass or fail with the exact thing missing.

Applicants run it at any time; submission runs it again (the ``eligible`` workflow guard) and refuses
while a hard rule fails. Rules read the call's own thresholds, so an application is always judged by the
rules of the call it was submitted under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sciplan.accounts.services import uscc_accepted
from sciplan.applications import budget
from sciplan.applications.models import (
    ACADEMIC_CATEGORIES,
    Application,
    AttachmentKind,
)
from sciplan.applications.sections import SECTIONS
from sciplan.applications.workflow import FINAL, Status, register_guard
from sciplan.calls.models import PlatformLevel
from sciplan.core import clock


@dataclass
class RuleResult:
    code: str
    title: str
    passed: bool
    messages: list[str] = field(default_factory=list)
    hard: bool = True
    section: str = ""  # the form section where the applicant fixes it (sections.BY_CODE), if any
    # Every other place that fixes it: a form section's code or one of the pages in FIX_PAGES.
    fixes: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)  # the addresses, filled in by the page

    @property
    def fix_targets(self) -> list[str]:
        """Where the applicant goes to fix a failed rule, the main section first, without repeats."""
        targets = [self.section] if self.section else []
        return [*targets, *(t for t in self.fixes if t not in targets)]

    @property
    def summary(self) -> str:
        return "；".join(self.messages) if self.messages else "符合要求。"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _attachments(application: Application) -> list:
    return [a for a in application.attachments.all() if a.removed_at is None]


def check_application(application: Application, *, at: datetime | None = None) -> list[RuleResult]:
    at = at or clock.now()
    today = clock.local(at).date()
    call = application.call
    attachments = _attachments(application)
    members = list(application.members.all())
    platforms = list(application.platforms.all())
    finances = {f.year: f for f in application.finance_years.all()}
    results: list[RuleResult] = []

    # 1. Industry in the call's 1+3+X dictionary.
    industry_ok = (
        application.industry_id is not None and call.industries.filter(pk=application.industry_id).exists()
    )
    results.append(
        RuleResult(
            "industry",
            "牵头单位属于1+3+X现代产业体系",
            industry_ok,
            [] if industry_ok else ["请在“基本信息”中选择本批次1+3+X产业目录中的产业。"],
            section="basic",
        )
    )

    # 2. R&D spending over the call's three years.
    missing_years = [y for y in call.rd_years if finances.get(y) is None or finances[y].rd_spending is None]
    total = sum((finances[y].rd_spending or Decimal(0)) for y in call.rd_years if y in finances)
    rd_messages = []
    if missing_years:
        rd_messages.append(f"请填写{'、'.join(str(y) for y in missing_years)}年度的研发投入。")
    elif total < call.rd_threshold:
        rd_messages.append(
            f"{call.rd_years[0]}—{call.rd_years[-1]}年研发投入合计{total:.2f}万元，低于{call.rd_threshold:.2f}万元的要求。"
        )
    results.append(
        RuleResult(
            "rd_spending",
            f"近三年研发投入不少于{call.rd_threshold:.0f}万元",
            not rd_messages,
            rd_messages,
            section="lead",
        )
    )

    # 3. A platform at the call's minimum level or above, with its certificate.
    level = PlatformLevel(call.min_platform_level)
    qualifying = [p for p in platforms if p.level >= call.min_platform_level]
    certified = [p for p in qualifying if any(a.platform_id == p.pk for a in attachments)]
    platform_messages = []
    if not qualifying:
        platform_messages.append(f"请至少填写一个{level.label}以上研发平台。")
    elif not certified:
        names = "、".join(p.name for p in qualifying)
        platform_messages.append(f"请上传研发平台（{names}）的认定证书。")
    results.append(
        RuleResult(
            "platform",
            f"拥有{level.label}以上研发平台",
            not platform_messages,
            platform_messages,
            fixes=["platforms"] if not qualifying else ["attachments"],
        )
    )

    # 4. Every member: agreement term, one year of substantive cooperation, agreement, confirmation.
    member_messages = []
    member_fixes = ["members"]
    if not members:
        member_messages.append("请至少添加一家成员单位。")
    one_year_ago = _years_before(today, call.cooperation_min_years)
    for m in members:
        problems = []
        if not m.agreement_years or m.agreement_years < call.agreement_min_years:
            problems.append(f"合作协议期限须为{call.agreement_min_years}年以上")
        elif m.agreement_signed_on and _years_before(today, m.agreement_years) >= m.agreement_signed_on:
            problems.append("合作协议已到期")
        if not m.agreement_signed_on:
            problems.append("未填写协议签订日期")
        if not m.cooperation_started_on:
            problems.append("未填写实质性合作开始日期")
        elif m.cooperation_started_on > one_year_ago:
            problems.append(
                f"实质性合作须在提交前满{call.cooperation_min_years}年（{one_year_ago:%Y年%m月%d日}前开始）"
            )
        if not any(a.member_id == m.pk and a.kind == AttachmentKind.AGREEMENT for a in attachments):
            problems.append("未上传合作协议")
            member_fixes.append("attachments")
        if not m.is_confirmed:
            problems.append("尚未在线确认参与")
        if problems:
            member_messages.append(f"{m.name}：{'、'.join(problems)}。")
    results.append(
        RuleResult(
            "members",
            "成员单位合作协议、合作时长与在线确认",
            not member_messages,
            member_messages,
            fixes=member_fixes,
        )
    )

    # 5. Required fields and attachments; the liaison staff named.
    field_messages = []
    field_fixes: list[str] = []
    for section in SECTIONS:
        empty = [
            str(Application._meta.get_field(name).verbose_name)
            for name in section.required
            if getattr(application, name + "_id" if name == "industry" else name) in (None, "", [])
        ]
        if empty:
            field_messages.append(f"“{section.title}”未填写：{'、'.join(empty)}。")
            field_fixes.append(section.code)
    if not application.liaison_name:
        field_messages.append("运行机制中须明确负责日常工作对接的工作人员。")
        field_fixes.append("governance")
    present = {a.kind for a in attachments}
    missing = [AttachmentKind(k).label for k in call.required_attachments if k not in present]
    if missing:
        field_messages.append(f"请上传：{'、'.join(missing)}。")
        field_fixes.append("attachments")
    results.append(
        RuleResult(
            "completeness", "必填内容与必传附件齐全", not field_messages, field_messages, fixes=field_fixes
        )
    )

    # 5a. The plan's budget: every year funded, sources equal uses, 其他来源 explained, equal to the
    # planned total investment of the basic information.
    budget_messages = budget.problems(
        {row.index: row.amounts() for row in application.budget_years.all()},
        other_note=application.budget_other_note,
        planned_investment=application.planned_investment,
        years=budget.plan_years(application.start_date, call.year),
    )
    results.append(
        RuleResult("budget", "经费预算完整且收支平衡", not budget_messages, budget_messages, section="plan")
    )

    # 6. Codes valid; one active application per lead unit per call; lead is not also a member.
    identity_messages = []
    lead_code = application.lead_unit.uscc
    if not application.lead_unit.uscc_override_reason and not uscc_accepted(lead_code):
        identity_messages.append("牵头单位统一社会信用代码校验不通过。")
    seen: set[str] = set()
    for m in members:
        if not uscc_accepted(m.uscc):
            identity_messages.append(f"成员单位“{m.name}”的统一社会信用代码校验不通过。")
        if m.uscc == lead_code:
            identity_messages.append(f"“{m.name}”是牵头单位，不能同时作为成员单位。")
        if m.uscc in seen:
            identity_messages.append(f"成员单位“{m.name}”重复添加。")
        seen.add(m.uscc)
    others = (
        Application.objects.filter(call_id=application.call_id, lead_unit_id=application.lead_unit_id)
        .exclude(pk=application.pk)
        .exclude(status__in=[*FINAL, Status.DRAFT])
    )
    if others.exists():
        identity_messages.append("本单位在本批次已有一份有效申报，不能重复申报。")
    results.append(
        RuleResult(
            "identity",
            "单位代码有效且不重复申报",
            not identity_messages,
            identity_messages,
            fixes=["members"] if members else [],
        )
    )

    # Soft signals: shown, never blocking.
    if members:
        local = sum(1 for m in members if m.in_yueyang)
        share = local * 100 // len(members)
        results.append(
            RuleResult(
                "local_share",
                "本地配套：市内成员单位占比",
                share >= 50,
                [f"市内成员{local}家，占{share}%。"],
                hard=False,
            )
        )
        academic = any(m.category in ACADEMIC_CATEGORIES for m in members)
        results.append(
            RuleResult(
                "member_mix",
                "成员结构：含高校或科研院所",
                academic,
                [] if academic else ["成员中暂无高等学校、科研院所或新型研发机构。"],
                hard=False,
            )
        )
    revenue = sum((finances[y].revenue or Decimal(0)) for y in call.rd_years if y in finances)
    if revenue > 0 and not missing_years:
        intensity = total * 100 / revenue
        results.append(
            RuleResult(
                "rd_intensity",
                "研发投入强度",
                intensity >= 3,
                [f"近三年研发投入占营业收入{intensity:.2f}%。"],
                hard=False,
            )
        )
    return results


def hard_failures(results: list[RuleResult]) -> list[RuleResult]:
    return [r for r in results if r.hard and not r.passed]


def _eligible_guard(application: Application, user) -> str | None:
    failures = hard_failures(check_application(application))
    if failures:
        return "资格自查未通过：" + " ".join(f"【{r.title}】{r.summary}" for r in failures)
    return None


def _unit_approved_guard(application: Application, user) -> str | None:
    if not application.lead_unit.is_approved:
        return "本单位注册信息尚未经推荐单位审核通过，审核通过后方可提交。"
    return None


register_guard("eligible", _eligible_guard)
register_guard("unit_approved", _unit_approved_guard)
