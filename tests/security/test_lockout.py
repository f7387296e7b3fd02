"""STANDARDS A2 and I39 behind a proxy: the lockout holds one account at one client address, a
CAPTCHA-free limit holds an address that guesses across names, and the client address comes from
X-Forwarded-For only when the peer is a configured proxy (core.http.client_ip, used by django-axes and
by core.ratelimit alike)."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from sciplan.accounts.demo import DEMO_PASSWORD
from sciplan.core.http import client_ip

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
PROXY = "127.0.0.1"


def _via_proxy(client_address: str) -> Client:
    """A browser at ``client_address`` behind the reverse proxy on the same host."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address, HTTP_USER_AGENT=CHROME)


def _login(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _token(client: Client, username: str, password: str):
    body = json.dumps({"username": username, "password": password})
    return client.post(TOKEN, body, content_type="application/json")


@pytest.fixture
def behind_one_proxy(settings):
    settings.FORWARDED_ALLOW_IPS = [PROXY]
    settings.TRUSTED_PROXY_COUNT = 1


# --- the client address ----------------------------------------------------------------------------


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_the_header_of_an_untrusted_peer_is_ignored(behind_one_proxy):
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_gives_the_address_it_appended_not_what_the_client_wrote(behind_one_proxy):
    # The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
    assert client_ip(_request(PROXY, "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request(PROXY, "198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request(PROXY, "[2001:db8::5]:4711")) == "2001:db8::5"


def test_two_proxies_take_the_second_entry_from_the_right(settings):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(_request("10.1.1.1", "6.6.6.6, 198.51.100.7, 10.2.2.2")) == "198.51.100.7"
    # A shorter chain than the configured proxies, or garbage, is not believed.
    assert client_ip(_request("10.1.1.1", "198.51.100.7")) == "10.1.1.1"
    assert client_ip(_request("10.1.1.1", "<script>, 10.2.2.2")) == "10.1.1.1"


def test_no_proxy_configured_reads_no_header(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(_request(PROXY, "198.51.100.7")) == PROXY


def test_axes_uses_the_same_address():
    from axes.helpers import get_client_ip_address

    request = _request(PROXY, "6.6.6.6, 198.51.100.7")
    assert get_client_ip_address(request) == client_ip(request) == "198.51.100.7"


# --- the lockout -----------------------------------------------------------------------------------


def test_five_failures_for_made_up_names_lock_no_real_user_elsewhere(personas, behind_one_proxy):
    attacker = _via_proxy("198.51.100.66")
    for i in range(5):
        assert _login(attacker, f"made-up-{i}", "Wrong-pass-1").status_code == 200

    answers = {
        name: _login(_via_proxy(f"198.51.100.{10 + n}"), name, DEMO_PASSWORD).status_code
        for n, name in enumerate(("applicant", "county", "park"))
    }
    api = _token(_via_proxy("198.51.100.20"), "applicant", DEMO_PASSWORD).status_code

    assert answers == {"applicant": 302, "county": 302, "park": 302}
    assert api == 201


def test_guessing_a_named_account_does_not_shut_its_owner_out(personas, behind_one_proxy):
    attacker = _via_proxy("198.51.100.66")
    for _ in range(6):
        _login(attacker, "applicant", "Wrong-pass-1")

    assert _login(_via_proxy("198.51.100.66"), "applicant", DEMO_PASSWORD).status_code == 429
    assert _login(_via_proxy("198.51.100.10"), "applicant", DEMO_PASSWORD).status_code == 302
    assert _token(_via_proxy("198.51.100.11"), "applicant", DEMO_PASSWORD).status_code == 201


def test_rotating_the_header_from_an_untrusted_peer_does_not_escape_the_lockout(personas, behind_one_proxy):
    for i in range(5):
        client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        _login(client, "applicant", "Wrong-pass-1")

    fresh_header = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert _login(fresh_header, "applicant", DEMO_PASSWORD).status_code == 429


def test_the_owner_gets_in_after_an_administrator_unlocks(personas, behind_one_proxy, client_for):
    from django.urls import reverse

    attacker = _via_proxy("198.51.100.66")
    for _ in range(5):
        _login(attacker, "applicant", "Wrong-pass-1")
    assert _login(_via_proxy("198.51.100.66"), "applicant", DEMO_PASSWORD).status_code == 429

    admin = client_for("admin")
    admin.post(reverse("accounts:user_action", args=[personas.applicant.pk, "unlock"]))

    assert _login(_via_proxy("198.51.100.66"), "applicant", DEMO_PASSWORD).status_code == 302


def test_setting_a_new_password_through_the_link_lifts_the_lockout(personas, behind_one_proxy):
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    home = _via_proxy("198.51.100.30")
    for _ in range(5):
        _login(home, "applicant", "Wrong-pass-1")
    assert _login(_via_proxy("198.51.100.30"), "applicant", DEMO_PASSWORD).status_code == 429

    user = personas.applicant
    url = reverse(
        "accounts:set_password",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
    )
    browser = _via_proxy("198.51.100.30")
    form = browser.get(url, follow=True)
    new = "Brand-new-Pass-2024!"
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302

    assert _login(_via_proxy("198.51.100.30"), "applicant", new).status_code == 302


# --- the address limit -----------------------------------------------------------------------------


def test_many_failures_from_one_address_limit_that_address_only(personas, behind_one_proxy, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    settings.RATE_LIMITS = []  # the request-count limit is tested elsewhere; this is the failure limit
    attacker = _via_proxy("198.51.100.66")
    answers = [_login(attacker, f"guess-{i}", "Wrong-pass-1").status_code for i in range(10)]

    assert answers[:8] == [200] * 8
    assert answers[8:] == [429, 429]
    limited = _login(attacker, "applicant", DEMO_PASSWORD)
    assert limited.status_code == 429  # even the right password: this address waits out its window
    assert 1 <= int(limited["Retry-After"]) <= settings.LOGIN_ADDRESS_WINDOW_SECONDS
    assert "操作过于频繁" in limited.content.decode()
    assert _token(_via_proxy("198.51.100.66"), "applicant", DEMO_PASSWORD).status_code == 429

    assert _login(_via_proxy("198.51.100.67"), "applicant", DEMO_PASSWORD).status_code == 302
    assert _token(_via_proxy("198.51.100.68"), "county", DEMO_PASSWORD).status_code == 201


def test_rotating_the_header_from_an_untrusted_peer_does_not_escape_the_address_limit(
    personas, behind_one_proxy, settings
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    settings.RATE_LIMITS = []
    answers = [
        _login(
            Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"), f"guess-{i}", "x"
        ).status_code
        for i in range(10)
    ]

    assert answers[8:] == [429, 429]


def test_rotating_the_header_does_not_escape_the_request_limit(personas, behind_one_proxy, settings):
    settings.RATE_LIMITS = [("accounts:login", "POST", 25, 300, "ip")]
    answers = [
        _login(
            Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"),
            "applicant",
            DEMO_PASSWORD,
        ).status_code
        for i in range(26)
    ]

    assert answers[:25] == [302] * 25
    assert answers[25] == 429


def test_with_a_trusted_proxy_each_client_has_its_own_request_budget(personas, behind_one_proxy, settings):
    settings.RATE_LIMITS = [("accounts:login", "POST", 3, 300, "ip")]
    one = [_login(_via_proxy("198.51.100.1"), "applicant", DEMO_PASSWORD).status_code for _ in range(4)]
    other = _login(_via_proxy("198.51.100.2"), "applicant", DEMO_PASSWORD).status_code

    assert one == [302, 302, 302, 429]
    assert other == 302


def test_unlocking_an_address_lifts_its_limit(personas, behind_one_proxy, settings):
    from sciplan.accounts import user_admin

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    settings.RATE_LIMITS = []
    attacker = _via_proxy("198.51.100.66")
    for i in range(3):
        _login(attacker, f"guess-{i}", "x")
    assert _login(attacker, "applicant", DEMO_PASSWORD).status_code == 429

    user_admin.unlock(by=personas.admin, ip_address="198.51.100.66")

    assert _login(attacker, "applicant", DEMO_PASSWORD).status_code == 302
