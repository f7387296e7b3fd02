"""A relative SCIPLAN_VAR_DIR (as `make test-prod` gives) becomes an absolute path under the project,
whatever the working directory: the PDFs' fonts are referenced by file URI, and a relative path made
every document generation fail ("relative path can't be expressed as a file URI")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = "import django; django.setup(); from django.conf import settings; print(settings.VAR_DIR)"


def test_a_relative_var_dir_is_anchored_at_the_project(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SCIPLAN_", "DATABASE_URL"))}
    result = subprocess.run(  # noqa: S603 - a fixed command: this interpreter and the snippet above
        [sys.executable, "-c", SHOW],
        cwd=tmp_path,
        env={**base, "DJANGO_SETTINGS_MODULE": "sciplan.settings", "SCIPLAN_VAR_DIR": "var/relative-check"},
        capture_output=True,
        text=True,
        check=True,
    )
    var_dir = Path(result.stdout.strip())
    shutil.rmtree(ROOT / "var" / "relative-check", ignore_errors=True)
    assert var_dir.is_absolute()
    assert var_dir == ROOT / "var" / "relative-check"
    assert var_dir.as_uri().startswith("file:///")
