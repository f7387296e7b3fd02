"""Demo data for the bureau's review, through the same services the pages use.

Seven expert personas (expert1 … expert7, the demo password) and a few pool-only experts. 湖南理工学院's
expert reviews advanced equipment but works at a member unit of the 智能装备 consortium, so the draw
visibly excludes him. The park's two recommended applications get their paper copies registered; the
智能装备 one passes formal review and gets a panel of five, two of whom have already scored; the 智慧物流
one waits for the demo bureau user's formal review.
"""

from __future__ import annotations

from sciplan.accounts.demo import ensure_user
from sciplan.accounts.roles import Role
from sciplan.applications.models import Application
from sciplan.applications.workflow import Status
from sciplan.core import clock
from sciplan.review import panels, scoring, services
from sciplan.review.models import Draw, Expert, FormalOutcome

# username, name, organisation, fields, title
PERSONAS = [
    ("expert1", "周立新", "湖南大学", ["equipment", "new_materials"], "教授"),
    ("expert2", "黄晓燕", "中国科学院长沙分院", ["equipment", "electronics"], "研究员"),
    ("expert3", "彭志刚", "湖南理工学院", ["equipment", "petrochem"], "教授"),
    ("expert4", "邓文华", "长沙理工大学", ["equipment", "port_logistics"], "教授级高级工程师"),
    ("expert5", "谭海峰", "湘潭大学", ["equipment", "green"], "教授"),
    ("expert6", "刘静怡", "湖南省科学技术信息研究所", ["equipment", "port_logistics", "agri_food"], "研究员"),
    ("expert7", "蒋卫东", "国防科技大学", ["equipment", "electronics", "new_energy"], "教授"),
]
POOL_ONLY = [
    ("杨永强", "中南大学", ["petrochem", "new_materials"], "教授"),
    ("钟丽华", "湖南农业大学", ["agri_food"], "教授"),
    ("罗建平", "湖南师范大学", ["medicine", "culture_tourism"], "教授"),
    ("曾凡荣", "岳阳职业技术学院", ["port_logistics", "equipment"], "副教授"),
    ("胡美玲", "中南林业科技大学", ["green", "agri_food"], "教授"),
]


def _experts(context: dict) -> list[Expert]:
    experts = []
    for index, (username, name, org, fields, title) in enumerate(PERSONAS, start=1):
        user = ensure_user(username, name, Role.EXPERT, mobile=f"1357300{index:04d}")
        expert, _ = Expert.objects.update_or_create(
            user=user,
            defaults={
                "name": name,
                "organisation": org,
                "fields": sorted(fields),
                "title": title,
                "phone": f"1357300{index:04d}",
                "email": f"{username}@demo.sciplan.local",
                "active": True,
            },
        )
        context.setdefault("users", {})[username] = user
        experts.append(expert)
    for index, (name, org, fields, title) in enumerate(POOL_ONLY, start=1):
        Expert.objects.update_or_create(
            name=name,
            organisation=org,
            defaults={
                "fields": sorted(fields),
                "title": title,
                "phone": f"1367300{index:04d}",
                "active": True,
            },
        )
    return experts


def load(context: dict) -> None:
    experts = _experts(context)
    context["experts"] = experts
    users = context.get("users", {})
    bureau = users.get("bureau")
    submitted = context.get("submitted", {})
    if bureau is None or not submitted:
        return
    today = clock.local(clock.now()).date()
    recommended = [
        Application.objects.select_related("call", "recommender", "lead_unit").get(pk=a.pk)
        for a in submitted.values()
    ]
    recommended = [a for a in recommended if a.status == Status.RECOMMENDED]
    for application in recommended:
        if not application.paper_receipts.exists():
            services.record_paper_receipt(
                application, {"received_on": today, "copies": 3, "received_by": bureau.name}, by=bureau
            )
    for recommender in {a.recommender for a in recommended}:
        services.record_summary_table(
            recommended[0].call, recommender, {"received_on": today, "received_by": bureau.name}, by=bureau
        )
    equipment = next((a for a in recommended if a.industry and a.industry.code == "equipment"), None)
    if equipment is None or services.intake_missing(equipment):
        return
    checklist = {key: True for key, _ in services.checklist_items(equipment.call)}
    services.record_formal_review(equipment, checklist=checklist, outcome=FormalOutcome.PASS, by=bureau)
    if Draw.objects.filter(call=equipment.call).exists():
        return
    draw = panels.draw_panel([equipment.pk], size=5, seed="yueyang-2024-demo", by=bureau)
    context["demo_draw"] = draw
    scorers = Expert.objects.filter(pk__in=draw.result, user__isnull=False).order_by("pk")[:2]
    rubric = scoring.rubric_of(equipment.call)
    for share, expert in zip((0.82, 0.7), scorers, strict=False):
        assignment = panels.get_assignment_for(expert.user, equipment.pk)
        panels.declare(assignment, conflict=False, by=expert.user)
        scoring.submit_score(
            assignment,
            values={item["code"]: str(round(item["max"] * share, 1)) for item in rubric},
            comments={item["code"]: "材料翔实，论证充分。" for item in rubric},
            by=expert.user,
        )
