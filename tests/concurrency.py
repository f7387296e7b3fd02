"""Running one function in several threads at once, each with its own database connection."""

from __future__ import annotations

import threading

from django.db import close_old_connections, connection


def run_concurrently(count, fn):
    """Start ``count`` threads that call ``fn`` together (a barrier); return (results, exceptions)."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    return results, errors
