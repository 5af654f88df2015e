"""The fast path for a worksheet part written the way Excel and openpyxl write it.

Calling back into Python for every element is what makes a streaming XML reader slow:
a 10,000-row plan is a quarter of a million elements. Excel and openpyxl both write
cells in one canonical spelling (`<c r="B2" s="3" t="s"><v>12</v></c>`, no prefix, no
comments, no CDATA), so for such a part one regex pass in C pulls out every row and
cell as a tuple, and Python touches each cell once to turn it into a value.

The path is taken only when it is exact: the whole part is first checked well-formed by
expat (in C, refusing any DTD), and the number of `<row>` and `<c>` tags found must equal
the number the regex read; anything else (a prefix, an attribute in another order, a
comment) falls back to the expat reader in `read`, which takes every spelling.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator

from ccrc_sync.schema import Formula, Value, a1, column_number
from ccrc_sync.workbook.cells import cast_number, from_serial, ooxml_unescape
from ccrc_sync.workbook.styles import Styles

# A cell as Excel and openpyxl spell it: (column letters, s, t, inner XML).
_CELL = rb'c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?\s*(?:/>|>(.*?)</c>)'
_CELLS = re.compile(b"<" + _CELL, re.S)
_TOKENS = re.compile(rb'<(?:row r="(\d+)"[^>]*>|' + _CELL + b")", re.S)
_SHEET_DATA = re.compile(rb"<sheetData\b[^>]*?(/?)>")
_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_ATTR = re.compile(rb"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_TEXT = re.compile(rb"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_CHUNK = 1 << 18
_PREFIXED = re.compile(rb"</?[A-Za-z_][\w.-]*:")


def sheet_data_span(data: bytes) -> tuple[int, int, int, int] | None:
    """(start, inner start, inner end, end) of an unprefixed `<sheetData>`, if the part
    is one the fast path may read (no prefix, comments, CDATA or processing instructions)."""
    opening = _SHEET_DATA.search(data)
    if opening is None or b"<![CDATA[" in data or b"<!--" in data:
        return None
    if data.find(b"<?", 5) > 0:  # a processing instruction past the XML declaration
        return None
    if opening.group(1):
        return opening.start(), opening.end(), opening.end(), opening.end()
    close = data.find(b"</sheetData>", opening.end())
    if close < 0 or _PREFIXED.search(data, opening.end(), close):
        return None
    return opening.start(), opening.end(), close, close + len(b"</sheetData>")


def count_tags(data: bytes, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """(rows, cells) as tags in data[start:end]: what the regex must account for."""
    end = len(data) if end is None else end
    rows = sum(data.count(tag, start, end) for tag in (b"<row ", b"<row>", b"<row/"))
    cells = sum(data.count(tag, start, end) for tag in (b"<c ", b"<c>", b"<c/"))
    return rows, cells


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    if "&" in text:
        text = html.unescape(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "_x" in text:
        text = ooxml_unescape(text)
    return text


def _attrs(raw: bytes) -> dict[str, str]:
    return {
        m[1].decode(): _text(m[2] if m[2] is not None else m[3] or b"") for m in _ATTR.finditer(raw)
    }


def read_cells(
    data: bytes,
    start: int,
    end: int,
    styles: Styles | None,
    strings: list[str],
    *,
    date1904: bool,
) -> tuple[list[list[Value]], int, int] | None:
    """The grid, and the rows and cells read; None when the regex did not account for
    every tag (the caller then reads the part with expat)."""
    grid: list[list[Value]] = []
    columns: dict[bytes, int] = {}
    shared: dict[str, tuple[str, int, int]] = {}
    kinds: dict[bytes, str | None] = {}
    moments: dict[bytes, Value] = {}
    row: list[Value] = []
    row_no = 0
    rows_read = cells_read = 0
    for rr, letters, s, t, inner in _tokens(data, start, end):
        if rr:
            rows_read += 1
            row_no = int(rr)
            while len(grid) < row_no:
                grid.append([])
            row = grid[row_no - 1]
            continue
        cells_read += 1
        if not inner:
            continue
        col = columns.get(letters)
        if col is None:
            col = columns[letters] = column_number(letters.decode())
        value: Value
        if b"<f" in inner and _FORMULA.search(inner):
            value = _formula(inner, shared, row_no, col)
        elif t == b"s":
            match = _VALUE.search(inner)
            index = int(match[1]) if match and match[1].strip() else -1
            value = strings[index] if 0 <= index < len(strings) else None
        elif t == b"inlineStr":
            if (
                inner[:7] == b"<is><t>"
                and inner[-9:] == b"</t></is>"
                and inner.find(b"<", 7, len(inner) - 9) < 0
            ):
                raw = inner[7:-9]
                value = (
                    raw.decode()
                    if b"&" not in raw and b"_x" not in raw and b"\r" not in raw
                    else _text(raw)
                ) or None
            else:
                if b"<rPh" in inner:
                    inner = _PHONETIC.sub(b"", inner)
                value = "".join(_text(m) for m in _TEXT.findall(inner)) or None
        else:
            match = _VALUE.search(inner)
            raw = match[1] if match else b""
            if not raw:
                continue
            if t == b"" or t == b"n":
                number = cast_number(raw.decode())
                value = number
                if s and styles is not None:
                    kind = kinds.get(s, "?")
                    if kind == "?":
                        kind = kinds[s] = styles.kind(int(s))
                    if kind is not None:
                        value = moments.get(raw)
                        if value is None:
                            value = moments[raw] = dated(number, date1904)
            elif t == b"b":
                value = raw.strip() in (b"1", b"true")
            elif t == b"d":
                value = iso(_text(raw))
            else:  # str (a formula's cached text without its formula), e (an error)
                value = _text(raw) or None
        if value is None:
            continue
        width = len(row)
        if col > width:
            if col > width + 1:
                row.extend([None] * (col - width - 1))
            row.append(value)
        else:
            row[col - 1] = value
    return grid, rows_read, cells_read


def _tokens(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, ...]]:
    """The regex's tuples, a few hundred rows at a time (cut at `<row` tags), so the
    tuples of a large sheet never all exist at once."""
    while start < end:
        cut = data.find(b"<row ", start + _CHUNK, end)
        cut = end if cut < 0 else cut
        yield from _TOKENS.findall(data, start, cut)
        start = cut


def _formula(inner: bytes, shared: dict[str, tuple[str, int, int]], row: int, col: int) -> Formula:
    match = _FORMULA.search(inner)
    assert match is not None
    attrs = _attrs(match[1])
    text = _text(match[2]) if match[2] else ""
    return formula_value(text, attrs, shared, row, col)


def formula_value(
    text: str, attrs: dict[str, str], shared: dict[str, tuple[str, int, int]], row: int, col: int
) -> Formula:
    """A `<f>` element as the plan holds it: a what-if table as its inputs, a shared
    formula's dependent cell translated from its master (both readers use this)."""
    kind = attrs.get("t")
    if kind == "dataTable":
        return Formula(f"=TABLE({attrs.get('r1', '')},{attrs.get('r2', '')})")
    if kind == "shared":
        si = attrs.get("si", "")
        if text:
            shared[si] = (text, row, col)
        elif si in shared:
            text = translate(shared[si], row, col)
    return Formula("=" + text)


def cells_of_row(piece: bytes) -> list[tuple[int, int, int, int, bool]] | None:
    """(column, start, end, s, has formula) of each `<c>` in a canonical `<row>`; None when
    the row is not in the canonical spelling."""
    out: list[tuple[int, int, int, int, bool]] = []
    for match in _CELLS.finditer(piece):
        inner = match[4] or b""
        out.append(
            (
                column_number(match[1].decode()),
                match.start(),
                match.end(),
                int(match[2]) if match[2] else 0,
                b"<f" in inner and _FORMULA.search(inner) is not None,
            )
        )
    _rows, cells = count_tags(piece)
    return out if len(out) == cells else None


def dated(number: int | float, date1904: bool) -> Value:
    """A number in a date format, as openpyxl reads it (a time of day as its text)."""
    if 0 <= number < 1:
        seconds = round(number * 86400)
        return str(dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60))
    try:
        return from_serial(float(number), date1904)
    except (OverflowError, ValueError):
        return number


def iso(text: str) -> Value:
    """A `t="d"` cell (ISO 8601 text, as Strict OOXML may store dates)."""
    try:
        moment = dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return text or None
    return moment.date() if moment.time() == dt.time() else moment


def translate(master: tuple[str, int, int], row: int, col: int) -> str:
    """A shared formula as it reads in a dependent cell (openpyxl's translator)."""
    from openpyxl.formula.translate import Translator

    text, mrow, mcol = master
    try:
        return str(Translator("=" + text, a1(mrow, mcol)).translate_formula(a1(row, col)))[1:]
    except Exception:  # an odd formula the translator cannot move: the master's text
        return text
