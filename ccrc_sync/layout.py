"""The layout of a generated tab (`Summary`, `Sync Issues`, `Change Log`) as plain data.

Both sides show the same tabs, so the layout is decided once, by pure code (`summary`,
`report`), and drawn twice: the workbook writer turns a `TabLayout` into a worksheet part
with styles, widths, row heights and a chart; the Google Sheet writer into values plus the
formatting requests it sends when it creates the tab. Neither side decides what a tab says.

A cell carries a *role* (what it is: a heading, a percentage, a date) rather than a style,
so each side can draw it in its own terms. A row carries a *tone* (a conflict, an error,
a warning) that both sides show as the row's fill colour.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum

from ccrc_sync.schema import Value, as_date, display, is_blank, normalise


class Role(StrEnum):
    """What a cell is; each side maps it to its own formatting."""

    TITLE = "title"  # the tab's title, large and bold
    SENTENCE = "sentence"  # a line of prose under the title, wrapped across the tab's width
    HEADING = "heading"  # a section heading inside the tab ("Overdue")
    HEADER = "header"  # a table's column header: bold, white on dark blue
    TEXT = "text"  # ordinary wrapped text
    NUMBER = "number"  # a count
    PERCENT = "percent"  # a fraction (0.706) shown as a percentage (70.6%)
    DATE = "date"  # a date, shown dd/mm/yyyy
    DATETIME = "datetime"  # a moment, shown dd/mm/yyyy hh:mm
    NOTE = "note"  # a quiet line: "No overdue recommendations.", "Figures last changed ..."


class Tone(StrEnum):
    """A row's fill: what kind of thing the row reports."""

    PLAIN = "plain"
    CONFLICT = "conflict"  # needs a person: the two sides disagree
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class TabKind(StrEnum):
    SUMMARY = "summary"
    ISSUES = "issues"
    LOG = "log"


@dataclass(frozen=True)
class CellLink:
    """A link to a cell of the plan tab on the same side (1-based row and column)."""

    sheet: str
    row: int
    col: int


@dataclass(frozen=True)
class TabCell:
    value: Value
    role: Role = Role.TEXT
    link: CellLink | None = None


@dataclass(frozen=True)
class TabRow:
    cells: tuple[TabCell, ...]
    tone: Tone = Tone.PLAIN


@dataclass(frozen=True)
class ChartSpec:
    """A stacked column chart over a table inside the tab (positions 1-based in the tab).

    `header_row` holds the series names (the statuses); rows `first_row`..`last_row` hold
    one category each (the sections) with the category in `category_col` and the counts
    in `series_cols`. The chart's top-left corner sits at (`anchor_row`, `anchor_col`).
    """

    title: str
    header_row: int
    first_row: int
    last_row: int
    category_col: int
    series_cols: tuple[int, ...]
    anchor_row: int
    anchor_col: int
    x_title: str = "Section"
    y_title: str = "Recommendations"
    stacked: bool = True
    # Size in the tab's own terms: columns wide and rows tall (each side converts).
    width_cols: int = 8
    height_rows: int = 18


@dataclass(frozen=True)
class TabLayout:
    """One generated tab, ready to draw on either side."""

    title: str
    kind: TabKind
    rows: tuple[TabRow, ...]
    # Column widths in characters (Excel's unit); the Google side converts to pixels.
    widths: tuple[float, ...] = ()
    freeze_rows: int = 1
    chart: ChartSpec | None = None
    # Printing: A4, landscape, one page wide; at most this many pages tall (None: any).
    landscape: bool = True
    max_pages_tall: int | None = None

    @property
    def width(self) -> int:
        return max((len(r.cells) for r in self.rows), default=0)

    def grid(self) -> list[list[Value]]:
        """The plain values, padded to a rectangle with None: what the tab should read as."""
        width = self.width
        return [[c.value for c in r.cells] + [None] * (width - len(r.cells)) for r in self.rows]


# --------------------------------------------------------------------------- comparing


def same_value(desired: Value, current: Value) -> bool:
    """Whether a tab cell already shows `desired`, whichever way its side reads it back.

    A side may hand a value back differently from how it was written: a number as text, a
    percentage rounded, a date as a serial number or as text such as `31/03/2027`. Treating
    those as the same keeps an idle run from rewriting a tab that already says the right
    thing.
    """
    if is_blank(desired) and is_blank(current):
        return True
    if is_blank(desired) or is_blank(current):
        return False
    if isinstance(desired, dt.date):
        if isinstance(current, int | float) and not isinstance(current, bool):
            return _serial_matches(desired, float(current))
        got = as_date(current) if not isinstance(current, dt.datetime) else None
        if isinstance(current, dt.datetime):
            return _same_moment(desired, current)
        if isinstance(desired, dt.datetime):
            return display(desired) == display(current) or _moment_text(desired) == str(current)
        return got == desired
    if isinstance(desired, int | float) and not isinstance(desired, bool):
        number = _number(current)
        return number is not None and math.isclose(
            float(desired), number, rel_tol=1e-9, abs_tol=1e-9
        )
    return normalise("", desired) == normalise("", current)


def grid_differs(current: list[list[Value]] | None, desired: list[list[Value]]) -> bool:
    """Whether writing `desired` would change what a tab shows (None: the tab is missing)."""
    if current is None:
        return True
    for r in range(max(len(current), len(desired))):
        a = desired[r] if r < len(desired) else []
        b = current[r] if r < len(current) else []
        for c in range(max(len(a), len(b))):
            if not same_value(a[c] if c < len(a) else None, b[c] if c < len(b) else None):
                return True
    return False


_EPOCH = dt.datetime(1899, 12, 30)


def _serial_matches(desired: dt.date, serial: float) -> bool:
    moment = _EPOCH + dt.timedelta(days=serial)
    if isinstance(desired, dt.datetime):
        return abs((moment - desired.replace(tzinfo=None)).total_seconds()) < 1
    return moment.date() == desired and moment.time() == dt.time()


def _same_moment(desired: dt.date, current: dt.datetime) -> bool:
    if isinstance(desired, dt.datetime):
        return desired.replace(tzinfo=None) == current.replace(tzinfo=None)
    return current.date() == desired and current.time() == dt.time()


def _moment_text(moment: dt.datetime) -> str:
    return f"{moment:%d/%m/%Y %H:%M}"


def _number(value: Value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        scale = 1.0
        if text.endswith("%"):
            text, scale = text[:-1], 0.01
        try:
            return float(text) * scale
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------- row heights

# Excel's default row is 15 points for one line of 11-point Calibri.
POINTS_PER_LINE = 15.0
# Characters of 11-point Calibri that fit in one character unit of column width, on
# average for English prose (wider letters and the cell's padding balance out).
CHARS_PER_WIDTH_UNIT = 1.1


def estimate_lines(text: str, width_chars: float) -> int:
    """How many lines `text` wraps to in a column `width_chars` wide (Excel's units).

    An estimate from the text's length, word by word, so a long word pushes to the next
    line as it does on screen; explicit line breaks start new lines.
    """
    if not text:
        return 1
    capacity = max(1, int(width_chars * CHARS_PER_WIDTH_UNIT) - 1)
    lines = 0
    for paragraph in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        used = 0
        count = 1
        for word in paragraph.split(" "):
            size = len(word)
            if used == 0:
                used = size
            elif used + 1 + size <= capacity:
                used += 1 + size
            else:
                count += 1
                used = size
            while used > capacity:  # a word longer than the column breaks across lines
                count += 1
                used -= capacity
        lines += count
    return max(1, lines)


def row_height(texts: list[tuple[str, float]], *, min_lines: int = 1) -> float | None:
    """The height in points for a row holding wrapped `texts` ((text, column width) pairs),
    or None when one line is enough (the row keeps the default height)."""
    lines = max([min_lines, *(estimate_lines(t, w) for t, w in texts if t)])
    if lines <= 1:
        return None
    return round(lines * POINTS_PER_LINE, 2)


@dataclass(frozen=True)
class Colours:
    """The palette both sides use (RGB hex, no '#'), so a tone looks the same everywhere."""

    header_fill: str = "1F4E78"
    header_text: str = "FFFFFF"
    heading_text: str = "1F4E78"
    note_text: str = "595959"
    tones: dict[Tone, str] = field(
        default_factory=lambda: {
            Tone.CONFLICT: "F8CBAD",
            Tone.ERROR: "FFC7CE",
            Tone.WARNING: "FFEB9C",
            Tone.INFO: "DDEBF7",
        }
    )
    # Status cells on the plan tab, by conditional formatting on both sides.
    statuses: dict[str, str] = field(
        default_factory=lambda: {
            "Planned": "D9D9D9",
            "In Progress": "FFE699",
            "Complete": "C6EFCE",
        }
    )
    # A conflicting cell in the plan tab.
    conflict_mark: str = "F4B084"


COLOURS = Colours()
