"""What one run sends to the Google Sheet: the plan tab's new cells and rows, the
regenerated tabs, and the tab furniture, gathered into at most two requests (one
structural `:batchUpdate`, one `values:batchUpdate`).

The sync decides *what* changes; this module decides *where* each change lands in the
sheet (the row the merge read, new rows after the last one) and leaves out anything that
would not change what the sheet already shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from ccrc_sync import schema
from ccrc_sync.config import Config
from ccrc_sync.errors import SheetError
from ccrc_sync.merge import Change
from ccrc_sync.schema import PlanTable, Value
from ccrc_sync.sheet.legacy import GoogleSheet, add_tab_request, chart_request, plan_format_requests


class SheetWrites:
    """Everything this run will send to the Google Sheet, gathered into two requests."""

    def __init__(
        self,
        config: Config,
        sheet: GoogleSheet,
        table: PlanTable | None,
        book_table: PlanTable,
        publish: bool,
        plan_grid: list[list[str]],
        *,
        furnish: bool = False,
    ) -> None:
        self.config = config
        self.sheet = sheet
        self.table = table
        self.structure: list[dict] = []
        self.blocks: list[tuple[str, int, int, list[list[Value]]]] = []
        self.next_sheet_id = 1 + max((t.sheet_id for t in sheet.tabs.values()), default=0)
        title = config.plan.sheet
        if publish:
            self._publish(book_table, title)
        else:
            # The first row with a Rec No. is the one the merge read (a repeat is an error).
            self.rows = table.row_of()
            self.next_row = len(plan_grid) + 1
            info = sheet.tabs.get(title)
            if furnish and info is not None:
                # A plan tab staff made themselves gets the drop-downs, frozen header and
                # date format once, as a published one does.
                self.structure += plan_format_requests(
                    info.sheet_id,
                    table.columns,
                    config.plan.statuses,
                    config.plan.sections,
                    header_row=table.header_row,
                )

    def _new_tab(self, title: str, rows: int, cols: int) -> int:
        sheet_id = self.next_sheet_id
        self.next_sheet_id += 1
        self.structure.append(add_tab_request(title, sheet_id, rows, cols))
        return sheet_id

    def _publish(self, book: PlanTable, title: str) -> None:
        """An empty or missing plan tab is created from the workbook, headers first."""
        ncols = max([len(book.headers), *book.columns.values(), *book.extra_columns.values()])
        headers: list[Value] = [
            book.headers[i] if i < len(book.headers) else None for i in range(ncols)
        ]
        grid: list[list[Value]] = [headers]
        for row in book.rows:
            cells: list[Value] = [None] * ncols
            for label, col in book.columns.items():
                cells[col - 1] = row.values.get(label)
            for name, col in book.extra_columns.items():
                cells[col - 1] = row.extras.get(name)
            grid.append(cells)
        info = self.sheet.tabs.get(title)
        if info is None:
            sheet_id = self._new_tab(title, max(1000, len(grid) + 100), max(26, ncols))
        else:
            sheet_id = info.sheet_id
        self.structure += plan_format_requests(
            sheet_id,
            book.columns,
            self.config.plan.statuses,
            self.config.plan.sections,
        )
        self.blocks.append((title, 1, 1, grid))
        self.rows = {}
        self.next_row = len(grid) + 1

    def clear_rows(self, rec_nos: Sequence[int]) -> None:
        """Propagate a deletion by blanking the row (readers skip blank rows). A values write
        is safe to repeat, where a retried `deleteDimension` whose first answer was lost
        would delete the next row down as well."""
        if not rec_nos or self.table is None:
            return
        width = max([*self.table.columns.values(), *self.table.extra_columns.values(), 1])
        for rec_no in rec_nos:
            row = self.rows.pop(rec_no, None)
            if row is not None:
                self.blocks.append((self.config.plan.sheet, row, 1, [[None] * width]))

    def add_changes(self, changes: Sequence[Change]) -> None:
        if not changes or self.table is None:
            return
        title = self.config.plan.sheet
        columns = self.table.columns
        new_rows: dict[int, int] = {}
        for change in changes:
            col = columns.get(change.field)
            if col is None:
                continue
            row = self.rows.get(change.rec_no)
            if row is None:
                if change.rec_no not in new_rows:
                    new_rows[change.rec_no] = self.next_row
                    self.next_row += 1
                    # A new row always carries its Rec No., even if the merge lists it last.
                    self.blocks.append(
                        (title, new_rows[change.rec_no], columns[schema.REC_NO], [[change.rec_no]])
                    )
                row = new_rows[change.rec_no]
            self.blocks.append((title, row, col, [[change.new]]))

    def set_tab(
        self, title: str, grid: list[list[Value]], current: list[list[str]] | None, chart
    ) -> None:
        info = self.sheet.tabs.get(title)
        rows = max(len(grid), len(current or []))
        cols = max([len(r) for r in grid] + [len(r) for r in current or []] + [1])
        if info is None:
            sheet_id = self._new_tab(title, max(1000, rows + 100), max(26, cols))
            has_chart = False
        else:
            if not grid_differs(current, grid) and (chart is None or info.has_chart):
                return
            sheet_id = info.sheet_id
            has_chart = info.has_chart
        if chart is not None and not has_chart:
            self.structure.append(chart_request(sheet_id, chart))
        if grid_differs(current, grid):
            padded = [[(r[c] if c < len(r) else None) for c in range(cols)] for r in grid]
            padded += [[None] * cols for _ in range(rows - len(grid))]
            self.blocks.append((title, 1, 1, padded))

    def apply(self) -> list[str]:
        """Send the structure, then the values; returns notes for the run."""
        # Tabs added in this batch are sized for their content; existing ones grow to fit.
        structure = self.structure + self.sheet.expansion_requests(self.blocks)
        notes: list[str] = []
        try:
            self.sheet.update_structure(structure)
        except SheetError as exc:
            # The batch is atomic, so nothing of it applied. Drop-downs, formats and the
            # chart are furniture: if the service refuses them, the data still goes across.
            essential = [r for r in structure if {"addSheet", "appendDimension"} & r.keys()]
            if exc.code != 400 or essential == structure:
                raise
            self.sheet.update_structure(essential)
            notes.append(
                "The Google Sheet refused the drop-downs, formats or chart "
                f"({exc}); the data was synced without them."
            )
        self.sheet.write(self.blocks)
        return notes


def same_cell(desired: Value, current: Value) -> bool:
    """A generated cell against what a side holds: blanks alike, numbers by value, the
    rest as shown (a side may hand a number back as text)."""
    if schema.is_blank(desired) and schema.is_blank(current):
        return True
    if isinstance(desired, int | float) and not isinstance(desired, bool):
        return schema.normalise("", desired) == schema.normalise("", current)
    return schema.display(desired) == schema.display(current)


def grid_differs(
    current: Sequence[Sequence[Value]] | None, desired: Sequence[Sequence[Value]]
) -> bool:
    """Whether writing `desired` would change anything: a run that changes nothing
    writes nothing."""
    if current is None:
        return True
    rows = max(len(current), len(desired))
    for r in range(rows):
        a = desired[r] if r < len(desired) else []
        b = current[r] if r < len(current) else []
        for c in range(max(len(a), len(b))):
            if not same_cell(a[c] if c < len(a) else None, b[c] if c < len(b) else None):
                return True
    return False
