"""Shapes of the JSON API shared by the routers: times, money, errors, and the applicant-side bodies.

Conventions (SPEC §14): times are ISO 8601 with the +08:00 offset (Asia/Shanghai); money is a decimal
string in 万元 with two places; errors are ``{"detail", "code", "errors": {field: 中文}}``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Path, Schema
from pydantic import AfterValidator, PlainSerializer, WithJsonSchema, create_model

from sciplan.applications import budget
from sciplan.applications.models import Application, AttachmentKind, MemberCategory
from sciplan.applications.sections import CREDENTIALS, ENTERPRISE_TYPES, SECTIONS
from sciplan.applications.workflow import Action, Status


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


LocalDateTime = Annotated[datetime, AfterValidator(_local)]

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$")


def local_iso(value: datetime) -> str:
    """ISO 8601 in Asia/Shanghai with milliseconds at most: ``2024-08-04T18:00:00.123+08:00``."""
    text = timezone.localtime(value).isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text


def local_times(value: Any) -> Any:
    """``value`` with every ISO datetime text that carries an offset (``…Z``, ``…+00:00``) given in
    Asia/Shanghai, at any depth — for stored JSON such as audit details, which a schema cannot type."""
    if isinstance(value, dict):
        return {k: local_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [local_times(v) for v in value]
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return local_iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return value


Money = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+\.\d{2}$",
            "description": "金额（万元），两位小数的十进制字符串",
        }
    ),
]
MoneyIn = Annotated[
    Decimal,
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"}, {"type": "number"}],
            "description": "金额（万元），最多两位小数，建议以字符串传入",
        }
    ),
]


# A path identifier: bounded so that a huge number is a clean 422, not a database overflow.
MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]

# --- errors -------------------------------------------------------------------------------------------


class ErrorCode(StrEnum):
    """错误代码（code）的全部取值。v1 内只会增加新代码，已有代码的含义不变。"""

    VALIDATION = "validation"  # 422: fields refused, see errors
    POOL_TOO_SMALL = "pool_too_small"  # 422: too few eligible experts for the draw
    INVALID = "invalid"  # 400: a rule refuses the request (a send-back without a reason…)
    BAD_REQUEST = "bad_request"  # 400: the body is not readable JSON
    BAD_UPLOAD = "bad_upload"  # 400: a multipart body that cannot be parsed
    TOO_MANY_FILES = "too_many_files"  # 400
    TOO_MANY_FIELDS = "too_many_fields"  # 400
    UNAUTHENTICATED = "unauthenticated"  # 401: no token, or an expired or revoked one
    INVALID_CREDENTIALS = "invalid_credentials"  # 401
    OTP_REQUIRED = "otp_required"  # 401
    OTP_INVALID = "otp_invalid"  # 401
    OTP_SETUP_REQUIRED = "otp_setup_required"  # 401
    NOT_ALLOWED = "not_allowed"  # 403
    SCOPE = "scope"  # 403: a read-only API key used for a change
    NOT_FOUND = "not_found"  # 404: absent or outside the caller's scope
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405
    STALE = "stale"  # 409: the version sent is not the current one; see current
    STATE = "state"  # 409: the object's state does not allow the action
    CONFLICT = "conflict"  # 409
    DEADLINE_PASSED = "deadline_passed"  # 409
    DUPLICATE = "duplicate"  # 409
    INCOMPLETE = "incomplete"  # 409: work still open (scores, draws) blocks the step
    PANEL_TOO_SMALL = "panel_too_small"  # 409
    RANKING_CONFIRMED = "ranking_confirmed"  # 409
    SCORE_LOCKED = "score_locked"  # 409: a submitted score, until the bureau reopens it
    FILE_TAMPERED = "file_tampered"  # 409: a stored file no longer matches its recorded SHA-256
    TOO_LARGE = "too_large"  # 413
    NOT_READY = "not_ready"  # 202 (not an error): a document still being generated, see Retry-After
    LOCKED = "locked"  # 429: sign-in locked after failures, see Retry-After
    RATE_LIMITED = "rate_limited"  # 429, see Retry-After
    UNAVAILABLE = "unavailable"  # 503: busy or the database unreachable, retry after Retry-After
    ERROR = "error"  # any other refusal of the framework


class ErrorOut(Schema):
    """所有错误答复的统一格式。"""

    detail: str = Field(
        description="中文说明，可直接展示给用户；字段有误时固定为“部分内容填写有误，请按提示修改。”"
    )
    code: ErrorCode = Field(description="稳定的错误代码，见枚举；同一代码含义在 v1 内不变")
    errors: dict[str, str] | None = Field(
        None,
        description="字段 → 中文错误信息；键为以点连接的字段路径，finances 的行以年度命名，如 finances.2024.rd_spending",
    )


class ConflictOut(ErrorOut):
    current: dict[str, Any] | None = Field(
        None, description="服务器上的当前值：version 为当前版本号，fields 为与本次修改冲突的字段的当前内容"
    )


def errors(*codes: int) -> dict[int, type[Schema]]:
    """The documented error answers of an operation that its own rules give (403, 409, 400 for a
    refused rule…). The answers every operation of a kind can give — 401 with a token, 404 with a path
    id, 400/413/422 with a body or parameters, 429 where a rate limit matches, 503 — are added to the
    schema by ``api.urls.SciplanAPI``."""
    return {code: (ConflictOut if code == 409 else ErrorOut) for code in codes}


def binary_content(*media_types: str) -> dict[str, dict]:
    """The ``content`` of a file answer: each media type the operation really sends, as the
    ``Content-Type`` of its answer says (a client and a schema check compare the two)."""
    return {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in media_types}


# --- accounts -----------------------------------------------------------------------------------------


class TokenIn(Schema):
    username: str = Field(description="登录名")
    password: str = Field(description="密码")
    otp: str | None = Field(None, description="动态验证码（已绑定两步验证的账号必填）")
    name: str = Field("", max_length=100, description="令牌用途，便于日后识别，可不填")


class UserOut(Schema):
    id: int = Field(description="用户编号")
    username: str = Field(description="登录名")
    name: str = Field(description="姓名")
    role: str = Field(
        description="角色代码：applicant、recommender、finance、bureau、expert、admin",
        json_schema_extra={
            "enum": ["applicant", "recommender", "finance", "bureau", "expert", "admin", "auditor"]
        },
    )
    role_label: str = Field(description="角色名称")
    unit_id: int | None = Field(description="所属单位（申报单位用户）")
    recommender_id: int | None = Field(description="所属推荐单位（推荐单位、财政部门用户）")


class TokenOut(Schema):
    token: str = Field(description="访问令牌，仅此一次返回；请求时放在 Authorization: Bearer 之后")
    token_type: str = Field("Bearer", description="固定为 Bearer")
    expires_at: LocalDateTime = Field(description="过期时间")
    user: UserOut = Field(description="令牌所属的用户")


class UnitRegisterIn(Schema):
    unit_name: str = Field(description="单位名称", max_length=200)
    uscc: str = Field(description="统一社会信用代码（18位）")
    kind: str = Field(
        "enterprise",
        description="单位类型代码，默认 enterprise（企业）",
        json_schema_extra={
            "enum": [
                "enterprise",
                "university",
                "institute",
                "new_rd",
                "team",
                "service",
                "government",
                "other",
            ]
        },
    )
    recommender_id: BodyId = Field(
        description="所在县市区或园区（推荐单位）编号，见 call_get 的 recommenders"
    )
    address: str = Field("", description="通讯地址")
    legal_representative: str = Field("", description="法定代表人")
    username: str = Field(description="单位管理员登录名：4位以上字母、数字、下划线或点")
    name: str = Field(description="单位管理员姓名")
    mobile: str = Field(description="单位管理员手机号码")
    email: str = Field("", description="单位管理员邮箱")
    password: str = Field(description="密码：至少8位，含3类字符")


class RecommenderRef(Schema):
    id: int = Field(description="推荐单位编号")
    name: str = Field(description="推荐单位名称")


class UnitOut(Schema):
    id: int = Field(description="单位编号")
    name: str = Field(description="单位名称")
    uscc: str = Field(description="统一社会信用代码")
    status: str = Field(
        description="审核状态代码：pending、approved、rejected",
        json_schema_extra={"enum": ["pending", "approved", "rejected"]},
    )
    status_label: str = Field(description="审核状态")
    status_reason: str = Field(description="审核意见")
    recommender: RecommenderRef | None = Field(description="所属推荐单位")
    reviewed_at: LocalDateTime | None = Field(description="审核时间")


class UnitDecisionIn(Schema):
    approve: bool = Field(description="true 为审核通过，false 为不通过")
    reason: str = Field("", max_length=500, description="审核意见；不通过时必填")


# --- calls --------------------------------------------------------------------------------------------


class CallOut(Schema):
    id: int = Field(description="申报批次编号")
    title: str = Field(description="通知标题")
    year: int = Field(description="年度")
    program: str = Field(description="计划类别代码")
    is_practice: bool = Field(description="是否为演练批次")
    opens_at: LocalDateTime = Field(description="网上申报开始时间")
    closes_at: LocalDateTime = Field(description="网上申报截止时间（服务器时间，截止时刻起不再受理）")
    recommend_deadline: LocalDateTime = Field(description="推荐单位推荐截止时间")
    paper_deadline: date = Field(description="纸质材料报送截止日期")
    phase: str = Field(
        description="upcoming 未开始、open 申报中、closed 已截止（按服务器时间）",
        json_schema_extra={"enum": ["upcoming", "open", "closed"]},
    )


class IndustryOut(Schema):
    id: int = Field(description="产业编号（填写申报书 industry_id 时使用）")
    code: str = Field(description="产业编码")
    group: str = Field(description="1、3 或 X", json_schema_extra={"enum": ["1", "3", "X"]})
    name: str = Field(description="产业名称")


class RecommenderOut(Schema):
    id: int = Field(description="推荐单位编号（注册时的 recommender_id）")
    code: str = Field(description="行政区划代码或园区编码")
    name: str = Field(description="推荐单位名称")
    kind: str = Field(description="county 县市区，park 园区", json_schema_extra={"enum": ["county", "park"]})
    needs_finance_cosign: bool = Field(description="推荐须财政部门联合确认")


class LabelledCode(Schema):
    code: str = Field(description="代码")
    label: str = Field(description="中文名称")


class RubricItem(Schema):
    code: str = Field(description="评分指标代码（score_submit 的 values、comments 以此为键）")
    label: str = Field(description="评分指标名称")
    max: int = Field(description="满分")


class CallDetailOut(CallOut):
    notice: str = Field(description="通知正文")
    paper_address: str = Field(description="纸质材料报送地址")
    contact: str = Field(description="咨询电话")
    rd_threshold: Money = Field(description="近三年研发投入合计门槛（万元）")
    rd_years: list[int] = Field(description="研发投入统计的三个年度")
    min_platform_level: int = Field(description="研发平台最低级别：1 市级，2 省级，3 国家级")
    min_platform_level_label: str = Field(description="研发平台最低级别的中文名称")
    agreement_min_years: int = Field(description="合作协议最短期限（年）")
    cooperation_min_years: int = Field(description="实质性合作最短时长（年）")
    public_notice_days: int = Field(description="公示期（工作日）")
    industries: list[IndustryOut] = Field(description="1+3+X 产业目录")
    recommenders: list[RecommenderOut] = Field(description="本批次推荐单位")
    required_attachments: list[LabelledCode] = Field(description="必传附件类型")
    rubric: list[RubricItem] = Field(description="专家评分指标")


# --- applications -------------------------------------------------------------------------------------


class CallRef(Schema):
    id: int = Field(description="申报批次编号")
    title: str = Field(description="申报批次通知标题")
    year: int = Field(description="年度")


class UnitRef(Schema):
    id: int = Field(description="单位编号")
    name: str = Field(description="单位名称")
    uscc: str = Field(description="统一社会信用代码")


class IndustryRef(Schema):
    id: int = Field(description="产业编号")
    code: str = Field(description="产业编码")
    name: str = Field(description="产业名称")
    group: str = Field(
        description="产业类别：1 主导产业、3 优势产业、X 新兴产业",
        json_schema_extra={"enum": ["1", "3", "X"]},
    )


class ApplicationSummary(Schema):
    id: int = Field(description="申报书编号")
    call: CallRef = Field(description="所属申报批次")
    consortium_name: str = Field(description="联合体名称（城市+方向/领域+创新联合体）")
    lead_unit: UnitRef = Field(description="牵头单位")
    recommender: RecommenderRef = Field(description="推荐单位")
    industry: IndustryRef | None = Field(description="所属产业")
    status: Status = Field(description="状态代码")
    status_label: str = Field(description="状态")
    version: int = Field(description="修改版本号；修改时回传")
    member_count: int = Field(description="成员单位数")
    confirmed_count: int = Field(description="已在线确认的成员单位数")
    updated_at: LocalDateTime = Field(description="最后保存时间")
    submitted_at: LocalDateTime | None = Field(description="最近提交时间")


class ApplicationPage(Schema):
    count: int = Field(description="符合条件的总数")
    items: list[ApplicationSummary] = Field(description="本页的申报书")


class FinanceYearIO(Schema):
    year: int = Field(description="年度")
    revenue: Money | None = Field(None, description="营业收入（万元）")
    rd_spending: Money | None = Field(None, description="研发投入（万元）")


class FinanceYearIn(Schema):
    year: int = Field(ge=1900, le=2999, description="年度，须为本批次的统计年度之一")
    revenue: MoneyIn | None = Field(None, description="营业收入（万元）")
    rd_spending: MoneyIn | None = Field(None, description="研发投入（万元）")


def _budget_lines(kind: Any, *, required: bool) -> dict[str, Any]:
    return {
        code: (
            kind | None,
            Field(None, description=f"{label}（万元）")
            if not required
            else Field(description=f"{label}（万元）"),
        )
        for code, label in budget.LINES
    }


BudgetYearIn = create_model(
    "BudgetYearIn",
    __base__=Schema,
    __doc__="经费预算的一个建设年度：只需列出要修改的项目；null 或空串为清空。",
    index=(int, Field(ge=1, le=len(budget.YEARS), description="建设年度：1 第一年，2 第二年，3 第三年")),
    **_budget_lines(MoneyIn, required=False),
)
BudgetYearOut = create_model(
    "BudgetYearOut",
    __base__=Schema,
    index=(int, Field(description="建设年度：1 第一年，2 第二年，3 第三年")),
    year=(int, Field(description="对应的公历年度（由建设期开始年份推算，未填时为批次年度的次年起）")),
    sources_total=(Money, Field(description="资金来源合计（万元）")),
    uses_total=(Money, Field(description="资金用途合计（万元）")),
    **_budget_lines(Money, required=True),
)


class PlatformOut(Schema):
    id: int = Field(description="研发平台编号")
    name: str = Field(description="平台名称")
    level: int = Field(description="级别：0 县级及以下，1 市级，2 省级，3 国家级")
    level_label: str = Field(description="级别的中文名称")
    authority: str = Field(description="认定部门")
    year: int = Field(description="认定年度")
    version: int = Field(description="修改版本号；修改时回传")


class PlatformIn(Schema):
    name: str = Field(description="平台名称", max_length=200)
    level: int = Field(description="级别：0 县级及以下，1 市级，2 省级，3 国家级")
    authority: str = Field(description="认定部门", max_length=100)
    year: int = Field(description="认定年度")


class PlatformPatch(Schema):
    version: int = Field(description="修改所基于的平台版本号")
    name: str | None = Field(None, description="平台名称", max_length=200)
    level: int | None = Field(None, description="级别：0 县级及以下，1 市级，2 省级，3 国家级")
    authority: str | None = Field(None, description="认定部门", max_length=100)
    year: int | None = Field(None, description="认定年度")


MEMBER_CATEGORIES: list[Any] = list(MemberCategory.values)
ATTACHMENT_KINDS: list[Any] = list(AttachmentKind.values)


class MemberOut(Schema):
    id: int = Field(description="成员单位编号")
    order: int = Field(description="排序")
    name: str = Field(description="单位名称")
    uscc: str = Field(description="统一社会信用代码")
    category: str = Field(description="成员类别代码", json_schema_extra={"enum": MEMBER_CATEGORIES})
    category_label: str = Field(description="成员类别的中文名称")
    in_yueyang: bool = Field(description="位于本市（发文机关所在城市）内")
    role: str = Field(description="在联合体中的分工")
    agreement_signed_on: date | None = Field(description="合作协议签订日期")
    agreement_years: int | None = Field(description="协议期限（年）")
    cooperation_started_on: date | None = Field(description="实质性合作开始日期")
    cooperation_results: str = Field(description="合作成效")
    contact_name: str = Field(description="联系人")
    contact_mobile: str = Field(description="联系人手机（无权查看的角色看到脱敏号码）")
    contact_email: str = Field(description="联系人邮箱（无权查看的角色看到脱敏地址）")
    version: int = Field(description="修改版本号；修改时回传")
    confirmed: bool = Field(description="是否已在线确认参与")
    confirmed_at: LocalDateTime | None = Field(description="确认时间")
    confirmed_by_name: str = Field(description="确认人")


class MemberCreated(MemberOut):
    confirm_token: str | None = Field(
        description="一次性确认令牌，仅在本次返回；请转交成员单位，由其调用 member_confirm 确认"
    )


class MemberFields(Schema):
    in_yueyang: bool | None = Field(None, description="位于本市（发文机关所在城市）内")
    agreement_signed_on: date | None = Field(None, description="合作协议签订日期")
    agreement_years: int | None = Field(None, description="协议期限（年），1至50")
    cooperation_started_on: date | None = Field(None, description="实质性合作开始日期")
    cooperation_results: str | None = Field(None, description="合作成效")
    contact_name: str | None = Field(None, description="联系人")
    contact_mobile: str | None = Field(None, description="联系人手机")
    contact_email: str | None = Field(None, description="联系人邮箱")


class MemberIn(MemberFields):
    name: str = Field(description="单位名称", max_length=200)
    uscc: str = Field(description="统一社会信用代码")
    category: str = Field(
        description=(
            "成员类别代码：university 高等学校、institute 科研院所、new_rd 新型研发机构、team 创新团队、"
            "chain_enterprise 产业链企业、transfer 技术转移、testing 检验检测、consulting 科技咨询、"
            "finance 科技金融、service 科技服务"
        ),
        json_schema_extra={"enum": MEMBER_CATEGORIES},
    )
    role: str = Field(description="在联合体中的分工", max_length=500)


class MemberPatch(MemberFields):
    version: int = Field(description="修改所基于的成员版本号")
    name: str | None = Field(None, description="单位名称", max_length=200)
    uscc: str | None = Field(None, description="统一社会信用代码")
    category: str | None = Field(
        None, description="成员类别代码，取值同 member_create", json_schema_extra={"enum": MEMBER_CATEGORIES}
    )
    role: str | None = Field(None, description="在联合体中的分工", max_length=500)


class MemberConfirmIn(Schema):
    token: str = Field(description="牵头单位转交的一次性确认令牌")
    confirmer_name: str = Field(description="确认人姓名（2至50字）")


class MemberConfirmOut(Schema):
    member_name: str = Field(description="成员单位名称")
    consortium_name: str = Field(description="联合体名称")
    lead_unit_name: str = Field(description="牵头单位")
    confirmed_at: LocalDateTime = Field(description="确认时间")


class AttachmentOut(Schema):
    id: int = Field(description="附件编号")
    kind: str = Field(description="附件类型代码", json_schema_extra={"enum": ATTACHMENT_KINDS})
    kind_label: str = Field(description="附件类型的中文名称")
    original_name: str = Field(description="上传时的文件名（已清理）")
    content_kind: str = Field(
        description="按内容识别的格式：pdf、jpeg、png、docx、xlsx",
        json_schema_extra={"enum": ["pdf", "jpeg", "png", "docx", "xlsx"]},
    )
    size: int = Field(description="字节数")
    sha256: str = Field(description="上传时记录的 SHA-256")
    member_id: int | None = Field(description="对应的成员单位（合作协议）")
    platform_id: int | None = Field(description="对应的研发平台（平台证书）")
    uploaded_at: LocalDateTime = Field(description="上传时间")
    in_submitted_version: bool = Field(description="已被某个提交版本引用（不会被物理删除）")


class VersionOut(Schema):
    number: int = Field(description="提交版本号")
    receipt_no: str = Field(description="回执编号")
    submitted_at: LocalDateTime = Field(description="提交时间（服务器时间）")
    content_hash: str = Field(description="内容哈希（SHA-256）")


def _text_type(field) -> Any:
    kind = field.get_internal_type()
    if kind == "DateField":
        return date
    if kind == "DecimalField":
        return MoneyIn
    if kind in {"PositiveIntegerField", "IntegerField", "PositiveSmallIntegerField"}:
        return int
    if kind == "JSONField":
        return list[str]
    return str


def _out_type(field) -> Any:
    kind = field.get_internal_type()
    if kind == "DecimalField":
        return Money
    return _text_type(field)


def _choices(name: str, model_field) -> tuple[str, ...]:
    """The allowed codes of a section field, from its model choices or the section's own list."""
    if model_field.choices:
        return tuple(str(value) for value, _label in model_field.choices)
    return {"lead_enterprise_type": ENTERPRISE_TYPES, "lead_credentials": CREDENTIALS}.get(name, ())


def _choice_text(model_field, values: tuple[str, ...]) -> str:
    labels = dict(model_field.choices or ())
    shown = "、".join(f"{v} {labels[v]}" if v in labels and labels[v] != v else v for v in values)
    if model_field.get_internal_type() == "JSONField":
        return f"可多选：{shown}"
    return f"可选：{shown}；空字符串表示未填写"


def _section_fields(*, output: bool) -> dict[str, Any]:
    """One entry per form field of ``sections.SECTIONS``, described by the model's Chinese label, with
    the model's limits declared: its choices (or the section's list) as an enum, its ``max_length`` as
    ``maxLength``, counts as non-negative. Inputs are checked against them; outputs only declare them,
    so a value stored under older rules is still shown."""
    fields: dict[str, Any] = {}
    for section in SECTIONS:
        for name in section.fields:
            model_field = Application._meta.get_field(name)
            label = f"{getattr(model_field, 'verbose_name', name)}（{section.title}）"
            if name == "industry":
                description = f"{label}，产业编号，见 call_get 的 industries"
                if output:
                    fields["industry_id"] = (int | None, Field(description=description))
                else:
                    fields["industry_id"] = (BodyId | None, Field(None, description=description))
                continue
            kind = _out_type(model_field) if output else _text_type(model_field)
            values = _choices(name, model_field)
            limits: dict[str, Any] = {}
            if values:
                label = f"{label}。{_choice_text(model_field, values)}"
                if kind is str:
                    member: Any = Literal[("", *values)]  # type: ignore[valid-type]
                    kind = str if output else member
                    limits = {"json_schema_extra": {"enum": ["", *values]}} if output else {}
                else:  # a list of codes
                    kind = list[str] if output else list[Literal[values]]  # type: ignore[valid-type]
                    if output:
                        limits = {"json_schema_extra": {"items": {"type": "string", "enum": list(values)}}}
            elif kind is str and model_field.max_length:
                limits = (
                    {"json_schema_extra": {"maxLength": model_field.max_length}}
                    if output
                    else {"max_length": model_field.max_length}
                )
            elif kind is int:
                limits = {"json_schema_extra": {"minimum": 0}} if output else {"ge": 0, "le": 10**9}
            if output:
                optional = kind in (date, int, Money)
                fields[name] = (kind | None if optional else kind, Field(description=label, **limits))
            else:
                fields[name] = (kind | None, Field(None, description=label, **limits))
    return fields


ApplicationFields = create_model("ApplicationFields", __base__=Schema, **_section_fields(output=True))


class ApplicationPatchBase(Schema):
    version: int = Field(description="修改所基于的版本号（取自 application_get 的 version）")
    recommender_id: BodyId | None = Field(None, description="推荐单位编号（基本信息）")
    finances: list[FinanceYearIn] | None = Field(
        None, description="近三年营业收入与研发投入（牵头单位），只需列出要修改的年度"
    )
    budget: list[BudgetYearIn] | None = Field(  # type: ignore[valid-type]
        None,
        description="经费预算（实施方案），按建设年度列出要修改的项目；每年资金来源合计须等于资金用途合计（提交时由资格自查检查）",
    )


ApplicationPatch = create_model(
    "ApplicationPatch", __base__=ApplicationPatchBase, **_section_fields(output=False)
)
ApplicationPatch.__doc__ = (
    "只需列出要修改的字段。未列出的字段不变；status、lead_unit 等不可修改的字段会被忽略。"
    "任一字段有误则整体不保存（422）；他人已修改同一字段时返回 409 及当前内容。"
)


class ApplicationDetail(ApplicationSummary, ApplicationFields):  # type: ignore[misc, valid-type]
    created_at: LocalDateTime = Field(description="创建时间")
    correction_deadline: LocalDateTime | None = Field(description="补正截止时间")
    finances: list[FinanceYearIO] = Field(description="近三年营业收入与研发投入")
    budget: list[BudgetYearOut] = Field(description="经费预算：建设期三年的资金来源与用途（万元）")  # type: ignore[valid-type]
    platforms: list[PlatformOut] = Field(description="研发平台")
    members: list[MemberOut] = Field(description="成员单位")
    attachments: list[AttachmentOut] = Field(description="附件（不含文件内容，下载见 attachment_download）")
    versions: list[VersionOut] = Field(description="已提交的版本")
    actions: list[str] = Field(description="当前用户在当前状态下可执行的操作代码")


class ApplicationCreateIn(Schema):
    call_id: BodyId = Field(description="申报批次编号")


class RuleOut(Schema):
    code: str = Field(description="规则代码")
    title: str = Field(description="规则")
    passed: bool = Field(description="是否符合")
    hard: bool = Field(description="true 为必须满足的硬性条件，false 为仅供参考的提示")
    messages: list[str] = Field(description="具体说明")
    summary: str = Field(description="一句话结论")


class EligibilityOut(Schema):
    eligible: bool = Field(description="所有硬性条件均满足，可以提交")
    checked_at: LocalDateTime = Field(description="检查时间（服务器时间）")
    rules: list[RuleOut] = Field(description="逐条规则的检查结果")


class TransitionIn(Schema):
    action: Action = Field(description="操作代码，如 submit、withdraw、accept、return、recommend、decline")
    reason: str = Field("", max_length=2000, description="理由或意见；退回、不予推荐等操作必填")
    idempotency_key: str | None = Field(
        None,
        min_length=8,
        max_length=64,
        description="幂等键：同一申报书重复使用同一键的请求只生效一次，重试时请沿用",
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="个别操作所需的附加内容，例如推荐意见 opinion、推荐排序 rank"
    )


class TransitionOut(Schema):
    application: ApplicationSummary = Field(description="操作后的申报书")
    version: VersionOut | None = Field(description="提交类操作返回本次（或已有的）提交版本与回执编号")


class EventOut(Schema):
    action: str = Field(description="操作代码", json_schema_extra={"enum": [a.value for a in Action]})
    action_label: str = Field(description="操作的中文名称")
    from_status: str = Field(
        description="操作前的状态代码", json_schema_extra={"enum": [s.value for s in Status]}
    )
    from_status_label: str = Field(description="操作前的状态")
    to_status: str = Field(
        description="操作后的状态代码", json_schema_extra={"enum": [s.value for s in Status]}
    )
    to_status_label: str = Field(description="操作后的状态")
    actor_name: str = Field(description="操作人")
    actor_role: str = Field(
        description="操作人角色代码",
        json_schema_extra={
            "enum": ["applicant", "recommender", "finance", "bureau", "expert", "admin", "auditor", ""]
        },
    )
    at: LocalDateTime = Field(description="操作时间（服务器时间）")
    reason: str = Field(description="意见或理由")
    version_number: int | None = Field(description="对应的提交版本号")
    receipt_no: str | None = Field(description="对应的回执编号")


class HistoryOut(Schema):
    events: list[EventOut] = Field(description="流转记录，按时间先后")
    versions: list[VersionOut] = Field(description="提交版本")


# --- filling the shapes -------------------------------------------------------------------------------
# Plain functions from model rows to dicts, reading only what the queries already loaded, so a list's
# query count does not grow with its rows.


def may_see_contacts(user, application: Application) -> bool:
    """Phone numbers and e-mail addresses are shown in full to the lead unit's own users and to the bureau
    (which has the right, SPEC §8); recommenders, finance departments, experts and everyone else see
    them masked (STANDARDS E25, the policy of ``core.masking``)."""
    from sciplan.accounts.roles import Role
    from sciplan.core.masking import can_unmask

    own = getattr(user, "role", None) == Role.APPLICANT and user.unit_id == application.lead_unit_id
    return own or can_unmask(user)


def _phone(value: str, reveal: bool) -> str:
    from sciplan.core.masking import mask_phone

    return value if reveal else mask_phone(value)


def _email(value: str, reveal: bool) -> str:
    from sciplan.core.masking import mask_email

    return value if reveal else mask_email(value)


def summary_out(app: Application) -> dict[str, Any]:
    industry = app.industry
    return {
        "id": app.pk,
        "call": {"id": app.call.pk, "title": app.call.title, "year": app.call.year},
        "consortium_name": app.consortium_name,
        "lead_unit": {"id": app.lead_unit.pk, "name": app.lead_unit.name, "uscc": app.lead_unit.uscc},
        "recommender": {"id": app.recommender.pk, "name": app.recommender.name},
        "industry": (
            {"id": industry.pk, "code": industry.code, "name": industry.name, "group": industry.group}
            if industry
            else None
        ),
        "status": app.status,
        "status_label": app.get_status_display(),
        "version": app.version,
        "member_count": getattr(app, "member_count", 0),
        "confirmed_count": getattr(app, "confirmed_count", 0),
        "updated_at": app.updated_at,
        "submitted_at": app.submitted_at,
    }


def member_out(member, *, reveal: bool) -> dict[str, Any]:
    return {
        "id": member.pk,
        "order": member.order,
        "name": member.name,
        "uscc": member.uscc,
        "category": member.category,
        "category_label": member.get_category_display(),
        "in_yueyang": member.in_yueyang,
        "role": member.role,
        "agreement_signed_on": member.agreement_signed_on,
        "agreement_years": member.agreement_years,
        "cooperation_started_on": member.cooperation_started_on,
        "cooperation_results": member.cooperation_results,
        "contact_name": member.contact_name,
        "contact_mobile": _phone(member.contact_mobile, reveal),
        "contact_email": _email(member.contact_email, reveal),
        "version": member.version,
        "confirmed": member.confirmed_at is not None,
        "confirmed_at": member.confirmed_at,
        "confirmed_by_name": member.confirmed_by_name,
    }


def platform_out(platform) -> dict[str, Any]:
    return {
        "id": platform.pk,
        "name": platform.name,
        "level": platform.level,
        "level_label": platform.get_level_display(),
        "authority": platform.authority,
        "year": platform.year,
        "version": platform.version,
    }


def attachment_out(attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "kind_label": attachment.get_kind_display(),
        "original_name": attachment.original_name,
        "content_kind": attachment.content_kind,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "member_id": attachment.member_id,
        "platform_id": attachment.platform_id,
        "uploaded_at": attachment.uploaded_at,
        "in_submitted_version": attachment.in_submitted_version,
    }


def version_out(version) -> dict[str, Any]:
    return {
        "number": version.number,
        "receipt_no": version.receipt_no,
        "submitted_at": version.submitted_at,
        "content_hash": version.content_hash,
    }


MASKED_FIELDS = {"contact_mobile": _phone, "liaison_mobile": _phone, "contact_email": _email}


def budget_out(app: Application) -> list[dict[str, Any]]:
    rows = {row.index: row.amounts() for row in app.budget_years.all()}
    years = budget.plan_years(app.start_date, app.call.year)
    result = budget.totals(rows)
    return [
        {
            "index": index,
            "year": years[index - 1],
            "sources_total": result.sources[index],
            "uses_total": result.uses[index],
            **{code: (rows.get(index) or {}).get(code) for code, _ in budget.LINES},
        }
        for index in budget.YEARS
    ]


def application_detail_out(app: Application, user) -> dict[str, Any]:
    """Everything of one application loaded by ``queries.application_detail``."""
    from sciplan.applications.permissions import relates_to
    from sciplan.applications.workflow import actions_for

    reveal = may_see_contacts(user, app)
    members = list(app.members.all())
    app.member_count = len(members)  # type: ignore[attr-defined]
    app.confirmed_count = sum(1 for m in members if m.confirmed_at is not None)  # type: ignore[attr-defined]
    fields: dict[str, Any] = {}
    for section in SECTIONS:
        for name in section.fields:
            if name == "industry":
                fields["industry_id"] = app.industry_id
                continue
            value = getattr(app, name)
            if name in MASKED_FIELDS:
                value = MASKED_FIELDS[name](value, reveal)
            fields[name] = value
    finances = {f.year: f for f in app.finance_years.all()}
    return {
        **summary_out(app),
        **fields,
        "created_at": app.created_at,
        "correction_deadline": app.correction_deadline,
        "finances": [
            {
                "year": year,
                "revenue": finances[year].revenue if year in finances else None,
                "rd_spending": finances[year].rd_spending if year in finances else None,
            }
            for year in app.call.rd_years
        ],
        "budget": budget_out(app),
        "platforms": [platform_out(p) for p in app.platforms.all()],
        "members": [member_out(m, reveal=reveal) for m in members],
        "attachments": [attachment_out(a) for a in app.attachments.all()],
        "versions": [version_out(v) for v in sorted(app.versions.all(), key=lambda v: v.number)],
        "actions": [a.value for a in actions_for(app.status, user.role)] if relates_to(user, app) else [],
    }
