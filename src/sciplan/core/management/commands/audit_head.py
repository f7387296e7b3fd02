"""Record a signed head of the audit log (the newest row's id and hash, the row count, the time).

Scheduled every few minutes (docs/deployment.md). ``--output FILE`` also appends the head as one JSON
line to a file the database roles cannot reach (or that is shipped to another host), so even the
database owner cannot silently remove the newest rows together with their heads.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from sciplan.core.audit import head_as_dict, record_head


class Command(BaseCommand):
    help = "Record a signed head of the audit log; --output FILE also appends it there as a JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="append the head as one JSON line to this file")

    def handle(self, **options):
        line = json.dumps(head_as_dict(record_head()), ensure_ascii=False)
        if options.get("output"):
            with open(options["output"], "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        self.stdout.write(line)
