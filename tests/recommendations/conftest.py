"""Fixtures for the recommending units' tests: applications in two counties, signed-in web clients."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from sciplan.applications.demo import sample_pdf
from sciplan.recommendations import services
from sciplan.recommendations.models import CreditSource
from tests.factories import application_in_state


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    # These tests are about jurisdiction, not sign-in: bureau pages would otherwise ask for TOTP first.
    settings.OTP_ENFORCED = False


@pytest.fixture
def web_as(personas):
    """``web_as("county")`` → a Django test client signed in as that persona."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(personas[name])
        return client

    return make


@pytest.fixture
def two_counties(call, personas):
    """applicant (云溪区) and applicant_jiangbei (华容县), each with a submitted application."""
    return {
        "yunxi": application_in_state(call, personas.applicant, "submitted", direction="云溪新材料"),
        "huarong": application_in_state(call, personas.applicant_jiangbei, "submitted", direction="华容食品"),
    }


def record_clean_credit(application, user, *, bad: str | None = None):
    from sciplan.core import clock

    today = clock.local(clock.now()).date()
    entries = {
        s: {"result": "bad" if s == bad else "clean", "checked_on": today, "note": ""}
        for s in CreditSource.values
    }
    return services.record_credit_checks(application, entries, by=user)


def upload_pdf_letter(call, user, name: str = "推荐函.pdf"):
    return services.upload_letter(call, fileobj=io.BytesIO(sample_pdf()), filename=name, by=user)


def api_sign_in(username: str):
    """A bearer-token API client for ``username``; bureau and admin send their demo authenticator code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sciplan.accounts.demo import DEMO_PASSWORD, current_demo_code
    from sciplan.accounts.models import User
    from tests.api.conftest import ApiClient

    user = User.objects.get(username=username)
    body = {"username": username, "password": DEMO_PASSWORD}
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        body["otp"] = current_demo_code(user)
    response = ApiClient().post("/auth/token", body)
    assert response.status_code == 201, response.content
    return ApiClient(response.json()["token"])
