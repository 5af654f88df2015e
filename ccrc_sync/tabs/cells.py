"""Cells, rows and widths: the small pieces every generated tab is built from.

A cell's role follows its value (a date is a DATE, a count a NUMBER) so each tab says what
a cell is without repeating it, and widths are computed from what the cells hold, so a
column is as wide as its content needs and no wider than a page allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from ccrc_sync.layout import CellLink, Role, TabCell, TabRow, Tone
from ccrc_sync.schema import RecNo, Value, display, format_number, is_blank, rec_cell_value

# The generated tabs, by title, in the order they sit after the plan.
SUMMARY_TAB = "Summary"
ISSUES_TAB = "Sync Issues"
CHANGE_LOG_TAB = "Change Log"
MANAGED_TABS: tuple[str, ...] = (SUMMARY_TAB, ISSUES_TAB, CHANGE_LOG_TAB)

# Column widths in characters: never narrower than a short word, never so wide that a tab
# stops fitting the page; longer text wraps.
MIN_WIDTH = 6.0
MAX_WIDTH = 60.0
_PADDING = 2.0
# Cells that span the tab (a title, a sentence) do not decide a column's width.
_SPANNING = frozenset({Role.TITLE, Role.SENTENCE, Role.HEADING, Role.NOTE})

# Where a recommendation's cell is on one side: (Rec No., field or None for the row).
Where = Callable[[RecNo, str | None], CellLink | None]


def cell(value: Value, role: Role = Role.TEXT, link: CellLink | None = None) -> TabCell:
    """A cell whose role follows its value: a date is a DATE, a count a NUMBER; blank is
    None (never "", so a shorter tab also clears old cells)."""
    if is_blank(value):
        return TabCell(None, role, link)
    if role is Role.TEXT:
        if isinstance(value, dt.datetime):
            role = Role.DATETIME
        elif isinstance(value, dt.date):
            role = Role.DATE
        elif isinstance(value, int | float) and not isinstance(value, bool):
            role = Role.NUMBER
    return TabCell(value, role, link)


def row(*cells: TabCell | Value, tone: Tone = Tone.PLAIN) -> TabRow:
    return TabRow(tuple(c if isinstance(c, TabCell) else cell(c) for c in cells), tone)


def header(*names: str) -> TabRow:
    return TabRow(tuple(TabCell(n, Role.HEADER) for n in names))


def line(text: str, role: Role) -> TabRow:
    return TabRow((TabCell(text, role),))


def rec_cell(rec_no: RecNo | None) -> TabCell:
    """A Rec No. as staff see it in the plan: a number for a whole one, "20a" for a part."""
    if rec_no is None or rec_no == "":
        return TabCell(None)
    value = rec_cell_value(rec_no)
    return TabCell(value, Role.NUMBER if isinstance(value, int) else Role.TEXT)


def _shown_length(c: TabCell) -> float:
    value = c.value
    if is_blank(value):
        return 0.0
    if c.role is Role.PERCENT and isinstance(value, int | float):
        return float(len(f"{value:.1%}"))
    if isinstance(value, dt.datetime) or c.role is Role.DATETIME:
        return 16.0
    if isinstance(value, dt.date) or c.role is Role.DATE:
        return 10.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(len(f"{value:,}" if isinstance(value, int) else format_number(value)))
    text = display(value)
    longest = max(len(line) for line in text.splitlines()) if text else 0
    if c.role is Role.HEADER:
        return longest * 1.1  # bold letters are wider
    return float(longest)


def fit_widths(
    rows: Iterable[TabRow], *, minimum: float = MIN_WIDTH, maximum: float = MAX_WIDTH
) -> tuple[float, ...]:
    """Column widths (Excel's characters) that fit each column's longest value, capped, so
    short columns stay narrow and long text wraps instead of running off the page."""
    widths: list[float] = []
    for row in rows:
        for index, c in enumerate(row.cells):
            while len(widths) <= index:
                widths.append(minimum)
            if c.role in _SPANNING:
                continue
            wanted = min(maximum, _shown_length(c) + _PADDING)
            widths[index] = max(widths[index], wanted)
    return tuple(round(w, 1) for w in widths)
