"""Seed the benchmark database fast: 2,000 applications (``--scale province``: 20,000 over 220
recommending units of 14 cities) with realistic content, in bulk.

Run by ``bench/run.py`` inside the production-like environment it prepares (never against a real
database: it refuses unless the database name starts with ``sciplan_bench``). Rows are written with
``bulk_create``; attachments are written through Django's storage API (the directory or an S3 bucket,
whatever ``SCIPLAN_STORAGE`` says), every row with its own key filled from a few shared blobs
(``BlobWriter``). Signed-in sessions and API tokens are issued here so that the load does not start with
thousands of Argon2 sign-ins (the sign-in page itself is measured as the floor).

Writes a JSON manifest (users, sessions, tokens, applications, endpoints) for the load generator.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import secrets
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    BudgetYear,
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
    RecommenderKind,
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
    """A valid PDF of about ``size`` bytes (a scanned document's weight): the load's own upload file."""
    from load import make_pdf  # bench/load.py, beside this script

    return make_pdf(size)


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


# The three blobs every attachment is filled from: a scanned document's weight, or (``--blob-size light``,
# for object storage in the benchmark, where every key holds its own bytes) a few kilobytes.
BLOB_SIZES = {
    "full": {"small": 180 * 1024, "medium": 900 * 1024, "large": 2 * 1024 * 1024},
    "light": {"small": 3 * 1024, "medium": 4 * 1024, "large": 6 * 1024},
}


@dataclass
class Blob:
    key: str
    data: bytes
    size: int
    sha256: str


class BlobWriter:
    """Fills many private-storage keys from a few blobs, through Django's storage API only, so seeding
    works with whatever ``core.storage.private_storage`` is (the directory or an S3 bucket):

    - a backend with local paths (``Storage.path``, the file-system default): each key is a hard link to
      the blob saved once — no bytes written, seconds for 140,000 keys;
    - django-storages' S3 backend: each key is a server-side copy of the blob saved once (no bytes travel),
      several at a time;
    - any other backend: ``Storage.save`` of the blob's bytes, several at a time.
    """

    def __init__(self, sizes: dict[str, int]):
        from django.core.files.base import ContentFile

        from sciplan.core.storage import private_storage

        self.storage = private_storage()
        self.blobs: dict[str, Blob] = {}
        for label, size in sizes.items():
            data = pdf_bytes(size)
            key = self.storage.save(f"bench-shared/{label}-{secrets.token_hex(4)}.pdf", ContentFile(data))
            self.blobs[label] = Blob(key, data, len(data), hashlib.sha256(data).hexdigest())
        self.mode = "save"
        try:
            self.storage.path(self.blobs["small"].key)
            self.mode = "link"
        except NotImplementedError:
            if hasattr(self.storage, "bucket") and hasattr(self.storage, "_normalize_name"):
                self.mode = "copy"
                self.client = self.storage.connection.meta.client  # boto3 clients are thread-safe
        self.pool = ThreadPoolExecutor(max_workers=8) if self.mode != "link" else None
        self.pending: list = []
        self.count = 0

    def describe(self) -> str:
        how = {"link": "hard links", "copy": "server-side copies", "save": "one write each"}[self.mode]
        return f"{type(self.storage).__name__}, {self.count} keys from {len(self.blobs)} blobs by {how}"

    def _full(self, key: str) -> str:
        from storages.utils import clean_name

        return self.storage._normalize_name(clean_name(key))

    def _copy(self, source: str, key: str) -> None:
        bucket = self.storage.bucket_name
        self.client.copy_object(Bucket=bucket, CopySource={"Bucket": bucket, "Key": source}, Key=key)

    def _save(self, data: bytes, key: str) -> None:
        from django.core.files.base import ContentFile

        stored = self.storage.save(key, ContentFile(data))
        if stored != key:
            raise RuntimeError(f"storage renamed {key} to {stored}")

    def place(self, label: str, key: str) -> tuple[int, str]:
        """Store the blob ``label`` under ``key``; its size and SHA-256, for the row."""
        blob = self.blobs[label]
        self.count += 1
        if self.mode == "link":
            target = Path(self.storage.path(key))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(self.storage.path(blob.key), target)
        elif self.mode == "copy":
            self.pending.append(self.pool.submit(self._copy, self._full(blob.key), self._full(key)))
        else:
            self.pending.append(self.pool.submit(self._save, blob.data, key))
        if len(self.pending) > 2000:
            self._drain()
        return blob.size, blob.sha256

    def _drain(self) -> None:
        for future in self.pending:
            future.result()  # a failed write fails the seeding
        self.pending = []

    def finish(self) -> None:
        self._drain()
        if self.pool:
            self.pool.shutdown()


MEMBER_KINDS = [MemberCategory.UNIVERSITY, MemberCategory.TESTING, MemberCategory.CHAIN_ENTERPRISE]
REQUIRED_FILES = [
    (AttachmentKind.FINANCIAL_EVIDENCE, "近三年审计报告.pdf"),
    (AttachmentKind.CHARTER, "联合体章程.pdf"),
    (AttachmentKind.COMMITMENT, "承诺书.pdf"),
]


# The other thirteen cities (prefectures) of Hunan: a province-wide deployment's recommending units are
# their county-level S&T departments and parks, next to Yueyang's eighteen of the dictionary.
CITIES = [
    "长沙",
    "株洲",
    "湘潭",
    "衡阳",
    "邵阳",
    "常德",
    "张家界",
    "益阳",
    "郴州",
    "永州",
    "怀化",
    "娄底",
    "湘西",
]
SCALES = {"city": {"applications": 2000, "units": 0}, "province": {"applications": 20000, "units": 220}}


def more_recommenders(units: int) -> None:
    """Recommending units up to ``units`` in all: counties (with the finance co-signature) and parks of
    the other cities, spread evenly, in one insert."""
    have = Recommender.objects.count()
    order = (Recommender.objects.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    extra = []
    for n in range(max(0, units - have)):
        city, k = CITIES[n % len(CITIES)], n // len(CITIES) + 1
        park = k % 6 == 0
        extra.append(
            Recommender(
                code=f"P{n % len(CITIES) + 1:02d}{k:02d}",
                name=f"{city}市第{k}{'高新园区管委会' if park else '县（市、区）科技局'}",
                kind=RecommenderKind.PARK if park else RecommenderKind.COUNTY,
                needs_finance_cosign=not park,
                order=order + n,
            )
        )
    Recommender.objects.bulk_create(extra)


def seed(total: int, drafts: int, accepted: int, units: int, blob_sizes: dict[str, int]) -> dict:
    rng = random.Random(20240804)
    started = time.monotonic()

    def lap(label: str) -> None:
        print(f"  {time.monotonic() - started:6.1f} s  {label}", flush=True)

    ensure_dictionaries()
    more_recommenders(units)
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

    # The plan's budget (经费预算), complete and balanced: three years adding up to the planned investment.
    budget_rows = BudgetYear.objects.bulk_create(
        [
            BudgetYear(
                application=app,
                index=index,
                source_lead=year * Decimal("0.6"),
                source_members=year * Decimal("0.4"),
                use_equipment=year * Decimal("0.3"),
                use_materials=year * Decimal("0.2"),
                use_personnel=year * Decimal("0.25"),
                use_cooperation=year * Decimal("0.15"),
                use_platform=year * Decimal("0.05"),
                use_other=year * Decimal("0.05"),
            )
            for app in apps
            for index, year in ((1, Decimal(2400)), (2, Decimal(2200)), (3, Decimal(2200)))
        ],
        batch_size=2000,
    )
    budgets_by_app: dict[int, list[BudgetYear]] = {}
    for row in budget_rows:
        budgets_by_app.setdefault(row.application_id, []).append(row)

    lap("finances, platforms, members, budgets")
    # A few stored blobs, written once through the storage API; every row gets its own key (the model
    # requires it), filled from a blob by the cheapest means the backend offers (see ``BlobWriter``).
    writer = BlobWriter(blob_sizes)
    applicant_of = {app.pk: app.created_by_id for app in apps}
    rows = []
    members_by_app: dict[int, list[Member]] = {}
    for m in members:
        members_by_app.setdefault(m.application_id, []).append(m)
    for app, platform in zip(apps, platforms, strict=True):
        specs = [(AttachmentKind.PLATFORM_CERTIFICATE, "平台认定证书.pdf", None, platform, "small")]
        specs += [
            (AttachmentKind.AGREEMENT, f"{m.name}合作协议.pdf", m, None, "medium")
            for m in members_by_app[app.pk]
        ]
        specs += [(kind, name, None, None, "large") for kind, name in REQUIRED_FILES]
        for kind, name, member, plat, label in specs:
            key = f"applications/{app.pk}/{secrets.token_hex(16)}.pdf"
            size, digest = writer.place(label, key)
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
    writer.finish()
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
    version_count = 0
    for app, unit, platform in zip(apps, units, platforms, strict=True):
        if app.status == Status.DRAFT:
            continue
        if len(versions) >= 500:  # snapshots are ≈60 KB each: written in chunks, not all held in memory
            ApplicationVersion.objects.bulk_create(versions)
            version_count += len(versions)
            versions = []
        app.call, app.lead_unit = call, unit
        view = InMemory(
            app,
            finance_years=Rows(finances_by_app[app.pk]),
            platforms=Rows([platform]),
            members=Rows(members_by_app[app.pk]),
            attachments=Rows(files_by_app[app.pk]),
            budget_years=Rows(budgets_by_app[app.pk]),
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
    ApplicationVersion.objects.bulk_create(versions)
    version_count += len(versions)
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

    visible = Counter(a.recommender_id for a in apps if a.status != Status.DRAFT)
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
                "visible": visible[u.recommender_id],
            }
            for u in staff
            if u.role == Role.RECOMMENDER
        ],
        "bureau": persona(next(u for u in staff if u.role == Role.BUREAU)),
        "shared_pdf_bytes": writer.blobs["large"].size,
        "storage": writer.describe(),
        "counts": {
            "applications": len(apps),
            "drafts": drafts,
            "units": len(units),
            "users": len(people),
            "members": len(members),
            "attachments": len(rows),
            "versions": version_count,
            "recommenders": len(recommenders),
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def plain_bulk_inserts() -> None:
    """Django 5.2 bulk-inserts on PostgreSQL as ``UNNEST`` of one array per column, and psycopg quotes
    each value of a text array in Python (a regular expression over every character): ≈0.1 s per frozen
    version (≈60 KB of JSON). The seeder inserts with the plain multi-row ``VALUES`` instead, whose
    strings libpq escapes in C — 20,000 applications in minutes, not an hour."""
    from django.db.backends.postgresql import compiler as postgresql
    from django.db.models.sql import compiler as base

    postgresql.SQLInsertCompiler.assemble_as_sql = base.SQLInsertCompiler.assemble_as_sql  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--scale",
        choices=SCALES,
        default="city",
        help="city: 2,000 applications over Yueyang's 18 recommending units; province: 14 cities, "
        "20,000 applications over 220 units (--applications and --units override either)",
    )
    parser.add_argument("--applications", type=int)
    parser.add_argument("--units", type=int, help="recommending units in all (at least the dictionary's 18)")
    parser.add_argument("--drafts", type=int, default=500)
    parser.add_argument("--accepted", type=int)
    parser.add_argument(
        "--blob-size",
        choices=BLOB_SIZES,
        default="full",
        help="full: attachments of a scanned document's weight; light: a few KB (object storage)",
    )
    args = parser.parse_args()
    scale = SCALES[args.scale]
    total = args.applications or scale["applications"]
    units = args.units if args.units is not None else scale["units"]
    accepted = args.accepted if args.accepted is not None else total * 3 // 20
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not str(name).startswith("sciplan_bench"):
        raise SystemExit(f"refusing to seed database {name!r}: only a sciplan_bench* PostgreSQL database")
    plain_bulk_inserts()
    with transaction.atomic():
        manifest = seed(total, args.drafts, accepted, units, BLOB_SIZES[args.blob_size])
    with connection.cursor() as cursor:
        # As autovacuum would after a bulk load: statistics, and the visibility map index-only scans need.
        cursor.execute("VACUUM ANALYZE")
    from discover import discover

    manifest["endpoints"] = discover(manifest)
    Path(args.out).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"seeded {manifest['counts']} in {manifest['seconds']} s")


if __name__ == "__main__":
    main()
