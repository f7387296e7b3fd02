"""The deadline-surge benchmark (``make bench``): the production shape, 2,000 and 20,000 applications.

1. A throwaway PostgreSQL database (``sciplan_bench``), production settings (DEBUG off, a generated
   secret, Redis cache, collected static files).
2. The production shape, every part a real process on 127.0.0.1, unprivileged, configured from the files
   in ``deploy/`` rendered into a temporary directory: nginx (``deploy/nginx.conf``) in front of two
   gunicorn processes (``deploy/gunicorn.conf.py``), PgBouncer in transaction mode
   (``deploy/pgbouncer.ini``) between them and PostgreSQL, a Celery worker on Redis
   (``deploy/sciplan-worker.service``'s command) generating the documents of every submission, and
   private files in an S3 bucket (moto's S3-compatible server, as in the tests).
3. ``bench/seed.py`` seeds 2,000 applications across the 18 recommenders in bulk; then, with
   ``--scale province`` (``make bench SCALE=province``), a second database of 20,000 over 220.
4. First a short comparison of worker models, then every scenario at 16 concurrent clients, the surge,
   and an overload run at 4x capacity — all driven by ``bench/load.py`` in its own process, through nginx.
5. Every receipt a client was given is checked against the database afterwards; the documents the
   submissions queued are waited for (bounded) to measure the queue: documents per second and the time
   from submit to documents ready. ``bench/queue_bench.py`` adds the queue's own round trip.
6. Results: ``bench/results/<date>.md`` (raw JSON in ``bench/results/raw/``, not committed).

Bounded: every phase has a count and a time limit, the whole run well under 15 minutes. The database,
the server and the temporary files are removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import stack

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
DB = "sciplan_bench"
PG = "postgres://postgres@127.0.0.1:5432"
PORT = 8171  # gunicorn
PROXY_PORT = 8170  # nginx, where the clients connect
POOLER_PORT = 6471  # PgBouncer
BROKER = "redis://127.0.0.1:6379/6"
CLIENTS = 16

# name, scenario, label, concurrency, count, seconds
SCENARIOS = [
    ("floor", "floor", "登录页（基准 floor）", CLIENTS, 4000, 12),
    ("home", "home", "首页", CLIENTS, 4000, 10),
    ("public_call", "public_call", "公开申报通知页", CLIENTS, 4000, 12),
    ("status", "status", "申报单位查看申报书（状态页）", CLIENTS, 4000, 15),
    ("autosave", "autosave", "分栏目自动保存", CLIENTS, 3000, 15),
    ("upload", "upload", "上传 2 MB PDF 附件", 8, 160, 15),
    ("submit", "submit", "提交申报书", CLIENTS, 150, 15),
]
AFTER_SURGE = [
    ("worklist", "worklist", "推荐单位待办列表", CLIENTS, 3000, 15),
    ("bureau_list", "bureau_list", "市科技局全部申报列表（带筛选，第一页）", CLIENTS, 2000, 15),
    ("pdf", "pdf", "申报书 PDF", 4, 60, 20),
    ("xlsx", "xlsx", "推荐单位信息汇总表 XLSX", 4, 60, 20),
]
SURGE_MIX = {"status": 40, "autosave": 30, "upload": 4, "submit": 10, "worklist": 8, "public_call": 8}
SERVERS = {
    "sync": {"SCIPLAN_WORKER_CLASS": "sync", "SCIPLAN_WORKERS": "5", "SCIPLAN_MAX_CONCURRENT_REQUESTS": "0"},
    "gthread-nolimit": {
        "SCIPLAN_WORKER_CLASS": "gthread",
        "SCIPLAN_WORKERS": "2",
        "SCIPLAN_THREADS": "24",
        "SCIPLAN_MAX_CONCURRENT_REQUESTS": "0",
    },
    "gthread": {
        "SCIPLAN_WORKER_CLASS": "gthread",
        "SCIPLAN_WORKERS": "2",
        "SCIPLAN_THREADS": "24",
        "SCIPLAN_MAX_CONCURRENT_REQUESTS": "12",
    },
}
CHOSEN = "gthread"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def export_code(tmp: Path, use_worktree: bool) -> tuple[Path, str]:
    """The code under test: the committed HEAD exported to a clean directory (reproducible, and immune
    to half-written files in a shared checkout), or the working tree itself with ``--worktree``."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    commit = head.stdout.strip() or "unknown"
    if use_worktree:
        return ROOT, f"working tree at {commit}"
    code = tmp / "code"
    code.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    if (ROOT / "node_modules").exists():
        (code / "node_modules").symlink_to(ROOT / "node_modules")
    return code, f"commit {commit}"


def environment(tmp: Path, code: Path, storage: dict[str, str]) -> dict[str, str]:
    """The settings every process of the run shares (migrate and seed talk to PostgreSQL directly; the
    application processes and the worker through PgBouncer, see ``pooled``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIPLAN_", "DATABASE_URL"))}
    env.update(
        {
            **storage,
            "PYTHONPATH": str(code / "src"),
            "DJANGO_SETTINGS_MODULE": "sciplan.settings",
            "DATABASE_URL": f"{PG}/{DB}",
            "SCIPLAN_DEBUG": "0",
            "SCIPLAN_DEMO": "0",
            "SCIPLAN_SECRET_KEY": secrets.token_urlsafe(50),
            "SCIPLAN_ALLOWED_HOSTS": "127.0.0.1",
            "SCIPLAN_SSL_REDIRECT": "0",
            "SCIPLAN_REDIS_URL": "redis://127.0.0.1:6379/5",
            "SCIPLAN_VAR_DIR": str(tmp / "var"),
            "SCIPLAN_DB_CONN_MAX_AGE": "60",
            # The production queue: documents and notifications go to Redis, a Celery worker runs them.
            "SCIPLAN_TASK_BACKEND": "celery",
            "SCIPLAN_CELERY_BROKER": BROKER,
            "SCIPLAN_WORKER_CONCURRENCY": "1",
            # nginx on the same host is the one proxy: its appended X-Forwarded-For entry is the client.
            "SCIPLAN_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "SCIPLAN_TRUSTED_PROXY_COUNT": "1",
            "SCIPLAN_LOG_LEVEL": "WARNING",
            # Notifications go to a task queue in production; the benchmark does not e-mail anyone.
            "SCIPLAN_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "SCIPLAN_BIND": f"127.0.0.1:{PORT}",
        }
    )
    return env


def pooled(env: dict) -> dict:
    """The environment of the application processes and the worker: PostgreSQL through PgBouncer."""
    return {
        **env,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{POOLER_PORT}/{DB}",
        "SCIPLAN_DB_POOLER": "pgbouncer",
    }


def manage(env: dict, *args: str) -> None:
    code = Path(env["PYTHONPATH"]).parent
    subprocess.run([PY, str(code / "manage.py"), *args], env=env, cwd=code, check=True)


def collect_static(env: dict, code: Path, tmp: Path) -> None:
    """collectstatic (hashed, gzip + brotli) takes minutes; the result is reused while the sources
    are byte-identical, keyed by their SHA-256, under var/ (not committed)."""
    import hashlib

    digest = hashlib.sha256()
    roots = [
        code / "src",
        ROOT / "node_modules" / "htmx.org" / "dist",
        ROOT / "node_modules" / "chart.js" / "dist",
    ]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and ("static" in path.parts or "node_modules" in path.parts):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    cache = ROOT / "var" / "bench-static" / digest.hexdigest()[:16]
    target = tmp / "var" / "static"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (cache / "staticfiles.json").exists():
        log("collecting static files (cached for the next run)")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        if cache.parent.exists():
            shutil.rmtree(cache.parent)
        cache.parent.mkdir(parents=True)
        shutil.copytree(target, cache)
    else:
        if target.is_symlink():
            target.unlink()  # the second scale of a run
        shutil.rmtree(target, ignore_errors=True)
        target.symlink_to(cache)


class Server(stack.Process):
    """Gunicorn in its own process group, ready when /healthz answers, stopped however the run ends."""

    def __init__(self, env: dict, overrides: dict, log_path: Path):
        env = {**env, **overrides}
        super().__init__(
            "gunicorn",
            [PY, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "sciplan.wsgi"],
            log_path,
            env=env,
            cwd=Path(env["PYTHONPATH"]).parent,
            ready=lambda: stack.http_ok(f"http://127.0.0.1:{PORT}/healthz"),
        )


def drive(
    manifest_path: Path, plan: list[dict], out: Path, server: Server, around: dict | None = None
) -> dict:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["server_pid"] = server.pid
    manifest["database"] = DB
    # The other processes of the shape whose CPU is counted per request too: nginx, PgBouncer, the worker.
    manifest["process_groups"] = around or {}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    plan_path = out.with_suffix(".plan.json")
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    subprocess.run(
        [
            PY,
            str(BENCH / "load.py"),
            "--manifest",
            str(manifest_path),
            "--plan",
            str(plan_path),
            "--out",
            str(out),
        ],
        check=True,
        timeout=600,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def phase(name, scenario, concurrency, count, seconds, **extra) -> dict:
    return {
        "name": name,
        "scenario": scenario,
        "concurrency": concurrency,
        "count": count,
        "seconds": seconds,
        **extra,
    }


def verify_receipts(receipts: list[dict]) -> dict:
    """Every submission a client was told succeeded must be in the database, with its receipt."""
    apps = [r["app"] for r in receipts]
    with psycopg.connect(f"{PG}/{DB}") as conn:
        rows = conn.execute(
            "SELECT a.id, a.status, v.receipt_no FROM applications_application a "
            "LEFT JOIN applications_applicationversion v ON v.application_id = a.id "
            "WHERE a.id = ANY(%s)",
            [apps],
        ).fetchall()
    stored: dict[int, tuple[str, set[str]]] = {}
    for app, status, receipt in rows:
        entry = stored.setdefault(app, (status, set()))
        if receipt:
            entry[1].add(receipt)
    lost = []
    for r in receipts:
        status, numbers = stored.get(r["app"], ("missing", set()))
        if status == "draft" or not numbers or (r["receipt"] and r["receipt"] not in numbers):
            lost.append(r)
    return {
        "acknowledged": len(receipts),
        "with_receipt_number": sum(1 for r in receipts if r["receipt"]),
        "lost": len(lost),
        "lost_sample": lost[:5],
    }


def machine() -> dict:
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with psycopg.connect(f"{PG}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    import django
    import gunicorn

    return {
        "load_average": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": f"{int(mem) / 1048576:.1f} GiB",
        "python": platform.python_version(),
        "postgresql": pg_version,
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "os": platform.platform(),
    }


def queue_stats(since: datetime, wait: int) -> dict:
    """The documents the run's submissions queued (not those a download of an older version queued):
    wait (at most ``wait`` s) for the worker to finish
    them, then documents per second and the time from each submission to its documents being ready."""
    from statistics import median

    name = "documents.generate"
    deadline = time.monotonic() + wait
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        waited_from = time.monotonic()
        while True:
            left = conn.execute(
                "SELECT count(*) FROM core_job WHERE name = %s AND state NOT IN ('done', 'failed')", [name]
            ).fetchone()[0]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(2)
        waited = time.monotonic() - waited_from
        rows = conn.execute(
            "SELECT j.state, j.started_at, j.finished_at, v.submitted_at, v.id FROM core_job j "
            "JOIN applications_applicationversion v ON v.id = (j.args->>'version')::bigint "
            "WHERE j.name = %s AND j.created_at >= %s AND v.submitted_at >= %s",
            [name, since, since],
        ).fetchall()
    done = [r for r in rows if r[0] == "done" and r[1] and r[2]]
    failed = sum(1 for r in rows if r[0] == "failed")
    per_version: dict[int, list] = {}
    for state, _started, finished, submitted, version in rows:
        per_version.setdefault(version, []).append((state, finished, submitted))
    ready = sorted(
        (max(f for _s, f, _t in jobs) - jobs[0][2]).total_seconds()
        for jobs in per_version.values()
        if all(s == "done" for s, _f, _t in jobs)
    )
    span = (max(r[2] for r in done) - min(r[1] for r in done)).total_seconds() if done else 0
    busy = sum((r[2] - r[1]).total_seconds() for r in done)
    return {
        "queued": len(rows),
        "done": len(done),
        "failed": failed,
        "left": len(rows) - len(done) - failed,
        "waited_after_load_s": round(waited),
        "documents_per_second": round(len(done) / span, 2) if span else None,
        "seconds_per_document": round(busy / len(done), 2) if done else None,
        "versions": len(per_version),
        "versions_ready": len(ready),
        "submit_to_ready_median_s": round(median(ready), 1) if ready else None,
        "submit_to_ready_p95_s": round(ready[max(0, int(len(ready) * 0.95) - 1)], 1) if ready else None,
        "submit_to_ready_max_s": round(ready[-1], 1) if ready else None,
    }


def queue_roundtrip(env: dict) -> dict:
    """``bench/queue_bench.py`` on Redis: what queuing costs the request, and the bare round trip."""
    out = subprocess.run(
        [PY, str(BENCH / "queue_bench.py"), "--n", "200", "--only", "redis", "--json"],
        env=env,
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        return {"error": out.stderr[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


SCALES = {"city": (2000, 0), "province": (20000, 220)}


def measure(args, scale: str, tmp: Path, code: Path, raw: Path, storage: dict) -> dict:
    """One database at one size: migrate, seed, the production shape, the load, the queue."""
    global DB
    DB = f"{args.database}_{scale}"
    applications, units = SCALES[scale]
    if scale == "city" and args.applications:
        applications = args.applications
    env = environment(tmp, code, storage)
    raw = raw / scale
    raw.mkdir(parents=True, exist_ok=True)
    # For bench/hotspots.py: the same settings (the throwaway secret signs the seeded sessions).
    (raw / "env.json").write_text(
        json.dumps({k: v for k, v in env.items() if k.startswith(("SCIPLAN_", "DATABASE_URL", "PYTHONPATH"))})
    )
    admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {DB}")
    try:
        log(f"[{scale}] migrating")
        manage(env, "migrate", "--no-input", "-v", "0")
        collect_static(env, code, tmp)
        log(
            f"[{scale}] seeding {applications} applications ({storage.get('SCIPLAN_STORAGE', 'local')} storage)"
        )
        manifest_path = raw / "manifest.json"
        seed = [PY, str(BENCH / "seed.py"), "--out", str(manifest_path), "--applications", str(applications)]
        seed += ["--units", str(units)] if units else []
        seed += ["--blob-size", "light"] if storage else []
        subprocess.run(seed, env=env, cwd=ROOT, check=True, timeout=1800)
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["base_url"] = f"http://127.0.0.1:{PROXY_PORT}"
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        if args.setup_only:
            args.keep = True
            log(f"set up; manifest {manifest_path}")
            return {}
        results: dict = {
            "scale": scale,
            "manifest": {k: manifest[k] for k in ("counts", "seconds", "storage")},
            "endpoints": manifest["endpoints"]["scenarios"],
        }
        app_env = pooled(env)
        since = datetime.now(UTC)
        with contextlib.ExitStack() as shape:
            # As many server connections as requests the processes work on at once (2 × 12), plus the
            # worker's: a transaction holds one while Python runs between its queries, and on two
            # shared cores that is most of its time (a pool of 4 made requests wait seconds for one).
            pool = 2 * int(SERVERS[CHOSEN]["SCIPLAN_MAX_CONCURRENT_REQUESTS"]) + 2
            bouncer = shape.enter_context(
                stack.pgbouncer(tmp / scale, database=DB, port=POOLER_PORT, pool_size=pool)
            )
            proxy = shape.enter_context(
                stack.nginx(
                    tmp / scale, port=PROXY_PORT, upstream_port=PORT, static_root=tmp / "var" / "static"
                )
            )
            queue = shape.enter_context(stack.worker(tmp / scale, app_env, code))
            around = {"proxy": [proxy.pid], "pooler": [bouncer.pid], "worker": [queue.pid]}
            if not args.skip_compare and scale == "city":
                compare = {}
                for name, overrides in SERVERS.items():
                    log(f"[{scale}] comparing server model: {name}")
                    with Server(app_env, overrides, raw / f"gunicorn-{name}.log") as server:
                        compare[name] = drive(
                            manifest_path,
                            [
                                phase("floor", "floor", CLIENTS, 3000, 6, warmup=50),
                                phase("status", "status", CLIENTS, 3000, 8, warmup=30),
                                phase(
                                    "overload",
                                    "status",
                                    CLIENTS * 4,
                                    20000,
                                    10,
                                    timeout=10.0,
                                    honor_retry_after=True,
                                ),
                            ],
                            raw / f"compare-{name}.json",
                            server,
                            around,
                        )["phases"]
                results["compare"] = compare
            log(f"[{scale}] main run on {CHOSEN} behind nginx and PgBouncer")
            with Server(app_env, SERVERS[CHOSEN], raw / "gunicorn-main.log") as server:
                plan = [phase(n, s, c, k, t, warmup=40) for n, s, _, c, k, t in SCENARIOS]
                plan.append(phase("surge", "surge", CLIENTS, 30000, 60, mix=SURGE_MIX, retry_503=True))
                plan += [phase(n, s, c, k, t, warmup=8) for n, s, _, c, k, t in AFTER_SURGE]
                plan.append(
                    phase(
                        "overload",
                        "overload",
                        CLIENTS * 4,
                        50000,
                        20,
                        mix={"status": 6, "autosave": 3, "public_call": 1},
                        timeout=10.0,
                        honor_retry_after=True,
                    )
                )
                main_run = drive(manifest_path, plan, raw / "main.json", server, around)
                log(f"[{scale}] waiting (at most {args.queue_wait} s) for the queued documents")
                results["queue"] = queue_stats(since, args.queue_wait)
        results["phases"] = main_run["phases"]
        results["receipts"] = verify_receipts(main_run["receipts"])
        results["autosave_shape"] = main_run.get("autosave_shape")
        # Kept at once: a later scale that fails does not take this one's results with it.
        (raw / "run.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        log(
            f"[{scale}] lost submissions: {results['receipts']['lost']} of {results['receipts']['acknowledged']}"
        )
        return results
    finally:
        if not args.keep:
            admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        else:
            log(f"kept database {DB}")


def main() -> None:
    parser = argparse.ArgumentParser(description="SciPlan deadline-surge benchmark")
    parser.add_argument(
        "--scale",
        choices=["city", "province"],
        default=os.environ.get("SCALE") or "city",
        help="city: 2,000 applications (18 recommending units); province: that, then 20,000 over 220",
    )
    parser.add_argument(
        "--only", action="append", choices=["city", "province"], help="measure only this scale (repeatable)"
    )
    parser.add_argument("--applications", type=int, help="applications of the city-scale run (default 2,000)")
    parser.add_argument("--database", default=DB, help="database name prefix (must start with sciplan_bench)")
    parser.add_argument(
        "--storage",
        choices=["s3", "local"],
        default="s3",
        help="private files in moto's S3 server (default) or a directory; the 20,000 run always uses a "
        "directory (moto copies ≈120 objects/s: 140,000 attachments would take 20 minutes)",
    )
    parser.add_argument("--queue-wait", type=int, default=120, help="seconds to wait for queued documents")
    parser.add_argument("--skip-compare", action="store_true", help="skip the sync vs gthread comparison")
    parser.add_argument("--keep", action="store_true", help="keep the database and files (for profiling)")
    parser.add_argument("--setup-only", action="store_true", help="migrate and seed, keep, no load")
    parser.add_argument(
        "--worktree", action="store_true", help="measure the working tree, not the committed HEAD"
    )
    args = parser.parse_args()
    # A stopped run still stops its processes and drops its database (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.database.startswith("sciplan_bench"):
        raise SystemExit("--database must start with sciplan_bench")
    for host, port, what in (("127.0.0.1", 5432, "PostgreSQL"), ("127.0.0.1", 6379, "Redis")):
        if not stack.answers(host, port):
            raise SystemExit(f"{what} is not reachable on {host}:{port}")
    for binary in ("nginx", "pgbouncer"):
        if not shutil.which(binary) and not Path(f"/usr/sbin/{binary}").exists():
            raise SystemExit(f"{binary} is missing: run scripts/install-system-deps.sh --bench")
    started = time.monotonic()
    stamp = datetime.now(UTC)
    raw = BENCH / "results" / "raw" / stamp.strftime("%Y-%m-%dT%H%M%S")
    raw.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="sciplan-bench-"))
    os.chmod(tmp, 0o755)  # noqa: S103 - nginx and PgBouncer run as nobody and read their files here
    code, measured = export_code(tmp, args.worktree)
    results: dict = {
        "code": measured,
        "machine": machine(),
        "command": " ".join(["bench/run.py", *sys.argv[1:]]),
        "stamp": stamp.isoformat(),
    }
    (raw / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        scales = args.only or (["city"] + (["province"] if args.scale == "province" else []))
        results["runs"] = {}
        for scale in scales:
            (tmp / scale).mkdir()
            os.chmod(tmp / scale, 0o755)  # noqa: S103 - read by nginx and PgBouncer (nobody)
            with contextlib.ExitStack() as storage_stack:
                storage: dict = {}
                if args.storage == "s3" and scale == "city":
                    storage = stack.s3_environment(storage_stack.enter_context(stack.s3_server(tmp / scale)))
                else:
                    storage = {"SCIPLAN_PRIVATE_STORAGE": str(tmp / scale / "private")}
                results["runs"][scale] = measure(args, scale, tmp, code, raw, storage)
            if args.setup_only:
                return
        results["queue_roundtrip"] = queue_roundtrip(environment(tmp, code, {}))
        results["elapsed"] = round(time.monotonic() - started)
        (raw / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        from report import write_report

        path = write_report(results, stamp, BENCH / "results")
        log(f"results written to {path.relative_to(ROOT)} in {results['elapsed']} s")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept files in {tmp}")


if __name__ == "__main__":
    main()
