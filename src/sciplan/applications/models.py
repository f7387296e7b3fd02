"""The application (申报书 + 实施方案), its members, platforms, finances, attachments and versions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from sciplan.accounts.models import Unit
from sciplan.applications import budget
from sciplan.applications.workflow import Status
from sciplan.calls.models import Call, Industry, PlatformLevel, Recommender
from sciplan.core import authority


class StandingLevel(models.TextChoices):
    NATION = "nation", "国内主导地位"
    PROVINCE = "province", "省内主导地位"
    CITY = "city", "市内主导地位"


class Application(models.Model):
    """One consortium's application in one call.

    ``version`` counts saved changes (optimistic locking); ``field_versions`` records, per field, the
    version that last changed it, so two colleagues editing different fields never conflict and two
    editing the same field always do (SPEC §4, STANDARDS F27).
    """

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="applications")
    recommender = models.ForeignKey(
        Recommender, verbose_name="推荐单位", on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(
        "状态", max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField("修改版本", default=1)
    field_versions = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("最后保存", auto_now=True)
    submitted_at = models.DateTimeField("最近提交时间", null=True, blank=True)
    correction_deadline = models.DateTimeField("补正截止时间", null=True, blank=True)

    # 基本信息
    direction = models.CharField("方向/领域", max_length=30, blank=True)
    industry = models.ForeignKey(
        Industry,
        verbose_name="所属产业（1+3+X）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tech_field = models.CharField("技术领域", max_length=100, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_post = models.CharField("联系人职务", max_length=50, blank=True)
    contact_mobile = models.CharField("联系人手机", max_length=20, blank=True)
    contact_email = models.EmailField("联系人邮箱", blank=True)
    start_date = models.DateField("建设期开始", null=True, blank=True)
    end_date = models.DateField("建设期结束", null=True, blank=True)
    planned_investment = models.DecimalField(
        "计划总投入（万元）", max_digits=12, decimal_places=2, null=True, blank=True
    )

    # 牵头单位
    lead_legal_rep = models.CharField("法定代表人", max_length=50, blank=True)
    lead_enterprise_type = models.CharField("企业性质", max_length=30, blank=True)
    lead_credentials = models.JSONField("企业资质", default=list, blank=True)
    lead_rd_staff = models.PositiveIntegerField("研发人员数", null=True, blank=True)
    lead_invention_patents = models.PositiveIntegerField("有效发明专利数", null=True, blank=True)
    lead_standing_level = models.CharField(
        "行业地位", max_length=10, choices=StandingLevel.choices, blank=True
    )
    lead_standing = models.TextField("行业地位说明", max_length=1000, blank=True)

    # 运行机制
    decision_body = models.TextField("决策机构", max_length=1000, blank=True)
    execution_body = models.TextField("执行机构", max_length=1000, blank=True)
    meeting_frequency = models.CharField("议事频次", max_length=100, blank=True)
    liaison_name = models.CharField("日常对接工作人员", max_length=50, blank=True)
    liaison_post = models.CharField("对接人职务", max_length=50, blank=True)
    liaison_mobile = models.CharField("对接人手机", max_length=20, blank=True)
    ip_sharing = models.TextField("知识产权与利益分配", max_length=1500, blank=True)
    member_entry_exit = models.TextField("成员进入与退出", max_length=1500, blank=True)

    # 申报书与实施方案正文
    basis = models.TextField("建设基础与前期合作情况", max_length=3000, blank=True)
    goal_year1 = models.TextField("第一年目标", max_length=1000, blank=True)
    goal_year2 = models.TextField("第二年目标", max_length=1000, blank=True)
    goal_year3 = models.TextField("第三年目标", max_length=1000, blank=True)
    task_application = models.TextField("应用一代：攻关任务", max_length=2000, blank=True)
    task_development = models.TextField("研发一代：攻关任务", max_length=2000, blank=True)
    task_reserve = models.TextField("储备一代：技术布局", max_length=2000, blank=True)
    local_support = models.TextField("本地配套计划", max_length=2000, blank=True)
    transfer = models.TextField("成果转移转化", max_length=2000, blank=True)
    service_platform = models.TextField("公共技术服务平台建设", max_length=2000, blank=True)
    budget_plan = models.TextField("经费预算与投入", max_length=2000, blank=True)
    budget_other_note = models.CharField("其他来源说明", max_length=300, blank=True)
    schedule = models.TextField("进度安排", max_length=1500, blank=True)
    safeguards = models.TextField("保障措施", max_length=1500, blank=True)
    expected_results = models.TextField("预期成果与考核指标", max_length=2000, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "申报书"
        verbose_name_plural = "申报书"
        indexes = [
            models.Index(fields=["call", "recommender", "status"]),
            # The bureau's list (review.queries.bureau_list_page): its count and the ids of a page in
            # the list's order come from this index alone (index-only scans), not from the wide rows.
            models.Index(
                fields=["call", "status", "recommender", "-submitted_at", "-id"],
                name="application_bureau_list",
            ),
        ]

    def __str__(self) -> str:
        return self.consortium_name

    @property
    def consortium_name(self) -> str:
        """城市 + 方向/领域 + 创新联合体 (the naming rule of the notice)."""
        return authority.current().consortium_name(self.direction)


class FinanceYear(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="finance_years")
    year = models.PositiveSmallIntegerField("年度")
    revenue = models.DecimalField("营业收入（万元）", max_digits=14, decimal_places=2, null=True, blank=True)
    rd_spending = models.DecimalField(
        "研发投入（万元）", max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["application", "year"], name="one_finance_row_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}"


def _amount(label: str) -> models.DecimalField:
    return models.DecimalField(f"{label}（万元）", max_digits=12, decimal_places=2, null=True, blank=True)


class BudgetYear(models.Model):
    """One year of the plan's budget (经费预算): the sources and the uses of the money, in 万元.

    ``index`` is the year of the construction period (1 = 第一年); its calendar year follows from the
    application's 建设期开始 (``budget.plan_years``), so moving the start date never orphans a row.
    The lines are those of ``applications.budget``.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_years")
    index = models.PositiveSmallIntegerField("建设年度")
    source_lead = _amount(budget.LINE_LABELS["source_lead"])
    source_members = _amount(budget.LINE_LABELS["source_members"])
    source_other = _amount(budget.LINE_LABELS["source_other"])
    use_equipment = _amount(budget.LINE_LABELS["use_equipment"])
    use_materials = _amount(budget.LINE_LABELS["use_materials"])
    use_personnel = _amount(budget.LINE_LABELS["use_personnel"])
    use_cooperation = _amount(budget.LINE_LABELS["use_cooperation"])
    use_platform = _amount(budget.LINE_LABELS["use_platform"])
    use_other = _amount(budget.LINE_LABELS["use_other"])

    class Meta:
        ordering = ["index"]
        verbose_name = "经费预算年度"
        verbose_name_plural = "经费预算年度"
        constraints = [
            models.UniqueConstraint(fields=["application", "index"], name="one_budget_row_per_year"),
            models.CheckConstraint(
                condition=models.Q(index__gte=1) & models.Q(index__lte=len(budget.YEARS)),
                name="budget_year_within_plan",
            ),
        ]

    def __str__(self) -> str:
        return budget.YEAR_NAMES.get(self.index, str(self.index))

    def amounts(self) -> dict[str, Decimal | None]:
        return {code: getattr(self, code) for code, _ in budget.LINES}


class RdPlatform(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="platforms")
    name = models.CharField("平台名称", max_length=200)
    level = models.IntegerField("级别", choices=PlatformLevel.choices)
    authority = models.CharField("认定部门", max_length=100)
    year = models.PositiveSmallIntegerField("认定年度")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-level", "id"]
        verbose_name = "研发平台"
        verbose_name_plural = "研发平台"

    def __str__(self) -> str:
        return self.name


class MemberCategory(models.TextChoices):
    UNIVERSITY = "university", "高等学校"
    INSTITUTE = "institute", "科研院所"
    NEW_RD = "new_rd", "新型研发机构"
    TEAM = "team", "创新团队"
    CHAIN_ENTERPRISE = "chain_enterprise", "产业链企业"
    TRANSFER = "transfer", "服务机构（技术转移）"
    TESTING = "testing", "服务机构（检验检测）"
    CONSULTING = "consulting", "服务机构（科技咨询）"
    FINANCE = "finance", "服务机构（科技金融）"
    SERVICE = "service", "服务机构（科技服务）"


ACADEMIC_CATEGORIES = frozenset({MemberCategory.UNIVERSITY, MemberCategory.INSTITUTE, MemberCategory.NEW_RD})


class Member(models.Model):
    """A member unit. It must confirm its participation online before the lead unit can submit."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="members")
    name = models.CharField("单位名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18)
    category = models.CharField("成员类别", max_length=20, choices=MemberCategory.choices)
    in_yueyang = models.BooleanField("位于本市", default=False)
    role = models.TextField("在联合体中的分工", max_length=500)
    agreement_signed_on = models.DateField("合作协议签订日期", null=True, blank=True)
    agreement_years = models.PositiveSmallIntegerField("协议期限（年）", null=True, blank=True)
    cooperation_started_on = models.DateField("实质性合作开始日期", null=True, blank=True)
    cooperation_results = models.TextField("合作成效", max_length=1000, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_mobile = models.CharField("联系人手机", max_length=20, blank=True)
    contact_email = models.EmailField("联系人邮箱", blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    version = models.PositiveIntegerField(default=1)
    # The one-time confirmation link carries a random token; only its SHA-256 is stored.
    confirm_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_by_name = models.CharField("确认人", max_length=50, blank=True)
    confirmed_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "成员单位"
        verbose_name_plural = "成员单位"

    def __str__(self) -> str:
        return self.name

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class AttachmentKind(models.TextChoices):
    AGREEMENT = "agreement", "合作协议"
    PLATFORM_CERTIFICATE = "platform_certificate", "研发平台证书"
    FINANCIAL_EVIDENCE = "financial_evidence", "审计报告或研发投入证明"
    CHARTER = "charter", "联合体章程"
    COMMITMENT = "commitment", "承诺书"
    SIGNED_APPLICATION = "signed_application", "盖章申报书扫描件"
    OTHER = "other", "其他材料"


class Attachment(models.Model):
    """An uploaded file, stored privately under a generated key. Never deleted once a submitted version
    refers to it: a removal in a later draft only sets ``removed_at``."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    platform = models.ForeignKey(
        RdPlatform, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    kind = models.CharField("附件类型", max_length=24, choices=AttachmentKind.choices)
    original_name = models.CharField("文件名", max_length=255)
    storage_key = models.CharField(max_length=255, unique=True)
    content_kind = models.CharField("文件格式", max_length=8)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    in_submitted_version = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.original_name


class ApplicationVersion(models.Model):
    """A frozen, submitted version: a full snapshot that never changes (SPEC §6)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    snapshot = models.JSONField()
    content_hash = models.CharField(max_length=64, db_index=True)
    receipt_no = models.CharField("回执编号", max_length=40, unique=True)
    submitted_at = models.DateTimeField("提交时间")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["application", "number"]
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="one_version_number")]
        verbose_name = "提交版本"
        verbose_name_plural = "提交版本"

    def __str__(self) -> str:
        return f"{self.receipt_no}"


class StatusEvent(models.Model):
    """The application's history: every transition, with who, when, from, to and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=24)
    from_status = models.CharField("原状态", max_length=24, choices=Status.choices)
    to_status = models.CharField("新状态", max_length=24, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=16)
    at = models.DateTimeField("时间")
    reason = models.TextField("意见/理由", blank=True)
    version_number = models.PositiveIntegerField("提交版本", null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL = no key, for the partial unique index

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="one_event_per_idempotency_key",
            )
        ]
        verbose_name = "流转记录"
        verbose_name_plural = "流转记录"

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"
