"""The JSON API (SPEC §14): /api/v1/, schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="岳阳市科技计划管理系统 API",
    version="1.0.0",
    description="创新联合体申报的 JSON 接口。与网页使用同一套业务服务、权限、截止时间与校验。",
    urls_namespace="api",
)
