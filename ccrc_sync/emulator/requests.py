"""The ``spreadsheets:batchUpdate`` request kinds.

Each handler takes the spreadsheet and one request body and returns its reply (or ``{}``).
``apply_batch`` runs them on a deep copy so a failing request leaves nothing applied, as
Google guarantees, and errors carry Google's ``Invalid requests[i].kind: ...`` wording.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ccrc_sync.emulator import a1, cells, values
from ccrc_sync.emulator.errors import ApiError, bad_request
from ccrc_sync.emulator.store import Sheet, Spreadsheet, new_sheet_properties


class RequestError(Exception):
    """A request-level error; wrapped with the request index and kind by apply_batch."""


Handler = Callable[[Spreadsheet, dict], dict | None]


def apply_batch(ss: Spreadsheet, body: dict) -> tuple[Spreadsheet, dict]:
    """Apply ``body["requests"]`` atomically; returns (new spreadsheet, response body)."""
    work = copy.deepcopy(ss)
    replies = []
    for i, request in enumerate(body.get("requests") or []):
        if not isinstance(request, dict) or len(request) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one request kind must be set.")
        kind, params = next(iter(request.items()))
        handler = HANDLERS.get(kind)
        if handler is None:
            raise bad_request(
                f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': Cannot find field."
            )
        try:
            reply = handler(work, strip_nulls(params or {}))
        except RequestError as err:
            raise bad_request(f"Invalid requests[{i}].{kind}: {err}") from None
        except ApiError as err:
            if err.code == 400 and not err.message.startswith("Invalid requests"):
                raise bad_request(f"Invalid requests[{i}].{kind}: {err.message}") from None
            raise
        replies.append(reply or {})
    work.reindex()
    work.touch()
    response: dict = {"spreadsheetId": work.spreadsheet_id}
    if any(replies):
        response["replies"] = replies
    else:
        response["replies"] = [{} for _ in replies]
    return work, response


def strip_nulls(value: Any) -> Any:
    """JSON ``null`` in a request means "unset" (proto3); drop such keys."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def normalise_color(color: dict) -> dict:
    """Colours are stored 8 bits per channel; zero channels are omitted, as Google returns."""
    out = {}
    for key, value in color.items():
        if key in ("red", "green", "blue") and isinstance(value, (int, float)):
            quantised = round(int(value * 255 + 1e-9) / 255, 8)
            if quantised:
                out[key] = quantised
        elif key == "alpha" and value not in (None, 1):
            out[key] = value
    return out


def normalise_styles(obj: Any) -> Any:
    """Fill ``*Style`` twins of plain colours (and back), quantising every rgb colour."""
    if isinstance(obj, list):
        return [normalise_styles(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: normalise_styles(v) for k, v in obj.items()}
    for plain in ("backgroundColor", "foregroundColor", "tabColor", "color"):
        style = plain + "Style"
        if plain in out and isinstance(out[plain], dict):
            out[plain] = normalise_color(out[plain])
            out.setdefault(style, {"rgbColor": dict(out[plain])})
        if style in out and isinstance(out[style], dict) and "rgbColor" in out[style]:
            out[style]["rgbColor"] = normalise_color(out[style]["rgbColor"] or {})
            out.setdefault(plain, dict(out[style]["rgbColor"]))
    return out


# --- field masks ---------------------------------------------------------------------------


def parse_mask(fields: str) -> list[list[str]]:
    """``"a.b,c(d,e)"`` -> ``[["a","b"], ["c","d"], ["c","e"]]``."""
    paths: list[list[str]] = []

    def walk(text: str, prefix: list[str]) -> None:
        depth, start = 0, 0
        parts = []
        for i, ch in enumerate(text):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(text[start:i])
                start = i + 1
        parts.append(text[start:])
        for part in (p.strip() for p in parts):
            if not part:
                continue
            if "(" in part and part.endswith(")"):
                head, inner = part.split("(", 1)
                walk(inner[:-1], prefix + head.split("."))
            else:
                paths.append(prefix + part.split("."))

    walk((fields or "").replace("/", "."), [])
    return paths


def filter_fields(value: Any, fields: str) -> Any:
    """Keep only the parts of a response named by a ``fields`` mask (lists map through)."""
    tree: dict = {}
    for path in parse_mask(fields):
        node = tree
        for key in path[:-1]:
            child = node.get(key, {})
            if child is None:
                break
            node = node.setdefault(key, child)
        else:
            node[path[-1]] = None
    return _apply_tree(value, tree)


def _apply_tree(value: Any, tree: dict | None) -> Any:
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [_apply_tree(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: _apply_tree(value[k], sub) for k, sub in tree.items() if k in value}


def apply_mask(target: dict, source: dict, fields: str) -> None:
    """Copy the masked fields of ``source`` onto ``target``; a masked absent field is cleared."""
    if fields.strip() == "*":
        for key in list(target):
            if key not in source:
                del target[key]
        target.update(copy.deepcopy(source))
        return
    for path in parse_mask(fields):
        if path == ["*"]:
            apply_mask(target, source, "*")
            continue
        src: Any = source
        dst = target
        for key in path[:-1]:
            src = src.get(key, {}) if isinstance(src, dict) else {}
            dst = dst.setdefault(key, {})
        last = path[-1]
        if last == "*":
            dst.clear()
            if isinstance(src, dict):
                dst.update(copy.deepcopy(src))
        elif isinstance(src, dict) and last in src:
            dst[last] = copy.deepcopy(src[last])
        else:
            dst.pop(last, None)


def _prune(d: dict) -> dict:
    """Drop empty nested dicts left behind by masked clears."""
    for key in list(d):
        if isinstance(d[key], dict):
            _prune(d[key])
            if not d[key]:
                del d[key]
    return d


# --- helpers -------------------------------------------------------------------------------


def _sheet(ss: Spreadsheet, sheet_id: Any) -> Sheet:
    for sheet in ss.sheets:
        if sheet.sheet_id == (sheet_id or 0):
            return sheet
    raise RequestError(f"No grid with id: {sheet_id}")


def _box(sheet: Sheet, grid_range: dict) -> a1.Box:
    """A GridRange clipped to the sheet; past the edge is Google's grid-limits error."""
    raw = a1.grid_range_to_box(grid_range)
    box = raw.clip(sheet.rows, sheet.cols)
    assert box.end_row is not None and box.end_col is not None
    if box.end_row > sheet.rows or box.end_col > sheet.cols:
        raise RequestError(
            f"Range ({a1.quote_title(sheet.title)}!{a1.format_box(sheet.title, box).split('!')[1]}) "
            f"exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.cols}"
        )
    return box


def _iter_box(box: a1.Box):
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    for r in range(box.start_row, box.end_row):
        for c in range(box.start_col, box.end_col):
            yield r, c


def _store_cell(sheet: Sheet, r: int, c: int, cell: dict) -> None:
    _prune(cell)
    if cell:
        sheet.cells[(r, c)] = cell
    else:
        sheet.cells.pop((r, c), None)


def _without_zero_id(grid_range: dict) -> dict:
    """Google omits ``sheetId`` when it is 0 (proto3 default) in ranges it returns."""
    if grid_range.get("sheetId") == 0:
        grid_range.pop("sheetId")
    return grid_range


def _title_taken(ss: Spreadsheet, title: str, except_id: int | None = None) -> bool:
    return any(s.title.lower() == title.lower() and s.sheet_id != except_id for s in ss.sheets)


# --- sheets --------------------------------------------------------------------------------


def add_sheet(ss: Spreadsheet, params: dict) -> dict:
    props = copy.deepcopy(params.get("properties") or {})
    title = props.get("title")
    if not title:
        n = len(ss.sheets) + 1
        while _title_taken(ss, f"Sheet{n}"):
            n += 1
        title = f"Sheet{n}"
    if _title_taken(ss, title):
        raise RequestError(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
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
    ss.sheets.insert(index, Sheet(base))
    ss.reindex()
    return {"addSheet": {"properties": copy.deepcopy(base)}}


def delete_sheet(ss: Spreadsheet, params: dict) -> None:
    sheet = _sheet(ss, params.get("sheetId"))
    if len(ss.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    ss.sheets.remove(sheet)
    ss.named_ranges = [n for n in ss.named_ranges if n["range"].get("sheetId", 0) != sheet.sheet_id]
    ss.reindex()
    return None


def duplicate_sheet(ss: Spreadsheet, params: dict) -> dict:
    source = _sheet(ss, params.get("sourceSheetId"))
    new = copy.deepcopy(source)
    new_id = params.get("newSheetId") or ss.new_sheet_id()
    title = params.get("newSheetName") or f"Copy of {source.title}"
    if _title_taken(ss, title):
        raise RequestError(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    new.properties["sheetId"] = new_id
    new.properties["title"] = title
    index = min(params.get("insertSheetIndex", len(ss.sheets)), len(ss.sheets))
    for merge in new.merges:
        merge["sheetId"] = new_id
    ss.sheets.insert(index, new)
    ss.reindex()
    return {"duplicateSheet": {"properties": copy.deepcopy(new.properties)}}


def update_sheet_properties(ss: Spreadsheet, params: dict) -> None:
    props = params.get("properties") or {}
    sheet = _sheet(ss, props.get("sheetId"))
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
        raise RequestError(
            f'A sheet with the name "{updated["title"]}" already exists. Please enter another name.'
        )
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
    # Shrinking the grid drops what falls outside it.
    sheet.cells = {
        (r, c): cell
        for (r, c), cell in sheet.cells.items()
        if r < grid["rowCount"] and c < grid["columnCount"]
    }
    old_index = ss.sheets.index(sheet)
    new_index = updated.get("index", old_index)
    sheet.properties = _prune_keep_grid(updated)
    if new_index != old_index:
        # Google counts the target index in "before the move" positions.
        ss.sheets.remove(sheet)
        target = new_index - 1 if new_index > old_index else new_index
        ss.sheets.insert(max(0, min(target, len(ss.sheets))), sheet)
    ss.reindex()
    return None


def _prune_keep_grid(props: dict) -> dict:
    grid = props.get("gridProperties", {})
    _prune(props)
    props["gridProperties"] = grid
    return props


def update_spreadsheet_properties(ss: Spreadsheet, params: dict) -> None:
    fields = params.get("fields") or ""
    if not fields:
        raise RequestError("At least one field must be updated.")
    apply_mask(ss.properties, params.get("properties") or {}, fields)
    return None


# --- cells ---------------------------------------------------------------------------------


def _write_cell_data(sheet: Sheet, r: int, c: int, data: dict, fields: str, locale: str) -> None:
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
    _store_cell(sheet, r, c, cell)


def repeat_cell(ss: Spreadsheet, params: dict) -> None:
    rng = params.get("range") or {}
    sheet = _sheet(ss, rng.get("sheetId"))
    box = _box(sheet, rng)
    fields = params.get("fields") or ""
    if not fields:
        raise RequestError("At least one field must be specified.")
    data = params.get("cell") or {}
    for r, c in _iter_box(box):
        _write_cell_data(sheet, r, c, data, fields, ss.locale)
    return None


def update_cells(ss: Spreadsheet, params: dict) -> None:
    fields = params.get("fields") or ""
    if not fields:
        raise RequestError("At least one field must be specified.")
    rows = params.get("rows") or []
    if "start" in params:
        start = params["start"]
        sheet = _sheet(ss, start.get("sheetId"))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        height = len(rows)
        width = max((len(r.get("values") or []) for r in rows), default=0)
        box = a1.Box(r0, r0 + height, c0, c0 + width)
        if height and width:
            _box(
                sheet,
                {
                    "startRowIndex": r0,
                    "endRowIndex": r0 + height,
                    "startColumnIndex": c0,
                    "endColumnIndex": c0 + width,
                },
            )
    else:
        rng = params.get("range") or {}
        sheet = _sheet(ss, rng.get("sheetId"))
        box = _box(sheet, rng)
        # With a range, every cell in it is written; missing data clears masked fields.
        for r, c in _iter_box(box):
            i, j = r - (box.start_row or 0), c - (box.start_col or 0)
            row = rows[i].get("values") or [] if i < len(rows) else []
            data = row[j] if j < len(row) else {}
            _write_cell_data(sheet, r, c, data, fields, ss.locale)
        return None
    for i, row in enumerate(rows):
        for j, data in enumerate(row.get("values") or []):
            _write_cell_data(
                sheet,
                (box.start_row or 0) + i,
                (box.start_col or 0) + j,
                data or {},
                fields,
                ss.locale,
            )
    return None


def append_cells(ss: Spreadsheet, params: dict) -> None:
    sheet = _sheet(ss, params.get("sheetId"))
    last = max(
        (r for (r, _c), cell in sheet.cells.items() if cell.get("userEnteredValue")), default=-1
    )
    rows = params.get("rows") or []
    sheet.grow(last + 1 + len(rows), 0)
    for i, row in enumerate(rows):
        for j, data in enumerate(row.get("values") or []):
            _write_cell_data(
                sheet, last + 1 + i, j, data or {}, params.get("fields", "*"), ss.locale
            )
    return None


def set_data_validation(ss: Spreadsheet, params: dict) -> None:
    rng = params.get("range") or {}
    sheet = _sheet(ss, rng.get("sheetId"))
    box = _box(sheet, rng)
    rule = params.get("rule")
    for r, c in _iter_box(box):
        cell = copy.deepcopy(sheet.cells.get((r, c), {}))
        if rule:
            cell["dataValidation"] = copy.deepcopy(rule)
        else:
            cell.pop("dataValidation", None)
        _store_cell(sheet, r, c, cell)
    return None


def sort_range(ss: Spreadsheet, params: dict) -> None:
    rng = params.get("range") or {}
    sheet = _sheet(ss, rng.get("sheetId"))
    box = _box(sheet, rng)
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    rows = []
    for r in range(box.start_row, box.end_row):
        rows.append([sheet.cells.get((r, c)) for c in range(box.start_col, box.end_col)])

    def key_for(spec: dict):
        col = spec.get("dimensionIndex", 0) - box.start_col

        def key(row: list) -> tuple:
            ev = cells.effective(ss, sheet, row[col]) if 0 <= col < len(row) else None
            value = values.value_of(ev) if ev else None
            if value is None:
                return (2, "")
            if isinstance(value, bool):
                return (1, str(value))
            if isinstance(value, (int, float)):
                return (0, value)
            return (1, str(value).lower())

        return key

    for spec in reversed(params.get("sortSpecs") or [{"dimensionIndex": box.start_col}]):
        key = key_for(spec)
        descending = spec.get("sortOrder") == "DESCENDING"
        filled = [row for row in rows if key(row)[0] != 2]
        blank = [row for row in rows if key(row)[0] == 2]
        filled.sort(key=key, reverse=descending)
        rows = filled + blank
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            pos = (box.start_row + i, box.start_col + j)
            if cell:
                sheet.cells[pos] = cell
            else:
                sheet.cells.pop(pos, None)
    return None


def _copy_block(sheet: Sheet, box: a1.Box) -> dict[tuple[int, int], dict]:
    return {
        (r - (box.start_row or 0), c - (box.start_col or 0)): copy.deepcopy(sheet.cells[(r, c)])
        for r, c in _iter_box(box)
        if (r, c) in sheet.cells
    }


def copy_paste(ss: Spreadsheet, params: dict) -> None:
    src_rng = params.get("source") or {}
    src_sheet = _sheet(ss, src_rng.get("sheetId"))
    src = _box(src_sheet, src_rng)
    dst_rng = params.get("destination") or {}
    dst_sheet = _sheet(ss, dst_rng.get("sheetId"))
    dst = _box(dst_sheet, dst_rng)
    block = _copy_block(src_sheet, src)
    paste_type = params.get("pasteType", "PASTE_NORMAL")
    for r, c in _iter_box(
        a1.Box(
            dst.start_row,
            (dst.start_row or 0) + (src.end_row or 0) - (src.start_row or 0),
            dst.start_col,
            (dst.start_col or 0) + (src.end_col or 0) - (src.start_col or 0),
        )
    ):
        offset = (r - (dst.start_row or 0), c - (dst.start_col or 0))
        data = block.get(offset, {})
        _paste(dst_sheet, r, c, data, paste_type)
    return None


def _paste(sheet: Sheet, r: int, c: int, data: dict, paste_type: str) -> None:
    if r >= sheet.rows or c >= sheet.cols:
        return
    if paste_type == "PASTE_VALUES":
        cell = copy.deepcopy(sheet.cells.get((r, c), {}))
        cell.pop("userEnteredValue", None)
        if "userEnteredValue" in data:
            cell["userEnteredValue"] = data["userEnteredValue"]
        _store_cell(sheet, r, c, cell)
    elif paste_type == "PASTE_FORMAT":
        cell = copy.deepcopy(sheet.cells.get((r, c), {}))
        cell.pop("userEnteredFormat", None)
        if "userEnteredFormat" in data:
            cell["userEnteredFormat"] = data["userEnteredFormat"]
        _store_cell(sheet, r, c, cell)
    else:
        _store_cell(sheet, r, c, copy.deepcopy(data))


def cut_paste(ss: Spreadsheet, params: dict) -> None:
    src_rng = params.get("source") or {}
    src_sheet = _sheet(ss, src_rng.get("sheetId"))
    src = _box(src_sheet, src_rng)
    dest = params.get("destination") or {}
    dst_sheet = _sheet(ss, dest.get("sheetId"))
    block = _copy_block(src_sheet, src)
    for r, c in list(_iter_box(src)):
        src_sheet.cells.pop((r, c), None)
    r0, c0 = dest.get("rowIndex", 0), dest.get("columnIndex", 0)
    height = (src.end_row or 0) - (src.start_row or 0)
    width = (src.end_col or 0) - (src.start_col or 0)
    for i in range(height):
        for j in range(width):
            _paste(
                dst_sheet,
                r0 + i,
                c0 + j,
                block.get((i, j), {}),
                params.get("pasteType", "PASTE_NORMAL"),
            )
    return None


def find_replace(ss: Spreadsheet, params: dict) -> dict:
    find = params.get("find", "")
    replacement = params.get("replacement", "")
    targets = (
        ss.sheets
        if params.get("allSheets")
        else [
            _sheet(
                ss,
                params.get("sheetId")
                if "sheetId" in params
                else (params.get("range") or {}).get("sheetId"),
            )
        ]
    )
    changed = 0
    for sheet in targets:
        for cell in sheet.cells.values():
            entered = cell.get("userEnteredValue") or {}
            if "stringValue" in entered and find in entered["stringValue"]:
                changed += entered["stringValue"].count(find)
                entered["stringValue"] = entered["stringValue"].replace(find, replacement)
    return {"findReplace": {"valuesChanged": changed, "occurrencesChanged": changed}}


# --- dimensions ----------------------------------------------------------------------------


def _dim_range(ss: Spreadsheet, rng: dict) -> tuple[Sheet, bool, int, int]:
    sheet = _sheet(ss, rng.get("sheetId"))
    rows = rng.get("dimension", "ROWS") == "ROWS"
    limit = sheet.rows if rows else sheet.cols
    start = rng.get("startIndex", 0)
    end = rng.get("endIndex", limit)
    return sheet, rows, start, end


def _shift(sheet: Sheet, rows: bool, at: int, delta: int) -> None:
    """Move cells at or after ``at`` by ``delta`` along one dimension (delta<0 deletes)."""
    moved: dict[tuple[int, int], dict] = {}
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
            merge[start_key] = max(at, merge[start_key] + delta)
            merge[end_key] = max(at, merge[end_key] + delta)
    sheet.merges = [m for m in sheet.merges if m[start_key] < m[end_key]]


def insert_dimension(ss: Spreadsheet, params: dict) -> None:
    sheet, rows, start, end = _dim_range(ss, params.get("range") or {})
    limit = sheet.rows if rows else sheet.cols
    if start > limit or end <= start:
        raise RequestError("Invalid dimension range.")
    _shift(sheet, rows, start, end - start)
    grid = sheet.properties["gridProperties"]
    grid["rowCount" if rows else "columnCount"] += end - start
    return None


def delete_dimension(ss: Spreadsheet, params: dict) -> None:
    sheet, rows, start, end = _dim_range(ss, params.get("range") or {})
    limit = sheet.rows if rows else sheet.cols
    end = min(end, limit)
    if start >= end:
        raise RequestError("Invalid dimension range.")
    if start == 0 and end >= limit:
        kind = "rows" if rows else "columns"
        raise RequestError(f"You can't delete all the {kind} on the sheet.")
    _shift(sheet, rows, start, -(end - start))
    grid = sheet.properties["gridProperties"]
    grid["rowCount" if rows else "columnCount"] -= end - start
    return None


def append_dimension(ss: Spreadsheet, params: dict) -> None:
    sheet = _sheet(ss, params.get("sheetId"))
    length = int(params.get("length", 0))
    if length <= 0:
        raise RequestError("length must be greater than 0.")
    grid = sheet.properties["gridProperties"]
    grid["rowCount" if params.get("dimension", "ROWS") == "ROWS" else "columnCount"] += length
    return None


def update_dimension_properties(ss: Spreadsheet, params: dict) -> None:
    sheet, rows, start, end = _dim_range(ss, params.get("range") or {})
    meta = sheet.row_meta if rows else sheet.col_meta
    for pos in range(start, end):
        current = meta.get(pos, {})
        apply_mask(current, params.get("properties") or {}, params.get("fields") or "*")
        if current:
            meta[pos] = current
        else:
            meta.pop(pos, None)
    return None


def auto_resize_dimensions(ss: Spreadsheet, params: dict) -> None:
    rng = params.get("dimensions") or {}
    _dim_range(ss, rng)  # validates the sheet; sizes are a display concern
    return None


def _groups(sheet: Sheet, rows: bool) -> list[dict]:
    return sheet.extras.setdefault("rowGroups" if rows else "columnGroups", [])


def add_dimension_group(ss: Spreadsheet, params: dict) -> dict:
    rng = params.get("range") or {}
    sheet, rows, start, end = _dim_range(ss, rng)
    groups = _groups(sheet, rows)
    depth = 1 + sum(
        1 for g in groups if g["range"]["startIndex"] <= start and end <= g["range"]["endIndex"]
    )
    groups.append(
        {
            "range": _without_zero_id(
                {
                    "sheetId": sheet.sheet_id,
                    "dimension": "ROWS" if rows else "COLUMNS",
                    "startIndex": start,
                    "endIndex": end,
                }
            ),
            "depth": depth,
        }
    )
    groups.sort(key=lambda g: (g["depth"], g["range"]["startIndex"]))
    grid = sheet.properties["gridProperties"]
    grid["rowGroupControlAfter" if rows else "columnGroupControlAfter"] = True
    return {"addDimensionGroup": {"dimensionGroups": copy.deepcopy(groups)}}


def delete_dimension_group(ss: Spreadsheet, params: dict) -> dict:
    rng = params.get("range") or {}
    sheet, rows, start, end = _dim_range(ss, rng)
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


# --- merges, named ranges, filters, protection, charts -------------------------------------


def _overlaps(a: dict, b: dict) -> bool:
    return (
        a.get("startRowIndex", 0) < b.get("endRowIndex", 1 << 30)
        and b.get("startRowIndex", 0) < a.get("endRowIndex", 1 << 30)
        and a.get("startColumnIndex", 0) < b.get("endColumnIndex", 1 << 30)
        and b.get("startColumnIndex", 0) < a.get("endColumnIndex", 1 << 30)
    )


def _contains(outer: dict, inner: dict) -> bool:
    return (
        outer.get("startRowIndex", 0) <= inner.get("startRowIndex", 0)
        and inner.get("endRowIndex", 0) <= outer.get("endRowIndex", 0)
        and outer.get("startColumnIndex", 0) <= inner.get("startColumnIndex", 0)
        and inner.get("endColumnIndex", 0) <= outer.get("endColumnIndex", 0)
    )


def merge_cells(ss: Spreadsheet, params: dict) -> None:
    rng = params.get("range") or {}
    sheet = _sheet(ss, rng.get("sheetId"))
    box = _box(sheet, rng)
    kind = params.get("mergeType", "MERGE_ALL")
    pieces: list[a1.Box] = []
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    if kind == "MERGE_ROWS":
        pieces = [
            a1.Box(r, r + 1, box.start_col, box.end_col) for r in range(box.start_row, box.end_row)
        ]
    elif kind == "MERGE_COLUMNS":
        pieces = [
            a1.Box(box.start_row, box.end_row, c, c + 1) for c in range(box.start_col, box.end_col)
        ]
    else:
        pieces = [box]
    for piece in pieces:
        merge = _without_zero_id(
            {
                "sheetId": sheet.sheet_id,
                "startRowIndex": piece.start_row,
                "endRowIndex": piece.end_row,
                "startColumnIndex": piece.start_col,
                "endColumnIndex": piece.end_col,
            }
        )
        if any(_overlaps(merge, m) and not _contains(merge, m) for m in sheet.merges):
            raise RequestError("You can't merge cells that intersect with existing merges.")
        sheet.merges = [m for m in sheet.merges if not _contains(merge, m)]
        for r, c in _iter_box(piece):
            if (r, c) != (piece.start_row, piece.start_col) and (r, c) in sheet.cells:
                cell = sheet.cells[(r, c)]
                cell.pop("userEnteredValue", None)
                _store_cell(sheet, r, c, cell)
        if (piece.end_row or 0) - (piece.start_row or 0) > 1 or (piece.end_col or 0) - (
            piece.start_col or 0
        ) > 1:
            sheet.merges.append(merge)
    return None


def unmerge_cells(ss: Spreadsheet, params: dict) -> None:
    rng = params.get("range") or {}
    sheet = _sheet(ss, rng.get("sheetId"))
    sheet.merges = [m for m in sheet.merges if not _overlaps(m, rng)]
    return None


def add_named_range(ss: Spreadsheet, params: dict) -> dict:
    named = copy.deepcopy(params.get("namedRange") or {})
    name = named.get("name", "")
    if any(n["name"].lower() == name.lower() for n in ss.named_ranges):
        raise RequestError(f'Named range with name "{name}" already exists.')
    named.setdefault("namedRangeId", f"{ss.new_object_id():x}")
    named.setdefault("range", {}).setdefault("sheetId", 0)
    if named["range"]["sheetId"] == 0:
        named["range"].pop("sheetId")
    ss.named_ranges.append(named)
    return {"addNamedRange": {"namedRange": copy.deepcopy(named)}}


def delete_named_range(ss: Spreadsheet, params: dict) -> None:
    ident = params.get("namedRangeId")
    before = len(ss.named_ranges)
    ss.named_ranges = [n for n in ss.named_ranges if n["namedRangeId"] != ident]
    if len(ss.named_ranges) == before:
        raise RequestError(f"No NamedRange with id {ident} exists.")
    return None


def update_named_range(ss: Spreadsheet, params: dict) -> None:
    update = params.get("namedRange") or {}
    for named in ss.named_ranges:
        if named["namedRangeId"] == update.get("namedRangeId"):
            fields = params.get("fields") or ""
            if not fields:
                raise RequestError("At least one field must be updated.")
            apply_mask(named, update, fields)
            if named.get("range", {}).get("sheetId") == 0:
                named["range"].pop("sheetId")
            return None
    raise RequestError(f"No NamedRange with id {update.get('namedRangeId')} exists.")


def set_basic_filter(ss: Spreadsheet, params: dict) -> None:
    filt = copy.deepcopy(params.get("filter") or {})
    sheet = _sheet(ss, (filt.get("range") or {}).get("sheetId"))
    box = _box(sheet, filt.get("range") or {})
    filt["range"] = _without_zero_id(
        {
            "sheetId": sheet.sheet_id,
            "startRowIndex": box.start_row,
            "endRowIndex": box.end_row,
            "startColumnIndex": box.start_col,
            "endColumnIndex": box.end_col,
        }
    )
    sheet.extras["basicFilter"] = filt
    return None


def clear_basic_filter(ss: Spreadsheet, params: dict) -> None:
    _sheet(ss, params.get("sheetId")).extras.pop("basicFilter", None)
    return None


def add_protected_range(ss: Spreadsheet, params: dict) -> dict:
    protected = copy.deepcopy(params.get("protectedRange") or {})
    sheet = _sheet(ss, (protected.get("range") or {}).get("sheetId"))
    protected["protectedRangeId"] = ss.new_object_id()
    if protected.get("range", {}).get("sheetId") == 0:
        protected["range"].pop("sheetId")
    if not protected.get("warningOnly"):
        protected.setdefault("editors", {})
    protected["requestingUserCanEdit"] = True
    if not protected.get("warningOnly"):
        protected.pop("warningOnly", None)
    sheet.extras.setdefault("protectedRanges", []).append(protected)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(protected)}}


def delete_protected_range(ss: Spreadsheet, params: dict) -> None:
    ident = params.get("protectedRangeId")
    for sheet in ss.sheets:
        ranges = sheet.extras.get("protectedRanges", [])
        for pr in ranges:
            if pr["protectedRangeId"] == ident:
                ranges.remove(pr)
                return None
    raise RequestError(f"No protected range with id: {ident}")


def add_chart(ss: Spreadsheet, params: dict) -> dict:
    chart = copy.deepcopy(params.get("chart") or {})
    chart["chartId"] = chart.get("chartId") or ss.new_object_id()
    position = chart.setdefault("position", {})
    anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
    if "sheetId" in position:
        sheet = _sheet(ss, position["sheetId"])
    elif position.get("newSheet"):
        reply = add_sheet(ss, {"properties": {"sheetType": "OBJECT"}})
        sheet = _sheet(ss, reply["addSheet"]["properties"]["sheetId"])
        position.pop("newSheet")
        position["sheetId"] = sheet.sheet_id
    else:
        sheet = _sheet(ss, anchor.get("sheetId"))
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def _find_chart(ss: Spreadsheet, chart_id: Any) -> tuple[Sheet, dict]:
    for sheet in ss.sheets:
        for chart in sheet.charts:
            if chart["chartId"] == chart_id:
                return sheet, chart
    raise RequestError(f"No chart with id: {chart_id}")


def update_chart_spec(ss: Spreadsheet, params: dict) -> None:
    _sheet_unused, chart = _find_chart(ss, params.get("chartId"))
    chart["spec"] = copy.deepcopy(params.get("spec") or {})
    return None


def delete_embedded_object(ss: Spreadsheet, params: dict) -> None:
    sheet, chart = _find_chart(ss, params.get("objectId"))
    sheet.charts.remove(chart)
    return None


def add_conditional_format_rule(ss: Spreadsheet, params: dict) -> None:
    rule = copy.deepcopy(params.get("rule") or {})
    ranges = rule.get("ranges") or [{}]
    sheet = _sheet(ss, ranges[0].get("sheetId"))
    rules = sheet.extras.setdefault("conditionalFormats", [])
    rules.insert(min(params.get("index", len(rules)), len(rules)), rule)
    return None


def accept(ss: Spreadsheet, params: dict) -> None:
    """Formatting-only requests whose effect is purely visual: accepted, not modelled."""
    return None


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    "appendCells": append_cells,
    "setDataValidation": set_data_validation,
    "sortRange": sort_range,
    "copyPaste": copy_paste,
    "cutPaste": cut_paste,
    "findReplace": find_replace,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "addDimensionGroup": add_dimension_group,
    "deleteDimensionGroup": delete_dimension_group,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "addNamedRange": add_named_range,
    "deleteNamedRange": delete_named_range,
    "updateNamedRange": update_named_range,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "addChart": add_chart,
    "updateChartSpec": update_chart_spec,
    "deleteEmbeddedObject": delete_embedded_object,
    "addConditionalFormatRule": add_conditional_format_rule,
    "updateBorders": accept,
    "addBanding": accept,
}
