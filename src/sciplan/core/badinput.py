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

FIELD_MESSAGE = "含有无法保存的字符（空字符或无效的 Unicode 字符），请删除后重新提交。"
MAX_REPORTED = 20


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


def querydict_fields(data) -> list[str]:
    bad = [key for key, values in data.lists() if not is_storable(key) or not all(map(is_storable, values))]
    return [key if is_storable(key) else "body" for key in bad][:MAX_REPORTED]


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
