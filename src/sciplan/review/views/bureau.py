"""The bureau's pages: dashboard, applications, one application's review, intake, draws, ranking."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sciplan.accounts.roles import Role
from sciplan.applications.queries import get_application_for
from sciplan.applications.workflow import Status
from sciplan.calls.models import Call, Industry, Recommender
from sciplan.core import confirmation, storage
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip
from sciplan.review import confirmations, exporters, panels, queries, scoring, services
from sciplan.review.models import (
    AvoidEntry,
    Draw,
    Expert,
    FormalOutcome,
    Ranking,
    SiteVisit,
    VisitConclusion,
)
from sciplan.review.views import bureau_only, draw_readers

PAGE_SIZE = 20


def _call(request: HttpRequest) -> Call | None:
    raw = request.GET.get("call") or request.POST.get("call")
    if raw and str(raw).isdigit():
        call = Call.objects.filter(pk=raw).first()
        if call is not None:
            return call
    return queries.default_call()


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if request.user.role not in (Role.BUREAU, Role.ADMIN):
        raise Http404
    call = _call(request)
    board = queries.dashboard(call) if call else None
    context = {
        "call": call,
        "calls": Call.objects.order_by("-opens_at"),
        "board": board,
        "chart_data": board.chart_data() if board else {},
    }
    return render(request, "review/dashboard.html", context)


@bureau_only
def application_list(request: HttpRequest) -> HttpResponse:
    call = _call(request)
    filters = {key: request.GET.get(key, "").strip() for key in ("state", "recommender", "industry", "q")}
    page = queries.bureau_list_page(call, request.GET.get("page"), per_page=PAGE_SIZE, **filters)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "call": call,
        # The filter's options show a name and compare an id: no model instances (220 recommending units
        # at province scale), no call notices.
        "calls": Call.objects.order_by("-opens_at").values("pk", "title"),
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "states": [s for s in Status.choices if s[0] != Status.DRAFT],
        "recommenders": Recommender.objects.values("pk", "name"),
        "industries": Industry.objects.values("pk", "name"),
    }
    return render(request, "review/application_list.html", context)


def _application(request: HttpRequest, pk: int):
    try:
        return get_application_for(request.user, pk)
    except NotFound:
        raise Http404 from None


def pool_help(exc: DomainError) -> list[dict[str, str]]:
    """Links to the pool filtered to what would let a failed draw succeed."""
    if not isinstance(exc, panels.PanelShort) or exc.shortfall is None:
        return []
    base = reverse("review:experts")
    links = []
    if exc.shortfall.no_account:
        links.append(
            {
                "url": f"{base}?{urlencode({'field': exc.field, 'account': 'unusable'})}",
                "text": f"本领域没有可用登录账号的专家{exc.shortfall.no_account}名：查看并邀请他们开设账号",
            }
        )
    links.append(
        {"url": f"{base}?{urlencode({'field': exc.field})}", "text": "查看本领域的专家库，新增或导入专家"}
    )
    return links


def _render_application(
    request, application, *, errors=None, form="", data=None, status=200, help_links=None, asking=""
) -> HttpResponse:
    context = {
        "application": application,
        "missing": services.intake_missing(application),
        "letter": services.letter_of(application),
        "papers": queries.papers_of(application),
        "checklist": services.checklist_items(application.call),
        "uploaded": {
            f"att_{kind}"
            for kind in application.attachments.filter(removed_at__isnull=True).values_list("kind", flat=True)
        },
        "formal_reviews": application.formal_reviews.select_related("reviewed_by"),
        "visits": SiteVisit.objects.filter(application=application).prefetch_related("files"),
        "conclusions": VisitConclusion.choices,
        "outcomes": FormalOutcome.choices,
        "avoid": AvoidEntry.objects.filter(application=application).select_related("expert"),
        "experts": Expert.objects.filter(active=True).order_by("name"),
        "seats": queries.score_progress(application),
        "vacancies": panels.vacancies(application),
        "errors": errors or {},
        "pool_help": help_links or [],
        "form": form,
        "data": data or {},
        "checked": data.getlist("checklist") if hasattr(data, "getlist") else [],
        "formal_confirm": _formal_confirmations(application, asking=asking),
    }
    due = due_stage(application)
    # The stage that is due is open, and the one whose form came back with a message; the rest fold.
    context["due_stage"] = due
    context["open_stages"] = {due, FORM_STAGE.get(form, due)}
    return render(request, "review/application.html", context, status=status)


# The form of the application page that belongs to each stage (the page's sections, by id).
FORM_STAGE = {"paper": "intake", "formal": "formal", "visit": "visits", "avoid": "avoid", "draw": "panel"}


def due_stage(application) -> str:
    """The stage of the bureau's application page that is due in the application's state."""
    if application.status in (Status.RECOMMENDED, Status.CORRECTION):
        return "intake" if not application.paper_receipts.exists() else "formal"
    if application.status == Status.UNDER_REVIEW:
        return "panel" if application.site_visits.exists() else "visits"
    if application.status in (Status.SUBMITTED, Status.ACCEPTED, Status.AWAITING_FINANCE):
        return "intake"
    return "panel"


def _formal_confirmations(application, *, asking: str = "") -> list:
    """(outcome, confirmation) of the formal review form, the one for ``asking`` open."""
    table = confirmations.formal_review(application)
    return [(outcome, c.opened() if outcome == asking else c) for outcome, c in table.items()]


@bureau_only
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_application(request, _application(request, pk))


def _act(request, pk: int, form: str, action) -> HttpResponse:
    """Run one service for the application page; on a refusal show the page again with the input kept."""
    application = _application(request, pk)
    try:
        message = action(application)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        errors = exc.field_errors or {"general": exc.message}
        return _render_application(
            request,
            application,
            errors=errors,
            form=form,
            data=request.POST,
            status=422,
            help_links=pool_help(exc),
        )
    messages.success(request, message)
    # Back to the stage just acted on: its message is shown there (sciplan.js), not off screen at the top.
    stage = FORM_STAGE.get(form)
    url = reverse("review:application", args=[application.pk])
    return redirect(url + f"#{stage}" if stage else url)


@bureau_only
@require_POST
def paper_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    def run(application):
        services.record_paper_receipt(application, request.POST, by=request.user)
        return "已登记纸质材料。"

    return _act(request, pk, "paper", run)


@bureau_only
@require_POST
def formal_review(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = request.POST.get("outcome", "")
    reason_missing = outcome != FormalOutcome.PASS and not request.POST.get("reason", "").strip()
    if not confirmation.confirmed(request) and outcome in FormalOutcome.values and not reason_missing:
        # Nothing is recorded yet: the page again, the ticks and the text kept, the question open.
        application = _application(request, pk)
        return _render_application(request, application, form="formal", data=request.POST, asking=outcome)

    def run(application):
        services.record_formal_review(
            application,
            checklist={key: True for key in request.POST.getlist("checklist")},
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
            deadline=request.POST.get("deadline", ""),
            by=request.user,
            ip=client_ip(request),
        )
        return "已记录形式审查结论。"

    return _act(request, pk, "formal", run)


@bureau_only
@require_POST
def site_visit(request: HttpRequest, pk: int) -> HttpResponse:
    def run(application):
        from django.db import transaction

        with transaction.atomic():
            visit = services.record_site_visit(application, request.POST, by=request.user)
            for upload in request.FILES.getlist("files"):
                services.add_visit_file(visit, fileobj=upload, filename=upload.name, by=request.user)
        return "已登记现场考察。"

    return _act(request, pk, "visit", run)


@bureau_only
@require_POST
def avoid(request: HttpRequest, pk: int) -> HttpResponse:
    def run(application):
        expert = Expert.objects.filter(pk=request.POST.get("expert") or 0).first()
        if expert is None:
            raise DomainError("请选择专家。", field_errors={"expert": "请选择专家。"})
        panels.add_avoid(application, expert, reason=request.POST.get("reason", ""), by=request.user)
        return f"已将{expert.name}列入回避名单。"

    return _act(request, pk, "avoid", run)


@bureau_only
@require_POST
def draw_one(request: HttpRequest, pk: int) -> HttpResponse:
    def run(application):
        size = request.POST.get("size", "")
        size_n = int(size) if size.isdigit() else 0
        draw = panels.draw_panel(
            [application.pk], size=size_n, seed=request.POST.get("seed"), by=request.user
        )
        return f"已抽取{draw.size}名专家（抽取记录#{draw.pk}）。"

    return _act(request, pk, "draw", run)


@bureau_only
@require_POST
def fill_vacancies(request: HttpRequest, pk: int) -> HttpResponse:
    def run(application):
        draw = panels.fill_vacancies(application, by=request.user)
        return f"已补抽{draw.size}名专家（抽取记录#{draw.pk}）。"

    return _act(request, pk, "draw", run)


@draw_readers
def draws(request: HttpRequest) -> HttpResponse:
    """The bureau draws here; the audit viewer reads the same records without the form."""
    call = _call(request)
    errors: dict = {}
    help_links: list[dict[str, str]] = []
    can_draw = request.user.role == Role.BUREAU
    if request.method == "POST" and not can_draw:
        raise Http404
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("applications") if v.isdigit()]
        size = request.POST.get("size", "")
        try:
            draw = panels.draw_panel(
                ids, size=int(size) if size.isdigit() else 0, seed=request.POST.get("seed"), by=request.user
            )
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from None
            errors = exc.field_errors or {"general": exc.message}
            help_links = pool_help(exc)
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已为{len(ids)}份申报书抽取{draw.size}名专家。")
            return redirect("review:draw", pk=draw.pk)
    waiting = (
        queries.bureau_applications(call, state=Status.UNDER_REVIEW)
        .filter(assignments__isnull=True)
        .order_by("industry__order", "pk")
    )
    records = list(
        Draw.objects.filter(call=call)
        .select_related("drawn_by")
        .prefetch_related("assignments__application")[:50]
    )
    names = dict(Industry.objects.values_list("code", "name"))
    for record in records:
        record.field_name = names.get(record.field, record.field)
    context = {
        "call": call,
        "calls": Call.objects.order_by("-opens_at"),
        "can_draw": can_draw,
        "waiting": waiting,
        "records": records,
        "errors": errors,
        "pool_help": help_links,
        "data": request.POST,
        "picked": request.POST.getlist("applications"),
    }
    return render(request, "review/draws.html", context, status=422 if errors else 200)


@draw_readers
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        draw = panels.get_draw_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    verification = panels.verify_draw(draw, by=request.user) if request.GET.get("verify") else None
    names = dict(Expert.objects.filter(pk__in=draw.result).values_list("pk", "name"))
    context = {
        "draw": draw,
        "drawn": [{"id": i, "name": names.get(i, "")} for i in draw.result],
        "field_name": Industry.objects.filter(code=draw.field).values_list("name", flat=True).first()
        or draw.field,
        "eligible": len(panels.draws.eligible(draw.snapshot)),
        "verification": verification,
    }
    return render(request, "review/draw.html", context)


@bureau_only
def intake(request: HttpRequest) -> HttpResponse:
    call = _call(request)
    errors: dict = {}
    if request.method == "POST" and call is not None:
        recommender = Recommender.objects.filter(pk=request.POST.get("recommender") or 0).first()
        try:
            if recommender is None:
                raise Http404
            services.record_summary_table(call, recommender, request.POST, by=request.user)
        except DomainError as exc:
            errors = {"recommender": recommender.pk, **exc.field_errors}
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已登记{recommender.name}的信息汇总表。")
            return redirect(f"{request.path}?call={call.pk}")
    rows = queries.intake(call) if call else []
    context = {
        "call": call,
        "calls": Call.objects.order_by("-opens_at"),
        "rows": rows,
        "errors": errors,
        "data": request.POST,
    }
    return render(request, "review/intake.html", context, status=422 if errors else 200)


@bureau_only
def ranking(request: HttpRequest) -> HttpResponse:
    return _ranking_page(request, _call(request))


def _ranking_page(request: HttpRequest, call, *, asking: bool = False) -> HttpResponse:
    confirmed = Ranking.objects.filter(call=call).first() if call else None
    rows = confirmed.rows if confirmed else [asdict(r) for r in scoring.compute_ranking(call)] if call else []
    question = confirmations.freeze_ranking(call) if call else None
    context = {
        "call": call,
        "calls": Call.objects.order_by("-opens_at"),
        "rows": rows,
        "confirmed": confirmed,
        "freeze_confirm": question.opened() if question and asking else question,
    }
    return render(request, "review/ranking.html", context)


@bureau_only
def ranking_export(request: HttpRequest) -> HttpResponse:
    call = _call(request)
    if call is None:
        raise Http404
    confirmed = Ranking.objects.filter(call=call).first()
    rows = confirmed.rows if confirmed else [asdict(r) for r in scoring.compute_ranking(call)]
    data = exporters.ranking_xlsx(rows, title="评审排名" if confirmed else "评审排名（未确认）")
    from sciplan.core import audit

    audit.record("review.ranking_export", actor=request.user, obj=call, ip=client_ip(request))
    return storage.bytes_response(
        data,
        filename=f"{call.year}年评审排名.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bureau_only
@require_POST
def ranking_confirm(request: HttpRequest) -> HttpResponse:
    call = _call(request)
    if call is None:
        raise Http404
    if not confirmation.confirmed(request):
        return _ranking_page(request, call, asking=True)
    try:
        ranking_row = scoring.confirm_ranking(call, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"评审排名已确认并冻结，内容校验值：{ranking_row.content_hash[:16]}…")
    return redirect(reverse("review:ranking") + f"?call={call.pk}")


@bureau_only
def rubric(request: HttpRequest) -> HttpResponse:
    call = _call(request)
    if call is None:
        raise Http404
    errors: dict = {}
    items = scoring.rubric_of(call)
    if request.method == "POST":
        items = [
            {"code": c, "label": label, "max": m}
            for c, label, m in zip(
                request.POST.getlist("code"),
                request.POST.getlist("label"),
                request.POST.getlist("max"),
                strict=False,
            )
        ]
        try:
            scoring.update_rubric(call, items, by=request.user)
        except DomainError as exc:
            errors = exc.field_errors or {"general": exc.message}
            messages.error(request, exc.message)
        else:
            messages.success(request, "评分指标已保存。")
            return redirect(f"{request.path}?call={call.pk}")
    rows = [{**item, "error": errors.get(f"max_{i}", "")} for i, item in enumerate(items)]
    rows.append({"code": "", "label": "", "max": "", "error": ""})
    context = {"call": call, "rows": rows, "errors": errors, "locked": scoring.review_started(call)}
    return render(request, "review/rubric.html", context, status=422 if errors else 200)


@bureau_only
def visit_file(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        row = services.visit_file_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    from sciplan.core import audit, filetypes

    audit.record("review.site_visit_file_download", actor=request.user, obj=row, ip=client_ip(request))
    return storage.attachment_response(
        row.storage_key, filename=row.original_name, content_type=filetypes.MIME[row.content_kind]
    )
