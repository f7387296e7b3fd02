"""The rules of a call's set-up, checked on plain data (no database): windows, thresholds, the rubric and
the required attachments. Each check returns ``{field: Chinese message}``; empty means valid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sciplan.core import clock, filetypes

# Fields frozen once the call has opened: an application is judged by the rules it was submitted under.
THRESHOLD_FIELDS = (
    "rd_threshold",
    "rd_first_year",
    "min_platform_level",
    "agreement_min_years",
    "cooperation_min_years",
)
FROZEN_FIELDS = (*THRESHOLD_FIELDS, "rubric", "attachment_specs", "industries")
WINDOW_FIELDS = ("opens_at", "closes_at", "recommend_deadline", "paper_deadline", "correction_deadline")
RUBRIC_TOTAL = 100
RD_THRESHOLD_LIMIT = 10**10  # what the column (12 digits, 2 decimals) holds

# The attachment kinds applications know (code → label) and the file types each accepts, registered by
# the applications app at start-up: calls come before applications in the procedure and cannot import it.
_ATTACHMENT_KINDS: dict[str, str] = {}
_KIND_TYPES: dict[str, tuple[str, ...]] = {}


def register_attachment_kinds(labels: dict[str, str], types: dict[str, tuple[str, ...]]) -> None:
    _ATTACHMENT_KINDS.update(labels)
    _KIND_TYPES.update(types)


def attachment_kinds() -> dict[str, str]:
    return dict(_ATTACHMENT_KINDS)


def kind_types(kind: str) -> tuple[str, ...]:
    return _KIND_TYPES.get(kind, tuple(filetypes.LABELS))


def check_windows(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    opens, closes, recommend = data.get("opens_at"), data.get("closes_at"), data.get("recommend_deadline")
    paper, correction = data.get("paper_deadline"), data.get("correction_deadline")
    for name, label in (
        ("opens_at", "网上申报开始时间"),
        ("closes_at", "网上申报截止时间"),
        ("recommend_deadline", "推荐截止时间"),
        ("paper_deadline", "纸质材料报送截止日期"),
    ):
        if data.get(name) is None:
            errors[name] = f"请填写{label}。"
    if opens and closes and closes <= opens:
        errors["closes_at"] = f"网上申报截止时间须晚于开始时间{clock.fmt(opens)}。"
    if closes and recommend and recommend <= closes:
        errors["recommend_deadline"] = f"推荐截止时间须晚于网上申报截止时间{clock.fmt(closes)}。"
    if recommend and paper and paper < clock.local(recommend).date():
        errors["paper_deadline"] = "纸质材料报送截止日期不能早于推荐截止日期。"
    if correction is not None and closes and isinstance(correction, datetime) and correction <= closes:
        errors["correction_deadline"] = "补正截止时间须晚于网上申报截止时间。"
    return errors


def check_rubric(items: list[dict[str, Any]]) -> tuple[list[dict], dict[str, str]]:
    """Clean the indicators (label, weight, description); weights are whole points adding up to 100."""
    clean: list[dict] = []
    errors: dict[str, str] = {}
    codes: set[str] = set()
    for index, item in enumerate(items):
        label = str(item.get("label") or "").strip()
        description = str(item.get("description") or "").strip()
        raw = item.get("max")
        if not label and raw in (None, "") and not description:
            continue  # an empty row of the form
        if not label:
            errors[f"rubric.{index}.label"] = "请填写指标名称。"
        elif len(label) > 50:
            errors[f"rubric.{index}.label"] = "指标名称不能超过50字。"
        if not description:
            errors[f"rubric.{index}.description"] = "请填写指标说明，专家据此打分。"
        elif len(description) > 500:
            errors[f"rubric.{index}.description"] = "指标说明不能超过500字。"
        try:
            weight = int(str(raw).strip())
        except (TypeError, ValueError):
            weight = 0
        if not 1 <= weight <= 100:
            errors[f"rubric.{index}.max"] = "分值应为1至100之间的整数。"
        code = str(item.get("code") or "").strip()[:30] or f"item{index + 1}"
        if code in codes:
            code = f"{code}_{index + 1}"
        codes.add(code)
        clean.append({"code": code, "label": label, "max": weight, "description": description})
    if not clean:
        errors["rubric"] = "请至少设置一项评分指标。"
    elif not any(k.startswith("rubric.") for k in errors):
        total = sum(item["max"] for item in clean)
        if total != RUBRIC_TOTAL:
            errors["rubric"] = f"各项指标分值合计须为100分，当前合计{total}分。"
    return clean, errors


def check_attachments(items: list[dict[str, Any]], *, max_mb_limit: int) -> tuple[list[dict], dict[str, str]]:
    """Clean the attachment requirements: one row per kind, a name, allowed types, a size limit."""
    clean: list[dict] = []
    errors: dict[str, str] = {}
    kinds = attachment_kinds()
    seen: set[str] = set()
    for index, item in enumerate(items):
        kind = str(item.get("kind") or "").strip()
        name = str(item.get("name") or "").strip()
        if not kind and not name:
            continue
        if kind not in kinds:
            errors[f"attachments.{index}.kind"] = "请选择附件类型。"
        elif kind in seen:
            errors[f"attachments.{index}.kind"] = f"“{kinds[kind]}”已设置过，每类附件只设一行。"
        seen.add(kind)
        name = name or kinds.get(kind, "")
        if len(name) > 50:
            errors[f"attachments.{index}.name"] = "附件名称不能超过50字。"
        types = [t for t in (item.get("types") or []) if t]
        allowed = kind_types(kind)
        wrong = [t for t in types if t not in allowed]
        if not types:
            errors[f"attachments.{index}.types"] = "请至少选择一种允许的文件格式。"
        elif wrong:
            errors[f"attachments.{index}.types"] = f"该类附件只能选择{filetypes.describe(allowed)}格式。"
        try:
            max_mb = int(str(item.get("max_mb")).strip())
        except (TypeError, ValueError):
            max_mb = 0
        if not 1 <= max_mb <= max_mb_limit:
            errors[f"attachments.{index}.max_mb"] = f"大小限制应为1至{max_mb_limit}MB之间的整数。"
        clean.append(
            {
                "kind": kind,
                "name": name,
                "types": [t for t in filetypes.LABELS if t in types],
                "max_mb": max_mb,
                "required": bool(item.get("required")),
            }
        )
    return clean, errors


def check_settings(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "title" in data and not str(data["title"] or "").strip():
        errors["title"] = "请填写通知标题。"
    year = data.get("year")
    if "year" in data and (year is None or not 2000 <= int(year) <= 2100):
        errors["year"] = "请填写2000至2100之间的年度。"
    days = data.get("public_notice_days")
    if "public_notice_days" in data and (days is None or not 5 <= int(days) <= 30):
        errors["public_notice_days"] = "公示期应为5至30个工作日。"
    low, default = data.get("panel_min_size"), data.get("panel_default_size")
    if "panel_min_size" in data and (low is None or not 3 <= int(low) <= 25):
        errors["panel_min_size"] = "专家组最少人数应为3至25人。"
    if "panel_default_size" in data and (default is None or not 3 <= int(default) <= 25):
        errors["panel_default_size"] = "专家组默认人数应为3至25人。"
    elif low and default and int(default) < int(low):
        errors["panel_default_size"] = f"默认人数不能少于最少人数{low}人。"
    if "rd_threshold" in data and (data["rd_threshold"] is None or data["rd_threshold"] < 0):
        errors["rd_threshold"] = "研发投入门槛不能为负数。"
    elif "rd_threshold" in data and data["rd_threshold"] >= RD_THRESHOLD_LIMIT:
        errors["rd_threshold"] = "研发投入门槛过大，请核对（单位：万元）。"
    if "rd_first_year" in data and (
        data["rd_first_year"] is None or not 2000 <= int(data["rd_first_year"]) <= 2100
    ):
        errors["rd_first_year"] = "请填写研发投入统计起始年度。"
    for name, label in (
        ("agreement_min_years", "合作协议最短期限"),
        ("cooperation_min_years", "实质性合作最短时长"),
    ):
        if name in data and (data[name] is None or not 0 <= int(data[name]) <= 20):
            errors[name] = f"{label}应为0至20年。"
    return errors
