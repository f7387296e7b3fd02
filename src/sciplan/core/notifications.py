"""Notifications: in-app messages, e-mail and SMS, sent after the transaction that caused them commits.

``notify()`` is called inside a service; it stores the in-app message at once (same transaction) and
queues e-mail/SMS with ``transaction.on_commit`` so a rolled-back action never sends anything.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.module_loading import import_string

from sciplan.core import authority

logger = logging.getLogger("sciplan.notifications")


class LogSmsBackend:
    """Development SMS gateway: writes the message (with the number masked) to the log."""

    def send(self, mobile: str, text: str) -> None:
        from sciplan.core.masking import mask_phone

        logger.info("SMS to %s: %s", mask_phone(mobile), text)


def sms_backend() -> Any:
    return import_string(settings.SMS_BACKEND)()


def notify(users, *, subject: str, body: str, link: str = "", sms: bool = False) -> None:
    from sciplan.core.models import Notification

    recipients = [u for u in users if u is not None]
    Notification.objects.bulk_create(
        [Notification(user=u, subject=subject[:200], body=body, link=link[:300]) for u in recipients]
    )

    def deliver() -> None:
        for user in recipients:
            if user.email:
                try:
                    send_mail(subject, f"{body}\n\n{authority.current().url(link)}", None, [user.email])
                except Exception:  # a mail server outage must not break the action that already committed
                    logger.exception("e-mail to user %s failed", user.pk)
            mobile = getattr(user, "mobile", "")
            if sms and mobile:
                try:
                    sms_backend().send(mobile, f"【科管系统】{subject}")
                except Exception:
                    logger.exception("SMS to user %s failed", user.pk)

    transaction.on_commit(deliver)
