"""Shared fixtures: the dictionaries, an open practice call, the 2024 call, and personas for every role.

Personas come from the same demo loader ``make run`` uses, so a test's "county recommender" is the demo's.
"""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _isolated_files(tmp_path, settings):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
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


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need row locks and real concurrency: skipped on the SQLite run."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
