"""The browsable API docs work offline and under the site's Content-Security-Policy (a real browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sciplan.core.middleware import CSP

# Playwright's sync API runs an event loop in the test thread; the live server's setup is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("SCIPLAN_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.e2e


def test_docs_page_renders_every_operation_without_csp_violation_or_outside_request(live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith((live_server.url, "data:")) else None,
        )
        response = page.goto(f"{live_server.url}/api/v1/docs")
        page.wait_for_selector(".opblock", timeout=20000)
        rendered = page.locator(".opblock").count()
        shots = Path(os.environ.get("SCIPLAN_ARTIFACTS", "artifacts")) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "api-docs.png"))
        browser.close()

    assert response.headers["content-security-policy"] == CSP
    assert problems == []
    assert outside == []
    assert rendered > 20
