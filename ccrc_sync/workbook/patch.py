"""Patching the plan sheet's part: changed `<c>` elements, appended `<row>`s, nothing else.

The reader recorded where each `<row>` sits; a row with edits is cut out, its few cells
re-parsed, and only the `<c>` elements that change are replaced (or inserted in column
order). Appended rows are new `<row>` elements styled like the row above. The only other
bytes that move are the `<dimension ref>` and, with the first comment, `<legacyDrawing>`:
`<cols>`, conditional formats, data validations, hyperlinks and `<extLst>` are not
touched. The new part is built in one pass, recording where each written row landed so
the check after saving can re-read just those rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ccrc_sync.layout import row_height
from ccrc_sync.schema import Value, column_letter, parse_range, parse_ref
from ccrc_sync.workbook.cells import cell_xml, needs_quote_prefix, refusal
from ccrc_sync.workbook.fast import cells_of_row
from ccrc_sync.workbook.read import SheetScan
from ccrc_sync.workbook.styles import DATE_FORMAT, DATETIME_FORMAT, GENERAL, Styles
from ccrc_sync.workbook.xmlscan import Node, parse_tree, set_attr, tag_end

DEFAULT_WIDTH = 8.43
# Elements that follow <legacyDrawing> in a worksheet (CT_Worksheet's sequence).
_AFTER_LEGACY_DRAWING = (
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
    "tableParts", "extLst",
)  # fmt: skip
_ROW_ATTRS_NOT_COPIED = ("r", "spans", "ht", "customHeight", "hidden", "collapsed", "thickBot")


class _Keep:
    """The cell keeps its value (only its style changes)."""


KEEP = _Keep()


@dataclass
class _Write:
    value: Value | _Keep
    style: int | None = None  # None: decided from the value and the cell's own style


@dataclass
class _Cell:
    col: int
    start: int
    end: int
    style: int
    formula: bool
    tag_end: int  # just past its start tag


@dataclass
class _Row:
    inner_start: int
    inner_end: int
    empty: bool  # <row .../>
    qname: str
    spans: bool


class SheetPatch:
    """Edits to one worksheet part, collected and then rendered in one pass."""

    def __init__(
        self,
        data: bytes,
        scan: SheetScan,
        styles: Styles,
        *,
        date1904: bool,
        declarations: bytes,
        last_row: int,
        header_row: int = 0,
    ) -> None:
        self.data = data
        self.scan = scan
        self.styles = styles
        self.date1904 = date1904
        self.decls = declarations
        self.q = f"{scan.prefix}:" if scan.prefix else ""
        self.last_row = last_row  # the last data row: appends go below it
        # New rows are styled like the last data row; never like the header row.
        self._template = last_row if last_row != header_row else 0
        self._writes: dict[int, dict[int, _Write]] = {}
        self._row_cache: dict[int, tuple[_Row, list[_Cell]]] = {}
        self._appended = last_row
        self._legacy_rid: str | None = None
        self._merged = [parse_range(m) for m in scan.merged if m]
        self._widths, self._col_styles = self._columns()
        self.written: dict[tuple[int, int], Value] = {}
        self.spans: list[tuple[int, int, int]] = []  # (row, start, end) in the new part

    # ---- reading the part as it is ------------------------------------------------

    def _columns(self) -> tuple[dict[int, float], dict[int, int]]:
        widths: dict[int, float] = {}
        col_styles: dict[int, int] = {}
        default = DEFAULT_WIDTH
        for name, start, end in self.scan.children:
            if name == "sheetFormatPr":
                node = self._fragment(self.data[start:end])
                if node.get("defaultColWidth"):
                    default = float(node.get("defaultColWidth") or default)
            if name != "cols":
                continue
            for col in self._fragment(self.data[start:end]).findall("col"):
                try:
                    low, high = int(col.get("min") or 0), int(col.get("max") or 0)
                    width = float(col.get("width") or default)
                    style = int(col.get("style") or 0)
                except ValueError:
                    continue
                for index in range(max(low, 1), min(high, 256) + 1):
                    widths[index] = width
                    if style:
                        col_styles[index] = style
        self._default_width = default
        return widths, col_styles

    def _fragment(self, piece: bytes) -> Node:
        wrapper = b"<w " + self.decls + b">"
        root = parse_tree(wrapper + piece + b"</w>", max_depth=3)
        node = root.children[0]
        _shift(node, -len(wrapper))
        return node

    def _row(self, row: int) -> tuple[_Row, list[_Cell]] | None:
        if row not in self.scan.rows:
            return None
        if row not in self._row_cache:
            start, end = self.scan.rows[row]
            piece = self.data[start:end]
            inner, empty = tag_end(piece, 0)
            quick = None if self.q else cells_of_row(piece)
            if quick is not None:
                close = piece.rfind(b"</")
                info = _Row(
                    inner, inner if empty else close, empty, "row", b" spans=" in piece[:inner]
                )
                cells = [_Cell(c, s, e, st, f, tag_end(piece, s)[0]) for c, s, e, st, f in quick]
            else:
                node = self._fragment(piece)
                info = _Row(
                    node.inner_start, node.inner_end, node.end == node.inner_start,
                    node.qname, node.get("spans") is not None,
                )  # fmt: skip
                cells = []
                col = 0
                for child in node.children:
                    if child.name != "c":
                        continue
                    r = child.get("r")
                    col = parse_ref(r)[1] if r else col + 1
                    s = child.get("s")
                    formula = child.find("f") is not None
                    cells.append(
                        _Cell(
                            col,
                            child.start,
                            child.end,
                            int(s) if s else 0,
                            formula,
                            child.inner_start,
                        )
                    )
            self._row_cache[row] = (info, cells)
        return self._row_cache[row]

    def style_of(self, row: int, col: int) -> int:
        """The cell's `s` now (what a mark clones), 0 when the cell has none."""
        planned = self._writes.get(row, {}).get(col)
        if planned is not None and planned.style is not None:
            return planned.style
        found = self._row(row)
        if found is not None:
            for cell in found[1]:
                if cell.col == col:
                    return cell.style
        if row > self.last_row:
            return self._above_style(col)
        return self._col_styles.get(col, 0)

    def _above_style(self, col: int) -> int:
        found = self._row(self._template)
        if found is not None:
            for cell in found[1]:
                if cell.col == col:
                    return cell.style
        return self._col_styles.get(col, 0)

    # ---- collecting edits ---------------------------------------------------------

    def in_merge(self, row: int, col: int) -> bool:
        """Whether the cell is hidden under merged cells (any of a merge's but its top-left):
        Excel shows neither its value nor its format."""
        return any(
            r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1)
            for r1, c1, r2, c2 in self._merged
        )

    def refusal(self, row: int, col: int, value: Value | _Keep) -> str | None:
        """Why this cell cannot be written (a sentence fragment), or None."""
        if not isinstance(value, _Keep):
            why = refusal(value)
            if why:
                return why
        if self.in_merge(row, col):
            return "it is inside merged cells"
        found = self._row(row)
        if found is not None and any(c.col == col and c.formula for c in found[1]):
            return "it holds a formula, which the sync never overwrites"
        return None

    def set_value(self, row: int, col: int, value: Value) -> str | None:
        why = self.refusal(row, col, value)
        if why is None:
            current = self._writes.setdefault(row, {}).get(col)
            self._writes[row][col] = _Write(value, current.style if current else None)
        return why

    def set_style(self, row: int, col: int, style: int) -> None:
        current = self._writes.setdefault(row, {}).get(col)
        self._writes[row][col] = _Write(current.value if current else KEEP, style)

    def append_row(self, values: Mapping[int, Value]) -> tuple[int, list[tuple[int, str]]]:
        """Add a row below the last one; returns its number and the cells refused."""
        self._appended += 1
        row = self._appended
        refused = []
        above = self._row(self._template)
        template_cols = [c.col for c in above[1]] if above else []
        for col in sorted(set(template_cols) | set(values)):
            value = values.get(col)
            why = self.set_value(row, col, value)
            if why is not None:
                refused.append((col, why))
                self.set_value(row, col, None)
        return row, refused

    def add_legacy_drawing(self, rid: str) -> None:
        self._legacy_rid = rid

    # ---- rendering ----------------------------------------------------------------

    def _final_style(self, row: int, col: int, write: _Write) -> int:
        current = self.style_of(row, col) if write.style is None else write.style
        value = write.value
        if isinstance(value, _Keep):
            return current
        if isinstance(value, dt.datetime):
            if self.styles.kind(current) == "date" and self.styles.shows_time(current):
                return current
            return self.styles.clone(current, number_format=DATETIME_FORMAT)
        if isinstance(value, dt.date):
            if self.styles.kind(current) == "date":
                return current
            column = self._col_styles.get(col, 0)
            if column and self.styles.kind(column) == "date":
                return column
            return self.styles.clone(current, number_format=DATE_FORMAT)
        if isinstance(value, str) and needs_quote_prefix(value):
            return self.styles.clone(current, quote_prefix=True)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and self.styles.kind(current) is not None:
            # A date or time format would show (and read back) the number as a moment.
            return self.styles.clone(current, number_format=GENERAL)
        return current

    def _cell(self, row: int, col: int, write: _Write, old: _Cell | None) -> bytes:
        style = self._final_style(row, col, write)
        if isinstance(write.value, _Keep):
            if old is None:
                return cell_xml(self.q, row, col, None, style).encode()
            tag = self.data_of(row)[old.start : old.tag_end]
            tag = set_attr(tag, "s", str(style) if style else None)
            return tag + self.data_of(row)[old.tag_end : old.end]
        self.written[(row, col)] = write.value
        return cell_xml(self.q, row, col, write.value, style, self.date1904).encode()

    def data_of(self, row: int) -> bytes:
        start, end = self.scan.rows[row]
        return self.data[start:end]

    def _render_row(self, row: int, writes: dict[int, _Write]) -> bytes:
        found = self._row(row)
        if found is None:
            return self._new_row(row, writes)
        node, cells = found
        piece = self.data_of(row)
        by_col = {c.col: c for c in cells}
        out: list[bytes] = []
        pos = 0
        inserts = sorted(c for c in writes if c not in by_col)
        replaced = {c: by_col[c] for c in writes if c in by_col}
        events: list[tuple[int, int, int, bytes]] = []  # (at, end, order, bytes)
        for col, cell in replaced.items():
            events.append((cell.start, cell.end, 1, self._cell(row, col, writes[col], cell)))
        for col in inserts:
            after = next((c for c in cells if c.col > col), None)
            at = after.start if after is not None else node.inner_end
            events.append((at, at, 0, self._cell(row, col, writes[col], None)))
        tag = piece[: node.inner_start]
        if inserts and node.spans:
            cols = [c.col for c in cells] + inserts
            tag = set_attr(tag, "spans", f"{min(cols)}:{max(cols)}")
        if node.empty:  # <row .../>: open it up
            out.append(tag[:-2].rstrip() + b">")
            out.extend(e[3] for e in sorted(events, key=lambda e: (e[0], e[2])))
            out.append(f"</{node.qname}>".encode())
            return b"".join(out)
        out.append(tag)
        pos = node.inner_start
        for at, end, _order, new in sorted(events, key=lambda e: (e[0], e[2])):
            out.append(piece[pos:at])
            out.append(new)
            pos = end
        out.append(piece[pos:])
        return b"".join(out)

    def _new_row(self, row: int, writes: dict[int, _Write]) -> bytes:
        above = self._row(self._template)
        attrs = b""
        if above is not None:
            node = above[0]
            begin = self.scan.rows[self._template][0]
            tag = self.data[begin : begin + node.inner_start]
            for name in _ROW_ATTRS_NOT_COPIED:
                tag = set_attr(tag, name, None)
            attrs = tag[tag.index(b" ") if b" " in tag else len(tag) :]
            attrs = attrs.rstrip(b"/>").rstrip()
        cells = [self._cell(row, col, writes[col], None) for col in sorted(writes)]
        texts = []
        for col in sorted(writes):
            value = writes[col].value
            if (
                isinstance(value, str)
                and value
                and self.styles.wraps(self._final_style(row, col, writes[col]))
            ):
                texts.append((value, self._widths.get(col, self._default_width)))
        height = row_height(texts)
        extra = f' ht="{height:g}" customHeight="1"' if height else ""
        spans = f' spans="{min(writes)}:{max(writes)}"' if writes else ""
        head = f'<{self.q}row r="{row}"{spans}'.encode() + attrs + extra.encode()
        if not cells:
            return head + b"/>"
        return head + b">" + b"".join(cells) + f"</{self.q}row>".encode()

    def render(self) -> bytes:
        """The new part; `written` and `spans` describe what went where."""
        data = self.data
        assert self.scan.sheet_data is not None
        sd_start, _sd_inner, sd_close, sd_end = self.scan.sheet_data
        events: list[tuple[int, int, int, bytes]] = []  # (start, end, row or -1, bytes)
        existing = sorted(self.scan.rows)
        for row in sorted(self._writes):
            new = self._render_row(row, self._writes[row])
            if row in self.scan.rows:
                start, end = self.scan.rows[row]
                events.append((start, end, row, new))
                continue
            index = bisect.bisect_right(existing, row)
            at = self.scan.rows[existing[index]][0] if index < len(existing) else sd_close
            events.append((at, at, row, new))
        if sd_close == sd_end and any(e[0] == sd_close for e in events):  # <sheetData/>
            qname = data[sd_start + 1 : data.index(b"/", sd_start)].strip().split()[0]
            events.append((sd_start, sd_end, -1, b"<" + qname + b">"))
            events.append((sd_end, sd_end, -2, b"</" + qname + b">"))
        events.extend(self._dimension())
        if self._legacy_rid is not None:
            events.append(self._legacy_drawing())
        out: list[bytes] = []
        pos = 0
        size = 0
        order = {-1: 0, -2: 2}
        for start, end, row, new in sorted(events, key=lambda e: (e[0], order.get(e[2], 1))):
            piece = data[pos:start]
            out.append(piece)
            size += len(piece)
            if row >= 0:
                self.spans.append((row, size, size + len(new)))
            out.append(new)
            size += len(new)
            pos = end
        out.append(data[pos:])
        return b"".join(out)

    def _dimension(self) -> list[tuple[int, int, int, bytes]]:
        rows = [
            r
            for r in self._writes
            if any(not isinstance(w.value, _Keep) for w in self._writes[r].values())
        ]
        if not rows:
            return []
        for name, start, end in self.scan.children:
            if name != "dimension":
                continue
            tag = self.data[start:end]
            node = self._fragment(tag)
            try:
                r1, c1, r2, c2 = parse_range(node.get("ref") or "A1")
            except ValueError:
                return []
            max_row = max([r2, *rows])
            max_col = max([c2, *(c for r in rows for c in self._writes[r])])
            if (max_row, max_col) == (r2, c2):
                return []
            ref = f"{column_letter(c1)}{r1}:{column_letter(max_col)}{max_row}"
            return [(start, end, -3, set_attr(tag, "ref", ref))]
        return []

    def _legacy_drawing(self) -> tuple[int, int, int, bytes]:
        at = next((s for name, s, _e in self.scan.children if name in _AFTER_LEGACY_DRAWING), None)
        if at is None:
            at = self._root_close()
        tag = (
            f'<{self.q}legacyDrawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships" r:id="{self._legacy_rid}"/>'
        )
        return (at, at, -3, tag.encode())

    def _root_close(self) -> int:
        return self.data.rindex(b"</")


def _shift(node: Node, delta: int) -> None:
    node.start += delta
    node.inner_start += delta
    node.inner_end += delta
    node.end += delta
    for child in node.children:
        _shift(child, delta)
