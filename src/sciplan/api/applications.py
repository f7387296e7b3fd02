"""API: 申报书."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["申报书"])
