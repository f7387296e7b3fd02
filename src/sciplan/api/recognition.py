"""API: 认定与公示."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["认定与公示"])
