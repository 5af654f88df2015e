"""A1 notation, as the Sheets API reads and writes it.

Pure functions: parse a range string into a sheet title plus a (possibly open) grid box,
and render boxes back into the canonical form Google puts in responses
(``Sheet1!A1:D4``, ``'My tab'!A1``). Indices are 0-based, ends exclusive, like GridRange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^\$?([A-Za-z]*)\$?([0-9]*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class A1Error(ValueError):
    """The text is not valid A1 notation."""


@dataclass(frozen=True)
class Box:
    """A rectangle of cells; ``None`` bounds are open (to the grid's edge)."""

    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    def clip(self, rows: int, cols: int) -> Box:
        """Close every open bound against a grid of ``rows`` x ``cols``."""
        return Box(
            0 if self.start_row is None else self.start_row,
            rows if self.end_row is None else self.end_row,
            0 if self.start_col is None else self.start_col,
            cols if self.end_col is None else self.end_col,
        )


def col_to_index(letters: str) -> int:
    """``"A"`` -> 0, ``"AA"`` -> 26."""
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise A1Error(letters)
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def index_to_col(index: int) -> str:
    """0 -> ``"A"``, 26 -> ``"AA"``."""
    out = ""
    n = index + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(row: int, col: int) -> str:
    """0-based (row, col) -> ``"B3"``."""
    return f"{index_to_col(col)}{row + 1}"


def quote_title(title: str) -> str:
    """Quote a sheet title the way Google does in responses (only when needed)."""
    if _PLAIN_TITLE.match(title) and not _looks_like_cell(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _looks_like_cell(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z]{1,3}[0-9]+$", text)) or text.upper() in ("TRUE", "FALSE")


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """Split ``'Tab'!A1:B2`` into (title, cells). Either part may be None.

    Without ``!`` the caller must decide whether the text is a title or a range.
    """
    text = text.strip()
    if text.startswith("'"):
        i, title = 1, list[str]()
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return "".join(title), None
                if rest.startswith("!"):
                    return "".join(title), rest[1:] or None
                raise A1Error(text)
            title.append(ch)
            i += 1
        raise A1Error(text)
    if "!" in text:
        name, _, cells = text.rpartition("!")
        return name, cells or None
    return None, text


def _parse_point(text: str) -> tuple[int | None, int | None]:
    m = _CELL.match(text.strip())
    if not m or (not m.group(1) and not m.group(2)):
        raise A1Error(text)
    col = col_to_index(m.group(1)) if m.group(1) else None
    if m.group(2):
        row = int(m.group(2)) - 1
        if row < 0:
            raise A1Error(text)
    else:
        row = None
    return row, col


def parse_cells(text: str) -> Box:
    """Parse the cell part of a range: ``A1``, ``A1:B2``, ``A2:I``, ``A:A``, ``2:5``."""
    parts = text.split(":")
    if len(parts) == 1:
        row, col = _parse_point(parts[0])
        if row is None or col is None:
            raise A1Error(text)
        return Box(row, row + 1, col, col + 1)
    if len(parts) != 2:
        raise A1Error(text)
    (r1, c1), (r2, c2) = _parse_point(parts[0]), _parse_point(parts[1])
    # Google normalises reversed ranges (``B2:A1`` is ``A1:B2``).
    if r1 is not None and r2 is not None and r1 > r2:
        r1, r2 = r2, r1
    if c1 is not None and c2 is not None and c1 > c2:
        c1, c2 = c2, c1
    return Box(
        r1 if r1 is not None else 0,
        r2 + 1 if r2 is not None else None,
        c1 if c1 is not None else 0,
        c2 + 1 if c2 is not None else None,
    )


def format_box(title: str, box: Box) -> str:
    """Render a closed box as Google does: ``Sheet1!A1`` or ``Sheet1!A1:D4``."""
    assert box.start_row is not None and box.end_row is not None
    assert box.start_col is not None and box.end_col is not None
    first = cell_name(box.start_row, box.start_col)
    last = cell_name(box.end_row - 1, box.end_col - 1)
    cells = first if first == last else f"{first}:{last}"
    return f"{quote_title(title)}!{cells}"


def grid_range_to_box(grid_range: dict[str, int]) -> Box:
    """A GridRange JSON object (sheetId + indexes) to a Box, open where unset."""
    return Box(
        grid_range.get("startRowIndex"),
        grid_range.get("endRowIndex"),
        grid_range.get("startColumnIndex"),
        grid_range.get("endColumnIndex"),
    )
