"""API: 单位与账号."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["单位与账号"])
