"""What each owner's digest lists: their rows that need attention, found from plain data.

An owner should hear about their own items before they are overdue, not read a
whole-plan report. This module decides which rows those are, per owner, from the plan
table, the change log, the open conflicts and today's date; it does no I/O, so every rule
(what counts as overdue, due soon, changed, in conflict) is tested without a server.

Each row appears once in an owner's digest, under its most pressing reason (a conflict,
then overdue, then due soon, then changed) and carries all its reasons, so the count of
items is the count of rows an owner is asked to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ccrc_sync import words
from ccrc_sync.config import PlanConfig
from ccrc_sync.plan_model import OpenConflict
from ccrc_sync.schema import (
    OWNER,
    RECOMMENDATION,
    STATUS,
    TARGET_DATE,
    RecNo,
    Value,
    canonical,
    display,
    is_overdue,
    rec_sort_key,
    target_date_of,
    uk_date,
)


class Reason(StrEnum):
    """Why a row is in a digest, most pressing first."""

    CONFLICT = "conflict"
    OVERDUE = "overdue"
    DUE = "due"
    CHANGED = "changed"


REASON_ORDER: tuple[Reason, ...] = tuple(Reason)
# How far back "changed since your last digest" looks for an owner never sent one.
FIRST_DIGEST_LOOKBACK = dt.timedelta(days=7)
# A recommendation's text, cut to its first sentence, is never longer than this.
SENTENCE_LIMIT = 200
# The changes listed under one row (newest first); older ones are counted, not listed.
CHANGES_SHOWN = 5


@dataclass(frozen=True)
class CellChange:
    """A change the sync carried (or a conflict it saw resolved) on a row."""

    when: dt.datetime
    field: str
    old: Value
    new: Value
    source: str  # "workbook" | "sheet"
    resolved: bool = False


@dataclass(frozen=True)
class Item:
    """One row in an owner's digest."""

    rec_no: RecNo
    text: str  # the Recommendation cut to its first sentence
    status: str
    target: dt.date | None
    link: str
    reasons: tuple[Reason, ...]
    changes: tuple[CellChange, ...] = ()
    more_changes: int = 0
    conflicts: tuple[OpenConflict, ...] = ()

    @property
    def reason(self) -> Reason:
        return self.reasons[0]


@dataclass(frozen=True)
class OwnerItems:
    """An owner (as first typed in the Owner column) and their rows needing attention."""

    owner: str
    items: tuple[Item, ...]


def owner_key(name: str) -> str:
    """Owner names match ignoring case and spacing: 'Head of  QA' is 'head of qa'."""
    return " ".join(name.split()).casefold()


_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


def is_address(text: str) -> bool:
    return _ADDRESS.fullmatch(text.strip()) is not None


def first_sentence(text: str, limit: int = SENTENCE_LIMIT) -> str:
    """A recommendation as a digest line quotes it: its first sentence, never longer than
    `limit` (cut at a word, with an ellipsis), so a digest line stays a line."""
    return words.first_sentence(text, limit)


def collect(
    table: Mapping[RecNo, Mapping[str, Value]],
    plan: PlanConfig,
    *,
    today: dt.date,
    due_within_days: int,
    changes: Sequence[tuple[RecNo, CellChange]],
    since: Callable[[str], dt.datetime],
    conflicts: Sequence[OpenConflict],
    link: Callable[[RecNo], str],
) -> tuple[list[OwnerItems], list[RecNo]]:
    """Each owner's rows needing attention, and the rows that need it but have no owner.

    `since(owner_key)` is when that owner's last digest went (changes after it count;
    `since("")` for rows without an owner); `link(rec_no)` is the address of the row in the Google Sheet. Owners come out in
    the order their names sort; their rows in Rec No. order.
    """
    horizon = today + dt.timedelta(days=due_within_days)
    changes_of: dict[RecNo, list[CellChange]] = {}
    for rec_no, change in changes:
        changes_of.setdefault(rec_no, []).append(change)
    conflicts_of: dict[RecNo, list[OpenConflict]] = {}
    for conflict in conflicts:
        conflicts_of.setdefault(conflict.rec_no, []).append(conflict)

    names: dict[str, str] = {}
    items_of: dict[str, list[Item]] = {}
    unowned: list[RecNo] = []
    for rec_no in sorted(table, key=rec_sort_key):
        row = table[rec_no]
        owner = " ".join(display(row.get(OWNER)).split())
        key = owner_key(owner)
        status_raw = row.get(STATUS)
        status = canonical(plan.statuses, status_raw) or display(status_raw).strip()
        target = target_date_of(row.get(TARGET_DATE), plan)
        reasons: list[Reason] = []
        own_conflicts = tuple(conflicts_of.get(rec_no, ()))
        if own_conflicts:
            reasons.append(Reason.CONFLICT)
        if is_overdue(target, status_raw, plan, today):
            reasons.append(Reason.OVERDUE)
        elif target is not None and target <= horizon and status != plan.complete_status:
            reasons.append(Reason.DUE)
        cutoff = since(key)  # for a row without an owner: since("")
        recent = sorted(
            (c for c in changes_of.get(rec_no, ()) if c.when > cutoff),
            key=lambda c: c.when,
            reverse=True,
        )
        if recent:
            reasons.append(Reason.CHANGED)
        if not reasons:
            continue
        if not key:
            unowned.append(rec_no)
            continue
        names.setdefault(key, owner)
        items_of.setdefault(key, []).append(
            Item(
                rec_no=rec_no,
                text=first_sentence(display(row.get(RECOMMENDATION))),
                status=status,
                target=target,
                link=link(rec_no),
                reasons=tuple(reasons),
                changes=tuple(recent[:CHANGES_SHOWN]),
                more_changes=max(0, len(recent) - CHANGES_SHOWN),
                conflicts=own_conflicts,
            )
        )
    digests = [OwnerItems(names[k], tuple(items_of[k])) for k in sorted(items_of)]
    return digests, unowned


def owners_in(table: Mapping[RecNo, Mapping[str, Value]]) -> dict[str, str]:
    """owner key -> the name as first typed, for every owner named in the plan."""
    names: dict[str, str] = {}
    for rec_no in sorted(table, key=rec_sort_key):
        owner = " ".join(display(table[rec_no].get(OWNER)).split())
        if owner:
            names.setdefault(owner_key(owner), owner)
    return names


def shown(value: Value) -> str:
    """A value as a digest shows it: dates as 31/03/2027, nothing as 'empty'."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return uk_date(value.date())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return uk_date(value)
    text = display(value).strip()
    return text or "empty"
