"""Helpers for the security suite: signed-in clients per persona, two-factor switched back on."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def otp_enforced(settings):
    """The production rule: the root conftest turns two-factor off for other suites; it is on here."""
    settings.OTP_ENFORCED = True


@pytest.fixture
def client_for(personas):
    """``client_for("county")``: a Client signed in as that persona (session already past two-factor
    when two-factor is off)."""

    def make(name: str, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(personas[name])
        return client

    return make


def confirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="测试", confirmed=True)


def current_code(device) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"
