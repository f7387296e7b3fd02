"""Shared fixtures: the dictionaries, an open practice call, the 2024 call, and personas for every role.

Personas come from the same demo loader ``make run`` uses, so a test's "county recommender" is the demo's.
"""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _isolated_files(tmp_path, settings):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    if "private" in settings.STORAGES:  # SCIPLAN_STORAGE=s3 in the environment: never a real bucket
        settings.STORAGES = {name: conf for name, conf in settings.STORAGES.items() if name != "private"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Argon2 is the production hasher; tests that check hashing opt back in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = getattr(settings, "AXES_ENABLED", True)
    # Two-factor sign-in is proven in tests/security (which turns this back on); elsewhere bureau and
    # admin personas sign in with force_login and go straight to the page under test.
    settings.OTP_ENFORCED = False
    # Background jobs run synchronously after commit (``core.tasks``' eager backend), so a test sees
    # their effects as soon as the transaction's on-commit callbacks run; tests of the embedded thread
    # and of a real Celery worker switch this themselves.
    settings.TASK_BACKEND = "eager"
    # Rate-limit counters live in the cache, which outlives a test's database: start each test afresh.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def dictionaries(db):
    from sciplan.calls.demo import ensure_dictionaries

    ensure_dictionaries()


@pytest.fixture
def call(dictionaries):
    """The practice call: open now, closing weeks ahead."""
    from sciplan.calls.demo import create_practice_call

    return create_practice_call()


@pytest.fixture
def call_2024(dictionaries):
    from sciplan.calls.demo import create_call_2024

    return create_call_2024()


class Personas(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def personas(call):
    """applicant, applicant_b (other unit, a park), county (云溪区 recommender), finance (云溪区),
    park (经开区 recommender), county_b / finance_b (华容县), bureau, admin, applicant_pending …"""
    from django.test import override_settings

    from sciplan.accounts.demo import load

    context: dict = {}
    with override_settings(DEMO_MODE=True):  # the loader refuses outside demo mode; only it is switched
        load(context)
    return Personas(context["users"])


@pytest.fixture
def complete_application(call, personas):
    """The applicant's application in ``call``: complete, every member confirmed, still a draft."""
    from sciplan.applications.demo import build_complete_application

    return build_complete_application(call, personas.applicant)


@pytest.fixture
def submitted_application(complete_application, personas):
    from sciplan.applications.models import Application
    from sciplan.applications.services import submit_application

    submit_application(complete_application, by=personas.applicant)
    return Application.objects.get(pk=complete_application.pk)


class ObjectStore:
    """The test run's S3-compatible server: make buckets, point private storage at one, read objects
    straight from the bucket (not through the code under test)."""

    def __init__(self, endpoint: str, settings, monkeypatch):
        import boto3

        self.endpoint = endpoint
        self._settings = settings
        self._monkeypatch = monkeypatch
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="sciplan-test",
            aws_secret_access_key="sciplan-test-secret",
        )
        self.buckets: list[str] = []
        self.bucket = ""
        self.prefix = ""

    def new_bucket(self) -> str:
        import uuid

        name = f"sciplan-test-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        self.buckets.append(name)
        return name

    def use(self, bucket: str, *, prefix: str = "sciplan") -> None:
        """Configure ``STORAGES['private']`` exactly as ``SCIPLAN_STORAGE=s3`` and its variables would."""
        from sciplan import settings as project_settings

        for name, value in {
            "SCIPLAN_S3_BUCKET": bucket,
            "SCIPLAN_S3_ENDPOINT_URL": self.endpoint,
            "SCIPLAN_S3_REGION": "us-east-1",
            "SCIPLAN_S3_ACCESS_KEY": "sciplan-test",
            "SCIPLAN_S3_SECRET_KEY": "sciplan-test-secret",
            "SCIPLAN_S3_ADDRESSING_STYLE": "path",
            "SCIPLAN_S3_PREFIX": prefix,
        }.items():
            self._monkeypatch.setenv(name, value)
        self._settings.STORAGES = {
            **self._settings.STORAGES,
            "private": project_settings.s3_private_storage(),
        }
        self.bucket, self.prefix = bucket, prefix

    def objects(self, bucket: str | None = None) -> dict[str, bytes]:
        """``{key within the prefix: bytes}`` of every object in ``bucket`` (default: the one in use)."""
        bucket = bucket or self.bucket
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", ()):
                body = self.client.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                key = entry["Key"]
                found[key[len(self.prefix) + 1 :] if self.prefix else key] = body
        return found

    def put(self, key: str, data: bytes) -> None:
        """Overwrite an object behind the application's back (a tampered or replaced file)."""
        full = f"{self.prefix}/{key}" if self.prefix else key
        self.client.put_object(Bucket=self.bucket, Key=full, Body=data)

    def drop_buckets(self) -> None:
        for bucket in self.buckets:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for entry in page.get("Contents", ()):
                    self.client.delete_object(Bucket=bucket, Key=entry["Key"])
            self.client.delete_bucket(Bucket=bucket)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """One moto server for the whole run, started the first time a test asks for object storage."""
    from tests.s3server import moto_server

    with moto_server(tmp_path_factory.mktemp("moto") / "moto_server.log") as endpoint:
        yield endpoint


@pytest.fixture
def object_store(moto_endpoint, settings, monkeypatch):
    """Private storage on a fresh bucket of the test run's S3-compatible server (prefix ``sciplan``).
    Ask for it before the fixtures that store files, so their files go to the bucket too."""
    store = ObjectStore(moto_endpoint, settings, monkeypatch)
    store.use(store.new_bucket())
    try:
        yield store
    finally:
        store.drop_buckets()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need row locks and real concurrency: skipped on the SQLite run."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
