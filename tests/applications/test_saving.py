"""Optimistic locking and nothing-lost saving (SPEC §4, STANDARDS F27)."""

from __future__ import annotations

import pytest

from sciplan.applications.models import Application
from sciplan.applications.services import save_section
from sciplan.core.errors import Conflict, NotAllowed, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(personas):
    from sciplan.accounts.demo import ensure_user

    return ensure_user("colleague", "同事", "applicant", unit=personas.applicant.unit)


def test_stale_save_of_the_same_field_conflicts_and_keeps_both_texts(
    complete_application, personas, colleague
):
    app = complete_application
    base = app.version
    save_section(app, "basis", {"basis": "同事保存的文字"}, base_version=base, by=colleague)

    with pytest.raises(Conflict) as caught:
        save_section(app, "basis", {"basis": "我的文字"}, base_version=base, by=personas.applicant)

    assert caught.value.code == "stale"
    assert caught.value.current["fields"] == {"basis": "同事保存的文字"}
    assert Application.objects.get(pk=app.pk).basis == "同事保存的文字"


def test_stale_save_of_other_fields_merges(complete_application, personas, colleague):
    app = complete_application
    base = app.version
    save_section(app, "basis", {"goal_year1": "同事改的第一年"}, base_version=base, by=colleague)

    result = save_section(
        app, "basis", {"goal_year2": "我改的第二年"}, base_version=base, by=personas.applicant
    )

    fresh = Application.objects.get(pk=app.pk)
    assert (fresh.goal_year1, fresh.goal_year2) == ("同事改的第一年", "我改的第二年")
    assert result.saved == ["goal_year2"]
    assert fresh.version == base + 2


def test_stale_save_with_the_same_value_is_not_a_conflict(complete_application, personas, colleague):
    app = complete_application
    base = app.version
    save_section(app, "basis", {"basis": "一样的文字"}, base_version=base, by=colleague)

    result = save_section(app, "basis", {"basis": "一样的文字"}, base_version=base, by=personas.applicant)

    assert result.saved == []


def test_autosave_keeps_valid_fields_and_reports_invalid_ones(complete_application, personas):
    app = complete_application
    result = save_section(
        app,
        "basic",
        {"tech_field": "新的技术领域", "contact_mobile": "12345"},
        base_version=app.version,
        by=personas.applicant,
        partial_ok=True,
    )

    assert result.saved == ["tech_field"]
    assert result.errors == {"contact_mobile": "请填写11位手机号码（以1开头，第二位为3–9），可带+86。"}
    assert Application.objects.get(pk=app.pk).tech_field == "新的技术领域"


def test_full_save_with_an_invalid_field_writes_nothing(complete_application, personas):
    app = complete_application
    with pytest.raises(ValidationFailed) as caught:
        save_section(
            app,
            "basic",
            {"tech_field": "新的", "end_date": "2000-01-01"},
            base_version=app.version,
            by=personas.applicant,
        )

    assert caught.value.field_errors == {"end_date": "建设期结束日期应晚于开始日期。"}
    assert Application.objects.get(pk=app.pk).tech_field != "新的"


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
