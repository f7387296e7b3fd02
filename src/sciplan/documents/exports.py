"""The bureau's XLSX exports: every application with every field (for screens), the 会议审议名单 (ten
columns, for printing) and the recognised list.

Content comes from each application's latest *submitted* version (what the bureau received), the status
from the application itself. The number of queries does not grow with the number of applications.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Subquery

from sciplan.accounts.roles import Role
from sciplan.applications import permissions
from sciplan.applications.models import Application, ApplicationVersion, StandingLevel
from sciplan.applications.sections import SECTIONS
from sciplan.applications.workflow import Status
from sciplan.core import audit, authority, clock
from sciplan.core.errors import NotFound
from sciplan.documents import codes, xlsx
from sciplan.documents.content import label

EXPORT_KINDS = {
    "applications": "申报书汇总",
    "meeting": "会议审议名单",
    "recognized": "已认定创新联合体名单",
}
_STANDING = dict(StandingLevel.choices)


def _typed(name: str, value: Any) -> Any:
    """A snapshot value (JSON) as the typed value a spreadsheet should hold."""
    if value in (None, ""):
        return None
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if name == "lead_standing_level":
        return _STANDING.get(value, value)
    if name in ("start_date", "end_date"):
        return _date(value)
    if name == "planned_investment":
        return Decimal(value)
    return value


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _rows(
    by, *, call_id: int | None, statuses: set[str] | None
) -> list[tuple[Application, ApplicationVersion]]:
    latest = (
        ApplicationVersion.objects.filter(application=OuterRef("pk")).order_by("-number").values("pk")[:1]
    )
    applications = (
        permissions.visible(by)
        .select_related("call", "lead_unit", "recommender")
        .annotate(latest_version_id=Subquery(latest))
        .filter(latest_version_id__isnull=False)
        .order_by("call_id", "recommender__order", "recommender_id", "pk")
    )
    if call_id:
        applications = applications.filter(call_id=call_id)
    if statuses:
        applications = applications.filter(status__in=statuses)
    applications = list(applications)
    versions = ApplicationVersion.objects.in_bulk([a.latest_version_id for a in applications])
    return [(a, versions[a.latest_version_id]) for a in applications]


def _audited(wb, kind: str, *, by, rows: int, call_id: int | None, ip: str | None) -> bytes:
    """The workbook's bytes, the export recorded in the audit log."""
    audit.record(
        "export.download",
        actor=by,
        object_type="export",
        object_id=kind,
        ip=ip,
        detail={"kind": kind, "rows": rows, "call": call_id},
    )
    return xlsx.workbook_bytes(wb)


def _ensure_bureau(by) -> None:
    if getattr(by, "role", None) != Role.BUREAU:
        raise NotFound()


def applications_workbook(
    by, *, call_id: int | None = None, statuses: set[str] | None = None, ip: str | None = None
) -> bytes:
    """申报书汇总 (one row per application, every field) and 成员单位 (one row per member)."""
    rows = _rows(by, call_id=call_id, statuses=statuses)
    known = codes.ensure_codes([v for _, v in rows])
    years = sorted({f["year"] for _, v in rows for f in v.snapshot.get("finances", [])})
    field_names = [name for section in SECTIONS for name in section.fields]

    headers = [
        "序号",
        "申报编号",
        "申报批次",
        "联合体名称",
        "当前状态",
        "牵头单位",
        "统一社会信用代码",
        "推荐单位",
        "最新提交版本",
        "提交时间",
        "回执编号",
        "校验码",
    ]
    headers += [label(name) for name in field_names]
    for year in years:
        headers += [f"{year}年营业收入（万元）", f"{year}年研发投入（万元）"]
    headers += [
        "近三年研发投入合计（万元）",
        "研发平台",
        "成员单位数",
        f"其中{authority.current().in_city}",
        "附件数",
    ]

    table, members = [], []
    for index, (application, version) in enumerate(rows, start=1):
        snap = version.snapshot
        fields = snap["fields"]
        finances = {f["year"]: f for f in snap.get("finances", [])}
        row: list[Any] = [
            index,
            application.pk,
            snap["call"]["title"],
            snap["consortium_name"],
            application.get_status_display(),
            snap["lead_unit"]["name"],
            snap["lead_unit"].get("uscc", ""),
            snap["recommender"]["name"],
            version.number,
            version.submitted_at,
            version.receipt_no,
            codes.display(known[version.pk]),
        ]
        row += [_typed(name, fields.get(name)) for name in field_names]
        rd_total = Decimal(0)
        for year in years:
            item = finances.get(year, {})
            revenue, rd = item.get("revenue"), item.get("rd_spending")
            row += [Decimal(revenue) if revenue else None, Decimal(rd) if rd else None]
            rd_total += Decimal(rd) if rd else 0
        snap_members = snap.get("members", [])
        row += [
            rd_total,
            "；".join(f"{p['name']}（{p.get('level_label', '')}）" for p in snap.get("platforms", [])),
            len(snap_members),
            sum(1 for m in snap_members if m.get("in_yueyang")),
            len(snap.get("attachments", [])),
        ]
        table.append(row)
        for order, m in enumerate(snap_members, start=1):
            members.append(
                [
                    application.pk,
                    snap["consortium_name"],
                    snap["lead_unit"]["name"],
                    order,
                    m["name"],
                    m.get("uscc", ""),
                    m.get("category_label", ""),
                    bool(m.get("in_yueyang")),
                    m.get("role", ""),
                    _date(m.get("agreement_signed_on")),
                    m.get("agreement_years"),
                    _date(m.get("cooperation_started_on")),
                    m.get("cooperation_results", ""),
                    m.get("contact_name", ""),
                    m.get("contact_mobile", ""),
                    _datetime(m.get("confirmed_at")),
                    m.get("confirmed_by_name", ""),
                ]
            )

    wb = xlsx.new_workbook()
    long_text = {i: 50 for i, name in enumerate(field_names, start=12) if _is_long(name)}
    xlsx.write_table(wb.active, headers, table, widths=long_text, title="申报书汇总", for_print=False)
    xlsx.write_table(
        wb.create_sheet(),
        [
            "申报编号",
            "联合体名称",
            "牵头单位",
            "序号",
            "成员单位名称",
            "统一社会信用代码",
            "成员类别",
            f"位于{authority.current().in_city}",
            "在联合体中的分工",
            "合作协议签订日期",
            "协议期限（年）",
            "实质性合作开始日期",
            "合作成效",
            "联系人",
            "联系人手机",
            "确认时间",
            "确认人",
        ],
        members,
        widths={8: 40, 12: 50},
        title="成员单位",
        for_print=False,
    )
    return _audited(wb, "applications", by=by, rows=len(table), call_id=call_id, ip=ip)


def _is_long(name: str) -> bool:
    field = Application._meta.get_field(name)
    return field.get_internal_type() == "TextField"


def recognized_workbook(by, *, call_id: int | None = None, ip: str | None = None) -> bytes:
    """已认定创新联合体名单: the applications in state "recognized", from their submitted content."""
    from sciplan.recognition.models import Recognition

    rows = _rows(by, call_id=call_id, statuses={Status.RECOGNIZED})
    recognitions = {
        r.application_id: r for r in Recognition.objects.filter(application_id__in=[a.pk for a, _ in rows])
    }
    table = []
    for index, (application, version) in enumerate(rows, start=1):
        snap = version.snapshot
        members = snap.get("members", [])
        recognition = recognitions.get(application.pk)
        table.append(
            [
                index,
                recognition.official_name if recognition else snap["consortium_name"],
                recognition.doc_number if recognition else None,
                recognition.recognized_on if recognition else None,
                snap["lead_unit"]["name"],
                snap["lead_unit"].get("uscc", ""),
                snap["fields"].get("industry", ""),
                snap["recommender"]["name"],
                len(members),
                "、".join(m["name"] for m in members),
                snap["call"]["title"],
            ]
        )
    wb = xlsx.new_workbook()
    xlsx.write_table(
        wb.active,
        [
            "序号",
            "创新联合体名称",
            "认定文号",
            "认定日期",
            "牵头单位",
            "统一社会信用代码",
            "所属产业",
            "推荐单位",
            "成员单位数",
            "成员单位",
            "申报批次",
        ],
        table,
        # Every column given: names wrap onto two or three lines, the credit code and the dates stay
        # on one; the eleven columns then print at about 85 % of full size on A4 landscape (at their
        # content's width they printed at a third, with the 40-unit member list at about half)
        widths=[5, 18, 14, 11, 18, 20, 12, 12, 6, 30, 16],
        title="已认定创新联合体名单",
    )
    return _audited(wb, "recognized", by=by, rows=len(table), call_id=call_id, ip=ip)


MEETING_HEADERS = [
    "序号",
    "联合体名称",
    "牵头单位",
    "推荐单位",
    "所属产业",
    "成员单位数",
    "计划总投入（万元）",
    "近三年研发投入（万元）",
    "当前状态",
    "回执编号",
]


def meeting_workbook(by, *, call_id: int | None = None, ip: str | None = None) -> bytes:
    """会议审议名单: the submitted applications with the ten columns a meeting discusses, printed
    legibly on A4 landscape (one page wide, header repeated, page numbers) — the full 申报书汇总 is for
    screens."""
    rows = _rows(by, call_id=call_id, statuses=None)
    table = []
    for index, (application, version) in enumerate(rows, start=1):
        snap = version.snapshot
        rd_total = sum(
            (Decimal(f["rd_spending"]) for f in snap.get("finances", []) if f.get("rd_spending")), Decimal(0)
        )
        investment = snap["fields"].get("planned_investment")
        table.append(
            [
                index,
                snap["consortium_name"],
                snap["lead_unit"]["name"],
                snap["recommender"]["name"],
                snap["fields"].get("industry", ""),
                len(snap.get("members", [])),
                Decimal(str(investment)) if investment not in (None, "") else None,
                rd_total,
                application.get_status_display(),
                version.receipt_no,
            ]
        )
    wb = xlsx.new_workbook()
    xlsx.write_table(
        wb.active,
        MEETING_HEADERS,
        table,
        widths=[6, 32, 28, 18, 18, 8, 12, 12, 24, 18],
        number_formats={6: "#,##0.00", 7: "#,##0.00"},
        title="创新联合体会议审议名单",
    )
    return _audited(wb, "meeting", by=by, rows=len(table), call_id=call_id, ip=ip)


BUILDERS = {
    "applications": applications_workbook,
    "meeting": meeting_workbook,
    "recognized": recognized_workbook,
}


def export(kind: str, *, by, call_id: int | None = None, ip: str | None = None) -> tuple[bytes, str]:
    """(workbook, file name) of one of EXPORT_KINDS; bureau only (404 for anyone else)."""
    _ensure_bureau(by)
    if kind not in EXPORT_KINDS:
        raise NotFound()
    data = BUILDERS[kind](by, call_id=call_id, ip=ip)
    stamp = clock.local(clock.now()).strftime("%Y%m%d%H%M")
    return data, f"{EXPORT_KINDS[kind]}_{stamp}.xlsx"
