"""The bureau's call set-up pages: create, copy, edit (bad input kept), frozen rules, window moves with a
reason, publish with a confirmation step, the preview; and every page a 404 for everyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.test import Client

from sciplan.calls import rules, setup_forms
from sciplan.calls.models import Call, CallState
from sciplan.calls.services import copy_call
from sciplan.core import clock
from sciplan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(client: Client, url: str) -> dict:
    """The form as the page shows it, as a browser would send it back (inputs, checked boxes, selected
    options, text areas)."""
    import re
    from html import unescape

    html = client.get(url).content.decode()
    form = html[html.index('<form method="post" novalidate>') :]
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or " disabled" in tag:
            continue
        kind = (re.search(r'type="([^"]+)"', tag) or [None, "text"])[1]
        value = unescape((re.search(r'value="([^"]*)"', tag) or [None, ""])[1])
        if kind == "checkbox" and " checked" not in tag:
            continue
        data.setdefault(name[1], []).append(value)
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = [unescape(body)]
    for name, body in re.findall(
        r'<select[^>]*name="([^"]+)"(?![^>]*disabled)[^>]*>(.*?)</select>', form, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = [chosen[1] if chosen else ""]
    return data


def test_new_call_page_offers_defaults_that_create_a_draft(personas):
    client = _client(personas.bureau)
    data = _form(client, "/calls/manage/new/")

    response = client.post("/calls/manage/new/", data)

    call = Call.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/calls/manage/{call.pk}/"
    assert (call.state, len(call.rubric), sum(i["max"] for i in call.rubric)) == (CallState.DRAFT, 5, 100)
    assert call.industries.count() > 0 and call.recommenders.count() > 0
    assert AuditEvent.objects.filter(event_type="call.create", object_id=str(call.pk)).count() == 1


def test_new_call_without_recommenders_is_refused_beside_the_list(personas):
    client = _client(personas.bureau)
    data = _form(client, "/calls/manage/new/")
    del data["recommenders"]
    before = Call.objects.count()

    response = client.post("/calls/manage/new/", data)

    html = response.content.decode()
    assert response.status_code == 422
    assert '<fieldset class="checks has-error"><legend>参与本批次的推荐单位</legend>' in html
    assert "请至少选择一个推荐单位。" in html
    assert "申报批次信息填写有误，请按提示修改。" in html  # the service's message in the banner
    assert Call.objects.count() == before


def test_copy_page_makes_next_years_draft_and_opens_its_edit_page(call_2024, personas):
    client = _client(personas.bureau)
    assert client.get(f"/calls/manage/{call_2024.pk}/copy/").status_code == 200

    response = client.post(f"/calls/manage/{call_2024.pk}/copy/", {"year": "2025"})

    copy = Call.objects.latest("id")
    assert response["Location"] == f"/calls/manage/{copy.pk}/"
    assert (copy.year, copy.state, copy.title) == (2025, CallState.DRAFT, "2025年度岳阳市创新联合体申报")
    assert clock.local(copy.closes_at).date().isoformat() == "2025-08-04"


def test_copy_page_refuses_a_bad_year_and_keeps_it(call_2024, personas):
    response = _client(personas.bureau).post(f"/calls/manage/{call_2024.pk}/copy/", {"year": "20x5"})

    assert response.status_code == 422
    assert "请填写2000至2100之间的年度。" in response.content.decode()
    assert 'value="20x5"' in response.content.decode()


def test_copy_page_shows_the_services_refusal_of_a_year_out_of_range(call_2024, personas):
    before = Call.objects.count()
    response = _client(personas.bureau).post(f"/calls/manage/{call_2024.pk}/copy/", {"year": "2101"})

    assert response.status_code == 422
    assert "请填写2000至2100之间的年度。" in response.content.decode()
    assert Call.objects.count() == before


def test_bad_weights_are_refused_beside_the_field_and_keep_everything_typed(call_2024, personas):
    draft = copy_call(call_2024, by=personas.bureau)
    client = _client(personas.bureau)
    url = f"/calls/manage/{draft.pk}/"
    data = _form(client, url)
    data["title"] = ["2025年度创新联合体申报（修订）"]
    data["rubric-0-max"] = ["30"]  # 105 in all
    data["rubric-1-label"] = ["合作基础（新）"]

    response = client.post(url, data)

    html = response.content.decode()
    assert response.status_code == 422
    assert "各项指标分值合计须为100分，当前合计105分。" in html
    assert 'value="2025年度创新联合体申报（修订）"' in html
    assert 'value="合作基础（新）"' in html and 'name="rubric-0-max" type="number" value="30"' in html
    draft.refresh_from_db()
    assert (draft.title, draft.rubric) == ("2025年度岳阳市创新联合体申报", call_2024.rubric)


def test_edit_saves_rows_added_and_removed_without_script(call_2024, personas):
    draft = copy_call(call_2024, by=personas.bureau)
    client = _client(personas.bureau)
    url = f"/calls/manage/{draft.pk}/"
    data = _form(client, url)
    data["rubric-0-remove"] = ["1"]  # 25 points away …
    n = int(data["rubric-count"][0]) - 1  # … onto the last, blank row
    data.update(
        {f"rubric-{n}-label": ["新指标"], f"rubric-{n}-max": ["25"], f"rubric-{n}-description": ["说明"]}
    )
    data["att-2-remove"] = ["1"]
    m = int(data["att-count"][0]) - 1
    data.update({f"att-{m}-kind": ["other"], f"att-{m}-types": ["pdf"], f"att-{m}-max_mb": ["5"]})

    response = client.post(url, data)

    draft.refresh_from_db()
    assert response.status_code == 302
    assert [i["label"] for i in draft.rubric][-1] == "新指标"
    assert len(draft.rubric) == 5 and "lead_strength" not in [i["code"] for i in draft.rubric]
    assert [s["kind"] for s in draft.attachment_specs] == ["financial_evidence", "charter", "other"]
    assert draft.required_attachments == ["financial_evidence", "charter"]


def test_add_row_button_shows_one_more_blank_row_and_saves_nothing(call_2024, personas):
    draft = copy_call(call_2024, by=personas.bureau)
    client = _client(personas.bureau)
    url = f"/calls/manage/{draft.pk}/"
    data = _form(client, url)
    rows = int(data["rubric-count"][0])
    data["title"] = ["改过的标题"]
    data["add_row"] = ["rubric"]

    response = client.post(url, data)

    assert response.status_code == 200
    assert f'name="rubric-count" value="{rows + 1}"' in response.content.decode()
    assert 'value="改过的标题"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.title != "改过的标题"


def test_opened_call_shows_frozen_rules_read_only_and_window_move_needs_reason(call, personas):
    client = _client(personas.bureau)
    url = f"/calls/manage/{call.pk}/"
    page = client.get(url).content.decode()
    assert "申报条件、评分指标、附件要求和产业目录已冻结" in page
    assert 'name="rd_threshold" type="text" value="1000" aria-required="true" readonly' in page
    data = _form(client, url)
    data["rd_threshold"] = ["1"]  # a read-only field tampered with: never sent to the service
    later = clock.local(call.closes_at + timedelta(days=2))
    data["closes_at"] = [later.strftime("%Y-%m-%dT%H:%M:%S")]

    refused = client.post(url, data)

    assert refused.status_code == 422
    assert "调整时间节点须填写理由" in refused.content.decode()
    assert later.strftime("%Y-%m-%dT%H:%M:%S") in refused.content.decode()
    data["reason"] = ["系统维护，顺延两天"]
    saved = client.post(url, data)
    call.refresh_from_db()
    event = AuditEvent.objects.filter(event_type="call.update", object_id=str(call.pk)).get()
    assert saved.status_code == 302
    assert (call.closes_at, str(call.rd_threshold)) == (later, "1000.00")
    assert (list(event.detail["changes"]), event.detail["reason"]) == (["closes_at"], "系统维护，顺延两天")


def test_form_of_an_opened_call_neither_reads_nor_sends_the_frozen_fields():
    post = QueryDict(
        "rd_threshold=x&rd_first_year=x&min_platform_level=x&agreement_min_years=x&cooperation_min_years=x"
        "&industries=1&recommenders=2&rubric-count=1&rubric-0-label=a&att-count=1&att-0-kind=charter"
    )

    data, _, errors = setup_forms.parse(post, frozen=True)

    assert sorted(set(data) & set(rules.FROZEN_FIELDS)) == []
    assert sorted(set(errors) & set(rules.FROZEN_FIELDS)) == []
    assert data["recommenders"] == [2]  # the recommenders are not frozen


def test_publish_asks_for_confirmation_then_publishes(call_2024, personas):
    draft = copy_call(call_2024, year=clock.local(clock.now()).year + 1, by=personas.bureau)
    client = _client(personas.bureau)
    url = f"/calls/manage/{draft.pk}/publish/"

    step = client.get(url)
    draft.refresh_from_db()
    assert (step.status_code, draft.state) == (200, CallState.DRAFT)
    assert "本批次将出现在公开的申报通知列表中" in step.content.decode()
    assert 'data-confirm="确定发布' in step.content.decode()

    response = client.post(url)

    draft.refresh_from_db()
    assert (response.status_code, draft.state) == (302, CallState.PUBLISHED)
    assert draft.title in Client().get("/calls/").content.decode()


def test_publish_refused_with_the_reason_when_window_has_passed(call_2024, personas):
    draft = copy_call(call_2024, by=personas.bureau)  # 2025: its window has passed

    response = _client(personas.bureau).post(f"/calls/manage/{draft.pk}/publish/")

    draft.refresh_from_db()
    assert (response.status_code, draft.state) == (422, CallState.DRAFT)
    assert "网上申报截止时间已过，请先调整时间节点再发布。" in response.content.decode()


def test_preview_of_a_draft_is_marked_and_for_the_bureau_only(call_2024, personas):
    draft = copy_call(call_2024, by=personas.bureau)

    page = _client(personas.bureau).get(f"/calls/manage/{draft.pk}/preview/").content.decode()

    assert "<strong>预览</strong>" in page and draft.title in page
    assert Client().get(f"/calls/{draft.pk}/").status_code == 404


NOT_BUREAU = ("applicant", "applicant_b", "county", "finance", "park", "county_b", "finance_b", "admin")


def test_every_set_up_page_is_404_for_everyone_but_the_bureau(call_2024, personas):
    draft = copy_call(call_2024, year=2030, by=personas.bureau)
    urls = ["/calls/manage/", "/calls/manage/new/"] + [
        f"/calls/manage/{draft.pk}/{suffix}"
        for suffix in ("", "copy/", "preview/", "publish/", "close/", "archive/")
    ]
    answers = {}
    for name in NOT_BUREAU:
        client = _client(personas[name])
        answers[name] = sorted(
            {client.get(u).status_code for u in urls} | {client.post(u).status_code for u in urls}
        )
    bureau = _client(personas.bureau)

    assert answers == {name: [404] for name in NOT_BUREAU}
    assert [bureau.get(u).status_code for u in urls] == [200] * len(urls)
    draft.refresh_from_db()
    assert (draft.state, Call.objects.count()) == (CallState.DRAFT, 3)


def test_unknown_call_or_step_is_404(personas):
    client = _client(personas.bureau)

    assert [
        client.get(u).status_code
        for u in ("/calls/manage/987654/", "/calls/manage/987654/publish/", "/calls/manage/1/reopen/")
    ] == [404, 404, 404]


def test_list_shows_every_call_with_its_state(call_2024, call, personas):
    copy_call(call_2024, by=personas.bureau)

    page = _client(personas.bureau).get("/calls/manage/").content.decode()

    assert [page.count(s) for s in ("草稿</span>", "已发布</span>", "已结束</span>")] == [1, 1, 1]


def test_list_query_count_does_not_grow_with_the_calls(call_2024, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(personas.bureau)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/calls/manage/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for year in (2026, 2027, 2028):
        copy_call(call_2024, year=year, by=personas.bureau)

    assert count() == few
