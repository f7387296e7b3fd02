"""API: 审计."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["审计"])
