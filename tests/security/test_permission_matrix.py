"""STANDARDS B7, B8: persona × route × method, generated from the URL conf and the OpenAPI schema.

Every route that names an application (or something inside one: a member, platform, attachment,
version) is called for a submitted application of the lead unit 华辰 (云溪区). The expectation comes
from relations, not a hand list: personas with no relation to it — another unit, another county or
park, the system administrator, an unassigned expert — must be refused with the same answer as for an
id that does not exist (a 404 for anything scoped; never a hint that the object exists), and must
change nothing. Related personas (own unit, same county, its finance department, the bureau) get no
server error. Routes naming other objects are listed below with the reason.

Experts are swept by relation (seated and declared, pending, recused, conflicted, avoided,
unassigned) × the states draft, submitted and under review: only the declared seat, under review,
opens the application; every other combination answers as a missing object.
"""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from sciplan.accounts.roles import Role
from sciplan.api.auth import issue_token
from sciplan.applications.models import Application
from sciplan.applications.sections import SECTIONS
from sciplan.applications.workflow import Status
from sciplan.core.models import AuditEvent
from tests.security.routes import all_routes, url_for

pytestmark = pytest.mark.django_db

# kwarg name → what it refers to. ``pk`` is the application on the routes of these namespaces.
APPLICATION_NAMESPACES = ("applications:", "documents:")
APPLICATION_PK_ROUTES = {
    "review:application",
    "review:paper_receipt",
    "review:formal_review",
    "review:site_visit",
    "review:avoid",
    "review:draw_one",
    "recommendations:detail",
    "recommendations:act",
    "recommendations:credit",
    "recommendations:rank",
    "recognition:recognize",
    "recognition:decline",
}
ATTACHMENT_PK_ROUTES = {"recommendations:attachment"}

# Routes with an object id this matrix does not build objects for, and why. A new object route must be
# classified above or listed here, or the test fails naming it.
UNCLASSIFIED = {
    "calls:detail": "a call is public",
    "applications:confirm": "the one-time member token is the credential (tested by the applications suite)",
    "accounts:review_unit": "a unit registration, scoped by recommender (tests/security: test_unit_review_scope)",
    "api:unit_approve": "same relation as accounts:review_unit",
    "recognition:objection_done": "a public notice's id; the answer is read from the browser's own session",
    "accounts:unit_review": "same relation as accounts:review_unit (tests/accounts/test_unit_review.py)",
    "accounts:unit_licence": "same relation as accounts:review_unit (tests/accounts/test_unit_review.py)",
    "recommendations:letter_download": "a recommender's letter: own recommender or bureau",
    "recommendations:summary": "a call's summary table: the recommender's own applications only",
    "api:recommendation_letter_upload": "per call, own recommender",
    "api:summary_table_download": "per call, own recommender",
    "review:visit_file": "a site-visit photo: bureau only",
    "accounts:user_edit": "an account: system administrator only (tests/accounts/test_user_admin.py)",
    "accounts:user_action": "an account: system administrator only (tests/accounts/test_user_admin.py)",
    "accounts:set_password": "the one-time token is the credential (tests/accounts/test_user_admin.py)",
    "review:draw": "a panel draw: bureau only",
    "core:retry_task": "a background job: bureau and administrator only (tests/core/test_tasks.py)",
    "review:expert_edit": "an expert of the pool: bureau only",
    "review:expert_invite": "an expert of the pool: bureau only (tests/review/test_invitations.py)",
    "api:expert_invite": "an expert of the pool: bureau only (tests/review/test_invitations.py)",
    "api:expert_update": "an expert of the pool: bureau only (tests/review/test_api.py)",
    "api:summary_table_receipt_create": "per call: bureau only (tests/review/test_api.py)",
    "api:user_update": "an account: system administrator only (tests/accounts/test_user_api.py)",
    "api:user_password_reset": "an account: system administrator only (tests/accounts/test_user_api.py)",
    "api:user_authenticator_reset": "an account: system administrator only (tests/accounts/test_user_api.py)",
    "accounts:api_keys": "an integration account's keys: system administrator only (tests/api/test_api_keys.py)",
    "accounts:api_key_revoke": "an integration account's key: system administrator only (tests/api/test_api_keys.py)",
    "api:api_key_list": "an integration account's keys: system administrator only (tests/api/test_api_keys.py)",
    "api:api_key_create": "an integration account's keys: system administrator only (tests/api/test_api_keys.py)",
    "api:api_key_revoke": "an integration account's key: system administrator only (tests/api/test_api_keys.py)",
    "api:panel_verify": "a panel draw: bureau only",
    "api:ranking_get": "per call: bureau only",
    "api:ranking_confirm": "per call: bureau only",
    "api:call_get": "a call is public",
    "api:call_update": "a call: bureau only (tests/api/test_call_setup.py)",
    "api:call_copy": "a call: bureau only (tests/api/test_call_setup.py)",
    "api:call_publish": "a call: bureau only (tests/api/test_call_setup.py)",
    "api:call_close": "a call: bureau only (tests/api/test_call_setup.py)",
    "api:call_archive": "a call: bureau only (tests/api/test_call_setup.py)",
    "calls:manage_edit": "a call: bureau only (tests/calls/test_setup_pages.py)",
    "calls:manage_copy": "a call: bureau only (tests/calls/test_setup_pages.py)",
    "calls:manage_preview": "a call: bureau only (tests/calls/test_setup_pages.py)",
    "calls:manage_transition": "a call: bureau only (tests/calls/test_setup_pages.py)",
    "api:proposal_create": "per call: bureau only",
    "api:public_notice_create": "per call: bureau only",
    "api:objection_create": "public",
    "api:objection_resolve": "an objection: bureau only",
    "api:assessment_submit": "a recognition: its own consortium",
    "api:assessment_grade": "an assessment: bureau and experts",
    "recognition:notice": "public",
    "recognition:objection_new": "public",
    "recognition:register_detail": "public",
    "recognition:assessment_new": "a recognition: its own consortium",
    "recognition:letter": "a recognition letter: its own consortium and the bureau",
    "recognition:call": "per call: bureau only",
    "recognition:propose": "per call: bureau only",
    "recognition:publish": "per call: bureau only",
    "recognition:minutes_file": "a decision's minutes: bureau only",
    "recognition:objection": "an objection: bureau only",
    "recognition:revoke": "a recognition: bureau only",
    "recognition:assessment": "an assessment: bureau and experts",
    "recognition:assessment_file": "an assessment's file: its consortium, bureau, experts",
    "calls:industry_edit": "a dictionary entry: system administrator only (tests/calls/test_dictionaries.py)",
    "calls:industry_active": "a dictionary entry: system administrator only (tests/calls/test_dictionaries.py)",
    "calls:recommender_edit": "a dictionary entry: system administrator only (tests/calls/test_dictionaries.py)",
    "calls:recommender_active": "a dictionary entry: system administrator only (tests/calls/test_dictionaries.py)",
    "api:workday_calendar_update": "a calendar year: administrator and bureau (tests/api/test_dictionaries.py)",
    "api:dictionary_entry_create": "a dictionary: system administrator only (tests/api/test_dictionaries.py)",
    "api:dictionary_entry_update": "a dictionary entry: system administrator only (tests/api/test_dictionaries.py)",
    "api:dictionary_entry_activate": "a dictionary entry: system administrator only (tests/api/test_dictionaries.py)",
}

RELATED = {"applicant", "county", "finance", "bureau"}  # own unit, same county, its finance, the bureau
MISSING = 987654


def relation(persona, application: Application) -> str:
    """own / same_county / other_county / bureau / none — derived from the data, not from the name."""
    if persona.role == Role.APPLICANT:
        return "own" if persona.unit_id == application.lead_unit_id else "other_unit"
    if persona.role in (Role.RECOMMENDER, Role.FINANCE):
        return "same_county" if persona.recommender_id == application.recommender_id else "other_county"
    if persona.role == Role.BUREAU:
        return "bureau"
    if persona.role == Role.EXPERT:
        return expert_relation(persona, application)
    return "none"


def expert_relation(persona, application: Application) -> str:
    """assigned (seated, declared no conflict) / pending / recused / conflicted (works at the lead unit
    or a member) / avoided (on the avoid list) / unassigned — read from the pool record, the seat, the
    avoid list and the consortium's units, in that order of precedence."""
    from sciplan.review.models import Assignment, AvoidEntry, Expert

    expert = Expert.objects.get(user=persona)
    units = [(application.lead_unit.name, application.lead_unit.uscc)]
    units += list(application.members.values_list("name", "uscc"))
    if any(
        expert.organisation == name or (expert.organisation_uscc and expert.organisation_uscc == uscc)
        for name, uscc in units
    ):
        return "conflicted"
    if AvoidEntry.objects.filter(application=application, expert=expert).exists():
        return "avoided"
    seat = Assignment.objects.filter(application=application, expert=expert).first()
    if seat is None:
        return "unassigned"
    return {"active": "assigned", "pending": "pending", "recused": "recused"}[seat.status]


def _schema_bodies(client: Client) -> dict[str, dict]:
    """A minimal valid-looking JSON body per operationId, from the OpenAPI schema's required fields."""
    schema = client.get("/api/v1/openapi.json").json()
    components = schema.get("components", {}).get("schemas", {})

    def resolve(node):
        while isinstance(node, dict) and "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def sample(node, depth=0):
        node = resolve(node)
        if depth > 4 or not isinstance(node, dict):
            return None
        if "enum" in node:
            return node["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in node:
                return sample(node[key][0], depth + 1)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            props = node.get("properties", {})
            return {k: sample(props[k], depth + 1) for k in node.get("required", []) if k in props}
        return {"string": "测试", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind)

    bodies = {}
    for path_item in schema.get("paths", {}).values():
        for op in path_item.values():
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                bodies[op.get("operationId")] = sample(content["application/json"]["schema"]) or {}
    return bodies


def _objects(application: Application) -> dict:
    attachment = application.attachments.first()
    if attachment is None:
        from sciplan.applications.services import upload_attachment

        # Uploads are open only while the form is; the application goes back to the state it was in.
        original = Application.objects.get(pk=application.pk).status
        Application.objects.filter(pk=application.pk).update(status=Status.DRAFT)
        attachment = upload_attachment(
            application,
            kind="other",
            fileobj=io.BytesIO(b"%PDF-1.4\n%test\n"),
            filename="材料.pdf",
            by=application.created_by,
        )
        Application.objects.filter(pk=application.pk).update(status=original)
    member = application.members.first()
    platform = application.platforms.first()
    return {
        "application": application.pk,
        "attachment": attachment.pk,
        "member": member.pk if member else MISSING,
        "platform": platform.pk if platform else MISSING,
    }


def _classify(route) -> str | None:
    """What the route's id refers to: ``application`` (and parts of it), or None when unclassified."""
    kwargs = set(route.kwargs)
    if not kwargs:
        return "none"
    if route.name in ATTACHMENT_PK_ROUTES:
        return "application"
    if "application_id" in kwargs or "attachment_pk" in kwargs or "attachment_id" in kwargs:
        return "application"
    if "pk" in kwargs and (
        route.name.startswith(APPLICATION_NAMESPACES)
        or route.name in APPLICATION_PK_ROUTES
        or "applications/<int:pk>/" in route.path  # any app's page about one application
    ):
        return "application"
    return None


def _args(route, objs: dict, *, missing: bool) -> dict:
    real = {
        "pk": objs["attachment"] if route.name in ATTACHMENT_PK_ROUTES else objs["application"],
        "application_id": objs["application"],
        "attachment_pk": objs["attachment"],
        "attachment_id": objs["attachment"],
        "member_pk": objs["member"],
        "member_id": objs["member"],
        "platform_pk": objs["platform"],
        "platform_id": objs["platform"],
        "number": 1,
        "code": SECTIONS[0].code,
        "action": "accept",
        "kind": "application_pdf",
        "fmt": "xlsx",
    }
    if missing:
        for key in ("pk", "application_id", "attachment_pk", "attachment_id"):
            real[key] = MISSING
    return real


class Caller:
    def __init__(self, persona, bodies):
        self.persona = persona
        self.web = Client()
        self.web.force_login(persona)
        raw, _ = issue_token(persona, name="matrix")
        self.api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        self.bodies = bodies

    def call(self, route, method: str, kwargs: dict):
        url = url_for(route, kwargs)
        if route.api:
            op = route.name.split(":", 1)[1]
            body = json.dumps(self.bodies.get(op, {}))
            return self.api.generic(method, url, body, content_type="application/json")
        if method == "GET":
            return self.web.get(url)
        return self.web.post(url, {})


@pytest.fixture
def matrix_application(call, personas):
    from tests.factories import application_in_state

    return application_in_state(call, personas.applicant, Status.SUBMITTED)


def test_unrelated_personas_get_the_answer_of_a_missing_object(matrix_application, personas):
    objs = _objects(matrix_application)
    bodies = _schema_bodies(Client())
    unclassified = []
    problems = []
    checked = 0
    unrelated = [
        p
        for name, p in personas.items()
        if relation(p, matrix_application) in ("other_unit", "other_county", "none")
    ]
    assert {p.username for p in unrelated} >= {"applicant_b", "park", "county_b", "finance_b", "admin"}
    callers = [Caller(p, bodies) for p in unrelated]
    before = (Application.objects.get(pk=matrix_application.pk).version, matrix_application.status)
    for route in all_routes():
        kind = _classify(route)
        if kind == "none":
            continue
        if kind is None:
            if route.name not in UNCLASSIFIED:
                unclassified.append(route.name)
            continue
        for caller in callers:
            for method in route.methods:
                real = caller.call(route, method, _args(route, objs, missing=False))
                missing = caller.call(route, method, _args(route, objs, missing=True))
                checked += 1
                if real.status_code != missing.status_code or not 400 <= real.status_code < 500:
                    problems.append(
                        f"{caller.persona.username} {method} {route.name}: {real.status_code} "
                        f"(missing object: {missing.status_code})"
                    )
    after = Application.objects.get(pk=matrix_application.pk)

    assert unclassified == [], "classify these object routes or list them in UNCLASSIFIED"
    assert problems == []
    assert (after.version, after.status) == before
    assert checked > 100


def test_unclassified_lists_only_routes_that_exist_and_are_unclassified():
    names = {route.name: _classify(route) for route in all_routes()}

    stale = sorted(name for name in UNCLASSIFIED if names.get(name, "gone") is not None)

    assert stale == []


def test_related_personas_reach_the_application_without_server_errors(matrix_application, personas):
    objs = _objects(matrix_application)
    bodies = _schema_bodies(Client())
    problems = []
    reached = set()
    for name in sorted(RELATED):
        caller = Caller(personas[name], bodies)
        for route in all_routes():
            if _classify(route) != "application" or "GET" not in route.methods:
                continue
            response = caller.call(route, "GET", _args(route, objs, missing=False))
            if response.status_code >= 500:
                problems.append(f"{name} GET {route.name}: {response.status_code}")
            if response.status_code != 404:
                reached.add(route.name)

    assert problems == []
    assert {"applications:detail", "api:application_get", "api:attachment_download"} <= reached


def test_owner_and_bureau_read_the_application_others_get_404(matrix_application, personas):
    expected = {
        "applicant": 200,
        "applicant_b": 404,
        "county": 200,
        "finance": 200,
        "park": 404,
        "county_b": 404,
        "finance_b": 404,
        "bureau": 200,
        "admin": 404,
    }
    answers = {}
    for name in expected:
        raw, _ = issue_token(personas[name])
        answers[name] = (
            Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            .get(f"/api/v1/applications/{matrix_application.pk}")
            .status_code
        )

    assert answers == expected


def test_other_units_attachment_is_404_for_everyone_but_bureau_and_relations(matrix_application, personas):
    objs = _objects(matrix_application)
    url = f"/api/v1/applications/{objs['application']}/attachments/{objs['attachment']}"
    answers = {}
    for name in ("applicant", "applicant_b", "park", "county_b", "finance_b", "admin", "bureau"):
        raw, _ = issue_token(personas[name])
        answers[name] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(url).status_code

    assert answers == {
        "applicant": 200,
        "applicant_b": 404,
        "park": 404,
        "county_b": 404,
        "finance_b": 404,
        "admin": 404,
        "bureau": 200,
    }


def test_refusal_on_an_object_route_is_audited(matrix_application, personas):
    client = Client(REMOTE_ADDR="10.7.7.7")
    client.force_login(personas.applicant_b)

    response = client.get(f"/applications/{matrix_application.pk}/")

    assert response.status_code == 404
    event = AuditEvent.objects.filter(event_type="access.refused").latest("id")
    assert (event.actor_id, event.ip, event.outcome, event.object_type) == (
        personas.applicant_b.pk,
        "10.7.7.7",
        "refused",
        "applications:detail",
    )


def test_unit_review_scope(personas):
    from sciplan.accounts.models import Unit, UnitStatus

    pending = Unit.objects.get(status=UnitStatus.PENDING)  # 云溪区
    answers = {}
    for name in ("county_b", "park", "applicant", "admin"):
        client = Client()
        client.force_login(personas[name])
        answers[name] = client.post(
            f"/accounts/units/{pending.pk}/review/", {"decision": "approve", "confirm": "1"}
        ).status_code

    assert answers == {"county_b": 404, "park": 404, "applicant": 404, "admin": 404}
    assert Unit.objects.get(pk=pending.pk).status == UnitStatus.PENDING


# --- experts (STANDARDS B7: assigned, pending, recused, conflicted, avoided, unassigned) ------------------

# An application has a panel from formal review passed on; a seat opens nothing in the states before.
EXPERT_STATES = (Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW)
DECLARATION_ROUTES = {"review:declare", "api:conflict_declare"}
# What the assigned expert must reach while the application is under review: the read-only view, its
# files, the declaration and the score sheet, on the pages and on the API.
EXPERT_REACHES = {
    "applications:detail",
    "applications:download",
    "api:application_get",
    "api:attachment_download",
    "review:declare",
    "review:score",
    "api:conflict_declare",
    "api:score_submit",
}


def _answers_as_missing(real: int, missing: int) -> bool:
    """Out of scope: the answer of a missing id (404; 405 of a POST-only page; 422 of a body refused
    before any lookup), never 401/403 and never a server error."""
    return real == missing and 400 <= real < 500 and real not in (401, 403)


@pytest.fixture
def expert_matrix(call, personas):
    from tests.factories import application_in_state, seated_experts

    application = application_in_state(call, personas.applicant, Status.UNDER_REVIEW, actor=personas.bureau)
    experts = seated_experts(application, bureau=personas.bureau)
    return application, experts


def _seats(application) -> dict[str, str]:
    from sciplan.review.models import Assignment

    return dict(application.assignments.values_list("expert__user__username", "status")) | {
        "scores": str(Assignment.objects.filter(application=application, score__isnull=False).count())
    }


def test_matrix_objects_keep_the_state_of_the_application(expert_matrix):
    application, _ = expert_matrix

    _objects(application)

    assert Application.objects.get(pk=application.pk).status == Status.UNDER_REVIEW


def test_experts_reach_only_the_application_of_their_declared_seat(expert_matrix, personas):
    """Every expert relation × the states before and during review × every application route (pages
    and API, every method): out of scope answers exactly what a missing object answers, a 404 (or the
    405 of a POST-only page, the same for a missing id). Only the seated expert who declared no
    conflict, while the application is under review, reaches it — and even then changes nothing but
    what an expert may."""
    application, experts = expert_matrix
    objs = _objects(application)
    bodies = _schema_bodies(Client())
    callers = {name: Caller(user, bodies) for name, user in experts.items()}
    routes = [r for r in all_routes() if _classify(r) == "application"]
    missing_answer: dict[tuple[str, str], int] = {}
    relations: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    reached: set[str] = set()
    before = (Application.objects.get(pk=application.pk).version, _seats(application))
    for state in EXPERT_STATES:
        Application.objects.filter(pk=application.pk).update(status=state)
        current = Application.objects.get(pk=application.pk)
        relations[state] = {name: relation(user, current) for name, user in experts.items()}
        for name, caller in callers.items():
            opens = relations[state][name] == "assigned" and state == Status.UNDER_REVIEW
            for route in routes:
                if (
                    route.name in DECLARATION_ROUTES
                    and relations[state][name] == "pending"
                    and (state == Status.UNDER_REVIEW)
                ):
                    continue  # the pending expert's own declaration, tried last (it opens the seat)
                for method in route.methods:
                    real = caller.call(route, method, _args(route, objs, missing=False))
                    # A missing id relates to nobody: one answer per route and method for the role.
                    key = (route.name, method)
                    if key not in missing_answer:
                        missing_answer[key] = caller.call(
                            route, method, _args(route, objs, missing=True)
                        ).status_code
                    answer = f"{name}@{state} {method} {route.name}: {real.status_code}"
                    if real.status_code >= 500:
                        problems.append(answer)
                    elif opens:
                        if real.status_code != 404 and method in ("GET", "POST"):
                            reached.add(route.name)
                    elif not _answers_as_missing(real.status_code, missing_answer[key]):
                        problems.append(f"{answer} (missing object: {missing_answer[key]})")
    after = (Application.objects.get(pk=application.pk).version, _seats(application))

    assert problems == []
    assert relations[Status.UNDER_REVIEW] == {
        "expert_active": "assigned",
        "expert_pending": "pending",
        "expert_recused": "recused",
        "expert_conflicted": "conflicted",
        "expert_avoided": "avoided",
        "expert_unassigned": "unassigned",
    }
    assert EXPERT_REACHES - reached == set()
    assert after == before
    # The declaration is what opens a pending seat, and only once the application is under review.
    declared = callers["expert_pending"].api.post(
        f"/api/v1/review/assignments/{application.pk}/declaration",
        json.dumps({"conflict": False}),
        content_type="application/json",
    )
    opened = callers["expert_pending"].api.get(f"/api/v1/applications/{application.pk}")
    assert (declared.status_code, opened.status_code) == (200, 200)


def test_expert_lists_show_only_the_declared_seat_under_review(expert_matrix):
    application, experts = expert_matrix
    answers = {}
    for name, user in experts.items():
        raw, _ = issue_token(user)
        listed = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/applications").json()
        answers[name] = [item["id"] for item in listed["items"]]

    assert answers == {
        "expert_active": [application.pk],
        "expert_pending": [],
        "expert_recused": [],
        "expert_conflicted": [],
        "expert_avoided": [],
        "expert_unassigned": [],
    }


def test_expert_seat_on_an_application_sent_back_opens_nothing(expert_matrix):
    application, experts = expert_matrix
    raw, _ = issue_token(experts["expert_active"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    answers = {}
    for state in (Status.UNDER_REVIEW, Status.PROPOSED, Status.RETURNED, Status.WITHDRAWN, Status.DRAFT):
        Application.objects.filter(pk=application.pk).update(status=state)
        answers[state] = api.get(f"/api/v1/applications/{application.pk}").status_code

    assert answers == {
        Status.UNDER_REVIEW: 200,
        Status.PROPOSED: 200,
        Status.RETURNED: 404,
        Status.WITHDRAWN: 404,
        Status.DRAFT: 404,
    }
