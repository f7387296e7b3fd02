"""Graceful overload (STANDARDS I39): beyond its capacity a process answers 503 with Retry-After at once;
below it, a request that finds the slots taken waits briefly for one instead of being refused.

The benchmark (bench/run.py) shows it under load; this proves the behaviour itself, without timing.
"""

from __future__ import annotations

import threading

from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from sciplan.core.middleware import ConcurrencyLimitMiddleware


def _blocking_middleware(
    release: threading.Event, entered: threading.Event, *, line: int = 0, wait_ms: int = 2000
) -> ConcurrencyLimitMiddleware:
    def slow_view(request):
        entered.set()
        release.wait(10)
        return HttpResponse("ok")

    with override_settings(MAX_CONCURRENT_REQUESTS=1, MAX_QUEUED_REQUESTS=line, QUEUE_WAIT_MS=wait_ms):
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


def test_concurrency_limit_waits_in_line_for_a_slot_instead_of_refusing():
    """One process briefly holding more requests than its limit (uneven spread) refuses none of them."""
    release, entered = threading.Event(), threading.Event()
    middleware = _blocking_middleware(release, entered, line=1, wait_ms=10_000)
    factory = RequestFactory()
    answers: list[HttpResponse] = []
    first = threading.Thread(target=lambda: answers.append(middleware(factory.get("/applications/"))))
    first.start()
    entered.wait(10)
    second = threading.Thread(target=lambda: answers.append(middleware(factory.get("/applications/"))))
    second.start()
    while middleware.waiting < 1:  # the second request is in line
        threading.Event().wait(0.01)

    release.set()
    first.join(10)
    second.join(10)

    assert [a.status_code for a in answers] == [200, 200]
    assert middleware.waiting == 0


def test_concurrency_limit_full_line_refuses_at_once():
    release, entered = threading.Event(), threading.Event()
    middleware = _blocking_middleware(release, entered, line=1, wait_ms=10_000)
    factory = RequestFactory()
    threads = [threading.Thread(target=lambda: middleware(factory.get("/applications/"))) for _ in range(2)]
    threads[0].start()
    entered.wait(10)
    threads[1].start()
    while middleware.waiting < 1:
        threading.Event().wait(0.01)

    refused = middleware(factory.get("/applications/"))  # slot taken, line full: no waiting
    release.set()
    for thread in threads:
        thread.join(10)

    assert refused.status_code == 503
    assert refused["Retry-After"] == "3"


def test_concurrency_limit_refuses_after_waiting_its_time_in_line():
    release, entered = threading.Event(), threading.Event()
    middleware = _blocking_middleware(release, entered, line=1, wait_ms=50)
    factory = RequestFactory()
    worker = threading.Thread(target=lambda: middleware(factory.get("/applications/")))
    worker.start()
    entered.wait(10)

    refused = middleware(factory.get("/applications/"))
    release.set()
    worker.join(10)

    assert refused.status_code == 503
    assert middleware.waiting == 0


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
