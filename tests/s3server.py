"""An S3-compatible server for the tests: moto's standalone server (``moto[server]``, a dev dependency),
started as a child process on a free port of 127.0.0.1 and stopped at the end of the run.

It is bounded: it must answer within ``START_TIMEOUT`` seconds or the tests that need it fail (never
skip), it is terminated (then killed) when the session ends, and on Linux it also receives SIGTERM if
the test process dies without cleaning up.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT = 30
STOP_TIMEOUT = 10


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child, before exec
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """Run ``moto_server`` and yield its endpoint URL (``http://127.0.0.1:<port>``)."""
    last_error = ""
    for _attempt in range(3):  # the free port may be taken between the probe and the bind
        port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        with open(log, "ab") as output:
            process = subprocess.Popen(  # noqa: S603 — fixed argument list, no shell
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,  # only prctl in the child, before exec
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None and not _answers(endpoint):
            time.sleep(0.1)
        if process.poll() is None and _answers(endpoint):
            try:
                yield endpoint
            finally:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(STOP_TIMEOUT)
            return
        process.kill()
        process.wait(STOP_TIMEOUT)
        last_error = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"moto_server did not start on 127.0.0.1 within {START_TIMEOUT} s:\n{last_error}")
