"""XSS (STANDARDS C14): a script payload in every text field, opened by every role in a real browser.

The application is built through the services (the setup is not what is tested): the payload goes into
every free-text field of every section, the consortium direction, a member, a platform, the
recommender's opinion, the bureau's notes, an expert's comments, the decision minutes, the notice text
and a public objection. Then each person opens every page that shows it; the ``new_page`` fixture fails
the test if any ``alert`` runs, and each page must show the payload as text.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine

from sciplan.applications import actions, services
from sciplan.applications.demo import _upload, build_complete_application, sample_pdf
from sciplan.applications.models import Application, AttachmentKind
from sciplan.applications.workflow import Action
from sciplan.calls.models import Industry
from sciplan.core import clock
from sciplan.core.errors import ValidationFailed
from sciplan.recognition import services as recognition
from sciplan.recognition.models import Objection
from sciplan.recommendations import services as recommendations
from sciplan.recommendations.models import CreditSource
from sciplan.review import panels, scoring
from sciplan.review import services as review
from sciplan.review.models import FormalOutcome
from tests.e2e import steps
from tests.e2e.conftest import login
from tests.e2e.test_story import make_experts

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
REFUSED: dict[str, str] = {}
SHORT = "<img src=x onerror=alert(3)>"  # the direction holds 30 characters


def _recognized_with_payload(call, personas, experts):
    applicant, county, finance, bureau = (personas[n] for n in ("applicant", "county", "finance", "bureau"))
    application = build_complete_application(call, applicant, direction=SHORT)
    values = steps.section_values(call, SHORT, Industry.objects.get(code="petrochem").pk, text=PAYLOAD)
    for code, data in values.items():
        # Fields whose validation refuses the payload (names, mobile numbers) keep their valid text.
        for _attempt in range(3):
            application.refresh_from_db()
            try:
                services.save_section(application, code, data, base_version=application.version, by=applicant)
                break
            except ValidationFailed as refused:
                REFUSED.update(refused.field_errors)
                data = _shorter(data, refused.field_errors)
    member_data = steps.member_values(2, text=PAYLOAD) | {"uscc": _code()}
    for _attempt in range(3):
        try:
            member = services.add_member(application, member_data, by=applicant)
            break
        except ValidationFailed as refused:
            REFUSED.update({f"member.{k}": v for k, v in refused.field_errors.items()})
            member_data = _shorter(member_data, refused.field_errors)
    _upload(application, applicant, AttachmentKind.AGREEMENT, f"{PAYLOAD}.pdf", member_id=member.member.pk)
    services.confirm_member(member.confirm_token, confirmer_name="成员负责人")
    platform = services.add_platform(
        application, {"name": PAYLOAD, "level": 2, "authority": PAYLOAD, "year": 2020}, by=applicant
    )
    _upload(application, applicant, AttachmentKind.PLATFORM_CERTIFICATE, "证书.pdf", platform_id=platform.pk)
    application = Application.objects.get(pk=application.pk)
    services.submit_application(application, by=applicant)

    today = clock.local(clock.now()).date()
    actions.perform(Application.objects.get(pk=application.pk), Action.ACCEPT, by=county)
    recommendations.record_credit_checks(
        Application.objects.get(pk=application.pk),
        {s: {"result": "clean", "checked_on": today, "note": PAYLOAD} for s in CreditSource.values},
        by=county,
    )
    recommendations.upload_letter(
        call, fileobj=io.BytesIO(sample_pdf()), filename=f"{PAYLOAD}.pdf", by=county
    )
    actions.perform(
        Application.objects.get(pk=application.pk), Action.RECOMMEND, by=county, payload={"opinion": PAYLOAD}
    )
    actions.perform(Application.objects.get(pk=application.pk), Action.FINANCE_CONFIRM, by=finance)

    application = Application.objects.get(pk=application.pk)
    review.record_paper_receipt(
        application,
        {"received_on": today, "copies": 3, "received_by": PAYLOAD[:20], "note": PAYLOAD},
        by=bureau,
    )
    checklist = {key: True for key, _ in review.checklist_items(call)}
    review.record_formal_review(application, checklist=checklist, outcome=FormalOutcome.PASS, by=bureau)
    panels.draw_panel([application.pk], size=len(experts), seed=PAYLOAD, by=bureau)
    rubric = scoring.rubric_of(call)
    for expert in experts:
        assignment = panels.get_assignment_for(expert.user, application.pk)
        panels.declare(assignment, conflict=False, by=expert.user)
        scoring.submit_score(
            assignment,
            values={item["code"]: str(item["max"]) for item in rubric},
            comments={item["code"]: PAYLOAD for item in rubric},
            by=expert.user,
        )
    scoring.confirm_ranking(call, by=bureau)
    recognition.propose(
        call,
        application_ids=[application.pk],
        meeting_date=today,
        attendees=PAYLOAD,
        minutes=PAYLOAD,
        by=bureau,
    )
    notice = recognition.publish_notice(call, starts_on=today, body=PAYLOAD, by=bureau)
    objection = recognition.file_objection(
        notice,
        {
            "application": application.pk,
            "objector_kind": "person",
            "objector_name": PAYLOAD[:20],
            "objector_mobile": "13907302222",
            "content": PAYLOAD,
        },
    )
    recognition.resolve_objection(objection, outcome="not_upheld", investigation=PAYLOAD, by=bureau)
    with time_machine.travel(notice.ends_at + timedelta(hours=1), tick=False):
        recognition.recognize(application, doc_number=PAYLOAD[:30], recognized_on=today, by=bureau)
    # Only length limits and fixed choices refuse the payload; nothing is refused for its characters.
    assert all("不能超过" in m or "请从列表中选择" in m for m in REFUSED.values()), REFUSED
    return Application.objects.get(pk=application.pk), notice


def _shorter(data: dict, errors: dict) -> dict:
    """A field too short for the payload gets the short one; a choice that refuses it keeps its value."""
    kept = {k: v for k, v in data.items() if k not in errors}
    return kept | {k: SHORT for k, message in errors.items() if "不能超过" in message and data[k] != SHORT}


def _code() -> str:
    from sciplan.accounts import uscc

    return uscc.build("91430600", "MA4L0X99")


def _visit(page, paths: list[str], shoot, who: str) -> None:
    for index, path in enumerate(paths):
        page.goto(page.base + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("img[src=x]").count() == 0, path
        inline = "script:not([src]):not([type='application/json'])"
        assert page.evaluate(f'document.querySelectorAll("{inline}").length') == 0, path
        if index == 0:
            shoot(page, f"xss-{who}")


def test_no_script_runs_for_any_role(new_page, personas, call, shoot):
    call.panel_min_size = 3  # a panel of three is enough to put the payload everywhere
    call.save(update_fields=["panel_min_size"])
    experts = make_experts(3)
    application, notice = _recognized_with_payload(call, personas, experts)
    pk = application.pk
    version = application.versions.order_by("number").last().number
    recognition_pk = application.recognition.pk
    objection_pk = Objection.objects.get(notice=notice).pk

    applicant_pages = [f"/applications/{pk}/"] + [
        f"/applications/{pk}/section/{code}/"
        for code in ("basic", "lead", "governance", "basis", "tasks", "plan")
    ]
    applicant_pages += [
        f"/applications/{pk}/members/",
        f"/applications/{pk}/platforms/",
        f"/applications/{pk}/attachments/",
        f"/applications/{pk}/eligibility/",
        f"/applications/{pk}/versions/{version}/",
        f"/applications/{pk}/versions/{version}/receipt/",
        f"/documents/{pk}/",
        "/applications/",
        "/recognition/mine/",
        "/notifications/",
    ]
    recommender_pages = [
        "/recommend/worklist/",
        f"/recommend/applications/{pk}/",
        f"/applications/{pk}/",
        f"/applications/{pk}/members/",
        f"/applications/{pk}/platforms/",
        f"/applications/{pk}/section/plan/",
        f"/recommend/letter/?call={call.pk}",
    ]
    bureau_pages = [
        f"/review/applications/{pk}/",
        "/review/dashboard/",
        f"/review/applications/?call={call.pk}",
        f"/review/intake/?call={call.pk}",
        f"/review/draws/?call={call.pk}",
        f"/review/ranking/?call={call.pk}",
        f"/applications/{pk}/",
        f"/applications/{pk}/members/",
        f"/applications/{pk}/section/governance/",
        f"/recognition/calls/{call.pk}/",
        f"/recognition/objections/{objection_pk}/",
        "/accounts/audit/",
    ]
    expert_pages = ["/review/assignments/", f"/review/assignments/{pk}/score/", f"/applications/{pk}/"]
    public_pages = [
        "/gongshi/",
        f"/gongshi/{notice.pk}/",
        f"/gongshi/{notice.pk}/objection/?application={pk}",
        "/recognized/",
        f"/recognized/{recognition_pk}/",
    ]

    for who, paths in (
        ("applicant", applicant_pages),
        ("county", recommender_pages),
        ("finance", recommender_pages),
        ("bureau", bureau_pages),
        (experts[0].user.username, expert_pages),
    ):
        page = new_page()
        login(page, who)
        _visit(page, paths, shoot, who.split("_")[0])
        page.context.close()
    public = new_page()
    _visit(public, public_pages, shoot, "public")

    # The payload is shown as text, not dropped: on the section page, in the register.
    page = new_page()
    login(page, "applicant")
    page.goto(f"{page.base}/applications/{pk}/section/plan/")
    assert (
        page.get_by_label("预期成果").input_value() == PAYLOAD
        if page.get_by_label("预期成果").count()
        else True
    )
    page.goto(f"{page.base}/applications/{pk}/members/")
    assert PAYLOAD in page.locator("main").inner_text()
    public.goto(f"{public.base}/recognized/{recognition_pk}/")
    assert SHORT in public.locator("main").inner_text()
