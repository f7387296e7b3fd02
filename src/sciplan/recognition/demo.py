"""Demo data for recognition: the proposed list and a public notice open now, when the review stage left
a confirmed ranking with applications under review. Defensive: it checks states and skips quietly when
earlier stages did not get that far."""

from __future__ import annotations

from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.core import clock
from sciplan.core.errors import DomainError
from sciplan.recognition import queries, services
from sciplan.recognition.models import PublicNotice


def load(context: dict) -> None:
    users = context.get("users", {})
    bureau = users.get("bureau")
    call = context.get("practice_call")
    if bureau is None or call is None:
        return
    ranking = queries.confirmed_ranking(call) or []
    candidates = [
        row["application"].pk for row in ranking if row["application"].status == Status.UNDER_REVIEW
    ][:3]
    today = clock.local(clock.now()).date()
    if candidates:
        try:
            services.propose(
                call,
                application_ids=candidates,
                meeting_date=today,
                attendees="局长办公会议：局长、分管副局长、基础研究科科长、政策法规科科长",
                minutes="会议听取了基础研究科关于创新联合体评审情况的汇报，研究确定拟认定名单，同意按程序公示。",
                by=bureau,
            )
        except DomainError:
            return
    has_proposed = Application.objects.filter(call=call, status=Status.PROPOSED).exists()
    if has_proposed and not PublicNotice.objects.filter(call=call).exists():
        try:
            context["public_notice"] = services.publish_notice(call, starts_on=today, by=bureau)
        except DomainError:
            return
