"""Where things are on a sheet: grid ranges, grid limits, and moving rows and columns.

Shared by the batchUpdate request families and the values endpoints, so both refuse a
range past the sheet's edge with the same sentence Google uses, and both move a row's
cells, properties and developer metadata together when rows are inserted, deleted,
moved or sorted (the docs: metadata "will remain associated at those locations as they
move around ... if the associated object is deleted its metadata is deleted too").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ccrc_sync.emulator import a1
from ccrc_sync.emulator.errors import bad_request
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.store import Sheet, Spreadsheet


class RequestError(Exception):
    """A request-level error; wrapped with the request index and kind by apply_batch.

    ``field`` names the offending part of the request (relative to the request kind) when
    Google's answer carries a BadRequest field violation for it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def sheet_by_id(ss: Spreadsheet, sheet_id: Any) -> Sheet:
    """The sheet with this id (a missing id means 0, as proto3 defaults it)."""
    for sheet in ss.sheets:
        if sheet.sheet_id == (sheet_id or 0):
            return sheet
    raise RequestError(f"No grid with id: {sheet_id}")


def quoted(title: str) -> str:
    """A title as Google's grid-limits message shows it: always in single quotes."""
    return "'" + title.replace("'", "''") + "'"


def limits_message(sheet: Sheet, box: a1.Box) -> str:
    """Google's wording, e.g. ``Range ('Sheet1'!F11) exceeds grid limits. Max rows: 10,
    max columns: 5``."""
    cells = a1.format_box(sheet.title, box).rsplit("!", 1)[1]
    return (
        f"Range ({quoted(sheet.title)}!{cells}) exceeds grid limits. "
        f"Max rows: {sheet.rows}, max columns: {sheet.cols}"
    )


def beyond_grid(sheet: Sheet, box: a1.Box) -> bool:
    """True when a closed box reaches past the sheet's last row or column."""
    assert box.end_row is not None and box.end_col is not None
    return box.end_row > sheet.rows or box.end_col > sheet.cols


def box_of(sheet: Sheet, grid_range: JSON) -> a1.Box:
    """A GridRange clipped to the sheet; past the edge is Google's grid-limits error."""
    box = a1.grid_range_to_box(grid_range).clip(sheet.rows, sheet.cols)
    if beyond_grid(sheet, box):
        raise RequestError(limits_message(sheet, box))
    return box


def iter_box(box: a1.Box) -> Iterator[tuple[int, int]]:
    """Every (row, col) in a closed box, row by row."""
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    for r in range(box.start_row, box.end_row):
        for c in range(box.start_col, box.end_col):
            yield r, c


def prune(d: JSON) -> JSON:
    """Drop empty nested dicts left behind by masked clears."""
    for key in list(d):
        if isinstance(d[key], dict):
            prune(d[key])
            if not d[key]:
                del d[key]
    return d


def store_cell(sheet: Sheet, r: int, c: int, cell: JSON, *, pruned: bool = True) -> None:
    """Store a cell's new dict, keeping it only while it holds something (the store is
    sparse). ``pruned`` drops nested objects a masked clear left empty; pass False when
    ``cell`` shares nested objects with a stored cell."""
    if pruned:
        prune(cell)
    if any(not key.startswith("_") for key in cell):
        sheet.cells[(r, c)] = cell
    else:
        sheet.cells.pop((r, c), None)


def without_zero_id(grid_range: JSON) -> JSON:
    """Google omits ``sheetId`` when it is 0 (proto3 default) in ranges it returns."""
    if grid_range.get("sheetId") == 0:
        grid_range.pop("sheetId")
    return grid_range


def grid_range(sheet: Sheet, box: a1.Box) -> JSON:
    """A closed box as the GridRange Google returns."""
    return without_zero_id(
        {
            "sheetId": sheet.sheet_id,
            "startRowIndex": box.start_row,
            "endRowIndex": box.end_row,
            "startColumnIndex": box.start_col,
            "endColumnIndex": box.end_col,
        }
    )


# --- data filters that name cells ---------------------------------------------------------

FILTER_KINDS = ("developerMetadataLookup", "a1Range", "gridRange")


def filter_kind(data_filter: JSON) -> str:
    """Which of DataFilter's union fields is set; exactly one must be."""
    kinds = [k for k in FILTER_KINDS if k in (data_filter or {})]
    if len(kinds) != 1:
        raise bad_request(
            "Invalid dataFilter: exactly one of developerMetadataLookup, a1Range or "
            "gridRange must be set."
        )
    return kinds[0]


def resolve_range(ss: Spreadsheet, data_filter: JSON) -> tuple[Sheet, a1.Box]:
    """The cells an ``a1Range`` or ``gridRange`` filter names, clipped to the grid."""
    if "a1Range" in data_filter:
        sheet, raw = ss.resolve(str(data_filter["a1Range"]))
        return sheet, raw.clip(sheet.rows, sheet.cols)
    rng = data_filter.get("gridRange") or {}
    try:
        sheet = sheet_by_id(ss, rng.get("sheetId"))
    except RequestError as err:
        raise bad_request(str(err)) from None
    return sheet, a1.grid_range_to_box(rng).clip(sheet.rows, sheet.cols)


# --- moving rows and columns ----------------------------------------------------------------


def shift(sheet: Sheet, rows: bool, at: int, delta: int) -> None:
    """Move cells and dimension properties at or after ``at`` by ``delta`` (delta<0 deletes).

    A deleted row's properties go with it, developer metadata included.
    """
    moved: dict[tuple[int, int], JSON] = {}
    for (r, c), cell in sheet.cells.items():
        pos = r if rows else c
        if delta < 0 and at <= pos < at - delta:
            continue
        if pos >= at:
            pos += delta
        moved[(pos, c) if rows else (r, pos)] = cell
    sheet.cells = moved
    meta = sheet.row_meta if rows else sheet.col_meta
    new_meta = {}
    for pos, value in meta.items():
        if delta < 0 and at <= pos < at - delta:
            continue
        new_meta[pos + delta if pos >= at else pos] = value
    meta.clear()
    meta.update(new_meta)
    start_key, end_key = (
        ("startRowIndex", "endRowIndex") if rows else ("startColumnIndex", "endColumnIndex")
    )
    for merge in sheet.merges:
        if merge.get(start_key, 0) >= at:
            merge[start_key] = max(at, merge.get(start_key, 0) + delta)
            merge[end_key] = max(at, merge[end_key] + delta)
    sheet.merges = [m for m in sheet.merges if m.get(start_key, 0) < m[end_key]]


def permute(sheet: Sheet, rows: bool, order: dict[int, int], *, whole: bool) -> None:
    """Move row (or column) ``old`` to ``order[old]`` for each entry; others stay.

    ``whole`` moves cells and every property of the dimension (moveDimension); otherwise
    only its developer metadata travels (sortRange has moved the values itself, and row
    sizes stay where they are).
    """
    if whole:
        moved: dict[tuple[int, int], JSON] = {}
        for (r, c), cell in sheet.cells.items():
            pos = r if rows else c
            pos = order.get(pos, pos)
            moved[(pos, c) if rows else (r, pos)] = cell
        sheet.cells = moved
    meta = sheet.row_meta if rows else sheet.col_meta
    if whole:
        new_meta = {order.get(pos, pos): props for pos, props in meta.items()}
        meta.clear()
        meta.update(new_meta)
        return
    carried = {pos: meta[pos].pop("developerMetadata") for pos in order if _has_metadata(meta, pos)}
    for pos in list(carried):
        if not meta[pos]:
            del meta[pos]
    for old, entries in carried.items():
        meta.setdefault(order[old], {})["developerMetadata"] = entries


def _has_metadata(meta: dict[int, JSON], pos: int) -> bool:
    return pos in meta and bool(meta[pos].get("developerMetadata"))
