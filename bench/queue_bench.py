"""What a task costs the request that queues it, and how long until a worker has run it.

Compares the candidates for SciPlan's task queue on this machine: Celery on Redis, Celery on RabbitMQ,
and a PostgreSQL queue table (the mechanism Procrastinate uses: an INSERT in the caller's transaction
plus NOTIFY, a worker LISTENing). Each is measured with a no-op task so only the queue is timed.

    .venv/bin/python bench/queue_bench.py            # all three, 300 tasks each
    .venv/bin/python bench/queue_bench.py --n 1000

Enqueue: wall time per task for the producer (Celery: ``apply_async``; PostgreSQL: one INSERT + NOTIFY
in its own transaction, as a request would commit it). Round trip: from enqueue to the worker having run
the task, one at a time, median and 95th percentile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BROKERS = {"redis": "redis://127.0.0.1:6379/15", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def celery_app(broker: str):
    from celery import Celery

    app = Celery("queue_bench", broker=broker, backend="redis://127.0.0.1:6379/14")
    app.conf.update(task_ignore_result=False, broker_connection_retry_on_startup=True)

    @app.task(name="queue_bench.noop")
    def noop(sent: float) -> float:
        return time.time() - sent

    return app, noop


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def bench_celery(which: str, n: int) -> dict:
    _app, noop = celery_app(BROKERS[which])
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "queue_bench:worker_app",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=HERE,
        env={**os.environ, "QUEUE_BENCH_BROKER": which},
    )
    try:
        noop.apply_async((time.time(),)).get(timeout=60)  # the worker is up and the connection warm
        started = time.perf_counter()
        results = [noop.apply_async((time.time(),)) for _ in range(n)]
        enqueue = (time.perf_counter() - started) / n
        for result in results:
            result.get(timeout=120)
        trips = []
        for _ in range(min(n, 200)):
            t0 = time.perf_counter()
            noop.apply_async((time.time(),)).get(timeout=30)
            trips.append(time.perf_counter() - t0)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    median, p95 = _percentiles(trips)
    return {
        "enqueue_ms": enqueue * 1000,
        "round_trip_median_ms": median * 1000,
        "round_trip_p95_ms": p95 * 1000,
    }


def bench_postgres(n: int) -> dict:
    import select

    import psycopg

    producer = psycopg.connect(PG)
    listener = psycopg.connect(PG, autocommit=True)
    with producer.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_jobs (id bigserial primary key, name text, args jsonb,"
            " state text default 'todo', created timestamptz default now())"
        )
    producer.commit()
    listener.execute("LISTEN bench_jobs")
    started = time.perf_counter()
    for _ in range(n):
        with producer.cursor() as cur:
            cur.execute("INSERT INTO bench_jobs (name, args) VALUES ('noop', '{}') RETURNING id")
            cur.execute("NOTIFY bench_jobs")
        producer.commit()
    enqueue = (time.perf_counter() - started) / n
    list(listener.notifies(timeout=1))  # drain
    trips = []
    for _ in range(min(n, 200)):
        t0 = time.perf_counter()
        with producer.cursor() as cur:
            cur.execute("INSERT INTO bench_jobs (name, args) VALUES ('noop', '{}') RETURNING id")
            job = cur.fetchone()[0]
            cur.execute("NOTIFY bench_jobs")
        producer.commit()
        # The worker's side: wake on the notification, claim the job as Procrastinate does.
        select.select([listener.fileno()], [], [], 5)
        list(listener.notifies(timeout=0))
        listener.execute(
            "UPDATE bench_jobs SET state='done' WHERE id = (SELECT id FROM bench_jobs WHERE state='todo'"
            " ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) AND id = %s",
            (job,),
        )
        trips.append(time.perf_counter() - t0)
    with producer.cursor() as cur:
        cur.execute("DROP TABLE bench_jobs")
    producer.commit()
    producer.close()
    listener.close()
    median, p95 = _percentiles(trips)
    return {
        "enqueue_ms": enqueue * 1000,
        "round_trip_median_ms": median * 1000,
        "round_trip_p95_ms": p95 * 1000,
    }


if os.environ.get("QUEUE_BENCH_BROKER"):  # imported by the worker process
    worker_app, _ = celery_app(BROKERS[os.environ["QUEUE_BENCH_BROKER"]])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--only", choices=["redis", "rabbitmq", "postgres"], help="one candidate only")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line at the end")
    args = parser.parse_args()
    candidates = {
        "redis": ("Celery on Redis", lambda: bench_celery("redis", args.n)),
        "rabbitmq": ("Celery on RabbitMQ", lambda: bench_celery("rabbitmq", args.n)),
        "postgres": ("PostgreSQL table + NOTIFY", lambda: bench_postgres(args.n)),
    }
    rows = {label: run() for key, (label, run) in candidates.items() if args.only in (None, key)}
    print(f"{'queue':28} {'enqueue ms':>11} {'round trip median ms':>21} {'p95 ms':>8}")
    for name, row in rows.items():
        print(
            f"{name:28} {row['enqueue_ms']:11.2f} {row['round_trip_median_ms']:21.2f} {row['round_trip_p95_ms']:8.2f}"
        )
    if args.json:
        import json

        print(json.dumps({name: {k: round(v, 2) for k, v in row.items()} for name, row in rows.items()}))


if __name__ == "__main__":
    main()
