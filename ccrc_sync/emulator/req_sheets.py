"""batchUpdate requests on sheets and the spreadsheet: add, delete, duplicate, properties.

Each handler takes the (working copy of the) spreadsheet and one request body and returns
its reply, or None for the requests Google answers with an empty reply.
"""

from __future__ import annotations

import copy
import re

from ccrc_sync.emulator.formats import normalise_styles
from ccrc_sync.emulator.grid import RequestError, prune, sheet_by_id
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.masks import apply_mask
from ccrc_sync.emulator.store import Sheet, Spreadsheet, new_sheet_properties

_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z][A-Za-z]{1,3})?$")


def _title_taken(ss: Spreadsheet, title: str, except_id: int | None = None) -> bool:
    return any(s.title.lower() == title.lower() and s.sheet_id != except_id for s in ss.sheets)


def _taken(title: str) -> RequestError:
    return RequestError(
        f'A sheet with the name "{title}" already exists. Please enter another name.'
    )


def add_sheet(ss: Spreadsheet, params: JSON) -> JSON:
    props = copy.deepcopy(params.get("properties") or {})
    title = props.get("title")
    if not title:
        n = len(ss.sheets) + 1
        while _title_taken(ss, f"Sheet{n}"):
            n += 1
        title = f"Sheet{n}"
    if _title_taken(ss, title):
        raise _taken(title)
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = ss.new_sheet_id()
    elif any(s.sheet_id == sheet_id for s in ss.sheets):
        raise RequestError(f"A sheet with the id {sheet_id} already exists.")
    grid = props.get("gridProperties") or {}
    index = min(props.get("index", len(ss.sheets)), len(ss.sheets))
    base = new_sheet_properties(
        sheet_id, title, index, grid.get("rowCount", 1000), grid.get("columnCount", 26)
    )
    for key, value in props.items():
        if key == "gridProperties":
            base["gridProperties"].update(value)
        elif key not in ("sheetId", "title", "index"):
            base[key] = value
    base = normalise_styles(base)
    ss.sheets.insert(index, Sheet(base))
    ss.reindex()
    return {"addSheet": {"properties": copy.deepcopy(base)}}


def delete_sheet(ss: Spreadsheet, params: JSON) -> None:
    """Its cells, objects and developer metadata go with it; the last sheet cannot go."""
    sheet = sheet_by_id(ss, params.get("sheetId"))
    if len(ss.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    if all(s is sheet or s.properties.get("hidden") for s in ss.sheets):
        raise RequestError("You can't remove all the visible sheets in a document.")
    ss.sheets.remove(sheet)
    ss.named_ranges = [n for n in ss.named_ranges if n["range"].get("sheetId", 0) != sheet.sheet_id]
    ss.reindex()


def duplicate_sheet(ss: Spreadsheet, params: JSON) -> JSON:
    """A copy of the tab; developer metadata ids are unique, so the copy carries none."""
    source = sheet_by_id(ss, params.get("sourceSheetId"))
    new = copy.deepcopy(source)
    new_id = params.get("newSheetId") or ss.new_sheet_id()
    title = params.get("newSheetName") or f"Copy of {source.title}"
    if _title_taken(ss, title):
        raise _taken(title)
    new.properties["sheetId"] = new_id
    new.properties["title"] = title
    strip_metadata(new)
    index = min(params.get("insertSheetIndex", len(ss.sheets)), len(ss.sheets))
    for merge in new.merges:
        merge["sheetId"] = new_id
    ss.sheets.insert(index, new)
    ss.reindex()
    return {"duplicateSheet": {"properties": copy.deepcopy(new.properties)}}


def strip_metadata(sheet: Sheet) -> None:
    """Remove every developer metadata entry attached to a sheet, its rows and columns."""
    sheet.developer_metadata = []
    for meta in (sheet.row_meta, sheet.col_meta):
        for pos in list(meta):
            meta[pos].pop("developerMetadata", None)
            if not meta[pos]:
                del meta[pos]


def update_sheet_properties(ss: Spreadsheet, params: JSON) -> None:
    props = params.get("properties") or {}
    sheet = sheet_by_id(ss, props.get("sheetId"))
    fields = params.get("fields") or ""
    if not fields:
        raise RequestError("At least one field must be updated.")
    updated = copy.deepcopy(sheet.properties)
    apply_mask(updated, props, fields)
    updated = normalise_styles(updated)
    for key in ("tabColor", "tabColorStyle"):
        if key in updated and not any(
            updated[key].values() if isinstance(updated[key], dict) else [1]
        ):
            updated.pop(key)
    updated["sheetId"] = sheet.sheet_id
    updated.setdefault("gridProperties", sheet.properties["gridProperties"])
    updated.setdefault("title", sheet.title)
    updated.setdefault("sheetType", "GRID")
    if _title_taken(ss, updated["title"], sheet.sheet_id):
        raise _taken(updated["title"])
    grid = updated["gridProperties"]
    grid.setdefault("rowCount", sheet.rows)
    grid.setdefault("columnCount", sheet.cols)
    for key in ("frozenRowCount", "frozenColumnCount"):
        if grid.get(key) == 0:
            grid.pop(key)
    if updated.get("hidden") and all(
        s.properties.get("hidden") for s in ss.sheets if s is not sheet
    ):
        raise RequestError("You can't hide all the sheets in a document.")
    for key in ("hidden", "rightToLeft"):
        if not updated.get(key):
            updated.pop(key, None)
    for key in ("hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
        if not grid.get(key):
            grid.pop(key, None)
    # Shrinking the grid drops what falls outside it, row and column metadata included.
    rows, cols = grid["rowCount"], grid["columnCount"]
    sheet.cells = {(r, c): cell for (r, c), cell in sheet.cells.items() if r < rows and c < cols}
    sheet.row_meta = {r: v for r, v in sheet.row_meta.items() if r < rows}
    sheet.col_meta = {c: v for c, v in sheet.col_meta.items() if c < cols}
    old_index = ss.sheets.index(sheet)
    new_index = updated.get("index", old_index)
    grid_props = updated.get("gridProperties", {})
    prune(updated)
    updated["gridProperties"] = grid_props
    sheet.properties = updated
    if new_index != old_index:
        # Google counts the target index in "before the move" positions.
        ss.sheets.remove(sheet)
        target = new_index - 1 if new_index > old_index else new_index
        ss.sheets.insert(max(0, min(target, len(ss.sheets))), sheet)
    ss.reindex()


def update_spreadsheet_properties(ss: Spreadsheet, params: JSON) -> None:
    """Title, locale, time zone...; the locale changes how later typing is read."""
    fields = params.get("fields") or ""
    if not fields:
        raise RequestError("At least one field must be updated.")
    props = params.get("properties") or {}
    locale = props.get("locale")
    if locale is not None and not _LOCALE.match(str(locale)):
        raise RequestError(f"Invalid locale: {locale}")
    apply_mask(ss.properties, props, fields)
