"""API: 接口密钥 — the system administrator's API keys of integration accounts (SPEC §14).

The same services as the pages (:mod:`sciplan.accounts.api_keys`): anyone but the system administrator,
and any account that is not an integration account, gets 404. The key itself is returned once, by
``api_key_create``; only its hash is stored.
"""

from __future__ import annotations

from datetime import date

from ninja import Field, Router, Schema

from sciplan.accounts import api_keys
from sciplan.accounts.models import ApiKey, ApiKeyScope
from sciplan.api.auth import ApiRequest
from sciplan.api.schemas import Id, LocalDateTime, errors
from sciplan.core.http import client_ip

router = Router(tags=["接口密钥"])


class ApiKeyOut(Schema):
    id: int = Field(description="密钥编号；以此密钥所做的每项操作，审计记录中 detail.api_key 即此编号")
    user_id: int = Field(description="所属接口集成账号")
    name: str = Field(description="名称（对接的系统或脚本）")
    prefix: str = Field(description="密钥的前12个字符，用于辨认；完整密钥只在创建时返回一次")
    scope: ApiKeyScope = Field(
        description="权限范围：read 只读（仅 GET 操作），write 读写（该角色能做的一切）"
    )
    scope_label: str = Field(description="权限范围的中文名称")
    state: str = Field(description="状态：active 有效、expired 已过期、revoked 已吊销")
    state_label: str = Field(description="状态的中文名称")
    created_at: LocalDateTime = Field(description="创建时间")
    expires_at: LocalDateTime = Field(description="失效时间（有效期最后一天的24时）")
    revoked_at: LocalDateTime | None = Field(description="吊销时间")
    revoke_reason: str = Field(description="吊销原因：admin 管理员吊销，deactivated 账号停用；未吊销为空")
    last_used_at: LocalDateTime | None = Field(description="最近使用时间（约每分钟记录一次）")
    last_used_ip: str | None = Field(description="最近使用的来源IP地址")


class ApiKeyCreateIn(Schema):
    name: str = Field(max_length=50, description="名称，如对接的系统或脚本，最多50字")
    scope: ApiKeyScope = Field(description="权限范围：read 只读，write 读写")
    expires_on: date | None = Field(
        None,
        description=f"有效期至（含当日），须晚于今天，最长{api_keys.MAX_DAYS}天；不填为{api_keys.DEFAULT_DAYS}天",
    )


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="完整密钥，仅此一次返回；请求时放在 Authorization: Bearer 之后")


def _out(key: ApiKey) -> dict:
    state = api_keys.key_state(key)
    return {
        "id": key.pk,
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "scope": key.scope,
        "scope_label": key.get_scope_display(),
        "state": state,
        "state_label": api_keys.STATE_LABELS[state],
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "revoke_reason": key.revoke_reason,
        "last_used_at": key.last_used_at,
        "last_used_ip": key.last_used_ip,
    }


@router.get(
    "/users/{user_id}/api-keys",
    operation_id="api_key_list",
    summary="接口密钥列表",
    description="一个接口集成账号的全部密钥（含已过期、已吊销的），新建的在前，附最近使用时间与IP。仅系统管理员可用。",
    response={200: list[ApiKeyOut], **errors(401, 404)},
)
def api_key_list(request: ApiRequest, user_id: Id):
    user = api_keys.integration_account_for(request.auth, user_id)
    return [_out(k) for k in api_keys.key_list(user, by=request.auth)]


@router.post(
    "/users/{user_id}/api-keys",
    operation_id="api_key_create",
    summary="创建接口密钥",
    description=(
        "为已启用的接口集成账号创建密钥。完整密钥只在本次应答中返回一次，系统只保存其散列值，请妥善保管。"
        "以密钥访问时与该账号角色的权限完全相同；只读密钥只能调用 GET 操作（其他返回 403 scope）；"
        "每个密钥单独限流。记入审计日志。仅系统管理员可用。"
    ),
    response={201: ApiKeyCreatedOut, **errors(401, 404, 409, 422)},
)
def api_key_create(request: ApiRequest, user_id: Id, payload: ApiKeyCreateIn):
    user = api_keys.integration_account_for(request.auth, user_id)
    raw, key = api_keys.create_key(user, payload.dict(), by=request.auth, ip=client_ip(request))
    return 201, {**_out(key), "key": raw}


@router.delete(
    "/users/{user_id}/api-keys/{key_id}",
    operation_id="api_key_revoke",
    summary="吊销接口密钥",
    description="立即吊销密钥，之后用它的请求一律返回 401；记录保留。已吊销的返回 409 state。仅系统管理员可用。",
    response={200: ApiKeyOut, **errors(401, 404, 409)},
)
def api_key_revoke(request: ApiRequest, user_id: Id, key_id: Id):
    user = api_keys.integration_account_for(request.auth, user_id)
    key = api_keys.get_key_for(request.auth, user, key_id)
    return _out(api_keys.revoke_key(key, by=request.auth, ip=client_ip(request)))
