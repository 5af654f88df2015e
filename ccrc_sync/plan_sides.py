"""Where one run's decisions land on each side, and how each side reads afterwards.

The merge speaks in Rec Nos. and fields; the workbook and the Google Sheet speak in rows
and columns. This module translates (pure, like `plan`): the merge's changes become cell
edits and appended rows in the workbook's coordinates and writes addressed to a
recommendation's row in the Google Sheet; conflicts become marks on both sides; and each
side's table is replayed forward to how it will read once the writes land.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ccrc_sync import schema
from ccrc_sync.config import Config
from ccrc_sync.layout import TabLayout
from ccrc_sync.merge import ConflictKind, MergeResult, Side, Table
from ccrc_sync.schema import Formula, PlanRow, PlanTable, RecNo, Value
from ccrc_sync.writes import (
    CellEdit,
    CellMark,
    CellUnmark,
    PlanPublish,
    RowAppend,
    SheetCellWrite,
    SheetMark,
    SheetRowAppend,
    SheetUnmark,
    SheetWrites,
    WorkbookWrites,
)

MarkKey = tuple[Side, RecNo, str]
# Conflicts that concern one cell on both sides, which both sides mark.
_MARKED = (
    ConflictKind.EDIT,
    ConflictKind.FIRST,
    ConflictKind.ADDED,
    ConflictKind.RESTORED,
    ConflictKind.DELETED_EDITED,
)


def locked_cells(book: PlanTable, sheet: PlanTable) -> frozenset[MarkKey]:
    """Cells holding a formula, on either side, and workbook cells hidden inside merged
    cells (all but a merge's first): a value is never written over or into one."""
    out: set[MarkKey] = set()
    for side, table in ((Side.WORKBOOK, book), (Side.SHEET, sheet)):
        for row in table.rows:
            key = row.key
            if key is None:
                continue
            for label, value in row.values.items():
                if isinstance(value, Formula) and label != schema.REC_NO:
                    out.add((side, key, label))
    return frozenset(out | merged_cells(book))


def merged_cells(book: PlanTable) -> set[MarkKey]:
    """The workbook's plan cells inside a merge but not its first cell, which Excel hides."""
    hidden: set[tuple[int, int]] = set()
    for ref in book.merged:
        first, _, last = ref.partition(":")
        (r1, c1), (r2, c2) = schema.parse_ref(first), schema.parse_ref(last or first)
        hidden |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - {(r1, c1)}
    out: set[MarkKey] = set()
    for row in book.rows:
        key = row.key
        for label, col in book.columns.items():
            if key is not None and (row.row, col) in hidden and label != schema.REC_NO:
                out.add((Side.WORKBOOK, key, label))
    return out


def base_without(old: Table | None, result: MergeResult, side: Side) -> Table:
    """The base to commit when `side` could not be written: its cells (and rows to
    delete there) keep their old agreed values, so the next run still sees them as
    one-sided and carries them then."""
    held = {r: dict(v) for r, v in result.base.items()}
    known = old or {}
    for d in result.deletions:
        if d.target is side and d.rec_no in known:
            held[d.rec_no] = dict(known[d.rec_no])
    for c in result.changes:
        if c.target is not side:
            continue
        if c.rec_no not in known:
            held.pop(c.rec_no, None)
        elif c.rec_no in held:
            held[c.rec_no][c.field] = known[c.rec_no].get(c.field)
    return held


# ----------------------------------------------------------------------------- after


def after_run(cfg: Config, table: PlanTable, result: MergeResult, side: Side) -> PlanTable:
    """`table` (one side's plan tab) as it will read after this run's writes to `side`.

    New rows land after the last data row, in Rec No. order; a deleted row is blanked and
    so no longer read. Rows no write touches are shared with `table` (not copied), so
    judging the result again costs only the rows that changed.
    """
    mine = sorted(
        (c for c in result.changes if c.target is side and c.field in table.columns),
        key=lambda c: schema.rec_sort_key(c.rec_no),
    )
    gone = {d.rec_no for d in result.deletions if d.target is side}
    if not mine and not gone:
        return table
    rows: list[PlanRow | None] = list(table.rows)
    index: dict[RecNo, int] = {}
    for n, plan_row in enumerate(table.rows):
        key = plan_row.key
        if key is not None and key not in index:
            index[key] = n
    for key in gone & index.keys():
        rows[index.pop(key)] = None
    last = max([r.row for r in rows if r is not None] + [table.header_row])
    copied: set[int] = set()
    for c in mine:
        found = index.get(c.rec_no)
        if found is None:
            last += 1
            row = PlanRow.model_construct(
                row=last,
                values={label: None for label in table.columns}
                | {schema.REC_NO: schema.rec_cell_value(c.rec_no)},
                extras={},
            )
            rows.append(row)
            index[c.rec_no] = len(rows) - 1
            copied.add(len(rows) - 1)
        else:
            existing = rows[found]
            assert existing is not None
            row = existing
            if found not in copied:
                row = PlanRow.model_construct(
                    row=existing.row, values=dict(existing.values), extras=dict(existing.extras)
                )
                rows[found] = row
                copied.add(found)
        row.values[c.field] = cell_value(cfg, side, c.field, c.new)
    kept = [r for r in rows if r is not None]
    return table.model_copy(update={"rows": kept, "merged": list(table.merged)})


def cell_value(cfg: Config, side: Side, label: str, value: Value) -> Value:
    """The value a write leaves in a `side` cell of column `label`: a Rec No. in the form
    that keeps it text, a formula's text as text (never a formula); and on the Google
    Sheet a drop-down word in its canonical spelling, as a strict drop-down refuses any
    other."""
    if label == schema.REC_NO:
        key = schema.rec_no_of(value)
        return schema.rec_cell_value(key) if key else value
    if isinstance(value, Formula):
        return str(value)
    if side is Side.SHEET and label == schema.STATUS:
        return schema.canonical(cfg.plan.statuses, value) or value
    if side is Side.SHEET and label == schema.SECTION:
        return schema.canonical(cfg.plan.sections, value) or value
    return value


# ----------------------------------------------------------------------------- marks


def marks_for(
    result: MergeResult,
    history_marks: Mapping[MarkKey, str | None],
    book: PlanTable,
    sheet: PlanTable | None,
) -> dict[Side, tuple[list[tuple[RecNo, str, str]], list[tuple[RecNo, str, str | None]]]]:
    """Per side: the conflict marks to set (rec, field, note) and to clear (rec, field,
    token). A mark stays while its conflict does; it goes once the sides agree."""
    wanted: dict[MarkKey, str] = {}
    for c in result.conflicts:
        if c.field is None or c.kind not in _MARKED:
            continue
        note = (
            f"ccrc-sync: a conflict. The workbook says '{schema.display(c.workbook)}', the "
            f"Google Sheet says '{schema.display(c.sheet)}'. Make both say the right value "
            "and this mark goes at the next sync."
        )
        for side in Side:
            wanted[(side, c.rec_no, c.field)] = note
    present = {Side.WORKBOOK: set(book.row_of()), Side.SHEET: set(sheet.row_of() if sheet else {})}
    out: dict[Side, tuple[list[tuple[RecNo, str, str]], list[tuple[RecNo, str, str | None]]]] = {
        side: ([], []) for side in Side
    }
    for (side, rec, label), note in wanted.items():
        if (side, rec, label) not in history_marks and rec in present[side]:
            out[side][0].append((rec, label, note))
    for (side, rec, label), token in history_marks.items():
        if (side, rec, label) not in wanted and rec in present[side]:
            out[side][1].append((rec, label, token))
    return out


# ----------------------------------------------------------------------------- writes


def side_writes(
    cfg: Config,
    book: PlanTable,
    sheet: PlanTable | None,
    result: MergeResult,
    published: PlanPublish | None,
    tabs: Mapping[Side, Mapping[str, TabLayout]],
    marks: Mapping[Side, tuple[list[tuple[RecNo, str, str]], list[tuple[RecNo, str, str | None]]]],
) -> tuple[WorkbookWrites, SheetWrites]:
    """The workbook's cell edits and new rows, and the Google Sheet's writes, for a plan."""
    wb = _placed(cfg, book, result, Side.WORKBOOK, marks[Side.WORKBOOK])
    workbook = WorkbookWrites(
        cells=tuple(CellEdit(row, col, v) for _, row, col, v in wb.cells),
        appends=tuple(RowAppend(values) for _, values in wb.appends),
        tabs=dict(tabs.get(Side.WORKBOOK, {})),
        marks=tuple(CellMark(row, col, note) for _, row, col, note in wb.marks),
        unmarks=tuple(CellUnmark(row, col, token) for _, row, col, token in wb.unmarks),
    )
    if published is not None:
        return workbook, SheetWrites(publish=published, tabs=dict(tabs.get(Side.SHEET, {})))
    assert sheet is not None
    sh = _placed(cfg, sheet, result, Side.SHEET, marks[Side.SHEET])
    return workbook, SheetWrites(
        cells=tuple(SheetCellWrite(*cell) for cell in sh.cells),
        appends=tuple(SheetRowAppend(rec, values) for rec, values in sh.appends),
        tabs=dict(tabs.get(Side.SHEET, {})),
        marks=tuple(SheetMark(*mark) for mark in sh.marks),
        unmarks=tuple(SheetUnmark(*unmark) for unmark in sh.unmarks),
    )


@dataclass(frozen=True)
class _Placed:
    """One side's writes by position, before they take that side's types."""

    cells: list[tuple[RecNo, int, int, Value]]  # rec, row, col, value
    appends: list[tuple[RecNo, dict[int, Value]]]  # in Rec No. order
    marks: list[tuple[RecNo, int, int, str]]  # rec, row, col, note
    unmarks: list[tuple[RecNo, int, int, str | None]]  # rec, row, col, token


def _placed(
    cfg: Config,
    table: PlanTable,
    result: MergeResult,
    side: Side,
    marks: tuple[list[tuple[RecNo, str, str]], list[tuple[RecNo, str, str | None]]],
) -> _Placed:
    """Where on `side` each change, deletion and mark lands: a change to a row the side
    has goes to its cell, one to a row it lacks makes a new row, a deletion blanks the row."""
    rows = table.row_of()
    columns = table.columns
    cells: list[tuple[RecNo, int, int, Value]] = []
    new: dict[RecNo, dict[int, Value]] = {}
    for c in result.changes:
        if c.target is not side or c.field not in columns:
            continue
        col, value = columns[c.field], cell_value(cfg, side, c.field, c.new)
        if c.rec_no in rows:
            cells.append((c.rec_no, rows[c.rec_no], col, value))
        else:
            row = new.setdefault(
                c.rec_no, {columns[schema.REC_NO]: schema.rec_cell_value(c.rec_no)}
            )
            row[col] = value
    every = sorted({*columns.values(), *table.extra_columns.values()})
    for d in result.deletions:
        if d.target is side and d.rec_no in rows:
            cells.extend((d.rec_no, rows[d.rec_no], col, None) for col in every)
    set_marks, unmarks = marks
    return _Placed(
        cells=cells,
        appends=sorted(new.items(), key=lambda i: schema.rec_sort_key(i[0])),
        marks=[
            (rec, rows[rec], columns[label], note)
            for rec, label, note in set_marks
            if rec in rows and label in columns
        ],
        unmarks=[
            (rec, rows[rec], columns[label], token)
            for rec, label, token in unmarks
            if rec in rows and label in columns
        ],
    )


def publish_plan(cfg: Config, book: PlanTable, result: MergeResult) -> PlanPublish:
    """The whole plan tab for an empty Google Sheet: the workbook's header, then each row
    the base agrees on, tagged with its Rec No. A value the base does not hold (it failed
    validation) goes across blank, so the workbook keeps it and it travels once fixed;
    a row whose Rec No. is blank or repeated waits until it has one of its own."""
    ncols = max([len(book.headers), *book.columns.values(), *book.extra_columns.values()])
    headers = tuple(book.headers[i] if i < len(book.headers) else "" for i in range(ncols))
    labels = {col: label for label, col in book.columns.items()}
    extras = {col: text for text, col in book.extra_columns.items()}
    out: list[tuple[str, tuple[Value, ...]]] = []
    for row in book.rows:
        key = row.key
        agreed = result.base.get(key) if key is not None else None
        if key is None or agreed is None:
            continue
        cells: list[Value] = []
        for col in range(1, ncols + 1):
            if col in labels:
                cells.append(cell_value(cfg, Side.SHEET, labels[col], agreed.get(labels[col])))
            else:
                cells.append(row.extras.get(extras[col]) if col in extras else None)
        out.append((key, tuple(cells)))
    return PlanPublish(headers, tuple(out))


def published_table(publish: PlanPublish, title: str) -> PlanTable:
    """The Google Sheet's plan tab as it reads once `publish` lands: built from the very
    rows sent, so a row held back or a value sent blank is not there either."""
    grid: list[list[Value]] = [list(publish.headers), *(list(cells) for _, cells in publish.rows)]
    return schema.table_from_grid(grid, title)
