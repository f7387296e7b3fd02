"""API: 推荐."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["推荐"])
