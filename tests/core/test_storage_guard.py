"""STANDARDS F28 at the storage level: ``storage.files_with_rows`` keeps a file only together with a
committed row that names it — commit failures, rolled-back savepoints and nested blocks included."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction

from sciplan.accounts.models import User
from sciplan.applications.demo import sample_pdf
from sciplan.core import storage
from sciplan.recognition.models import StoredFile

pytestmark = pytest.mark.django_db(transaction=True)


def _exists(key: str) -> bool:
    return storage.private_storage().exists(key)


def _store() -> str:
    return storage.store_in_transaction(io.BytesIO(sample_pdf()), prefix="guard", extension="pdf")


def _row(key: str, user) -> StoredFile:
    return StoredFile.objects.create(
        original_name="a.pdf", storage_key=key, content_kind="pdf", size=1, sha256="0" * 64, uploaded_by=user
    )


@pytest.fixture
def user(db):
    from sciplan.accounts.roles import Role

    return User.objects.create_user(username="guard-user", password="Irrelevant-Pass-1", role=Role.BUREAU)


def test_a_committed_row_keeps_its_file(user):
    with storage.files_with_rows():
        key = _store()
        _row(key, user)

    assert _exists(key)


def test_a_file_with_no_row_is_removed_even_when_the_block_commits(user):
    with storage.files_with_rows():
        key = _store()

    assert not _exists(key)


def test_a_failed_commit_removes_the_file(user):
    with (
        mock.patch.object(connection, "commit", side_effect=DatabaseError("boom")),
        pytest.raises(DatabaseError),
        storage.files_with_rows(),
    ):
        key = _store()
        _row(key, user)

    assert not _exists(key)
    assert not StoredFile.objects.exists()


def test_a_rolled_back_savepoint_inside_a_committed_block_removes_its_file(user):
    with storage.files_with_rows():
        kept = _store()
        _row(kept, user)
        try:
            with transaction.atomic():
                lost = _store()
                _row(lost, user)
                raise DatabaseError("inner step failed")
        except DatabaseError:
            pass

    assert _exists(kept)
    assert not _exists(lost)


def test_a_failed_nested_block_removes_its_file_and_the_outer_block_decides_the_rest(user):
    with storage.files_with_rows():
        outer = _store()
        _row(outer, user)
        with pytest.raises(DatabaseError), storage.files_with_rows():
            inner = _store()
            raise DatabaseError("nested failure")
        assert not _exists(inner)

    assert _exists(outer)


def test_an_after_commit_hook_that_raises_does_not_remove_committed_files(user):
    with pytest.raises(RuntimeError), storage.files_with_rows():
        transaction.on_commit(lambda: (_ for _ in ()).throw(RuntimeError("hook failed")))
        key = _store()
        _row(key, user)

    assert StoredFile.objects.filter(storage_key=key).exists()
    assert _exists(key)


def test_storing_outside_the_guard_is_refused():
    with pytest.raises(RuntimeError):
        _store()


def test_concurrent_requests_each_keep_their_own_guard(user):
    # Threads of one server process (gunicorn's gthread) share ``django.db.connection``, the proxy; each
    # has its own database connection and must have its own file scopes. Here the first request's block
    # ends while the second's is still open: the second must still be able to store, and keep, its file.
    import threading

    first_open, second_open, first_done = threading.Event(), threading.Event(), threading.Event()
    outcome: dict = {}

    def first():
        try:
            with storage.files_with_rows():
                first_open.set()
                second_open.wait(10)
        finally:
            first_done.set()
            connection.close()

    def second():
        try:
            first_open.wait(10)
            with storage.files_with_rows():
                second_open.set()
                first_done.wait(10)
                key = _store()
                _row(key, user)
            outcome["key"] = key
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)

    assert "error" not in outcome, outcome
    assert _exists(outcome["key"])
