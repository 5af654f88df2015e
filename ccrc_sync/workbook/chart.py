"""A generated tab's chart as DrawingML: a drawing part anchoring a chart part.

The chart is a stacked column chart over a table inside the tab (`layout.ChartSpec`),
written by hand rather than through openpyxl so it can be added to a package we patch.
Each series carries a cache of its values as well as its cell references, so a viewer
that does not recalculate (a previewer, a mail client) still draws it.
"""

from __future__ import annotations

from ccrc_sync.layout import COLOURS, ChartSpec
from ccrc_sync.schema import Value, column_letter, display
from ccrc_sync.workbook.cells import ooxml_escape
from ccrc_sync.workbook.xmlscan import attr_escape, text_escape

DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
REL_DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
REL_CHART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"

_NS = (
    'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_PALETTE = ("4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47")
_ROW_OFFSET = 38100  # EMU: 3 points
_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def drawing_xml(spec: ChartSpec, chart_rid: str) -> bytes:
    """A drawing part with one two-cell anchor spanning the spec's columns and rows."""
    col, row = spec.anchor_col - 1, spec.anchor_row - 1

    def corner(tag: str, c: int, r: int) -> str:
        # A few points down from the row's top edge: a chart starting exactly on a page
        # break is drawn (clipped) on the page above as well.
        return (
            f"<xdr:{tag}><xdr:col>{c}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r}</xdr:row><xdr:rowOff>{_ROW_OFFSET}</xdr:rowOff></xdr:{tag}>"
        )

    return (
        _HEADER + '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<xdr:twoCellAnchor editAs="oneCell">'
        + corner("from", col, row)
        + corner("to", col + spec.width_cols, row + spec.height_rows)
        + '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="2" name="{attr_escape(spec.title)}"/><xdr:cNvGraphicFramePr/>'
        "</xdr:nvGraphicFramePr>"
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        f'r:id="{chart_rid}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
        "<xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
    ).encode()


def _rich(text: str, *, rotated: bool = False, size: int = 1000, bold: bool = True) -> str:
    rot = ' rot="-5400000" vert="horz"' if rotated else ""
    return (
        f"<c:title><c:tx><c:rich><a:bodyPr{rot}/><a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="{size}" b="{int(bold)}"/></a:pPr><a:r><a:rPr lang="en-GB" sz="{size}" '
        f'b="{int(bold)}"/><a:t>{_xstring(text)}</a:t></a:r></a:p></c:rich></c:tx>'
        '<c:overlay val="0"/></c:title>'
    )


def _xstring(text: str) -> str:
    """Text from the plan as element content: a character XML cannot hold (a vertical tab
    pasted from Word) travels as OOXML's `_xHHHH_`, as in a cell."""
    return text_escape(ooxml_escape(text))


def _ref(sheet: str, c1: int, r1: int, c2: int | None = None, r2: int | None = None) -> str:
    quoted = "'" + sheet.replace("'", "''") + "'"
    first = f"${column_letter(c1)}${r1}"
    if c2 is None or r2 is None or (c2, r2) == (c1, r1):
        return f"{quoted}!{first}"
    return f"{quoted}!{first}:${column_letter(c2)}${r2}"


def _cell(grid: list[list[Value]], row: int, col: int) -> Value:
    if 1 <= row <= len(grid) and 1 <= col <= len(grid[row - 1]):
        return grid[row - 1][col - 1]
    return None


def _str_cache(values: list[Value]) -> str:
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{_xstring(display(v))}</c:v></c:pt>' for i, v in enumerate(values)
    )
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'


def _num_cache(values: list[Value]) -> str:
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>'
        for i, v in enumerate(values)
        if isinstance(v, int | float) and not isinstance(v, bool)
    )
    return (
        f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(values)}"/>'
        f"{points}</c:numCache>"
    )


def chart_xml(spec: ChartSpec, sheet: str, grid: list[list[Value]]) -> bytes:
    """A stacked (or clustered) column chart: one series per series column."""
    rows = range(spec.first_row, spec.last_row + 1)
    categories = [_cell(grid, r, spec.category_col) for r in rows]
    cat_ref = _ref(sheet, spec.category_col, spec.first_row, spec.category_col, spec.last_row)
    series = []
    for index, col in enumerate(spec.series_cols):
        name = display(_cell(grid, spec.header_row, col))
        colour = COLOURS.statuses.get(name) or _PALETTE[index % len(_PALETTE)]
        values = [_cell(grid, r, col) for r in rows]
        series.append(
            f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
            f"<c:tx><c:strRef><c:f>{text_escape(_ref(sheet, col, spec.header_row))}</c:f>"
            f"{_str_cache([name])}</c:strRef></c:tx>"
            f'<c:spPr><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
            '<a:ln><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill></a:ln></c:spPr>'
            '<c:invertIfNegative val="0"/>'
            f"<c:cat><c:strRef><c:f>{text_escape(cat_ref)}</c:f>{_str_cache(categories)}"
            "</c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>"
            f"{text_escape(_ref(sheet, col, spec.first_row, col, spec.last_row))}</c:f>"
            f"{_num_cache(values)}</c:numRef></c:val></c:ser>"
        )
    grouping = "stacked" if spec.stacked else "clustered"
    totals = [
        sum(v for c in spec.series_cols if isinstance(v := _cell(grid, r, c), int | float))
        for r in rows
    ]
    unit = '<c:majorUnit val="1"/>' if max(totals, default=0) <= 12 else ""
    overlap = '<c:overlap val="100"/>' if spec.stacked else ""
    return (
        _HEADER + f"<c:chartSpace {_NS}>"
        '<c:roundedCorners val="0"/><c:chart>'
        + _rich(spec.title, size=1400)
        + '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/><c:barChart>'
        f'<c:barDir val="col"/><c:grouping val="{grouping}"/><c:varyColors val="0"/>'
        + "".join(series)
        + f'<c:gapWidth val="60"/>{overlap}<c:axId val="500000001"/><c:axId val="500000002"/>'
        "</c:barChart>"
        '<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="minMax"/>'
        '</c:scaling><c:delete val="0"/><c:axPos val="b"/>'
        + _rich(spec.x_title)
        + '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="500000002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/>'
        '</c:scaling><c:delete val="0"/><c:axPos val="l"/><c:majorGridlines/>'
        + _rich(spec.y_title, rotated=True)
        + '<c:numFmt formatCode="0" sourceLinked="0"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="500000001"/><c:crosses val="autoZero"/>'
        f'<c:crossBetween val="between"/>{unit}</c:valAx></c:plotArea>'
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode()
