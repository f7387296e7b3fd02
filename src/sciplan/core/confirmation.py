"""Asking once before an irreversible action, with or without JavaScript.

A form whose action cannot be undone carries a :class:`Confirmation`: what will happen, who will be told,
and the words of the button that does it. The page renders it inside the form with
``{% include "core/_confirm.html" with c=confirmation %}``:

- without JavaScript, the first POST arrives without ``confirm=1``; the view calls :func:`confirmed`,
  changes nothing and re-renders the page with the same form, everything typed still in it, and the
  panel open (``c.open``) with a 确认 button that posts the form again with ``confirm=1``;
- with JavaScript (``sciplan.js``), the same panel opens as a modal dialog before the first POST, and its
  确认 button sends the form with ``confirm=1`` at once.

Either way the server only acts on a POST that carries ``confirm=1``, so a stray click, a replayed
request or a script that skips the dialog cannot take the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from django.http import HttpRequest

CONFIRM_FIELD = "confirm"


class Kind(StrEnum):
    """What kind of action a button takes, which is also its colour (``.btn``, ``.btn-secondary``,
    ``.btn-danger`` in ``sciplan.css``)."""

    PRIMARY = "primary"  # moves the matter forward: 受理, 推荐, 审核通过, 发布公示
    SECONDARY = "secondary"  # sends it back for another round: 退回修改, 补正
    DESTRUCTIVE = "destructive"  # ends it or refuses it for good: 不予推荐, 不通过, 撤销认定

    @property
    def css(self) -> str:
        return {"primary": "btn", "secondary": "btn btn-secondary", "destructive": "btn btn-danger"}[
            self.value
        ]


@dataclass(frozen=True)
class Confirmation:
    """The question asked before one irreversible action.

    ``happens`` are the consequences, one sentence each, in the order they follow; ``told`` says who is
    notified (or that nobody is). ``key`` tells apart several confirmable forms on one page, so the view
    opens only the panel of the form that was posted.
    """

    key: str
    title: str
    happens: tuple[str, ...]
    told: str
    button: str
    kind: Kind = Kind.PRIMARY
    open: bool = False

    @property
    def css(self) -> str:
        return self.kind.css

    def opened(self) -> Confirmation:
        return replace(self, open=True)


def confirmed(request: HttpRequest) -> bool:
    """Whether this POST is the confirmed one (the dialog's or the panel's 确认 button)."""
    return request.POST.get(CONFIRM_FIELD) == "1"


def open_only(confirmations: dict[str, Confirmation], key: str) -> dict[str, Confirmation]:
    """The page's confirmations with the panel of ``key`` open and every other one closed."""
    return {k: (c.opened() if k == key else replace(c, open=False)) for k, c in confirmations.items()}
