"""Rendering stored spreadsheets as the API's Spreadsheet and Drive File resources."""

from __future__ import annotations

import copy
from typing import Any

from ccrc_sync.emulator import a1, cells, values
from ccrc_sync.emulator.store import SPREADSHEET_MIME, Sheet, Spreadsheet


def spreadsheet_resource(
    ss: Spreadsheet, include_grid: bool = False, ranges: list[str] | None = None
) -> dict:
    """``GET /v4/spreadsheets/{id}``: properties, sheets (with grid data when asked)."""
    wanted: dict[int, list[a1.Box]] = {}
    for text in ranges or []:
        sheet, raw = ss.resolve(text)
        wanted.setdefault(sheet.sheet_id, []).append(raw.clip(sheet.rows, sheet.cols))
    sheets = []
    for sheet in ss.sheets:
        if ranges and sheet.sheet_id not in wanted:
            continue
        entry = sheet_resource(sheet)
        if include_grid:
            boxes = wanted.get(sheet.sheet_id) or [a1.Box().clip(sheet.rows, sheet.cols)]
            entry["data"] = [grid_data(ss, sheet, box) for box in boxes]
        sheets.append(entry)
    body: dict = {
        "spreadsheetId": ss.spreadsheet_id,
        "properties": copy.deepcopy(ss.properties),
        "sheets": sheets,
    }
    if ss.named_ranges:
        body["namedRanges"] = copy.deepcopy(ss.named_ranges)
    body["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{ss.spreadsheet_id}/edit"
    return body


def sheet_resource(sheet: Sheet) -> dict:
    """One entry of ``sheets[]`` without grid data."""
    entry: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
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
    return entry


def cell_resource(ss: Spreadsheet, sheet: Sheet, cell: dict) -> dict:
    """CellData with effectiveValue and formattedValue filled in."""
    out = copy.deepcopy(cell)
    out.pop("quotePrefix", None)
    ev = cells.effective(ss, sheet, cell)
    if ev:
        out["effectiveValue"] = copy.deepcopy(ev)
        for key in ("numberValue",):
            if key in out["effectiveValue"]:
                out["effectiveValue"][key] = values.json_number(out["effectiveValue"][key])
        out["formattedValue"] = cells.render_cell(ss, sheet, cell, "FORMATTED_VALUE", "")
    entered = out.get("userEnteredValue")
    if entered and "numberValue" in entered:
        entered["numberValue"] = values.json_number(entered["numberValue"])
    if "userEnteredFormat" in out:
        out["effectiveFormat"] = copy.deepcopy(out["userEnteredFormat"])
    return out


def grid_data(ss: Spreadsheet, sheet: Sheet, box: a1.Box) -> dict:
    """A GridData block for ``box`` (rows trimmed after the last stored cell)."""
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    data: dict[str, Any] = {}
    if box.start_row:
        data["startRow"] = box.start_row
    if box.start_col:
        data["startColumn"] = box.start_col
    inside = [
        (r, c)
        for (r, c) in sheet.cells
        if box.start_row <= r < box.end_row and box.start_col <= c < box.end_col
    ]
    if inside:
        last_row = max(r for r, _ in inside)
        rows: list[dict] = []
        for r in range(box.start_row, last_row + 1):
            in_row = [c for rr, c in inside if rr == r]
            if not in_row:
                rows.append({})
                continue
            row_values = []
            for c in range(box.start_col, max(in_row) + 1):
                cell = sheet.cells.get((r, c))
                row_values.append(cell_resource(ss, sheet, cell) if cell else {})
            rows.append({"values": row_values})
        data["rowData"] = rows
    data["rowMetadata"] = [
        {"pixelSize": 21, **sheet.row_meta.get(r, {})} for r in range(box.start_row, box.end_row)
    ]
    data["columnMetadata"] = [
        {"pixelSize": 100, **sheet.col_meta.get(c, {})} for c in range(box.start_col, box.end_col)
    ]
    return data


def drive_file(ss: Spreadsheet, fields: str | None = None) -> dict:
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
