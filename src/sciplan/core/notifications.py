"""Notifications: in-app messages, e-mail and SMS, sent after the transaction that caused them commits.

``notify()`` is called inside a service; it stores the in-app message at once (same transaction) and
queues e-mail/SMS as background jobs (``core.tasks``) in the same transaction, so a rolled-back action
never sends anything and a committed one is never lost: a copy that cannot be delivered is retried and,
in the end, shown to the bureau on 发送失败的通知 with a 重试 button.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from sciplan.core import authority, tasks

logger = logging.getLogger("sciplan.notifications")


class LogSmsBackend:
    """Development SMS gateway: writes the message (with the number masked) to the log."""

    def send(self, mobile: str, text: str) -> None:
        from sciplan.core.masking import mask_phone

        logger.info("SMS to %s: %s", mask_phone(mobile), text)


def sms_backend() -> Any:
    return import_string(settings.SMS_BACKEND)()


def notify(users, *, subject: str, body: str, link: str = "", sms: bool = False) -> None:
    """Store the in-app messages now and queue one e-mail (and, with ``sms``, one SMS) per recipient.

    Each copy is its own job (``core.tasks``), keyed by message and channel: retried with backoff when
    the mail server or the gateway fails, and kept as failed for the bureau's page when it keeps failing.
    """
    from sciplan.core.models import Notification

    recipients = [u for u in users if u is not None]
    messages = Notification.objects.bulk_create(
        [Notification(user=u, subject=subject[:200], body=body, link=link[:300]) for u in recipients]
    )
    for message, user in zip(messages, recipients, strict=True):
        if user.email:
            tasks.enqueue(EMAIL, {"notification": message.pk}, key=f"notification:{message.pk}:email")
        mobile: str = getattr(user, "mobile", "")
        if sms and mobile:
            tasks.enqueue(SMS, {"notification": message.pk}, key=f"notification:{message.pk}:sms")


def send_email(args: dict) -> None:
    from sciplan.core.models import Notification

    message = Notification.objects.select_related("user").filter(pk=args["notification"]).first()
    if message is None or not message.user.email:
        return  # the account (and its messages) was deleted, or has no address any more
    send_mail(
        message.subject,
        f"{message.body}\n\n{authority.current().url(message.link)}",
        None,
        [message.user.email],
    )


def send_sms(args: dict) -> None:
    from sciplan.core.models import Notification

    message = Notification.objects.select_related("user").filter(pk=args["notification"]).first()
    mobile = getattr(message.user, "mobile", "") if message is not None else ""
    if message is None or not mobile:
        return
    sms_backend().send(mobile, f"【科管系统】{message.subject}")


EMAIL = "notifications.email"
SMS = "notifications.sms"
CHANNELS = {EMAIL: "邮件", SMS: "短信"}


def register() -> None:
    tasks.register(EMAIL, send_email, label="通知邮件")
    tasks.register(SMS, send_sms, label="通知短信")
