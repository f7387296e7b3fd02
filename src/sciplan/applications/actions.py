"""One entry point for workflow actions from the web and the API.

An action that needs more than the transition itself (submit freezes a version; recommend records an
opinion and a rank; formal_return sets a correction deadline) has a handler registered by the app that
owns it. ``perform`` looks the handler up, so a page and an API call doing the same action run the same
code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sciplan.applications.models import Application
from sciplan.applications.workflow import Action, transition
from sciplan.core.errors import DomainError

Handler = Callable[..., Application]
_HANDLERS: dict[str, Handler] = {}


def register_action(action: str, handler: Handler) -> None:
    """``handler(application, *, by, reason, idempotency_key, ip, payload) -> Application``."""
    _HANDLERS[action] = handler


def perform(
    application: Application,
    action: str,
    *,
    by,
    reason: str = "",
    idempotency_key: str | None = None,
    ip: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Application:
    if action not in Action.values:
        raise DomainError("未知的操作。", field_errors={"action": "未知的操作。"})
    handler = _HANDLERS.get(action)
    if handler is not None:
        return handler(
            application, by=by, reason=reason, idempotency_key=idempotency_key, ip=ip, payload=payload or {}
        )
    return transition(application, action, by=by, reason=reason, idempotency_key=idempotency_key, ip=ip)


def _submit(application, *, by, reason, idempotency_key, ip, payload):
    from sciplan.applications.services import submit_application

    submit_application(application, by=by, idempotency_key=idempotency_key, ip=ip)
    return Application.objects.get(pk=application.pk)


register_action(Action.SUBMIT, _submit)
register_action(Action.SUBMIT_CORRECTION, _submit)
