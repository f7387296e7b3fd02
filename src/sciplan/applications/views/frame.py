"""What every page of one application shares: fetching it in the user's scope, the side menu, the
progress bar, the send-back banner and small formatting helpers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from django.urls import reverse

from sciplan.applications import eligibility, permissions, queries, services, workflow
from sciplan.applications.models import Application, AttachmentKind, StatusEvent
from sciplan.applications.sections import BY_CODE, SECTIONS
from sciplan.applications.workflow import Action, Status
from sciplan.core import filetypes, masking
from sciplan.core.errors import NotFound

STEPS = ("填写申报书", "提交", "推荐单位受理", "推荐", "形式审查", "专家评审", "公示", "认定")
# state → (index of the step in progress, stopped there for good)
STEP_OF: dict[str, tuple[int, bool]] = {
    Status.DRAFT: (0, False),
    Status.RETURNED: (0, False),
    Status.SUBMITTED: (2, False),
    Status.WITHDRAWN: (1, True),
    Status.ACCEPTED: (3, False),
    Status.AWAITING_FINANCE: (3, False),
    Status.NOT_RECOMMENDED: (3, True),
    Status.RECOMMENDED: (4, False),
    Status.CORRECTION: (4, False),
    Status.FORMAL_REVIEW_FAILED: (4, True),
    Status.UNDER_REVIEW: (5, False),
    Status.PROPOSED: (6, False),
    Status.IN_PUBLIC_NOTICE: (6, False),
    Status.NOT_RECOGNIZED: (6, True),
    Status.RECOGNIZED: (8, False),
    Status.REVOKED: (7, True),
}
BADGE = {
    Status.RETURNED: "badge-warn",
    Status.CORRECTION: "badge-warn",
    Status.RECOGNIZED: "badge-ok",
    Status.RECOMMENDED: "badge-ok",
    Status.SUBMITTED: "badge-info",
    Status.DRAFT: "",
}
ACTION_PAGES = {Action.SUBMIT: "submit", Action.SUBMIT_CORRECTION: "submit", Action.WITHDRAW: "withdraw"}


def application_for(request: HttpRequest, pk: int) -> Application:
    try:
        return queries.application_detail(request.user, pk)
    except NotFound:
        raise Http404 from None


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Autosave") == "1" or "application/json" in request.headers.get("Accept", "")


def steps_of(status: str) -> list[dict[str, Any]]:
    current, stopped = STEP_OF.get(status, (0, False))
    steps = []
    for index, label in enumerate(STEPS):
        state = "done" if index < current else "current" if index == current else ""
        if stopped and index == current:
            state = "stopped"
        steps.append({"label": label, "state": state})
    return steps


def _filled(application: Application, name: str) -> bool:
    value = getattr(application, name + "_id" if name == "industry" else name)
    return value not in (None, "", [])


def _nav(application: Application, current: str, user, checked=None) -> list[dict[str, Any]]:
    """The side menu of an application's pages, with a mark for each section that is complete."""
    pk = application.pk
    # One read of the files, members and platforms serves the menu's marks and its self-check.
    prefetch_related_objects([application], "attachments", "members", "platforms", "finance_years")

    def item(code: str, label: str, url: str, done: bool | None = None) -> dict[str, Any]:
        return {"code": code, "label": label, "url": url, "current": code == current, "done": done}

    items = [item("overview", "申报概况", reverse("applications:detail", args=[pk]))]
    for section in SECTIONS:
        url = reverse("applications:section", args=[pk, section.code])
        done = all(_filled(application, n) for n in section.required)
        items.append(item(section.code, section.title, url, done))
        if section.code == "lead":
            platforms = list(application.platforms.all())
            items.append(
                item("platforms", "研发平台", reverse("applications:platforms", args=[pk]), bool(platforms))
            )
            members = list(application.members.all())
            confirmed = bool(members) and all(m.is_confirmed for m in members)
            items.append(item("members", "成员单位", reverse("applications:members", args=[pk]), confirmed))
    present = {a.kind for a in application.attachments.all() if a.removed_at is None}
    attached = set(application.call.required_attachments) <= present
    items.append(item("attachments", "附件材料", reverse("applications:attachments", args=[pk]), attached))
    # Ticked while the form can change when every hard rule of the self-check passes (the check submitting
    # runs; ``checked`` when the page has run it already). Once submitted it is not recomputed: the
    # status page is the one read most during the deadline surge.
    eligible = None
    if application.status in workflow.EDITABLE:
        results = checked if checked is not None else eligibility.check_application(application)
        eligible = not eligibility.hard_failures(results)
    items.append(item("eligibility", "资格自查", reverse("applications:eligibility", args=[pk]), eligible))
    if permissions.relates_to(user, application) and user.role == "applicant":
        items.append(item("submit", "提交申报", reverse("applications:submit", args=[pk])))
    return items


def page_context(
    request: HttpRequest, application: Application, current: str, *, checked=None, **context
) -> dict:
    """The context every page of one application needs: the application, its menu, editability, badge.
    ``checked``: the self-check's results when the page has run it (the menu's mark reuses them)."""
    nav = _nav(application, current, request.user, checked)
    position = next((i for i, item in enumerate(nav) if item["current"]), None)
    context.update(
        application=application,
        nav=nav,
        previous_item=nav[position - 1] if position else None,
        next_item=nav[position + 1] if position is not None and position + 1 < len(nav) else None,
        editable=permissions.can_edit(request.user, application),
        badge=BADGE.get(application.status, "badge-bad" if application.status in workflow.FINAL else ""),
        send_back=_send_back(application),
        show_pii=sees_personal_data(request.user, application),
    )
    return context


def sees_personal_data(user, application: Application) -> bool:
    """Phone numbers and e-mails in full for the lead unit's own users and the bureau (whose unmasked
    views are audited); masked for everyone else (STANDARDS E25)."""
    own = user.role == "applicant" and permissions.relates_to(user, application)
    return own or masking.can_unmask(user)


def _send_back(application: Application) -> StatusEvent | None:
    """The latest send-back while the application is back with its owner: its reason leads every page."""
    if application.status not in (Status.RETURNED, Status.CORRECTION):
        return None
    return (
        application.events.filter(to_status=application.status)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def human_size(size: int) -> str:
    if size >= 1048576:
        return f"{size / 1048576:.1f} MB"
    return f"{max(size / 1024, 0.1):.1f} KB"


def accept_attr(kind: str) -> str:
    """A hint for the browser's file picker; the server still checks the content."""
    extensions = [filetypes.EXTENSIONS[k] for k in services.ALLOWED_TYPES[AttachmentKind(kind)]]
    if "jpg" in extensions:
        extensions.append("jpeg")
    return ",".join("." + e for e in extensions)


# The pages (besides the form sections) where a failed self-check rule is fixed.
FIX_PAGES = {"platforms": "研发平台", "members": "成员单位", "attachments": "附件材料"}


def fix_links(application: Application, targets: list[str], *, anchor: str = "") -> list[dict[str, str]]:
    """Links to the places that fix a failed rule (``RuleResult.fix_targets``): label and address."""
    links = []
    for target in targets:
        if target in FIX_PAGES:
            links.append(
                {"label": FIX_PAGES[target], "url": reverse(f"applications:{target}", args=[application.pk])}
            )
        elif target in BY_CODE:
            url = reverse("applications:section", args=[application.pk, target])
            links.append({"label": BY_CODE[target].title, "url": url + anchor})
    return links


def pop_upload_error(request: HttpRequest) -> dict[str, str]:
    error = request.session.pop("upload_error", None)
    return {error["form"]: error["message"]} if error else {}
