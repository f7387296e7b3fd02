"""The page's running totals read amounts as the server does: ``amount()`` of applications.js against
``budget.parse_amount``, input by input (the digit limits are the model field's, checked on save)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from sciplan.applications import budget
from sciplan.applications.models import BudgetYear

SCRIPT = Path(budget.__file__).parent / "static" / "applications" / "applications.js"
TYPED = [
    "6800",
    "6,800.00",
    " 1,234,567.5 ",
    "６８００．５",
    "６，８００",
    "6800万元",
    "6800万",
    "6800。5",
    "6800.100",
    ".5",
    "5.",
    "0",
    "",
    "万元",
    "abc",
    "五十",
    "68,00",
    "6,8000",
    "-5",
    "12.345",
    "1e5",
    "0x10",
    "1 000",
]


def _server(typed: str) -> str | None:
    """What the server makes of it: the amount in cents as text, "" when empty, None when refused."""
    try:
        amount = budget.parse_amount(typed, BudgetYear._meta.get_field("source_lead"))
    except ValidationError:
        return None
    return "" if amount is None else str(int(amount * 100))


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run the page's script")
def test_the_pages_amount_reader_accepts_and_refuses_what_the_server_does():
    source = re.search(r"\n( *)function amount\(value\) \{\n.*?\n\1\}\n", SCRIPT.read_text(), re.S)
    assert source is not None, "amount() not found in applications.js"
    program = source.group(0) + (
        "const typed = JSON.parse(process.argv[1]);\n"
        "console.log(JSON.stringify(typed.map((t) => { const c = amount(t);"
        ' return c === null ? "" : Number.isNaN(c) ? null : String(c); })));\n'
    )
    done = subprocess.run(  # noqa: S603 - the system's node and our own script
        [str(NODE), "-e", program, json.dumps(TYPED)], capture_output=True, text=True, check=True, timeout=30
    )

    page = json.loads(done.stdout)
    assert dict(zip(TYPED, page, strict=True)) == {typed: _server(typed) for typed in TYPED}
