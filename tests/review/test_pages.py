"""The bureau's dashboard and application list: constant query counts, and the pages render."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import application_in_state

EXTRA = [
    ("applicant_b", "智能装备"),
    ("applicant_xinghu", "生物医药"),
    ("applicant_jiangbei", "绿色食品"),
]


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_and_list_query_counts_do_not_grow_with_applications(call, personas, client):
    application_in_state(call, personas.applicant, "recommended")
    client.force_login(personas.bureau)
    urls = [
        f"/review/dashboard/?call={call.pk}",
        f"/review/applications/?call={call.pk}",
        f"/review/applications/?call={call.pk}&state=recommended&q=岳阳",
    ]
    few = [_count(client, u) for u in urls]
    for username, direction in EXTRA:
        application_in_state(call, personas[username], "under_review", direction=direction)

    many = [_count(client, u) for u in urls]

    assert many == few


def test_dashboard_passes_chart_data_without_inline_script(call, personas, client):
    application_in_state(call, personas.applicant, "recommended")
    client.force_login(personas.bureau)

    response = client.get(f"/review/dashboard/?call={call.pk}")
    body = response.content.decode()

    assert response.context["board"].total == 1
    assert response.context["chart_data"]["state"] == {"labels": ["已推荐"], "values": [1]}
    assert body.count('<script id="dashboard-data" type="application/json">') == 1
    assert body.count("<script>") == 0


def test_list_filters_by_state_and_search(call, personas, client):
    first = application_in_state(call, personas.applicant, "recommended")
    application_in_state(call, personas.applicant_b, "under_review", direction="智能装备")
    client.force_login(personas.bureau)

    by_state = client.get(f"/review/applications/?call={call.pk}&state=recommended")
    by_text = client.get(f"/review/applications/?call={call.pk}&q=智能")

    assert [a.pk for a in by_state.context["page"]] == [first.pk]
    assert [a.direction for a in by_text.context["page"]] == ["智能装备"]


def test_expert_list_and_assignment_query_counts_do_not_grow(
    under_review, call, personas, make_expert, client
):
    from sciplan.review import panels

    first = make_expert("专家", "单位0", user=True)
    second_app = application_in_state(call, personas.applicant_b, "under_review", direction="智能装备")
    panels.draw_panel([under_review.pk], size=1, seed="one", by=personas.bureau)
    client.force_login(personas.bureau)
    few_bureau = _count(client, "/review/experts/")
    client.force_login(first.user)
    few_expert = _count(client, "/review/assignments/")
    panels.draw_panel([second_app.pk], size=1, seed="two", by=personas.bureau)  # the only expert: first
    for i in range(1, 6):
        make_expert("专家", f"单位{i}", user=True)

    client.force_login(personas.bureau)
    many_bureau = _count(client, "/review/experts/")
    client.force_login(first.user)
    many_expert = _count(client, "/review/assignments/")

    assert first.assignments.count() == 2
    assert (many_bureau, many_expert) == (few_bureau, few_expert)


def test_ranking_export_downloads_an_audited_xlsx(call, personas, client):
    from sciplan.core.models import AuditEvent

    client.force_login(personas.bureau)

    response = client.get(f"/review/ranking/export/?call={call.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditEvent.objects.filter(event_type="review.ranking_export").count() == 1
