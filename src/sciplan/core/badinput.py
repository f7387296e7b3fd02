"""Input no field can store: NUL characters and lone UTF-16 surrogates (STANDARDS C15, C16).

PostgreSQL refuses NUL in text and no database driver can encode a lone surrogate (JSON allows
``"\\ud800"``), so such a value would reach the database and fail there as a server error. It is refused
once, on arrival, for every route: the JSON body, the form fields and the query string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import unquote_to_bytes

FIELD_MESSAGE = "含有无法保存的字符（空字符或无效的 Unicode 字符），请删除后重新提交。"
MAX_REPORTED = 20
REPLACEMENT = "\ufffd"


def is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[str]:
    if isinstance(value, str):
        if not is_storable(value):
            yield ".".join(path) or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            if not is_storable(key):
                yield ".".join(path) or "body"
                continue
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, str(index)))


def json_fields(body: bytes) -> list[str]:
    """The dotted paths of the fields of a JSON body that cannot be stored; ``[]`` for an unreadable body
    (the API's own parser answers that)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return []
    return list(dict.fromkeys(_walk(data, ())))[:MAX_REPORTED]


def querydict_fields(data, *, replaced_is_bad: bool = False) -> list[str]:
    """The fields of a parsed form or query string that cannot be stored. With ``replaced_is_bad``, a
    U+FFFD counts too: a multipart part's bytes that were not UTF-8 (a lone surrogate encoded as
    ``ED A0 80``) reach us only as Django's replacement character."""

    def bad(text: str) -> bool:
        return not is_storable(text) or (replaced_is_bad and REPLACEMENT in text)

    keys = [key for key, values in data.lists() if bad(key) or any(map(bad, values))]
    return [key if not bad(key) else "body" for key in keys][:MAX_REPORTED]


def urlencoded_fields(raw: bytes) -> list[str]:
    """The fields of a URL-encoded form body whose bytes are not UTF-8 — a lone surrogate sent as
    ``%ED%A0%80``, or any broken sequence — which Django's parser would silently turn into U+FFFD,
    so the text saved would not be the text sent."""
    fields: list[str] = []
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(name.replace(b"+", b" "))
        try:
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
            name_bytes.decode("utf-8")
        except UnicodeDecodeError:
            try:
                fields.append(name_bytes.decode("utf-8"))
            except UnicodeDecodeError:
                fields.append("body")
    return list(dict.fromkeys(fields))[:MAX_REPORTED]


@cache
def _labels() -> dict[str, str]:
    from django.apps import apps

    labels: dict[str, str] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            verbose = getattr(field, "verbose_name", None)
            if verbose and field.name not in labels and not field.name.endswith("_id"):
                labels[field.name] = str(verbose)
    return labels


def label_for(field: str) -> str:
    """A field's Chinese name for a page's message (the model's verbose name), else the field name."""
    last = field.rsplit(".", 1)[-1]
    return _labels().get(last, last)
