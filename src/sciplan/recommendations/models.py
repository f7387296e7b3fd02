"""What a recommending unit records: its letter per call, its recommendations with their rank and the
finance co-signature, and the credit checks it made before recommending (SPEC §7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sciplan.applications.models import Application
from sciplan.calls.models import Call, Recommender


class RecommendationLetter(models.Model):
    """The stamped recommendation letter (推荐函) of one recommender for one call.

    A replaced letter keeps its row and its file (``replaced_at`` set): the bureau may already have
    compared it with the paper copy. Only one letter per call and recommender is current.
    """

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="recommendation_letters")
    recommender = models.ForeignKey(Recommender, on_delete=models.PROTECT, related_name="letters")
    original_name = models.CharField("文件名", max_length=255)
    storage_key = models.CharField(max_length=255, unique=True)
    content_kind = models.CharField("文件格式", max_length=8)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间")
    replaced_at = models.DateTimeField("被替换时间", null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "推荐函"
        verbose_name_plural = "推荐函"
        constraints = [
            models.UniqueConstraint(
                fields=["call", "recommender"],
                condition=models.Q(replaced_at__isnull=True),
                name="one_current_letter_per_call_and_recommender",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class Recommendation(models.Model):
    """A recommender's recommendation of one application: its opinion and its rank among the
    recommender's recommendations in the call. For a county it takes effect when the finance department
    confirms (``finance_confirmed_at``); a refusal by finance deletes it and closes the gap in the ranks.
    """

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="recommendation")
    # Denormalised from the application so the rank can be unique per recommender and call.
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="+")
    recommender = models.ForeignKey(Recommender, on_delete=models.PROTECT, related_name="recommendations")
    opinion = models.TextField("推荐意见", max_length=1000)
    rank = models.PositiveIntegerField("推荐排序")
    recommended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recommended_at = models.DateTimeField("推荐时间")
    finance_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finance_confirmed_at = models.DateTimeField("财政部门确认时间", null=True, blank=True)

    class Meta:
        ordering = ["call", "recommender", "rank"]
        verbose_name = "推荐"
        verbose_name_plural = "推荐"
        constraints = [
            models.UniqueConstraint(fields=["call", "recommender", "rank"], name="one_rank_per_recommender")
        ]

    def __str__(self) -> str:
        return f"{self.recommender} #{self.rank}"


class CreditSource(models.TextChoices):
    CREDIT_CHINA = "creditchina", "信用中国"
    ENFORCEMENT = "zxgk", "中国执行信息公开网"
    ENTERPRISE = "gsxt", "国家企业信用信息公示系统"


class CreditCheck(models.Model):
    """The recommender's record of having looked the lead unit up on one credit site. The system never
    contacts those sites; it records what the official saw and when."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="credit_checks")
    source = models.CharField("查询渠道", max_length=16, choices=CreditSource.choices)
    has_bad_record = models.BooleanField("存在不良记录")
    checked_on = models.DateField("查询日期")
    note = models.CharField("备注", max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        ordering = ["application", "source"]
        verbose_name = "信用核查"
        verbose_name_plural = "信用核查"
        constraints = [
            models.UniqueConstraint(fields=["application", "source"], name="one_credit_check_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}：{'有' if self.has_bad_record else '无'}不良记录"
