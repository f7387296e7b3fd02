"""Write or check the committed OpenAPI schema (docs/openapi.json).

The schema is committed so that a change of the API is seen in review as a diff of this file;
``--check`` fails when the served schema and the committed one differ (run by the test suite).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

SCHEMA_FILE = Path(settings.PROJECT_DIR) / "docs" / "openapi.json"


def served_schema() -> str:
    """The schema as a client reads it from /api/v1/openapi.json, in the committed file's layout."""
    host = next(
        (h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")), "testserver"
    )
    response = Client().get("/api/v1/openapi.json", HTTP_HOST=host)
    if response.status_code != 200:
        raise CommandError(f"/api/v1/openapi.json answered {response.status_code}")
    return json.dumps(response.json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Write docs/openapi.json from the served schema, or with --check fail when they differ."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only compare, write nothing")

    def handle(self, *args, check: bool = False, **options):
        current = served_schema()
        if check:
            committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
            if committed != current:
                raise CommandError(
                    "docs/openapi.json differs from the served schema: run `make schema` and commit the diff."
                )
            self.stdout.write("docs/openapi.json matches the served schema.")
            return
        SCHEMA_FILE.write_text(current, encoding="utf-8")
        self.stdout.write(f"wrote {SCHEMA_FILE.name}")
