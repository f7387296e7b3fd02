"""The frozen content of a submitted version: everything the documents and the bureau need, as JSON.

The content hash is computed over the canonical JSON, so the same content always gives the same hash
and a verification code derived from it identifies exactly one version (SPEC §10).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sciplan.applications import budget
from sciplan.applications.models import Application
from sciplan.applications.sections import SECTIONS


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def build_snapshot(application: Application) -> dict[str, Any]:
    app = application
    fields: dict[str, Any] = {}
    for section in SECTIONS:
        for name in section.fields:
            if name == "industry":
                fields[name] = app.industry.name if app.industry_id else ""
            else:
                fields[name] = _plain(getattr(app, name))
    saved = {row.index: row for row in app.budget_years.all()}
    years = budget.plan_years(app.start_date, app.call.year)
    return {
        # 2: adds "budget". Documents still read schema 1 snapshots (submitted before the budget table).
        "schema": 2,
        "application_id": app.pk,
        "call": {"id": app.call_id, "title": app.call.title, "year": app.call.year},
        "consortium_name": app.consortium_name,
        "recommender": {
            "id": app.recommender_id,
            "name": app.recommender.name,
            "needs_finance_cosign": app.recommender.needs_finance_cosign,
        },
        "lead_unit": {
            "id": app.lead_unit_id,
            "name": app.lead_unit.name,
            "uscc": app.lead_unit.uscc,
            "address": app.lead_unit.address,
        },
        "fields": fields,
        "industry_group": app.industry.group if app.industry_id else "",
        "finances": [
            {"year": f.year, "revenue": _plain(f.revenue), "rd_spending": _plain(f.rd_spending)}
            for f in app.finance_years.order_by("year")
        ],
        "budget": [
            {
                "index": index,
                "year": years[index - 1],
                **{
                    code: _plain(getattr(saved[index], code)) if index in saved else None
                    for code, _ in budget.LINES
                },
            }
            for index in budget.YEARS
        ],
        "platforms": [
            {
                "id": p.pk,
                "name": p.name,
                "level": p.level,
                "level_label": p.get_level_display(),
                "authority": p.authority,
                "year": p.year,
            }
            for p in app.platforms.all()
        ],
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "uscc": m.uscc,
                "category": m.category,
                "category_label": m.get_category_display(),
                "in_yueyang": m.in_yueyang,
                "role": m.role,
                "agreement_signed_on": _plain(m.agreement_signed_on),
                "agreement_years": m.agreement_years,
                "cooperation_started_on": _plain(m.cooperation_started_on),
                "cooperation_results": m.cooperation_results,
                "contact_name": m.contact_name,
                "contact_mobile": m.contact_mobile,
                "confirmed_at": _plain(m.confirmed_at),
                "confirmed_by_name": m.confirmed_by_name,
            }
            for m in app.members.all()
        ],
        "attachments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "kind_label": a.get_kind_display(),
                "name": a.original_name,
                "sha256": a.sha256,
                "size": a.size,
                "member_id": a.member_id,
                "platform_id": a.platform_id,
            }
            for a in app.attachments.filter(removed_at__isnull=True)
        ],
    }


def content_hash(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
