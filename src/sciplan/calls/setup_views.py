"""The bureau's call set-up pages (SPEC §3): the list of calls, a new call from nothing or copied from an
earlier one, the edit form, the publish / close / archive steps and a preview of the public page.

Bureau staff only: for everyone else every one of these addresses is a 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from sciplan.accounts.roles import Role
from sciplan.calls import dictionaries, rules, setup_forms
from sciplan.calls.models import Call, CallState, PlatformLevel
from sciplan.calls.services import (
    TABLE,
    CallAction,
    copy_call,
    create_call,
    transition_call,
    update_call,
)
from sciplan.core import clock, filetypes
from sciplan.core.errors import DomainError
from sciplan.core.http import client_ip

# What each step does, told on its confirmation page before the bureau commits to it.
CONSEQUENCES = {
    CallAction.PUBLISH: [
        "本批次将出现在公开的申报通知列表中，所有人可查看通知正文、时间节点和申报条件。",
        "到网上申报开始时间后，申报单位即可在线填报；从那时起申报条件、评分指标、附件要求和产业目录冻结，"
        "不能再修改（申报书始终按提交时的规则评判）。",
        "发布后不能退回草稿。",
    ],
    CallAction.CLOSE: [
        "本批次结束，不再受理新的申报；已提交的申报书继续推荐、评审和认定。",
        "结束后不能重新开放；个别单位确需延期的，请使用“截止时间延期”。",
    ],
    CallAction.ARCHIVE: [
        "本批次归档后不再出现在申报通知列表中，仅可按地址查看，所有设置不能再修改。",
        "归档不能撤销。",
    ],
}


def bureau_only(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request.user, "role", None) != Role.BUREAU:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _actions(call: Call) -> list[dict]:
    return [
        {"action": action, "label": step.label}
        for (state, action), step in TABLE.items()
        if state == call.state
    ]


@bureau_only
def manage_list(request: HttpRequest) -> HttpResponse:
    calls = Call.objects.order_by("-year", "-opens_at")
    rows = [{"call": c, "opened": c.has_opened(clock.now()), "actions": _actions(c)} for c in calls]
    return render(request, "calls/manage_list.html", {"rows": rows})


def _named(call: Call | None, name: str) -> list[int]:
    return list(getattr(call, name).values_list("pk", flat=True)) if call and call.pk else []


def _form_context(call: Call | None, shown: dict, errors: dict, *, frozen: bool, add: str = "") -> dict:
    rows = setup_forms.rows_for_display(shown, errors, add=add)
    return {
        "call": call,
        "v": shown,
        "errors": errors,
        "frozen": frozen,
        "rubric_rows": rows["rubric"],
        "attachment_rows": rows["attachments"],
        "rubric_total": setup_forms.rubric_total(rows["rubric"]),
        # Active entries, plus any the call already names (a deactivated one stays where it was chosen).
        "industries": dictionaries.offered(dictionaries.INDUSTRIES, keep=_named(call, "industries")),
        "recommenders": dictionaries.offered(dictionaries.RECOMMENDERS, keep=_named(call, "recommenders")),
        "platform_levels": PlatformLevel.choices,
        "attachment_kinds": sorted(rules.attachment_kinds().items()),
        "file_types": list(filetypes.LABELS.items()),
        "actions": _actions(call) if call else [],
    }


def _add_row(request: HttpRequest) -> str:
    """``rubric`` or ``attachments`` when the user asked for one more blank row instead of saving."""
    wanted = request.POST.get("add_row", "")
    return wanted if wanted in ("rubric", "attachments") else ""


@bureau_only
def manage_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        shown = setup_forms.defaults(clock.now())
        return render(request, "calls/manage_edit.html", _form_context(None, shown, {}, frozen=False))
    data, shown, errors = setup_forms.parse(request.POST, frozen=False)
    return _save_or_show(
        request,
        None,
        shown,
        errors,
        frozen=False,
        save=lambda: create_call(data=data, by=request.user, ip=client_ip(request)),
        done="申报批次已创建（草稿），发布前仅市科技局可见。",
    )


@bureau_only
def manage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    frozen = call.has_opened(clock.now())
    if request.method != "POST":
        return render(
            request,
            "calls/manage_edit.html",
            _form_context(call, setup_forms.initial(call), {}, frozen=frozen),
        )
    data, shown, errors = setup_forms.parse(request.POST, frozen=frozen)
    shown["reason"] = request.POST.get("reason", "")
    if frozen:  # the frozen rules are shown as saved, never as posted
        saved = setup_forms.initial(call)
        shown.update({k: saved[k] for k in (*rules.THRESHOLD_FIELDS, "industries", "rubric", "attachments")})
    return _save_or_show(
        request,
        call,
        shown,
        errors,
        frozen=frozen,
        save=lambda: update_call(
            call, data=data, reason=shown["reason"], by=request.user, ip=client_ip(request)
        ),
        done="已保存，修改记录已记入审计日志。",
    )


def _save_or_show(
    request: HttpRequest,
    call: Call | None,
    shown: dict,
    errors: dict[str, str],
    *,
    frozen: bool,
    save: Callable[[], Call],
    done: str,
) -> HttpResponse:
    """The create and edit forms' POST: save through the service unless the input could not be read or
    a blank row was asked for; on a refusal show the form again as typed, with the service's message."""
    add = _add_row(request)
    if not errors and not add:
        try:
            saved = save()
        except DomainError as exc:
            errors = {"form": exc.message, **exc.field_errors}
        else:
            messages.success(request, done)
            return redirect("calls:manage_edit", pk=saved.pk)
    context = _form_context(call, shown, errors, frozen=frozen, add=add)
    return render(request, "calls/manage_edit.html", context, status=422 if errors else 200)


@bureau_only
def manage_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Call, pk=pk)
    year = request.POST.get("year", str(source.year + 1)).strip()
    error = ""
    if request.method == "POST" and not year.isdigit():
        error = "请填写2000至2100之间的年度。"
    elif request.method == "POST":
        try:
            copy = copy_call(source, year=int(year), by=request.user, ip=client_ip(request))
        except DomainError as exc:  # the range of years is the service's rule
            error = exc.field_errors.get("year") or exc.message
        else:
            messages.success(
                request,
                f"已由“{source.title}”复制为新批次（草稿），日期已顺延{copy.year - source.year}年，请核对后发布。",
            )
            return redirect("calls:manage_edit", pk=copy.pk)
    context = {"source": source, "year": year, "error": error}
    return render(request, "calls/manage_copy.html", context, status=422 if error else 200)


@bureau_only
def manage_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    step = TABLE.get((call.state, action))
    if action not in CONSEQUENCES:
        raise Http404
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST" and step is not None:
        try:
            transition_call(call, action, by=request.user, ip=client_ip(request))
        except DomainError as exc:
            message, errors = exc.message, dict(exc.field_errors)
        else:
            messages.success(request, f"本批次已{step.label}。")
            return redirect("calls:manage_edit", pk=call.pk)
    elif step is None:
        message = f"本批次当前为“{call.get_state_display()}”，不能执行此操作。"
    context = {
        "call": call,
        "action": action,
        "label": step.label if step else "",
        "consequences": CONSEQUENCES[action],
        "message": message,
        "error_lines": [(_field_label(name), text) for name, text in errors.items()],
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "calls/manage_transition.html", context, status=status)


def _field_label(name: str) -> str:
    try:
        return str(getattr(Call._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:  # "state" and other keys that name no single field
        return "批次状态" if name == "state" else name


@bureau_only
def manage_preview(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.prefetch_related("industries", "recommenders"), pk=pk)
    context = {"call": call, "now": clock.now(), "preview": True, "draft": call.state == CallState.DRAFT}
    return render(request, "calls/detail.html", context)
