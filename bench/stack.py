"""The production shape of ``make bench`` around gunicorn: nginx, PgBouncer, a Celery worker, object storage.

Each part is a real process on 127.0.0.1, started from the configuration files a bureau's operations
staff copy (``deploy/nginx.conf``, ``deploy/pgbouncer.ini``, the worker command of
``deploy/sciplan-worker.service``), rendered into the run's temporary directory, stopped by its own pid
when the run ends (also on failure). nginx and PgBouncer run unprivileged: as ``nobody`` when the
benchmark runs as root (PgBouncer refuses root), as the caller otherwise. The Debian packages come from
``scripts/install-system-deps.sh --bench``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def render(template: Path, values: dict[str, str], *, drop_tagged: str | None = None) -> str:
    """``template`` with every ``@@NAME@@`` replaced; lines ending in ``# <drop_tagged>`` left out."""
    lines = []
    for line in template.read_text(encoding="utf-8").splitlines():
        if drop_tagged and line.rstrip().endswith(f"# {drop_tagged}"):
            continue
        lines.append(line)
    text = "\n".join(lines) + "\n"
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    left = sorted(set(re.findall(r"@@([A-Z_]+)@@", text)))
    if left:
        raise SystemExit(f"{template.name}: values missing for {left}")
    return text


def unprivileged() -> list[str]:
    """The command prefix that drops root (nginx and PgBouncer never run as root here)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def give_to_nobody(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "nobody", "nogroup")
        for child in path.rglob("*"):
            shutil.chown(child, "nobody", "nogroup")


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status == 200
    except OSError:
        return False


class Process:
    """A child in its own process group, ready when ``ready()`` says so, stopped by its pid."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log: Path,
        *,
        env: dict | None = None,
        cwd: Path | None = None,
        ready: Callable[[], bool],
        timeout: float = 60,
    ):
        self.name, self.argv, self.log_path, self.env, self.cwd = name, argv, log, env, cwd
        self.ready, self.timeout = ready, timeout
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> Process:
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-1500:]
                raise SystemExit(f"{self.name} exited with {self.proc.returncode}:\n{tail}")
            if self.ready():
                return self
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"{self.name} was not ready within {self.timeout} s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def pgbouncer(tmp: Path, *, database: str, port: int, pool_size: int, pg_port: int = 5432) -> Process:
    """PgBouncer in transaction mode from ``deploy/pgbouncer.ini``; trust on 127.0.0.1 (as PostgreSQL
    itself is set up on this machine)."""
    run = tmp / "pgbouncer"
    run.mkdir()
    (run / "userlist.txt").write_text('"postgres" ""\n')
    config = render(
        DEPLOY / "pgbouncer.ini",
        {
            "DATABASE": database,
            "PG_HOST": "127.0.0.1",
            "PG_PORT": str(pg_port),
            "LISTEN_PORT": str(port),
            "AUTH_TYPE": "trust",
            "AUTH_FILE": str(run / "userlist.txt"),
            "RUN": str(run),
            "LOG": str(run),
            "POOL_SIZE": str(pool_size),
        },
    )
    (run / "pgbouncer.ini").write_text(config)
    give_to_nobody(run)
    return Process(
        "pgbouncer",
        [*unprivileged(), shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", str(run / "pgbouncer.ini")],
        tmp / "pgbouncer.out",
        ready=lambda: answers("127.0.0.1", port),
    )


def nginx(tmp: Path, *, port: int, upstream_port: int, static_root: Path) -> Process:
    """nginx from ``deploy/nginx.conf``: plain HTTP on 127.0.0.1 (no TLS lines), one worker process
    (two cores are shared with everything else), no access log (it would measure the disk)."""
    run = tmp / "nginx"
    run.mkdir()
    config = render(
        DEPLOY / "nginx.conf",
        {
            "USER_LINE": "",
            "WORKERS": "1",
            "RUN": str(run),
            "LOG": str(run),
            "LISTEN": f"127.0.0.1:{port}",
            "SERVER_NAME": "127.0.0.1",
            "UPSTREAM": f"server 127.0.0.1:{upstream_port};",
            "STATIC_ROOT": str(static_root),
        },
        drop_tagged="tls",
    ).replace(f"access_log {run}/access.log;", "access_log off;")
    (run / "nginx.conf").write_text(config)
    give_to_nobody(run)
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    check = subprocess.run(
        [
            *unprivileged(),
            binary,
            "-t",
            "-q",
            "-e",
            str(run / "error.log"),
            "-p",
            str(run),
            "-c",
            str(run / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise SystemExit(f"deploy/nginx.conf rendered for the benchmark does not load:\n{check.stderr}")
    return Process(
        "nginx",
        [
            *unprivileged(),
            binary,
            "-e",
            str(run / "error.log"),
            "-p",
            str(run),
            "-c",
            str(run / "nginx.conf"),
            "-g",
            "daemon off;",
        ],
        tmp / "nginx.out",
        ready=lambda: answers("127.0.0.1", port),
    )


def worker(tmp: Path, env: dict, code: Path) -> Process:
    """The Celery worker, with the command line of ``deploy/sciplan-worker.service`` (its log to a file,
    where the benchmark waits for "ready")."""
    log = tmp / "worker.log"
    argv = [
        sys.executable, "-m", "celery", "-A", "sciplan.worker", "worker", "--queues=default",
        f"--concurrency={env.get('SCIPLAN_WORKER_CONCURRENCY', '1')}", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", f"--logfile={log}",
    ]  # fmt: skip

    def ready() -> bool:
        return log.exists() and " ready." in log.read_text(errors="replace")

    return Process("celery worker", argv, tmp / "worker.out", env=env, cwd=code, ready=ready, timeout=90)


def s3_server(tmp: Path):
    """moto's S3-compatible server (the tests' ``tests/s3server.py``) with the run's bucket."""
    sys.path.insert(0, str(ROOT / "tests"))
    from s3server import moto_server

    return moto_server(tmp / "moto.log")


def s3_environment(endpoint: str) -> dict[str, str]:
    import boto3

    bucket = "sciplan-bench"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto accepts any
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    return {
        "SCIPLAN_STORAGE": "s3",
        "SCIPLAN_S3_BUCKET": bucket,
        "SCIPLAN_S3_ENDPOINT_URL": endpoint,
        "SCIPLAN_S3_ACCESS_KEY": "bench",
        "SCIPLAN_S3_SECRET_KEY": "bench",
        "SCIPLAN_S3_REGION": "us-east-1",
    }
