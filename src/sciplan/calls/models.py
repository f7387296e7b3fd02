"""A call (申报批次) with its windows, thresholds, industries and recommending units (SPEC §3)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class RecommenderKind(models.TextChoices):
    COUNTY = "county", "县市区科技部门"
    PARK = "park", "高新园区"


class DictionaryQuerySet(models.QuerySet):
    def active(self):
        """The entries offered where new data is entered (a registration, a new call). Deactivated
        entries stay in the database and still display on the records that refer to them."""
        return self.filter(active=True)


class Recommender(models.Model):
    """A recommending unit: a county-level S&T department (needs the finance co-signature) or a park."""

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    kind = models.CharField("类型", max_length=10, choices=RecommenderKind.choices)
    region_code = models.CharField("行政区划代码", max_length=6, blank=True)
    needs_finance_cosign = models.BooleanField("需财政部门联合推荐", default=False)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    objects = DictionaryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "推荐单位"
        verbose_name_plural = "推荐单位"

    def __str__(self) -> str:
        return self.name


class IndustryGroup(models.TextChoices):
    ONE = "1", "1（主导产业）"
    THREE = "3", "3（优势产业）"
    X = "X", "X（新兴产业）"


class Industry(models.Model):
    """An industry of Yueyang's 1+3+X modern industry system."""

    code = models.CharField("编码", max_length=20, unique=True)
    group = models.CharField("类别", max_length=1, choices=IndustryGroup.choices)
    name = models.CharField("名称", max_length=50)
    pending_confirmation = models.BooleanField(
        "名称待官方确认", default=False, help_text="“3”和“X”的官方表述尚未核实，请管理员确认。"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    objects = DictionaryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "产业（1+3+X）"
        verbose_name_plural = "产业（1+3+X）"

    def __str__(self) -> str:
        return self.name


class PlatformLevel(models.IntegerChoices):
    """R&D platform levels, ordered so that ``>=`` means "at this level or above"."""

    COUNTY = 0, "县级及以下"
    CITY = 1, "市级"
    PROVINCE = 2, "省级"
    NATION = 3, "国家级"


DEFAULT_RUBRIC = [
    {
        "code": "lead_strength",
        "label": "牵头单位实力与带动力",
        "max": 25,
        "description": "牵头单位研发投入、研发平台与对产业链的带动作用。",
    },
    {
        "code": "cooperation",
        "label": "合作基础与成员结构",
        "max": 20,
        "description": "成员单位构成、合作协议与实质性合作基础。",
    },
    {
        "code": "tasks",
        "label": "攻关任务与三个一代布局",
        "max": 25,
        "description": "攻关任务的先进性与应用一代、开发一代、储备一代的布局。",
    },
    {
        "code": "local_support",
        "label": "本地配套与成果转化",
        "max": 15,
        "description": "本地配套率与成果在本地转化的安排。",
    },
    {
        "code": "mechanism",
        "label": "运行机制",
        "max": 15,
        "description": "组织架构、议事规则、知识产权与利益分配机制。",
    },
]
DEFAULT_REQUIRED_ATTACHMENTS = ["financial_evidence", "charter", "commitment"]


def default_attachment_specs() -> list[dict]:
    """The attachment requirements of the notice: the three required kinds, PDF or image, 20 MB each."""
    return [
        {"kind": kind, "name": "", "types": ["pdf", "jpeg", "png"], "max_mb": 20, "required": True}
        for kind in DEFAULT_REQUIRED_ATTACHMENTS
    ]


class CallState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    CLOSED = "closed", "已结束"
    ARCHIVED = "archived", "已归档"


class CallQuerySet(models.QuerySet):
    def public(self):
        """Calls anyone may read: every call that has been published (drafts are the bureau's own)."""
        return self.exclude(state=CallState.DRAFT)

    def listed(self):
        """Calls shown in the public lists: published and closed (archived ones only by address)."""
        return self.filter(state__in=[CallState.PUBLISHED, CallState.CLOSED])


class Call(models.Model):
    """One call. Its rules are editable until it opens; from then on they are frozen (SPEC §3)."""

    title = models.CharField("通知标题", max_length=200)
    state = models.CharField("状态", max_length=10, choices=CallState.choices, default=CallState.DRAFT)
    year = models.PositiveSmallIntegerField("年度")
    program = models.CharField("计划类别", max_length=40, default="innovation_consortium")
    notice = models.TextField("通知正文", blank=True)
    is_practice = models.BooleanField("演练批次", default=False)
    opens_at = models.DateTimeField("网上申报开始")
    closes_at = models.DateTimeField("网上申报截止")
    recommend_deadline = models.DateTimeField("推荐单位推荐截止")
    paper_deadline = models.DateField("纸质材料报送截止")
    paper_address = models.CharField("纸质材料报送地址", max_length=200, blank=True)
    correction_deadline = models.DateTimeField("形式审查补正截止", null=True, blank=True)
    rd_threshold = models.DecimalField(
        "近三年研发投入门槛（万元）", max_digits=12, decimal_places=2, default=Decimal("1000.00")
    )
    rd_first_year = models.PositiveSmallIntegerField("研发投入统计起始年度")
    min_platform_level = models.IntegerField(
        "研发平台最低级别", choices=PlatformLevel.choices, default=PlatformLevel.CITY
    )
    agreement_min_years = models.PositiveSmallIntegerField("合作协议最短期限（年）", default=3)
    cooperation_min_years = models.PositiveSmallIntegerField("实质性合作最短时长（年）", default=1)
    public_notice_days = models.PositiveSmallIntegerField("公示期（工作日）", default=5)
    industries = models.ManyToManyField(Industry, verbose_name="产业目录", related_name="calls")
    recommenders = models.ManyToManyField(Recommender, verbose_name="推荐单位", related_name="calls")
    # [{kind, name, types, max_mb, required}]: the one record of the attachment rules (see
    # ``required_attachments`` for the kinds an application must carry).
    attachment_specs = models.JSONField("附件要求", default=list)
    rubric = models.JSONField("评分指标", default=list)
    panel_min_size = models.PositiveSmallIntegerField("评审专家组最少人数", default=5)
    panel_default_size = models.PositiveSmallIntegerField("评审专家组默认人数", default=7)
    contact = models.TextField(
        "咨询联系方式", blank=True, help_text="每行一条，如：市科技局基础研究科 0730-8186096"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = "申报批次"
        verbose_name_plural = "申报批次"

    def __str__(self) -> str:
        return self.title

    @property
    def rd_years(self) -> list[int]:
        return [self.rd_first_year, self.rd_first_year + 1, self.rd_first_year + 2]

    @property
    def required_attachments(self) -> list[str]:
        """The kinds an application must carry, in the order the bureau set them."""
        return [spec["kind"] for spec in self.attachment_specs or [] if spec.get("required")]

    @property
    def contact_lines(self) -> list[str]:
        return [line.strip() for line in self.contact.splitlines() if line.strip()]

    def has_opened(self, at) -> bool:
        """Opened: published and its application window has begun. From then on its rules are frozen."""
        return self.state != CallState.DRAFT and at >= self.opens_at


class Stage(models.TextChoices):
    APPLY = "apply", "网上申报"
    RECOMMEND = "recommend", "推荐单位推荐"
    CORRECTION = "correction", "形式审查补正"


class Extension(models.Model):
    """A deadline extension for one unit or one recommender at one stage, granted by the bureau."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="extensions")
    stage = models.CharField("环节", max_length=16, choices=Stage.choices)
    unit = models.ForeignKey(
        "accounts.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recommender = models.ForeignKey(
        Recommender, null=True, blank=True, on_delete=models.CASCADE, related_name="extensions"
    )
    until = models.DateTimeField("延期至")
    reason = models.CharField("理由", max_length=500)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField("批准时间", auto_now_add=True)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = "延期"
        verbose_name_plural = "延期"
        constraints = [
            models.CheckConstraint(
                name="extension_has_one_subject",
                condition=(models.Q(unit__isnull=False) & models.Q(recommender__isnull=True))
                | (models.Q(unit__isnull=True) & models.Q(recommender__isnull=False)),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} 延期至 {self.until:%Y-%m-%d %H:%M}"
