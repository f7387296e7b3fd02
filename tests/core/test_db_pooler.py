"""SCIPLAN_DB_POOLER=pgbouncer (deploy/pgbouncer.ini, transaction mode): the settings turn off what
transaction pooling cannot carry, and refuse a configuration that cannot work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings; d = settings.DATABASES['default'];"
    "print(json.dumps({'cursors': d.get('DISABLE_SERVER_SIDE_CURSORS', False),"
    " 'binding': d.get('OPTIONS', {}).get('server_side_binding'), 'age': d['CONN_MAX_AGE']}))"
)


def _settings(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SCIPLAN_", "DATABASE_URL"))}
    return subprocess.run(  # noqa: S603 - a fixed command: this interpreter and the snippet above
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "sciplan.settings", **env},
        capture_output=True,
        text=True,
    )


def test_pgbouncer_turns_off_server_side_cursors_and_binding():
    result = _settings(
        DATABASE_URL="postgres://sciplan@127.0.0.1:6432/sciplan",
        SCIPLAN_DB_POOLER="pgbouncer",
        SCIPLAN_DB_CONN_MAX_AGE="60",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"cursors": True, "binding": False, "age": 60}


def test_without_a_pooler_nothing_changes():
    result = _settings(DATABASE_URL="postgres://sciplan@127.0.0.1:5432/sciplan")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"cursors": False, "binding": None, "age": 0}


def test_a_pooler_without_postgresql_or_an_unknown_one_is_refused():
    sqlite = _settings(SCIPLAN_DB_POOLER="pgbouncer")
    unknown = _settings(DATABASE_URL="postgres://sciplan@127.0.0.1:5432/sciplan", SCIPLAN_DB_POOLER="pgpool")

    assert sqlite.returncode != 0 and "needs a PostgreSQL DATABASE_URL" in sqlite.stderr
    assert unknown.returncode != 0 and "SCIPLAN_DB_POOLER must be" in unknown.stderr
