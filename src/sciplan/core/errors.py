"""Domain errors raised by services. Views and the API turn them into messages and status codes."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. ``message`` is Chinese and shown to the user as is.

    ``field_errors`` maps a field name to its message so the form can show it beside the field.
    ``status`` is what the API answers (400, 404, 409, 422).
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        if code:
            self.code = code


# The one top ``detail`` of every API answer whose ``errors`` name fields (docs/api.md).
VALIDATION_DETAIL = "部分内容填写有误，请按提示修改。"


class ValidationFailed(DomainError):
    status = 422
    code = "validation"


class NotFound(DomainError):
    """The object does not exist *for this user* — same answer whether it exists or not."""

    status = 404
    code = "not_found"

    def __init__(self, message: str = "未找到，或您无权查看。"):
        super().__init__(message)


class Conflict(DomainError):
    """A stale version or a state that no longer allows the action."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, current: dict | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.current = current or {}


class DeadlinePassed(DomainError):
    status = 409
    code = "deadline_passed"


class NotAllowed(DomainError):
    """The user may see the object but not do this to it (the reason is shown)."""

    status = 403
    code = "not_allowed"


# What a client is told when the service cannot take the request right now (the concurrency limiter,
# an unreachable database): the same sentence and a Retry-After, so the page's autosave and API clients
# try again by themselves instead of treating it as a failure.
BUSY_MESSAGE = "系统繁忙，请稍后重试。"
BUSY_RETRY_AFTER_SECONDS = 3
