"""The workbook's styles: reading what a cell's `s` means, and appending what we need.

Staff formatting is referred to by index from every cell, so existing entries are never
changed or renumbered: a style we need is *appended* (fonts, fills, number formats, cell
formats), and an entry identical to one already there is reused, so nightly runs do not
grow the part. New entries are spliced in before each list's end; every other byte of
`xl/styles.xml` stays as it was.

A conflict mark is a clone of the cell's own format with a fill. The token handed back
describes the original format by content (number format code, font, fill, border,
alignment), not by index, so it still finds or rebuilds the right format after Excel
renumbers the styles on a save.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ccrc_sync.workbook.xmlscan import (
    Node,
    append_child,
    attr_escape,
    parse_tree,
    set_attr,
    splice,
)

# (name, sorted attributes, children): an element's content, whatever its spelling.
Canon = tuple[str, tuple[tuple[str, str], ...], tuple["Canon", ...]]

_BUILTIN_DATES = {14, 15, 16, 17, 22, *range(27, 37), *range(50, 59)}
_BUILTIN_TIMES = {18, 19, 20, 21, 45, 46, 47}
_BUILTIN_CODES = {14: "mm-dd-yy", 22: "m/d/yy h:mm", 49: "@", 10: "0.00%", 9: "0%"}
_STRIP = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hms]+\])[^\]]*\]', re.IGNORECASE)
_FIRST_CUSTOM_FORMAT = 164

GENERAL = "General"  # built-in format 0: a number shown as it is
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0.0%"

MINIMAL_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    b'</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    b'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    b'builtinId="0"/></cellStyles></styleSheet>'
)


def canon(node: Node) -> Canon:
    attrs = tuple(sorted((k.split(" ")[-1] if " " in k else k, v) for k, v in node.attrs.items()))
    return (node.name, attrs, tuple(canon(c) for c in node.children))


def render(item: Canon, q: str) -> str:
    name, attrs, children = item
    text = "".join(f' {k}="{attr_escape(v)}"' for k, v in attrs)
    if not children:
        return f"<{q}{name}{text}/>"
    inner = "".join(render(c, q) for c in children)
    return f"<{q}{name}{text}>{inner}</{q}{name}>"


def date_kind(code: str) -> str | None:
    """'date' for a date (or date-time) format code, 'time' for a time of day, else None."""
    section = code.split(";", 1)[0]
    plain = _STRIP.sub("", section).lower()
    if plain in ("", "general", "@"):
        return None
    if "d" in plain or "y" in plain:
        return "date"
    if "h" in plain or "s" in plain:
        return "time"
    if "m" in plain and "0" not in plain and "#" not in plain:
        return "date"  # a month name format such as "mmmm"
    return None


@dataclass
class _List:
    """One of the lists we append to: its node, its entries, what we add."""

    node: Node | None
    items: list[Canon]
    added: list[str] = field(default_factory=list)

    def index(self, item: Canon, q: str) -> int:
        for i, existing in enumerate(self.items):
            if existing == item:
                return i
        self.items.append(item)
        self.added.append(render(item, q))
        return len(self.items) - 1


class Styles:
    """`xl/styles.xml` read once; appended entries collected and written by `render`."""

    def __init__(self, data: bytes | None) -> None:
        self.created = data is None
        self.data = MINIMAL_STYLES if data is None else data
        self.root = parse_tree(self.data)
        self.q = f"{self.root.prefix}:" if self.root.prefix else ""
        nodes = {c.name: c for c in self.root.children}
        self._lists: dict[str, _List] = {}
        for container in ("fonts", "fills", "borders", "cellXfs"):
            node = nodes.get(container)
            self._lists[container] = _List(
                node, [canon(c) for c in node.children] if node is not None else []
            )
        # A list missing from a part staff gave us: appending to it cannot be done safely.
        self.incomplete = any(self._lists[c].node is None for c in self._lists) and not self.created
        formats = nodes.get("numFmts")
        self._formats_node = formats
        self.formats: dict[int, str] = {}
        for fmt in formats.children if formats is not None else []:
            try:
                self.formats[int(fmt.get("numFmtId", "") or "")] = fmt.get("formatCode", "") or ""
            except ValueError:
                continue
        self._added_formats: list[str] = []
        self._xf_nodes = nodes["cellXfs"].children if "cellXfs" in nodes else []
        self._kinds: dict[int, str | None] = {}
        self._wraps: dict[int, bool] = {}

    # ---- reading -------------------------------------------------------------------

    def _xf(self, s: int) -> Canon | None:
        items = self._lists["cellXfs"].items
        return items[s] if 0 <= s < len(items) else None

    def format_code(self, fmt_id: int) -> str:
        if fmt_id in self.formats:
            return self.formats[fmt_id]
        return _BUILTIN_CODES.get(fmt_id, "General")

    def kind(self, s: int) -> str | None:
        """'date', 'time' or None: what a number in a cell of format `s` means."""
        if s not in self._kinds:
            self._kinds[s] = _kind_of(self._xf(s), self.formats)
        return self._kinds[s]

    def shows_time(self, s: int) -> bool:
        """Whether format `s` shows a time of day (so a datetime keeps its time visible)."""
        xf = self._xf(s)
        if xf is None:
            return False
        try:
            code = self.format_code(int(dict(xf[1]).get("numFmtId", "0") or 0))
        except ValueError:
            return False
        return fmt_id_shows_time(code) or dict(xf[1]).get("numFmtId") == "22"

    def wraps(self, s: int) -> bool:
        if s not in self._wraps:
            xf = self._xf(s)
            self._wraps[s] = xf is not None and any(
                c[0] == "alignment" and ("wrapText", "1") in c[1] for c in xf[2]
            )
        return self._wraps[s]

    def fill_rgb(self, s: int) -> str | None:
        """The solid fill colour (RRGGBB) of format `s`, if it has one."""
        xf = self._xf(s)
        if xf is None:
            return None
        fill_id = int(dict(xf[1]).get("fillId", "0"))
        fills = self._lists["fills"].items
        if not 0 <= fill_id < len(fills):
            return None
        for pattern in fills[fill_id][2]:
            for colour in pattern[2]:
                if colour[0] == "fgColor":
                    rgb = dict(colour[1]).get("rgb")
                    return rgb[-6:].upper() if rgb else None
        return None

    # ---- appending -----------------------------------------------------------------

    def number_format(self, code: str) -> int:
        if code == GENERAL:
            return 0
        for fmt_id, existing in self.formats.items():
            if existing == code:
                return fmt_id
        fmt_id = max([_FIRST_CUSTOM_FORMAT - 1, *self.formats]) + 1
        self.formats[fmt_id] = code
        self._added_formats.append(
            f'<{self.q}numFmt numFmtId="{fmt_id}" formatCode="{attr_escape(code)}"/>'
        )
        return fmt_id

    def font(self, item: Canon) -> int:
        return self._lists["fonts"].index(item, self.q)

    def fill(self, rgb: str | None) -> int:
        if rgb is None:
            return 0
        return self._lists["fills"].index(_solid(rgb), self.q)

    def xf(self, item: Canon) -> int:
        self._kinds.clear()
        self._wraps.clear()
        return self._lists["cellXfs"].index(item, self.q)

    def clone(
        self,
        s: int,
        *,
        quote_prefix: bool = False,
        number_format: str | None = None,
        fill_rgb: str | None = None,
        no_fill: bool = False,
    ) -> int:
        """Format `s` with one thing changed, appended unless an identical one exists."""
        base = self._xf(s) or self._xf(0) or ("xf", (), ())
        attrs = dict(base[1])
        if no_fill:
            attrs["fillId"] = "0"
            attrs.pop("applyFill", None)
        if quote_prefix:
            attrs["quotePrefix"] = "1"
        if number_format is not None:
            attrs["numFmtId"] = str(self.number_format(number_format))
            attrs["applyNumberFormat"] = "1"
        if fill_rgb is not None:
            attrs["fillId"] = str(self.fill(fill_rgb))
            attrs["applyFill"] = "1"
        return self.xf((base[0], tuple(sorted(attrs.items())), base[2]))

    def font_like_default(
        self, *, bold: bool = False, italic: bool = False, size: float | None = None,
        rgb: str | None = None, underline: bool = False,
    ) -> int:  # fmt: skip
        fonts = self._lists["fonts"].items
        base = fonts[0] if fonts else ("font", (), ())
        drop = {"b", "i", "u", "color"} | ({"sz"} if size is not None else set())
        children = [c for c in base[2] if c[0] not in drop]
        extra: list[Canon] = []
        if bold:
            extra.append(("b", (), ()))
        if italic:
            extra.append(("i", (), ()))
        if underline:
            extra.append(("u", (), ()))
        if size is not None:
            children = [("sz", (("val", f"{size:g}"),), ()), *children]
        if rgb is not None:
            children.append(("color", (("rgb", "FF" + rgb.upper()),), ()))
        return self.font(("font", (), (*extra, *children)))

    # ---- for marks ----------------------------------------------------------------

    def parts_of(
        self, s: int
    ) -> tuple[dict[str, str], Canon | None, Canon | None, Canon | None, str]:
        """Format `s` as (xf attributes, font, fill, border, number format code)."""
        xf = self._xf(s) or ("xf", (), ())
        attrs = dict(xf[1])

        def pick(kind: str, key: str) -> Canon | None:
            items = self._lists[kind].items
            try:
                index = int(attrs.get(key, "0") or 0)
            except ValueError:
                return None
            return items[index] if 0 <= index < len(items) else None

        try:
            fmt_id = int(attrs.get("numFmtId", "0") or 0)
        except ValueError:
            fmt_id = 0
        code = self.formats.get(fmt_id, f"builtin:{fmt_id}")
        return (
            attrs,
            pick("fonts", "fontId"),
            pick("fills", "fillId"),
            pick("borders", "borderId"),
            code,
        )

    def children_of(self, s: int) -> tuple[Canon, ...]:
        xf = self._xf(s)
        return xf[2] if xf is not None else ()

    def count(self) -> int:
        return len(self._lists["cellXfs"].items)

    def add_part(self, kind: str, item: Canon | None) -> int:
        """The index of a font, fill or border like `item` (appended if new)."""
        if item is None:
            return 0
        return self._lists[kind].index(item, self.q)

    # ---- writing -------------------------------------------------------------------

    @property
    def changed(self) -> bool:
        return self.created or bool(
            self._added_formats or any(lst.added for lst in self._lists.values())
        )

    def render(self) -> bytes:
        """The styles part with every appended entry spliced in (or as it was)."""
        if not self.changed:
            return self.data
        edits: list[tuple[int, int, bytes]] = []
        if self._added_formats:
            if self._formats_node is None:
                block = "".join(self._added_formats)
                edits.append(
                    (
                        self.root.inner_start,
                        self.root.inner_start,
                        f'<{self.q}numFmts count="{len(self._added_formats)}">{block}'
                        f"</{self.q}numFmts>".encode(),
                    )
                )
            else:
                edits.extend(
                    _append(self.data, self._formats_node, self._added_formats, len(self.formats))
                )
        for lst in self._lists.values():
            if lst.added and lst.node is not None:
                edits.extend(_append(self.data, lst.node, lst.added, len(lst.items)))
        return splice(self.data, edits)


def _append(data: bytes, node: Node, added: list[str], count: int) -> list[tuple[int, int, bytes]]:
    tag = data[node.start : node.inner_start]
    if "count" in node.attrs:
        tag = set_attr(tag, "count", str(count))
    return append_child(data, node, "".join(added).encode(), start_tag=tag)


def _solid(rgb: str) -> Canon:
    colour: Canon = ("fgColor", (("rgb", "FF" + rgb.upper()),), ())
    return ("fill", (), (("patternFill", (("patternType", "solid"),), (colour,)),))


def fmt_id_shows_time(code: str) -> bool:
    plain = _STRIP.sub("", code.split(";", 1)[0]).lower()
    return "h" in plain


def _kind_of(xf: Canon | None, formats: dict[int, str]) -> str | None:
    if xf is None:
        return None
    try:
        fmt_id = int(dict(xf[1]).get("numFmtId", "0") or 0)
    except ValueError:
        return None
    if fmt_id in formats:
        return date_kind(formats[fmt_id])
    if fmt_id in _BUILTIN_DATES:
        return "date"
    if fmt_id in _BUILTIN_TIMES:
        return "time"
    return None
