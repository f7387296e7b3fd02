"""Decision, public notice (公示), objections (异议), recognition (认定) and annual assessment (年度考核)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sciplan.applications.models import Application
from sciplan.calls.models import Call, Industry
from sciplan.core.masking import mask_phone


class WorkdayOverride(models.Model):
    """An admin correction of the working-day calendar: a date that is (or is not) a working day."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "工作日调整"
        verbose_name_plural = "工作日调整"

    def __str__(self) -> str:
        return f"{self.date} {'工作日' if self.is_workday else '休息日'}"


class WorkdayYear(models.Model):
    """A year's holiday arrangement (法定节假日与调休) as the State Council published it, entered or confirmed
    by an administrator. ``holidays`` are the weekdays off, ``workdays`` the weekend days worked (调休);
    every other day is a working day from Monday to Friday. Never deleted: notices were counted on it."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    holidays = models.JSONField("放假日期（工作日放假）", default=list)
    workdays = models.JSONField("调休上班日期（周末上班）", default=list)
    source = models.CharField("依据", max_length=200, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField("确认时间", auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = "年度工作日历"
        verbose_name_plural = "年度工作日历"

    def __str__(self) -> str:
        return f"{self.year}年工作日历"


class StoredFile(models.Model):
    """A file kept in private storage: decision minutes, assessment attachments."""

    original_name = models.CharField("文件名", max_length=255)
    storage_key = models.CharField(max_length=255, unique=True)
    content_kind = models.CharField("文件格式", max_length=8)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "文件"
        verbose_name_plural = "文件"

    def __str__(self) -> str:
        return self.original_name


class Decision(models.Model):
    """The bureau's decision meeting that selected the proposed list (拟认定名单)."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="decisions")
    meeting_date = models.DateField("会议日期")
    attendees = models.TextField("参会人员", max_length=1000)
    minutes = models.TextField("会议纪要", max_length=5000, blank=True)
    minutes_file = models.ForeignKey(
        StoredFile,
        verbose_name="会议纪要附件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applications = models.ManyToManyField(Application, verbose_name="拟认定名单", related_name="decisions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["-meeting_date", "-id"]
        verbose_name = "认定决策会议"
        verbose_name_plural = "认定决策会议"

    def __str__(self) -> str:
        return f"{self.call} {self.meeting_date}"


class NoticeKind(models.TextChoices):
    RECOGNITION = "recognition", "拟认定名单公示"
    ASSESSMENT = "assessment", "年度考核结果公示"


class PublicNotice(models.Model):
    """A public notice period counted in working days; it ends at ``ends_at`` (18:00 by default)."""

    kind = models.CharField("公示类型", max_length=12, choices=NoticeKind.choices)
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("公示说明", max_length=3000, blank=True)
    starts_on = models.DateField("公示开始日期")
    working_days = models.PositiveSmallIntegerField("公示期（工作日）")
    ends_at = models.DateTimeField("公示截止时间")
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = "公示"
        verbose_name_plural = "公示"

    def __str__(self) -> str:
        return self.title


class NoticeEntry(models.Model):
    """One consortium on a notice; for an assessment notice, with its grade."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notice_entries")
    assessment = models.ForeignKey(
        "Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="notice_entries"
    )
    order = models.PositiveSmallIntegerField("序号", default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "application"], name="one_entry_per_notice_application")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.application_id}"


class ObjectorKind(models.TextChoices):
    PERSON = "person", "个人（实名）"
    UNIT = "unit", "单位"


class ObjectionOutcome(models.TextChoices):
    PENDING = "pending", "待处理"
    UPHELD = "upheld", "异议成立"
    NOT_UPHELD = "not_upheld", "异议不成立"


class Objection(models.Model):
    """An objection filed by the public during a notice. Objector data is for bureau staff only."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    objector_kind = models.CharField("异议人类型", max_length=8, choices=ObjectorKind.choices)
    objector_name = models.CharField("姓名", max_length=50, blank=True)
    objector_mobile = models.CharField("手机号码", max_length=20, blank=True)
    unit_name = models.CharField("单位名称", max_length=200, blank=True)
    unit_uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact_name = models.CharField("单位联系人", max_length=50, blank=True)
    content = models.TextField("异议内容", max_length=3000)
    submitted_at = models.DateTimeField("提交时间")
    receipt_no = models.CharField("受理编号", max_length=32, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(
        "处理结果", max_length=12, choices=ObjectionOutcome.choices, default=ObjectionOutcome.PENDING
    )
    investigation = models.TextField("调查核实情况", max_length=3000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    # The token of the form the objection was sent from: a retry or a reload of the same form finds
    # this row instead of filing a second objection.
    idempotency_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = "异议"
        verbose_name_plural = "异议"
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="objection_once_per_form",
            )
        ]

    def __str__(self) -> str:
        return self.receipt_no

    @property
    def masked_objector(self) -> str:
        """The objector as lists show them: a person's name and mobile masked, a unit by its name."""
        if self.objector_kind == ObjectorKind.UNIT:
            return self.unit_name
        name = self.objector_name[:1] + "*" * max(len(self.objector_name) - 1, 1)
        return f"{name} {mask_phone(self.objector_mobile)}"


class Recognition(models.Model):
    """The recognition of a consortium: 文号, date, official name; revoked with date and reason."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="recognition")
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="recognitions")
    official_name = models.CharField("联合体正式名称", max_length=100)
    doc_number = models.CharField("认定文号", max_length=60, unique=True)
    recognized_on = models.DateField("认定日期")
    year = models.PositiveSmallIntegerField("认定年度", db_index=True)
    industry = models.ForeignKey(
        Industry, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="所属产业"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)
    revoked_reason = models.TextField("撤销理由", max_length=1000, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-year", "official_name"]
        verbose_name = "认定"
        verbose_name_plural = "认定"
        constraints = [
            # Two recognised consortia never share a name; a revoked one frees its name.
            models.UniqueConstraint(
                fields=["official_name"], condition=Q(revoked_on__isnull=True), name="unique_recognized_name"
            )
        ]

    def __str__(self) -> str:
        return self.official_name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_on is not None


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class Assessment(models.Model):
    """A recognised consortium's yearly self-assessment (年度考核) and its grade."""

    recognition = models.ForeignKey(Recognition, on_delete=models.PROTECT, related_name="assessments")
    year = models.PositiveSmallIntegerField("考核年度")
    progress = models.TextField("关键核心技术攻关任务进展", max_length=5000)
    results_transferred = models.TextField("成果转移转化情况", max_length=3000)
    local_share = models.DecimalField("本地配套占比（%）", max_digits=5, decimal_places=2)
    mechanism = models.TextField("运行机制情况", max_length=3000)
    attachments = models.ManyToManyField(StoredFile, verbose_name="附件", blank=True, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("提交时间")
    grade = models.CharField("考核等次", max_length=10, choices=Grade.choices, blank=True)
    grade_comment = models.TextField("考核意见", max_length=2000, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    graded_at = models.DateTimeField("评定时间", null=True, blank=True)

    class Meta:
        ordering = ["-year", "id"]
        verbose_name = "年度考核"
        verbose_name_plural = "年度考核"
        constraints = [
            models.UniqueConstraint(fields=["recognition", "year"], name="one_assessment_per_year"),
            models.CheckConstraint(
                condition=Q(local_share__gte=0) & Q(local_share__lte=100), name="local_share_is_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recognition} {self.year}"
