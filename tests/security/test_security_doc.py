"""docs/security.md maps every STANDARDS item to the tests that prove it: every test it names exists, so
a renamed or removed test cannot leave the map pointing at nothing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `tests/x/test_y.py::test_z`, `test_y.py::test_z`, `::test_z` (same file as the reference before it in
# the row) and a bare `tests/x/test_y.py` (which sets the file for the next `::test_z`).
REFERENCE = re.compile(r"`((?:[\w/]+\.py)?::\w+(?:\[[^`\]]*\])?|tests/[\w/]+\.py)`")


def _defines(path: Path, name: str) -> bool:
    return re.search(rf"^(?:async )?def {re.escape(name)}\(", path.read_text(), re.MULTILINE) is not None


def _resolve(path: str, name: str) -> Path | None:
    if "/" in path:
        return ROOT / path if (ROOT / path).exists() else None
    # A bare file name: the file of that name that defines the test (tests/core and tests/security
    # both have a test_audit.py).
    found = [p for p in sorted((ROOT / "tests").rglob(path)) if not name or _defines(p, name)]
    return found[0] if found else None


def named_tests(text: str) -> list[tuple[str, Path | None, str]]:
    """(reference as written, the file it resolves to, the test name) for every reference in a row."""
    named = []
    for line in text.splitlines():
        current: Path | None = None
        for reference in REFERENCE.findall(line):
            path, _, name = reference.partition("::")
            name = name.split("[")[0]
            if path:
                current = _resolve(path, name)
            named.append((reference, current, name))
    return named


def test_security_doc_names_only_tests_that_exist():
    named = named_tests((ROOT / "docs" / "security.md").read_text())
    missing = [ref for ref, path, name in named if path is None or (name and not _defines(path, name))]

    assert len(named) > 100
    assert missing == []


def test_the_reference_reader_finds_a_missing_test():
    text = (
        "| x | y | `tests/security/test_fuzz.py::test_no_such_test`, `::test_built_codes_always_validate` |"
    )

    named = named_tests(text)

    assert [(ref, path is not None and _defines(path, name)) for ref, path, name in named] == [
        ("tests/security/test_fuzz.py::test_no_such_test", False),
        ("::test_built_codes_always_validate", True),
    ]
