"""API test helpers: a client that signs in through ``auth_token_create`` and sends the bearer token."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from sciplan.accounts.demo import DEMO_PASSWORD

BASE = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test's database: start each test afresh."""
    cache.clear()
    yield
    cache.clear()


class ApiClient:
    """Django's test client speaking JSON with an ``Authorization: Bearer`` header."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.client.get(BASE + path, params, **self._headers())

    def post(self, path: str, body: dict | None = None):
        return self.client.post(
            BASE + path, json.dumps(body or {}), content_type="application/json", **self._headers()
        )

    def patch(self, path: str, body: dict):
        return self.client.patch(
            BASE + path, json.dumps(body), content_type="application/json", **self._headers()
        )

    def put(self, path: str, body: dict):
        return self.client.put(
            BASE + path, json.dumps(body), content_type="application/json", **self._headers()
        )

    def delete(self, path: str):
        return self.client.delete(BASE + path, **self._headers())

    def upload(self, path: str, data: dict):
        return self.client.post(BASE + path, data, **self._headers())


def sign_in(username: str, password: str = DEMO_PASSWORD) -> ApiClient:
    """Sign in through ``auth_token_create``; personas with the demo authenticator add its current code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sciplan.accounts.demo import current_demo_code
    from sciplan.accounts.models import User

    body = {"username": username, "password": password}
    user = User.objects.filter(username=username).first()
    if user is not None and TOTPDevice.objects.filter(user=user, name="演示验证器").exists():
        body["otp"] = current_demo_code(user)
    response = ApiClient().post("/auth/token", body)
    assert response.status_code == 201, response.content
    return ApiClient(response.json()["token"])


@pytest.fixture
def api_as(personas):
    """``api_as("applicant")`` → a signed-in client for that persona."""

    def make(name: str) -> ApiClient:
        return sign_in(personas[name].username)

    return make


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient()
