"""batchUpdate requests on cells: formats, values, notes, validation, sort, paste, replace.

``updateCells`` and ``repeatCell`` merge the masked CellData fields into each cell (a
number format set here is a person's choice and is kept when values are typed later);
a value written by ``updateCells``/``appendCells`` is checked against a strict data
validation rule like any other write. ``sortRange`` moves each row's developer
metadata with the row's values.
"""

from __future__ import annotations

import copy
from typing import Any

from ccrc_sync.emulator import a1, cells, validation, values
from ccrc_sync.emulator.formats import normalise_styles
from ccrc_sync.emulator.grid import (
    RequestError,
    box_of,
    iter_box,
    limits_message,
    permute,
    sheet_by_id,
    store_cell,
)
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import apply_mask, parse_mask
from ccrc_sync.emulator.store import Sheet, Spreadsheet


def _sets_number_format(fields: str) -> bool:
    return any(
        path[:1] == ["*"]
        or path == ["userEnteredFormat"]
        or path[:2] in (["userEnteredFormat", "numberFormat"], ["userEnteredFormat", "*"])
        for path in parse_mask(fields)
    )


def write_cell_data(
    ss: Spreadsheet, sheet: Sheet, r: int, c: int, data: JSON, fields: str, where: str
) -> None:
    """Merge the masked fields of ``data`` into one cell."""
    cell = copy.deepcopy(sheet.cells.get((r, c), {}))
    source = copy.deepcopy(data)
    entered = source.get("userEnteredValue")
    if isinstance(entered, dict) and "formulaValue" not in entered and not entered:
        source.pop("userEnteredValue")
    apply_mask(cell, normalise_styles(source), fields)
    if cell.get("note") == "":
        cell.pop("note")
    if "userEnteredFormat" in cell:
        cell["userEnteredFormat"] = normalise_styles(cell["userEnteredFormat"])
    if _sets_number_format(fields):
        cell.pop("_autoFormat", None)
    rule = cell.get("dataValidation")
    before = (sheet.cells.get((r, c)) or {}).get("userEnteredValue")
    if rule and rule.get("strict") and cell.get("userEnteredValue") != before:
        message = validation.refusal(ss, rule, cell, a1.cell_name(r, c))
        if message is not None:
            raise RequestError(message, f"{where}.userEnteredValue")
    store_cell(sheet, r, c, cell)


def _required_fields(params: JSON) -> str:
    fields = params.get("fields") or ""
    if not fields:
        raise RequestError("At least one field must be specified.")
    return str(fields)


def repeat_cell(ss: Spreadsheet, params: JSON) -> None:
    rng = params.get("range") or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    box = box_of(sheet, rng)
    fields = _required_fields(params)
    data = params.get("cell") or {}
    for r, c in iter_box(box):
        write_cell_data(ss, sheet, r, c, data, fields, "cell")


def update_cells(ss: Spreadsheet, params: JSON) -> None:
    fields = _required_fields(params)
    rows = params.get("rows") or []
    if "start" in params:
        start = params["start"]
        sheet = sheet_by_id(ss, start.get("sheetId"))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        height = len(rows)
        width = max((len(r.get("values") or []) for r in rows), default=0)
        if height and width:
            box_of(
                sheet,
                {
                    "startRowIndex": r0,
                    "endRowIndex": r0 + height,
                    "startColumnIndex": c0,
                    "endColumnIndex": c0 + width,
                },
            )
        for i, row in enumerate(rows):
            for j, data in enumerate(row.get("values") or []):
                where = f"rows[{i}].values[{j}]"
                write_cell_data(ss, sheet, r0 + i, c0 + j, data or {}, fields, where)
        return
    rng = params.get("range") or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    box = box_of(sheet, rng)
    # With a range, every cell in it is written; missing data clears masked fields.
    for r, c in iter_box(box):
        i, j = r - (box.start_row or 0), c - (box.start_col or 0)
        row = rows[i].get("values") or [] if i < len(rows) else []
        data = row[j] if j < len(row) else {}
        write_cell_data(ss, sheet, r, c, data, fields, f"rows[{i}].values[{j}]")


def append_cells(ss: Spreadsheet, params: JSON) -> None:
    """After the last row with data, adding rows to the grid as needed (not columns)."""
    sheet = sheet_by_id(ss, params.get("sheetId"))
    last = max(
        (r for (r, _c), cell in sheet.cells.items() if cell.get("userEnteredValue")), default=-1
    )
    rows = params.get("rows") or []
    width = max((len(r.get("values") or []) for r in rows), default=0)
    if width > sheet.cols:
        box = a1.Box(last + 1, last + 1 + max(len(rows), 1), 0, width)
        raise RequestError(limits_message(sheet, box))
    sheet.grow(last + 1 + len(rows), 0)
    fields = params.get("fields", "*")
    for i, row in enumerate(rows):
        for j, data in enumerate(row.get("values") or []):
            where = f"rows[{i}].values[{j}]"
            write_cell_data(ss, sheet, last + 1 + i, j, data or {}, fields, where)


def set_data_validation(ss: Spreadsheet, params: JSON) -> None:
    rng = params.get("range") or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    box = box_of(sheet, rng)
    rule = copy.deepcopy(params.get("rule"))
    if rule:
        for key in ("strict", "showCustomUi"):  # proto3: false is not sent back
            if not rule.get(key):
                rule.pop(key, None)
    for r, c in iter_box(box):
        cell = copy.deepcopy(sheet.cells.get((r, c), {}))
        if rule:
            cell["dataValidation"] = copy.deepcopy(rule)
        else:
            cell.pop("dataValidation", None)
        store_cell(sheet, r, c, cell)


def _sort_key(ss: Spreadsheet, sheet: Sheet, col: int) -> Any:
    def key(row: list[JSON | None]) -> tuple[int, Any]:
        ev = cells.effective(ss, sheet, row[col]) if 0 <= col < len(row) else None
        value = values.value_of(ev) if ev else None
        if value is None:
            return (3, "")
        if isinstance(value, bool):
            return (2, value)
        if isinstance(value, (int, float)):
            return (0, value)
        return (1, str(value).lower())

    return key


def sort_range(ss: Spreadsheet, params: JSON) -> None:
    """Sort rows of the range; each row's developer metadata moves with its values."""
    rng = params.get("range") or {}
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    box = box_of(sheet, rng)
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    rows: list[tuple[int, list[JSON | None]]] = [
        (r, [sheet.cells.get((r, c)) for c in range(box.start_col, box.end_col)])
        for r in range(box.start_row, box.end_row)
    ]
    for spec in reversed(params.get("sortSpecs") or [{"dimensionIndex": box.start_col}]):
        key = _sort_key(ss, sheet, spec.get("dimensionIndex", 0) - box.start_col)
        descending = spec.get("sortOrder") == "DESCENDING"
        filled = [row for row in rows if key(row[1])[0] != 3]
        blank = [row for row in rows if key(row[1])[0] == 3]
        filled.sort(key=lambda row: key(row[1]), reverse=descending)
        rows = filled + blank
    for i, (_old, row) in enumerate(rows):
        for j, cell in enumerate(row):
            pos = (box.start_row + i, box.start_col + j)
            if cell:
                sheet.cells[pos] = cell
            else:
                sheet.cells.pop(pos, None)
    order = {old: box.start_row + i for i, (old, _row) in enumerate(rows)}
    moves = {old: new for old, new in order.items() if old != new}
    if moves:
        permute(sheet, True, moves, whole=False)


def _copy_block(sheet: Sheet, box: a1.Box) -> dict[tuple[int, int], JSON]:
    return {
        (r - (box.start_row or 0), c - (box.start_col or 0)): copy.deepcopy(sheet.cells[(r, c)])
        for r, c in iter_box(box)
        if (r, c) in sheet.cells
    }


def copy_paste(ss: Spreadsheet, params: JSON) -> None:
    src_rng = params.get("source") or {}
    src_sheet = sheet_by_id(ss, src_rng.get("sheetId"))
    src = box_of(src_sheet, src_rng)
    dst_rng = params.get("destination") or {}
    dst_sheet = sheet_by_id(ss, dst_rng.get("sheetId"))
    dst = box_of(dst_sheet, dst_rng)
    block = _copy_block(src_sheet, src)
    paste_type = params.get("pasteType", "PASTE_NORMAL")
    for r, c in iter_box(
        a1.Box(
            dst.start_row,
            (dst.start_row or 0) + (src.end_row or 0) - (src.start_row or 0),
            dst.start_col,
            (dst.start_col or 0) + (src.end_col or 0) - (src.start_col or 0),
        )
    ):
        offset = (r - (dst.start_row or 0), c - (dst.start_col or 0))
        _paste(dst_sheet, r, c, block.get(offset, {}), paste_type)


def _paste(sheet: Sheet, r: int, c: int, data: JSON, paste_type: str) -> None:
    if r >= sheet.rows or c >= sheet.cols:
        return
    if paste_type == "PASTE_VALUES":
        cell = copy.deepcopy(sheet.cells.get((r, c), {}))
        cell.pop("userEnteredValue", None)
        if "userEnteredValue" in data:
            cell["userEnteredValue"] = data["userEnteredValue"]
        store_cell(sheet, r, c, cell)
    elif paste_type == "PASTE_FORMAT":
        cell = copy.deepcopy(sheet.cells.get((r, c), {}))
        cell.pop("userEnteredFormat", None)
        if "userEnteredFormat" in data:
            cell["userEnteredFormat"] = data["userEnteredFormat"]
        store_cell(sheet, r, c, cell)
    else:
        store_cell(sheet, r, c, copy.deepcopy(data))


def cut_paste(ss: Spreadsheet, params: JSON) -> None:
    src_rng = params.get("source") or {}
    src_sheet = sheet_by_id(ss, src_rng.get("sheetId"))
    src = box_of(src_sheet, src_rng)
    dest = params.get("destination") or {}
    dst_sheet = sheet_by_id(ss, dest.get("sheetId"))
    block = _copy_block(src_sheet, src)
    for r, c in list(iter_box(src)):
        src_sheet.cells.pop((r, c), None)
    r0, c0 = dest.get("rowIndex", 0), dest.get("columnIndex", 0)
    height = (src.end_row or 0) - (src.start_row or 0)
    width = (src.end_col or 0) - (src.start_col or 0)
    for i in range(height):
        for j in range(width):
            paste_type = params.get("pasteType", "PASTE_NORMAL")
            _paste(dst_sheet, r0 + i, c0 + j, block.get((i, j), {}), paste_type)


def find_replace(ss: Spreadsheet, params: JSON) -> JSON:
    find = params.get("find", "")
    replacement = params.get("replacement", "")
    if params.get("allSheets"):
        targets = ss.sheets
    else:
        sheet_id = (
            params.get("sheetId")
            if "sheetId" in params
            else (params.get("range") or {}).get("sheetId")
        )
        targets = [sheet_by_id(ss, sheet_id)]
    changed = 0
    for sheet in targets:
        for pos, cell in list(sheet.cells.items()):
            entered = cell.get("userEnteredValue") or {}
            if "stringValue" in entered and find in entered["stringValue"]:
                changed += entered["stringValue"].count(find)
                text = entered["stringValue"].replace(find, replacement)
                sheet.cells[pos] = {**cell, "userEnteredValue": {"stringValue": text}}
    return {"findReplace": {"valuesChanged": changed, "occurrencesChanged": changed}}
