"""The public summary as a Word document (python-docx), for staff who edit before publishing.

Real Word tables (style "Table Grid") whose first row is marked as a header row, so it
repeats at the top of every page a long table runs onto and screen readers announce it
as the column headings; headings use Word's own Heading styles, so the navigation pane
and a table of contents work. Column widths are set both on the table grid (which
LibreOffice reads) and on each cell (which Word reads), on an A4 portrait page.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document as new_document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table

from ccrc_sync.layout import COLOURS
from ccrc_sync.publish.model import COLUMNS, Document

# A4 with 2 cm margins leaves 17 cm for a table: Rec No., Recommendation, Action, Status.
_WIDTHS_CM = (1.8, 8.4, 4.4, 2.4)
_MARGIN_CM = 2.0


def _repeat_header(table: Table) -> None:
    """Mark the first row as the table's header row (`w:tblHeader`)."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _shade(cell: object, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.append(shading)


def to_docx(doc: Document) -> bytes:
    word = new_document()
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(_MARGIN_CM))
    word.styles["Normal"].font.name = "Arial"
    word.styles["Normal"].font.size = Pt(10.5)

    word.add_heading(doc.title, level=1)
    for paragraph in doc.paragraphs:
        word.add_paragraph(paragraph)
    word.add_heading(doc.heading, level=2)
    header_text = RGBColor.from_string(COLOURS.header_text)
    for block in doc.tables:
        word.add_heading(block.heading, level=3)
        table = word.add_table(rows=1, cols=len(COLUMNS))
        table.style = word.styles["Table Grid"]
        table.autofit = False
        for cell, label in zip(table.rows[0].cells, COLUMNS, strict=True):
            run = cell.paragraphs[0].add_run(label)  # a new cell holds one empty paragraph
            run.bold = True
            run.font.color.rgb = header_text
            _shade(cell, COLOURS.header_fill)
        _repeat_header(table)
        for row in block.rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row.cells(), strict=True):
                cell.text = text
        for index, width in enumerate(_WIDTHS_CM):
            table.columns[index].width = Cm(width)
            for cell in table.columns[index].cells:
                cell.width = Cm(width)
        word.add_paragraph()

    props = word.core_properties
    moment = dt.datetime.combine(doc.day, dt.time())
    props.title = doc.title
    props.author = "ccrc-sync"
    props.last_modified_by = "ccrc-sync"
    props.created = moment
    props.modified = moment
    props.revision = 1
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()
