"""The plan as a table: both sides are read into this shape, then judged by one set of rules.

Columns are found by their header text, not their position, so staff may reorder, insert
or rename (within reason) columns on either side and the plan still reads the same.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ccrc_sync.schema.fields import REC_NO, RecNo, Value, match_header, rec_no_of
from ccrc_sync.schema.values import display, is_blank


class PlanRow(BaseModel):
    """One non-blank data row: where it sits (1-based) and what it holds, by canonical label."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    row: int
    values: dict[str, Value]
    extras: dict[str, Value] = {}

    @property
    def key(self) -> RecNo | None:
        """This row's Rec No. key, or None when the cell is blank, invalid or a formula."""
        return rec_no_of(self.values.get(REC_NO))


class PlanTable(BaseModel):
    """A sheet read as a table. Columns are found by header, so staff may reorder them.

    Built with `model_construct` by `table_from_grid` (the values are already typed, and a
    `Formula` must stay a `Formula` rather than be coerced to plain text by validation).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    sheet: str
    header_row: int
    headers: list[str]
    columns: dict[str, int]
    extra_columns: dict[str, int]
    rows: list[PlanRow]
    # Columns whose header repeats a known field; the first one wins, these are ignored.
    duplicate_columns: dict[int, str] = {}
    # Merged ranges (A1, e.g. "C5:D5") as the reader found them; the workbook side only.
    merged: list[str] = []

    def by_rec_no(self) -> dict[RecNo, dict[str, Value]]:
        """Rec No. -> label -> value, first occurrence of each valid Rec No.

        Only columns present on this side appear, so a missing column is never mistaken
        for cells someone emptied.
        """
        table: dict[RecNo, dict[str, Value]] = {}
        for plan_row in self.rows:
            key = plan_row.key
            if key is not None and key not in table:
                table[key] = dict(plan_row.values)
        return table

    def row_of(self) -> dict[RecNo, int]:
        """Rec No. -> 1-based sheet row of its first occurrence."""
        rows: dict[RecNo, int] = {}
        for plan_row in self.rows:
            key = plan_row.key
            if key is not None and key not in rows:
                rows[key] = plan_row.row
        return rows


# How far down we look for the header row: a title or a blank line above it is common.
_HEADER_SEARCH_ROWS = 10


def _find_header_row(grid: list[list[Value]]) -> int:
    """0-based index of the header: the first early row naming at least two known fields.

    Row 1 normally; a title row ("CCRC Action Plan") above the headers is tolerated.
    Falls back to the first non-blank row so missing columns are reported against it.
    """
    first_nonblank = None
    for index, row in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        if first_nonblank is None and any(not is_blank(v) for v in row):
            first_nonblank = index
        known = {match_header(v) for v in row if isinstance(v, str)} - {None}
        if len(known) >= 2:
            return index
    return first_nonblank or 0


def table_from_grid(grid: list[list[Value]], sheet: str) -> PlanTable:
    """Read a row-major grid of cell values into a `PlanTable`.

    Headers are matched by name (`match_header`), blank rows are skipped, and columns we
    do not know are kept as extras so nothing staff added is lost or misread.
    """
    header_index = _find_header_row(grid)
    header_cells = grid[header_index] if grid else []
    headers = [display(v) for v in header_cells]
    columns: dict[str, int] = {}
    extra_columns: dict[str, int] = {}
    duplicates: dict[int, str] = {}
    for col, text in enumerate(headers, start=1):
        if not text.strip():
            continue
        label = match_header(text)
        if label is None:
            extra_columns.setdefault(text.strip(), col)
        elif label in columns:
            duplicates[col] = label
        else:
            columns[label] = col
    known = [(label, col - 1) for label, col in columns.items()]
    extra = [(text, col - 1) for text, col in extra_columns.items()]
    rows: list[PlanRow] = []
    for index in range(header_index + 1, len(grid)):
        cells = grid[index]
        width = len(cells)
        values = {label: (cells[i] if i < width else None) for label, i in known}
        extras = {text: (cells[i] if i < width else None) for text, i in extra}
        if all(is_blank(v) for v in values.values()) and all(is_blank(v) for v in extras.values()):
            continue
        rows.append(PlanRow.model_construct(row=index + 1, values=values, extras=extras))
    return PlanTable.model_construct(
        sheet=sheet,
        header_row=header_index + 1,
        headers=headers,
        columns=columns,
        extra_columns=extra_columns,
        rows=rows,
        duplicate_columns=duplicates,
        merged=[],
    )
