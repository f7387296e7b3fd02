"""The draw: never a conflicted expert, always the same panel for the same seed and pool (SPEC §8)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciplan.review import draws, panels
from sciplan.review.models import Assignment, AvoidEntry

ORGS = ["湖南大学", "中南大学", "湖南理工学院", "岳阳华辰新材料股份有限公司", "湘潭大学", "国防科技大学"]
CODES = ["12100000444885022A", "91430600MA4L0H01X1", "", ""]
FIELDS = ["petrochem", "equipment", "medicine"]

experts_st = st.lists(
    st.fixed_dictionaries(
        {
            "organisation": st.sampled_from([*ORGS, " 湖南 大学 ", "中南大学（本部）"]),
            "uscc": st.sampled_from(CODES),
            "fields": st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True),
            "active": st.booleans(),
        }
    ),
    min_size=0,
    max_size=25,
)
units_st = st.lists(
    st.fixed_dictionaries({"name": st.sampled_from(ORGS), "uscc": st.sampled_from(CODES)}),
    min_size=1,
    max_size=4,
)


@st.composite
def scenarios(draw):
    pool = [{"id": i + 1, "name": f"专家{i + 1}", **e} for i, e in enumerate(draw(experts_st))]
    ids = [e["id"] for e in pool] or [0]
    apps = [
        {
            "id": n + 1,
            "units": draw(units_st),
            "avoid": draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)),
            "declared": draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)),
        }
        for n in range(draw(st.integers(1, 3)))
    ]
    snapshot = {
        "field": draw(st.sampled_from(FIELDS)),
        "pool": pool,
        "applications": apps,
        "taken": draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)),
    }
    return snapshot, draw(st.text(min_size=1, max_size=12)), draw(st.integers(1, 6))


def _conflicted(expert: dict, snapshot: dict) -> bool:
    """An independent statement of the rules, to check the implementation against."""
    if expert["id"] in snapshot["taken"] or not expert["active"] or snapshot["field"] not in expert["fields"]:
        return True
    org = "".join(expert["organisation"].split())
    for app in snapshot["applications"]:
        if expert["id"] in app["avoid"] or expert["id"] in app["declared"]:
            return True
        for unit in app["units"]:
            if org == unit["name"] or (expert["uscc"] and expert["uscc"] == unit["uscc"]):
                return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_draw_never_contains_a_conflicted_expert_and_is_reproducible(scenario):
    snapshot, seed, size = scenario
    allowed = [e["id"] for e in snapshot["pool"] if not _conflicted(e, snapshot)]
    try:
        panel = draws.run(snapshot, seed=seed, size=size)
    except draws.PoolTooSmall as exc:
        assert exc.eligible == len(allowed)
        assert len(allowed) < size
        return
    shuffled = {**snapshot, "pool": random.sample(snapshot["pool"], len(snapshot["pool"]))}

    assert [i for i in panel if i not in allowed] == []
    assert len(set(panel)) == size
    assert draws.run(snapshot, seed=seed, size=size) == panel
    assert draws.run(shuffled, seed=seed, size=size) == panel


def test_draw_panel_excludes_member_unit_avoid_list_and_records_a_verifiable_draw(
    under_review, personas, make_expert
):
    member_expert = make_expert("理工专家", "湖南理工学院")
    lead_expert = make_expert("牵头单位专家", "其他名称", uscc=under_review.lead_unit.uscc)
    avoided = make_expert("回避专家", "湘潭大学")
    eligible = [make_expert("专家", f"单位{i}") for i in range(3)]
    make_expert("其他领域专家", "长沙理工大学", fields=("medicine",))
    AvoidEntry.objects.create(application=under_review, expert=avoided, recorded_by=personas.bureau)

    draw = panels.draw_panel([under_review.pk], size=3, seed="fixed-seed", by=personas.bureau)
    outcome = panels.verify_draw(draw, by=personas.bureau)

    assert sorted(draw.result) == sorted(e.pk for e in eligible)
    assert member_expert.pk not in draw.result and lead_expert.pk not in draw.result
    assert sorted(
        Assignment.objects.filter(application=under_review).values_list("expert_id", flat=True)
    ) == sorted(draw.result)
    assert (outcome.ok, outcome.recomputed) == (True, draw.result)


def test_draw_panel_refuses_a_small_pool_counting_why(under_review, personas, make_expert):
    make_expert("专家", "单位甲")
    make_expert("理工专家", "湖南理工学院")
    avoided = make_expert("回避专家", "湘潭大学")
    AvoidEntry.objects.create(application=under_review, expert=avoided, recorded_by=personas.bureau)
    make_expert("无账号专家", "单位乙", user=False)
    make_expert("停用专家", "单位丙", active=False)
    make_expert("其他领域专家", "单位丁", fields=("medicine",))

    with pytest.raises(panels.PanelShort) as exc:
        panels.draw_panel([under_review.pk], size=3, by=personas.bureau)

    assert exc.value.message == (
        "本领域在库专家4名，其中与牵头单位或成员单位同单位的1名、在回避名单中或已声明回避的1名、"
        "没有可用登录账号的1名、已在本评审组的0名，可抽取的只有1名，少于所需的3名，未抽取。"
    )
    assert (exc.value.field, exc.value.shortfall.no_account) == ("petrochem", 1)
    assert Assignment.objects.count() == 0


def test_verify_detects_a_tampered_record(under_review, personas, make_expert):
    for i in range(4):
        make_expert("专家", f"单位{i}")
    draw = panels.draw_panel([under_review.pk], size=2, seed="s1", by=personas.bureau)
    draw.snapshot["pool"][0]["active"] = False
    draw.save()

    outcome = panels.verify_draw(draw, by=personas.bureau)

    assert (outcome.ok, outcome.hash_ok) == (False, False)


def test_recusal_removes_the_expert_and_a_redraw_fills_the_seat(under_review, personas, make_expert):
    experts = [make_expert("专家", f"单位{i}", user=True) for i in range(4)]
    draw = panels.draw_panel([under_review.pk], size=2, seed="seed-r", by=personas.bureau)
    leaving = next(e for e in experts if e.pk in draw.result)
    seat = panels.get_assignment_for(leaving.user, under_review.pk)

    panels.declare(seat, conflict=True, reason="曾在牵头单位兼职", by=leaving.user)

    active = Assignment.objects.filter(application=under_review).exclude(status="recused")
    assert active.count() == 2
    assert leaving.pk not in list(active.values_list("expert_id", flat=True))
    assert Assignment.objects.get(pk=seat.pk).status == "recused"
    assert list(
        under_review.assignments.filter(draw__is_redraw=True).values_list("draw__size", flat=True)
    ) == [1]


def test_group_draw_excludes_an_expert_conflicted_with_any_application_of_the_group(
    under_review, call, personas, make_expert, client
):
    from tests.factories import application_in_state

    other = application_in_state(call, personas.applicant_b, "under_review", direction="智能装备")
    lead_b = make_expert("乙方专家", other.lead_unit.name)
    free = [make_expert("专家", f"单位{i}") for i in range(2)]
    client.force_login(personas.bureau)

    response = client.post(
        "/review/draws/",
        {"call": call.pk, "applications": [under_review.pk, other.pk], "size": "2", "seed": "g"},
    )

    draw = panels.Draw.objects.get()
    assert response.status_code == 302
    assert sorted(draw.result) == sorted(e.pk for e in free)
    assert lead_b.pk not in draw.result
    assert Assignment.objects.filter(draw=draw).count() == 4


def test_a_recusal_with_nobody_left_leaves_a_vacancy_the_bureau_fills_later(
    under_review, personas, make_expert
):
    under_review.call.panel_min_size = 2  # a panel of two is complete for this call
    under_review.call.save(update_fields=["panel_min_size"])
    first, second = make_expert("专家", "单位甲", user=True), make_expert("专家", "单位乙", user=True)
    panels.draw_panel([under_review.pk], size=2, by=personas.bureau)

    panels.declare(
        panels.get_assignment_for(first.user, under_review.pk),
        conflict=True,
        reason="亲属任职",
        by=first.user,
    )
    empty = panels.vacancies(under_review)
    newcomer = make_expert("专家", "单位丙")
    panels.fill_vacancies(under_review, by=personas.bureau)

    seated = Assignment.objects.filter(application=under_review).exclude(status="recused")
    assert (empty, panels.vacancies(under_review)) == (1, 0)
    assert sorted(seated.values_list("expert_id", flat=True)) == sorted([second.pk, newcomer.pk])


@pytest.mark.parametrize(
    "snapshot",
    [{}, {"pool": []}, {"field": "petrochem"}, {"field": "petrochem", "pool": [{"name": "无编号"}]}, []],
)
def test_verify_reports_a_malformed_snapshot_instead_of_failing(
    under_review, personas, make_expert, snapshot
):
    """Found by fuzzing ``panel_verify``: a snapshot without its field or pool raised KeyError (500)."""
    for i in range(3):
        make_expert("专家", f"单位{i}")
    draw = panels.draw_panel([under_review.pk], size=2, seed="s1", by=personas.bureau)
    draw.snapshot = snapshot
    draw.save()

    outcome = panels.verify_draw(draw, by=personas.bureau)

    assert (outcome.ok, outcome.hash_ok, outcome.recomputed) == (False, False, [])
    assert outcome.message == "复核不一致：抽取快照不完整或格式有误，无法重新抽取，记录可能被改动。"
