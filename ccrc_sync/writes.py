"""What one run writes to each side, as plain data.

The run is planned in memory (`plan.plan_run`, pure) and only then applied. The plan says
*what* changes on each side in the side's own coordinates; the side's writer (`workbook`,
`sheet`) decides *how* (XML parts, API requests) and never decides anything else. A writer
refuses rather than guesses: a cell it cannot write is reported, not skipped silently.

Rows and columns are 1-based, as staff and A1 references count them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ccrc_sync.layout import TabLayout
from ccrc_sync.schema import Value

# ----------------------------------------------------------------------------- workbook


@dataclass(frozen=True)
class CellEdit:
    """Set one plan-sheet cell. None clears it. Text is always written as text."""

    row: int
    col: int
    value: Value


@dataclass(frozen=True)
class RowAppend:
    """A new row after the last data row, styled like the row above it (column -> value)."""

    values: Mapping[int, Value]


@dataclass(frozen=True)
class CellMark:
    """Mark a conflicting cell: a fill colour, and a note/comment naming both values."""

    row: int
    col: int
    note: str


@dataclass(frozen=True)
class CellUnmark:
    """Remove a mark this tool set earlier and restore the cell's own formatting.

    `token` is what the side's writer returned when it set the mark (kept in the state),
    so it can restore exactly what the cell had; None when nothing was kept.
    """

    row: int
    col: int
    token: str | None = None


@dataclass(frozen=True)
class WorkbookWrites:
    """Everything one run changes in the workbook."""

    cells: tuple[CellEdit, ...] = ()
    appends: tuple[RowAppend, ...] = ()
    # Generated tabs to add or replace whole, by title.
    tabs: Mapping[str, TabLayout] = field(default_factory=dict)
    marks: tuple[CellMark, ...] = ()
    unmarks: tuple[CellUnmark, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.cells or self.appends or self.tabs or self.marks or self.unmarks)


# ------------------------------------------------------------------------------- sheet


@dataclass(frozen=True)
class SheetCellWrite:
    """Set one cell of a recommendation's row in the Google Sheet's plan tab.

    The write is addressed to the recommendation (`rec_no`), not to a position: the
    writer finds the row by the tag it keeps on each plan row, so a sort or an insert
    between the read and the write cannot send the value to another recommendation.
    `row` is where the run read it, used only to tag a row that has no tag yet.
    """

    rec_no: str
    row: int
    col: int
    value: Value


@dataclass(frozen=True)
class SheetRowAppend:
    """A new recommendation's row at the end of the plan tab (column -> value), its Rec No.
    cell included, in the form `schema.rec_cell_value` gives (the writer adds nothing)."""

    rec_no: str
    values: Mapping[int, Value]


@dataclass(frozen=True)
class SheetMark:
    """Mark a conflicting cell of `rec_no`'s row: a fill colour and a note."""

    rec_no: str
    row: int
    col: int
    note: str


@dataclass(frozen=True)
class SheetUnmark:
    rec_no: str
    row: int
    col: int
    token: str | None = None


@dataclass(frozen=True)
class PlanPublish:
    """Create (or fill an empty) plan tab from the workbook: the header row, then one row
    per recommendation, each tagged with its Rec No."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Value, ...]], ...]  # (rec_no, values by column from A)


@dataclass(frozen=True)
class SheetWrites:
    """Everything one run changes in the Google Sheet."""

    publish: PlanPublish | None = None
    cells: tuple[SheetCellWrite, ...] = ()
    appends: tuple[SheetRowAppend, ...] = ()
    # Generated tabs whose content changed (or that are missing), by title.
    tabs: Mapping[str, TabLayout] = field(default_factory=dict)
    marks: tuple[SheetMark, ...] = ()
    unmarks: tuple[SheetUnmark, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.publish or self.cells or self.appends or self.tabs or self.marks or self.unmarks
        )
