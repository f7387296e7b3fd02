"""Every route of the URL conf, with dummy arguments, for the sweeps (STANDARDS B6, B7, C13).

Routes are read from ``django.urls.get_resolver()``; for the JSON API one URL pattern serves several
methods, so each ninja operation becomes its own route named ``api:<operationId>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, SlugConverter, StringConverter
from django.urls.resolvers import RegexPattern, RoutePattern


@dataclass
class Route:
    name: str  # namespace:url_name, or api:<operationId>
    url_name: str  # what reverse() takes
    kwargs: tuple[str, ...]
    methods: tuple[str, ...]  # for API operations: its methods; for pages: GET and POST
    converters: dict = field(default_factory=dict)
    regex_groups: dict = field(default_factory=dict)
    api: bool = False
    path: str = ""  # the route as written in the URL conf, e.g. "review/applications/<int:pk>/"


def _walk(patterns, namespace="", converters=None, groups=None, prefix=""):
    converters = converters or {}
    groups = groups or {}
    for p in patterns:
        route = prefix + str(p.pattern)
        conv = dict(converters)
        grp = dict(groups)
        if isinstance(p.pattern, RoutePattern):
            conv.update(p.pattern.converters)
        elif isinstance(p.pattern, RegexPattern):
            grp.update(_regex_groups(p.pattern._regex))
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from _walk(p.url_patterns, ns, conv, grp, route)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace + p.name, p, conv, grp, route


def _regex_groups(regex: str) -> dict[str, str]:
    return dict(re.findall(r"\(\?P<(\w+)>([^)]*)\)", regex))


def _ninja_operations(pattern: URLPattern):
    for cell in getattr(pattern.callback, "__closure__", None) or ():
        try:
            operations = getattr(cell.cell_contents, "operations", None)
        except ValueError:
            continue
        if operations:
            return operations
    return None


def all_routes() -> list[Route]:
    routes: list[Route] = []
    seen: set[str] = set()
    for full, pattern, conv, grp, written in _walk(get_resolver().url_patterns):
        kwargs = tuple(list(conv) + [g for g in grp if g not in conv])
        operations = _ninja_operations(pattern)
        if operations:
            for op in operations:
                name = f"api:{op.operation_id or op.view_func.__name__}"
                if name in seen:
                    continue
                seen.add(name)
                routes.append(Route(name, full, kwargs, tuple(sorted(op.methods)), conv, grp, True, written))
            continue
        if full in seen:
            continue
        seen.add(full)
        routes.append(Route(full, full, kwargs, ("GET", "POST"), conv, grp, full.startswith("api:"), written))
    return routes


def dummy_value(name: str, route: Route, overrides: dict | None = None):
    if overrides and name in overrides:
        return overrides[name]
    converter = route.converters.get(name)
    if isinstance(converter, IntConverter):
        return 987654
    if isinstance(converter, SlugConverter):
        return "basic"
    if isinstance(converter, StringConverter) or converter is not None:
        return "987654"
    regex = route.regex_groups.get(name, "")
    for candidate in ("987654", "xlsx", "basic", "x"):
        if re.fullmatch(regex, candidate):
            return candidate
    return "987654"


def url_for(route: Route, overrides: dict | None = None) -> str:
    from django.urls import reverse

    kwargs = {k: dummy_value(k, route, overrides) for k in route.kwargs}
    return reverse(route.url_name, kwargs=kwargs)
