"""Review test helpers: experts (with accounts by default), applications under review, and a signed-in API client."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from sciplan.accounts.demo import ensure_user
from sciplan.accounts.roles import Role
from sciplan.review.models import Expert
from tests.factories import application_in_state


@pytest.fixture(autouse=True)
def _review_settings(settings):
    settings.OTP_ENFORCED = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_expert(db):
    counter = {"n": 0}

    def make(name="专家", organisation="湖南大学", *, fields=("petrochem",), uscc="", user=True, active=True):
        """An expert of the pool; with a sign-in account unless ``user=False`` (never drawn then)."""
        counter["n"] += 1
        account = None
        if user:
            account = ensure_user(f"expert_t{counter['n']}", name, Role.EXPERT, mobile="13507300000")
        return Expert.objects.create(
            name=f"{name}{counter['n']}",
            organisation=organisation,
            organisation_uscc=uscc,
            fields=list(fields),
            phone="13507301234",
            email="expert@example.cn",
            active=active,
            user=account,
        )

    return make


@pytest.fixture
def under_review(call, personas):
    """The applicant's application (industry petrochem, members 中南大学、湖南理工学院、岳阳市产品质量检验检测中心)."""
    return application_in_state(call, personas.applicant, "under_review", actor=personas.bureau)


class ApiClient:
    def __init__(self, user):
        from sciplan.api.auth import issue_token

        self.client = Client()
        self.token, _ = issue_token(user)

    def _h(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **params):
        return self.client.get("/api/v1" + path, params, **self._h())

    def post(self, path: str, body: dict | None = None):
        return self.client.post(
            "/api/v1" + path, json.dumps(body or {}), content_type="application/json", **self._h()
        )

    def upload(self, path: str, data: dict):
        return self.client.post("/api/v1" + path, data, **self._h())


@pytest.fixture
def api():
    return ApiClient
