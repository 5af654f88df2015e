"""What the merge speaks in: sides, changes, conflicts, holds, and each side's rows.

Plain frozen data, shared by the merge itself, the plan of a run, the state, the report
and the tabs, so each can say exactly what happened (a typed conflict kind, never a label
matched by substring).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ccrc_sync.config import Policy
from ccrc_sync.schema import (
    DEFAULT_SECTIONS,
    DEFAULT_STATUSES,
    FIELDS,
    RecNo,
    Value,
)

Row = dict[str, Value]
Table = dict[RecNo, Row]


class Side(StrEnum):
    WORKBOOK = "workbook"
    SHEET = "sheet"

    @property
    def other(self) -> Side:
        return Side.SHEET if self is Side.WORKBOOK else Side.WORKBOOK

    @property
    def label(self) -> str:
        """How a person names the side."""
        return "workbook" if self is Side.WORKBOOK else "Google Sheet"


class ConflictKind(StrEnum):
    """Why a cell or row needs a person; each kind has its own advice."""

    EDIT = "edit"  # changed differently on both sides since the last sync
    FIRST = "first-sync"  # no agreed version yet, and the two sides differ
    ADDED = "added"  # the same Rec No. added on both sides with different contents
    DELETED = "deleted"  # deleted on one side (`side`); deletions are not propagated
    DELETED_EDITED = "deleted-edited"  # deleted on `side`, edited on the other: edit kept
    ONE_SIDE = "one-side"  # no agreed version, and the row is only on `side`
    RESTORED = "restored"  # `side` looks like a restored older copy; its value not carried


class HoldReason(StrEnum):
    """Why something was neither carried nor flagged as a conflict this run."""

    KEY_IN_DOUBT = "key-in-doubt"  # the Rec No. is claimed by more than one row
    KEYS_BROKEN = "keys-broken"  # the side it vanished from has a broken Rec No. column
    MANY_DELETED = "many-deleted"  # too many rows vanished from one side at once
    COLUMN_CLEARED = "column-cleared"  # a whole column was emptied on one side at once
    LOCKED = "locked"  # the target cell cannot be written (a workbook formula)


@dataclass(frozen=True)
class Change:
    """One cell to write. `old` is the target's current value, `new` the source's value."""

    rec_no: RecNo
    field: str
    source: Side
    target: Side
    old: Value
    new: Value
    new_row: bool = False  # the row does not exist on the target yet: append it


@dataclass(frozen=True)
class Conflict:
    """A disagreement left for a person. For a whole-row conflict `field` is None."""

    rec_no: RecNo
    field: str | None
    base: Value
    workbook: Value
    sheet: Value
    kind: ConflictKind
    side: Side | None = None  # which side deleted / holds the row / was restored


@dataclass(frozen=True)
class Deletion:
    """A row to delete on `target` (only with `propagate_deletions`)."""

    rec_no: RecNo
    target: Side


@dataclass(frozen=True)
class Hold:
    """Something held back: on `side` (the side it came from), for `rec_no`/`field`
    (None: every row, or the whole row), and why."""

    reason: HoldReason
    side: Side
    rec_no: RecNo | None = None
    field: str | None = None
    value: Value = None


@dataclass(frozen=True)
class MergeResult:
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    deletions: tuple[Deletion, ...]
    holds: tuple[Hold, ...]
    base: Table  # what to commit once both sides are written

    @property
    def in_sync(self) -> bool:
        """Nothing to write and nothing for a person to look at."""
        return not (self.changes or self.conflicts or self.deletions or self.holds)


@dataclass(frozen=True)
class SideRows:
    """One side's plan as the merge sees it.

    `rows` holds each Rec No. claimed by exactly one row. `doubtful` are Rec Nos. claimed
    by several rows (none of them is merged). `healthy` is False when any row has a blank,
    invalid or formula Rec No.: such a row may be a recommendation that lost its number,
    so nothing missing from this side is taken as deleted. `fields` are the columns this
    side has.
    """

    rows: Mapping[RecNo, Mapping[str, Value]]
    doubtful: frozenset[RecNo] = frozenset()
    healthy: bool = True
    fields: frozenset[str] = frozenset(FIELDS)


@dataclass(frozen=True)
class MergeSettings:
    policy: Policy = Policy.FLAG
    propagate_deletions: bool = False
    # More than this share of the agreed rows vanishing from one side at once is held.
    max_deletion_share: float = 0.2
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    sections: tuple[str, ...] = DEFAULT_SECTIONS
    # (side, Rec No., field): values that failed validation there; never carried from it.
    invalid: frozenset[tuple[Side, RecNo, str]] = frozenset()
    # (side, Rec No., field): cells that cannot be written on that side (a formula).
    locked: frozenset[tuple[Side, RecNo, str]] = frozenset()
    # Columns a person confirmed were meant to be cleared (`sync --accept-clears`).
    accept_clears: frozenset[str] = frozenset()
    # A side whose edits are a restored older copy: held as conflicts, never carried.
    restored: Side | None = None


def side_rows(
    rows: Iterable[tuple[RecNo | None, Mapping[str, Value]]], fields: Iterable[str]
) -> SideRows:
    """A side's rows as the merge takes them: (Rec No. or None when the key is broken,
    values) in sheet order; keys claimed twice become doubtful."""
    seen: dict[RecNo, Mapping[str, Value]] = {}
    doubtful: set[RecNo] = set()
    healthy = True
    for key, values in rows:
        if key is None:
            healthy = False
            continue
        if key in seen:
            doubtful.add(key)
            healthy = False
            continue
        seen[key] = values
    return SideRows(
        rows={k: v for k, v in seen.items() if k not in doubtful},
        doubtful=frozenset(doubtful),
        healthy=healthy,
        fields=frozenset(fields),
    )
