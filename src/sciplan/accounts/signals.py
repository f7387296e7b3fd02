"""Receivers of the authentication signals, at module level.

Django's signals hold receivers by weak reference: a function defined inside ``AppConfig.ready()`` is
collected as soon as ``ready()`` returns (with DEBUG on, Django's debug-only argument check happened to
keep it alive). Module-level functions live as long as the module, and ``weak=False`` makes it explicit.
"""

from __future__ import annotations

import logging
import time

from sciplan.core import audit, ratelimit
from sciplan.core.http import client_ip


def on_login(sender, request, user, **kwargs):
    from sciplan.accounts.services import password_expired

    audit.record("auth.login", actor=user, ip=client_ip(request) if request else None)
    session = getattr(request, "session", None)
    if session is not None:
        # The absolute session limit counts from here (core.middleware.SessionTimeoutMiddleware).
        session["auth_at"] = session["last_seen"] = int(time.time())
        if password_expired(user):
            session["password_expired"] = True


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", actor=user, ip=client_ip(request) if request else None)


def on_failure(sender, credentials, request=None, **kwargs):
    try:
        ratelimit.record_sign_in_failure(request)
    except Exception:  # the limiter's check fails closed; the failure itself is still audited
        logging.getLogger("sciplan.security").exception("could not count a failed sign-in")
    audit.record(
        "auth.login_failed",
        outcome="failed",
        ip=client_ip(request) if request else None,
        detail={"username": str(credentials.get("username", ""))[:150]},
    )


def on_locked(sender, request=None, username=None, ip_address=None, **kwargs):
    audit.record(
        "auth.locked",
        outcome="refused",
        ip=ip_address or (client_ip(request) if request else None),
        detail={"username": str(username or "")[:150]},
    )


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_locked_out.connect(on_locked, weak=False, dispatch_uid="sciplan_audit_locked")
    user_logged_in.connect(on_login, weak=False, dispatch_uid="sciplan_audit_login")
    user_logged_out.connect(on_logout, weak=False, dispatch_uid="sciplan_audit_logout")
    user_login_failed.connect(on_failure, weak=False, dispatch_uid="sciplan_audit_login_failed")
