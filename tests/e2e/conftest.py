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


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; run ./scripts/install-system-deps.sh --browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
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
            ],
        )
        yield instance
        instance.close()


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


@pytest.fixture
def new_page(browser, live_server):
    """A fresh browser context per person; every dialog (an XSS alert) fails the test."""
    contexts = []
    dialogs: list[str] = []

    def make(*, viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.base = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()
    assert dialogs == [], f"a script ran in the page: {dialogs}"


def login(page, username: str, password: str = "Demo-2024-pass") -> None:
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
