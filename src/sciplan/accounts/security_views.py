"""Two-factor enrolment and verification, the audit log for bureau staff and audit viewers, and the
audited reveal of a masked phone or ID number."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from sciplan.accounts import services
from sciplan.accounts.roles import AUDIT_VIEWER_ROLES, UNMASK_ROLES
from sciplan.core import audit, masking
from sciplan.core.errors import NotFound
from sciplan.core.http import client_ip, safe_next
from sciplan.core.models import AuditEvent, Outcome
from sciplan.core.storage import bytes_response


def _demo_code(device) -> str:
    """In demo mode only, the current code is shown so the demo can be walked through without a phone."""
    from django.conf import settings

    if not settings.DEMO_MODE:
        return ""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code rendered here (inline SVG, no outside service)."""
    user = request.user
    if services.has_confirmed_device(user) and not services.session_is_verified(user):
        return redirect("accounts:otp_verify")
    enrolled = services.has_confirmed_device(user)
    error = ""
    device = None if enrolled else services.pending_device(user)
    if request.method == "POST" and device is not None:
        if services.confirm_device(user, device, request.POST.get("code", ""), ip=client_ip(request)):
            otp_login(request, device)
            messages.success(request, "两步验证已启用。以后登录时需输入身份验证器中的动态码。")
            return redirect(safe_next(request))
        error = "动态码不正确或已过期，请输入身份验证器中当前显示的6位数字。"
    qr_svg = ""
    if device is not None:
        qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=False)
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "enrolled": enrolled,
            "device": device,
            "qr_svg": qr_svg,
            "secret": _b32(device) if device else "",
            "error": error,
            "required": services.user_requires_otp(user),
            "next": safe_next(request, ""),
            "demo_code": _demo_code(device) if device else "",
        },
        status=422 if error else 200,
    )


def _b32(device) -> str:
    import base64

    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in for a user with a confirmed device."""
    user = request.user
    if not services.has_confirmed_device(user):
        return redirect("accounts:otp_setup")
    if services.session_is_verified(user):
        return redirect(safe_next(request))
    error = ""
    if request.method == "POST":
        device = services.matching_device(user, request.POST.get("code", ""))
        audit.record(
            "auth.otp_verify", actor=user, ip=client_ip(request), outcome="ok" if device else "failed"
        )
        if device is not None:
            otp_login(request, device)
            return redirect(safe_next(request))
        error = "动态码不正确或已过期，请重新输入。"
    device = user.totpdevice_set.filter(confirmed=True).first()
    return render(
        request,
        "accounts/otp_verify.html",
        {"error": error, "next": safe_next(request, ""), "demo_code": _demo_code(device)},
        status=422 if error else 200,
    )


# --- The audit log (SPEC §12, STANDARDS E22–E24) ------------------------------------------------


def _require_audit_viewer(user) -> None:
    if user.role not in AUDIT_VIEWER_ROLES:
        raise PermissionDenied


def _parse_date(raw: str):
    try:
        return datetime.strptime(raw.strip(), "%Y-%m-%d").date() if raw and raw.strip() else None
    except ValueError:
        return None


def filtered_events(params) -> tuple[QuerySet[AuditEvent], dict, dict]:
    """The audit rows matching the filter form, the cleaned filter values and their errors."""
    qs = AuditEvent.objects.all().order_by("-id")
    values = {
        k: (params.get(k) or "").strip() for k in ("type", "user", "outcome", "since", "until", "object")
    }
    errors: dict[str, str] = {}
    if values["type"]:
        qs = qs.filter(event_type__startswith=values["type"])
    if values["user"]:
        qs = qs.filter(actor_label=values["user"])
    if values["outcome"]:
        if values["outcome"] in Outcome.values:
            qs = qs.filter(outcome=values["outcome"])
        else:
            errors["outcome"] = "请选择有效的结果。"
    if values["object"]:
        qs = qs.filter(object_id=values["object"])
    tz = timezone.get_current_timezone()
    for key, bound in (("since", "gte"), ("until", "lt")):
        if values[key]:
            day = _parse_date(values[key])
            if day is None:
                errors[key] = "日期格式应为 2024-08-04。"
                continue
            if key == "until":
                day = day + timedelta(days=1)
            qs = qs.filter(**{f"at__{bound}": datetime.combine(day, time.min, tzinfo=tz)})
    return qs, values, errors


EVENT_TYPE_CHOICES = [
    ("auth.", "登录与认证"),
    ("access.refused", "越权/拒绝访问"),
    ("application.", "申报书流转"),
    ("file.", "附件下载与完整性"),
    ("export.", "导出"),
    ("pii.", "查看敏感信息"),
    ("user.", "用户与角色"),
    ("unit.", "单位注册审核"),
    ("audit.", "审计日志"),
]


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_audit_viewer(request.user)
    qs, values, errors = filtered_events(request.GET)
    page = Paginator(qs.only(*_COLUMNS), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "page": page,
            "values": values,
            "errors": errors,
            "type_choices": EVENT_TYPE_CHOICES,
            "outcomes": Outcome.choices,
            "query": query.urlencode(),
        },
    )


_COLUMNS = ("id", "at", "actor_label", "ip", "event_type", "object_type", "object_id", "outcome", "detail")
EXPORT_MAX_ROWS = 100_000
HEADER = ["编号", "时间", "操作人", "IP", "事件类型", "对象类型", "对象", "结果", "详情", "哈希"]


def export_rows(qs: QuerySet[AuditEvent]):
    import json

    for e in qs.only(*_COLUMNS, "hash")[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
        yield [
            e.pk,
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_label,
            e.ip or "",
            e.event_type,
            e.object_type,
            e.object_id,
            e.get_outcome_display(),
            json.dumps(e.detail, ensure_ascii=False),
            e.hash,
        ]


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    _require_audit_viewer(request.user)
    qs, values, _errors = filtered_events(request.GET)
    fmt = request.GET.get("format", "xlsx")
    audit.record(
        "audit.export",
        actor=request.user,
        ip=client_ip(request),
        detail={"format": fmt, "filters": {k: v for k, v in values.items() if v}},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADER)
        for row in export_rows(qs):
            writer.writerow([_csv_safe(v) for v in row])
        data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        return bytes_response(data, filename=f"审计日志-{stamp}.csv", content_type="text/csv; charset=utf-8")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计日志")
    sheet.append(HEADER)
    for row in export_rows(qs):
        sheet.append([_csv_safe(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return bytes_response(
        out.getvalue(),
        filename=f"审计日志-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _csv_safe(value):
    """No spreadsheet formula injection: a cell starting with = + - @ is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --- Revealing a masked value (PIPL; STANDARDS E25) -----------------------------------------------


@login_required
@require_POST
def unmask(request: HttpRequest) -> HttpResponse:
    """Reveal one masked field to a user with the right; every reveal is one audit record."""
    user = request.user
    label = request.POST.get("model", "")
    field = request.POST.get("field", "")
    pk = request.POST.get("pk", "")
    if user.role not in UNMASK_ROLES:
        raise PermissionDenied
    try:
        value, obj = masking.reveal(user, label, pk, field)
    except NotFound:
        return JsonResponse({"detail": "未找到，或您无权查看。"}, status=404)
    audit.record("pii.unmask", actor=user, obj=obj, ip=client_ip(request), detail={"field": field})
    return JsonResponse({"value": value})
