"""API: 单位与账号 — tokens, unit registration and its approval by the region's recommender."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Field, Router, Schema

from sciplan.accounts import services
from sciplan.accounts.models import Unit
from sciplan.api import auth
from sciplan.api.auth import ApiRequest
from sciplan.api.schemas import (
    Id,
    LocalDateTime,
    TokenIn,
    TokenOut,
    UnitDecisionIn,
    UnitOut,
    UnitRegisterIn,
    UserOut,
    errors,
)
from sciplan.core.errors import Conflict, DomainError
from sciplan.core.http import client_ip

router = Router(tags=["单位与账号"])


def user_out(user) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "unit_id": user.unit_id,
        "recommender_id": user.recommender_id,
    }


def unit_out(unit: Unit) -> dict:
    return {
        "id": unit.pk,
        "name": unit.name,
        "uscc": unit.uscc,
        "status": unit.status,
        "status_label": unit.get_status_display(),
        "status_reason": unit.status_reason,
        "recommender": {"id": unit.recommender.pk, "name": unit.recommender.name}
        if unit.recommender
        else None,
        "reviewed_at": unit.reviewed_at,
    }


@router.post(
    "/auth/token",
    auth=None,
    operation_id="auth_token_create",
    summary="登录并获取访问令牌",
    description=(
        "用登录名和密码（已绑定两步验证的账号另加动态验证码 otp）换取访问令牌。"
        "用户不存在与密码错误返回同样的提示；连续失败5次后暂时锁定，返回 429 及 Retry-After（秒）。"
        "令牌在有效期内有效，可随时吊销。"
    ),
    response={201: TokenOut, **errors(401, 422, 429)},
)
def auth_token_create(request: ApiRequest, payload: TokenIn):
    raw, token = auth.sign_in(
        request, username=payload.username, password=payload.password, otp=payload.otp, name=payload.name
    )
    return 201, {
        "token": raw,
        "token_type": "Bearer",
        "expires_at": token.expires_at,
        "user": user_out(token.user),
    }


@router.delete(
    "/auth/token",
    operation_id="auth_token_revoke",
    summary="吊销当前令牌",
    description=(
        "吊销本次请求所用的令牌，之后用它的请求一律返回 401。接口密钥不能用此操作吊销（409 state），"
        "由系统管理员在“接口密钥”中吊销。"
    ),
    response={204: None, **errors(401, 409)},
)
def auth_token_revoke(request: ApiRequest):
    if request.api_token is None:
        raise Conflict("接口密钥由系统管理员吊销，不能用此操作吊销。", code="state")
    auth.revoke(request.api_token, ip=client_ip(request))
    return HttpResponse(status=204)


REGISTER_FIELD_NAMES = {"recommender": "recommender_id"}


@router.post(
    "/units",
    auth=None,
    operation_id="unit_register",
    summary="申报单位注册",
    description=(
        "新申报单位注册本单位并创建单位管理员账号。注册后须经所在县市区或园区的推荐单位审核通过，方可提交申报书。"
        "同一来源地址每小时最多注册10次，与网页注册共用限额（超出返回 429 及 Retry-After）。"
    ),
    response={201: UnitOut, **errors(422)},
)
def unit_register(request: ApiRequest, payload: UnitRegisterIn):
    data = payload.dict()
    data["recommender"] = data.pop("recommender_id")
    try:
        user = services.register_unit(data, ip=client_ip(request))
    except DomainError as exc:
        exc.field_errors = {REGISTER_FIELD_NAMES.get(k, k): v for k, v in exc.field_errors.items()}
        raise
    return 201, unit_out(Unit.objects.select_related("recommender").get(users=user))


@router.post(
    "/units/{unit_id}/decision",
    operation_id="unit_approve",
    summary="审核单位注册",
    description=(
        "单位所在地的推荐单位（或市科技局）审核通过或不通过一家单位的注册；不通过须填写理由。"
        "其他推荐单位看不到该单位（404）；已审核过的单位返回 409。"
    ),
    response={200: UnitOut, **errors(401, 404, 409, 422)},
)
def unit_approve(request: ApiRequest, unit_id: Id, payload: UnitDecisionIn):
    unit = services.get_unit_for_review(request.auth, unit_id)
    unit = services.approve_unit(
        unit, by=request.auth, approve=payload.approve, reason=payload.reason, ip=client_ip(request)
    )
    return 200, unit_out(Unit.objects.select_related("recommender").get(pk=unit.pk))


class UnitUserIn(Schema):
    username: str = Field(max_length=150, description="登录名：4位以上字母、数字、下划线或点")
    name: str = Field(max_length=50, description="姓名")
    mobile: str = Field(max_length=20, description="手机号码")
    email: str = Field("", max_length=254, description="电子邮箱，可不填")
    password: str = Field(max_length=128, description="初始密码：至少8位，含3类字符")


class UsccOverrideIn(Schema):
    uscc: str = Field(max_length=30, description="未通过校验位（或早期代码前8位）校验的统一社会信用代码")
    unit_name: str = Field(max_length=200, description="单位名称，最多200字")
    reason: str = Field(max_length=300, description="豁免理由（如核对营业执照或登记证书的情况），最多300字")


class UsccOverrideOut(Schema):
    id: int = Field(description="豁免记录编号")
    uscc: str = Field(description="豁免的代码；此后在注册、成员单位、专家单位中均予接受")
    unit_name: str = Field(description="单位名称")
    reason: str = Field(description="豁免理由")
    granted_at: LocalDateTime = Field(description="办理时间")


@router.post(
    "/units/mine/users",
    operation_id="unit_user_create",
    summary="添加本单位填报人",
    description="单位管理员为本单位添加填报人账号（与网页“单位用户”相同）。其他用户返回 403。",
    response={201: UserOut, **errors(401, 403, 422)},
)
def unit_user_create(request: ApiRequest, payload: UnitUserIn):
    user = services.add_unit_user(by=request.auth, **payload.dict())
    return 201, user_out(user)


@router.post(
    "/uscc-overrides",
    operation_id="uscc_override_create",
    summary="豁免信用代码校验",
    description=(
        "市科技局核实证照后，接受一个未通过校验位（或早期代码前8位）校验的统一社会信用代码，须填写理由，"
        "记入审计日志。其他错误不能豁免（422）。其他用户返回 403。"
    ),
    response={201: UsccOverrideOut, **errors(401, 403, 422)},
)
def uscc_override_create(request: ApiRequest, payload: UsccOverrideIn):
    override = services.override_uscc(
        code=payload.uscc,
        unit_name=payload.unit_name,
        reason=payload.reason,
        by=request.auth,
        ip=client_ip(request),
    )
    return 201, {
        "id": override.pk,
        "uscc": override.uscc,
        "unit_name": override.unit_name,
        "reason": override.reason,
        "granted_at": override.granted_at,
    }
