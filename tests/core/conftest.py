"""Fixtures of the core tests: a scratch database to restore backups into."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, connections
from django.db.utils import load_backend

SCRATCH = "backup_scratch"


@pytest.fixture
def scratch(tmp_path):
    """A connection alias to an empty scratch database; removed (and on PostgreSQL dropped) afterwards."""
    source = connections["default"].settings_dict
    if connection.vendor == "postgresql":
        name = f"test_scratch_{uuid.uuid4().hex[:12]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    else:
        name = str(tmp_path / "scratch.sqlite3")
    # Set as a connection object, not in settings: Django's test case allows such dynamically created
    # connections, and no test database is made for it.
    connections[SCRATCH] = load_backend(source["ENGINE"]).DatabaseWrapper({**source, "NAME": name}, SCRATCH)
    try:
        yield SCRATCH
    finally:
        connections[SCRATCH].close()
        del connections[SCRATCH]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
