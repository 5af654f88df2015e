"""The three-way merge: base, workbook and sheet tables in, a plan of changes and conflicts out.

Staff edit both sides at once, so copying one side over the other would destroy someone's
work. Instead every cell is judged against the *base*, the last version both sides agreed
on: a cell changed on one side only is carried to the other; a cell changed on both sides
differently is a conflict that nobody overwrites. Values are compared through
`schema.normalise`, so the same thing written differently (spaces at the ends, `In
progress`, a date typed as text, `15.0`) never counts as an edit.

Everything here is pure: plain tables in, a frozen `MergeResult` out. The caller writes the
changes to both sides and only then commits `MergeResult.base`, so a crash in between
leaves a state from which the next run converges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ccrc_sync.config import Policy
from ccrc_sync.schema import (
    DEFAULT_SECTIONS,
    DEFAULT_STATUSES,
    FIELDS,
    REC_NO,
    Value,
    is_blank,
    normalise,
)

Row = dict[str, Value]
Table = dict[int, Row]


class Side(StrEnum):
    WORKBOOK = "workbook"
    SHEET = "sheet"

    @property
    def other(self) -> Side:
        return Side.SHEET if self is Side.WORKBOOK else Side.WORKBOOK


class ConflictKind(StrEnum):
    """Why a cell or row needs a person. A `str`, so `kind == "edit"` reads naturally."""

    EDIT = "edit"  # changed differently on both sides (or differing on the first sync)
    ADDED = "added"  # the same Rec No. added on both sides with differing contents
    DELETED = "deleted"  # the row was deleted on one side; deletions are not propagated
    DELETED_EDITED = "deleted-edited"  # deleted on one side, edited on the other: edit kept


@dataclass(frozen=True)
class Change:
    """One cell to write. `old` is the target's current value, `new` the source's value."""

    rec_no: int
    field: str
    source: Side
    target: Side
    old: Value
    new: Value
    new_row: bool = False  # the row does not exist on the target yet: append it


@dataclass(frozen=True)
class Conflict:
    """A disagreement left for a person. For a whole-row conflict `field` is None."""

    rec_no: int
    field: str | None
    base: Value
    workbook: Value
    sheet: Value
    kind: str


@dataclass(frozen=True)
class Deletion:
    """A row to delete on `target` (only with `propagate_deletions`)."""

    rec_no: int
    target: Side


@dataclass(frozen=True)
class MergeResult:
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    deletions: tuple[Deletion, ...]
    base: Table  # what to commit once both sides are written

    @property
    def in_sync(self) -> bool:
        """Nothing to write and nothing for a person to look at."""
        return not (self.changes or self.conflicts or self.deletions)


@dataclass
class _Merger:
    """One merge's settings and the plan it accumulates, row by row in Rec No. order."""

    fields: tuple[str, ...]
    policy: Policy
    propagate_deletions: bool
    invalid: frozenset[tuple[Side, int, str]]
    statuses: tuple[str, ...]
    sections: tuple[str, ...]
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    base: Table = field(default_factory=dict)

    def key(self, name: str, value: Value) -> str:
        return normalise(name, value, self.statuses, self.sections)

    def is_invalid(self, side: Side, rec_no: int, name: str) -> bool:
        return (side, rec_no, name) in self.invalid

    # -- rows

    def merge_row(self, rec_no: int, base: Row | None, wb: Row, sh: Row, kind: str) -> None:
        """A row on both sides: merge cell by cell. A missing base counts as blank cells,
        which gives exactly the first-sync rules (empty takes the other's value)."""
        merged: Row = dict(base) if base is not None else {}
        old = base or {}
        for name in self.fields:
            merged[name] = self.merge_cell(
                rec_no, name, old.get(name), wb.get(name), sh.get(name), kind
            )
        self.base[rec_no] = merged

    def merge_cell(
        self, rec_no: int, name: str, base: Value, wb: Value, sh: Value, kind: str
    ) -> Value:
        """Plan one cell; return the value the base should hold afterwards."""
        if type(base) is type(wb) is type(sh) and base == wb == sh:
            return base  # untouched everywhere: most cells of most runs
        base_key, wb_key, sh_key = self.key(name, base), self.key(name, wb), self.key(name, sh)
        if wb_key == sh_key:
            # Agreed (perhaps written differently): keep the stored base if it already says
            # the same, so an untouched plan never churns the base.
            return base if base_key == wb_key else _stored(wb)
        wb_edited, sh_edited = wb_key != base_key, sh_key != base_key
        if (wb_edited and self.is_invalid(Side.WORKBOOK, rec_no, name)) or (
            sh_edited and self.is_invalid(Side.SHEET, rec_no, name)
        ):
            # An invalid edit is held where it was typed: validation reports it, and once it
            # is fixed it is still an edit against the unchanged base, so it then propagates.
            return base
        if wb_edited and sh_edited:
            if self.policy is Policy.FLAG:
                self.conflicts.append(Conflict(rec_no, name, base, wb, sh, kind))
                return base  # unchanged, so the cell stays flagged until the sides agree
            source = Side.WORKBOOK if self.policy is Policy.WORKBOOK_WINS else Side.SHEET
        else:
            source = Side.WORKBOOK if wb_edited else Side.SHEET
        new, old = (wb, sh) if source is Side.WORKBOOK else (sh, wb)
        self.changes.append(Change(rec_no, name, source, source.other, old, new))
        return _stored(new)

    def added_both(self, rec_no: int, wb: Row, sh: Row) -> None:
        """The same Rec No. added on both sides since the last sync.

        Rows that differ anywhere (a blank against a value included) may be two different
        recommendations under one number, so nothing is filled in from either side (that
        could splice them into one row): every differing cell is flagged, and the row stays
        out of the base, so it stays flagged until a person makes the two rows agree.
        """
        differing = [n for n in self.fields if self.key(n, wb.get(n)) != self.key(n, sh.get(n))]
        if not differing:
            self.merge_row(rec_no, None, wb, sh, ConflictKind.ADDED)
            return
        if self.policy is Policy.FLAG:
            for name in differing:
                self.conflicts.append(
                    Conflict(rec_no, name, None, wb.get(name), sh.get(name), ConflictKind.ADDED)
                )
            return
        # A "wins" policy settles the clashes; a blank on the winning side still takes the
        # other side's value, since nobody typed anything there to win with.
        winner = Side.WORKBOOK if self.policy is Policy.WORKBOOK_WINS else Side.SHEET
        rows = {Side.WORKBOOK: wb, Side.SHEET: sh}
        agreed: Row = {n: _stored(wb.get(n)) for n in self.fields}
        for name in differing:
            source = winner if not is_blank(rows[winner].get(name)) else winner.other
            new, old = rows[source].get(name), rows[source.other].get(name)
            self.changes.append(Change(rec_no, name, source, source.other, old, new))
            agreed[name] = _stored(new)
        self.base[rec_no] = agreed

    def new_row(self, rec_no: int, side: Side, row: Row) -> None:
        """A row on one side only, unknown to the base: append it to the other side."""
        if self.is_invalid(side, rec_no, REC_NO):
            return  # a row whose Rec No. fails validation is not copied anywhere yet
        merged: Row = {}
        for name in self.fields:
            value = row.get(name)
            if is_blank(value) or self.is_invalid(side, rec_no, name):
                merged[name] = None
                continue
            self.changes.append(Change(rec_no, name, side, side.other, None, value, new_row=True))
            merged[name] = value
        self.base[rec_no] = merged

    def deleted_row(self, rec_no: int, base: Row, side: Side, row: Row) -> None:
        """A known row is still on `side` but gone from the other side.

        Deleting is never automatic when the surviving side edited the row: the edit is
        kept and each edited cell is flagged. Otherwise the deletion is flagged, or
        propagated when configured. While flagged, the base keeps the row.
        """
        edited = [n for n in self.fields if self.key(n, row.get(n)) != self.key(n, base.get(n))]
        for name in edited:
            value = row.get(name)
            wb, sh = (value, None) if side is Side.WORKBOOK else (None, value)
            self.conflicts.append(
                Conflict(rec_no, name, base.get(name), wb, sh, ConflictKind.DELETED_EDITED)
            )
        if not edited and self.propagate_deletions:
            self.deletions.append(Deletion(rec_no, side))
            return
        if not edited:
            # The row's own Rec No. stands for it; None marks the side that deleted it.
            ident = _ident(row, rec_no)
            wb, sh = (ident, None) if side is Side.WORKBOOK else (None, ident)
            self.conflicts.append(
                Conflict(rec_no, None, _ident(base, rec_no), wb, sh, ConflictKind.DELETED)
            )
        self.base[rec_no] = dict(base)

    def result(self) -> MergeResult:
        return MergeResult(
            tuple(self.changes), tuple(self.conflicts), tuple(self.deletions), self.base
        )


def _stored(value: Value) -> Value:
    """What the base keeps: the side's actual value (a date stays a date); blank is None."""
    return None if is_blank(value) else value


def _ident(row: Row, rec_no: int) -> Value:
    value = row.get(REC_NO)
    return rec_no if is_blank(value) else value


def merge(
    base: Mapping[int, Mapping[str, Value]] | None,
    workbook: Mapping[int, Mapping[str, Value]],
    sheet: Mapping[int, Mapping[str, Value]],
    *,
    fields: Sequence[str] = FIELDS,
    policy: Policy = Policy.FLAG,
    propagate_deletions: bool = False,
    invalid: Collection[tuple[Side, int, str]] = (),
    statuses: Iterable[str] = DEFAULT_STATUSES,
    sections: Iterable[str] = DEFAULT_SECTIONS,
) -> MergeResult:
    """Plan one reconciliation of `workbook` and `sheet` against `base`.

    `base` is None before the first successful sync. Only `fields` are compared (the caller
    passes the fields present on both sides); other fields keep their base values. Cells in
    `invalid` (side, Rec No., field) failed validation on that side and are never carried
    across. Output is ordered by Rec No., then by the order of `fields`.
    """
    merger = _Merger(
        fields=tuple(fields),
        policy=Policy(policy),
        propagate_deletions=propagate_deletions,
        invalid=frozenset((Side(s), r, f) for s, r, f in invalid),
        statuses=tuple(statuses),
        sections=tuple(sections),
    )
    known = base or {}
    both_kind = ConflictKind.EDIT if base is None else ConflictKind.ADDED
    for rec_no in sorted(set(known) | set(workbook) | set(sheet)):
        old = known.get(rec_no)
        wb, sh = workbook.get(rec_no), sheet.get(rec_no)
        if wb is not None and sh is not None:
            if old is None and base is not None:
                merger.added_both(rec_no, dict(wb), dict(sh))
                continue
            kind = ConflictKind.EDIT if old is not None else both_kind
            merger.merge_row(rec_no, _row(old), dict(wb), dict(sh), kind)
        elif old is None:
            side = Side.WORKBOOK if wb is not None else Side.SHEET
            merger.new_row(rec_no, side, dict(wb if wb is not None else sh or {}))
        elif wb is not None or sh is not None:
            side = Side.WORKBOOK if wb is not None else Side.SHEET
            merger.deleted_row(rec_no, dict(old), side, dict(wb if wb is not None else sh or {}))
        # Deleted on both sides: agreed, so the row simply leaves the base.
    return merger.result()


def _row(row: Mapping[str, Value] | None) -> Row | None:
    return dict(row) if row is not None else None
