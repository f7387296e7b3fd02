"""The sections of the application form: which fields each holds and which must be filled.

One registry drives the forms, the section-by-section save, the "required fields" eligibility rule and
the documents, so a field added here appears everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    fields: tuple[str, ...]
    required: tuple[str, ...] = ()
    document: str = "application"  # application (申报书) or plan (实施方案)


SECTIONS: tuple[Section, ...] = (
    Section(
        "basic",
        "基本信息",
        fields=(
            "direction",
            "industry",
            "tech_field",
            "contact_name",
            "contact_post",
            "contact_mobile",
            "contact_email",
            "start_date",
            "end_date",
            "planned_investment",
        ),
        required=(
            "direction",
            "industry",
            "tech_field",
            "contact_name",
            "contact_post",
            "contact_mobile",
            "start_date",
            "end_date",
        ),
    ),
    Section(
        "lead",
        "牵头单位",
        fields=(
            "lead_legal_rep",
            "lead_enterprise_type",
            "lead_credentials",
            "lead_rd_staff",
            "lead_invention_patents",
            "lead_standing_level",
            "lead_standing",
        ),
        required=(
            "lead_legal_rep",
            "lead_enterprise_type",
            "lead_rd_staff",
            "lead_invention_patents",
            "lead_standing_level",
            "lead_standing",
        ),
    ),
    Section(
        "governance",
        "运行机制",
        fields=(
            "decision_body",
            "execution_body",
            "meeting_frequency",
            "liaison_name",
            "liaison_post",
            "liaison_mobile",
            "ip_sharing",
            "member_entry_exit",
        ),
        required=(
            "decision_body",
            "execution_body",
            "meeting_frequency",
            "liaison_name",
            "liaison_mobile",
            "ip_sharing",
            "member_entry_exit",
        ),
    ),
    Section(
        "basis",
        "建设基础与目标",
        fields=("basis", "goal_year1", "goal_year2", "goal_year3"),
        required=("basis", "goal_year1", "goal_year2", "goal_year3"),
    ),
    Section(
        "tasks",
        "攻关任务（三个一代）",
        fields=("task_application", "task_development", "task_reserve"),
        required=("task_application", "task_development", "task_reserve"),
        document="plan",
    ),
    Section(
        "plan",
        "实施方案",
        fields=(
            "local_support",
            "transfer",
            "service_platform",
            "budget_plan",
            "budget_other_note",
            "schedule",
            "safeguards",
            "expected_results",
        ),
        required=(
            "local_support",
            "transfer",
            "service_platform",
            "budget_plan",
            "schedule",
            "safeguards",
            "expected_results",
        ),
        document="plan",
    ),
)
BY_CODE = {s.code: s for s in SECTIONS}
EDITABLE_FIELDS = frozenset(f for s in SECTIONS for f in s.fields)

CREDENTIALS = (
    "高新技术企业",
    "专精特新“小巨人”企业",
    "省级专精特新中小企业",
    "上市企业",
    "瞪羚企业",
    "科技型中小企业",
    "制造业单项冠军",
)
ENTERPRISE_TYPES = ("国有企业", "民营企业", "外资企业", "中外合资企业", "其他")
