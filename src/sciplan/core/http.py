"""Small helpers for views and the API: the client's address, htmx detection."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    # Behind the reverse proxy the real address is the first X-Forwarded-For entry, which only the proxy
    # sets; REMOTE_ADDR is used when there is no proxy (the embedded default).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def route_name(request: HttpRequest, match=None) -> str:
    """A stable name for the route a request hit: ``namespace:url_name`` for pages, ``api:<operationId>``
    for the JSON API (one URL pattern serves several methods there, so the method picks the operation)."""
    match = match or getattr(request, "resolver_match", None)
    if match is None:
        return ""
    for cell in getattr(match.func, "__closure__", None) or ():
        try:
            operations = getattr(cell.cell_contents, "operations", None)
        except ValueError:  # an empty cell
            continue
        if operations:
            for operation in operations:
                if request.method in operation.methods:
                    name = operation.operation_id or operation.view_func.__name__
                    return f"api:{name}"
    return match.view_name or ""


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """The ``next`` a form or link asked for, only when it stays on this site (STANDARDS A17).

    The one place every redirecting view takes ``next`` from: an absolute URL to another host, a
    scheme-relative ``//host``, a backslash trick or an http URL on an https site all fall back.
    """
    from django.utils.http import url_has_allowed_host_and_scheme

    target = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
