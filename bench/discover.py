"""Find the endpoints each benchmark scenario drives, as they exist in the code today.

The application is built in parallel with the benchmark, so nothing is assumed: a page is looked up by
its URL name, an API operation by its stable operationId (SPEC §14). A scenario whose endpoint is not
there is reported as "not available" rather than faked. Paths use ``{app}``, ``{call}``, ``{rec}`` and
``{section}`` placeholders that the load generator fills in.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, get_resolver, reverse

MARK = 987654  # an id no seeded row has, replaced by a placeholder after reversing


def _all_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                ns = pattern.namespace
                walk(pattern, f"{prefix}{ns}:" if ns else prefix)
            elif pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver(), "")
    return names


def page(name: str, **kwargs) -> str | None:
    """The path of a URL name with placeholders, or None when the page does not exist (yet)."""
    holders = {}
    args = {}
    for key, holder in kwargs.items():
        if holder == "{section}":
            args[key] = "basic"
            holders["basic"] = holder
        elif not holder.startswith("{"):
            args[key] = holder  # a literal, e.g. a file format
        else:
            value = MARK + len(holders)
            args[key] = value
            holders[str(value)] = holder
    try:
        path = reverse(name, kwargs=args or None)
    except NoReverseMatch:
        return None
    for value, holder in holders.items():
        path = path.replace(value, holder)
    return path


def first_page(candidates: list[tuple[str, dict]]) -> dict | None:
    for name, kwargs in candidates:
        path = page(name, **kwargs)
        if path:
            return {"kind": "page", "name": name, "path": path}
    return None


def api_operations() -> dict[str, dict]:
    try:
        from sciplan.api.urls import api

        schema = api.get_openapi_schema(path_prefix="/api/v1")
    except Exception as exc:
        return {"_error": {"detail": repr(exc)}}
    ops: dict[str, dict] = {}
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            if isinstance(op, dict) and op.get("operationId"):
                body = op.get("requestBody", {}).get("content", {})
                ops[op["operationId"]] = {
                    "kind": "api",
                    "method": method.upper(),
                    "path": path,
                    "params": [p.get("name") for p in op.get("parameters", [])],
                    "body": sorted(body),
                }
    return ops


def _api_path(op: dict) -> dict:
    """Replace the API's own path parameter names with the load generator's placeholders."""
    path = op["path"]
    for name in op["params"]:
        token = "{" + name + "}"
        if token in path:
            if "call" in name:
                holder = "{call}"
            elif "attachment" in name or "member" in name:
                continue
            else:
                holder = "{app}"
            path = path.replace(token, holder)
    return {**op, "path": path}


def discover(manifest: dict) -> dict:
    names = _all_names()
    ops = api_operations()
    found: dict[str, dict | None] = {}
    found["floor"] = first_page([("accounts:login", {})])
    found["home"] = first_page([("core:home", {}), ("home", {})])
    found["public_call"] = first_page([("calls:detail", {"pk": "{call}"})])
    found["status"] = first_page([("applications:detail", {"pk": "{app}"})])
    section_pages = sorted(
        n
        for n in names
        if n.startswith("applications:") and any(k in n for k in ("section", "autosave", "save"))
    )
    autosave = None
    for name in section_pages:
        for kwargs in ({"pk": "{app}", "section": "{section}"}, {"pk": "{app}", "code": "{section}"}):
            path = page(name, **kwargs)
            if path:
                autosave = {"kind": "page", "name": name, "path": path}
                break
        if autosave:
            break
    found["autosave_page"] = autosave
    found["autosave_api"] = _api_path(ops["application_update"]) if "application_update" in ops else None
    found["upload"] = _api_path(ops["attachment_upload"]) if "attachment_upload" in ops else None
    found["submit"] = _api_path(ops["application_transition"]) if "application_transition" in ops else None
    found["token"] = ops.get("auth_token_create")
    found["worklist"] = first_page([("recommendations:worklist", {}), ("recommendations:list", {})])
    found["bureau_list"] = first_page(
        [
            ("review:applications", {}),
            ("review:application_list", {}),
            ("review:list", {}),
            ("review:intake", {}),
        ]
    )
    found["pdf"] = first_page([("documents:application_pdf", {"pk": "{app}", "number": "{number}"})])
    if not found["pdf"] and "document_download" in ops:
        found["pdf"] = _api_path(ops["document_download"])
    found["xlsx"] = first_page([("recommendations:summary", {"call_id": "{call}", "fmt": "xlsx"})])
    if not found["xlsx"] and "summary_table_download" in ops:
        found["xlsx"] = _api_path(ops["summary_table_download"])
    return {
        "scenarios": found,
        "page_names": sorted(names),
        "operations": sorted(ops),
    }
