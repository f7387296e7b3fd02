"""The audit log: append-only, hash-chained security and workflow events (STANDARDS E22–E24)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sciplan.core import dbguard  # noqa: F401 - registers the SQLite audit guard on every connection


class Outcome(models.TextChoices):
    OK = "ok", "成功"
    REFUSED = "refused", "拒绝"
    FAILED = "failed", "失败"


class AuditEvent(models.Model):
    """One security or workflow event. Rows are never updated or deleted by the application.

    ``hash`` chains every row to the one before it (``prev_hash``), so a row edited directly in the
    database breaks the chain and ``manage.py audit_verify`` reports where.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=150, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    event_type = models.CharField("事件类型", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True, db_index=True)
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices, default=Outcome.OK)
    detail = models.JSONField("详情", default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event_type} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """An in-app message. E-mail and SMS copies are sent after commit (see ``core.notifications``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"

    def __str__(self) -> str:
        return self.subject


class AuditHead(models.Model):
    """A signed record of the audit log's newest row, so deleting the newest rows is detected.

    Appended by ``manage.py audit_head`` (scheduled), after every ``audit_verify`` and every purge; rows
    are append-only in the database like the log itself. ``signature`` is an HMAC of the other fields
    with ``settings.AUDIT_HEAD_KEY``, so a head cannot be forged without the key.
    """

    at = models.DateTimeField()
    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64, blank=True)
    row_count = models.BigIntegerField()
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        verbose_name = "审计日志签名头"
        verbose_name_plural = "审计日志签名头"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} #{self.last_id} ({self.row_count})"


class JobState(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "执行中"
    RETRYING = "retrying", "等待重试"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """One background task (``core.tasks``): the outbox row written in the transaction that asked for it.

    The broker only carries the row's id, after commit; a rolled-back change takes its row with it, and a
    committed row whose message was lost is sent again by the sweeper. ``key`` makes queueing idempotent
    (one row per document of a version, per notification and channel, per scheduled run). ``attempts``
    and ``last_error`` are what the bureau's page of failed tasks shows.
    """

    name = models.CharField("任务", max_length=64)
    args = models.JSONField("参数", default=dict, blank=True)
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=JobState.choices, default=JobState.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=5)
    last_error = models.TextField("最近一次错误", blank=True)
    run_after = models.DateTimeField("不早于")
    dispatched_at = models.DateTimeField("最近投递时间", null=True, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "run_after"], name="core_job_due")]
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"

    def __str__(self) -> str:
        return f"{self.name}#{self.pk} {self.state}"
