"""Faults under load, over real HTTP: the deadline race with 50 clients (STANDARDS G33) and the database
connections cut while clients autosave and submit (F30).

The server is gunicorn with the production settings (``deploy/gunicorn.conf.py``, DEBUG off, persistent
database connections) on a free port of 127.0.0.1, serving the test database this process prepared. The
clients are threads with httpx, one client per applicant, speaking the API as an applicant's client does:
a 503 with Retry-After is retried, everything else is an answer.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import override_settings

from sciplan.accounts import uscc
from sciplan.accounts.demo import ensure_user
from sciplan.accounts.models import Unit
from sciplan.api.auth import issue_token
from sciplan.applications.demo import build_complete_application
from sciplan.applications.models import Application, ApplicationVersion
from sciplan.calls.models import Call
from sciplan.core import clock

CSRF = secrets.token_hex(16)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
TEST_BUDGET = 60  # seconds, for the whole of each test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Server:
    """gunicorn in its own process group on the test database, stopped by its own pid."""

    def __init__(self, tmp: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "gunicorn.log"
        self.secret_key = secrets.token_urlsafe(50)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIPLAN_", "DATABASE_URL"))}
        env.update(
            {
                "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT / 'src'}",
                "DJANGO_SETTINGS_MODULE": "load_settings",
                "DATABASE_URL": _database_url(),
                "SCIPLAN_DEBUG": "0",
                "SCIPLAN_DEMO": "0",
                "SCIPLAN_SECRET_KEY": self.secret_key,
                "SCIPLAN_ALLOWED_HOSTS": "127.0.0.1",
                "SCIPLAN_SSL_REDIRECT": "0",
                "SCIPLAN_VAR_DIR": str(tmp / "var"),
                "SCIPLAN_PRIVATE_STORAGE": str(tmp / "private"),
                "SCIPLAN_DB_CONN_MAX_AGE": "60",  # as deployed: a cut connection is met by a later request
                "SCIPLAN_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                "SCIPLAN_BIND": f"127.0.0.1:{self.port}",
                "SCIPLAN_WORKERS": "2",
                "SCIPLAN_GUNICORN_LOG_LEVEL": "info",
            }
        )
        self.env = env
        # The production settings, but static files without the manifest that collectstatic builds on
        # deployment (minutes of work): pages and error pages render as deployed otherwise.
        (tmp / "load_settings.py").write_text(
            "from sciplan.settings import *  # noqa: F403\n"
            "STORAGES = {**STORAGES, 'staticfiles': {'BACKEND': "
            "'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        )

    def __enter__(self) -> Server:
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and configuration
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "sciplan.wsgi",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        give_up = time.monotonic() + 30
        while time.monotonic() < give_up:
            assert self.proc.poll() is None, self.log_text()
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not answer /healthz within 30 s\n" + self.log_text())

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def session_cookies(self, user) -> str:
        """A signed-in session for ``user`` as the server reads it (signed with the server's key)."""
        with override_settings(SECRET_KEY=self.secret_key):
            store = SessionStore()
            store.update(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                    "auth_at": int(time.time()),
                    "last_seen": int(time.time()),
                }
            )
            store.create()
        return f"sessionid={store.session_key}; csrftoken={CSRF}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def server(tmp_path, transactional_db):
    # Depends on the database so that it stops before pytest-django empties the tables.
    with Server(tmp_path) as running:
        yield running
    connection.close()


def _applicants(call, personas, count: int, prefix: str):
    """``count`` approved applicant units, each with a complete draft and an API token (built by a few
    threads at once, each on its own connection)."""

    def one(index: int):
        try:
            unit = Unit.objects.create(
                name=f"{prefix}测试单位{index}",
                uscc=uscc.build("91430600", f"MA{prefix}{index:0{6 - len(prefix)}d}"),
                recommender=personas.county.recommender,
                status="approved",
            )
            user = ensure_user(f"{prefix.lower()}{index}", f"{prefix}{index}", "applicant", unit=unit)
            app = build_complete_application(call, user, direction=f"测试方向{prefix}{index}")
            raw, _ = issue_token(user, name="load")
            return app, raw
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(one, range(count)))


class Answers:
    """What every request got, for the checks after the run."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[dict] = []

    def add(self, **row) -> None:
        with self.lock:
            self.rows.append(row)

    def statuses(self) -> set:
        return {row["status"] for row in self.rows}


def _send(client: httpx.Client, answers: Answers, method: str, path: str, *, kind: str, app: int, **kwargs):
    """One request, retried while the server answers a clean 503 or the connection drops; every answer is
    recorded. Returns the final response, or None when it never got one within the retries."""
    for attempt in range(40):
        sent = clock.now()
        try:
            response = client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            answers.add(kind=kind, app=app, status="transport", error=repr(exc), sent=sent, got=clock.now())
            time.sleep(0.1)
            continue
        got = clock.now()
        row = {"kind": kind, "app": app, "status": response.status_code, "sent": sent, "got": got}
        if response.status_code >= 500:
            row.update(retry_after=response.headers.get("Retry-After"), body=response.text[:300])
        else:
            row.update(body=response.json())
        answers.add(**row)
        if response.status_code == 503 and response.headers.get("Retry-After"):
            time.sleep(0.1 + 0.05 * attempt)
            continue
        return response
    return None


def _assert_clean_failures(answers: Answers, server: Server) -> None:
    for row in answers.rows:
        if row["status"] == "transport":
            continue
        if row["status"] >= 500:
            assert row["status"] == 503, (row, server.log_text())
            assert row["retry_after"], row
            assert "系统繁忙" in row["body"], row


def test_deadline_race_over_http_with_50_clients(call, personas, server):
    started = time.monotonic()
    count = 50
    people = _applicants(call, personas, count, "DL")
    prepared = time.monotonic() - started
    answers = Answers()
    barrier = threading.Barrier(count + 1)
    deadline = None

    def client(index: int) -> None:
        app, token = people[index]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{server.base}/api/v1", headers=headers, timeout=20) as http:
            barrier.wait()
            # Spread the first attempts from 1.5 s before to 1 s after the deadline.
            fire_at = deadline - timedelta(milliseconds=1500) + timedelta(milliseconds=50 * index)
            time.sleep(max((fire_at - clock.now()).total_seconds(), 0))
            body = {"action": "submit", "idempotency_key": f"race-{app.pk}-{uuid.uuid4().hex[:8]}"}
            _send(
                http,
                answers,
                "POST",
                f"/applications/{app.pk}/transitions",
                kind="submit",
                app=app.pk,
                json=body,
            )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    # The deadline is set when every client is ready, a couple of seconds ahead by the server's clock.
    deadline = clock.now() + timedelta(seconds=2)
    Call.objects.filter(pk=call.pk).update(closes_at=deadline)
    barrier.wait()
    for t in threads:
        t.join(timeout=40)
    assert not any(t.is_alive() for t in threads)
    connection.close()

    _assert_clean_failures(answers, server)
    final = {row["app"]: row for row in answers.rows if row["status"] not in ("transport", 503)}
    assert len(final) == count, "every client got an answer"
    accepted = {pk: row for pk, row in final.items() if row["status"] == 200}
    refused = {pk: row for pk, row in final.items() if row["status"] != 200}
    timeline = sorted(
        (
            round((r["sent"] - deadline).total_seconds(), 2),
            round((r["got"] - deadline).total_seconds(), 2),
            r["status"],
        )
        for r in answers.rows
    )
    assert accepted and refused, ("the race straddles the deadline", prepared, timeline)
    for row in refused.values():
        assert row["status"] == 409 and row["body"]["code"] == "deadline_passed", row
        assert row["got"] >= deadline, ("refused before the deadline", row)
    for row in accepted.values():
        assert row["sent"] < deadline, ("accepted a request sent after the deadline", row)
    stored = {
        v.application_id: v
        for v in ApplicationVersion.objects.filter(application__in=[app for app, _ in people])
    }
    assert set(stored) == set(accepted), "stored exactly what was acknowledged"
    for pk, version in stored.items():
        assert ApplicationVersion.objects.filter(application_id=pk).count() == 1
        assert version.submitted_at < deadline
        assert accepted[pk]["body"]["version"]["receipt_no"] == version.receipt_no
    assert set(Application.objects.filter(pk__in=refused).values_list("status", flat=True)) == {"draft"}
    assert time.monotonic() - started < TEST_BUDGET


def test_database_connections_cut_while_clients_autosave_and_submit(call, personas, server):
    started = time.monotonic()
    count = 10
    people = _applicants(call, personas, count, "CUT")
    sessions = {app.pk: server.session_cookies(app.created_by) for app, _ in people}
    answers = Answers()
    acked_text: dict[int, str] = {}
    receipts: dict[int, str] = {}
    stop = threading.Event()
    kills = []

    def cutter() -> None:
        # Only the test database's connections, never another database on this server.
        with psycopg.connect(_database_url().replace("postgres://", "postgresql://"), autocommit=True) as db:
            while not stop.is_set():
                killed = db.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()[0]
                kills.append(killed)
                time.sleep(0.25)

    def client(index: int) -> None:
        app, token = people[index]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{server.base}/api/v1", headers=headers, timeout=20) as http:
            path = f"/applications/{app.pk}"
            version = None
            cookies = sessions[app.pk]
            goals = {f"goal_year{n}": getattr(app, f"goal_year{n}") for n in (1, 2, 3)}
            round_no, text = 0, ""
            # A dozen saves, and then on until the last one is acknowledged: a retried save whose first
            # answer was lost meets its own change as a 409, and is read again and saved once more.
            while round_no < 12 or (acked_text.get(app.pk) != text and round_no < 30):
                if version is None:
                    got = _send(http, answers, "GET", path, kind="read", app=app.pk)
                    assert got is not None and got.status_code == 200, got
                    version = got.json()["version"]
                text = (
                    f"建设基础第{round_no}稿：牵头单位与成员单位已联合承担省级项目{index}项，合作基础扎实。"
                )
                if index % 2:  # the page's autosave, as applications.js posts it
                    got = _send(
                        http,
                        answers,
                        "POST",
                        f"{server.base}/applications/{app.pk}/section/basis/",
                        kind="page autosave",
                        app=app.pk,
                        data={"basis": text, "base_version": version, **goals},
                        headers={
                            "Cookie": cookies,
                            "X-Autosave": "1",
                            "Accept": "application/json",
                            "X-CSRFToken": CSRF,
                        },
                    )
                    acked = got is not None and got.status_code == 200 and got.json()["ok"]
                else:
                    got = _send(
                        http,
                        answers,
                        "PATCH",
                        path,
                        kind="autosave",
                        app=app.pk,
                        json={"version": version, "basis": text},
                    )
                    acked = got is not None and got.status_code == 200
                if acked:
                    acked_text[app.pk] = text
                    version = got.json()["version"]
                else:
                    version = None  # read again: a 409 after a lost answer means our own save went in
                round_no += 1
            body = {"action": "submit", "idempotency_key": f"cut-{app.pk}-{uuid.uuid4().hex[:8]}"}
            got = _send(http, answers, "POST", f"{path}/transitions", kind="submit", app=app.pk, json=body)
            if got is not None and got.status_code == 200:
                receipts[app.pk] = got.json()["version"]["receipt_no"]

    killer = threading.Thread(target=cutter)
    killer.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=45)
    stop.set()
    killer.join(timeout=5)
    assert not any(t.is_alive() for t in threads)
    # Recovery by itself: one more cut of every connection, then each client's first request is answered.
    with psycopg.connect(_database_url().replace("postgres://", "postgresql://"), autocommit=True) as db:
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    after = [
        httpx.get(f"{server.base}/api/v1/applications/{app.pk}", headers={"Authorization": f"Bearer {raw}"})
        for app, raw in people
    ]
    assert [r.status_code for r in after] == [200] * count, [r.text[:200] for r in after]
    connection.close()  # the cuts also ended this process's own connection

    _assert_clean_failures(answers, server)
    assert sum(kills) > 0, "connections were cut"
    assert any(row["status"] == 503 for row in answers.rows), "the cuts were met by requests"
    assert not [r for r in answers.rows if r["status"] not in ("transport", 503, 200, 409)], answers.rows
    assert {"autosave", "page autosave"} <= {r["kind"] for r in answers.rows if r["status"] == 200}
    assert len(receipts) == count, "every client got its submission acknowledged in the end"
    for app, _ in people:
        stored = Application.objects.get(pk=app.pk)
        assert stored.basis == acked_text[app.pk], "the last acknowledged autosave is kept"
        versions = list(ApplicationVersion.objects.filter(application=app))
        assert len(versions) == 1
        assert versions[0].receipt_no == receipts[app.pk]
        assert acked_text[app.pk] in str(versions[0].snapshot), "the submission holds the last autosave"
    assert time.monotonic() - started < TEST_BUDGET
