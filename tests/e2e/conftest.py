"""Browser tests: Playwright drives Debian's Chromium against a live SciPlan server.

Screenshots of every step are written to ``$SCIPLAN_ARTIFACTS/screenshots`` (default ``artifacts/``), which
CI keeps; they are not committed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SCIPLAN_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make for setup are
# plain synchronous code, so Django's async-safety guard is relaxed for this directory only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    root = Path(os.environ.get("SCIPLAN_ARTIFACTS", "artifacts")) / "screenshots"
    root.mkdir(parents=True, exist_ok=True)
    return root


_BROWSER: dict = {}


def _close_browser() -> None:
    if "instance" in _BROWSER:
        _BROWSER.pop("instance").close()
        _BROWSER.pop("playwright").stop()


@pytest.fixture(scope="session")
def browser(request):
    """One Chromium for the whole run, however many modules import this fixture (Playwright's sync API
    allows one running instance per thread)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; run ./scripts/install-system-deps.sh --browser")
    if "instance" not in _BROWSER:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _BROWSER["playwright"] = playwright
        _BROWSER["instance"] = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # The browser's own words (required-field bubbles, date pickers) in Chinese, as users see them.
                "--lang=zh-CN",
            ],
        )
        request.session.config.add_cleanup(_close_browser)
    return _BROWSER["instance"]


class Shooter:
    """Takes numbered screenshots of the story at desktop width (and phone width when asked)."""

    def __init__(self, root: Path, story: str):
        self.root = root
        self.story = story
        self.count = 0

    def __call__(self, page, name: str, *, phone: bool = False) -> None:
        self.count += 1
        slug = re.sub(r"[^\w\-]+", "-", name).strip("-")
        page.screenshot(path=str(self.root / f"{self.story}-{self.count:02d}-{slug}.png"), full_page=True)
        if phone:
            size = page.viewport_size
            page.set_viewport_size(PHONE)
            page.screenshot(
                path=str(self.root / f"{self.story}-{self.count:02d}-{slug}-phone.png"), full_page=True
            )
            page.set_viewport_size(size)


@pytest.fixture
def shoot(artifacts_dir, request):
    return Shooter(artifacts_dir, request.node.name.removeprefix("test_"))


# Every page reports Content-Security-Policy violations to the console (Chromium also logs the ones it
# blocks, but an init script catches those of elements added later and says which directive refused).
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + (e.sourceFile || location.pathname) + ":" + e.lineNumber);
});
"""


# Chromium logs every answer that is not 2xx as "Failed to load resource". A 4xx is often SciPlan's
# designed answer (422: the form again with the messages beside the fields; 409: an autosave conflict
# showing both texts), so those are not errors of the page; a 5xx always is.
EXPECTED_ANSWER = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


def watch_console(page, problems: list[str]) -> None:
    """Collect console errors, uncaught exceptions and CSP violations of ``page`` into ``problems``."""
    page.add_init_script(WATCH_CSP)

    def on_console(msg) -> None:
        if msg.type == "error" and not EXPECTED_ANSWER.search(msg.text):
            problems.append(f"{page.url} console.{msg.type}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url} uncaught: {exc}"))


@pytest.fixture
def new_page(browser, live_server):
    """A fresh browser context per person.

    The pages ask ``confirm()`` before consequential forms (``data-confirm``): the person says yes, and
    the question is kept in ``page.confirms``. Any other dialog (an XSS ``alert``) fails the test.
    Every console error, uncaught exception or CSP violation on any page fails the test too (they are
    kept in ``page.problems``); ``new_page(javascript=False)`` is a browser with scripts switched off.
    """
    contexts = []
    dialogs: list[str] = []
    problems: list[str] = []

    def on_dialog(page, dialog):
        if dialog.type == "confirm":
            page.confirms.append(dialog.message)
            dialog.accept()
        else:
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

    def make(*, viewport=DESKTOP, javascript: bool = True):
        context = browser.new_context(
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
            java_script_enabled=javascript,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch_console(page, problems)
        page.problems = problems
        page.confirms = []
        page.confirm_dialogs = []
        page.on("dialog", lambda d: on_dialog(page, d))
        page.base = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()
    assert dialogs == [], f"a script ran in the page: {dialogs}"
    assert problems == [], "console errors or CSP violations:\n" + "\n".join(problems)


@pytest.fixture
def two_factor(settings):
    """Bureau staff and admins sign in with the demo authenticator's code, as in production."""
    settings.OTP_ENFORCED = True


def login(page, username: str, password: str = "Demo-2024-pass") -> None:
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    if "/accounts/otp/" in page.url:
        enter_demo_code(page, username)


def enter_demo_code(page, username: str) -> None:
    """Type the code the demo authenticator shows; a code is accepted once, so wait for the next one."""
    from sciplan.accounts.demo import current_demo_code, ensure_demo_totp
    from sciplan.accounts.models import User

    user = User.objects.get(username=username)
    ensure_demo_totp(user)
    for _attempt in range(3):
        page.get_by_label("6位动态码").fill(current_demo_code(user))
        page.get_by_role("button", name="验证").click()
        page.wait_for_load_state("networkidle")
        if "/accounts/otp/" not in page.url:
            return
        page.wait_for_timeout(10_000)
    raise AssertionError(f"{username}: the one-time code was refused")
