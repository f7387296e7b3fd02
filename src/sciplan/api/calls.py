"""API: 申报批次."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["申报批次"])
