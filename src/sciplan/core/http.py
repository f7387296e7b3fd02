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
