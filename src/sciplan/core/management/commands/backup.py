"""Back up the database and the private files into one directory, with a manifest to check a restore by
(STANDARDS F31).

``manage.py backup DIR`` writes::

    DIR/manifest.json     engine, row count of every table, SHA-256 of the dump and of every private file
    DIR/database.dump     PostgreSQL: ``pg_dump --format=custom``            (or)
    DIR/database.sqlite3  SQLite: a copy made with SQLite's online backup API
    DIR/files/…           the private file storage, key by key

The database is read from one snapshot: on PostgreSQL the row counts and the list of stored files are
read in a REPEATABLE READ transaction whose snapshot ``pg_dump --snapshot`` dumps; on SQLite they are
read from the finished copy. The files are copied after the snapshot, so every file a row of the backup
names is there unless it was deleted in between (reported as missing). Private storage that is not
the local file system (S3-compatible) is not copied: it is backed up by its own means (versioning,
replication), and the manifest says so.

The same module holds what ``restore`` and ``verify_backup`` share: reading the manifest, hashing, and
comparing a database and a file directory with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from sciplan.core import audit
from sciplan.core.storage import private_storage, stored_file_models

MANIFEST = "manifest.json"
FILES = "files"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FORMAT = 1
AUDIT_TABLE = "core_auditevent"


# --- shared with restore and verify_backup ---------------------------------------------------------------


def engine_of(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise CommandError(f"不支持的数据库类型：{vendor}（unsupported database engine）")
    return vendor


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def local_files_root() -> Path | None:
    """The directory of the private storage, or ``None`` when it is not the local file system."""
    storage = private_storage()
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def hash_tree(root: Path) -> dict[str, str]:
    """``{key: sha256}`` for every file under ``root`` (keys use ``/`` whatever the platform)."""
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): sha256_file(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def pg_environment(alias: str) -> dict[str, str]:
    """The libpq environment for ``pg_dump``/``pg_restore``/``psql``: the Django connection's own
    settings, the password in the environment rather than on the command line."""
    params = connections[alias].settings_dict
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if params.get(key):
            env[name] = str(params[key])
    options = params.get("OPTIONS") or {}
    for option, name in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("service", "PGSERVICE"),
    ):
        if options.get(option):
            env[name] = str(options[option])
    env["PGDATABASE"] = str(params["NAME"])
    return env


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise CommandError(f"找不到 {name}，请安装 PostgreSQL 客户端工具（{name} not found on PATH）。")
    return found


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_rows(cursor, tables: list[str], *, audit_last_id: int | None = None) -> dict[str, int]:
    """Rows per table through a DB-API cursor. With ``audit_last_id``, the audit log counts only its rows
    up to that id: events appended after the backup (the restore's own record) are not a difference."""
    counts = {}
    for table in sorted(tables):
        sql = f"SELECT COUNT(*) FROM {quote(table)}"  # noqa: S608 — table names come from the catalogue
        if table == AUDIT_TABLE and audit_last_id is not None:
            sql += f" WHERE id <= {int(audit_last_id)}"
        cursor.execute(sql)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def audit_tail(cursor) -> dict[str, Any]:
    cursor.execute(f"SELECT id, hash FROM {AUDIT_TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    return {"last_id": int(row[0]), "last_hash": row[1]} if row else {"last_id": 0, "last_hash": ""}


def sqlite_tables(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [row[0] for row in cursor.fetchall()]


def pg_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = ANY(current_schemas(false)) ORDER BY tablename"
    )
    return [row[0] for row in cursor.fetchall()]


def named_keys(cursor, tables: list[str]) -> set[str]:
    """Every private-file key a row names, read through ``cursor`` (the backup's snapshot)."""
    keys: set[str] = set()
    for model in stored_file_models():
        table = model._meta.db_table
        if table not in tables:
            continue
        column = model._meta.get_field("storage_key").column
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''")  # noqa: S608
        keys.update(row[0] for row in cursor.fetchall())
    return keys


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise CommandError(f"{directory} 中没有 {MANIFEST}，不是一份备份（no manifest: not a backup）。")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise CommandError(f"备份格式 {manifest.get('format')} 无法识别（unknown backup format）。")
    return manifest


def check_backup(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """Differences between the backup directory and its own manifest (a changed, missing or extra file)."""
    problems = []
    database = manifest["database"]
    dump = directory / database["file"]
    if not dump.is_file():
        problems.append(f"数据库备份文件缺失：{database['file']}（database copy missing）")
    elif sha256_file(dump) != database["sha256"]:
        problems.append(f"数据库备份文件已被改动：{database['file']}（database copy changed）")
    if manifest["files"]["copied"]:
        problems += compare_files(manifest["files"]["sha256"], hash_tree(directory / FILES), where="备份中")
    return problems


def compare_files(expected: dict[str, str], actual: dict[str, str], *, where: str) -> list[str]:
    problems = []
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            problems.append(f"{where}缺少文件 {key}（file missing）")
        elif key not in expected:
            problems.append(f"{where}多出文件 {key}（file not in the manifest）")
        elif expected[key] != actual[key]:
            problems.append(
                f"{where}文件 {key} 的 SHA-256 不一致（清单 {expected[key][:12]}…，实际 {actual[key][:12]}…；file changed）"
            )
    return problems


def compare_database(alias: str, manifest: dict[str, Any]) -> list[str]:
    """Differences between the database ``alias`` and the manifest: tables, row counts, the audit tail."""
    connection = connections[alias]
    expected: dict[str, int] = manifest["tables"]
    tail = manifest.get("audit") or {}
    with connection.cursor() as cursor:
        tables = pg_tables(cursor) if connection.vendor == "postgresql" else sqlite_tables(cursor)
        actual = count_rows(cursor, tables, audit_last_id=tail.get("last_id"))
        problems = []
        for table in sorted(expected.keys() | actual.keys()):
            if table not in actual:
                problems.append(f"数据库缺少表 {table}（table missing）")
            elif table not in expected:
                problems.append(f"数据库多出表 {table}（table not in the manifest）")
            elif expected[table] != actual[table]:
                problems.append(
                    f"表 {table} 行数不一致：清单 {expected[table]}，实际 {actual[table]}（row count differs）"
                )
        if tail.get("last_id") and AUDIT_TABLE in actual:
            cursor.execute(f"SELECT hash FROM {AUDIT_TABLE} WHERE id = %s", [tail["last_id"]])  # noqa: S608
            row = cursor.fetchone()
            if not row or row[0] != tail["last_hash"]:
                problems.append("审计日志末条记录与清单不一致（audit log tail differs）")
    return problems


# --- backup --------------------------------------------------------------------------------------------


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
        if connection.is_in_memory_db() or not Path(name).exists():
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


def copy_files(source: Path, target: Path) -> dict[str, str]:
    """Copy every file under ``source`` to ``target``, hashing what was written."""
    hashes = {}
    if not source.exists():
        return hashes
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        key = path.relative_to(source).as_posix()
        destination = target / key
        destination.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as src, open(destination, "wb") as dst:
                for chunk in iter(lambda src=src: src.read(1024 * 1024), b""):
                    digest.update(chunk)
                    dst.write(chunk)
        except FileNotFoundError:  # removed while the backup ran
            destination.unlink(missing_ok=True)
            continue
        hashes[key] = digest.hexdigest()
    return hashes


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
    root = local_files_root()
    files = copy_files(root, directory / FILES) if root is not None else {}
    missing = sorted(made["keys"] - files.keys()) if root is not None else []
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": engine,
        "database": {"file": made["file"], "sha256": sha256_file(directory / made["file"])},
        "tables": made["tables"],
        "audit": made["audit"],
        "files": {
            "copied": root is not None,
            "storage": "local" if root is not None else type(private_storage()).__name__,
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
        if manifest["files"]["copied"]:
            self.stdout.write(f"私有文件 {len(manifest['files']['sha256'])} 个已复制并记录 SHA-256。")
        else:
            self.stdout.write(
                self.style.WARNING(
                    "私有文件存放在对象存储中，未复制：请用对象存储自身的版本或复制功能备份"
                    "（private files are in object storage: back them up by its own means）。"
                )
            )
        for key in manifest["files"]["named_but_missing"]:
            self.stderr.write(f"数据库记录的文件 {key} 在存储中不存在（file named by a row is missing）")
