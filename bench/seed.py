"""Seed the benchmark database fast: 2,000 applications with realistic content, in bulk.

Run by ``bench/run.py`` inside the production-like environment it prepares (never against a real
database: it refuses unless the database name starts with ``sciplan_bench``). Rows are written with
``bulk_create``; attachments share a few stored files through hard links, so every row still has its
own storage key. Signed-in sessions and API tokens are issued here so that the load does not start with
thousands of Argon2 sign-ins (the sign-in page itself is measured as the floor).

Writes a JSON manifest (users, sessions, tokens, applications, endpoints) for the load generator.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplan.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from sciplan.accounts import uscc  # noqa: E402
from sciplan.accounts.models import Unit, UnitKind, UnitStatus, User  # noqa: E402
from sciplan.accounts.roles import Role  # noqa: E402
from sciplan.api.auth import hash_token  # noqa: E402
from sciplan.api.models import ApiToken  # noqa: E402
from sciplan.applications.models import (  # noqa: E402
    Application,
    ApplicationVersion,
    Attachment,
    AttachmentKind,
    FinanceYear,
    Member,
    MemberCategory,
    RdPlatform,
    StatusEvent,
)
from sciplan.applications.services import receipt_number  # noqa: E402
from sciplan.applications.snapshot import build_snapshot, content_hash  # noqa: E402
from sciplan.applications.workflow import Status  # noqa: E402
from sciplan.calls.demo import ensure_dictionaries  # noqa: E402
from sciplan.calls.models import (  # noqa: E402
    DEFAULT_RUBRIC,
    Call,
    CallState,
    Industry,
    PlatformLevel,
    Recommender,
    default_attachment_specs,
)
from sciplan.core import clock  # noqa: E402

PASSWORD = "Bench-2024-pass"  # noqa: S105 - a throwaway database, dropped after the run

SENTENCES = [
    "依托牵头单位省级企业技术中心，联合高校、科研院所与产业链上下游企业开展关键核心技术联合攻关。",
    "近三年共同承担省市科技计划项目十余项，形成了稳定的合作机制与良好的合作成效。",
    "围绕产业链薄弱环节，梳理出制约本地产业发展的技术难题，建立问题清单与攻关任务清单。",
    "联合体设立理事会与秘书处，实行重大事项集体决策、日常事务专人对接的运行机制。",
    "成果优先在岳阳市内转化落地，带动配套企业提升工艺水平与产品质量，提高本地配套率。",
    "建立知识产权共享与收益分配制度，按投入与贡献约定成果归属，保障各方合法权益。",
]


def text(max_length: int, share: float) -> str:
    """Chinese prose at ``share`` of the field's limit: as long as a real applicant writes."""
    target = int(max_length * share)
    out = []
    size = 0
    while size < target:
        sentence = SENTENCES[len(out) % len(SENTENCES)]
        out.append(sentence)
        size += len(sentence)
    return "".join(out)[:target]


def pdf_bytes(size: int) -> bytes:
    """A valid PDF padded with a comment to ``size`` bytes (a scanned document's weight)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    body = buffer.getvalue()
    head, tail = body.split(b"\n", 1)
    padding = max(0, size - len(body) - 2)
    return head + b"\n%" + b"x" * padding + b"\n" + tail


def make_call() -> Call:
    now = clock.now()
    today = clock.local(now).date()
    call = Call.objects.create(
        title=f"{today.year}年度岳阳市创新联合体申报（性能测试批次）",
        state=CallState.PUBLISHED,
        year=today.year,
        notice="\n".join(SENTENCES * 20),
        opens_at=now - timedelta(days=30),
        closes_at=now + timedelta(days=2),
        recommend_deadline=now + timedelta(days=7),
        paper_deadline=today + timedelta(days=10),
        paper_address="岳阳市南湖大道653号科技局606室（基础研究科）",
        rd_threshold=Decimal("1000.00"),
        rd_first_year=today.year - 3,
        min_platform_level=PlatformLevel.CITY,
        attachment_specs=default_attachment_specs(),
        rubric=DEFAULT_RUBRIC,
        contact="市科技局基础研究科 0730-8186096",
    )
    call.industries.set(Industry.objects.all())
    call.recommenders.set(Recommender.objects.all())
    return call


class Rows(list):
    """Rows already in memory, answering the manager calls ``build_snapshot`` makes."""

    def all(self):
        return self

    def order_by(self, field: str):
        return sorted(self, key=lambda row: getattr(row, field))

    def filter(self, **conditions):
        return [r for r in self if all(getattr(r, k.replace("__isnull", "")) is None for k in conditions)]


class InMemory:
    """An application whose related rows come from memory (seeding only)."""

    def __init__(self, application, **related):
        self._application = application
        self.__dict__.update(related)

    def __getattr__(self, name):
        return getattr(self._application, name)


MEMBER_KINDS = [MemberCategory.UNIVERSITY, MemberCategory.TESTING, MemberCategory.CHAIN_ENTERPRISE]
REQUIRED_FILES = [
    (AttachmentKind.FINANCIAL_EVIDENCE, "近三年审计报告.pdf"),
    (AttachmentKind.CHARTER, "联合体章程.pdf"),
    (AttachmentKind.COMMITMENT, "承诺书.pdf"),
]


def seed(total: int, drafts: int, accepted: int) -> dict:
    rng = random.Random(20240804)
    started = time.monotonic()

    def lap(label: str) -> None:
        print(f"  {time.monotonic() - started:6.1f} s  {label}", flush=True)

    ensure_dictionaries()
    call = make_call()
    recommenders = list(Recommender.objects.order_by("order", "code"))
    industries = list(Industry.objects.all())
    now = clock.now()
    today = clock.local(now).date()
    password = make_password(PASSWORD)

    # Units and one applicant per unit, spread evenly over the 18 recommenders.
    units = Unit.objects.bulk_create(
        [
            Unit(
                name=f"岳阳第{i + 1:04d}号科技股份有限公司",
                uscc=uscc.build("91430600", f"{30000000 + i:08d}"),
                kind=UnitKind.ENTERPRISE,
                recommender=recommenders[i % len(recommenders)],
                address="湖南省岳阳市" + recommenders[i % len(recommenders)].name,
                legal_representative="张建华",
                contact_name="李志强",
                contact_mobile="13807301234",
                status=UnitStatus.APPROVED,
                reviewed_at=now,
            )
            for i in range(total)
        ],
        batch_size=1000,
    )
    applicants = User.objects.bulk_create(
        [
            User(
                username=f"bench_u{i + 1:04d}",
                name=f"填报人{i + 1:04d}",
                role=Role.APPLICANT,
                unit=unit,
                is_unit_admin=True,
                mobile="13807301234",
                email=f"u{i + 1:04d}@bench.sciplan.local",
                password=password,
                password_changed_at=now,
            )
            for i, unit in enumerate(units)
        ],
        batch_size=1000,
    )
    staff = []
    for rec in recommenders:
        staff.append(
            User(
                username=f"bench_rec_{rec.code}",
                name=f"{rec.name}经办人",
                role=Role.RECOMMENDER,
                recommender=rec,
                password=password,
                password_changed_at=now,
            )
        )
        if rec.needs_finance_cosign:
            staff.append(
                User(
                    username=f"bench_fin_{rec.code}",
                    name=f"{rec.name}财政局经办人",
                    role=Role.FINANCE,
                    recommender=rec,
                    password=password,
                    password_changed_at=now,
                )
            )
    staff.append(
        User(
            username="bench_bureau",
            name="市科技局经办人",
            role=Role.BUREAU,
            password=password,
            password_changed_at=now,
        )
    )
    staff = User.objects.bulk_create(staff)
    # Bureau staff must sign in with a second factor (STANDARDS A4): their sessions are OTP-verified.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    verified = {
        u.pk: TOTPDevice.objects.create(user=u, name="bench", confirmed=True).persistent_id
        for u in staff
        if u.role == Role.BUREAU
    }

    lap("units and users")
    # Applications: mostly submitted already (the last hour is the tail of the call), the rest complete
    # drafts that pass every eligibility rule, waiting for their final submit.
    drafts, accepted = min(drafts, total // 2), min(accepted, total // 5)
    statuses = [Status.DRAFT] * drafts + [Status.ACCEPTED] * accepted
    statuses += [Status.SUBMITTED] * (total - len(statuses))
    rng.shuffle(statuses)
    shares = [rng.uniform(0.45, 0.9) for _ in range(8)]
    narrative = {
        name: text(Application._meta.get_field(name).max_length, shares[i % len(shares)])
        for i, name in enumerate(
            [
                "lead_standing",
                "decision_body",
                "execution_body",
                "ip_sharing",
                "member_entry_exit",
                "basis",
                "goal_year1",
                "goal_year2",
                "goal_year3",
                "task_application",
                "task_development",
                "task_reserve",
                "local_support",
                "transfer",
                "service_platform",
                "budget_plan",
                "schedule",
                "safeguards",
                "expected_results",
            ]
        )
    }
    apps = []
    for i, (unit, user) in enumerate(zip(units, applicants, strict=True)):
        industry = industries[i % len(industries)]
        apps.append(
            Application(
                call=call,
                lead_unit=unit,
                recommender=unit.recommender,
                status=statuses[i],
                created_by=user,
                submitted_at=None
                if statuses[i] == Status.DRAFT
                else now - timedelta(hours=rng.uniform(2, 400)),
                direction=f"{industry.name[:6]}{i + 1:04d}",
                industry=industry,
                tech_field=f"{industry.name}关键材料与工艺",
                contact_name=user.name,
                contact_post="科技部部长",
                contact_mobile="13807301234",
                contact_email="contact@example.cn",
                start_date=date(today.year, 1, 1),
                end_date=date(today.year + 2, 12, 31),
                planned_investment=Decimal("6800.00"),
                lead_legal_rep="张建华",
                lead_enterprise_type="民营企业",
                lead_credentials=["高新技术企业"],
                lead_rd_staff=186,
                lead_invention_patents=42,
                lead_standing_level="province",
                meeting_frequency="理事会每半年召开一次，秘书处每月例会",
                liaison_name="李志强",
                liaison_post="技术中心主任",
                liaison_mobile="13907305678",
                **narrative,
            )
        )
    apps = Application.objects.bulk_create(apps, batch_size=500)

    lap("applications")
    finance_rows = FinanceYear.objects.bulk_create(
        [
            FinanceYear(
                application=app,
                year=year,
                revenue=Decimal(52000 + k * 3000),
                rd_spending=Decimal(450 + k * 20),
            )
            for app in apps
            for k, year in enumerate(call.rd_years)
        ],
        batch_size=2000,
    )
    platforms = RdPlatform.objects.bulk_create(
        [
            RdPlatform(
                application=app,
                name=f"湖南省{app.direction}工程技术研究中心",
                level=PlatformLevel.PROVINCE,
                authority="湖南省科学技术厅",
                year=today.year - 4,
            )
            for app in apps
        ],
        batch_size=2000,
    )
    members = Member.objects.bulk_create(
        [
            Member(
                application=app,
                name=f"成员单位{app.pk}-{k + 1}",
                uscc=uscc.build("12430600", f"{50000000 + app.pk * 3 + k:08d}"),
                category=MEMBER_KINDS[k],
                in_yueyang=k > 0,
                role=text(500, 0.5),
                agreement_signed_on=today - timedelta(days=500 + k),
                agreement_years=5,
                cooperation_started_on=today - timedelta(days=700 + k),
                cooperation_results=text(1000, 0.4),
                contact_name=f"成员联系人{k + 1}",
                contact_mobile=f"1370730{k:04d}",
                order=k + 1,
                confirmed_at=now - timedelta(days=3),
                confirmed_by_name=f"成员联系人{k + 1}",
            )
            for app in apps
            for k in range(3)
        ],
        batch_size=2000,
    )

    lap("finances, platforms, members")
    # A few stored files, shared through hard links: each row keeps its own key, as the model requires.
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    shared_dir = root / "bench-shared"
    shared_dir.mkdir(parents=True, exist_ok=True)
    sources = {}
    for label, size in (("small", 180 * 1024), ("medium", 900 * 1024), ("large", 2 * 1024 * 1024)):
        data = pdf_bytes(size)
        path = shared_dir / f"{label}.pdf"
        path.write_bytes(data)
        import hashlib

        sources[label] = (path, len(data), hashlib.sha256(data).hexdigest())
    applicant_of = {app.pk: app.created_by_id for app in apps}
    rows = []
    members_by_app: dict[int, list[Member]] = {}
    for m in members:
        members_by_app.setdefault(m.application_id, []).append(m)
    for app, platform in zip(apps, platforms, strict=True):
        folder = root / "applications" / str(app.pk)
        folder.mkdir(parents=True, exist_ok=True)
        specs = [(AttachmentKind.PLATFORM_CERTIFICATE, "平台认定证书.pdf", None, platform, "small")]
        specs += [
            (AttachmentKind.AGREEMENT, f"{m.name}合作协议.pdf", m, None, "medium")
            for m in members_by_app[app.pk]
        ]
        specs += [(kind, name, None, None, "large") for kind, name in REQUIRED_FILES]
        for kind, name, member, plat, label in specs:
            path, size, digest = sources[label]
            key = f"applications/{app.pk}/{secrets.token_hex(16)}.pdf"
            os.link(path, root / key)
            rows.append(
                Attachment(
                    application=app,
                    member=member,
                    platform=plat,
                    kind=kind,
                    original_name=name,
                    storage_key=key,
                    content_kind="pdf",
                    size=size,
                    sha256=digest,
                    uploaded_by_id=applicant_of[app.pk],
                    in_submitted_version=app.status != Status.DRAFT,
                )
            )
    Attachment.objects.bulk_create(rows, batch_size=2000)

    lap("attachments")
    # Submitted versions and their history, as the submit service would have written them.
    # The real build_snapshot, fed from the rows in memory instead of two queries per application.
    versions, events = [], []
    by_rec_user = {u.recommender_id: u for u in staff if u.role == Role.RECOMMENDER}
    finances_by_app: dict[int, list] = {}
    for row in finance_rows:
        finances_by_app.setdefault(row.application_id, []).append(row)
    files_by_app: dict[int, list] = {}
    for row in rows:
        files_by_app.setdefault(row.application_id, []).append(row)
    for app, unit, platform in zip(apps, units, platforms, strict=True):
        if app.status == Status.DRAFT:
            continue
        app.call, app.lead_unit = call, unit
        view = InMemory(
            app,
            finance_years=Rows(finances_by_app[app.pk]),
            platforms=Rows([platform]),
            members=Rows(members_by_app[app.pk]),
            attachments=Rows(files_by_app[app.pk]),
        )
        snapshot = build_snapshot(view)
        snapshot["version"] = 1
        snapshot["submitted_at"] = app.submitted_at.isoformat()
        versions.append(
            ApplicationVersion(
                application=app,
                number=1,
                snapshot=snapshot,
                content_hash=content_hash(snapshot),
                receipt_no=receipt_number(app, 1),
                submitted_at=app.submitted_at,
                submitted_by_id=app.created_by_id,
            )
        )
        events.append(
            StatusEvent(
                application=app,
                action="submit",
                from_status=Status.DRAFT,
                to_status=Status.SUBMITTED,
                actor_id=app.created_by_id,
                actor_role=Role.APPLICANT,
                at=app.submitted_at,
                version_number=1,
            )
        )
        if app.status == Status.ACCEPTED:
            events.append(
                StatusEvent(
                    application=app,
                    action="accept",
                    from_status=Status.SUBMITTED,
                    to_status=Status.ACCEPTED,
                    actor=by_rec_user[app.recommender_id],
                    actor_role=Role.RECOMMENDER,
                    at=app.submitted_at + timedelta(hours=1),
                )
            )
    ApplicationVersion.objects.bulk_create(versions, batch_size=500)
    StatusEvent.objects.bulk_create(events, batch_size=2000)

    lap("versions and events")
    # Signed-in sessions and API tokens for every persona.
    people = list(applicants) + list(staff)
    sessions, tokens, raw_tokens, session_keys = [], [], {}, {}
    expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for user in people:
        store = SessionStore()
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            "last_seen": int(time.time()),
        }
        if user.pk in verified:
            data["otp_device_id"] = verified[user.pk]
        key = secrets.token_hex(16)
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        session_keys[user.pk] = key
        raw = secrets.token_urlsafe(32)
        raw_tokens[user.pk] = raw
        tokens.append(
            ApiToken(
                user=user,
                token_hash=hash_token(raw),
                name="bench",
                expires_at=now + timedelta(hours=settings.API_TOKEN_HOURS),
            )
        )
    Session.objects.bulk_create(sessions, batch_size=2000)
    ApiToken.objects.bulk_create(tokens, batch_size=2000)

    lap("sessions and tokens")

    def persona(user):
        return {
            "id": user.pk,
            "username": user.username,
            "session": session_keys[user.pk],
            "token": raw_tokens[user.pk],
        }

    app_rows = [
        {
            "id": app.pk,
            "status": str(app.status),
            "recommender": app.recommender_id,
            "applicant": persona(applicants[i]),
        }
        for i, app in enumerate(apps)
    ]
    return {
        "call": call.pk,
        "password": PASSWORD,
        "applications": app_rows,
        "recommenders": [
            {
                **persona(u),
                "recommender": u.recommender_id,
                "visible": sum(
                    1 for a in apps if a.recommender_id == u.recommender_id and a.status != Status.DRAFT
                ),
            }
            for u in staff
            if u.role == Role.RECOMMENDER
        ],
        "bureau": persona(next(u for u in staff if u.role == Role.BUREAU)),
        "shared_pdf_bytes": sources["large"][1],
        "counts": {
            "applications": len(apps),
            "drafts": drafts,
            "units": len(units),
            "users": len(people),
            "members": len(members),
            "attachments": len(rows),
            "versions": len(versions),
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--drafts", type=int, default=500)
    parser.add_argument("--accepted", type=int, default=300)
    args = parser.parse_args()
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not str(name).startswith("sciplan_bench"):
        raise SystemExit(f"refusing to seed database {name!r}: only a sciplan_bench* PostgreSQL database")
    with transaction.atomic():
        manifest = seed(args.applications, args.drafts, args.accepted)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from discover import discover

    manifest["endpoints"] = discover(manifest)
    Path(args.out).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"seeded {manifest['counts']} in {manifest['seconds']} s")


if __name__ == "__main__":
    main()
