"""Check every stored file against the SHA-256 recorded when it was uploaded (STANDARDS D21).

Any model with ``storage_key`` and ``sha256`` fields is checked, so files added by later apps are
covered without changing this command. A mismatch or a missing file is reported and audited.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sciplan.core import audit
from sciplan.core.storage import stored_file_models, stored_sha256


def find_tampered() -> list[tuple[str, int, str, str]]:
    """(model label, pk, expected, actual) for every file that does not match."""
    bad: list[tuple[str, int, str, str]] = []
    for model in stored_file_models():
        for pk, key, expected in model.objects.values_list("pk", "storage_key", "sha256").iterator():
            if not key:
                continue
            try:
                actual = stored_sha256(key)
            except FileNotFoundError:
                actual = "missing"
            if actual != expected:
                bad.append((model._meta.label_lower, pk, expected, actual))
    return bad


class Command(BaseCommand):
    help = "Verify the SHA-256 of every stored file; exit status 1 when one was changed or is missing."

    def handle(self, **options):
        bad = find_tampered()
        for label, pk, expected, actual in bad:
            audit.record(
                "file.tampered",
                object_type=label,
                object_id=pk,
                outcome="refused",
                detail={"expected": expected, "actual": actual, "by": "verify_files"},
            )
            self.stderr.write(
                f"{label} #{pk}: 文件已被改动或丢失（记录 {expected[:12]}…，实际 {actual[:12]}…）"
            )
        if bad:
            raise CommandError(f"{len(bad)} stored file(s) failed the integrity check")
        checked = sum(m.objects.count() for m in stored_file_models())
        self.stdout.write(f"已校验{checked}个文件，全部一致。")
