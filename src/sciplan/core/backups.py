"""What ``backup``, ``restore`` and ``verify_backup`` share (STANDARDS F31): the backup directory's layout
and manifest, hashing, the database catalogue read through a plain DB-API cursor (the backup reads its
own snapshot or copy, not Django's connection), and the comparisons of a database and the private files
with a manifest. The private files are read and written through the storage API only
(``core.storage``), so a backup of a local directory and of an S3-compatible bucket are made, restored and
verified the same way; only the backup itself is a local directory. The commands themselves live in
``core/management/commands/``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage
from django.core.management.base import CommandError
from django.db import connections

from sciplan.core.storage import all_keys, sha256_of, stored_file_models

MANIFEST = "manifest.json"
FILES = "files"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FORMAT = 1
AUDIT_TABLE = "core_auditevent"


def engine_of(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise CommandError(f"不支持的数据库类型：{vendor}（unsupported database engine）")
    return vendor


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return sha256_of(handle)


def storage_label(storage: Storage) -> str:
    """What the manifest records as the kind of private storage the files came from."""
    return "local" if isinstance(storage, FileSystemStorage) else type(storage).__name__


def _files_under(root: Path) -> Iterator[tuple[str, Path]]:
    """``(key, path)`` for every regular file under ``root`` (a backup's ``files/``); keys use ``/``."""
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def hash_tree(root: Path) -> dict[str, str]:
    """``{key: sha256}`` for every file under ``root`` (a backup's ``files/``)."""
    return {key: sha256_file(path) for key, path in _files_under(root)}


def hash_storage(storage: Storage) -> dict[str, str]:
    """``{key: sha256}`` for every file in private storage, read through the storage API."""
    hashes = {}
    for key in all_keys(storage):
        try:
            with storage.open(key, "rb") as handle:
                hashes[key] = sha256_of(handle)
        except FileNotFoundError:  # removed while it was being listed
            continue
    return hashes


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


def _differences(
    expected: dict[str, Any],
    actual: dict[str, Any],
    *,
    missing: Callable[[str], str],
    extra: Callable[[str], str],
    differs: Callable[[str, Any, Any], str],
) -> list[str]:
    """One message per key missing from ``actual``, absent from ``expected``, or with another value."""
    problems = []
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            problems.append(missing(key))
        elif key not in expected:
            problems.append(extra(key))
        elif expected[key] != actual[key]:
            problems.append(differs(key, expected[key], actual[key]))
    return problems


def compare_files(expected: dict[str, str], actual: dict[str, str], *, where: str) -> list[str]:
    return _differences(
        expected,
        actual,
        missing=lambda key: f"{where}缺少文件 {key}（file missing）",
        extra=lambda key: f"{where}多出文件 {key}（file not in the manifest）",
        differs=lambda key, want, got: (
            f"{where}文件 {key} 的 SHA-256 不一致（清单 {want[:12]}…，实际 {got[:12]}…；file changed）"
        ),
    )


def compare_database(alias: str, manifest: dict[str, Any]) -> list[str]:
    """Differences between the database ``alias`` and the manifest: tables, row counts, the audit tail."""
    connection = connections[alias]
    expected: dict[str, int] = manifest["tables"]
    tail = manifest.get("audit") or {}
    with connection.cursor() as cursor:
        tables = pg_tables(cursor) if connection.vendor == "postgresql" else sqlite_tables(cursor)
        actual = count_rows(cursor, tables, audit_last_id=tail.get("last_id"))
        problems = _differences(
            expected,
            actual,
            missing=lambda table: f"数据库缺少表 {table}（table missing）",
            extra=lambda table: f"数据库多出表 {table}（table not in the manifest）",
            differs=lambda table, want, got: (
                f"表 {table} 行数不一致：清单 {want}，实际 {got}（row count differs）"
            ),
        )
        if tail.get("last_id") and AUDIT_TABLE in actual:
            cursor.execute(f"SELECT hash FROM {AUDIT_TABLE} WHERE id = %s", [tail["last_id"]])  # noqa: S608
            row = cursor.fetchone()
            if not row or row[0] != tail["last_hash"]:
                problems.append("审计日志末条记录与清单不一致（audit log tail differs）")
    return problems


def copy_from_storage(storage: Storage, target: Path) -> dict[str, str]:
    """Copy every file of private storage into the directory ``target``, key by key, through the storage
    API; ``{key: sha256}`` of the copies as written."""
    hashes = {}
    root = target.resolve()
    for key in all_keys(storage):
        destination = (target / key).resolve()
        if not destination.is_relative_to(root):  # a key is a relative path; refuse one that climbs out
            raise CommandError(f"私有存储中的文件名 {key} 不安全，已停止备份（unsafe key）。")
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with storage.open(key, "rb") as source, open(destination, "wb") as copy:
                shutil.copyfileobj(source, copy, 1024 * 1024)
        except FileNotFoundError:  # removed while the backup ran
            destination.unlink(missing_ok=True)
            continue
        hashes[key] = sha256_file(destination)
    return hashes


def copy_to_storage(source: Path, storage: Storage) -> None:
    """Write every file of a backup's ``files/`` directory into private storage under its own key."""
    for key, path in _files_under(source):
        with open(path, "rb") as handle:
            saved = storage.save(key, File(handle))
        if saved != key:
            raise CommandError(
                f"私有存储把 {key} 存成了 {saved}，恢复中止（the storage renamed a restored file）。"
            )


def clear_storage(storage: Storage) -> None:
    """Delete every file of private storage (``restore --force``; a bucket's own prefix only)."""
    for key in all_keys(storage):
        storage.delete(key)
