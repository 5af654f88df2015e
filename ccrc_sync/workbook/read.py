"""The streaming reader: a worksheet part to a grid of values in one pass.

`validate` reads the plan with this alone (plus the shared strings, styles for date
formats and workbook.xml for sheet names and the date system), never openpyxl's object
model: one expat pass, a tuple of state per cell, no cell objects. The same pass, given
the part's bytes, also records where each row and each top-level element sits, which is
all the patcher needs to splice edits in without re-parsing.

Rows and cells are counted as they stream, so a sheet past the limits stops at once.
"""

from __future__ import annotations

import gc
import re
import xml.parsers.expat as expat
from collections.abc import Iterable
from dataclasses import dataclass, field

from ccrc_sync.errors import WorkbookError
from ccrc_sync.schema import Formula, Value, parse_ref
from ccrc_sync.workbook import fast
from ccrc_sync.workbook.cells import cast_number, ooxml_unescape
from ccrc_sync.workbook.fast import dated, formula_value, iso
from ccrc_sync.workbook.limits import WorkbookLimits, over_limit
from ccrc_sync.workbook.package import Package
from ccrc_sync.workbook.styles import Styles
from ccrc_sync.workbook.xmlscan import (
    MAIN_NAMESPACES,
    NS_STRICT,
    XmlRefused,
    check_well_formed,
    make_parser,
    parse_tree,
    split_name,
    tag_end,
)


@dataclass(frozen=True)
class SheetRef:
    name: str
    kind: str  # worksheet, chartsheet, dialogsheet, ...
    part: str


@dataclass
class BookInfo:
    """What workbook.xml and its relationships say."""

    part: str
    sheets: list[SheetRef]
    date1904: bool
    strict: bool
    styles_part: str | None
    strings_part: str | None

    def find(self, sheet: str) -> SheetRef | None:
        """A sheet by name, matched like headers (case and spaces at the ends ignored)."""
        for ref in self.sheets:
            if ref.name == sheet:
                return ref
        key = " ".join(sheet.split()).casefold()
        for ref in self.sheets:
            if " ".join(ref.name.split()).casefold() == key:
                return ref
        return None


def book_info(pkg: Package) -> BookInfo:
    part = next((r.target for r in pkg.rels("") if r.type == "officeDocument"), None)
    part = part or "xl/workbook.xml"
    if not pkg.has(part):
        raise WorkbookError(f"{pkg.path} is a zip file but not an Excel .xlsx workbook.")
    root = pkg.tree(part)
    if root.ns not in MAIN_NAMESPACES:
        raise WorkbookError(f"{pkg.path} is a zip file but not an Excel .xlsx workbook.")
    rels = {r.id: r for r in pkg.rels(part)}
    sheets: list[SheetRef] = []
    holder = root.find("sheets")
    for node in holder.children if holder is not None else []:
        rid = node.attr_local("id") or ""
        rel = rels.get(rid)
        if rel is None or rel.external:
            continue
        sheets.append(SheetRef(node.get("name", "") or "", rel.type, rel.target))
    pr = root.find("workbookPr")
    date1904 = pr is not None and (pr.get("date1904") or "").lower() in ("1", "true")
    by_type = {r.type: r.target for r in rels.values() if not r.external}
    return BookInfo(
        part=part,
        sheets=sheets,
        date1904=date1904,
        strict=root.ns == NS_STRICT,
        styles_part=by_type.get("styles"),
        strings_part=by_type.get("sharedStrings"),
    )


def read_strings(pkg: Package, part: str | None) -> list[str]:
    """The shared strings, in order; rich text runs joined, phonetic runs left out."""
    if part is None or not pkg.has(part):
        return []
    out: list[str] = []
    pieces: list[str] = []
    state = {"t": False, "rph": 0}
    parser = make_parser()

    def start(name: str, _attrs: dict[str, str]) -> None:
        local = name.split(" ")[1] if " " in name else name
        if local == "t":
            state["t"] = True
        elif local == "rPh":
            state["rph"] += 1
        elif local == "si":
            pieces.clear()

    def end(name: str) -> None:
        local = name.split(" ")[1] if " " in name else name
        if local == "t":
            state["t"] = False
        elif local == "rPh":
            state["rph"] -= 1
        elif local == "si":
            out.append(ooxml_unescape("".join(pieces)))

    def chars(text: str) -> None:
        if state["t"] and not state["rph"]:
            pieces.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    _feed(pkg, part, parser, pkg.stream(part))
    return out


def _feed(pkg: Package, part: str, parser: expat.XMLParserType, chunks: Iterable[bytes]) -> None:
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, XmlRefused) as exc:
        raise WorkbookError(
            f"The workbook {pkg.path} has a damaged part {part} ({exc}); restore it from a backup."
        ) from None


@dataclass
class SheetScan:
    """A worksheet read: its values, and (when asked) where its pieces sit in the bytes."""

    grid: list[list[Value]] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    # Row number -> (start, end) of its <row> element.
    rows: dict[int, tuple[int, int]] = field(default_factory=dict)
    # Top-level elements: (local name, start, end); sheetData also has its inner span.
    children: list[tuple[str, int, int]] = field(default_factory=list)
    sheet_data: tuple[int, int, int, int] | None = None
    prefix: str = ""


_CELL, _VALUE, _FORMULA, _INLINE, _TEXT, _PHONETIC = range(6)


def scan_sheet(
    pkg: Package,
    part: str,
    styles: Styles | None,
    strings: list[str],
    *,
    date1904: bool,
    limits: WorkbookLimits,
    data: bytes | None = None,
    track: bool = False,
) -> SheetScan:
    """Read a worksheet part. With `track`, also record where rows and elements sit."""
    if data is None:
        data = b"".join(pkg.stream(part))
    quick = _fast_scan(
        pkg, part, data, styles, strings, date1904=date1904, limits=limits, track=track
    )
    if quick is not None:
        return quick
    scan = SheetScan()
    grid = scan.grid
    parser = make_parser()
    locals_: dict[str, str] = {}
    depth = 0
    row_no = 0
    row_start = 0
    col = 0
    cell_t: str | None = None
    cell_s = 0
    capture = -1
    buffer: list[str] = []
    formula: list[str] | None = None
    formula_attrs: dict[str, str] = {}
    rows_seen = 0
    cells_seen = 0
    max_rows, max_cells = limits.max_rows, limits.max_cells
    shared: dict[str, tuple[str, int, int]] = {}
    phonetic = 0
    top_start = 0

    def local(name: str) -> str:
        found = locals_.get(name)
        if found is None:
            ns, found, prefix = split_name(name)
            if ns and ns not in MAIN_NAMESPACES:
                found = "{" + found  # another vocabulary: never one of ours
            locals_[name] = found
            if found == "worksheet":
                scan.prefix = prefix
        return found

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, row_no, row_start, col, cell_t, cell_s, capture, formula
        nonlocal formula_attrs, rows_seen, cells_seen, phonetic, top_start
        depth += 1
        tag = local(name)
        if depth == 4 and tag == "c":
            cells_seen += 1
            if cells_seen > max_cells:
                raise over_limit(
                    pkg.path, "the plan sheet has too many cells", "max_cells", max_cells
                )
            r = attrs.get("r")
            col = parse_ref(r)[1] if r else col + 1
            cell_t = attrs.get("t")
            s = attrs.get("s")
            cell_s = int(s) if s else 0
            buffer.clear()
            formula = None
            capture = -1
        elif depth == 5:
            if tag == "v":
                capture = _VALUE
            elif tag == "f":
                formula = []
                formula_attrs = attrs
                capture = _FORMULA
            elif tag == "is":
                capture = _INLINE
        elif depth > 5 and capture >= _INLINE:
            if tag == "rPh":
                phonetic += 1
            elif tag == "t" and not phonetic:
                capture = _TEXT
        elif depth == 3 and tag == "row":
            rows_seen += 1
            if rows_seen > max_rows:
                raise over_limit(pkg.path, "the plan sheet has too many rows", "max_rows", max_rows)
            r = attrs.get("r")
            row_no = int(r) if r else row_no + 1
            col = 0
            if track:
                row_start = parser.CurrentByteIndex
        elif depth == 2:
            top_start = parser.CurrentByteIndex if track else 0
        elif depth == 3 and tag == "mergeCell":
            ref = attrs.get("ref")
            if ref:
                scan.merged.append(ref)

    def end(name: str) -> None:
        nonlocal depth, capture, phonetic
        tag = locals_[name]
        if depth == 4 and tag == "c":
            value = _value(cell_t, cell_s, "".join(buffer), formula)
            if value is not None:
                while len(grid) < row_no:
                    grid.append([])
                row = grid[row_no - 1]
                width = len(row)
                if col > width:
                    if col > width + 1:
                        row.extend([None] * (col - width - 1))
                    row.append(value)
                else:
                    row[col - 1] = value
        elif depth == 5:
            if tag == "f" or tag == "v" or tag == "is":
                capture = -1
        elif depth > 5:
            if tag == "rPh":
                phonetic -= 1
            elif tag == "t" and capture == _TEXT:
                capture = _INLINE
        elif depth == 3 and tag == "row" and track:
            scan.rows[row_no] = (row_start, _end_of(row_start))
        elif depth == 2 and track:
            end_at = _end_of(top_start)
            scan.children.append((tag, top_start, end_at))
            if tag == "sheetData":
                inner, _empty = tag_end(data, top_start)
                close = end_at if _empty else data.rfind(b"<", top_start, end_at)
                scan.sheet_data = (top_start, inner, close, end_at)
        depth -= 1

    def _end_of(begin: int) -> int:
        assert data is not None
        inner, empty = tag_end(data, begin)
        if empty:
            return inner
        close = data.find(b">", parser.CurrentByteIndex)
        return close + 1

    def chars(text: str) -> None:
        if capture in (_VALUE, _TEXT):
            buffer.append(text)
        elif capture == _FORMULA and formula is not None:
            formula.append(text)

    def _value(t: str | None, s: int, text: str, f: list[str] | None) -> Value:
        if f is not None:
            return _formula(f, formula_attrs, text)
        if t is None or t == "n":
            if not text:
                return None
            number = cast_number(text)
            if s and styles is not None:
                kind = styles.kind(s)
                if kind is not None:
                    return dated(number, date1904)
            return number
        if t == "s":
            if not text:
                return None
            index = int(text)
            return strings[index] if 0 <= index < len(strings) else None
        if t == "inlineStr" or t == "str":
            return ooxml_unescape(text) if text else None
        if t == "b":
            return text.strip() in ("1", "true")
        if t == "e":
            return text or None
        if t == "d":
            return iso(text)
        return text or None

    def _formula(f: list[str], attrs: dict[str, str], _cached: str) -> Formula:
        return formula_value("".join(f), attrs, shared, row_no, col)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    _feed(pkg, part, parser, [data])
    return scan


def _fast_scan(
    pkg: Package,
    part: str,
    data: bytes,
    styles: Styles | None,
    strings: list[str],
    *,
    date1904: bool,
    limits: WorkbookLimits,
    track: bool,
) -> SheetScan | None:
    """The regex path of `fast`, when it reads this part exactly; else None."""
    span = fast.sheet_data_span(data)
    if span is None:
        return None
    start, inner, close, end = span
    rows, cells = fast.count_tags(data, inner, close)
    if rows > limits.max_rows:
        raise over_limit(pkg.path, "the plan sheet has too many rows", "max_rows", limits.max_rows)
    if cells > limits.max_cells:
        raise over_limit(
            pkg.path, "the plan sheet has too many cells", "max_cells", limits.max_cells
        )
    try:
        check_well_formed(data)
        outside = parse_tree(data[:start] + b"<sheetData/>" + data[end:], max_depth=3)
    except XmlRefused as exc:
        raise WorkbookError(
            f"The workbook {pkg.path} has a damaged part {part} ({exc}); restore it from a backup."
        ) from None
    if outside.prefix or outside.ns not in MAIN_NAMESPACES:
        return None
    collecting = gc.isenabled()
    gc.disable()  # a grid of plain values holds no cycles: no need to walk it as it grows
    try:
        read = fast.read_cells(data, inner, close, styles, strings, date1904=date1904)
    finally:
        if collecting:
            gc.enable()
    if read is None or (read[1], read[2]) != (rows, cells):
        return None
    scan = SheetScan(grid=read[0])
    shift = (end - start) - len(b"<sheetData/>")
    for child in outside.children:
        if child.name == "mergeCells":
            scan.merged.extend(m.get("ref") or "" for m in child.children if m.get("ref"))
        if not track:
            continue
        if child.name == "sheetData":
            scan.children.append(("sheetData", start, end))
            scan.sheet_data = span
        elif child.start < start:
            scan.children.append((child.name, child.start, child.end))
        else:
            scan.children.append((child.name, child.start + shift, child.end + shift))
    for match in _ROW_TAG.finditer(data, inner, close) if track else ():
        row_end = match.end() if match[2] else data.index(b"</row>", match.end()) + 6
        scan.rows[int(match[1])] = (match.start(), row_end)
    return scan


_ROW_TAG = re.compile(rb'<row r="(\d+)"[^>]*?(/?)>')
