"""Pages of recommending units and their finance departments: the work list, an application's detail
with the decision forms, credit checks, the recommendation letter, the summary table and downloads.

Every page is for the recommender and finance roles only and reads through their jurisdiction: an
application, file or export outside it is 404, whoever asks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sciplan.accounts.roles import Role
from sciplan.accounts.services import units_pending_for
from sciplan.applications import actions
from sciplan.applications.workflow import Action, Status, actions_for, check
from sciplan.core import audit, clock, storage
from sciplan.core.confirmation import confirmed
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.filetypes import MIME
from sciplan.core.http import client_ip
from sciplan.recommendations import confirmations, exporters, queries, services
from sciplan.recommendations.display import snapshot_sections
from sciplan.recommendations.models import CreditSource, RecommendationLetter

# The form each action needs on the detail page: (field name, label) of its text, or None.
ACTION_TEXT = {
    Action.ACCEPT: None,
    Action.RETURN: ("reason", "退回理由（申报单位可见）"),
    Action.RECOMMEND: ("opinion", "推荐意见"),
    Action.DECLINE: ("reason", "不予推荐的理由"),
    Action.FINANCE_CONFIRM: None,
    Action.FINANCE_REFUSE: ("reason", "不同意推荐的理由"),
}
DONE: dict[str, str] = {
    Action.ACCEPT: "已受理。",
    Action.RETURN: "已退回修改，申报单位将收到退回理由。",
    Action.DECLINE: "已作出不予推荐的决定。",
    Action.FINANCE_CONFIRM: "已确认推荐，本次推荐生效。",
    Action.FINANCE_REFUSE: "已不同意推荐，申报已退回推荐单位。",
}


def _done_message(action: str, status: str) -> str:
    if action == Action.RECOMMEND:
        return "已推荐，待财政部门确认后生效。" if status == Status.AWAITING_FINANCE else "已推荐。"
    return DONE.get(action, "操作已完成。")


_REFUSALS = frozenset({Action.RETURN, Action.DECLINE, Action.FINANCE_REFUSE})


def _scoped(request: HttpRequest) -> None:
    try:
        queries.ensure_recommender_user(request.user)
    except NotFound:
        raise Http404 from None


WORKLIST_PAGE_SIZE = 50


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    _scoped(request)
    user: Any = request.user
    try:
        call = queries.current_call(user, request.GET.get("call"))
    except NotFound:
        raise Http404 from None
    filters = {k: request.GET.get(k, "").strip() for k in ("status", "industry", "q")}
    # A page of the work list at a time: a county with hundreds of applications must not render them all.
    page = Paginator(queries.worklist(user, call, **filters), WORKLIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "call": call,
        "calls": queries.calls_for(user),
        "applications": page.object_list,
        "page": page,
        "query": query.urlencode(),
        "counts": queries.state_counts(user, call),
        "total": None,
        "filters": filters,
        "statuses": [(c, label) for c, label in Status.choices if c != Status.DRAFT],
        "industries": call.industries.all(),
        "deadline": queries.recommend_deadline(call, user.recommender),
        "now": clock.now(),
        "letter": queries.letter_for(call.pk, user.recommender_id),
        "pending_units": units_pending_for(user).count() if user.role == Role.RECOMMENDER else 0,
    }
    context["total"] = sum(c["count"] for c in context["counts"])
    context["remaining"] = context["deadline"].remaining(context["now"])
    return render(request, "recommendations/worklist.html", context)


def _action_forms(application, user, *, asking: str = "") -> list[dict]:
    """The decision forms of the detail page; ``asking`` is the action whose confirmation is open."""
    forms = []
    # The decision that moves the application forward first, the refusals after it.
    ordered = sorted(actions_for(application.status, user.role), key=lambda a: a in _REFUSALS)
    for action in ordered:
        if action not in ACTION_TEXT:
            continue
        refusal = check(application, action, by=user, reason="-")
        confirmation = confirmations.for_action(action, application)
        if confirmation and action == asking:
            confirmation = confirmation.opened()
        forms.append(
            {
                "code": action.value,
                "label": action.label,
                "text": ACTION_TEXT[action],
                "blocked": refusal.message if refusal else "",
                "confirm": confirmation,
                "css": confirmation.css if confirmation else "btn",
            }
        )
    return forms


def _detail_context(request: HttpRequest, application, **extra) -> dict:
    versions = queries.versions_of(application)
    wanted = request.GET.get("version")
    shown = next((v for v in versions if str(v.number) == wanted), versions[-1] if versions else None)
    recommendation = queries.recommendation_for(application)
    checks = queries.credit_checks_of(application)
    ranked = queries.ranked(application.call_id, application.recommender_id)
    context = {
        "application": application,
        "versions": versions,
        "version": shown,
        "sections": snapshot_sections(shown.snapshot) if shown else [],
        "snapshot": shown.snapshot if shown else {},
        "events": application.events.select_related("actor").order_by("at", "id"),
        "recommendation": recommendation,
        "ranked": ranked,
        "next_rank": len(ranked) + 1,
        "credit_rows": [(code, label, checks.get(code)) for code, label in CreditSource.choices],
        "credit_problem": queries.credit_status(checks),
        "credit_editable": getattr(request.user, "role", None) == Role.RECOMMENDER
        and application.status in services.CREDIT_EDITABLE,
        "action_forms": _action_forms(application, request.user, asking=extra.pop("asking", "")),
        "deadline": queries.recommend_deadline(application.call, application.recommender),
        "now": clock.now(),
        "letter": queries.letter_for(application.call_id, application.recommender_id),
        "errors": {},
        "posted": {},
        "failed_action": "",
    }
    context["remaining"] = context["deadline"].remaining(context["now"])
    context.update(extra)
    return context


def _application(request: HttpRequest, pk: int):
    try:
        return queries.application_for(request.user, pk)
    except NotFound:
        raise Http404 from None


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    return render(request, "recommendations/detail.html", _detail_context(request, application))


def _refused(request: HttpRequest, application, exc: DomainError, **extra) -> HttpResponse:
    if exc.status == 404:
        raise Http404
    errors = dict(exc.field_errors) or {"form": exc.message}
    context = _detail_context(request, application, errors=errors, error_message=exc.message, **extra)
    return render(request, "recommendations/detail.html", context, status=exc.status)


def _may_ask(application, action: str, user, posted: dict[str, str]) -> bool:
    """Ask for confirmation only when the decision could be taken: a missing text or a refusal of the
    workflow is answered at once, beside the field, without a question first."""
    text = ACTION_TEXT[Action(action)]
    if text and not posted[text[0]].strip():
        return False
    if action == Action.RECOMMEND:
        services.clean_rank(posted["rank"])  # a rank that cannot be taken is said before any question
    return check(application, action, by=user, reason=posted["reason"] or "-") is None


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    application = _application(request, pk)
    if action not in ACTION_TEXT:
        raise Http404
    posted = {k: request.POST.get(k, "") for k in ("reason", "opinion", "rank")}
    try:
        if not confirmed(request) and _may_ask(application, action, request.user, posted):
            # Nothing is decided yet: the same page, what was typed kept, the confirmation open.
            context = _detail_context(
                request, application, posted=posted, failed_action=action, asking=action
            )
            return render(request, "recommendations/detail.html", context)
        actions.perform(
            application,
            action,
            by=request.user,
            reason=posted["reason"],
            idempotency_key=request.POST.get("idempotency_key") or None,
            ip=client_ip(request),
            payload={"opinion": posted["opinion"], "rank": posted["rank"]},
        )
    except DomainError as exc:
        return _refused(request, application, exc, posted=posted, failed_action=action)
    application.refresh_from_db(fields=["status"])
    messages.success(request, _done_message(action, application.status))
    return redirect("recommendations:detail", pk=application.pk)


@login_required
@require_POST
def credit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    entries = {
        source: {
            "result": request.POST.get(f"{source}_result", ""),
            "checked_on": request.POST.get(f"{source}_checked_on", ""),
            "note": request.POST.get(f"{source}_note", ""),
        }
        for source in CreditSource.values
    }
    try:
        services.record_credit_checks(application, entries, by=request.user, ip=client_ip(request))
    except DomainError as exc:
        posted = {f"{s}_{k}": v for s, e in entries.items() for k, v in e.items()}
        return _refused(request, application, exc, posted=posted, failed_action="credit")
    messages.success(request, "信用核查结果已保存。")
    return redirect(reverse("recommendations:detail", args=[application.pk]) + "#credit")


@login_required
@require_POST
def rank(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    try:
        rec = services.move_rank(
            application, rank=request.POST.get("rank"), by=request.user, ip=client_ip(request)
        )
    except DomainError as exc:
        return _refused(
            request, application, exc, posted={"rank": request.POST.get("rank", "")}, failed_action="rank"
        )
    messages.success(request, f"推荐排序已调整为第{rec.rank}位。")
    return redirect("recommendations:detail", pk=application.pk)


@login_required
def letter(request: HttpRequest) -> HttpResponse:
    _scoped(request)
    user: Any = request.user
    try:
        call = queries.current_call(user, request.GET.get("call") or request.POST.get("call"))
    except NotFound:
        raise Http404 from None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = {"file": "请选择要上传的推荐函文件。"}
            status = 422
        else:
            try:
                services.upload_letter(
                    call, fileobj=upload, filename=upload.name or "", by=user, ip=client_ip(request)
                )
            except DomainError as exc:
                if exc.status == 404:
                    raise Http404 from None
                errors, status = (dict(exc.field_errors) or {"file": exc.message}), exc.status
            else:
                messages.success(request, "推荐函已上传。")
                return redirect(reverse("recommendations:letter") + f"?call={call.pk}")
    history = RecommendationLetter.objects.filter(
        call=call, recommender_id=user.recommender_id
    ).select_related("uploaded_by")
    context = {
        "call": call,
        "calls": queries.calls_for(user),
        "letter": queries.letter_for(call.pk, user.recommender_id),
        "history": history,
        "errors": errors,
        "can_upload": user.role == Role.RECOMMENDER,
    }
    return render(request, "recommendations/letter.html", context, status=status)


@login_required
def letter_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    user: Any = request.user
    try:
        item = RecommendationLetter.objects.select_related("call").get(pk=pk)
        queries.recommender_for(user, item.call, item.recommender_id)
    except (RecommendationLetter.DoesNotExist, NotFound):
        raise Http404 from None
    audit.record("recommendation.letter_download", actor=user, obj=item, ip=client_ip(request))
    return storage.attachment_response(
        item.storage_key,
        filename=item.original_name,
        content_type=MIME.get(item.content_kind, "application/octet-stream"),
    )


@login_required
def summary(request: HttpRequest, call_id: int, fmt: str) -> HttpResponseBase:
    try:
        data, filename, content_type = exporters.export_summary(
            request.user, call_id, fmt, recommender_id=request.GET.get("recommender"), ip=client_ip(request)
        )
    except DomainError:
        raise Http404 from None
    return storage.bytes_response(data, filename=filename, content_type=content_type)
