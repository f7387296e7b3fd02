"""The expert pool: create, edit, import from XLSX, and what each role may see of an expert's contact."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.accounts.services import clean_uscc
from sciplan.accounts.validators import validate_phone
from sciplan.calls.models import Industry
from sciplan.core import audit, filetypes
from sciplan.core.errors import NotFound, ValidationFailed
from sciplan.core.masking import mask_email, mask_phone
from sciplan.review.invitations import invite_many
from sciplan.review.models import Expert
from sciplan.review.services import ensure_bureau

IMPORT_COLUMNS = [
    "姓名",
    "工作单位",
    "单位统一社会信用代码",
    "评审领域",
    "职称/职务",
    "手机",
    "电子邮箱",
    "是否在库",
]
MAX_IMPORT_ROWS = 2000


def industry_names() -> dict[str, str]:
    return dict(Industry.objects.values_list("code", "name"))


def in_field(qs: QuerySet[Expert], field: str) -> QuerySet[Expert]:
    """The experts of ``qs`` who review ``field`` (all of them for ``""``). The pool is hundreds, not
    millions: the JSON list is read in Python, so the filter behaves the same on SQLite and PostgreSQL."""
    if not field:
        return qs
    return qs.filter(pk__in=[pk for pk, fields in qs.values_list("pk", "fields") if field in (fields or [])])


def _first_error(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else "格式不正确。"


def clean_expert(
    data: dict[str, Any], *, industries: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate one expert's fields; returns (clean values, field → Chinese message)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, label, limit in (
        ("name", "姓名", 50),
        ("organisation", "工作单位", 200),
        ("title", "职称/职务", 50),
    ):
        value = str(data.get(name) or "").strip()
        if not value and name != "title":
            errors[name] = f"请填写{label}。"
        elif len(value) > limit:
            errors[name] = f"{label}不能超过{limit}字。"
        clean[name] = value
    code = str(data.get("organisation_uscc") or "").strip()
    if code:
        try:
            code = clean_uscc(code) or code
        except ValidationError as exc:
            errors["organisation_uscc"] = _first_error(exc)
    clean["organisation_uscc"] = code.upper()
    raw_fields = data.get("fields") or []
    if isinstance(raw_fields, str):
        raw_fields = [part for part in re.split(r"[,，、;；\s]+", raw_fields) if part]
    by_name = {name: code for code, name in industries.items()}
    fields: list[str] = []
    unknown = []
    for item in raw_fields:
        item = str(item).strip()
        code_ = item if item in industries else by_name.get(item)
        if code_ is None:
            unknown.append(item)
        elif code_ not in fields:
            fields.append(code_)
    if unknown:
        errors["fields"] = "评审领域“" + "、".join(unknown) + "”不在1+3+X产业目录中。"
    elif not fields:
        errors["fields"] = "请至少选择一个评审领域。"
    clean["fields"] = sorted(fields)
    phone = str(data.get("phone") or "").strip()
    if phone:
        try:
            phone = validate_phone(phone)
        except ValidationError as exc:
            errors["phone"] = _first_error(exc)
    clean["phone"] = phone
    email = str(data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "电子邮箱格式不正确。"
    clean["email"] = email
    active = data.get("active", True)
    if isinstance(active, str):
        active = active.strip() not in ("否", "0", "false", "False", "off", "停用", "")
    clean["active"] = bool(active)
    return clean, errors


def _link_user(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, role=Role.EXPERT).first()
    if user is None:
        message = "未找到该专家账号（须为“评审专家”角色）。"
        raise ValidationFailed(message, field_errors={"user": message})
    return user


@transaction.atomic
def create_expert(data: dict[str, Any], *, by) -> Expert:
    ensure_bureau(by)
    clean, errors = clean_expert(data, industries=industry_names())
    if errors:
        raise ValidationFailed("专家信息有误，请按提示修改。", field_errors=errors)
    expert = Expert.objects.create(user=_link_user(data.get("user")), **clean)
    audit.record("review.expert_create", actor=by, obj=expert)
    return expert


@transaction.atomic
def update_expert(expert: Expert, data: dict[str, Any], *, by) -> Expert:
    ensure_bureau(by)
    clean, errors = clean_expert(data, industries=industry_names())
    if errors:
        raise ValidationFailed("专家信息有误，请按提示修改。", field_errors=errors)
    for name, value in clean.items():
        setattr(expert, name, value)
    if "user" in data:
        expert.user = _link_user(data.get("user"))
    expert.save()
    audit.record("review.expert_update", actor=by, obj=expert)
    return expert


def get_expert_for(user, pk) -> Expert:
    ensure_bureau(user)
    try:
        return Expert.objects.get(pk=pk)
    except (Expert.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


@dataclass
class ImportRow:
    line: int
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return "；".join(m.rstrip("。") for m in self.errors.values()) + "。"


@dataclass
class ImportResult:
    rows: list[ImportRow]
    imported: int = 0
    invited: int = 0
    not_invited: list[str] = field(default_factory=list)  # "姓名（原因）" of imported experts not invited

    @property
    def errors(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def valid(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.errors]


FIELD_OF_COLUMN = dict(
    zip(
        IMPORT_COLUMNS,
        ["name", "organisation", "organisation_uscc", "fields", "title", "phone", "email", "active"],
        strict=True,
    )
)


def read_import(fileobj: IO[bytes]) -> list[ImportRow]:
    """Parse the sheet into rows with per-row Chinese messages; nothing is written."""
    from openpyxl import load_workbook

    try:
        kind = filetypes.sniff(fileobj, accept=("xlsx",))
    except filetypes.FileTypeError as exc:
        raise ValidationFailed(str(exc), field_errors={"file": str(exc)}) from None
    if kind != "xlsx":
        message = "请上传XLSX格式的专家名单（可先下载模板）。"
        raise ValidationFailed(message, field_errors={"file": message})
    workbook = load_workbook(fileobj, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    workbook.close()
    if not rows:
        raise ValidationFailed("文件中没有内容。", field_errors={"file": "文件中没有内容。"})
    header = [str(cell or "").strip() for cell in rows[0]]
    missing = [name for name in IMPORT_COLUMNS[:4] if name not in header]
    if missing:
        message = "表头缺少列：" + "、".join(missing) + "。请使用模板。"
        raise ValidationFailed(message, field_errors={"file": message})
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        message = f"一次最多导入{MAX_IMPORT_ROWS}行。"
        raise ValidationFailed(message, field_errors={"file": message})
    industries = industry_names()
    existing = {(name, org) for name, org in Expert.objects.values_list("name", "organisation")}
    seen: dict[tuple[str, str], int] = {}
    parsed: list[ImportRow] = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(cell not in (None, "") for cell in cells):
            continue
        raw = {}
        for index, title in enumerate(header):
            if title in FIELD_OF_COLUMN and index < len(cells):
                value = cells[index]
                raw[FIELD_OF_COLUMN[title]] = "" if value is None else str(value).strip()
        if raw.get("active", "") == "":
            raw["active"] = "是"
        clean, errors = clean_expert(raw, industries=industries)
        key = (clean["name"], clean["organisation"])
        if key in existing:
            errors["name"] = "专家库中已有同一单位的同名专家。"
        elif key in seen:
            errors["name"] = f"与第{seen[key]}行重复。"
        seen.setdefault(key, line)
        parsed.append(ImportRow(line=line, values=clean, errors=errors))
    return parsed


@transaction.atomic
def import_experts(
    fileobj: IO[bytes], *, by, import_valid_rows: bool = False, invite: bool = False, ip: str | None = None
) -> ImportResult:
    """Import the sheet. If any row has an error nothing is imported, unless ``import_valid_rows``.

    With ``invite`` every imported expert with an e-mail address is invited at once (an account and a
    one-time set-password link each, see :mod:`sciplan.review.invitations`)."""
    ensure_bureau(by)
    result = ImportResult(rows=read_import(fileobj))
    if result.errors and not import_valid_rows:
        return result
    # One INSERT for the sheet; PostgreSQL and SQLite return the new ids the invitations need.
    created = Expert.objects.bulk_create([Expert(**row.values) for row in result.valid])
    result.imported = len(created)
    audit.record(
        "review.expert_import",
        actor=by,
        object_type="review.expert",
        ip=ip,
        detail={"imported": result.imported, "errors": len(result.errors), "invite": invite},
    )
    if invite:
        invitations = invite_many(created, by=by, ip=ip)
        result.invited = len(invitations.invited)
        result.not_invited = invitations.skipped
    return result


def template_xlsx() -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "专家名单"
    sheet.append(IMPORT_COLUMNS)
    sheet.append(["张三", "湖南大学", "", "现代石化（石化新材料）、新材料", "教授", "13800000000", "", "是"])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def contact_for(user, expert: Expert) -> dict[str, str]:
    """Phone and e-mail as ``user`` may see them: in full for bureau staff only (PIPL)."""
    if getattr(user, "role", None) == Role.BUREAU:
        return {"phone": expert.phone, "email": expert.email}
    return {"phone": mask_phone(expert.phone), "email": mask_email(expert.email)}
