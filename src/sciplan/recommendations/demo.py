"""Demo data for recommending units, through the same services the pages use.

The park (岳阳经开区) has uploaded its letter, checked credit, accepted and recommended both of its
applications (ranks 1 and 2); 云溪区 has accepted 湖南星湖生物医药 and checked credit, leaving the
recommendation (and its own letter) to the demo user, after which the 云溪区 finance user confirms;
华容县 has a submitted application waiting to be accepted.
"""

from __future__ import annotations

import io

from sciplan.applications import actions
from sciplan.applications.demo import sample_pdf
from sciplan.applications.models import Application
from sciplan.applications.workflow import Action, Status
from sciplan.core import clock
from sciplan.recommendations import services
from sciplan.recommendations.models import CreditSource

OPINIONS = {
    "applicant_b": "该联合体牵头单位研发实力突出，成员结构合理，合作基础扎实，同意推荐。",
    "applicant_gangcheng": "该联合体围绕港口物流数字化开展协同攻关，本地配套带动作用明显，同意推荐。",
}


def _clean_credit(application, user) -> None:
    today = clock.local(clock.now()).date()
    services.record_credit_checks(
        application,
        {source: {"result": "clean", "checked_on": today, "note": ""} for source in CreditSource.values},
        by=user,
    )


def load(context: dict) -> None:
    users = context.get("users", {})
    submitted = context.get("submitted", {})
    call = context.get("practice_call")
    if not users or not submitted or call is None:
        return
    park, county = users["park"], users["county"]
    if services.queries.letter_for(call.pk, park.recommender_id) is None:
        services.upload_letter(
            call, fileobj=io.BytesIO(sample_pdf()), filename="岳阳经开区推荐函（盖章）.pdf", by=park
        )
    for username in ("applicant_b", "applicant_gangcheng"):
        application = Application.objects.get(pk=submitted[username].pk)
        if application.status != Status.SUBMITTED:
            continue
        actions.perform(application, Action.ACCEPT, by=park)
        _clean_credit(application, park)
        actions.perform(
            Application.objects.get(pk=application.pk),
            Action.RECOMMEND,
            by=park,
            payload={"opinion": OPINIONS[username]},
        )
    xinghu = Application.objects.get(pk=submitted["applicant_xinghu"].pk)
    if xinghu.status == Status.SUBMITTED:
        actions.perform(xinghu, Action.ACCEPT, by=county)
        _clean_credit(xinghu, county)
