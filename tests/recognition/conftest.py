"""Recognition fixtures: applications on the proposed list, a published notice, recognised consortia.

The ``ranking_confirmed`` guard belongs to the review app. Tests of the proposal itself use the
``ranking_guard`` fixture: while the review app has not registered the guard, it registers a test-only
guard that allows the proposal, and removes it again afterwards so no other test sees it. Every other
test starts from applications the factory placed on the proposed list, so none depends on that guard.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sciplan.applications.workflow import GUARDS, Status
from sciplan.recognition import services
from tests.factories import application_in_state

SHANGHAI = ZoneInfo("Asia/Shanghai")
APPLICANTS = ["applicant", "applicant_b", "applicant_xinghu", "applicant_jiangbei", "applicant_gangcheng"]
DIRECTIONS = ["高性能聚烯烃新材料", "智能装备", "生物医药", "绿色食品", "智慧物流"]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    # Two-factor sign-in is the accounts app's to test; these pages are exercised behind it.
    settings.OTP_ENFORCED = False


@pytest.fixture
def ranking_guard(personas):
    """``confirm(call, applications)`` makes ``ranking_confirmed`` allow proposing those applications.

    When the review app has registered the guard, a confirmed ranking row of that app is written for
    them (the state its ``confirm_ranking`` leaves); while it has not, a test-only guard is registered
    and removed again afterwards, so the registry is as it was for every other test.
    """
    registered_here = "ranking_confirmed" not in GUARDS
    if registered_here:
        GUARDS["ranking_confirmed"] = lambda application, user: None

    def confirm(call, applications) -> None:
        if registered_here:
            return
        from sciplan.review.models import Ranking

        rows = [
            {
                "application_id": a.pk,
                "name": a.consortium_name,
                "rank": i,
                "score": "80.00",
                "mean": "80.00",
                "trimmed": False,
                "tied": False,
                "scores": 5,
                "panel": 5,
            }
            for i, a in enumerate(applications, 1)
        ]
        Ranking.objects.create(call=call, rows=rows, content_hash="test", confirmed_by=personas.bureau)

    yield confirm
    if registered_here:
        GUARDS.pop("ranking_confirmed", None)


@pytest.fixture
def make_proposed(call, personas):
    """``make_proposed(n)`` → n applications on the proposed list of ``call``, each of another unit
    (one application per unit and call: five units in all across the calls of one test)."""
    used: list[int] = []

    def make(n: int = 1, *, directions: list[str] | None = None):
        start = len(used)
        names = directions or DIRECTIONS[start : start + n]
        made = []
        for i in range(n):
            user = personas[APPLICANTS[start + i]]
            made.append(
                application_in_state(call, user, Status.PROPOSED, direction=names[i], actor=personas.bureau)
            )
            used.append(start + i)
        return made

    return make


# The notice of the tests starts on Friday 2024-09-27: five working days across the National Day holiday
# end on Wednesday 2024-10-09 at 18:00 (9-27, 9-29 make-up Sunday, 9-30, 10-08, 10-09).
NOTICE_START = date(2024, 9, 27)
NOTICE_END = at(2024, 10, 9, 18, 0)


@pytest.fixture
def published(call, personas, make_proposed):
    """``published(n)`` → (notice, applications): n proposed applications in public notice."""

    def publish(n: int = 1, **kw):
        applications = make_proposed(n, **kw)
        with time_machine.travel(at(2024, 9, 27, 9, 0), tick=False):
            notice = services.publish_notice(call, starts_on=NOTICE_START, by=personas.bureau)
        return notice, applications

    return publish


@pytest.fixture
def recognized(call, personas, published):
    """``recognized(n)`` → recognitions of n consortia whose notice ended without objection."""

    done: list[int] = []

    def make(n: int = 1):
        _notice, applications = published(n)
        result = []
        with time_machine.travel(at(2024, 10, 16, 10, 0), tick=False):
            for application in applications:
                done.append(application.pk)
                result.append(
                    services.recognize(
                        application,
                        doc_number=f"岳科发〔2024〕{len(done)}号",
                        recognized_on="2024-10-16",
                        by=personas.bureau,
                    )
                )
        return result

    return make
