"""Optimistic locking and nothing-lost saving (SPEC §4, STANDARDS F27), for the sections' fields and
the budget table's cells alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sciplan.applications import budget
from sciplan.applications.models import Application, BudgetYear
from sciplan.applications.services import save_section
from sciplan.core.errors import Conflict, NotAllowed, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(personas):
    from sciplan.accounts.demo import ensure_user

    return ensure_user("colleague", "同事", "applicant", unit=personas.applicant.unit)


def stored(application: Application, name: str) -> Any:
    """What the database holds for a section field or a budget cell."""
    cell = budget.KEY.match(name)
    if cell:
        row = BudgetYear.objects.filter(application=application, index=int(cell.group(1))).first()
        return getattr(row, cell.group(2), None)
    return getattr(Application.objects.get(pk=application.pk), name)


def named(message: str, application: Application) -> str:
    """A message with ``{year2}``… filled in with the calendar years of the plan."""
    years = budget.plan_years(application.start_date, application.call.year)
    return message.format(**{f"year{i}": year for i, year in zip(budget.YEARS, years, strict=True)})


@pytest.mark.parametrize(
    ("section", "name", "theirs", "mine", "current"),
    [
        ("basis", "basis", "同事保存的文字", "我的文字", "同事保存的文字"),
        ("plan", "budget_1_use_platform", "210", "250", "210.00"),
    ],
)
def test_stale_save_of_the_same_field_conflicts_and_keeps_both_texts(
    complete_application, personas, colleague, section, name, theirs, mine, current
):
    app = complete_application
    base = app.version
    save_section(app, section, {name: theirs}, base_version=base, by=colleague)
    kept = stored(app, name)

    with pytest.raises(Conflict) as caught:
        save_section(app, section, {name: mine}, base_version=base, by=personas.applicant)

    assert caught.value.code == "stale"
    assert caught.value.current["fields"] == {name: current}
    assert str(stored(app, name)) == str(kept) == current


@pytest.mark.parametrize(
    ("section", "theirs", "mine", "after"),
    [
        (
            "basis",
            {"goal_year1": "同事改的第一年"},
            {"goal_year2": "我改的第二年"},
            {"goal_year1": "同事改的第一年", "goal_year2": "我改的第二年"},
        ),
        (
            "plan",
            {"budget_1_use_platform": "210"},
            {"budget_1_use_other": "40"},
            {"budget_1_use_platform": Decimal("210.00"), "budget_1_use_other": Decimal("40.00")},
        ),
    ],
)
def test_stale_save_of_other_fields_merges(
    complete_application, personas, colleague, section, theirs, mine, after
):
    app = complete_application
    base = app.version
    save_section(app, section, theirs, base_version=base, by=colleague)

    result = save_section(app, section, mine, base_version=base, by=personas.applicant)

    assert {name: stored(app, name) for name in after} == after
    assert result.saved == list(mine)
    assert Application.objects.get(pk=app.pk).version == base + 2


def test_stale_save_with_the_same_value_is_not_a_conflict(complete_application, personas, colleague):
    app = complete_application
    base = app.version
    save_section(app, "basis", {"basis": "一样的文字"}, base_version=base, by=colleague)

    result = save_section(app, "basis", {"basis": "一样的文字"}, base_version=base, by=personas.applicant)

    assert result.saved == []


@pytest.mark.parametrize(
    ("section", "data", "errors", "after"),
    [
        (
            "basic",
            {"tech_field": "新的技术领域", "contact_mobile": "12345"},
            {"contact_mobile": "请填写11位手机号码（以1开头，第二位为3–9），可带+86。"},
            {"tech_field": "新的技术领域"},
        ),
        (
            "plan",
            {"budget_2_source_lead": "2000", "budget_2_use_other": "五十"},
            {"budget_2_use_other": "{year2}年 其他支出应填写金额数字（单位：万元），如“6800”或“6,800.00”。"},
            {"budget_2_source_lead": Decimal("2000.00"), "budget_2_use_other": Decimal("50.00")},
        ),
    ],
)
def test_autosave_keeps_valid_fields_and_reports_invalid_ones(
    complete_application, personas, section, data, errors, after
):
    app = complete_application
    result = save_section(
        app, section, data, base_version=app.version, by=personas.applicant, partial_ok=True
    )

    assert result.saved == [name for name in data if name not in errors]
    assert result.errors == {name: named(message, app) for name, message in errors.items()}
    assert {name: stored(app, name) for name in after} == after


@pytest.mark.parametrize(
    ("section", "data", "errors"),
    [
        (
            "basic",
            {"tech_field": "新的", "end_date": "2000-01-01"},
            {"end_date": "建设期结束日期应晚于开始日期。"},
        ),
        (
            "plan",
            {"budget_2_source_lead": "2000", "budget_2_use_other": "-1"},
            {"budget_2_use_other": "{year2}年 其他支出不能为负数。"},
        ),
    ],
)
def test_full_save_with_an_invalid_field_writes_nothing(
    complete_application, personas, section, data, errors
):
    app = complete_application
    before = {name: stored(app, name) for name in data}

    with pytest.raises(ValidationFailed) as caught:
        save_section(app, section, data, base_version=app.version, by=personas.applicant)

    assert caught.value.field_errors == {name: named(message, app) for name, message in errors.items()}
    assert {name: stored(app, name) for name in data} == before
    assert Application.objects.get(pk=app.pk).version == app.version


def test_text_over_its_limit_is_refused_with_the_count(complete_application, personas):
    app = complete_application
    with pytest.raises(ValidationFailed) as caught:
        save_section(
            app, "basis", {"goal_year1": "字" * 1001}, base_version=app.version, by=personas.applicant
        )

    assert caught.value.field_errors == {"goal_year1": "不能超过1000字，当前1001字。"}


def test_mass_assignment_fields_are_ignored(complete_application, personas):
    app = complete_application
    save_section(
        app,
        "basic",
        {
            "status": "recognized",
            "version": 999,
            "lead_unit": personas.applicant_b.unit_id,
            "tech_field": "只改这个",
            "budget_1_source_lead": "1",  # a cell of the plan section
        },
        base_version=app.version,
        by=personas.applicant,
    )

    fresh = Application.objects.get(pk=app.pk)
    assert (fresh.status, fresh.lead_unit_id, fresh.tech_field) == (
        "draft",
        personas.applicant.unit_id,
        "只改这个",
    )
    assert stored(app, "budget_1_source_lead") == Decimal("1500.00")


def test_submitted_application_cannot_be_saved(submitted_application, personas):
    app = submitted_application
    with pytest.raises(Conflict) as caught:
        save_section(app, "basis", {"basis": "改"}, base_version=app.version, by=personas.applicant)

    assert caught.value.message == "申报书当前状态为“已提交，待推荐单位受理”，不能修改。"


def test_other_roles_cannot_save(complete_application, personas):
    app = complete_application
    Application.objects.filter(pk=app.pk).update(status="returned")
    app.refresh_from_db()
    with pytest.raises(NotAllowed):
        save_section(app, "basis", {"basis": "推荐单位不能改"}, base_version=app.version, by=personas.county)
