"""API: 文档与导出."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["文档与导出"])
