"""Back up the database and the private files into one directory, with a manifest to check a restore by
(STANDARDS F31).

``manage.py backup DIR`` writes::

    DIR/manifest.json     engine, row count of every table, SHA-256 of the dump and of every private file
    DIR/database.dump     PostgreSQL: ``pg_dump --format=custom``            (or)
    DIR/database.sqlite3  SQLite: a copy made with SQLite's online backup API
    DIR/files/…           the private files, key by key (from the directory or the bucket)

The database is read from one snapshot: on PostgreSQL the row counts and the list of stored files are
read in a REPEATABLE READ transaction whose snapshot ``pg_dump --snapshot`` dumps; on SQLite they are
read from the finished copy. The files are copied after the snapshot, so every file a row of the backup
names is there unless it was deleted in between (reported as missing). They are read through the
storage API, so a local directory and an S3-compatible bucket are copied the same way.

The layout, the manifest and the comparisons shared with ``restore`` and ``verify_backup`` are in
``sciplan.core.backups``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation
from django.utils import timezone

from sciplan.core import audit
from sciplan.core.backups import (
    AUDIT_TABLE,
    FILES,
    FORMAT,
    MANIFEST,
    PG_DUMP,
    SQLITE_COPY,
    audit_tail,
    copy_from_storage,
    count_rows,
    engine_of,
    named_keys,
    pg_environment,
    pg_tables,
    pg_tool,
    sha256_file,
    sqlite_tables,
    storage_label,
)
from sciplan.core.storage import describe_private_storage, private_storage


def _backup_postgresql(alias: str, directory: Path) -> dict[str, Any]:
    connection = connections[alias]
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = pg_tables(cursor)
            counts = count_rows(cursor, tables)
            tail = audit_tail(cursor) if AUDIT_TABLE in tables else None
            keys = named_keys(cursor, tables)
            target = directory / PG_DUMP
            result = subprocess.run(  # noqa: S603 — fixed argument list, no shell
                [pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
                env=pg_environment(alias),
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            cursor.execute("COMMIT")
    finally:
        raw.close()
    if result.returncode != 0:
        raise CommandError(f"pg_dump 失败（pg_dump failed）：{result.stderr.strip()}")
    return {"file": PG_DUMP, "tables": counts, "audit": tail, "keys": keys}


def _backup_sqlite(alias: str, directory: Path) -> dict[str, Any]:
    connection = connections[alias]
    name = str(connection.settings_dict["NAME"])
    target = directory / SQLITE_COPY
    with closing(sqlite3.connect(target)) as copy:
        if SQLiteCreation.is_in_memory_db(name) or not Path(name).exists():
            connection.ensure_connection()
            connection.connection.backup(copy)
        else:
            with closing(sqlite3.connect(name, timeout=20)) as source:
                source.backup(copy)
        cursor = copy.cursor()
        tables = sqlite_tables(cursor)
        counts = count_rows(cursor, tables)
        tail = audit_tail(cursor) if AUDIT_TABLE in tables else None
        keys = named_keys(cursor, tables)
    return {"file": SQLITE_COPY, "tables": counts, "audit": tail, "keys": keys}


def make_backup(directory: Path, *, alias: str = "default") -> dict[str, Any]:
    engine = engine_of(alias)
    if directory.exists() and any(directory.iterdir()):
        raise CommandError(
            f"备份目录 {directory} 不是空的，请换一个新目录（backup directory is not empty）。"
        )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if alias == "default":
        audit.record("backup.create", object_type="backup", detail={"directory": directory.name})
    made = (
        _backup_postgresql(alias, directory) if engine == "postgresql" else _backup_sqlite(alias, directory)
    )
    storage = private_storage()
    files = copy_from_storage(storage, directory / FILES)
    missing = sorted(made["keys"] - files.keys())
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": engine,
        "database": {"file": made["file"], "sha256": sha256_file(directory / made["file"])},
        "tables": made["tables"],
        "audit": made["audit"],
        "files": {
            "copied": True,
            "storage": storage_label(storage),
            "sha256": files,
            "named_but_missing": missing,
        },
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    _owner_only(directory)
    return manifest


def _owner_only(directory: Path) -> None:
    """A backup holds every private file and personal datum: readable by its owner only."""
    directory.chmod(0o700)
    for path in directory.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's online backup) and the private files "
        "into DIR, with manifest.json holding row counts and SHA-256 hashes; check it with verify_backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="a new or empty directory for the backup")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, **options):
        directory = Path(options["directory"])
        manifest = make_backup(directory, alias=options["database"])
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"备份完成：{directory}，{len(manifest['tables'])} 张表 {rows} 行（{manifest['engine']}）。"
        )
        self.stdout.write(
            f"私有文件 {len(manifest['files']['sha256'])} 个已从{describe_private_storage()}复制并记录 SHA-256。"
        )
        for key in manifest["files"]["named_but_missing"]:
            self.stderr.write(f"数据库记录的文件 {key} 在存储中不存在（file named by a row is missing）")
