"""Rendering stored spreadsheets as the API's Spreadsheet and Drive File resources.

``spreadsheets.get`` returns grid data when ``includeGridData`` is set or when the
``fields`` mask asks for ``sheets.data`` ("If a field mask is set, the includeGridData
parameter is ignored"); ``ranges`` limit it to the sheets and cells they intersect
("Limiting the range returns only the portions of the spreadsheet that intersect the
requested ranges", and the recorded traffic shows only the ranged sheet listed).

Cells carry ``userEnteredValue``, ``effectiveValue``, ``formattedValue``,
``userEnteredFormat``, ``effectiveFormat``, ``note`` and ``dataValidation``; rows and
columns their pixel size and developer metadata. The builder is told which cell fields
the mask wants and computes only those: a 10,000-row read is one request.
"""

from __future__ import annotations

import copy
from typing import Any

from ccrc_sync.emulator import a1, cells, metadata, numfmt, values
from ccrc_sync.emulator.formats import EffectiveFormats
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import MaskTree, selects, subtree
from ccrc_sync.emulator.store import SPREADSHEET_MIME, Sheet, Spreadsheet

DEFAULT_ROW_PX = 21
DEFAULT_COL_PX = 100
_CELL_KEYS = (
    "userEnteredValue",
    "effectiveValue",
    "formattedValue",
    "userEnteredFormat",
    "effectiveFormat",
    "note",
    "dataValidation",
    "hyperlink",
    "textFormatRuns",
)

Ranges = list[tuple[Sheet, a1.Box]]


def wants_grid(tree: MaskTree | None) -> bool:
    """Whether a ``fields`` mask selects grid data (``sheets.data``, ``sheets`` or ``*``)."""
    return tree is not None and selects(tree, "sheets", "data")


def spreadsheet_resource(
    ss: Spreadsheet,
    include_grid: bool = False,
    ranges: Ranges | None = None,
    tree: MaskTree | None = None,
) -> JSON:
    """``GET /v4/spreadsheets/{id}``: properties, sheets (with grid data when asked).

    ``ranges`` (resolved) limit the sheets listed and the grid data; ``tree`` is the
    ``fields`` mask, used to skip computing cell fields nobody asked for.
    """
    wanted: dict[int, list[a1.Box]] = {}
    for sheet, box in ranges or []:
        wanted.setdefault(sheet.sheet_id, []).append(box)
    keys = _cell_keys(tree)
    formats = EffectiveFormats(ss.properties.get("defaultFormat") or {})
    sheets = []
    for sheet in ss.sheets:
        if ranges and sheet.sheet_id not in wanted:
            continue
        entry = sheet_resource(sheet)
        if include_grid:
            boxes = wanted.get(sheet.sheet_id) or [a1.Box().clip(sheet.rows, sheet.cols)]
            entry["data"] = [grid_data(ss, sheet, box, keys, formats) for box in boxes]
        sheets.append(entry)
    body: JSON = {
        "spreadsheetId": ss.spreadsheet_id,
        "properties": copy.deepcopy(ss.properties),
        "sheets": sheets,
    }
    if ss.named_ranges:
        body["namedRanges"] = copy.deepcopy(ss.named_ranges)
    if ss.developer_metadata:
        place = metadata.Place("SPREADSHEET")
        body["developerMetadata"] = [metadata.resource(m, place) for m in ss.developer_metadata]
    body["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{ss.spreadsheet_id}/edit"
    return body


def _cell_keys(tree: MaskTree | None) -> frozenset[str] | None:
    """The CellData fields a mask asks for; None for all of them."""
    if tree is None:
        return None
    try:
        below = subtree(tree, "sheets", "data", "rowData", "values")
    except KeyError:
        return frozenset()
    return None if below is None else frozenset(below)


def sheet_resource(sheet: Sheet) -> JSON:
    """One entry of ``sheets[]`` without grid data."""
    entry: JSON = {"properties": copy.deepcopy(sheet.properties)}
    if sheet.merges:
        entry["merges"] = copy.deepcopy(sheet.merges)
    for key in ("conditionalFormats", "protectedRanges", "basicFilter"):
        if sheet.extras.get(key):
            entry[key] = copy.deepcopy(sheet.extras[key])
    if sheet.charts:
        entry["charts"] = copy.deepcopy(sheet.charts)
    for key in ("rowGroups", "columnGroups"):
        if sheet.extras.get(key):
            entry[key] = copy.deepcopy(sheet.extras[key])
    if sheet.developer_metadata:
        place = metadata.Place("SHEET", sheet)
        entry["developerMetadata"] = [metadata.resource(m, place) for m in sheet.developer_metadata]
    return entry


def cell_resource(
    ss: Spreadsheet,
    sheet: Sheet,
    cell: JSON,
    keys: frozenset[str] | None = None,
    formats: EffectiveFormats | None = None,
) -> JSON:
    """CellData as Google returns it, limited to ``keys`` when given."""
    want = keys if keys is not None else frozenset(_CELL_KEYS)
    out: JSON = {}
    entered = cell.get("userEnteredValue")
    if "userEnteredValue" in want and entered:
        out["userEnteredValue"] = _numbers_plain(entered)
    if want & {"effectiveValue", "formattedValue"} and entered:
        ev = cells.effective(ss, sheet, cell)
        if ev:
            if "effectiveValue" in want:
                out["effectiveValue"] = _numbers_plain(ev)
            if "formattedValue" in want:
                out["formattedValue"] = _formatted(ss, ev, cell)
    fmt = cell.get("userEnteredFormat")
    if "userEnteredFormat" in want and fmt:
        out["userEnteredFormat"] = fmt
    if "effectiveFormat" in want and (fmt or entered):
        merged = (formats or EffectiveFormats(ss.properties.get("defaultFormat") or {})).of(fmt)
        out["effectiveFormat"] = merged
    for key in ("note", "dataValidation", "hyperlink", "textFormatRuns"):
        if key in want and key in cell:
            out[key] = cell[key]
    return out


def _numbers_plain(value: JSON) -> JSON:
    if "numberValue" in value:
        return {**value, "numberValue": values.json_number(value["numberValue"])}
    return value


def _formatted(ss: Spreadsheet, ev: JSON, cell: JSON) -> Any:
    return numfmt.render(
        ev, cell.get("userEnteredValue"), cells.number_format(cell), locale=ss.locale
    )


def grid_data(
    ss: Spreadsheet,
    sheet: Sheet,
    box: a1.Box,
    keys: frozenset[str] | None = None,
    formats: EffectiveFormats | None = None,
) -> JSON:
    """A GridData block for ``box`` (rows trimmed after the last stored cell)."""
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    formats = formats or EffectiveFormats(ss.properties.get("defaultFormat") or {})
    data: JSON = {}
    if box.start_row:
        data["startRow"] = box.start_row
    if box.start_col:
        data["startColumn"] = box.start_col
    by_row: dict[int, list[int]] = {}
    for r, c in sheet.cells:
        if box.start_row <= r < box.end_row and box.start_col <= c < box.end_col:
            by_row.setdefault(r, []).append(c)
    if by_row and keys != frozenset():
        rows: list[JSON] = []
        for r in range(box.start_row, max(by_row) + 1):
            in_row = by_row.get(r)
            if not in_row:
                rows.append({})
                continue
            row_values = []
            for c in range(box.start_col, max(in_row) + 1):
                cell = sheet.cells.get((r, c))
                row_values.append(cell_resource(ss, sheet, cell, keys, formats) if cell else {})
            rows.append({"values": row_values})
        data["rowData"] = rows
    data["rowMetadata"] = [
        _dimension(sheet, "ROW", r, DEFAULT_ROW_PX) for r in range(box.start_row, box.end_row)
    ]
    data["columnMetadata"] = [
        _dimension(sheet, "COLUMN", c, DEFAULT_COL_PX) for c in range(box.start_col, box.end_col)
    ]
    return data


def _dimension(sheet: Sheet, kind: str, index: int, default_px: int) -> JSON:
    """DimensionProperties: pixel size, visibility and the row's developer metadata."""
    stored = (sheet.row_meta if kind == "ROW" else sheet.col_meta).get(index)
    if not stored:
        return {"pixelSize": default_px}
    out: JSON = {"pixelSize": default_px}
    for key, value in stored.items():
        if key == "developerMetadata":
            place = metadata.Place(kind, sheet, index)
            out[key] = [metadata.resource(m, place) for m in value]
        else:
            out[key] = value
    return out


def drive_file(ss: Spreadsheet, fields: str | None = None) -> JSON:
    """The Drive v3 File for a spreadsheet, filtered to ``fields`` when given."""
    full = {
        "kind": "drive#file",
        "id": ss.spreadsheet_id,
        "name": ss.title,
        "mimeType": SPREADSHEET_MIME,
        "createdTime": ss.created_time,
        "modifiedTime": ss.modified_time,
    }
    if not fields or fields == "*":
        if fields == "*":
            return full
        return {k: full[k] for k in ("kind", "id", "name", "mimeType")}
    keys = [f.strip() for f in fields.split(",") if f.strip()]
    return {k: full[k] for k in keys if k in full}
