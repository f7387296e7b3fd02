"""The bureau's review (SPEC §8): intake and paper, formal review, site visits, the expert pool,
reproducible panel draws, conflict declarations, scores and the confirmed ranking."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sciplan.applications.models import Application
from sciplan.calls.models import Call, Recommender


class PaperReceipt(models.Model):
    """Paper copies of one application received at the bureau (room 606)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="paper_receipts")
    received_on = models.DateField("接收日期")
    copies = models.PositiveSmallIntegerField("份数")
    received_by = models.CharField("接收人", max_length=50)
    note = models.CharField("备注", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = "纸质材料接收"
        verbose_name_plural = "纸质材料接收"

    def __str__(self) -> str:
        return f"{self.application_id}: {self.copies}份"


class SummaryTableReceipt(models.Model):
    """A recommender's paper 信息汇总表 received for one call."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+")
    recommender = models.ForeignKey(Recommender, on_delete=models.CASCADE, related_name="+")
    received_on = models.DateField("接收日期")
    received_by = models.CharField("接收人", max_length=50)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "信息汇总表接收"
        verbose_name_plural = "信息汇总表接收"
        constraints = [
            models.UniqueConstraint(fields=["call", "recommender"], name="one_summary_table_receipt")
        ]

    def __str__(self) -> str:
        return f"{self.recommender_id}@{self.call_id}"


class FormalOutcome(models.TextChoices):
    PASS = "pass", "通过"
    FAIL = "fail", "不通过"
    RETURN = "return", "退回补正"


class FormalReview(models.Model):
    """One formal (completeness) review decision with its checklist."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="formal_reviews")
    checklist = models.JSONField("审查清单", default=dict)
    outcome = models.CharField("结论", max_length=8, choices=FormalOutcome.choices)
    reason = models.TextField("意见", max_length=2000, blank=True)
    correction_deadline = models.DateTimeField("补正截止时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审查时间", auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        verbose_name = "形式审查"
        verbose_name_plural = "形式审查"

    def __str__(self) -> str:
        return f"{self.application_id}: {self.outcome}"


class VisitConclusion(models.TextChoices):
    CONFIRMED = "confirmed", "情况属实"
    PARTLY = "partly", "基本属实，需整改"
    NOT_CONFIRMED = "not_confirmed", "与申报不符"


class SiteVisit(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="site_visits")
    visit_date = models.DateField("考察日期")
    team = models.CharField("考察组成员", max_length=300)
    findings = models.TextField("考察情况", max_length=5000)
    conclusion = models.CharField("考察结论", max_length=16, choices=VisitConclusion.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-visit_date", "-id"]
        verbose_name = "现场考察"
        verbose_name_plural = "现场考察"

    def __str__(self) -> str:
        return f"{self.application_id}@{self.visit_date}"


class SiteVisitFile(models.Model):
    """A photo or document of a site visit, stored privately, served only through a checked view."""

    visit = models.ForeignKey(SiteVisit, on_delete=models.CASCADE, related_name="files")
    original_name = models.CharField("文件名", max_length=255)
    storage_key = models.CharField(max_length=255, unique=True)
    content_kind = models.CharField("文件格式", max_length=8)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "考察附件"
        verbose_name_plural = "考察附件"

    def __str__(self) -> str:
        return self.original_name


class Expert(models.Model):
    """A member of the expert pool. ``fields`` holds industry codes (1+3+X) the expert may review."""

    name = models.CharField("姓名", max_length=50)
    organisation = models.CharField("工作单位", max_length=200)
    organisation_uscc = models.CharField("单位统一社会信用代码", max_length=18, blank=True)
    fields = models.JSONField("评审领域", default=list)
    title = models.CharField("职称/职务", max_length=50, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    active = models.BooleanField("在库可抽取", default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_profile",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "专家"
        verbose_name_plural = "专家"

    def __str__(self) -> str:
        return self.name


class AvoidEntry(models.Model):
    """An expert the applicant asked to avoid (回避名单), recorded by the bureau."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="avoid_entries")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField("理由", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "expert"], name="one_avoid_entry")]

    def __str__(self) -> str:
        return f"{self.application_id}×{self.expert_id}"


class DrawReason(models.TextChoices):
    """Why a panel that already exists is drawn again. The first four are what the bureau may choose
    (always with a written explanation); the last two are recorded by the system itself."""

    RECUSAL = "recusal", "回避"
    CONFLICT = "conflict", "申报冲突"
    UNREACHABLE = "unreachable", "专家无法联系"
    OTHER = "other", "其他"
    SELF_RECUSAL = "self_recusal", "专家本人声明回避"
    VACANCY = "vacancy", "空缺席位补抽"


# What the bureau may choose when it replaces seats on a drawn panel.
BUREAU_REDRAW_REASONS = (DrawReason.RECUSAL, DrawReason.CONFLICT, DrawReason.UNREACHABLE, DrawReason.OTHER)


class Draw(models.Model):
    """One recorded draw. ``snapshot`` holds everything the draw used (the ordered pool with the
    attributes the rules read, the applications' units, avoid lists, declared conflicts and seats
    already taken), so :func:`sciplan.review.draws.verify` can re-run it from the record alone."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="+")
    field = models.CharField("评审领域", max_length=20)
    size = models.PositiveSmallIntegerField("抽取人数")
    seed = models.CharField("随机种子", max_length=40)
    snapshot = models.JSONField("抽取快照")
    snapshot_hash = models.CharField(max_length=64)
    result = models.JSONField("抽取结果", default=list)
    is_redraw = models.BooleanField("补抽", default=False)
    reason = models.CharField("补抽原因", max_length=300, blank=True)
    reason_code = models.CharField("补抽原因类别", max_length=16, choices=DrawReason.choices, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = "专家抽取记录"
        verbose_name_plural = "专家抽取记录"

    def __str__(self) -> str:
        return f"抽取#{self.pk}"


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", "待声明回避情况"
    ACTIVE = "active", "已声明无利益冲突"
    RECUSED = "recused", "已回避"
    REPLACED = "replaced", "已被替换"


# Seats that no longer count on the panel: the expert recused, or the bureau replaced them.
GONE = (AssignmentStatus.RECUSED, AssignmentStatus.REPLACED)


class Assignment(models.Model):
    """One expert's seat on one application's panel."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="assignments")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(
        "状态", max_length=8, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    declared_at = models.DateTimeField("声明时间", null=True, blank=True)
    recusal_reason = models.CharField("回避原因", max_length=300, blank=True)
    replaced_by_draw = models.ForeignKey(
        Draw,
        verbose_name="替换抽取",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application_id", "id"]
        verbose_name = "评审任务"
        verbose_name_plural = "评审任务"
        constraints = [models.UniqueConstraint(fields=["application", "expert"], name="one_seat_per_expert")]

    def __str__(self) -> str:
        return f"{self.expert_id}→{self.application_id}"


class Score(models.Model):
    """An expert's score sheet for one assignment: a value and a comment per rubric indicator."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="score")
    values = models.JSONField("分项得分", default=dict)
    comments = models.JSONField("分项意见", default=dict)
    total = models.DecimalField("总分", max_digits=6, decimal_places=2)
    submitted_at = models.DateTimeField("提交时间")
    # Submitted scores are locked; only the bureau reopens one (with a reason, see ScoreReopening).
    reopened = models.BooleanField("已退回修改", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "评分"
        verbose_name_plural = "评分"

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.total}"


class ScoreReopening(models.Model):
    """The bureau reopened a submitted score for its expert to revise. Kept forever with the score as it
    stood, so what changed after the reopening can always be compared."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="reopenings")
    reason = models.CharField("退回原因", max_length=300)
    previous_values = models.JSONField("退回前分项得分")
    previous_total = models.DecimalField("退回前总分", max_digits=6, decimal_places=2)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField("退回时间", auto_now_add=True)
    resubmitted_at = models.DateTimeField("重新提交时间", null=True, blank=True)

    class Meta:
        ordering = ["-reopened_at", "-id"]
        verbose_name = "评分退回"
        verbose_name_plural = "评分退回"

    def __str__(self) -> str:
        return f"{self.score_id}@{self.reopened_at:%Y-%m-%d}"


class Ranking(models.Model):
    """A confirmed ranking of a call. Frozen: its rows and their SHA-256 never change."""

    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="+")
    rows = models.JSONField("排名")
    content_hash = models.CharField(max_length=64)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField("确认时间", auto_now_add=True)

    class Meta:
        verbose_name = "评审排名"
        verbose_name_plural = "评审排名"

    def __str__(self) -> str:
        return f"排名@{self.call_id}"
