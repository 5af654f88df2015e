"""The email's attachment: the run's conflicts, findings and changes as a formatted .xlsx.

Someone will sort and filter it, forward it, or print it, so it reads like the Sync Issues
tab: the same columns and words, a bold frozen header with a filter, widths that fit,
wrapped text and each row coloured by what it is. Text always stays text: a value that
starts with '=' (staff type anything) is never a formula, and characters a workbook cannot
hold are replaced rather than failing the email.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ccrc_sync.layout import COLOURS, Role, TabRow, Tone, row_height
from ccrc_sync.merge import Side
from ccrc_sync.report.model import ReportChange, RunReport, Shown, shown
from ccrc_sync.report.text import conflict_value, sorted_conflicts, sorted_issues
from ccrc_sync.schema import MAX_CELL_CHARS, rec_cell_value, rec_no_of
from ccrc_sync.state import LogEntry
from ccrc_sync.tabs import (
    ISSUES_TAB,
    SEVERITY_TONES,
    SHEET_FINDING_PREFIX,
    advice,
    fit_widths,
    found_on,
    happened,
    log_happened,
    published_text,
)
from ccrc_sync.tabs import cell as tab_cell

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ISSUES_COLUMNS: tuple[str, ...] = (
    "Rec No.",
    "Field",
    "What happened",
    "In the workbook",
    "In the Google Sheet",
    "What to do",
    "Cell in the workbook",
    "Cell in the Google Sheet",
)
CHANGES_COLUMNS: tuple[str, ...] = ("Rec No.", "Field", "What happened", "Old value", "New value")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PROSE = 45.0  # the width of a column of sentences


def _row(values: Sequence[Shown], tone: Tone = Tone.PLAIN) -> TabRow:
    return TabRow(tuple(tab_cell(v) for v in values), tone)


def _issue_rows(r: RunReport) -> list[TabRow]:
    rows = [TabRow(tuple(tab_cell(h, Role.HEADER) for h in ISSUES_COLUMNS))]
    for c in sorted_conflicts(r.conflicts):
        conflict = c.conflict()
        rows.append(
            _row(
                [
                    rec_cell_value(c.rec_no),
                    c.field or "Whole row",
                    happened(conflict),
                    conflict_value(c, Side.WORKBOOK),
                    conflict_value(c, Side.SHEET),
                    advice(conflict),
                    c.workbook_cell,
                    c.sheet_cell,
                ],
                Tone.CONFLICT,
            )
        )
    for issue in sorted_issues(r.issues):
        on = found_on(issue)
        where = f"{issue.sheet}!{issue.cell}" if issue.sheet and issue.cell else issue.cell
        rec = rec_no_of(issue.rec_no) if issue.rec_no else None
        rows.append(
            _row(
                [
                    rec_cell_value(rec) if rec else issue.rec_no,
                    issue.field,
                    issue.message.removeprefix(SHEET_FINDING_PREFIX),
                    issue.value if on is Side.WORKBOOK else None,
                    issue.value if on is Side.SHEET else None,
                    issue.suggestion,
                    where if on is Side.WORKBOOK else None,
                    where if on is Side.SHEET else None,
                ],
                SEVERITY_TONES.get(issue.severity, Tone.INFO),
            )
        )
    return rows


def _change_rows(r: RunReport) -> list[TabRow]:
    rows = [TabRow(tuple(tab_cell(h, Role.HEADER) for h in CHANGES_COLUMNS))]
    if r.published is not None:
        rows.append(_row([None, None, published_text(r.published), None, None]))
        return rows
    for c in r.changes:
        rows.append(_row([rec_cell_value(c.rec_no), c.field, _happened(r, c), c.old, c.new]))
    return rows


def _happened(r: RunReport, c: ReportChange) -> str:
    """The Change Log tab's words for a change ("Entered in the workbook; copied to ..."),
    so the attachment reads like the tab it mirrors."""
    entry = LogEntry(
        r.started, r.run_id, c.rec_no, c.field, c.source.value, c.target.value, c.old, c.new
    )
    return log_happened(entry)


def _text(value: Shown) -> Shown:
    if isinstance(value, str):
        return _ILLEGAL.sub("\ufffd", value)[:MAX_CELL_CHARS]
    return value


def _draw(ws: Worksheet, rows: Sequence[TabRow], prose: Sequence[int]) -> None:
    """Write `rows` with the layout's colours: header bold white on blue, frozen, filtered;
    each row filled by its tone; widths that fit; wrapped text with heights that fit it."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    widths = list(fit_widths(rows))
    for index in prose:
        if index < len(widths):
            widths[index] = max(widths[index], _PROSE)
    header_font = Font(bold=True, color=COLOURS.header_text)
    header_fill = PatternFill("solid", fgColor=COLOURS.header_fill)
    wrap = Alignment(wrap_text=True, vertical="top")
    fills = {tone: PatternFill("solid", fgColor=rgb) for tone, rgb in COLOURS.tones.items()}
    for row_no, row in enumerate(rows, start=1):
        texts: list[tuple[str, float]] = []
        for col_no, c in enumerate(row.cells, start=1):
            target = ws.cell(row=row_no, column=col_no)
            value = _text(shown(c.value))
            if value is not None:
                target.value = value
                if isinstance(value, str):
                    target.data_type = "s"  # text stays text, even when it begins with '='
                    if value[:1] in "=+-@":
                        target.quotePrefix = True  # and Excel keeps it text when edited
                    texts.append((value, widths[col_no - 1]))
            target.alignment = wrap
            if c.role is Role.HEADER:
                target.font = header_font
                target.fill = header_fill
            elif row.tone in fills:
                target.fill = fills[row.tone]
        height = row_height(texts)
        if height is not None:
            ws.row_dimensions[row_no].height = height
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    if len(rows) > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(widths))}{len(rows)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"


def findings_xlsx(r: RunReport) -> bytes:
    """The run's conflicts and findings, and its changes, as an .xlsx to attach to the email."""
    from openpyxl import Workbook

    wb = Workbook()
    issues = wb.active
    assert issues is not None
    issues.title = ISSUES_TAB
    _draw(issues, _issue_rows(r), prose=(2, 5))
    changes = wb.create_sheet("Changes")
    _draw(changes, _change_rows(r), prose=(2,))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
