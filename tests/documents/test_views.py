"""Downloads, the draft preview and the public verification page, by persona."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from sciplan.core.models import AuditEvent
from sciplan.documents import codes
from sciplan.documents.models import DocumentKind, GeneratedDocument, VersionCode

KINDS = list(DocumentKind.values)


def _url(kind, version):
    return reverse(f"documents:{kind}", args=[version.application_id, version.number])


@pytest.mark.parametrize("persona", ["applicant", "county", "finance", "bureau"])
def test_download_by_persona_who_may_see_is_an_audited_attachment(client, personas, version, persona):
    client.force_login(personas[persona])

    response = client.get(_url("application_pdf", version))

    filename = quote(f"岳阳市高性能聚烯烃新材料创新联合体申报书_第{version.number}版.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f"attachment; filename*=UTF-8''{filename}"
    assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("application/pdf", "nosniff")
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    event = AuditEvent.objects.filter(event_type="document.download").latest("id")
    assert (event.actor_id, event.detail["kind"], event.detail["version"]) == (
        personas[persona].pk,
        "application_pdf",
        1,
    )


@pytest.mark.parametrize("persona", ["applicant_b", "park", "county_b", "finance_b", "admin"])
@pytest.mark.parametrize("kind", KINDS)
def test_download_by_persona_of_another_unit_is_404(client, personas, version, persona, kind):
    client.force_login(personas[persona])

    response = client.get(_url(kind, version))

    assert response.status_code == 404
    assert GeneratedDocument.objects.count() == 0


def test_download_anonymous_is_sent_to_sign_in(client, version):
    response = client.get(_url("receipt_pdf", version))

    assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("accounts:login"))


def test_download_unknown_version_is_404(client, personas, version):
    client.force_login(personas.applicant)

    response = client.get(reverse("documents:application_pdf", args=[version.application_id, 9]))

    assert response.status_code == 404


def test_download_twice_generates_once(client, personas, version):
    client.force_login(personas.applicant)

    first = b"".join(client.get(_url("plan_docx", version)).streaming_content)
    second = b"".join(client.get(_url("plan_docx", version)).streaming_content)

    assert (first == second, GeneratedDocument.objects.filter(kind="plan_docx").count()) == (True, 1)


def test_download_of_tampered_cached_file_is_regenerated(client, personas, version):
    from sciplan.core.storage import private_storage

    client.force_login(personas.applicant)
    b"".join(client.get(_url("receipt_pdf", version)).streaming_content)
    row = GeneratedDocument.objects.get(kind="receipt_pdf")
    path = private_storage().path(row.storage_key)
    with open(path, "wb") as handle:
        handle.write(b"%PDF-forged")

    data = b"".join(client.get(_url("receipt_pdf", version)).streaming_content)

    assert (data.startswith(b"%PDF-1"), b"forged" in data) == (True, False)


def test_draft_preview_only_for_the_lead_units_own_users(client, personas, complete_application):
    url = reverse("documents:draft_preview", args=[complete_application.pk])
    answers = {}
    for persona in ("applicant", "applicant_b", "county", "bureau"):
        client.force_login(personas[persona])
        answers[persona] = client.get(url).status_code

    assert answers == {"applicant": 200, "applicant_b": 404, "county": 404, "bureau": 404}


def test_verify_page_round_trip_shows_the_version(client, version):
    code = codes.code_for(version)

    response = client.get(reverse("documents:verify"), {"code": codes.display(code).lower()})

    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "岳阳市高性能聚烯烃新材料创新联合体",
        "岳阳华辰新材料股份有限公司",
        "第1版",
        "有效：为该申报书最新提交的版本",
        version.receipt_no,
    ):
        assert text in body, text


def test_verify_page_altered_code_is_refused(client, version):
    code = codes.code_for(version)
    altered = code[:5] + ("Z" if code[5] != "Z" else "Y") + code[6:]

    body = client.get(reverse("documents:verify"), {"code": altered}).content.decode()

    assert ("校验码输入有误" in body, "岳阳华辰新材料股份有限公司" in body) == (True, False)


def test_verify_page_well_formed_unknown_code_says_not_found(client, db):
    data = "ABCDEFGHJKL"
    code = data + codes.check_character(data)

    body = client.get(reverse("documents:verify"), {"code": code}).content.decode()

    assert "未找到与该校验码对应的申报文档" in body


def test_verify_page_superseded_version_says_so(client, resubmitted):
    first = resubmitted.versions.get(number=1)
    code = codes.code_for(first)

    body = client.get(reverse("documents:verify"), {"code": code}).content.decode()

    assert ("已被第2版取代" in body, "有效：为该申报书最新提交的版本" in body) == (True, False)


def test_verify_code_is_recorded_once_per_version(version):
    first = codes.code_for(version)
    second = codes.code_for(version)

    assert (first, VersionCode.objects.filter(version=version).count()) == (second, 1)


def test_documents_page_lists_versions_newest_first(client, personas, resubmitted):
    client.force_login(personas.applicant)

    response = client.get(reverse("documents:application_documents", args=[resubmitted.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("第2版") < body.index("第1版")
    assert reverse("documents:receipt_pdf", args=[resubmitted.pk, 2]) in body


def test_documents_page_of_another_unit_is_404(client, personas, version):
    client.force_login(personas.applicant_b)

    response = client.get(reverse("documents:application_documents", args=[version.application_id]))

    assert response.status_code == 404


def _page_queries(client, application_pk) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("documents:application_documents", args=[application_pk])
    client.get(url)  # the first view records the verification codes
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def test_documents_page_query_count_does_not_grow_with_versions(client, personas, submitted_application):
    from sciplan.applications.models import Application
    from sciplan.applications.services import submit_application
    from sciplan.applications.workflow import Action, transition

    client.force_login(personas.applicant)
    one = _page_queries(client, submitted_application.pk)
    for round_no in range(2):
        application = Application.objects.get(pk=submitted_application.pk)
        transition(application, Action.RETURN, by=personas.county, reason=f"第{round_no + 1}次退回")
        submit_application(Application.objects.get(pk=application.pk), by=personas.applicant)

    three = _page_queries(client, submitted_application.pk)

    assert (submitted_application.versions.count(), three) == (3, one)


def test_generate_documents_command_caches_latest_versions_once(resubmitted):
    from io import StringIO

    from django.core.management import call_command

    first, second = StringIO(), StringIO()
    call_command("generate_documents", stdout=first)
    call_command("generate_documents", stdout=second)

    kinds = sorted(GeneratedDocument.objects.values_list("version__number", "kind"))
    assert kinds == sorted((2, kind) for kind in KINDS)
    assert (first.getvalue().strip(), second.getvalue().strip()) == (
        "已生成 5 份文档（1 份申报书）。",
        "已生成 0 份文档（1 份申报书）。",
    )
