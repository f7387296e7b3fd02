"""Graceful overload (STANDARDS I39): beyond its limit a process answers 503 with Retry-After at once.

The benchmark (bench/run.py) shows it under load; this proves the behaviour itself, without timing.
"""

from __future__ import annotations

import threading

from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from sciplan.core.middleware import ConcurrencyLimitMiddleware


def _blocking_middleware(release: threading.Event, entered: threading.Event) -> ConcurrencyLimitMiddleware:
    def slow_view(request):
        entered.set()
        release.wait(10)
        return HttpResponse("ok")

    with override_settings(MAX_CONCURRENT_REQUESTS=1):
        return ConcurrencyLimitMiddleware(slow_view)


def test_concurrency_limit_full_answers_503_with_retry_after():
    release, entered = threading.Event(), threading.Event()
    middleware = _blocking_middleware(release, entered)
    factory = RequestFactory()
    first: list[HttpResponse] = []
    worker = threading.Thread(target=lambda: first.append(middleware(factory.get("/applications/"))))
    worker.start()
    entered.wait(10)

    refused = middleware(factory.get("/applications/"))
    release.set()
    worker.join(10)

    assert refused.status_code == 503
    assert refused["Retry-After"] == "3"
    assert first[0].status_code == 200


def test_concurrency_limit_free_slot_serves_request():
    release, entered = threading.Event(), threading.Event()
    release.set()
    middleware = _blocking_middleware(release, entered)

    response = middleware(RequestFactory().get("/applications/"))

    assert response.status_code == 200


def test_concurrency_limit_full_still_answers_health_check():
    release, entered = threading.Event(), threading.Event()
    middleware = _blocking_middleware(release, entered)
    factory = RequestFactory()
    worker = threading.Thread(target=lambda: middleware(factory.get("/applications/")))
    worker.start()
    entered.wait(10)

    health = middleware(factory.get("/healthz"))
    release.set()
    worker.join(10)

    assert health.status_code == 200


def test_concurrency_limit_zero_is_off():
    with override_settings(MAX_CONCURRENT_REQUESTS=0):
        middleware = ConcurrencyLimitMiddleware(lambda request: HttpResponse("ok"))

    response = middleware(RequestFactory().get("/"))

    assert middleware.slots is None
    assert response.status_code == 200
