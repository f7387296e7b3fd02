"""The bureau's call set-up form: what the page posts, read into the values ``create_call`` and
``update_call`` take, and the values shown back (exactly as typed when something was wrong).

The page posts plain fields plus two lists of rows — the required attachments and the scoring rubric —
named ``att-<n>-<field>`` and ``rubric-<n>-<field>``. Blank rows are always offered (adding a row needs
no script); a row marked ``remove`` is sent to the service as an empty row so that the service's
``rubric.<n>.label``-style error keys still point at the row the user sees.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from sciplan.calls import rules
from sciplan.calls.models import (
    DEFAULT_RUBRIC,
    Call,
    Industry,
    PlatformLevel,
    Recommender,
    default_attachment_specs,
)
from sciplan.core import authority, clock, filetypes

DATETIME_FIELDS = ("opens_at", "closes_at", "recommend_deadline", "correction_deadline")
DATE_FIELDS = ("paper_deadline",)
INT_FIELDS = (
    "year",
    "rd_first_year",
    "min_platform_level",
    "agreement_min_years",
    "cooperation_min_years",
    "public_notice_days",
    "panel_min_size",
    "panel_default_size",
)
TEXT_FIELDS = ("title", "notice", "paper_address", "contact")
BLANK_ROWS = 2
RUBRIC_FIELDS = ("code", "label", "max", "description")
ATTACHMENT_FIELDS = ("kind", "name", "max_mb")


def _local_input(value: datetime | None) -> str:
    return clock.local(value).strftime("%Y-%m-%dT%H:%M:%S") if value else ""


def initial(call: Call) -> dict[str, Any]:
    """The form's values for a saved call."""
    values: dict[str, Any] = {name: getattr(call, name) for name in (*TEXT_FIELDS, *INT_FIELDS)}
    values.update({name: _local_input(getattr(call, name)) for name in DATETIME_FIELDS})
    values["paper_deadline"] = call.paper_deadline.isoformat() if call.paper_deadline else ""
    values["rd_threshold"] = f"{call.rd_threshold.normalize():f}" if call.rd_threshold is not None else ""
    values["is_practice"] = call.is_practice
    values["industries"] = [str(pk) for pk in call.industries.values_list("pk", flat=True)] if call.pk else []
    values["recommenders"] = (
        [str(pk) for pk in call.recommenders.values_list("pk", flat=True)] if call.pk else []
    )
    values["rubric"] = [{k: str(item.get(k, "")) for k in RUBRIC_FIELDS} for item in call.rubric or []]
    values["attachments"] = [
        {
            "kind": spec.get("kind", ""),
            "name": spec.get("name", ""),
            "types": list(spec.get("types") or []),
            "max_mb": str(spec.get("max_mb", "")),
            "required": bool(spec.get("required")),
        }
        for spec in call.attachment_specs or []
    ]
    return values


def defaults(now: datetime) -> dict[str, Any]:
    """A new call from nothing: next month's window of a month, the usual rules of the notice."""
    today = clock.local(now).date()
    opens = today + timedelta(days=30)
    closes = opens + timedelta(days=31)
    issuer = authority.current()

    def at(day: date, hour: int = 0) -> datetime:
        return timezone.make_aware(datetime(day.year, day.month, day.day, hour))

    call = Call(
        title=f"{opens.year}年度{issuer.city}{authority.CONSORTIUM_SUFFIX}申报",
        year=opens.year,
        opens_at=at(opens),
        closes_at=at(closes, 18),
        recommend_deadline=at(closes + timedelta(days=5), 18),
        paper_deadline=closes + timedelta(days=9),
        paper_address=issuer.address,
        rd_first_year=opens.year - 3,
        min_platform_level=PlatformLevel.CITY,
        rubric=DEFAULT_RUBRIC,
        attachment_specs=default_attachment_specs(),
        contact=f"{issuer.bureau}{issuer.division} {issuer.phone}",
    )
    values = initial(call)
    values["industries"] = [str(pk) for pk in Industry.objects.active().values_list("pk", flat=True)]
    values["recommenders"] = [str(pk) for pk in Recommender.objects.active().values_list("pk", flat=True)]
    return values


def _rows(post: QueryDict, prefix: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        count = min(int(post.get(f"{prefix}-count", "0")), 100)
    except ValueError:
        count = 0
    rows = []
    for index in range(max(count, 0)):
        row: dict[str, Any] = {k: post.get(f"{prefix}-{index}-{k}", "").strip() for k in fields}
        row["remove"] = bool(post.get(f"{prefix}-{index}-remove"))
        if prefix == "att":
            row["types"] = [t for t in post.getlist(f"att-{index}-types") if t in filetypes.LABELS]
            row["required"] = bool(post.get(f"att-{index}-required"))
        rows.append(row)
    return rows


def _is_blank(row: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return not any(row.get(k) for k in fields if k != "code")


def parse(post: QueryDict, *, frozen: bool) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Read the posted form: (values for the service, values to show back, format errors by field).

    ``frozen``: the call has opened, so its frozen fields are not on the form and are not sent.
    """
    shown: dict[str, Any] = {}
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def sent(name: str) -> bool:  # a frozen field is neither read nor sent (the page shows it as saved)
        return not (frozen and name in rules.FROZEN_FIELDS)

    for name in TEXT_FIELDS:
        shown[name] = data[name] = post.get(name, "")
    shown["is_practice"] = data["is_practice"] = bool(post.get("is_practice"))
    for name in DATETIME_FIELDS:
        raw = shown[name] = post.get(name, "").strip()
        if not raw:
            data[name] = None
            continue
        try:
            data[name] = timezone.make_aware(datetime.fromisoformat(raw))
        except ValueError:
            errors[name] = "时间格式不正确，请按“年-月-日 时:分”填写。"
    for name in DATE_FIELDS:
        raw = shown[name] = post.get(name, "").strip()
        try:
            data[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name] = "日期格式不正确，请按“年-月-日”填写。"
    for name in INT_FIELDS:
        raw = shown[name] = post.get(name, "").strip()
        if not sent(name):
            continue
        try:
            data[name] = int(raw)
        except ValueError:
            errors[name] = "请填写整数。"
    raw = shown["rd_threshold"] = post.get("rd_threshold", "").strip()
    if sent("rd_threshold"):
        try:
            data["rd_threshold"] = Decimal(raw)
            if not data["rd_threshold"].is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors["rd_threshold"] = "请填写金额（万元），如 1000。"
    for name in ("industries", "recommenders"):
        shown[name] = [v for v in post.getlist(name) if v.isdigit()]
        if sent(name):
            data[name] = [int(v) for v in shown[name]]
    rubric = _rows(post, "rubric", RUBRIC_FIELDS)
    attachments = _rows(post, "att", ATTACHMENT_FIELDS)
    shown["rubric"], shown["attachments"] = rubric, attachments
    if sent("rubric"):
        data["rubric"] = [{} if r["remove"] else {k: r[k] for k in RUBRIC_FIELDS} for r in rubric]
    if sent("attachment_specs"):
        data["attachment_specs"] = [
            {} if r["remove"] else {k: r[k] for k in (*ATTACHMENT_FIELDS, "types", "required")}
            for r in attachments
        ]
    return data, shown, errors


def rows_for_display(
    shown: dict[str, Any], errors: dict[str, str], *, add: str = ""
) -> dict[str, list[dict[str, Any]]]:
    """The rubric and attachment rows to show: removed and blank rows dropped, each row with its own
    errors (found by the index it was posted under), then blank rows to fill in."""
    result = {}
    for key, prefix, fields in (
        ("rubric", "rubric", RUBRIC_FIELDS),
        ("attachments", "attachments", (*ATTACHMENT_FIELDS, "types")),
    ):
        rows = []
        blank = 0
        for index, row in enumerate(shown.get(key) or []):
            if row.get("remove"):
                continue
            if _is_blank(row, fields) and not row.get("required", False):
                blank += 1
                continue
            found = {f: errors.get(f"{prefix}.{index}.{f}", "") for f in (*fields, "types")}
            rows.append({**row, "errors": found})
        extra = max(blank, BLANK_ROWS) + (1 if add == key else 0)
        empty = (
            {"kind": "", "name": "", "types": [], "max_mb": "", "required": False}
            if key == "attachments"
            else {"code": "", "label": "", "max": "", "description": ""}
        )
        rows += [{**empty, "errors": {}} for _ in range(extra)]
        result[key] = rows
    return result


def rubric_total(rows: list[dict[str, Any]]) -> int:
    total = 0
    for row in rows:
        try:
            total += int(str(row.get("max") or "0"))
        except ValueError:
            continue
    return total
