"""The main menu. Each app registers its entries in its ``AppConfig.ready()``; the menu shows a user the
entries of their role only."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int = 100


_ENTRIES: list[NavEntry] = []


def register(label: str, url_name: str, *, roles: set[str] | frozenset[str], order: int = 100) -> None:
    entry = NavEntry(label, url_name, frozenset(roles), order)
    if entry not in _ENTRIES:
        _ENTRIES.append(entry)


def menu_for(user, path: str) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for entry in sorted(_ENTRIES, key=lambda e: e.order):
        if user.role not in entry.roles:
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "active": path.startswith(url) and url != "/"})
    return items
