"""Check a backup directory against its own manifest (STANDARDS F31): the database copy's SHA-256 and
every private file's. Exit status 1 naming each changed, missing or extra file.

Run it after copying a backup off the host, and before relying on it; ``restore`` runs the same check
before it touches anything, and ``restore --verify`` compares a restored database and files.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sciplan.core.backups import check_backup, read_manifest


class Command(BaseCommand):
    help = "Check a backup made by `backup` against its manifest.json; exit status 1 on any difference."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the backup directory (holding manifest.json)")

    def handle(self, **options):
        directory = Path(options["directory"])
        manifest = read_manifest(directory)
        problems = check_backup(directory, manifest)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"备份与清单不符：{len(problems)} 处（backup damaged: {len(problems)} difference(s)）"
            )
        self.stdout.write(
            f"备份完好：数据库副本与 {len(manifest['files']['sha256'])} 个文件的 SHA-256 均与清单一致"
            f"（{manifest['engine']}，{manifest['created_at']}）。"
        )
