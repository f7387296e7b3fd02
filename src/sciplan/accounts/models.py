"""Units (organisations, identified by USCC) and users with stable role codes."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from sciplan.accounts.roles import Role


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    UNIVERSITY = "university", "高等学校"
    INSTITUTE = "institute", "科研院所"
    NEW_RD = "new_rd", "新型研发机构"
    TEAM = "team", "创新团队"
    SERVICE = "service", "服务机构"
    GOVERNMENT = "government", "政府部门"
    OTHER = "other", "其他"


class UnitStatus(models.TextChoices):
    PENDING = "pending", "待推荐单位审核"
    APPROVED = "approved", "已审核"
    REJECTED = "rejected", "审核未通过"


class Unit(models.Model):
    """An organisation. A self-registered applicant unit must be approved by the recommending unit of its
    region before it can submit (SPEC §2): that is how fake units are kept out."""

    name = models.CharField("单位名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    kind = models.CharField("单位类型", max_length=16, choices=UnitKind.choices, default=UnitKind.ENTERPRISE)
    recommender = models.ForeignKey(
        "calls.Recommender",
        verbose_name="所属推荐单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    address = models.CharField("通讯地址", max_length=200, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_mobile = models.CharField("联系人手机", max_length=20, blank=True)
    contact_email = models.EmailField("联系人邮箱", blank=True)
    status = models.CharField(
        "审核状态", max_length=16, choices=UnitStatus.choices, default=UnitStatus.PENDING
    )
    status_reason = models.CharField("审核意见", max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    # A real code with a wrong check character exists in the wild; a bureau admin may accept it (SPEC §9).
    uscc_override_reason = models.CharField("校验位豁免理由", max_length=300, blank=True)
    uscc_override_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("注册时间", auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "单位"
        verbose_name_plural = "单位"

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == UnitStatus.APPROVED


class User(AbstractUser):
    """A person. ``role`` decides what they may do; ``unit``/``recommender`` decide over what."""

    name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.APPLICANT)
    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    recommender = models.ForeignKey(
        "calls.Recommender",
        verbose_name="所属推荐单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    is_unit_admin = models.BooleanField("单位管理员", default=False)
    mobile = models.CharField("手机号码", max_length=20, blank=True)
    post = models.CharField("职务", max_length=50, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # An account for a provincial system or a script (SPEC §14): it has no password and signs in only
    # with the API keys the system administrator issues for it (accounts.api_keys).
    is_integration = models.BooleanField("接口集成账号", default=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                name="applicant_has_unit",
                condition=~models.Q(role="applicant") | models.Q(unit__isnull=False),
            ),
            models.CheckConstraint(
                name="recommender_or_finance_has_recommender",
                condition=~models.Q(role__in=["recommender", "finance"])
                | models.Q(recommender__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username


class UsccOverride(models.Model):
    """A bureau admin's acceptance of one code whose check character fails (SPEC §9), recorded."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    unit_name = models.CharField("单位名称", max_length=200)
    reason = models.CharField("理由", max_length=300)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "信用代码校验豁免"
        verbose_name_plural = "信用代码校验豁免"

    def __str__(self) -> str:
        return self.uscc


class ApiKeyScope(models.TextChoices):
    READ = "read", "只读"
    WRITE = "write", "读写"


class ApiKey(models.Model):
    """A long-lived API key of an integration account. Only the SHA-256 of the key is stored; ``prefix``
    (the first characters) lets a person tell their keys apart. Never deleted: revoked keys stay on
    record, as the audit log names them."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField("名称", max_length=50)
    prefix = models.CharField("前缀", max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField("权限范围", max_length=8, choices=ApiKeyScope.choices)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField("有效期至")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoke_reason = models.CharField("吊销原因", max_length=20, blank=True)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    last_used_ip = models.GenericIPAddressField("最近使用IP", null=True, blank=True)

    class Meta:
        verbose_name = "接口密钥"
        verbose_name_plural = "接口密钥"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"


class UnitLicence(models.Model):
    """The scan of the business licence (or registration certificate) a unit uploads when it registers,
    for its recommender to compare with the code and name before approving (SPEC §2)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="licences")
    original_name = models.CharField("文件名", max_length=255)
    storage_key = models.CharField(max_length=255, unique=True)
    content_kind = models.CharField("文件格式", max_length=8)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "营业执照扫描件"
        verbose_name_plural = "营业执照扫描件"

    def __str__(self) -> str:
        return self.original_name
