"""API tokens end with the credentials they were issued for (STANDARDS A2).

The one place a user's tokens are revoked: a receiver of the user model's ``pre_save``, so it covers
every way a password changes or an account is deactivated (the administrator's reset and deactivation,
Django's own password-change and set-password forms, ``manage.py changepassword``). A signal rather than
an explicit call because accounts comes before api in the import order and must not import it; the api
app listens to accounts instead. Module level and ``weak=False``: a nested receiver would be collected.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import pre_save

from sciplan.api.models import ApiToken
from sciplan.core import audit, clock

WATCHED = frozenset({"password", "is_active"})


def revoke_tokens_on_credential_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """Revoke the user's live tokens when the password changed or the account was deactivated.

    Queries only when the save can touch those fields: never for a new user, a fixture load, or a save
    limited to other fields (the sign-in's ``last_login``)."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not WATCHED & set(update_fields):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    reasons = []
    if before["password"] != instance.password:
        reasons.append("password")
    if before["is_active"] and not instance.is_active:
        reasons.append("deactivated")
    if not reasons:
        return
    live = ApiToken.objects.filter(user_id=instance.pk, revoked_at__isnull=True)
    count = live.update(revoked_at=clock.now())
    if count:
        audit.record(
            "auth.token_revoked", actor=None, obj=instance, detail={"reason": reasons, "tokens": count}
        )


def connect() -> None:
    pre_save.connect(
        revoke_tokens_on_credential_change,
        sender=settings.AUTH_USER_MODEL,
        weak=False,
        dispatch_uid="sciplan_revoke_tokens",
    )
