"""API: 评审."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["评审"])
