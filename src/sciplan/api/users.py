"""API: 账号管理 — the system administrator's accounts (SPEC §2, §14): the services of the pages.

Every operation calls :mod:`sciplan.accounts.user_admin`, which refuses anyone but the system
administrator with 404 (as the pages do), validates with the same field → Chinese message map and
writes the same audit records. An administrator cannot change their own role (separation of duties).
"""

from __future__ import annotations

from django.db import transaction
from ninja import Field, Query, Router, Schema

from sciplan.accounts import user_admin
from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.api.auth import ApiRequest
from sciplan.api.schemas import MAX_ID, BodyId, Id, LocalDateTime, errors
from sciplan.core.errors import DomainError, NotFound
from sciplan.core.http import client_ip

router = Router(tags=["账号管理"])

# The services speak of the form's fields; the API's body names the ids as ``*_id``.
FIELD_NAMES = {"recommender": "recommender_id", "binding": "expert_id"}


class UserFilter(Schema):
    q: str = Field("", max_length=100, description="登录名、姓名、邮箱或手机号中包含的文字")
    role: Role | None = Field(None, description="按角色筛选")
    unit_id: int | None = Field(None, ge=1, le=MAX_ID, description="按所属申报单位筛选")
    recommender_id: int | None = Field(None, ge=1, le=MAX_ID, description="按所属推荐单位筛选")
    active: bool | None = Field(None, description="true 只看启用的账号，false 只看停用的")
    locked: bool | None = Field(None, description="true 只看因登录失败被锁定的账号")
    limit: int = Field(50, ge=1, le=200, description="每页条数，最多200")
    offset: int = Field(0, ge=0, le=1_000_000, description="跳过的条数")


class AdminUserOut(Schema):
    id: int = Field(description="用户编号")
    username: str = Field(description="登录名")
    name: str = Field(description="姓名")
    role: str = Field(description="角色代码")
    role_label: str = Field(description="角色名称")
    email: str = Field(description="电子邮箱（设置密码的链接发送到这里）")
    mobile: str = Field(description="手机号码")
    post: str = Field(description="职务")
    unit_id: int | None = Field(description="所属申报单位（申报单位用户）")
    recommender_id: int | None = Field(description="所属推荐单位（推荐单位、财政部门用户）")
    is_active: bool = Field(description="是否启用；停用的账号不能登录，记录保留")
    is_integration: bool = Field(description="是否为接口集成账号：没有密码，只能以接口密钥访问接口")
    is_locked: bool = Field(description="是否因连续登录失败被锁定")
    has_usable_password: bool = Field(description="false：尚未通过链接设置密码（或密码已被重置）")
    last_login: LocalDateTime | None = Field(description="最近登录时间")


class UserPage(Schema):
    count: int = Field(description="符合条件的总数")
    items: list[AdminUserOut] = Field(description="本页的账号")


class UserCreateIn(Schema):
    username: str = Field(max_length=150, description="登录名：4位以上字母、数字、下划线或点")
    role: str = Field(description="角色：recommender、finance、bureau、expert、admin、auditor")
    name: str = Field(max_length=50, description="姓名")
    email: str = Field(max_length=254, description="电子邮箱，设置密码的一次性链接发送到这里")
    mobile: str = Field("", max_length=20, description="手机号码")
    post: str = Field("", max_length=50, description="职务")
    recommender_id: BodyId | None = Field(None, description="推荐单位、财政部门账号所属的推荐单位")
    expert_id: BodyId | None = Field(None, description="专家账号对应的专家库记录（须尚无账号）")
    integration: bool = Field(
        False,
        description=(
            "true 开设接口集成账号（仅推荐单位、财政部门、市科技局角色）：不设密码、不发送设置密码链接，"
            "由系统管理员为其创建接口密钥（api_key_create）"
        ),
    )


class UserUpdateIn(Schema):
    role: str | None = Field(None, description="新角色；不能修改自己的角色")
    name: str | None = Field(None, max_length=50, description="姓名")
    email: str | None = Field(None, max_length=254, description="电子邮箱")
    mobile: str | None = Field(None, max_length=20, description="手机号码")
    post: str | None = Field(None, max_length=50, description="职务")
    recommender_id: BodyId | None = Field(None, description="推荐单位、财政部门账号所属的推荐单位")
    active: bool | None = Field(None, description="false 停用、true 启用（不能停用自己）")


class UnlockIn(Schema):
    username: str = Field("", max_length=150, description="要解锁的登录名")
    ip_address: str = Field("", max_length=45, description="要解锁的来源IP地址")


class UnlockOut(Schema):
    attempts: int = Field(description="清除的登录失败记录数")


class AuthenticatorResetOut(Schema):
    devices: int = Field(description="移除的身份验证器数量")


def _out(user: User) -> dict:
    """One account; ``user`` comes from :func:`user_admin.user_list`, which annotates ``is_locked``."""
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "email": user.email,
        "mobile": user.mobile,
        "post": user.post,
        "unit_id": user.unit_id,
        "recommender_id": user.recommender_id,
        "is_active": user.is_active,
        "is_integration": user.is_integration,
        "is_locked": bool(user.is_locked),  # type: ignore[attr-defined]
        "has_usable_password": user.has_usable_password(),
        "last_login": user.last_login,
    }


def _fetch(request: ApiRequest, user_id: int) -> User:
    """The account with ``is_locked`` annotated, or 404 for anyone but the system administrator."""
    user = user_admin.user_list(by=request.auth).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def _renamed(exc: DomainError) -> DomainError:
    exc.field_errors = {FIELD_NAMES.get(k, k): v for k, v in exc.field_errors.items()}
    return exc


@router.get(
    "/users",
    operation_id="user_list",
    summary="账号列表",
    description=(
        "全部账号，可按登录名、姓名、邮箱、手机号搜索，按角色、所属单位、推荐单位、启用与锁定状态筛选，"
        "按角色与登录名排序，分页。仅系统管理员可用，其他用户返回 404。"
    ),
    response={200: UserPage, **errors(401, 404, 422)},
)
def user_list(request: ApiRequest, filters: Query[UserFilter]):
    qs = user_admin.user_list(
        by=request.auth,
        q=filters.q.strip(),
        role=filters.role or "",
        unit=str(filters.unit_id or ""),
        recommender=str(filters.recommender_id or ""),
        active="" if filters.active is None else ("1" if filters.active else "0"),
        locked="" if filters.locked is None else ("1" if filters.locked else "0"),
    )
    count = qs.count()
    return {"count": count, "items": [_out(u) for u in qs[filters.offset : filters.offset + filters.limit]]}


@router.post(
    "/users",
    operation_id="user_create",
    summary="开设账号",
    description=(
        "开设推荐单位、财政部门、市科技局、评审专家、系统管理员或审计管理员账号：推荐单位与财政部门账号须"
        "指定所属推荐单位（财政部门仅限需联合推荐的县市区），专家账号须对应专家库中的专家。账号不设初始密码，"
        "一次性的密码设置链接发送到所填邮箱。申报单位账号由单位自行注册。仅系统管理员可用。"
    ),
    response={201: AdminUserOut, **errors(401, 404, 422)},
)
def user_create(request: ApiRequest, payload: UserCreateIn):
    data = payload.dict()
    data["recommender"] = data.pop("recommender_id") or ""
    data["binding"] = data.pop("expert_id") or ""
    data["integration"] = "1" if data.pop("integration") else ""
    try:
        user = user_admin.create_user(data, by=request.auth, ip=client_ip(request))
    except DomainError as exc:
        raise _renamed(exc) from None
    return 201, _out(_fetch(request, user.pk))


# Before /users/{user_id}: Django tries the paths in order.
@router.post(
    "/users/unlock",
    operation_id="user_unlock",
    summary="解除登录锁定",
    description=(
        "清除一个登录名和/或一个来源IP地址的登录失败记录，解除因连续失败造成的锁定；两者至少填一项。"
        "记入审计日志。仅系统管理员可用。"
    ),
    response={200: UnlockOut, **errors(401, 404, 422)},
)
def user_unlock(request: ApiRequest, payload: UnlockIn):
    count = user_admin.unlock(
        by=request.auth, username=payload.username, ip_address=payload.ip_address, ip=client_ip(request)
    )
    return {"attempts": count}


@router.patch(
    "/users/{user_id}",
    operation_id="user_update",
    summary="修改账号",
    description=(
        "修改姓名、邮箱、手机、职务、角色与所属推荐单位，或以 active 停用、启用账号（账号从不删除，审计记录"
        "仍指向它）。未提供的字段保持不变。角色变更单独记入审计日志；不能修改自己的角色，也不能停用自己。"
        "仅系统管理员可用。"
    ),
    response={200: AdminUserOut, **errors(401, 403, 404, 409, 422)},
)
def user_update(request: ApiRequest, user_id: Id, payload: UserUpdateIn):
    target = _fetch(request, user_id)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    active = data.pop("active", None)
    if "recommender_id" in data:
        data["recommender"] = data.pop("recommender_id")
    ip = client_ip(request)
    try:
        with transaction.atomic():
            if data:
                target = user_admin.update_user(target, data, by=request.auth, ip=ip)
            if active is not None and active != target.is_active:
                user_admin.set_active(target, active=active, by=request.auth, ip=ip)
    except DomainError as exc:
        raise _renamed(exc) from None
    return _out(_fetch(request, user_id))


@router.post(
    "/users/{user_id}/password-reset",
    operation_id="user_password_reset",
    summary="重置密码",
    description=(
        "原密码（及该账号的访问令牌）立即失效，一次性的密码设置链接发送到账号邮箱；账号没有邮箱时返回 422。"
        "仅系统管理员可用。"
    ),
    response={200: AdminUserOut, **errors(401, 404, 422)},
)
def user_password_reset(request: ApiRequest, user_id: Id):
    user_admin.reset_password(_fetch(request, user_id), by=request.auth, ip=client_ip(request))
    return _out(_fetch(request, user_id))


@router.post(
    "/users/{user_id}/authenticator-reset",
    operation_id="user_authenticator_reset",
    summary="重置身份验证器",
    description="移除账号已绑定的两步验证身份验证器，本人下次登录时重新绑定。仅系统管理员可用。",
    response={200: AuthenticatorResetOut, **errors(401, 404, 422)},
)
def user_authenticator_reset(request: ApiRequest, user_id: Id):
    count = user_admin.reset_authenticator(_fetch(request, user_id), by=request.auth, ip=client_ip(request))
    return {"devices": count}
