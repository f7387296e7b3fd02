"""Reads of calls. A draft is the bureau's own until it is published: everyone else — applicants,
recommenders, the public and the API — neither lists it nor reaches it by address (404)."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from sciplan.accounts.roles import Role
from sciplan.calls.models import Call, CallState
from sciplan.core.errors import NotFound


def _sees_drafts(user) -> bool:
    return getattr(user, "role", None) == Role.BUREAU


def calls_visible_to(user) -> QuerySet[Call]:
    """Every call ``user`` may open: all of them for bureau staff, the published ones for anyone else."""
    return Call.objects.all() if _sees_drafts(user) else Call.objects.public()


def calls_listed_for(user) -> QuerySet[Call]:
    """The calls the lists show ``user``: bureau staff see drafts too; archived calls only by address."""
    return Call.objects.exclude(state=CallState.ARCHIVED) if _sees_drafts(user) else Call.objects.listed()


def get_call_for(user, pk, *, prefetch: tuple[str, ...] = ("industries", "recommenders")) -> Call:
    try:
        return calls_visible_to(user).prefetch_related(*prefetch).get(pk=pk)
    except (Call.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


# The home page's call cards: the same few rows for every visitor, read from the cache and dropped
# whenever a call is saved or deleted (``forget_call_cards``, connected in ``CallsConfig.ready``). The
# cards' state (未开始/申报中/已截止) is worked out from the clock at render time, so it is never stale.
CALL_CARDS_KEY = "calls:home-cards:v1"
CALL_CARDS_SECONDS = 300
CARD_FIELDS = ("id", "title", "is_practice", "opens_at", "closes_at", "recommend_deadline", "paper_deadline")


def home_call_cards() -> dict[str, list[dict]]:
    """``{"calls": the 5 newest listed calls, "practice": the 3 newest practice calls}`` as card rows."""
    cards = cache.get(CALL_CARDS_KEY)
    if cards is None:
        rows = [
            {**row, "pk": row["id"]} for row in Call.objects.listed().order_by("-opens_at").values(*CARD_FIELDS)
        ]
        cards = {
            "calls": [row for row in rows if not row["is_practice"]][:5],
            "practice": [row for row in rows if row["is_practice"]][:3],
        }
        cache.set(CALL_CARDS_KEY, cards, CALL_CARDS_SECONDS)
    return cards


def forget_call_cards(**_kwargs) -> None:
    cache.delete(CALL_CARDS_KEY)


# The public page of a published call, with its industries, is the same for every visitor who is not
# bureau staff: cached per call and dropped when the call, its industries or an industry's name change.
PUBLIC_CALL_SECONDS = 300


def _public_call_key(pk: int) -> str:
    return f"calls:public-page:v1:{pk}"


def get_public_call(user, pk: int) -> Call:
    """``get_call_for`` for the call's public page; drafts stay the bureau's own (never cached)."""
    if _sees_drafts(user):
        return get_call_for(user, pk, prefetch=("industries",))
    key = _public_call_key(int(pk))
    call = cache.get(key)
    if call is None:
        call = get_call_for(user, pk, prefetch=("industries",))
        cache.set(key, call, PUBLIC_CALL_SECONDS)
    return call


def forget_public_call(*, instance=None, **_kwargs) -> None:
    """Receiver: a call saved or deleted, or its industries changed, drops that call's public page."""
    if isinstance(instance, Call) and instance.pk:
        cache.delete(_public_call_key(instance.pk))
    elif instance is not None:  # industry.calls.add(...): the change came from the industry's side
        forget_public_calls()


def forget_public_calls(**_kwargs) -> None:
    """Receiver: an industry renamed or removed may show on any call's page."""
    cache.delete_many([_public_call_key(pk) for pk in Call.objects.values_list("pk", flat=True)])
