"""Gunicorn for SciPlan in production: ``gunicorn -c deploy/gunicorn.conf.py sciplan.wsgi``.

Chosen by the deadline-surge benchmark (docs/performance.md, bench/results/): on a 2-core machine,
2 processes x 24 threads ("gthread") with SciPlan's own concurrency limit of 12 requests per process
(``SCIPLAN_MAX_CONCURRENT_REQUESTS=12``; the spare threads answer the excess with a quick 503).
Every value can be overridden by environment, so a larger machine needs configuration, not code.

Why threads and a per-process limit rather than many sync workers: a sync worker takes a connection
only when it is free, so beyond capacity requests wait silently in the kernel's listen queue until
the client gives up. With threads, a process always accepts the request, and
``ConcurrencyLimitMiddleware`` (``SCIPLAN_MAX_CONCURRENT_REQUESTS``) answers the ones beyond its limit
at once with 503 and Retry-After, so an applicant's browser knows to retry in a few seconds.
A request that finds the slots taken first waits in a short line (``SCIPLAN_MAX_QUEUED_REQUESTS``,
as many places as slots; ``SCIPLAN_QUEUE_WAIT_MS``, 2 s): the kernel spreads connections unevenly over
the processes, and below capacity nothing should be refused because one process got more than its share.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("SCIPLAN_BIND", "127.0.0.1:8000")
workers = _int("SCIPLAN_WORKERS", multiprocessing.cpu_count())
worker_class = os.environ.get("SCIPLAN_WORKER_CLASS", "gthread")
threads = _int("SCIPLAN_THREADS", 24)
# The most connections one process holds open (gthread); beyond it new ones wait in the listen queue.
worker_connections = _int("SCIPLAN_WORKER_CONNECTIONS", 200)
backlog = _int("SCIPLAN_BACKLOG", 512)
# A request that runs longer than this is killed and logged rather than holding its worker forever.
timeout = _int("SCIPLAN_WORKER_TIMEOUT", 60)
graceful_timeout = _int("SCIPLAN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("SCIPLAN_KEEPALIVE", 5)
# Recycle processes now and then so a slow leak never becomes an outage; jitter keeps them apart.
max_requests = _int("SCIPLAN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("SCIPLAN_MAX_REQUESTS_JITTER", 2000)
# Load the application once before forking: faster start, copy-on-write memory.
preload_app = os.environ.get("SCIPLAN_PRELOAD", "1") not in ("0", "false", "no")
# Behind the reverse proxy on the same host.
forwarded_allow_ips = os.environ.get("SCIPLAN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("SCIPLAN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("SCIPLAN_GUNICORN_LOG_LEVEL", "warning")
proc_name = "sciplan"


def post_fork(server, worker):
    # Connections opened before the fork (preload) must never be shared between processes.
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
