"""Restore a backup made by ``manage.py backup`` and check the result against its manifest (STANDARDS F31).

``manage.py restore DIR`` first checks the backup against its own manifest (a changed dump or file is
refused before anything is touched), then restores the database (``pg_restore`` in one transaction, or
SQLite's backup API) and the private files, and finally compares the restored database and files with
the manifest: every table's row count and every file's SHA-256. Any difference exits with status 1.
The files are written and read back through the storage API: a local directory or an S3-compatible
bucket (its prefix), whichever ``STORAGES['private']`` is.

A database that already has tables, or a private storage that already has files, is refused unless
``--force`` is given: then the database's objects are replaced (``pg_restore --clean``; SQLite: the
whole file) and the storage's files are replaced by the backup's.

``manage.py restore DIR --verify`` restores nothing: it only compares the current database and files
with the manifest (after a restore made by other means, or to check one again).
"""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation

from sciplan.core import audit
from sciplan.core.backups import (
    FILES,
    check_backup,
    clear_storage,
    compare_database,
    compare_files,
    copy_to_storage,
    engine_of,
    hash_storage,
    pg_environment,
    pg_tool,
    read_manifest,
)
from sciplan.core.storage import all_keys, describe_private_storage, private_storage


def _refuse_to_overwrite(alias: str, *, with_files: bool, force: bool) -> None:
    if force:
        return
    tables = connections[alias].introspection.table_names()
    files = all_keys() if with_files else []
    if tables:
        raise CommandError(
            f"目标数据库不是空的（已有 {len(tables)} 张表），为防止覆盖现有数据已停止恢复；"
            "确需覆盖，请加 --force。"
            f" / The target database is not empty ({len(tables)} tables); nothing was restored."
            " Add --force to overwrite it."
        )
    if files:
        raise CommandError(
            f"{describe_private_storage()} 不是空的（已有 {len(files)} 个文件），已停止恢复；确需覆盖，请加 --force。"
            f" / The private file storage is not empty ({len(files)} files); nothing was restored."
            " Add --force to overwrite it."
        )


def _restore_postgresql(alias: str, dump: Path, *, force: bool, no_owner: bool) -> None:
    connection = connections[alias]
    connection.close()
    command = [
        pg_tool("pg_restore"),
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={connection.settings_dict['NAME']}",
    ]
    if force:
        command += ["--clean", "--if-exists"]
    if no_owner:
        command += ["--no-owner", "--no-privileges"]
    result = subprocess.run(  # noqa: S603 — fixed argument list, no shell
        [*command, str(dump)],
        env=pg_environment(alias),
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if result.returncode != 0:
        raise CommandError(
            f"pg_restore 失败，数据库未改动（pg_restore failed, rolled back）：{result.stderr.strip()}"
        )


def _restore_sqlite(alias: str, copy: Path) -> None:
    connection = connections[alias]
    if SQLiteCreation.is_in_memory_db(connection.settings_dict["NAME"]):
        connection.ensure_connection()
        with closing(sqlite3.connect(copy)) as source:
            source.backup(connection.connection)
        return
    connection.close()
    with (
        closing(sqlite3.connect(copy)) as source,
        closing(sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=20)) as target,
    ):
        source.backup(target)


def _restore_files(backup: Path) -> None:
    storage = private_storage()
    clear_storage(storage)
    copy_to_storage(backup / FILES, storage)


def verify_restored(alias: str, manifest: dict[str, Any]) -> list[str]:
    problems = compare_database(alias, manifest)
    if manifest["files"]["copied"]:
        problems += compare_files(
            manifest["files"]["sha256"], hash_storage(private_storage()), where="恢复后"
        )
    return problems


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` (database and private files) and verify row counts and file "
        "hashes against its manifest; refuses a non-empty target unless --force. --verify only compares."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="the backup directory (holding manifest.json)")
        parser.add_argument("--database", default="default", help="database alias to restore into")
        parser.add_argument(
            "--force", action="store_true", help="overwrite a non-empty database and file directory"
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="restore nothing; compare the database and files with the manifest",
        )
        parser.add_argument(
            "--no-owner",
            action="store_true",
            help="PostgreSQL: restore as the connecting role, without grants",
        )

    def _fail_on(self, problems: list[str], summary: str) -> None:
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{summary}：{len(problems)} 处不一致（{len(problems)} difference(s)）")

    def handle(self, **options):
        directory = Path(options["directory"])
        alias = options["database"]
        manifest = read_manifest(directory)
        engine = engine_of(alias)
        if manifest["engine"] != engine:
            raise CommandError(
                f"备份来自 {manifest['engine']}，目标数据库是 {engine}，不能恢复"
                f"（backup is {manifest['engine']}, target is {engine}）。"
            )
        if not options["verify"]:
            self._fail_on(
                check_backup(directory, manifest), "备份本身与清单不符，未恢复任何内容（backup damaged）"
            )
            _refuse_to_overwrite(alias, with_files=manifest["files"]["copied"], force=options["force"])
            dump = directory / manifest["database"]["file"]
            if engine == "postgresql":
                _restore_postgresql(alias, dump, force=options["force"], no_owner=options["no_owner"])
            else:
                _restore_sqlite(alias, dump)
            if manifest["files"]["copied"]:
                _restore_files(directory)
            else:  # a backup taken while object storage was still backed up by its own means
                self.stdout.write(
                    self.style.WARNING(
                        "备份不含私有文件（对象存储由其自身方式备份），请另行恢复对象存储"
                        "（object storage is restored by its own means）。"
                    )
                )
        self._fail_on(
            verify_restored(alias, manifest), "恢复结果与备份清单不符（restore does not match the manifest）"
        )
        tables = len(manifest["tables"])
        rows = sum(manifest["tables"].values())
        files = len(manifest["files"]["sha256"])
        if not options["verify"] and alias == "default":
            audit.record("backup.restore", object_type="backup", detail={"directory": directory.name})
        self.stdout.write(
            f"{'校验' if options['verify'] else '恢复并校验'}完成：{tables} 张表 {rows} 行、{files} 个文件与清单一致。"
        )
