"""A `TabLayout` drawn as a worksheet part: styles per role, fills per tone, print setup.

The layout decides what the tab says; this module only decides how Excel shows it:
title large and bold, headings bold in the heading colour, table headers bold white on
dark blue, text wrapped and top-aligned, percentages as `0.0%`, dates `dd/mm/yyyy`,
notes italic grey, each row filled by its tone. Every row holding wrapped text gets a
height that fits it (Excel does not grow rows it reads from a file), the header rows
are frozen, and the tab prints A4 landscape one page wide, with a page break above the
chart so the chart is never split across pages.
"""

from __future__ import annotations

from ccrc_sync.layout import COLOURS, Role, TabLayout, Tone, row_height
from ccrc_sync.schema import Value, a1, column_letter, display
from ccrc_sync.workbook.cells import MAX_TEXT, cell_xml, ooxml_escape
from ccrc_sync.workbook.styles import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    PERCENT_FORMAT,
    Canon,
    Styles,
)
from ccrc_sync.workbook.xmlscan import attr_escape

WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"

_WRAPPED = frozenset({Role.SENTENCE, Role.HEADER, Role.TEXT, Role.NOTE})
# A row holding only one of these spans the tab's width (merged), wrapping across it.
_SPANNING = frozenset({Role.SENTENCE, Role.NOTE})
_TITLE_POINTS = 16.0
_HEADING_POINTS = 12.0
_LINK_BLUE = "0563C1"


class TabStyles:
    """The cell format for each (role, tone), appended to the workbook's styles once."""

    def __init__(self, styles: Styles) -> None:
        self.styles = styles
        self._cache: dict[tuple[Role, Tone, bool], int] = {}

    def index(self, role: Role, tone: Tone, linked: bool = False) -> int:
        key = (role, tone, linked)
        if key not in self._cache:
            self._cache[key] = self._make(role, tone, linked)
        return self._cache[key]

    def _make(self, role: Role, tone: Tone, linked: bool) -> int:
        st = self.styles
        if linked:  # a link looks like one: Excel's hyperlink blue, underlined
            font = st.font_like_default(rgb=_LINK_BLUE, underline=True)
        elif role is Role.TITLE:
            font = st.font_like_default(bold=True, size=_TITLE_POINTS, rgb=COLOURS.heading_text)
        elif role is Role.HEADING:
            font = st.font_like_default(bold=True, size=_HEADING_POINTS, rgb=COLOURS.heading_text)
        elif role is Role.HEADER:
            font = st.font_like_default(bold=True, rgb=COLOURS.header_text)
        elif role is Role.NOTE:
            font = st.font_like_default(italic=True, rgb=COLOURS.note_text)
        else:
            font = 0
        fill_rgb = COLOURS.header_fill if role is Role.HEADER else COLOURS.tones.get(tone)
        fill = st.fill(fill_rgb)
        number = {
            Role.PERCENT: PERCENT_FORMAT,
            Role.DATE: DATE_FORMAT,
            Role.DATETIME: DATETIME_FORMAT,
        }.get(role)
        fmt = st.number_format(number) if number else 0
        align: list[tuple[str, str]] = [("vertical", "center" if role is Role.HEADER else "top")]
        if role in (Role.NUMBER, Role.PERCENT):
            # Counts sit under their header, not against the next column's text.
            align.append(("horizontal", "center"))
        if role in _WRAPPED:
            align.append(("wrapText", "1"))
        attrs = {
            "numFmtId": str(fmt),
            "fontId": str(font),
            "fillId": str(fill),
            "borderId": "0",
            "xfId": "0",
            "applyAlignment": "1",
        }
        if fmt:
            attrs["applyNumberFormat"] = "1"
        if font:
            attrs["applyFont"] = "1"
        if fill:
            attrs["applyFill"] = "1"
        alignment: Canon = ("alignment", tuple(sorted(align)), ())
        return st.xf(("xf", tuple(sorted(attrs.items())), (alignment,)))


def _text_of(value: Value) -> str:
    return value if isinstance(value, str) else display(value)


def _safe(value: Value) -> Value:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[: MAX_TEXT - 1] + "…"
    return value


DEFAULT_ROW_POINTS = 15.0
# A4 inside the margins written below (0.5 in left and right, 0.6 in top and bottom plus
# header and footer), in points; a character of column width prints about 5.6 points wide.
_A4_LONG, _A4_SHORT = 842.0 - 72.0, 595.0 - 130.0
_POINTS_PER_CHAR = 5.6


def print_scale(width_chars: float, height_points: float, *, landscape: bool) -> int:
    """The print scale (percent) that fits `width_chars` of columns and `height_points` of
    rows on one A4 page."""
    page_w, page_h = (_A4_LONG, _A4_SHORT) if landscape else (_A4_SHORT, _A4_LONG)
    wide = page_w / max(width_chars * _POINTS_PER_CHAR, 1.0)
    tall = page_h / max(height_points, 1.0)
    return max(10, min(100, int(min(wide, tall) * 100 * 0.97)))


def sheet_xml(
    layout: TabLayout, styles: TabStyles, *, drawing_rid: str | None, date1904: bool = False
) -> bytes:
    """The worksheet part for `layout` (the drawing relationship when it has a chart)."""
    width = layout.width
    widths = [layout.widths[i] if i < len(layout.widths) else 10.0 for i in range(max(width, 1))]
    total_width = sum(widths)
    rows_xml: list[str] = []
    merges: list[str] = []
    links: list[str] = []
    above_chart = 0.0  # the height of the rows printed before the chart
    for r, row in enumerate(layout.rows, start=1):
        cells: list[str] = []
        texts: list[tuple[str, float]] = []
        points = 0.0
        for c, cell in enumerate(row.cells, start=1):
            role = Role(cell.role)
            style = styles.index(role, Tone(row.tone), cell.link is not None)
            value = _safe(cell.value)
            cells.append(cell_xml("", r, c, value, style, date1904))
            if role in _SPANNING and len(row.cells) == 1 and width > 1:
                merges.append(f"{a1(r, 1)}:{a1(r, width)}")
                texts.append((_text_of(value), total_width))
            elif role in _WRAPPED and value is not None:
                texts.append((_text_of(value), widths[c - 1]))
            if role is Role.TITLE:
                points = max(points, _TITLE_POINTS * 1.6)
            elif role is Role.HEADING:
                points = max(points, _HEADING_POINTS * 1.6)
            if cell.link is not None:
                target = (
                    "'"
                    + cell.link.sheet.replace("'", "''")
                    + "'!"
                    + a1(cell.link.row, cell.link.col)
                )
                links.append(
                    f'<hyperlink ref="{a1(r, c)}" location="{attr_escape(target)}" '
                    f'display="{attr_escape(ooxml_escape(_text_of(value)))}"/>'
                )
        if Tone(row.tone) is not Tone.PLAIN and len(row.cells) < width:
            style = styles.index(Role.TEXT, Tone(row.tone))
            cells.extend(
                cell_xml("", r, c, None, style) for c in range(len(row.cells) + 1, width + 1)
            )
        height = row_height(texts)
        if points and (height is None or height < points):
            height = points
        if layout.chart is None or r < layout.chart.anchor_row:
            above_chart += height or DEFAULT_ROW_POINTS
        ht = f' ht="{height:g}" customHeight="1"' if height else ""
        if cells:
            rows_xml.append(f'<row r="{r}"{ht}>{"".join(cells)}</row>')
        elif ht:
            rows_xml.append(f'<row r="{r}"{ht}/>')
    last = f"{column_letter(max(width, 1))}{max(len(layout.rows), 1)}"
    freeze = ""
    if layout.freeze_rows > 0 and len(layout.rows) > layout.freeze_rows:
        top = layout.freeze_rows + 1
        freeze = (
            f'<pane ySplit="{layout.freeze_rows}" topLeftCell="A{top}" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft" activeCell="A{0}" sqref="A{0}"/>'.format(
                top
            )
        )
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, 1)
    )
    # With a chart, the page break above it decides the pages (a fixed number of pages tall
    # would make Excel and LibreOffice ignore the break and split the chart), so the scale
    # is chosen here: small enough that the tables fit one page wide and one page tall,
    # and the chart then has the next page to itself.
    tall = layout.max_pages_tall or 0
    orientation = "landscape" if layout.landscape else "portrait"
    scale = None
    if layout.chart is not None:
        scale = print_scale(total_width, above_chart, landscape=layout.landscape)
    fit = "0" if scale is not None else "1"
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheetPr><pageSetUpPr fitToPage="{fit}"/></sheetPr>',
        f'<dimension ref="A1:{last}"/>',
        f'<sheetViews><sheetView workbookViewId="0">{freeze}</sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{cols}</cols>",
        f"<sheetData>{''.join(rows_xml)}</sheetData>",
    ]
    if merges:
        parts.append(
            f'<mergeCells count="{len(merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
            + "</mergeCells>"
        )
    if links:
        parts.append(f"<hyperlinks>{''.join(links)}</hyperlinks>")
    parts.append(
        '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        + (
            f'<pageSetup paperSize="9" scale="{scale}" orientation="{orientation}"/>'
            if scale is not None
            else f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" '
            f'fitToHeight="{tall}"/>'
        )
    )
    if layout.chart is not None and layout.chart.anchor_row > 1:
        brk = layout.chart.anchor_row - 1
        parts.append(
            f'<rowBreaks count="1" manualBreakCount="1"><brk id="{brk}" max="16383" man="1"/>'
            "</rowBreaks>"
        )
    if drawing_rid is not None:
        parts.append(f'<drawing r:id="{drawing_rid}"/>')
    parts.append("</worksheet>")
    return "".join(parts).encode()
