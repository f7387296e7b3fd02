"""The panel draw as a pure function of its record, so anyone can re-run it (SPEC §8).

A draw reads only a *snapshot*: the pool ordered by expert id with the attributes the rules look at,
and for each application its field, its units (lead and members, name and USCC), its avoid list, the
experts who declared a conflict, and the seats already taken. ``random.Random(seed)`` then samples
from the eligible experts in pool order. The same seed and snapshot always give the same panel;
nothing outside the record (the clock, the database order, other draws) can change the result.
"""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shortfall:
    """Why experts of the field cannot be drawn, each counted once under the first rule that stops them.

    ``in_field`` are the pool's active experts of the field; each later count is subtracted in order:
    a conflict with the lead unit or a member, the avoid list (or a declared recusal), no usable
    account (none, or deactivated: they could never sign in to score), already on the panel.
    """

    in_field: int
    unit_conflict: int
    avoided: int
    no_account: int
    taken: int
    eligible: int

    def sentence(self, needed: int) -> str:
        return (
            f"本领域在库专家{self.in_field}名，其中与牵头单位或成员单位同单位的{self.unit_conflict}名、"
            f"在回避名单中或已声明回避的{self.avoided}名、没有可用登录账号的{self.no_account}名、"
            f"已在本评审组的{self.taken}名，可抽取的只有{self.eligible}名，少于所需的{needed}名，未抽取。"
        )


class PoolTooSmall(Exception):
    def __init__(self, eligible: int, needed: int, shortfall: Shortfall | None = None):
        message = (
            shortfall.sentence(needed)
            if shortfall is not None
            else f"可抽取的专家只有{eligible}名，少于所需的{needed}名，未抽取。"
        )
        super().__init__(message)
        self.eligible = eligible
        self.needed = needed
        self.shortfall = shortfall


def normalise_org(name: str) -> str:
    """Compare organisation names as people write them: full-width, spaces and brackets ignored."""
    text = unicodedata.normalize("NFKC", name or "")
    return "".join(ch for ch in text if not ch.isspace()).replace("(", "（").replace(")", "）").casefold()


def unit_conflict(expert: dict[str, Any], application: dict[str, Any]) -> str | None:
    """Why ``expert`` works at a unit of ``application``'s consortium, or ``None``."""
    org = normalise_org(expert.get("organisation", ""))
    uscc = (expert.get("uscc") or "").strip().upper()
    for unit in application.get("units", []):
        if uscc and unit.get("uscc") and uscc == unit["uscc"].strip().upper():
            return f"所在单位为联合体单位（{unit.get('name', '')}）"
        if org and org == normalise_org(unit.get("name", "")):
            return f"所在单位为联合体单位（{unit.get('name', '')}）"
    return None


def conflict_reason(expert: dict[str, Any], application: dict[str, Any]) -> str | None:
    """Why ``expert`` may not sit on ``application``'s panel, or ``None``."""
    if expert["id"] in application.get("declared", []):
        return "本人已声明回避"
    if expert["id"] in application.get("avoid", []):
        return "在申报单位回避名单中"
    return unit_conflict(expert, application)


def _stop(expert: dict[str, Any], snapshot: dict[str, Any], taken: set[int]) -> str | None:
    """The first rule that keeps an active expert of the field off the panel, or ``None``."""
    applications = snapshot["applications"]
    if any(unit_conflict(expert, app) for app in applications):
        return "unit_conflict"
    if any(conflict_reason(expert, app) for app in applications):  # what is left: avoid list, declared
        return "avoided"
    # Snapshots recorded before accounts were part of the rule carry no "account": they re-run as drawn.
    if not expert.get("account", True):
        return "no_account"
    if expert["id"] in taken:
        return "taken"
    return None


def _in_field(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    field = snapshot["field"]
    return [
        e
        for e in sorted(snapshot["pool"], key=lambda e: e["id"])
        if e.get("active", True) and field in e.get("fields", [])
    ]


def eligible(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The experts who may be drawn, in pool order."""
    taken = set(snapshot.get("taken", []))
    return [e for e in _in_field(snapshot) if _stop(e, snapshot, taken) is None]


def shortfall(snapshot: dict[str, Any]) -> Shortfall:
    taken = set(snapshot.get("taken", []))
    experts = _in_field(snapshot)
    counts = {"unit_conflict": 0, "avoided": 0, "no_account": 0, "taken": 0}
    for expert in experts:
        stop = _stop(expert, snapshot, taken)
        if stop is not None:
            counts[stop] += 1
    return Shortfall(in_field=len(experts), eligible=len(experts) - sum(counts.values()), **counts)


def run(snapshot: dict[str, Any], *, seed: str, size: int) -> list[int]:
    """The drawn expert ids, in drawing order. Raises :class:`PoolTooSmall`."""
    candidates = eligible(snapshot)
    if len(candidates) < size:
        raise PoolTooSmall(len(candidates), size, shortfall(snapshot))
    # Not for secrecy: the draw must be re-runnable from its record; the seed itself comes from secrets.
    rng = random.Random(seed)  # noqa: S311
    return [expert["id"] for expert in rng.sample(candidates, size)]


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    payload = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


MALFORMED_SNAPSHOT = "复核不一致：抽取快照不完整或格式有误，无法重新抽取，记录可能被改动。"


@dataclass(frozen=True)
class Verification:
    ok: bool
    expected: list[int]
    recomputed: list[int]
    hash_ok: bool
    message: str


def verify(
    *, snapshot: dict[str, Any], seed: str, size: int, result: list[int], recorded_hash: str
) -> Verification:
    hash_ok = snapshot_hash(snapshot) == recorded_hash
    try:
        recomputed = run(snapshot, seed=seed, size=size)
    except PoolTooSmall as exc:
        return Verification(False, list(result), [], hash_ok, str(exc))
    except (KeyError, TypeError, AttributeError, ValueError):
        # A snapshot missing its field or pool, or with entries of the wrong shape, was changed behind
        # the application's back (every recorded snapshot has them): that is what verifying is for, so
        # it is a finding, not a server error.
        return Verification(False, list(result), [], hash_ok, MALFORMED_SNAPSHOT)
    ok = hash_ok and recomputed == list(result)
    if ok:
        message = "复核一致：以记录的抽取号和抽取时的专家库名单重新抽取，结果与原抽取完全相同。"
    elif not hash_ok:
        message = "复核不一致：抽取快照与记录的校验值不符，记录可能被改动。"
    else:
        message = "复核不一致：重新抽取的结果与记录不同。"
    return Verification(ok, list(result), recomputed, hash_ok, message)
