"""batchUpdate requests on rows and columns: insert, delete, append, move, size, group.

A row carries its cells, its properties (pixel size, hidden) and its developer metadata
wherever it goes; deleting it deletes them, as the DeveloperMetadata reference says.
"""

from __future__ import annotations

import copy

from ccrc_sync.emulator.grid import RequestError, permute, sheet_by_id, shift, without_zero_id
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import apply_mask
from ccrc_sync.emulator.store import Sheet, Spreadsheet

_INHERITED = ("pixelSize", "hiddenByUser")


def dim_range(ss: Spreadsheet, rng: JSON) -> tuple[Sheet, bool, int, int]:
    """(sheet, is-rows, start, end) of a DimensionRange, open ends at the grid's edge."""
    sheet = sheet_by_id(ss, rng.get("sheetId"))
    rows = rng.get("dimension", "ROWS") == "ROWS"
    limit = sheet.rows if rows else sheet.cols
    start = int(rng.get("startIndex", 0))
    end = int(rng.get("endIndex", limit))
    return sheet, rows, start, end


def _count_key(rows: bool) -> str:
    return "rowCount" if rows else "columnCount"


def insert_dimension(ss: Spreadsheet, params: JSON) -> None:
    sheet, rows, start, end = dim_range(ss, params.get("range") or {})
    limit = sheet.rows if rows else sheet.cols
    if start > limit or end <= start:
        raise RequestError("Invalid dimension range.")
    if params.get("inheritFromBefore") and start == 0:
        raise RequestError("Cannot inherit from before the first row or column.")
    shift(sheet, rows, start, end - start)
    sheet.properties["gridProperties"][_count_key(rows)] += end - start
    meta = sheet.row_meta if rows else sheet.col_meta
    source = start - 1 if params.get("inheritFromBefore") else end
    inherited = {k: v for k, v in meta.get(source, {}).items() if k in _INHERITED}
    if inherited:
        for pos in range(start, end):
            meta[pos] = dict(inherited)


def delete_dimension(ss: Spreadsheet, params: JSON) -> None:
    sheet, rows, start, end = dim_range(ss, params.get("range") or {})
    limit = sheet.rows if rows else sheet.cols
    end = min(end, limit)
    if start >= end:
        raise RequestError("Invalid dimension range.")
    if start == 0 and end >= limit:
        kind = "rows" if rows else "columns"
        raise RequestError(f"You can't delete all the {kind} on the sheet.")
    shift(sheet, rows, start, -(end - start))
    sheet.properties["gridProperties"][_count_key(rows)] -= end - start


def append_dimension(ss: Spreadsheet, params: JSON) -> None:
    sheet = sheet_by_id(ss, params.get("sheetId"))
    length = int(params.get("length", 0))
    if length <= 0:
        raise RequestError("length must be greater than 0.")
    rows = params.get("dimension", "ROWS") == "ROWS"
    sheet.properties["gridProperties"][_count_key(rows)] += length


def move_dimension(ss: Spreadsheet, params: JSON) -> None:
    """Move rows (or columns) to ``destinationIndex``, counted before they are removed."""
    sheet, rows, start, end = dim_range(ss, params.get("source") or {})
    limit = sheet.rows if rows else sheet.cols
    dest = int(params.get("destinationIndex", 0))
    if start >= end or end > limit or not 0 <= dest <= limit:
        raise RequestError("Invalid dimension range.")
    if start <= dest <= end:
        return  # already there
    positions = list(range(limit))
    block = positions[start:end]
    rest = positions[:start] + positions[end:]
    at = dest if dest < start else dest - (end - start)
    new_order = rest[:at] + block + rest[at:]
    order = {old: new for new, old in enumerate(new_order) if old != new}
    permute(sheet, rows, order, whole=True)


def update_dimension_properties(ss: Spreadsheet, params: JSON) -> None:
    """Pixel sizes and visibility; developer metadata is changed by its own requests."""
    sheet, rows, start, end = dim_range(ss, params.get("range") or {})
    meta = sheet.row_meta if rows else sheet.col_meta
    update = dict(params.get("properties") or {})
    update.pop("developerMetadata", None)
    for pos in range(start, end):
        current = meta.get(pos, {})
        kept = current.pop("developerMetadata", None)
        apply_mask(current, update, params.get("fields") or "*")
        if not current.get("hiddenByUser"):
            current.pop("hiddenByUser", None)
        if kept:
            current["developerMetadata"] = kept
        if current:
            meta[pos] = current
        else:
            meta.pop(pos, None)


def auto_resize_dimensions(ss: Spreadsheet, params: JSON) -> None:
    dim_range(ss, params.get("dimensions") or {})  # validates the sheet; sizes are display


def _groups(sheet: Sheet, rows: bool) -> list[JSON]:
    groups: list[JSON] = sheet.extras.setdefault("rowGroups" if rows else "columnGroups", [])
    return groups


def add_dimension_group(ss: Spreadsheet, params: JSON) -> JSON:
    sheet, rows, start, end = dim_range(ss, params.get("range") or {})
    groups = _groups(sheet, rows)
    depth = 1 + sum(
        1 for g in groups if g["range"]["startIndex"] <= start and end <= g["range"]["endIndex"]
    )
    rng = {
        "sheetId": sheet.sheet_id,
        "dimension": "ROWS" if rows else "COLUMNS",
        "startIndex": start,
        "endIndex": end,
    }
    groups.append({"range": without_zero_id(rng), "depth": depth})
    groups.sort(key=lambda g: (g["depth"], g["range"]["startIndex"]))
    grid = sheet.properties["gridProperties"]
    grid["rowGroupControlAfter" if rows else "columnGroupControlAfter"] = True
    return {"addDimensionGroup": {"dimensionGroups": copy.deepcopy(groups)}}


def delete_dimension_group(ss: Spreadsheet, params: JSON) -> JSON:
    sheet, rows, start, end = dim_range(ss, params.get("range") or {})
    groups = _groups(sheet, rows)
    match = [
        g for g in groups if g["range"]["startIndex"] == start and g["range"]["endIndex"] == end
    ]
    if not match:
        raise RequestError("No dimension group found for the range.")
    groups.remove(max(match, key=lambda g: g["depth"]))
    if not groups:
        return {"deleteDimensionGroup": {}}
    return {"deleteDimensionGroup": {"dimensionGroups": copy.deepcopy(groups)}}
