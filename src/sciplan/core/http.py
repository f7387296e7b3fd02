"""Small helpers for views and the API: the client's address, htmx detection."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(value: str) -> str | None:
    """A bare, normalised IP address from a header entry or REMOTE_ADDR, else ``None``."""
    value = (value or "").strip().strip('"')
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:4711
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:4711
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[Network, ...] | None:
    """The proxies whose X-Forwarded-For is believed; ``None`` means every peer (``*``)."""
    if "*" in allowed:
        return None
    networks = []
    for item in allowed:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _trusted_proxy(address: str) -> bool:
    networks = _networks(tuple(getattr(settings, "FORWARDED_ALLOW_IPS", ())))
    if networks is None:
        return True
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client, the one place that decides it (audit, lockout, rate limits).

    ``REMOTE_ADDR`` is the peer that opened the connection. Only when that peer is a configured proxy
    (``SCIPLAN_FORWARDED_ALLOW_IPS``, the same list gunicorn is given) is ``X-Forwarded-For`` read, and
    then not its first entry, which the client writes as it likes, but the entry the outermost of
    ``SCIPLAN_TRUSTED_PROXY_COUNT`` proxies appended: each proxy appends the address it saw, so the
    client is that many entries from the right. A header from any other peer, a chain shorter than the
    proxy count, or an entry that is not an address changes nothing: the peer's address is used.
    """
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if peer is None or count <= 0 or not _trusted_proxy(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded:
        return peer
    hops = forwarded.split(",")
    if len(hops) < count:
        return peer
    return _address(hops[-count]) or peer


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
