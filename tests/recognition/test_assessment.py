"""Annual assessment: self-assessment, grading, the 5-working-day notice, revocation after 不合格."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Application, StatusEvent
from sciplan.applications.workflow import Status
from sciplan.core.errors import Conflict, NotFound, ValidationFailed
from sciplan.recognition import assessment as services
from sciplan.recognition.models import Assessment, Recognition, StoredFile
from tests.recognition.conftest import at

pytestmark = pytest.mark.django_db

SELF_ASSESSMENT = {
    "progress": "完成关键材料中试验证。",
    "results_transferred": "转化专利3项。",
    "local_share": "42.5",
    "mechanism": "理事会每季度召开一次。",
}


def submit(recognition, user, **kw):
    with time_machine.travel(at(2025, 3, 3, 10, 0), tick=False):
        return services.submit_assessment(recognition, year=2024, data=SELF_ASSESSMENT, by=user, **kw)


def test_lead_unit_submits_with_an_attachment_checked_by_content(recognized, personas):
    (recognition,) = recognized(1)

    assessment = submit(recognition, personas.applicant, files=[(io.BytesIO(sample_pdf()), "年度报告.pdf")])

    assert (assessment.year, str(assessment.local_share)) == (2024, "42.50")
    assert [f.content_kind for f in assessment.attachments.all()] == ["pdf"]


def test_a_disguised_attachment_is_refused_and_nothing_is_kept(recognized, personas):
    (recognition,) = recognized(1)

    with pytest.raises(ValidationFailed) as caught:
        submit(recognition, personas.applicant, files=[(io.BytesIO(b"<html>not a pdf</html>"), "报告.pdf")])

    assert list(caught.value.field_errors) == ["attachments"]
    assert (Assessment.objects.count(), StoredFile.objects.count()) == (0, 0)


def test_another_unit_cannot_submit_for_the_consortium(recognized, personas):
    (recognition,) = recognized(1)

    with pytest.raises(NotFound):
        submit(recognition, personas.applicant_b)


def test_a_second_assessment_for_the_same_year_is_a_conflict(recognized, personas):
    (recognition,) = recognized(1)
    submit(recognition, personas.applicant)

    with pytest.raises(Conflict):
        submit(recognition, personas.applicant)


def test_failing_grade_needs_a_reason(recognized, personas):
    (recognition,) = recognized(1)
    assessment = submit(recognition, personas.applicant)

    with pytest.raises(ValidationFailed) as caught:
        services.grade_assessment(assessment, grade="fail", comment="", by=personas.bureau)

    assert list(caught.value.field_errors) == ["grade_comment"]


def _failed_and_published(recognition, personas):
    assessment = submit(recognition, personas.applicant)
    services.grade_assessment(assessment, grade="fail", comment="攻关任务未按期完成。", by=personas.bureau)
    with time_machine.travel(at(2025, 4, 1, 9, 0), tick=False):
        notice = services.publish_assessment_notice(year=2024, starts_on=date(2025, 4, 1), by=personas.bureau)
    return Assessment.objects.get(pk=assessment.pk), notice


def test_grade_notice_lasts_five_working_days_across_qingming(recognized, personas):
    (recognition,) = recognized(1)

    _assessment, notice = _failed_and_published(recognition, personas)

    # 2025: 4-4 (Fri) to 4-6 are the Qingming holiday; 4-1, 4-2, 4-3, 4-7, 4-8 are the five working days.
    assert notice.ends_at == at(2025, 4, 8, 18, 0)


def test_revocation_before_the_grade_notice_ends_is_refused(recognized, personas):
    (recognition,) = recognized(1)
    assessment, _notice = _failed_and_published(recognition, personas)

    with time_machine.travel(at(2025, 4, 8, 17, 0), tick=False), pytest.raises(Conflict):
        services.revoke_after_failure(assessment, reason="", by=personas.bureau)

    assert Recognition.objects.get(pk=recognition.pk).revoked_on is None


def test_revocation_after_failing_is_recorded_and_shown_on_the_register(recognized, personas):
    (recognition,) = recognized(1)
    assessment, _notice = _failed_and_published(recognition, personas)

    with time_machine.travel(at(2025, 4, 9, 10, 0), tick=False):
        services.revoke_after_failure(assessment, reason="经局务会议研究决定撤销。", by=personas.bureau)

    revoked = Recognition.objects.get(pk=recognition.pk)
    reason = "2024年度考核不合格：经局务会议研究决定撤销。"
    assert (revoked.revoked_on, revoked.revoked_reason) == (date(2025, 4, 9), reason)
    assert Application.objects.get(pk=recognition.application_id).status == Status.REVOKED
    assert (
        StatusEvent.objects.get(application_id=recognition.application_id, action="revoke").reason == reason
    )
    register = Client().get(reverse("recognition:register")).content.decode()
    detail = Client().get(reverse("recognition:register_detail", args=[recognition.pk])).content.decode()
    assert "已撤销" in register
    assert "2025年04月09日" in register
    assert f"撤销理由：{reason}" in detail


def test_a_passing_grade_cannot_revoke(recognized, personas):
    (recognition,) = recognized(1)
    assessment = submit(recognition, personas.applicant)
    services.grade_assessment(assessment, grade="pass", comment="", by=personas.bureau)

    with pytest.raises(Conflict):
        services.revoke_after_failure(Assessment.objects.get(pk=assessment.pk), reason="", by=personas.bureau)
