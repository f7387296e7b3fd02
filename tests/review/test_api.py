"""The review API: every bureau endpoint is 404 for other roles; site visits check uploads by content."""

from __future__ import annotations

import io
import json

import pytest

from sciplan.applications.demo import sample_pdf
from sciplan.review.models import SiteVisit, SiteVisitFile

BUREAU_CALLS = [
    (
        "post",
        "/review/applications/{app}/paper-receipts",
        {"received_on": "2024-08-10", "copies": 1, "received_by": "甲"},
    ),
    ("post", "/review/applications/{app}/formal-review", {"outcome": "pass"}),
    ("get", "/review/experts", None),
    ("post", "/review/experts", {"name": "甲", "organisation": "乙", "fields": ["petrochem"]}),
    ("post", "/review/panels", {"applications": ["{app}"], "size": 1}),
    ("get", "/review/panels/1/verify", None),
    ("get", "/review/calls/{call}/ranking", None),
    ("post", "/review/calls/{call}/ranking/confirm", None),
    (
        "post",
        "/review/calls/{call}/summary-tables",
        {"recommender_id": 1, "received_on": "2024-08-10", "received_by": "甲"},
    ),
    ("post", "/review/applications/{app}/avoid", {"expert_id": 1, "reason": "亲属"}),
    ("post", "/review/applications/{app}/panel/fill", None),
]


@pytest.mark.parametrize("persona", ["applicant", "county", "finance", "admin"])
def test_bureau_endpoints_are_404_for_other_roles(persona, under_review, call, personas, api):
    client = api(personas[persona])
    codes = []
    for method, path, body in BUREAU_CALLS:
        url = path.format(app=under_review.pk, call=call.pk)
        if body and body.get("applications"):
            body = {**body, "applications": [under_review.pk]}
        response = client.get(url) if method == "get" else client.post(url, body)
        codes.append(response.status_code)

    assert codes == [404] * len(BUREAU_CALLS)


def test_expert_endpoints_list_nothing_for_a_non_expert(personas, api):
    response = api(personas.applicant).get("/review/assignments")

    assert (response.status_code, response.json()) == (200, [])


def test_site_visit_with_photo_is_stored_and_downloadable_by_the_bureau_only(
    under_review, personas, api, client
):
    photo = io.BytesIO(sample_pdf())
    photo.name = "现场照片.pdf"

    response = api(personas.bureau).upload(
        f"/review/applications/{under_review.pk}/site-visits",
        {
            "visit_date": "2024-08-20",
            "team": "李娜、王强",
            "findings": "中试线运行正常。",
            "conclusion": "confirmed",
            "files": [photo],
        },
    )
    stored = SiteVisitFile.objects.get()
    client.force_login(personas.bureau)
    download = client.get(f"/review/visit-files/{stored.pk}/")
    client.force_login(personas.applicant)
    refused = client.get(f"/review/visit-files/{stored.pk}/")

    assert (response.status_code, response.json()["files"]) == (201, ["现场照片.pdf"])
    assert (download.status_code, download["X-Content-Type-Options"]) == (200, "nosniff")
    assert download["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert refused.status_code == 404


def test_site_visit_refuses_a_disguised_file_and_keeps_nothing(under_review, personas, api):
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "photo.jpg"

    response = api(personas.bureau).upload(
        f"/review/applications/{under_review.pk}/site-visits",
        {
            "visit_date": "2024-08-20",
            "team": "李娜",
            "findings": "情况",
            "conclusion": "confirmed",
            "files": [fake],
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"]["file"].startswith("考察照片和材料只接受PDF、JPG、PNG、DOCX文件")
    assert (SiteVisit.objects.count(), SiteVisitFile.objects.count()) == (0, 0)


def test_panel_draw_and_verify_over_the_api(under_review, personas, make_expert, api):
    for i in range(3):
        make_expert("专家", f"单位{i}")
    make_expert("理工专家", "湖南理工学院")
    client = api(personas.bureau)

    drawn = client.post(
        "/review/panels", {"applications": [under_review.pk], "size": 2, "seed": "abc"}
    ).json()
    verified = client.get(f"/review/panels/{drawn['id']}/verify").json()
    again = client.post("/review/panels", {"applications": [under_review.pk], "size": 1})

    assert (verified["ok"], verified["recomputed"]) == (True, drawn["result"])
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "“岳阳市测试方向创新联合体”已抽取评审专家，不能重新抽取。如需更换专家，请在该申报书的评审组页面选择要替换的专家并说明原因。",
    )


def test_expert_list_filters_by_field_before_paging(personas, make_expert, api):
    make_expert("石化专家", "外省大学甲")
    other = make_expert("材料专家", "外省大学乙", fields=("newmat",))
    last = make_expert("石化专家", "外省大学丙", fields=("newmat", "petrochem"))

    client = api(personas.bureau)
    both = client.get("/review/experts", field="newmat")
    second = client.get("/review/experts", field="newmat", offset=1, limit=1)

    assert [e["id"] for e in both.json()] == [other.pk, last.pk]
    assert [e["id"] for e in second.json()] == [last.pk]


def test_summary_table_receipt_through_the_api(call, personas, api):
    from sciplan.review.models import SummaryTableReceipt

    client = api(personas.bureau)
    body = {
        "recommender_id": personas.county.recommender_id,
        "received_on": "2024-08-10",
        "received_by": "李娜",
    }

    created = client.post(f"/review/calls/{call.pk}/summary-tables", body)
    bad = client.post(f"/review/calls/{call.pk}/summary-tables", {**body, "received_by": " "})

    assert created.status_code == 201, created.content
    assert SummaryTableReceipt.objects.get(call=call).received_by == "李娜"
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["received_by"])


def test_expert_update_through_the_api(personas, make_expert, api):
    expert = make_expert("专家", "湖南大学")

    answer = api(personas.bureau).client.put(
        f"/api/v1/review/experts/{expert.pk}",
        json.dumps({"name": "王专家", "organisation": "中南大学", "fields": ["petrochem"], "active": False}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api(personas.bureau).token}",
    )
    denied = api(personas.county).client.put(
        f"/api/v1/review/experts/{expert.pk}",
        json.dumps({"name": "x", "organisation": "y", "fields": ["petrochem"]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api(personas.county).token}",
    )

    expert.refresh_from_db()
    assert answer.status_code == 200, answer.content
    assert (expert.organisation, expert.active) == ("中南大学", False)
    assert denied.status_code == 404


def test_avoided_expert_is_never_drawn_and_vacancies_are_filled_over_the_api(
    under_review, personas, make_expert, api
):
    from sciplan.review import panels

    under_review.call.panel_min_size = 2
    under_review.call.save(update_fields=["panel_min_size"])
    avoided, first, second = (make_expert("专家", f"单位{i}") for i in "甲乙丙")
    client = api(personas.bureau)

    avoid = client.post(
        f"/review/applications/{under_review.pk}/avoid", {"expert_id": avoided.pk, "reason": "亲属"}
    )
    drawn = client.post("/review/panels", {"applications": [under_review.pk], "size": 2}).json()
    nothing = client.post(f"/review/applications/{under_review.pk}/panel/fill")
    panels.declare(
        panels.get_assignment_for(first.user, under_review.pk),
        conflict=True,
        reason="亲属任职",
        by=first.user,
    )
    newcomer = make_expert("专家", "单位丁")
    filled = client.post(f"/review/applications/{under_review.pk}/panel/fill")

    assert avoid.status_code == 201, avoid.content
    assert sorted(drawn["result"]) == sorted([first.pk, second.pk])
    assert (nothing.status_code, nothing.json()["code"]) == (409, "state")
    assert (filled.status_code, filled.json()["result"]) == (201, [newcomer.pk])
