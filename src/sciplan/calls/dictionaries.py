"""The dictionaries the system administrator maintains (SPEC §2, §3): the 1+3+X industries and the
recommending units (counties with their GB/T 2260 code, parks).

Expert fields are not a third list: ``Expert.fields`` holds industry codes, so the industries are the
expert fields. Entries are never deleted — calls, applications, accounts and experts refer to them —
only deactivated: a deactivated entry is no longer offered where new data is entered and still displays
on every record that names it. A code is fixed once created, because experts' fields and imports refer
to entries by code.

Every change is one audit record with the old and the new values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from sciplan.accounts.roles import Role
from sciplan.calls.models import Industry, IndustryGroup, Recommender, RecommenderKind
from sciplan.core import audit
from sciplan.core.errors import NotFound, ValidationFailed

EDITOR_ROLES = frozenset({Role.ADMIN})
READER_ROLES = frozenset({Role.ADMIN, Role.BUREAU})

CODE = re.compile(r"^[A-Za-z0-9_]{1,20}$")
REGION_CODE = re.compile(r"^\d{6}$")
TRUE_VALUES = {"1", "true", "on", "yes", True}


@dataclass(frozen=True)
class Kind:
    """One dictionary: its model, the fields an administrator edits and its name in the audit log."""

    name: str
    label: str
    model: Any  # Industry or Recommender: both managed by DictionaryQuerySet
    fields: tuple[str, ...]


INDUSTRIES = Kind("industry", "产业", Industry, ("code", "group", "name", "pending_confirmation", "order"))
RECOMMENDERS = Kind(
    "recommender",
    "推荐单位",
    Recommender,
    ("code", "name", "kind", "region_code", "needs_finance_cosign", "order"),
)
KINDS = {"industries": INDUSTRIES, "recommenders": RECOMMENDERS}


def ensure_editor(by) -> None:
    """Only the system administrator maintains the dictionaries; for anyone else they do not exist."""
    if getattr(by, "role", None) not in EDITOR_ROLES:
        raise NotFound()


def ensure_reader(by) -> None:
    if getattr(by, "role", None) not in READER_ROLES:
        raise NotFound()


# ---------------------------------------------------------------- reads


def industries_with_use():
    """Every industry with the number of calls that list it (one query for the whole list)."""
    return Industry.objects.annotate(call_count=Count("calls", distinct=True))


def recommenders_with_use():
    """Every recommending unit with its calls, accounts and applications counted (one query)."""
    return Recommender.objects.annotate(
        call_count=Count("calls", distinct=True),
        user_count=Count("users", distinct=True),
        application_count=Count("applications", distinct=True),
    )


def offered(kind: Kind, *, keep=()):
    """What a form for new data offers (a registration's recommender, a call's industries and
    recommenders): the active entries, plus those the record already names, so a deactivated entry
    still shows as chosen where it was chosen before."""
    return kind.model.objects.filter(Q(active=True) | Q(pk__in=list(keep)))


def newly_chosen_inactive(kind: Kind, ids, *, keep=()) -> list[str]:
    """Names of deactivated entries among ``ids`` that the record did not name before (to refuse)."""
    new = set(ids) - set(keep)
    return list(kind.model.objects.filter(pk__in=new, active=False).values_list("name", flat=True))


def expert_field_names() -> dict[str, str]:
    """Code → name of the expert fields, which are the industries (``Expert.fields`` holds their codes)."""
    return dict(Industry.objects.values_list("code", "name"))


# ---------------------------------------------------------------- validation


def _text(data: dict[str, Any], name: str) -> str:
    return str(data.get(name) or "").strip()


def _flag(value: Any) -> bool:
    return value in TRUE_VALUES or str(value).strip().lower() in TRUE_VALUES


def _order(data: dict[str, Any], errors: dict[str, str]) -> int:
    raw = data.get("order")
    if raw in (None, ""):
        return 0
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 9999:
        errors["order"] = "排序请填写0至9999之间的整数。"
        return 0
    return value


def _code(kind: Kind, data: dict[str, Any], entry, errors: dict[str, str]) -> str:
    if entry is not None:
        return entry.code  # fixed once created: experts' fields and imports refer to it
    code = _text(data, "code")
    if not code:
        errors["code"] = "请填写编码。"
    elif not CODE.match(code):
        errors["code"] = "编码只能由字母、数字和下划线组成，不超过20位。"
    elif kind.model.objects.filter(code__iexact=code).exists():
        errors["code"] = f"编码“{code}”已被使用，请换一个。"
    return code


def _unique_name(kind: Kind, name: str, entry, errors: dict[str, str], limit: int) -> None:
    if not name:
        errors["name"] = "请填写名称。"
    elif len(name) > limit:
        errors["name"] = f"名称不能超过{limit}字。"
    elif kind.model.objects.filter(name=name).exclude(pk=getattr(entry, "pk", None)).exists():
        errors["name"] = f"已有名为“{name}”的{kind.label}。"


def _clean_industry(data: dict[str, Any], entry: Industry | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"code": _code(INDUSTRIES, data, entry, errors)}
    values["group"] = _text(data, "group")
    if values["group"] not in IndustryGroup.values:
        errors["group"] = "请选择类别（1、3或X）。"
    values["name"] = _text(data, "name")
    _unique_name(INDUSTRIES, values["name"], entry, errors, 50)
    values["pending_confirmation"] = _flag(data.get("pending_confirmation"))
    values["order"] = _order(data, errors)
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    return values


def _clean_recommender(data: dict[str, Any], entry: Recommender | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"code": _code(RECOMMENDERS, data, entry, errors)}
    values["name"] = _text(data, "name")
    _unique_name(RECOMMENDERS, values["name"], entry, errors, 100)
    values["kind"] = _text(data, "kind")
    if values["kind"] not in RecommenderKind.values:
        errors["kind"] = "请选择类型（县市区科技部门或高新园区）。"
    region = _text(data, "region_code")
    values["region_code"] = region
    if not region and values["kind"] == RecommenderKind.COUNTY:
        errors["region_code"] = (
            "县市区须填写6位行政区划代码（GB/T 2260），不以00结尾（00结尾的是地级市的代码）。"
        )
    elif region and not REGION_CODE.match(region):
        errors["region_code"] = "行政区划代码应为6位数字（GB/T 2260），如430602。"
    elif region and values["kind"] == RecommenderKind.COUNTY and region.endswith("00"):
        errors["region_code"] = "以00结尾的是地级市的代码，请填写县市区的6位代码。"
    elif (
        region
        and values["kind"] == RecommenderKind.COUNTY
        and Recommender.objects.filter(kind=RecommenderKind.COUNTY, region_code=region)
        .exclude(pk__in=[entry.pk] if entry is not None else [])
        .exists()
    ):
        errors["region_code"] = f"行政区划代码{region}已属于另一个县市区。"
    values["needs_finance_cosign"] = _flag(data.get("needs_finance_cosign"))
    values["order"] = _order(data, errors)
    if errors:
        raise ValidationFailed("请检查标注的内容。", field_errors=errors)
    return values


CLEANERS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    INDUSTRIES.name: _clean_industry,
    RECOMMENDERS.name: _clean_recommender,
}


# ---------------------------------------------------------------- writes


def _snapshot(kind: Kind, entry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in (*kind.fields, "active")}


def _kind_of(entry) -> Kind:
    return INDUSTRIES if isinstance(entry, Industry) else RECOMMENDERS


@transaction.atomic
def create_entry(kind: Kind, *, data: dict[str, Any], by, ip: str | None = None):
    """Add an entry to ``kind``'s dictionary, active. Audited with its values."""
    ensure_editor(by)
    values = CLEANERS[kind.name](data, None)
    entry = kind.model.objects.create(**values)
    audit.record(
        f"dictionary.{kind.name}_created",
        actor=by,
        obj=entry,
        ip=ip,
        detail={"old": None, "new": _snapshot(kind, entry)},
    )
    return entry


@transaction.atomic
def update_entry(entry, *, data: dict[str, Any], by, ip: str | None = None):
    """Change an entry's name, group or kind, flags and order (its code stays). An unchanged form
    writes nothing and records nothing."""
    ensure_editor(by)
    kind = _kind_of(entry)
    entry = kind.model.objects.select_for_update().get(pk=entry.pk)
    values = CLEANERS[kind.name](data, entry)
    before = _snapshot(kind, entry)
    for name, value in values.items():
        setattr(entry, name, value)
    after = _snapshot(kind, entry)
    changed = [name for name in kind.fields if before[name] != after[name]]
    if not changed:
        return entry
    entry.save(update_fields=changed)
    audit.record(
        f"dictionary.{kind.name}_updated",
        actor=by,
        obj=entry,
        ip=ip,
        detail={"old": {n: before[n] for n in changed}, "new": {n: after[n] for n in changed}},
    )
    return entry


@transaction.atomic
def set_active(entry, *, active: bool, by, ip: str | None = None):
    """Deactivate (no longer offered for new data, kept on old records) or reactivate an entry."""
    ensure_editor(by)
    kind = _kind_of(entry)
    entry = kind.model.objects.select_for_update().get(pk=entry.pk)
    if entry.active == active:
        return entry
    entry.active = active
    entry.save(update_fields=["active"])
    audit.record(
        f"dictionary.{kind.name}_{'reactivated' if active else 'deactivated'}",
        actor=by,
        obj=entry,
        ip=ip,
        detail={"old": {"active": not active}, "new": {"active": active}},
    )
    return entry


def get_entry_for(user, kind: Kind, pk: int):
    """The entry for an administrator; 404 for everyone else and for an id that does not exist."""
    ensure_editor(user)
    entry = kind.model.objects.filter(pk=pk).first()
    if entry is None:
        raise NotFound()
    return entry
