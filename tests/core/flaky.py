"""A fault-injecting SMS gateway for the task tests, selected through ``SMS_BACKEND`` like a real one.

Its state is a JSON file named by ``SCIPLAN_TEST_SMS_FILE`` so that a worker process and the test share
it: ``{"fail": n, "sent": [...]}`` — the next ``n`` sends raise, the others are recorded in ``sent``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def _path() -> Path:
    return Path(os.environ["SCIPLAN_TEST_SMS_FILE"])


def reset(*, fail: int) -> None:
    _path().write_text(json.dumps({"fail": fail, "sent": []}))


def sent() -> list[list[str]]:
    return json.loads(_path().read_text())["sent"]


class FlakySms:
    def send(self, mobile: str, text: str) -> None:
        state = json.loads(_path().read_text())
        if state["fail"] > 0:
            state["fail"] -= 1
            _path().write_text(json.dumps(state))
            raise ConnectionError("短信网关无响应（测试注入的故障）")
        state["sent"].append([mobile, text])
        _path().write_text(json.dumps(state))
