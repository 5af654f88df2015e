"""The values endpoints on a spreadsheet: read, write, append, clear.

Functions take a ``Spreadsheet`` and plain request data and return the JSON body Google
would send back. They raise ``ApiError`` with Google's messages for bad ranges.
"""

from __future__ import annotations

from typing import Any

from ccrc_sync.emulator import a1, formula, values
from ccrc_sync.emulator.errors import bad_request
from ccrc_sync.emulator.store import Sheet, Spreadsheet


def effective(ss: Spreadsheet, sheet: Sheet, cell: dict | None, depth: int = 0) -> dict | None:
    """The cell's computed value (ExtendedValue), evaluating formulas against live data."""
    if not cell:
        return None
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    if "formulaValue" in entered:
        return formula.evaluate(ss, sheet, entered["formulaValue"], depth, effective)
    return entered


def number_format(cell: dict | None) -> dict | None:
    if not cell:
        return None
    return (cell.get("userEnteredFormat") or {}).get("numberFormat")


def render_cell(ss: Spreadsheet, sheet: Sheet, cell: dict | None, vro: str, dtro: str) -> Any:
    """One cell under valueRenderOption ``vro`` and dateTimeRenderOption ``dtro``."""
    if not cell:
        return ""
    return values.render(
        effective(ss, sheet, cell), cell.get("userEnteredValue"), number_format(cell), vro, dtro
    )


def _grid_check(sheet: Sheet, box: a1.Box) -> None:
    assert box.end_row is not None and box.end_col is not None
    if box.end_row > sheet.rows or box.end_col > sheet.cols:
        raise bad_request(
            f"Range ('{sheet.title.replace(chr(39), chr(39) * 2)}'!"
            f"{a1.format_box(sheet.title, box).split('!', 1)[1]}) exceeds grid limits. "
            f"Max rows: {sheet.rows}, max columns: {sheet.cols}"
        )


def _trim(grid: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty cells in each row and trailing empty rows, as Google does."""
    out = []
    for row in grid:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        out.append(row[:end])
    while out and not out[-1]:
        out.pop()
    return out


def read_range(
    ss: Spreadsheet,
    range_text: str,
    major: str = "ROWS",
    vro: str = "FORMATTED_VALUE",
    dtro: str = "SERIAL_NUMBER",
) -> dict:
    """A ValueRange for ``range_text`` (values.get)."""
    sheet, raw = ss.resolve(range_text)
    box = raw.clip(sheet.rows, sheet.cols)
    _grid_check(sheet, box)
    grid = grid_values(ss, sheet, box, vro, dtro)
    if (major or "ROWS").upper() == "COLUMNS":
        grid = [list(col) for col in zip(*grid, strict=True)] if grid else []
    body: dict = {"range": a1.format_box(sheet.title, box), "majorDimension": major or "ROWS"}
    trimmed = _trim(grid)
    if trimmed:
        body["values"] = trimmed
    return body


def grid_values(ss: Spreadsheet, sheet: Sheet, box: a1.Box, vro: str, dtro: str) -> list[list]:
    """Rendered values in ``box``; fast when the sheet is sparse."""
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    rows = box.end_row - box.start_row
    cols = box.end_col - box.start_col
    occupied = [
        (r, c)
        for (r, c) in sheet.cells
        if box.start_row <= r < box.end_row and box.start_col <= c < box.end_col
    ]
    if not occupied:
        return []
    last_row = max(r for r, _ in occupied)
    grid: list[list] = [[""] * cols for _ in range(min(rows, last_row - box.start_row + 1))]
    for r, c in occupied:
        grid[r - box.start_row][c - box.start_col] = render_cell(
            ss, sheet, sheet.cells[(r, c)], vro, dtro
        )
    return grid


def entry_for(value: Any, input_option: str, locale: str) -> dict:
    """CellData for one written value under valueInputOption."""
    if input_option == "USER_ENTERED":
        return values.parse_user_entered(value, locale)
    if input_option == "RAW":
        return values.raw_entry(value)
    raise bad_request(
        "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED"
        if not input_option
        else f"Invalid value at 'value_input_option' ({input_option})"
    )


def put_entry(sheet: Sheet, row: int, col: int, entry: dict) -> None:
    """Store a typed entry, keeping the cell's other properties (format, validation, note)."""
    cell = dict(sheet.cells.get((row, col), {}))
    cell.pop("userEnteredValue", None)
    cell.pop("quotePrefix", None)
    if "userEnteredValue" in entry:
        cell["userEnteredValue"] = entry["userEnteredValue"]
    if entry.get("quotePrefix"):
        cell["quotePrefix"] = True
    if "userEnteredFormat" in entry:
        fmt = dict(cell.get("userEnteredFormat", {}))
        fmt.update(entry["userEnteredFormat"])
        cell["userEnteredFormat"] = fmt
    if cell:
        sheet.cells[(row, col)] = cell
    else:
        sheet.cells.pop((row, col), None)


def _orient(rows: Any, major: str) -> list[list]:
    if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
        raise bad_request(
            "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), "
            f'"{rows}"'
        )
    if (major or "ROWS").upper() == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        return [[r[i] if i < len(r) else None for r in rows] for i in range(width)]
    return rows


def write_range(
    ss: Spreadsheet,
    range_text: str,
    rows: Any,
    input_option: str,
    major: str = "ROWS",
    include_values: bool = False,
    vro: str = "FORMATTED_VALUE",
    dtro: str = "SERIAL_NUMBER",
) -> dict:
    """values.update: write ``rows`` from the range's top-left, growing the grid if needed."""
    sheet, raw = ss.resolve(range_text)
    if rows is None:
        rows = []
    grid = _orient(rows, major)
    start_row = raw.start_row or 0
    start_col = raw.start_col or 0
    height = len(grid)
    width = max((len(r) for r in grid), default=0)
    _check_fits(sheet, raw, range_text, height, width)
    body: dict = {"spreadsheetId": ss.spreadsheet_id}
    if height == 0 or width == 0:
        body["updatedRange"] = a1.format_box(
            sheet.title, a1.Box(start_row, start_row + 1, start_col, start_col + 1)
        )
        return body
    sheet.grow(start_row + height, start_col + width)
    count = 0
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value is None:
                continue
            count += 1
            put_entry(
                sheet, start_row + i, start_col + j, entry_for(value, input_option, ss.locale)
            )
    written = a1.Box(start_row, start_row + height, start_col, start_col + width)
    body["updatedRange"] = a1.format_box(sheet.title, written)
    body["updatedRows"] = height
    body["updatedColumns"] = width
    body["updatedCells"] = count
    if include_values:
        body["updatedData"] = read_range(ss, body["updatedRange"], "ROWS", vro, dtro)
    ss.touch()
    return body


def check_write(ss: Spreadsheet, range_text: str, rows: Any, major: str = "ROWS") -> None:
    """Raise what `write_range` would refuse, before anything is written, so a batch of
    writes can be checked whole and then applied in place (all or nothing, like Google)."""
    sheet, raw = ss.resolve(range_text)
    grid = _orient(rows or [], major)
    _check_fits(sheet, raw, range_text, len(grid), max((len(r) for r in grid), default=0))


def _check_fits(sheet: Sheet, raw: a1.Box, text: str, height: int, width: int) -> None:
    """Data larger than an explicit multi-cell range is Google's 400."""
    single = (
        raw.end_row is not None
        and raw.end_col is not None
        and raw.end_row - (raw.start_row or 0) == 1
        and raw.end_col - (raw.start_col or 0) == 1
    )
    if single:
        return
    label = a1.format_box(sheet.title, raw.clip(sheet.rows, sheet.cols))
    if raw.end_row is not None and (raw.start_row or 0) + height > raw.end_row:
        raise bad_request(
            f"Requested writing within range [{label}], but tried writing to row "
            f"[{raw.end_row + 1}]"
        )
    if raw.end_col is not None and (raw.start_col or 0) + width > raw.end_col:
        raise bad_request(
            f"Requested writing within range [{label}], but tried writing to column "
            f"[{a1.index_to_col(raw.end_col)}]"
        )


def clear_range(ss: Spreadsheet, range_text: str) -> dict:
    """values.clear: remove values only; formats and validation stay."""
    sheet, raw = ss.resolve(range_text)
    box = raw.clip(sheet.rows, sheet.cols)
    clear_box_values(sheet, box)
    ss.touch()
    return {"spreadsheetId": ss.spreadsheet_id, "clearedRange": a1.format_box(sheet.title, box)}


def clear_box_values(sheet: Sheet, box: a1.Box) -> None:
    for key in [k for k in sheet.cells if _inside(k, box)]:
        put_entry(sheet, key[0], key[1], {})


def _inside(key: tuple[int, int], box: a1.Box) -> bool:
    r, c = key
    return (box.start_row or 0) <= r < (box.end_row if box.end_row is not None else 1 << 30) and (
        box.start_col or 0
    ) <= c < (box.end_col if box.end_col is not None else 1 << 30)


def _has_value(sheet: Sheet, r: int, c: int) -> bool:
    cell = sheet.cells.get((r, c))
    return bool(cell and cell.get("userEnteredValue"))


def _region(sheet: Sheet, box: a1.Box) -> a1.Box:
    """`box` grown while a filled cell touches it: a table reaches past the range it was
    found from (appending at `A1` to data in A1:B3 lands in row 4, not inside the data)."""
    top, bottom = box.start_row or 0, (box.end_row or 1) - 1
    left, right = box.start_col or 0, (box.end_col or 1) - 1
    filled = {k for k in sheet.cells if _has_value(sheet, *k)}
    grown = True
    while grown:
        grown = False
        if any((bottom + 1, c) in filled for c in range(left - 1, right + 2)):
            bottom, grown = bottom + 1, True
        if top > 0 and any((top - 1, c) in filled for c in range(left - 1, right + 2)):
            top, grown = top - 1, True
        if any((r, right + 1) in filled for r in range(top, bottom + 1)):
            right, grown = right + 1, True
        if left > 0 and any((r, left - 1) in filled for r in range(top, bottom + 1)):
            left, grown = left - 1, True
    return a1.Box(top, bottom + 1, left, right + 1)


def find_table(sheet: Sheet, box: a1.Box) -> a1.Box | None:
    """The 'table' values.append looks for: the run of filled cells ending at the last one."""
    filled = [k for k in sheet.cells if _inside(k, box) and _has_value(sheet, *k)]
    if not filled:
        return None
    if box.end_row is not None and box.end_col is not None:  # a bounded range: grow it
        rows = [r for r, _ in filled]
        cols = [c for _, c in filled]
        region = _region(sheet, a1.Box(min(rows), max(rows) + 1, min(cols), max(cols) + 1))
        box = a1.Box(
            min(region.start_row or 0, box.start_row or 0),
            max(region.end_row or 0, box.end_row),
            min(region.start_col or 0, box.start_col or 0),
            max(region.end_col or 0, box.end_col),
        )
        filled = [k for k in sheet.cells if _inside(k, box) and _has_value(sheet, *k)]
    last_row = max(r for r, _ in filled)
    last_col = max(c for r, c in filled if r == last_row)
    first_col = last_col
    while first_col - 1 >= (box.start_col or 0) and _has_value(sheet, last_row, first_col - 1):
        first_col -= 1
    first_row = min(r for r, c in filled if first_col <= c <= last_col)
    return a1.Box(first_row, last_row + 1, first_col, last_col + 1)


def append_range(
    ss: Spreadsheet,
    range_text: str,
    rows: Any,
    input_option: str,
    major: str = "ROWS",
    insert_option: str = "OVERWRITE",
    include_values: bool = False,
) -> dict:
    """values.append: write after the table found in the range, expanding the grid."""
    sheet, raw = ss.resolve(range_text)
    box = raw.clip(sheet.rows, sheet.cols)
    table = find_table(sheet, box)
    grid = _orient(rows or [], major)
    height = len(grid)
    if table is None:
        start_row, start_col = box.start_row or 0, box.start_col or 0
    else:
        assert table.end_row is not None
        start_row, start_col = table.end_row, table.start_col or 0
    if (insert_option or "OVERWRITE").upper() == "INSERT_ROWS" and height:
        shift_rows(sheet, start_row, height)
    target = f"{a1.quote_title(sheet.title)}!{a1.cell_name(start_row, start_col)}"
    updates = write_range(ss, target, grid, input_option, "ROWS", include_values)
    body: dict = {"spreadsheetId": ss.spreadsheet_id}
    if table is not None:
        body["tableRange"] = a1.format_box(sheet.title, table)
    body["updates"] = updates
    return body


def shift_rows(sheet: Sheet, at: int, count: int) -> None:
    """Insert ``count`` empty rows before row ``at`` (0-based), moving cells down."""
    moved = {}
    for (r, c), cell in sheet.cells.items():
        moved[(r + count if r >= at else r, c)] = cell
    sheet.cells = moved
    sheet.properties["gridProperties"]["rowCount"] += count
