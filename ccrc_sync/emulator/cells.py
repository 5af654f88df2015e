"""The values endpoints on a spreadsheet: read, write, append, clear.

Functions take a ``Spreadsheet`` and plain request data and return the JSON body Google
would send back, raising ``ApiError`` with Google's messages. Every write is planned
whole before any cell changes (range checks, grid limits, strict validation), so a
refused request, or a refused item of a batch, leaves the spreadsheet as it was.

Behaviour taken from the reference: null values in a write are skipped ("To set a cell
to an empty value, set the string value to an empty string"); ``updatedRows``,
``updatedColumns`` and ``updatedCells`` count the rows, columns and cells actually
written; a write past the grid is refused (only ``values.append`` adds rows, "adding
data to the end of the sheet will still insert new rows or columns").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ccrc_sync.emulator import a1, formula, grid, numfmt, validation, values
from ccrc_sync.emulator.errors import bad_request
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.store import Sheet, Spreadsheet


def effective(ss: Spreadsheet, sheet: Sheet, cell: JSON | None, depth: int = 0) -> JSON | None:
    """The cell's computed value (ExtendedValue), evaluating formulas against live data."""
    if not cell:
        return None
    entered = cell.get("userEnteredValue")
    if not entered:
        return None
    if "formulaValue" in entered:
        return formula.evaluate(ss, sheet, entered["formulaValue"], depth, effective)
    return dict(entered)


def number_format(cell: JSON | None) -> JSON | None:
    if not cell:
        return None
    fmt: JSON | None = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    return fmt


def render_cell(ss: Spreadsheet, sheet: Sheet, cell: JSON | None, vro: str, dtro: str) -> Any:
    """One cell under valueRenderOption ``vro`` and dateTimeRenderOption ``dtro``."""
    if not cell:
        return ""
    return numfmt.render(
        effective(ss, sheet, cell),
        cell.get("userEnteredValue"),
        number_format(cell),
        vro,
        dtro,
        ss.locale,
    )


# --- reading -------------------------------------------------------------------------------


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty cells in each row and trailing empty rows, as Google does."""
    out = []
    for row in rows:
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
) -> JSON:
    """A ValueRange for ``range_text`` (values.get)."""
    sheet, raw = ss.resolve(range_text)
    return read_box(ss, sheet, raw.clip(sheet.rows, sheet.cols), major, vro, dtro)


def read_box(
    ss: Spreadsheet,
    sheet: Sheet,
    box: a1.Box,
    major: str = "ROWS",
    vro: str = "FORMATTED_VALUE",
    dtro: str = "SERIAL_NUMBER",
) -> JSON:
    """A ValueRange for a closed box; past the grid is Google's grid-limits error."""
    if grid.beyond_grid(sheet, box):
        raise bad_request(grid.limits_message(sheet, box))
    rows = grid_values(ss, sheet, box, vro, dtro)
    if (major or "ROWS").upper() == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        rows = [[r[i] if i < len(r) else "" for r in rows] for i in range(width)]
    body: JSON = {"range": a1.format_box(sheet.title, box), "majorDimension": major or "ROWS"}
    trimmed = _trim(rows)
    if trimmed:
        body["values"] = trimmed
    return body


def grid_values(ss: Spreadsheet, sheet: Sheet, box: a1.Box, vro: str, dtro: str) -> list[list[Any]]:
    """Rendered values in ``box``; fast when the sheet is sparse."""
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    cols = box.end_col - box.start_col
    occupied = [
        (r, c)
        for (r, c) in sheet.cells
        if box.start_row <= r < box.end_row and box.start_col <= c < box.end_col
    ]
    if not occupied:
        return []
    last_row = max(r for r, _ in occupied)
    rows: list[list[Any]] = [[""] * cols for _ in range(last_row - box.start_row + 1)]
    for r, c in occupied:
        rows[r - box.start_row][c - box.start_col] = render_cell(
            ss, sheet, sheet.cells[(r, c)], vro, dtro
        )
    return rows


# --- writing -------------------------------------------------------------------------------


def entry_for(value: Any, input_option: str, locale: str, cell: JSON | None = None) -> JSON:
    """CellData for one written value under valueInputOption.

    A cell formatted as plain text (``TEXT``) keeps what is typed as text, as the UI does.
    """
    if input_option == "USER_ENTERED":
        if (number_format(cell) or {}).get("type") == "TEXT":
            return values.plain_text(value)
        return values.parse_user_entered(value, locale)
    if input_option == "RAW":
        return values.raw_entry(value)
    raise bad_request(
        "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED"
        if not input_option
        else f"Invalid value at 'value_input_option' ({input_option})"
    )


def put_entry(sheet: Sheet, row: int, col: int, entry: JSON) -> None:
    """Store a typed value, keeping the cell's other properties (format, validation, note).

    A number format a person set stays; one that parsing chose before (``_autoFormat``)
    gives way to whatever parsing detects now.
    """
    cell = dict(sheet.cells.get((row, col), {}))
    cell.pop("userEnteredValue", None)
    cell.pop("quotePrefix", None)
    if "userEnteredValue" in entry:
        cell["userEnteredValue"] = entry["userEnteredValue"]
    if entry.get("quotePrefix"):
        cell["quotePrefix"] = True
    detected = (entry.get("userEnteredFormat") or {}).get("numberFormat")
    fmt = cell.get("userEnteredFormat") or {}
    explicit = "numberFormat" in fmt and not cell.get("_autoFormat")
    if detected and not explicit:
        cell["userEnteredFormat"] = {**fmt, "numberFormat": dict(detected)}
        cell["_autoFormat"] = True
    grid.store_cell(sheet, row, col, cell, pruned=False)


@dataclass
class Write:
    """One planned write: checked whole, applied later with ``apply``."""

    sheet: Sheet
    box: a1.Box  # where the values array lands (top-left and its extent)
    cells: list[tuple[int, int, JSON]] = field(default_factory=list)
    grow: bool = False  # values.append: add rows and columns the values need

    @property
    def rows(self) -> set[int]:
        return {r for r, _c, _e in self.cells}

    @property
    def columns(self) -> set[int]:
        return {c for _r, c, _e in self.cells}

    def apply(self, ss: Spreadsheet) -> JSON:
        """Write the planned cells; the counts Google reports for them."""
        if self.grow and self.cells:
            self.sheet.grow(self.box.end_row or 0, self.box.end_col or 0)
        for r, c, entry in self.cells:
            put_entry(self.sheet, r, c, entry)
        ss.touch()
        body: JSON = {"updatedRange": a1.format_box(self.sheet.title, self.box)}
        for key, count in (
            ("updatedRows", len(self.rows)),
            ("updatedColumns", len(self.columns)),
            ("updatedCells", len(self.cells)),
        ):
            if count:
                body[key] = count
        return body


def orient(rows: Any, major: str, where: str = "data.values") -> list[list[Any]]:
    """The values array as rows, whatever its major dimension; 400 when not a 2-D list."""
    if rows is None:
        return []
    if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
        raise bad_request(
            f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue), "
            f'"{rows}"'
        )
    if (major or "ROWS").upper() == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        return [[r[i] if i < len(r) else None for r in rows] for i in range(width)]
    return rows


def plan_write(
    ss: Spreadsheet,
    sheet: Sheet,
    raw: a1.Box,
    rows: list[list[Any]],
    input_option: str,
    *,
    where: str = "values",
    columns_major: bool = False,
    bounded: bool = False,
    grow: bool = False,
    fresh: bool = False,
    check_rules: bool = True,
) -> Write:
    """Check a write of ``rows`` at ``raw``'s top-left and plan it; nothing is changed.

    ``bounded`` holds the data inside ``raw`` even when it is a single cell (data filters:
    "If the provided values exceed any of the ranges matched ... the request fails").
    ``grow`` lets the grid expand to take the values (values.append); ``fresh`` plans for
    rows about to be inserted, which carry no format or rule yet; ``check_rules=False``
    skips strict data validation (test set-up of data entered before a rule existed).
    """
    start_row, start_col = raw.start_row or 0, raw.start_col or 0
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    _check_fits(sheet, raw, height, width, bounded)
    box = a1.Box(start_row, start_row + max(height, 1), start_col, start_col + max(width, 1))
    plan = Write(sheet, box, grow=grow)
    if not height or not width:
        return plan
    if not grow and grid.beyond_grid(sheet, box):
        raise bad_request(grid.limits_message(sheet, box))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is None:
                continue
            r, c = start_row + i, start_col + j
            cell = None if fresh else sheet.cells.get((r, c))
            entry = entry_for(value, input_option, ss.locale, cell)
            if not fresh and check_rules:
                path = f"{where}[{j}][{i}]" if columns_major else f"{where}[{i}][{j}]"
                validation.check(ss, sheet, r, c, entry, path)
            plan.cells.append((r, c, entry))
    return plan


def _check_fits(sheet: Sheet, raw: a1.Box, height: int, width: int, bounded: bool) -> None:
    """Data larger than an explicit multi-cell range is Google's 400."""
    single = (
        raw.end_row is not None
        and raw.end_col is not None
        and raw.end_row - (raw.start_row or 0) == 1
        and raw.end_col - (raw.start_col or 0) == 1
    )
    if single and not bounded:
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


def write_range(
    ss: Spreadsheet,
    range_text: str,
    rows: Any,
    input_option: str,
    major: str = "ROWS",
    include_values: bool = False,
    vro: str = "FORMATTED_VALUE",
    dtro: str = "SERIAL_NUMBER",
    *,
    grow: bool = False,
    check_rules: bool = True,
) -> JSON:
    """values.update: write ``rows`` from the range's top-left (refused past the grid)."""
    sheet, raw = ss.resolve(range_text)
    columns_major = (major or "ROWS").upper() == "COLUMNS"
    data = orient(rows, major, "values")
    plan = plan_write(
        ss,
        sheet,
        raw,
        data,
        input_option,
        columns_major=columns_major,
        grow=grow,
        check_rules=check_rules,
    )
    body: JSON = {"spreadsheetId": ss.spreadsheet_id, **plan.apply(ss)}
    if include_values and plan.cells:
        body["updatedData"] = read_box(ss, sheet, plan.box, "ROWS", vro, dtro)
    return body


def clear_range(ss: Spreadsheet, range_text: str) -> JSON:
    """values.clear: remove values only; formats and validation stay. Past the grid is
    refused, as a read is."""
    sheet, raw = ss.resolve(range_text)
    box = raw.clip(sheet.rows, sheet.cols)
    if grid.beyond_grid(sheet, box):
        raise bad_request(grid.limits_message(sheet, box))
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


# --- appending -----------------------------------------------------------------------------


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
) -> JSON:
    """values.append: write after the table found in the range, adding rows as needed."""
    sheet, raw = ss.resolve(range_text)
    box = raw.clip(sheet.rows, sheet.cols)
    table = find_table(sheet, box)
    data = orient(rows, major, "values")
    height = len(data)
    if table is None:
        start_row, start_col = box.start_row or 0, box.start_col or 0
    else:
        assert table.end_row is not None
        start_row, start_col = table.end_row, table.start_col or 0
    anchor = a1.Box(start_row, start_row + 1, start_col, start_col + 1)
    columns_major = (major or "ROWS").upper() == "COLUMNS"
    insert = (insert_option or "OVERWRITE").upper() == "INSERT_ROWS" and height > 0
    plan = plan_write(
        ss, sheet, anchor, data, input_option, columns_major=columns_major, grow=True, fresh=insert
    )
    if insert:  # checked already: now make room, rows and their metadata moving down
        grid.shift(sheet, True, start_row, height)
        sheet.properties["gridProperties"]["rowCount"] += height
    updates: JSON = {"spreadsheetId": ss.spreadsheet_id, **plan.apply(ss)}
    if include_values and plan.cells:
        updates["updatedData"] = read_box(ss, sheet, plan.box)
    body: JSON = {"spreadsheetId": ss.spreadsheet_id}
    if table is not None:
        body["tableRange"] = a1.format_box(sheet.title, table)
    body["updates"] = updates
    return body
