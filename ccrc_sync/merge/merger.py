"""The three-way merge: base, workbook and sheet tables in; changes, conflicts and holds out.

Staff edit both sides at once, so copying one side over the other would destroy someone's
work. Instead every cell is judged against the *base*, the last version both sides agreed
on: a cell changed on one side only is carried to the other; a cell changed on both sides
differently is a conflict that nobody overwrites. Values are compared through
`schema.normalise`, so the same thing written differently never counts as an edit.

What the merge will not do is as important as what it does. It never merges a row whose
key is in doubt (a Rec No. claimed twice, or a side whose key column is broken, where a
"missing" row may only have lost its number), never takes a vanished row or a vanished
column's worth of values as deliberate when too much vanished at once, never fills a
blank from the other side without an agreed version, and never carries the older values
of a restored copy. Each of those is *held*: nothing is written for it and its base stays
as it was, so once a person sorts it out the next run carries whatever is then true.

Everything here is pure: plain tables in, a frozen `MergeResult` out. The caller writes the
changes to both sides and only then commits `MergeResult.base`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ccrc_sync.config import Policy
from ccrc_sync.merge.model import (
    Change,
    Conflict,
    ConflictKind,
    Deletion,
    Hold,
    HoldReason,
    MergeResult,
    MergeSettings,
    Row,
    Side,
    SideRows,
    Table,
)
from ccrc_sync.schema import FIELDS, REC_NO, RecNo, Value, is_blank, normalise, rec_sort_key

# Kept in a base row for what the sides have never agreed on (no agreed version, or a
# rebase): the fields still unsettled, or the side that alone has the row. Such cells and
# rows stay conflicts until the two sides agree; nothing is filled in from either side.
UNSETTLED = "~unsettled"
ONE_SIDE = "~one-side"

# A column counts as "cleared as a whole" only when at least this many agreed values in
# it went blank at once: a person clearing one or two cells is editing, not losing a column.
WHOLE_COLUMN_MIN = 3


@dataclass
class _Merger:
    """One merge's settings and the plan it accumulates, row by row in Rec No. order."""

    fields: tuple[str, ...]
    settings: MergeSettings
    first_sync: bool
    held_columns: frozenset[tuple[Side, str]] = frozenset()
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    base: Table = field(default_factory=dict)

    def key(self, name: str, value: Value) -> str:
        return normalise(name, value, self.settings.statuses, self.settings.sections)

    def is_invalid(self, side: Side, rec_no: RecNo, name: str) -> bool:
        return (side, rec_no, name) in self.settings.invalid

    # -- rows

    def merge_row(
        self, rec_no: RecNo, base: Row | None, wb: Row, sh: Row, kind: ConflictKind
    ) -> None:
        """A row on both sides: merge cell by cell. Without an agreed version of a cell,
        a difference is a conflict: nothing is filled in from the other side."""
        old: Row = base or {}
        merged: Row = {k: v for k, v in old.items() if k not in (UNSETTLED, ONE_SIDE)}
        if base is None or ONE_SIDE in old:
            unsettled = set(self.fields)
        else:
            unsettled = set(_names(old.get(UNSETTLED)))
        still: list[str] = []
        for name in self.fields:
            unknown = name in unsettled
            before = len(self.conflicts)
            merged[name] = self.merge_cell(
                rec_no,
                name,
                None if unknown else old.get(name),
                wb.get(name),
                sh.get(name),
                ConflictKind.FIRST if unknown else kind,
                unknown,
            )
            if unknown and len(self.conflicts) > before:
                still.append(name)
        if still:
            merged[UNSETTLED] = ",".join(still)
        self.base[rec_no] = merged

    def merge_cell(
        self,
        rec_no: RecNo,
        name: str,
        base: Value,
        wb: Value,
        sh: Value,
        kind: ConflictKind,
        unknown_base: bool = False,
    ) -> Value:
        """Plan one cell; return the value the base should hold afterwards."""
        if type(base) is type(wb) is type(sh) and base == wb == sh:
            return base  # untouched everywhere: most cells of most runs
        base_key, wb_key, sh_key = self.key(name, base), self.key(name, wb), self.key(name, sh)
        if wb_key == sh_key:
            # Agreed (perhaps written differently): keep the stored base if it already says
            # the same, so an untouched plan never churns the base.
            return base if base_key == wb_key and not unknown_base else _stored(wb)
        wb_edited, sh_edited = (
            (True, True) if unknown_base else (wb_key != base_key, sh_key != base_key)
        )
        if (wb_edited and self.is_invalid(Side.WORKBOOK, rec_no, name)) or (
            sh_edited and self.is_invalid(Side.SHEET, rec_no, name)
        ):
            # An invalid edit is held where it was typed: validation reports it, and once it
            # is fixed it is still an edit against the unchanged base, so it then propagates.
            return base
        for side, edited in ((Side.WORKBOOK, wb_edited), (Side.SHEET, sh_edited)):
            if edited and (side, name) in self.held_columns:
                return base  # a whole column emptied at once: held, reported once
        restored = self.settings.restored
        if restored is not None and (wb_edited if restored is Side.WORKBOOK else sh_edited):
            self.conflicts.append(
                Conflict(rec_no, name, base, wb, sh, ConflictKind.RESTORED, restored)
            )
            return base
        if wb_edited and sh_edited:
            if self.settings.policy is Policy.FLAG:
                self.conflicts.append(Conflict(rec_no, name, base, wb, sh, kind))
                return base  # unchanged, so the cell stays flagged until the sides agree
            source = Side.WORKBOOK if self.settings.policy is Policy.WORKBOOK_WINS else Side.SHEET
            if unknown_base and is_blank(wb if source is Side.WORKBOOK else sh):
                # Nobody typed anything on the winning side to win with.
                source = source.other
        else:
            source = Side.WORKBOOK if wb_edited else Side.SHEET
        new, old = (wb, sh) if source is Side.WORKBOOK else (sh, wb)
        if (source.other, rec_no, name) in self.settings.locked:
            self.holds.append(Hold(HoldReason.LOCKED, source, rec_no, name, new))
            return base
        self.changes.append(Change(rec_no, name, source, source.other, old, new))
        return _stored(new)

    def added_both(self, rec_no: RecNo, wb: Row, sh: Row) -> None:
        """The same Rec No. added on both sides since the last sync.

        Rows that differ anywhere (a blank against a value included) may be two different
        recommendations under one number, so nothing is filled in from either side (that
        could splice them into one row): every differing cell is flagged, and the row stays
        out of the base, so it stays flagged until a person makes the two rows agree.
        """
        differing = [n for n in self.fields if self.key(n, wb.get(n)) != self.key(n, sh.get(n))]
        if not differing:
            self.merge_row(
                rec_no, {n: _stored(wb.get(n)) for n in self.fields}, wb, sh, ConflictKind.ADDED
            )
            return
        if self.settings.policy is Policy.FLAG:
            for name in differing:
                self.conflicts.append(
                    Conflict(rec_no, name, None, wb.get(name), sh.get(name), ConflictKind.ADDED)
                )
            return
        # A "wins" policy settles the clashes; a blank on the winning side still takes the
        # other side's value, since nobody typed anything there to win with.
        winner = Side.WORKBOOK if self.settings.policy is Policy.WORKBOOK_WINS else Side.SHEET
        rows = {Side.WORKBOOK: wb, Side.SHEET: sh}
        agreed: Row = {n: _stored(wb.get(n)) for n in self.fields}
        for name in differing:
            source = winner if not is_blank(rows[winner].get(name)) else winner.other
            new, old = rows[source].get(name), rows[source.other].get(name)
            if (source.other, rec_no, name) in self.settings.locked:
                self.holds.append(Hold(HoldReason.LOCKED, source, rec_no, name, new))
                agreed[name] = None
                continue
            self.changes.append(Change(rec_no, name, source, source.other, old, new))
            agreed[name] = _stored(new)
        self.base[rec_no] = agreed

    def new_row(self, rec_no: RecNo, side: Side, row: Row) -> None:
        """A row on one side only, unknown to the base: append it to the other side."""
        if self.is_invalid(side, rec_no, REC_NO):
            return  # a row whose Rec No. fails validation is not copied anywhere yet
        if self.first_sync or self.settings.restored is side:
            # Without an agreed version a row on one side may be one the other side
            # deleted; a restored copy's extra rows are old ones. A person decides.
            ident = _ident(row, rec_no)
            wb, sh = (ident, None) if side is Side.WORKBOOK else (None, ident)
            kind = ConflictKind.ONE_SIDE if self.first_sync else ConflictKind.RESTORED
            self.conflicts.append(Conflict(rec_no, None, None, wb, sh, kind, side))
            if self.first_sync:
                self.base[rec_no] = {ONE_SIDE: side.value}
            return
        merged: Row = {}
        for name in self.fields:
            value = row.get(name)
            if is_blank(value) or self.is_invalid(side, rec_no, name):
                merged[name] = None
                continue
            self.changes.append(Change(rec_no, name, side, side.other, None, value, new_row=True))
            merged[name] = value
        self.base[rec_no] = merged

    def deleted_row(
        self, rec_no: RecNo, base: Row, side: Side, row: Row, *, propagate: bool
    ) -> None:
        """A known row is still on `side` but gone from the other side.

        Deleting is never automatic when the surviving side edited the row: the edit is
        kept and each edited cell is flagged. Otherwise the deletion is flagged, or
        propagated when configured. While flagged, the base keeps the row.
        """
        gone = side.other
        edited = [n for n in self.fields if self.key(n, row.get(n)) != self.key(n, base.get(n))]
        for name in edited:
            value = row.get(name)
            wb, sh = (value, None) if side is Side.WORKBOOK else (None, value)
            self.conflicts.append(
                Conflict(rec_no, name, base.get(name), wb, sh, ConflictKind.DELETED_EDITED, gone)
            )
        if not edited and propagate:
            self.deletions.append(Deletion(rec_no, side))
            return
        if not edited:
            # The row's own Rec No. stands for it; None marks the side that deleted it.
            ident = _ident(row, rec_no)
            wb, sh = (ident, None) if side is Side.WORKBOOK else (None, ident)
            self.conflicts.append(
                Conflict(rec_no, None, _ident(base, rec_no), wb, sh, ConflictKind.DELETED, gone)
            )
        self.base[rec_no] = dict(base)

    def result(self) -> MergeResult:
        return MergeResult(
            tuple(self.changes),
            tuple(self.conflicts),
            tuple(self.deletions),
            tuple(self.holds),
            self.base,
        )


def _names(value: Value) -> list[str]:
    """The field names kept under `UNSETTLED` (comma-separated, so the base stays a row of
    plain values)."""
    return [n for n in str(value or "").split(",") if n]


def _stored(value: Value) -> Value:
    """What the base keeps: the side's actual value (a date stays a date); blank is None."""
    return None if is_blank(value) else value


def _ident(row: Mapping[str, Value], rec_no: RecNo) -> Value:
    value = row.get(REC_NO)
    return rec_no if is_blank(value) else value


def _cleared_columns(
    known: Mapping[RecNo, Mapping[str, Value]],
    sides: Mapping[Side, SideRows],
    fields: Sequence[str],
    settings: MergeSettings,
) -> frozenset[tuple[Side, str]]:
    """(side, column) where every agreed value of the column went blank at once, on rows
    that side still has: a column deleted and put back empty, or filled down with blanks.
    """
    held: set[tuple[Side, str]] = set()
    known = {r: row for r, row in known.items() if ONE_SIDE not in row}
    for side, rows in sides.items():
        for name in fields:
            if name == REC_NO or name in settings.accept_clears:
                continue
            had = [r for r, old in known.items() if r in rows.rows and not is_blank(old.get(name))]
            if len(had) < WHOLE_COLUMN_MIN:
                continue
            if all(is_blank(rows.rows[r].get(name)) for r in had):
                held.add((side, name))
    return frozenset(held)


_DEFAULT = MergeSettings()


def merge(
    base: Mapping[RecNo, Mapping[str, Value]] | None,
    workbook: SideRows,
    sheet: SideRows,
    settings: MergeSettings = _DEFAULT,
) -> MergeResult:
    """Plan one reconciliation of `workbook` and `sheet` against `base`.

    `base` is None before the first sync (and after `sync --rebase`). Only the fields both
    sides have are compared; other fields keep their base values. Output is ordered by
    Rec No., then by field.
    """
    fields = tuple(f for f in FIELDS if f in workbook.fields and f in sheet.fields)
    known: Mapping[RecNo, Mapping[str, Value]] = base or {}
    sides = {Side.WORKBOOK: workbook, Side.SHEET: sheet}
    cleared = _cleared_columns(known, sides, fields, settings) if base is not None else frozenset()
    merger = _Merger(fields, settings, first_sync=base is None, held_columns=cleared)
    for side, name in sorted(cleared):
        merger.holds.append(Hold(HoldReason.COLUMN_CLEARED, side, None, name))

    doubtful = workbook.doubtful | sheet.doubtful
    vanished = _vanished(known, sides, doubtful)
    too_many = {
        side
        for side, keys in vanished.items()
        if sides[side].healthy
        and len(keys) > 1
        and len(keys) > settings.max_deletion_share * len(known)
    }
    for side in sorted(too_many):
        merger.holds.append(Hold(HoldReason.MANY_DELETED, side, None, None, len(vanished[side])))

    for rec_no in sorted(
        set(known) | set(workbook.rows) | set(sheet.rows) | doubtful, key=rec_sort_key
    ):
        old = known.get(rec_no)
        if rec_no in doubtful:
            # Several rows claim this Rec No.: none of them is merged, on either side.
            for side in (s for s in Side if rec_no in sides[s].doubtful):
                merger.holds.append(Hold(HoldReason.KEY_IN_DOUBT, side, rec_no))
            if old is not None:
                merger.base[rec_no] = dict(old)
            continue
        wb, sh = workbook.rows.get(rec_no), sheet.rows.get(rec_no)
        if old is not None and ONE_SIDE in old:
            # Never agreed: on one side only it stays a conflict; on both it is merged
            # cell by cell without an agreed version; on neither it is gone.
            if wb is not None and sh is not None:
                merger.merge_row(rec_no, dict(old), dict(wb), dict(sh), ConflictKind.FIRST)
            elif wb is not None or sh is not None:
                side = Side.WORKBOOK if wb is not None else Side.SHEET
                merger.first_sync, was = True, merger.first_sync
                merger.new_row(rec_no, side, dict(wb if wb is not None else sh or {}))
                merger.first_sync = was
            continue
        if wb is not None and sh is not None:
            if old is None and base is not None:
                merger.added_both(rec_no, dict(wb), dict(sh))
                continue
            kind = ConflictKind.EDIT if old is not None else ConflictKind.FIRST
            merger.merge_row(
                rec_no, dict(old) if old is not None else None, dict(wb), dict(sh), kind
            )
        elif old is None:
            side = Side.WORKBOOK if wb is not None else Side.SHEET
            merger.new_row(rec_no, side, dict(wb if wb is not None else sh or {}))
        elif wb is not None or sh is not None:
            side = Side.WORKBOOK if wb is not None else Side.SHEET
            gone = side.other
            if not sides[gone].healthy or gone in too_many or settings.restored is gone:
                # It may only have lost its number, or many rows went at once, or the side
                # is an old copy: keep it everywhere until a person has looked.
                if not sides[gone].healthy:
                    merger.holds.append(Hold(HoldReason.KEYS_BROKEN, gone, rec_no))
                merger.base[rec_no] = dict(old)
                continue
            merger.deleted_row(
                rec_no,
                dict(old),
                side,
                dict(wb if wb is not None else sh or {}),
                propagate=settings.propagate_deletions,
            )
        # Deleted on both sides: agreed, so the row simply leaves the base.
    return merger.result()


def _vanished(
    known: Mapping[RecNo, Mapping[str, Value]],
    sides: Mapping[Side, SideRows],
    doubtful: Collection[RecNo],
) -> dict[Side, list[RecNo]]:
    """Agreed rows gone from each side while the other side still has them."""
    out: dict[Side, list[RecNo]] = {Side.WORKBOOK: [], Side.SHEET: []}
    for rec_no, row in known.items():
        if rec_no in doubtful or ONE_SIDE in row:
            continue
        for side in Side:
            if rec_no not in sides[side].rows and rec_no in sides[side.other].rows:
                out[side].append(rec_no)
    return out
