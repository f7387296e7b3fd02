"""Running a probe script in a fresh interpreter with production settings (DEBUG off).

Wiring that only lives because of DEBUG (a receiver held by weak reference, a registration made by a
module that DEBUG happens to import) is gone there, which flipping ``settings.DEBUG`` inside an
already loaded test process cannot show. The probe migrates its own SQLite file under ``var`` and
prints one line of JSON last, which is what :func:`run_probe` returns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_probe(probe: str, var: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sciplan.settings",
        "SCIPLAN_DEBUG": "0",
        "SCIPLAN_SECRET_KEY": "test-only-" + "x" * 50,
        "SCIPLAN_ALLOWED_HOSTS": "testserver",
        "SCIPLAN_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SCIPLAN_VAR_DIR": str(var),
        "PYTHONPATH": str(ROOT / "src"),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
