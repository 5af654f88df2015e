"""Patching the plan sheet: only the cells that change, rows appended like the row above,
styles appended (never renumbered), and cells it must not write refused one by one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fixtures import excel
from fixtures.excel import LAST_ROW
from fixtures.plans import template_copy
from openpyxl import load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ccrc_sync.layout import estimate_lines
from ccrc_sync.schema import Formula
from ccrc_sync.workbook import PlanWorkbook, read_plan
from ccrc_sync.writes import CellEdit, CellMark, RowAppend, WorkbookWrites

SHEET = "xl/worksheets/sheet1.xml"


def _decorated(tmp_path: Path) -> Path:
    """The template with a conditional format, a staff column style and a formula."""
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    ws = wb["Action Plan"]
    ws.conditional_formatting.add(
        f"E2:E{LAST_ROW}",
        CellIsRule(
            operator="equal", formula=['"Complete"'], fill=PatternFill("solid", fgColor="C6EFCE")
        ),
    )
    ws["I4"] = "=LEN(C4)"
    wb.save(path)
    return path


def _conditional_formats(ws: Worksheet) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    return [
        (str(cf.sqref), [(rule.type, list(rule.formula)) for rule in cf.rules])
        for cf in ws.conditional_formatting
    ]


def _cells(xml: bytes) -> dict[str, bytes]:
    return {
        m[1].decode(): m[0]
        for m in re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    }


def test_only_the_changed_cells_change_in_the_sheet_part(tmp_path: Path) -> None:
    path = excel_spelled = _decorated(tmp_path)
    excel.excel_spelling(excel_spelled)
    before = excel.parts(path)
    writes = WorkbookWrites(
        cells=(
            CellEdit(2, 5, "Complete"),
            CellEdit(3, 9, "+44 7700 900123"),
            CellEdit(5, 7, dt.date(2027, 1, 15)),
            CellEdit(6, 8, dt.datetime(2026, 11, 29, 2, 30)),
            CellEdit(7, 1, 40),
            CellEdit(8, 6, None),
            CellEdit(9, 12, "a new column's cell"),
        )
    )
    assert PlanWorkbook.open(path).save(writes, backups=0).skipped == []
    after = excel.parts(path)
    old, new = before[SHEET], after[SHEET]
    changed = {ref for ref, xml in _cells(new).items() if _cells(old).get(ref) != xml}
    assert changed == {"E2", "I3", "G5", "H6", "A7", "F8", "L9"}
    # Outside the changed cells the part is byte-identical but for the dimension and spans.
    strip = lambda xml: re.sub(  # noqa: E731
        rb'<c r="(?:E2|I3|G5|H6|A7|F8|L9)"[^>]*?(?:/>|>.*?</c>)|<dimension [^>]*/>|spans="[^"]*"',
        b"",
        xml,
        flags=re.S,
    )
    assert strip(new) == strip(old)
    assert re.search(rf'<dimension ref="A1:L{LAST_ROW}"\s*/>'.encode(), new)
    assert after["xl/sharedStrings.xml"] == before["xl/sharedStrings.xml"]
    # Styles: the old entries are a prefix of the new (appended, never renumbered).
    old_xfs = re.search(rb"<cellXfs[^>]*>(.*)</cellXfs>", before["xl/styles.xml"], re.S)[1]  # type: ignore[index]
    new_xfs = re.search(rb"<cellXfs[^>]*>(.*)</cellXfs>", after["xl/styles.xml"], re.S)[1]  # type: ignore[index]
    assert new_xfs.startswith(old_xfs) and len(new_xfs) > len(old_xfs)

    ws = load_workbook(path)["Action Plan"]
    assert (
        ws["I3"].value == "+44 7700 900123" and ws["I3"].data_type == "s" and ws["I3"].quotePrefix
    )
    assert ws["G5"].value == dt.datetime(2027, 1, 15) and ws["G5"].number_format == "dd/mm/yyyy"
    assert ws["H6"].value == dt.datetime(2026, 11, 29, 2, 30)
    assert ws["H6"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["A7"].value == 40 and ws["F8"].value is None
    # A cell keeps its own style: F8 cleared keeps the template's wrapped, bordered look.
    assert ws["F8"].alignment.wrap_text and ws["F8"].border.left.style == "thin"
    # The template's status colours and the staff's own rule are both still there.
    assert _conditional_formats(ws) == [
        ("E2:E1000", [("cellIs", ['"Planned"']), ("cellIs", ['"In Progress"']),
                      ("cellIs", ['"Complete"'])]),
        (f"E2:E{LAST_ROW}", [("cellIs", ['"Complete"'])]),
    ]  # fmt: skip
    rows = read_plan(path).by_rec_no()
    assert rows["1"]["Status"] == "Complete" and rows["4"]["Target Date"] == dt.date(2027, 1, 15)


def test_a_date_goes_into_the_columns_date_style_when_the_cell_has_none(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    ws = wb["Action Plan"]
    ws.column_dimensions["I"].number_format = "d mmm yyyy"
    wb.save(path)
    PlanWorkbook.open(path).save(
        WorkbookWrites(cells=(CellEdit(2, 9, dt.date(2027, 5, 1)),)), backups=0
    )
    cell = load_workbook(path)["Action Plan"]["I2"]
    assert cell.value == dt.datetime(2027, 5, 1) and cell.number_format == "d mmm yyyy"


def test_a_formula_cell_and_an_over_long_value_are_refused_while_the_rest_land(
    tmp_path: Path,
) -> None:
    path = _decorated(tmp_path)
    too_long = "x" * 32_768
    result = PlanWorkbook.open(path).save(
        WorkbookWrites(
            cells=(
                CellEdit(4, 9, "overwrite the formula"),
                CellEdit(5, 9, too_long),
                CellEdit(6, 9, Formula("=1+1")),
                CellEdit(7, 9, "this one lands"),
            )
        ),
        backups=0,
    )
    assert result.skipped == [
        "Cell I4 was not written: it holds a formula, which the sync never overwrites.",
        "Cell I5 was not written: it is 32,768 characters long, over Excel's limit of 32,767.",
        "Cell I6 was not written: it is a formula, and the sync only ever writes values.",
    ]
    rows = {r.row: r.values for r in read_plan(path).rows}
    assert rows[4]["Notes"] == Formula("=LEN(C4)")
    assert rows[5]["Notes"] is None and rows[6]["Notes"] is None
    assert rows[7]["Notes"] == "this one lands"


@pytest.mark.parametrize("spelling", ["openpyxl", "prefixed"])
def test_control_characters_and_escapes_round_trip(tmp_path: Path, spelling: str) -> None:
    path = template_copy(tmp_path)
    if spelling == "prefixed":
        excel.prefixed(path)
    text = "Pasted from Word:\x0bvertical tab, \x01 SOH, CR\r, _x0041_ literally, <&> \ufffe"
    PlanWorkbook.open(path).save(WorkbookWrites(cells=(CellEdit(2, 9, text),)), backups=0)
    assert read_plan(path).by_rec_no()["1"]["Notes"] == text
    xml = excel.read_part(path, SHEET)
    assert b"_x000B_" in xml and b"_x005F_x0041_" in xml and b"_x000D_" in xml
    assert load_workbook(path)["Action Plan"]["I2"].value.startswith("Pasted from Word:")


@pytest.mark.parametrize("spelling", ["openpyxl", "Excel", "prefixed"])
def test_appended_rows_copy_the_row_above_and_fit_their_text(tmp_path: Path, spelling: str) -> None:
    path = template_copy(tmp_path)
    if spelling == "Excel":
        excel.excel_spelling(path)
    elif spelling == "prefixed":
        excel.prefixed(path)
    excel.add_table(path)
    long_text = "The CCRC should review how applications are triaged on receipt, " * 3
    PlanWorkbook.open(path).save(
        WorkbookWrites(
            appends=(
                RowAppend(
                    {1: 35, 2: "Timeliness", 3: long_text, 5: "Planned", 7: dt.date(2027, 6, 30)}
                ),
                RowAppend({1: 36, 2: "People", 3: "Short.", 5: "Planned"}),
            )
        ),
        backups=0,
    )
    ws = load_workbook(path)["Action Plan"]
    first, second = LAST_ROW + 1, LAST_ROW + 2
    for col in range(1, 12):
        above = ws.cell(LAST_ROW, col)
        for row in (first, second):
            cell = ws.cell(row, col)
            assert cell._style == above._style, (row, col)  # font, fill, border, format
    date_cell = ws.cell(first, 7)
    assert date_cell.value == dt.datetime(2027, 6, 30) and date_cell.number_format == "dd/mm/yyyy"
    width = ws.column_dimensions["C"].width
    assert ws.row_dimensions[first].height == 15 * estimate_lines(long_text, width)
    assert ws.row_dimensions[second].height is None
    table = excel.read_part(path, "xl/tables/table1.xml")
    ref = f"A1:K{second}"
    assert f'ref="{ref}"'.encode() in table and f'<autoFilter ref="{ref}"/>'.encode() in table
    dimension = rf'<(?:x:)?dimension ref="{ref}"\s*/>'.encode()
    assert re.search(dimension, excel.read_part(path, SHEET))
    assert [r.row for r in read_plan(path).rows][-2:] == [first, second]


def test_merged_cells_are_not_written_inside(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    wb["Action Plan"].merge_cells("C5:D5")
    wb.save(path)
    result = PlanWorkbook.open(path).save(
        WorkbookWrites(
            cells=(CellEdit(5, 4, "hidden under the merge"), CellEdit(5, 3, "top-left"))
        ),
        backups=0,
    )
    assert result.skipped == ["Cell D5 was not written: it is inside merged cells."]
    assert read_plan(path).by_rec_no()["4"]["Recommendation"] == "top-left"


def test_rows_appended_to_a_header_only_plan_are_not_styled_as_headers(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    excel.edit_zip(
        path, {SHEET: lambda x: re.sub(rb'<row r="(?:[2-9]|[1-9]\d)".*?</row>', b"", x, flags=re.S)}
    )
    book = PlanWorkbook.open(path)
    assert book.table.rows == []
    book.save(
        WorkbookWrites(appends=(RowAppend({1: 1, 2: "Timeliness", 5: "Planned"}),)), backups=0
    )
    ws = load_workbook(path)["Action Plan"]
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert ws["B2"].fill.fill_type is None
    assert read_plan(path).by_rec_no()["1"]["Section"] == "Timeliness"


def test_a_number_written_into_a_date_cell_shows_as_a_number(tmp_path: Path) -> None:
    """G2 has the template's date format: a number there (a Google cell holding 45000 or
    0.5) is written as the number, in a General clone of G2's look, not read back as a
    date (which once rolled the whole save back), and the other edits land with it."""
    path = template_copy(tmp_path)
    before = load_workbook(path)["Action Plan"]["G2"]
    assert before.is_date
    result = PlanWorkbook.open(path).save(
        WorkbookWrites(
            cells=(CellEdit(2, 7, 45000), CellEdit(3, 7, 0.5), CellEdit(2, 5, "Complete"))
        ),
        backups=0,
    )
    assert result.skipped == []
    rows = read_plan(path).by_rec_no()
    assert rows["1"]["Target Date"] == 45000 and rows["2"]["Target Date"] == 0.5
    assert rows["1"]["Status"] == "Complete"
    ws = load_workbook(path)["Action Plan"]
    for ref, value in (("G2", 45000), ("G3", 0.5)):
        cell = ws[ref]
        assert (cell.value, cell.number_format, cell.is_date) == (value, "General", False)
    looks = lambda cell: [repr(x) for x in (cell.font, cell.fill, cell.border, cell.alignment)]  # noqa: E731
    assert looks(ws["G2"]) == looks(before)


def test_empty_lists_are_opened_up_to_take_what_a_save_adds(tmp_path: Path) -> None:
    """Tools write an empty list as `<x/>`: the number formats as `<numFmts count="0"/>`,
    the plan sheet's relationships as an empty `<Relationships/>` part. A date-time and a
    conflict note go into them all the same."""
    path = template_copy(tmp_path)
    rels = "xl/worksheets/_rels/sheet1.xml.rels"
    excel.edit_zip(
        path,
        {
            "xl/styles.xml": lambda x: re.sub(
                rb"<numFmts .*?</numFmts>", b'<numFmts count="0"/>', x
            ).replace(b'numFmtId="164"', b'numFmtId="14"'),
            rels: b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"/>',
        },
    )
    writes = WorkbookWrites(
        cells=(CellEdit(6, 8, dt.datetime(2026, 11, 29, 2, 30)),),
        marks=(CellMark(6, 5, "In the workbook: Complete. In the Google Sheet: Planned."),),
    )
    assert PlanWorkbook.open(path).save(writes, backups=0).skipped == []
    styles = excel.read_part(path, "xl/styles.xml")
    assert (
        b'<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
        in styles
    )
    assert re.findall(rb'Target="([^"]+)"', excel.read_part(path, rels)) == [
        b"../comments1.xml",
        b"../drawings/vmlDrawing1.vml",
    ]
    ws = load_workbook(path)["Action Plan"]
    assert ws["H6"].value == dt.datetime(2026, 11, 29, 2, 30)
    assert ws["H6"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["E6"].comment is not None and ws["E6"].comment.author == "ccrc-sync"
