"""Conflict marks in the plan: a fill and a note on the cell, removed again once the sides
agree, with the cell's own formatting back exactly as it was."""

from __future__ import annotations

import warnings
from pathlib import Path

from fixtures import excel
from fixtures.plans import template_copy
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from ccrc_sync.layout import COLOURS
from ccrc_sync.workbook import PlanWorkbook
from ccrc_sync.writes import CellEdit, CellMark, CellUnmark, WorkbookWrites

NOTE = "In the workbook: Complete. In the Google Sheet: In Progress. Make them agree."


def _look(path: Path, cell: str) -> tuple[object, ...]:
    """Everything a person sees of a cell's formatting, plus its note."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = load_workbook(path)["Action Plan"][cell]
    comment = c.comment
    return (
        c.font.b, c.font.i, c.font.color.rgb if c.font.color else None, c.font.sz,
        c.fill.fill_type, c.fill.fgColor.rgb, c.number_format, c.alignment.wrap_text,
        c.alignment.vertical, c.border.left.style, c.protection.locked,
        (comment.author, comment.text) if comment else None,
    )  # fmt: skip


def _staff_styled(tmp_path: Path) -> Path:
    """E6 bold red on a pale fill; I7 with a note staff left."""
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    ws = wb["Action Plan"]
    ws["E6"].font = Font(bold=True, color="C00000")
    ws["E6"].fill = PatternFill("solid", fgColor="FFF2CC")
    ws["I7"].comment = Comment("Checked with Jo on Monday.", "Jo Bloggs")
    wb.save(path)
    return path


def test_a_mark_is_set_then_removed_with_the_cell_as_it_was(tmp_path: Path) -> None:
    path = _staff_styled(tmp_path)
    original = _look(path, "E6")
    staff_note = _look(path, "I7")
    marked = PlanWorkbook.open(path).save(WorkbookWrites(marks=(CellMark(6, 5, NOTE),)), backups=0)
    token = marked.tokens[(6, 5)]
    now = _look(path, "E6")
    assert now[5] == "FF" + COLOURS.conflict_mark and now[4] == "solid"
    assert now[:4] == original[:4] and now[6:11] == original[6:11]  # font, format, borders kept
    assert now[11] == ("ccrc-sync", "ccrc-sync:\n" + NOTE)
    assert _look(path, "I7") == staff_note
    PlanWorkbook.open(path).save(WorkbookWrites(unmarks=(CellUnmark(6, 5, token),)), backups=0)
    assert _look(path, "E6") == original
    assert _look(path, "I7") == staff_note


def test_the_token_survives_excel_renumbering_the_styles(tmp_path: Path) -> None:
    """openpyxl, like Excel, renumbers every style on saving; the token still finds it."""
    path = _staff_styled(tmp_path)
    original = _look(path, "E6")
    token = (
        PlanWorkbook.open(path)
        .save(WorkbookWrites(marks=(CellMark(6, 5, NOTE),)), backups=0)
        .tokens[(6, 5)]
    )
    wb = load_workbook(path)
    wb["Action Plan"]["A40"].font = Font(italic=True)  # a new style, so indices move
    wb.save(path)
    PlanWorkbook.open(path).save(WorkbookWrites(unmarks=(CellUnmark(6, 5, token),)), backups=0)
    assert _look(path, "E6")[:11] == original[:11]


def test_a_cell_restyled_by_staff_since_is_left_alone(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    token = (
        PlanWorkbook.open(path)
        .save(WorkbookWrites(marks=(CellMark(6, 5, NOTE),)), backups=0)
        .tokens[(6, 5)]
    )
    wb = load_workbook(path)
    wb["Action Plan"]["E6"].fill = PatternFill("solid", fgColor="00B050")
    wb.save(path)
    restyled = _look(path, "E6")
    PlanWorkbook.open(path).save(WorkbookWrites(unmarks=(CellUnmark(6, 5, token),)), backups=0)
    after = _look(path, "E6")
    assert after[:11] == restyled[:11]
    assert after[11] is None  # our note goes all the same


def test_an_edit_and_a_mark_on_one_cell_and_an_unmark_without_a_token(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    original = _look(path, "F3")
    PlanWorkbook.open(path).save(
        WorkbookWrites(cells=(CellEdit(3, 6, "=Jo"),), marks=(CellMark(3, 6, NOTE),)), backups=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cell = load_workbook(path)["Action Plan"]["F3"]
    assert cell.value == "=Jo" and cell.data_type == "s" and cell.quotePrefix
    assert cell.fill.fgColor.rgb == "FF" + COLOURS.conflict_mark
    PlanWorkbook.open(path).save(WorkbookWrites(unmarks=(CellUnmark(3, 6, None),)), backups=0)
    after = _look(path, "F3")
    assert after[4] is None and after[11] is None
    assert after[:4] == original[:4] and after[6:11] == original[6:11]


def test_notes_join_a_sheet_with_threaded_comments_and_leave_them_alone(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    kept = excel.add_threaded_comment(path, cell="I2")
    before = excel.parts(path)
    result = PlanWorkbook.open(path).save(
        WorkbookWrites(marks=(CellMark(4, 5, NOTE), CellMark(2, 9, NOTE))), backups=0
    )
    after = excel.parts(path)
    for name in kept:
        assert after[name] == before[name]
    comments = after["xl/comments1.xml"].decode()
    assert comments.count("<comment ") == 2 and 'ref="E4"' in comments
    assert "<author>ccrc-sync</author>" in comments and "[Threaded comment]" in comments
    vml = after["xl/drawings/vmlDrawing1.vml"].decode()
    assert "<x:Row>3</x:Row><x:Column>4</x:Column>" in vml and vml.count("<v:shape ") == 2
    # I2 already holds a threaded comment: it keeps it; our mark there is the fill alone.
    assert (4, 5) in result.tokens and (2, 9) in result.tokens
    assert _look(path, "I2")[5] == "FF" + COLOURS.conflict_mark
    PlanWorkbook.open(path).save(
        WorkbookWrites(unmarks=(CellUnmark(4, 5, result.tokens[(4, 5)]),)), backups=0
    )
    final = excel.parts(path)
    assert final["xl/comments1.xml"] == before["xl/comments1.xml"].replace(
        b"</authors>", b"<author>ccrc-sync</author></authors>"
    )
    assert final["xl/drawings/vmlDrawing1.vml"] == before["xl/drawings/vmlDrawing1.vml"]


def test_a_cell_inside_merged_cells_is_not_marked_but_a_formula_cell_is(tmp_path: Path) -> None:
    """D5 is hidden under C5:D5, so a fill there would never show; C5 (the merge's top-left)
    and I4 (a formula, never written but still in conflict) are marked."""
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    wb["Action Plan"].merge_cells("C5:D5")
    wb["Action Plan"]["I4"] = "=LEN(C4)"
    wb.save(path)
    result = PlanWorkbook.open(path).save(
        WorkbookWrites(marks=(CellMark(5, 4, NOTE), CellMark(5, 3, NOTE), CellMark(4, 9, NOTE))),
        backups=0,
    )
    assert result.skipped == ["Cell D5 was not marked: it is inside merged cells."]
    assert sorted(result.tokens) == [(4, 9), (5, 3)]
    assert _look(path, "C5")[5] == _look(path, "I4")[5] == "FF" + COLOURS.conflict_mark
    assert _look(path, "D5")[5] != "FF" + COLOURS.conflict_mark
