"""Default dictionaries and the demo calls: the 2024 call exactly as published, and an open practice call."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sciplan.calls.models import (
    DEFAULT_RUBRIC,
    Call,
    CallState,
    Industry,
    IndustryGroup,
    PlatformLevel,
    Recommender,
    RecommenderKind,
    default_attachment_specs,
)
from sciplan.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")

COUNTIES = [
    ("430602", "岳阳楼区"),
    ("430603", "云溪区"),
    ("430611", "君山区"),
    ("430621", "岳阳县"),
    ("430623", "华容县"),
    ("430624", "湘阴县"),
    ("430626", "平江县"),
    ("430681", "汨罗市"),
    ("430682", "临湘市"),
]
PARKS = [
    "岳阳经济技术开发区",
    "城陵矶新港区",
    "南湖新区",
    "屈原管理区",
    "岳阳临港高新区",
    "湘阴高新区",
    "岳阳绿色化工高新区",
    "临湘高新区",
    "汨罗高新区",
]
# The official wording of "3" and "X" was not found: shipped as pending confirmation (SPEC §3).
INDUSTRIES = [
    ("petrochem", IndustryGroup.ONE, "现代石化（石化新材料）", False),
    ("port_logistics", IndustryGroup.THREE, "港口物流", True),
    ("agri_food", IndustryGroup.THREE, "现代农业及绿色食品加工", True),
    ("equipment", IndustryGroup.THREE, "先进装备制造", True),
    ("culture_tourism", IndustryGroup.X, "文体旅游", True),
    ("electronics", IndustryGroup.X, "电子信息与软件服务", True),
    ("medicine", IndustryGroup.X, "医药及医疗器械", True),
    ("new_energy", IndustryGroup.X, "电力新能源", True),
    ("new_materials", IndustryGroup.X, "新材料", True),
    ("green", IndustryGroup.X, "节能环保", True),
]


def ensure_dictionaries() -> None:
    for order, (code, name) in enumerate(COUNTIES, start=1):
        Recommender.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": RecommenderKind.COUNTY,
                "region_code": code,
                "needs_finance_cosign": True,
                "order": order,
            },
        )
    for order, name in enumerate(PARKS, start=1):
        Recommender.objects.update_or_create(
            code=f"P{order:02d}",
            defaults={
                "name": name,
                "kind": RecommenderKind.PARK,
                "needs_finance_cosign": False,
                "order": 100 + order,
            },
        )
    for order, (code, group, name, pending) in enumerate(INDUSTRIES, start=1):
        Industry.objects.update_or_create(
            code=code,
            defaults={"group": group, "name": name, "pending_confirmation": pending, "order": order},
        )


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def _notice() -> str:
    seed = Path(__file__).resolve().parent / "fixtures" / "notice-2024.txt"
    return seed.read_text(encoding="utf-8") if seed.exists() else ""


def _make_call(**fields) -> Call:
    fields.setdefault("attachment_specs", default_attachment_specs())
    call, _ = Call.objects.update_or_create(title=fields.pop("title"), defaults=fields)
    call.industries.set(Industry.objects.all())
    call.recommenders.set(Recommender.objects.all())
    return call


def create_call_2024() -> Call:
    return _make_call(
        title="2024年度岳阳市创新联合体申报",
        year=2024,
        state=CallState.CLOSED,
        notice=_notice(),
        opens_at=_at(2024, 7, 4),
        closes_at=_at(2024, 8, 4, 18),
        recommend_deadline=_at(2024, 8, 9, 18),
        paper_deadline=date(2024, 8, 13),
        paper_address="岳阳市南湖大道653号科技局606室（基础研究科）",
        rd_threshold=Decimal("1000.00"),
        rd_first_year=2021,
        min_platform_level=PlatformLevel.CITY,
        rubric=DEFAULT_RUBRIC,
        contact="市科技局基础研究科 0730-8186096",
    )


def create_practice_call() -> Call:
    """Open now and closing weeks ahead, so every persona can walk the whole flow today."""
    today = clock.local(clock.now()).date()
    opens = today - timedelta(days=7)
    closes = today + timedelta(days=30)
    return _make_call(
        title=f"{today.year}年度岳阳市创新联合体申报（演练批次）",
        year=today.year,
        is_practice=True,
        state=CallState.PUBLISHED,
        notice=_notice(),
        opens_at=_at(opens.year, opens.month, opens.day),
        closes_at=_at(closes.year, closes.month, closes.day, 18),
        recommend_deadline=_at(*(closes + timedelta(days=5)).timetuple()[:3], 18),
        paper_deadline=closes + timedelta(days=9),
        paper_address="岳阳市南湖大道653号科技局606室（基础研究科）",
        rd_threshold=Decimal("1000.00"),
        rd_first_year=today.year - 3,
        min_platform_level=PlatformLevel.CITY,
        rubric=DEFAULT_RUBRIC,
        contact="市科技局基础研究科 0730-8186096",
    )


def load(context: dict) -> None:
    ensure_dictionaries()
    context["call_2024"] = create_call_2024()
    context["practice_call"] = create_practice_call()
