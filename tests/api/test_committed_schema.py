"""The committed schema (docs/openapi.json) is the served one, so every API change shows in review."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sciplan.api.management.commands.openapi_schema import SCHEMA_FILE, served_schema

pytestmark = pytest.mark.django_db


def test_committed_schema_is_the_served_schema():
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    assert committed == served_schema(), "run `make schema` and commit docs/openapi.json"


def test_schema_check_fails_on_a_difference(tmp_path, monkeypatch):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr("sciplan.api.management.commands.openapi_schema.SCHEMA_FILE", stale)

    with pytest.raises(CommandError, match="make schema"):
        call_command("openapi_schema", "--check")
