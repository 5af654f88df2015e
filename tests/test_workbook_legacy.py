"""The openpyxl-based `workbook.legacy` the sync still calls until it moves to the package API.

Reading never harms the file; writing touches only what it should, or nothing at all.
These go with `legacy` itself; the package's own tests are the other `test_workbook_*`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.plans import add_shape, add_x14_validation, rewrite_zip, template_copy
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName

from ccrc_sync.errors import WorkbookBusy, WorkbookError
from ccrc_sync.schema import Formula
from ccrc_sync.workbook.legacy import PlanWorkbook, busy_reason, read_plan, workbook_features


def unchanged(path: Path, before: bytes) -> bool:
    return path.read_bytes() == before


def test_read_plan_reads_the_template_without_changing_it(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    before = path.read_bytes()
    table = read_plan(path)
    assert len(table.rows) == 34 and table.header_row == 1
    assert sorted(table.by_rec_no()) == list(range(1, 35))
    assert table.by_rec_no()[16]["Status"] == "In Progress"
    assert unchanged(path, before)


def _workbook_with(tmp_path: Path, edit) -> Path:
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def test_formulas_dates_equals_text_long_and_non_ascii_cells_read_as_meant(tmp_path: Path) -> None:
    long_text = "Überprüfung – ‘quoted’ 中文 " * 200  # 5,000+ characters

    def edit(wb) -> None:
        ws = wb["Action Plan"]
        ws["I2"] = "=SUM(1,2)"
        ws["I3"] = "=not a formula"
        ws["I3"].data_type = "s"
        ws["G4"] = dt.date(2027, 3, 31)
        ws["C5"] = long_text

    path = _workbook_with(tmp_path, edit)
    table = read_plan(path).by_rec_no()
    assert isinstance(table[1]["Notes"], Formula) and table[1]["Notes"] == "=SUM(1,2)"
    assert type(table[2]["Notes"]) is str and table[2]["Notes"] == "=not a formula"
    assert table[3]["Target Date"] == dt.date(2027, 3, 31)
    assert table[4]["Recommendation"] == long_text
    assert PlanWorkbook.load(path).table.by_rec_no() == table


BAD_INPUTS = {
    "not_xlsx": (b"Rec No.,Section\n1,Assurance\n", "not an Excel .xlsx workbook"),
    "empty_file": (b"", r"empty \(0 bytes\)"),
    "zip_not_xlsx": (None, "zip file but not an Excel"),
    "truncated": (None, "corrupt or truncated"),
    "password": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le"),
        "password-protected",
    ),
    "old_xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_files_give_one_clear_sentence_and_stay_untouched(tmp_path: Path, kind: str) -> None:
    data, expected = BAD_INPUTS[kind]
    if kind == "zip_not_xlsx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("hello.txt", "hi")
        data = buffer.getvalue()
    if kind == "truncated":
        data = template_copy(tmp_path, "full.xlsx").read_bytes()[:3000]
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    for reader in (read_plan, PlanWorkbook.load):
        with pytest.raises(WorkbookError, match=expected) as info:
            reader(path)
        assert "\n" not in str(info.value)
    assert unchanged(path, data)


def test_missing_file_and_missing_sheet_are_named(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="does not exist"):
        read_plan(tmp_path / "nope.xlsx")

    def rename(wb) -> None:
        wb["Action Plan"].title = "Plan 2026"
        wb.create_sheet("Notes")

    path = _workbook_with(tmp_path, rename)
    before = path.read_bytes()
    with pytest.raises(
        WorkbookError, match=r"no 'Action Plan' sheet; it has: 'Plan 2026', 'Notes'"
    ):
        read_plan(path)
    assert unchanged(path, before)


def test_an_empty_plan_sheet_is_reported(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "empty.xlsx"
    wb = Workbook()
    wb.active.title = "Action Plan"
    wb.save(path)
    with pytest.raises(WorkbookError, match="is empty"):
        read_plan(path)
    with pytest.raises(WorkbookError, match="is empty"):
        PlanWorkbook.load(path)


def test_the_sheet_name_is_matched_ignoring_case_and_spaces(tmp_path: Path) -> None:
    path = _workbook_with(tmp_path, lambda wb: setattr(wb["Action Plan"], "title", "action plan "))
    assert read_plan(path).sheet == "action plan "


def test_merged_cells_are_seen_by_both_readers(tmp_path: Path) -> None:
    path = _workbook_with(tmp_path, lambda wb: wb["Action Plan"].merge_cells("I5:I6"))
    assert read_plan(path).merged == ["I5:I6"]
    assert PlanWorkbook.load(path).table.merged == ["I5:I6"]


@dataclass
class Chart:
    title: str = "Recommendations by status"
    header_row: int = 3
    first_row: int = 4
    last_row: int = 6
    category_col: int = 1
    series_cols: tuple[int, ...] = (2,)
    anchor: str = "D3"


def _decorated(tmp_path: Path) -> Path:
    """The template plus what staff add: comments, a sheet, names, conditional formats,
    merged cells and a column width on their own sheet."""

    def edit(wb) -> None:
        ws = wb["Action Plan"]
        ws["F2"].comment = Comment("Ask the Head of Quality", "Jo")
        ws.conditional_formatting.add(
            "E2:E35",
            CellIsRule(
                operator="equal",
                formula=['"Complete"'],
                fill=PatternFill("solid", fgColor="C6EFCE"),
            ),
        )
        extra = wb.create_sheet("Contacts")
        extra["A1"] = "Jo Bloggs"
        extra.column_dimensions["A"].width = 33
        extra.merge_cells("C1:D1")
        wb.defined_names["Owners"] = DefinedName("Owners", attr_text="Contacts!$A$1:$A$5")

    return _workbook_with(tmp_path, edit)


def test_edits_keep_everything_else_and_text_stays_text(tmp_path: Path) -> None:
    path = _decorated(tmp_path)
    book = PlanWorkbook.load(path)
    assert book.lossy_content() == []
    book.set_cells(
        [
            (16, "Status", "Complete"),
            (3, "Notes", "=not a formula, just text"),
            (5, "Target Date", dt.date(2027, 3, 31)),
        ]
    )
    book.append_rows(
        [
            {
                "Rec No.": 35,
                "Section": "Assurance",
                "Recommendation": "New.",
                "Action": "Do.",
                "Status": "Planned",
            }
        ]
    )
    book.replace_tab(
        "Summary",
        [
            ["Summary"],
            [],
            ["Status", "Count"],
            ["Planned", 9],
            ["In Progress", 22],
            ["Complete", 3],
        ],
        chart=Chart(),
    )
    backup_dir = tmp_path / "backups"
    book.save(backups=3, backup_dir=backup_dir)

    wb = load_workbook(path)
    ws = wb["Action Plan"]
    assert wb.sheetnames == ["Action Plan", "Contacts", "Summary"]
    assert ws["E17"].value == "Complete"
    assert ws["I4"].value == "=not a formula, just text" and ws["I4"].data_type == "s"
    assert ws["G6"].is_date and ws["G6"].value.date() == dt.date(2027, 3, 31)
    assert ws["A36"].value == 35 and ws["C36"].alignment.wrap_text
    assert ws["C36"].border.left.style == ws["C35"].border.left.style == "thin"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I36"
    assert (
        ws.column_dimensions["C"].width
        == load_workbook(template_copy(tmp_path, "t.xlsx"))["Action Plan"]
        .column_dimensions["C"]
        .width
    )
    assert len(ws.data_validations.dataValidation) == 2
    assert ws["F2"].comment.text == "Ask the Head of Quality"
    assert len(ws.conditional_formatting) == 1
    assert "Owners" in wb.defined_names
    assert (
        wb["Contacts"]["A1"].value == "Jo Bloggs"
        and wb["Contacts"].column_dimensions["A"].width == 33
    )
    assert len(wb["Summary"]._charts) == 1 and wb["Summary"]["A4"].value == "Planned"
    assert len(list(backup_dir.iterdir())) == 1
    assert read_plan(path).by_rec_no()[3]["Notes"] == "=not a formula, just text"


def test_backups_rotate_and_keep_the_last_n(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    for n in range(4):
        book = PlanWorkbook.load(path)
        book.set_cells([(1, "Owner", f"Owner {n}")])
        book.save(backups=2, backup_dir=None)
    backups = sorted((tmp_path / "backups").iterdir())
    assert len(backups) == 2
    assert read_plan(backups[-1]).by_rec_no()[1]["Owner"] == "Owner 2"


def test_an_excel_owner_file_stops_the_write(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.load(path)
    book.set_cells([(1, "Owner", "Someone")])
    before = path.read_bytes()
    assert busy_reason(path) is None
    (tmp_path / "~$plan.xlsx").write_bytes(b"owner")
    assert "open in Excel" in busy_reason(path)
    with pytest.raises(WorkbookBusy, match="open in Excel"):
        book.save(backups=1)
    assert unchanged(path, before)


def test_a_workbook_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.load(path)
    book.set_cells([(1, "Owner", "Sync")])
    other = PlanWorkbook.load(path)
    other.set_cells([(2, "Owner", "Person in Excel")])
    other.save(backups=0)
    with pytest.raises(WorkbookBusy, match="changed after it was read"):
        book.save(backups=0)
    assert read_plan(path).by_rec_no()[2]["Owner"] == "Person in Excel"


def test_deleted_rows_are_cleared_not_shifted(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.load(path)
    book.delete_rows([5])
    book.save(backups=0)
    table = read_plan(path)
    assert 5 not in table.by_rec_no() and table.row_of()[6] == 7


def test_the_plan_tab_is_never_regenerated(tmp_path: Path) -> None:
    book = PlanWorkbook.load(template_copy(tmp_path))
    with pytest.raises(WorkbookError, match="never regenerated"):
        book.replace_tab("Action Plan", [["x"]])


@pytest.mark.filterwarnings("ignore:Data Validation extension")
def test_content_openpyxl_would_lose_is_detected_before_writing(tmp_path: Path) -> None:
    x14 = template_copy(tmp_path, "x14.xlsx")
    add_x14_validation(x14)
    notes = PlanWorkbook.load(x14).lossy_content()
    assert len(notes) == 1 and "drop-down" in notes[0] and "'Action Plan'" in notes[0]

    shape = template_copy(tmp_path, "shape.xlsx")
    add_shape(shape)
    before = shape.read_bytes()
    notes = PlanWorkbook.load(shape).lossy_content()
    assert len(notes) == 1 and "drawings, shapes" in notes[0]
    assert unchanged(shape, before)


def test_managed_tabs_may_hold_charts_without_blocking(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.load(path)
    book.replace_tab(
        "Summary",
        [["Status", "Count"], ["Planned", 1]],
        chart=Chart(header_row=1, first_row=2, last_row=2),
    )
    book.save(backups=0)
    assert PlanWorkbook.load(path).lossy_content() == []


# --------------------------------------------------------------------------------------
# The check after every save: losses are caught and the original put back
# --------------------------------------------------------------------------------------


def _drop_comment(book: PlanWorkbook) -> None:
    book.ws["F2"].comment = None


def _drop_conditional_format(book: PlanWorkbook) -> None:
    from openpyxl.formatting.formatting import ConditionalFormattingList

    book.ws.conditional_formatting = ConditionalFormattingList()


def _drop_validation(book: PlanWorkbook) -> None:
    book.ws.data_validations.dataValidation.pop()


def _narrow_a_column(book: PlanWorkbook) -> None:
    book.wb["Contacts"].column_dimensions["A"].width = 12


def _unmerge(book: PlanWorkbook) -> None:
    book.wb["Contacts"].unmerge_cells("C1:D1")


def _drop_name(book: PlanWorkbook) -> None:
    del book.wb.defined_names["Owners"]


def _drop_print_titles(book: PlanWorkbook) -> None:
    book.ws._print_rows = None  # openpyxl's setter ignores None


def _drop_sheet(book: PlanWorkbook) -> None:
    book.wb.remove(book.wb["Contacts"])


LOSSES = {
    "comment": (_drop_comment, "comments on 'Action Plan'"),
    "conditional format": (_drop_conditional_format, "conditional formats on 'Action Plan'"),
    "drop-down": (_drop_validation, "data validations on 'Action Plan'"),
    "column width": (_narrow_a_column, "column widths on 'Contacts'"),
    "merged cells": (_unmerge, "merged cells on 'Contacts'"),
    "defined name": (_drop_name, "defined names"),
    "print titles": (_drop_print_titles, "local names on 'Action Plan'"),
    "sheet": (_drop_sheet, "sheets"),
}


@pytest.mark.parametrize("kind", sorted(LOSSES))
def test_a_save_that_loses_staff_content_is_undone(tmp_path: Path, kind: str) -> None:
    """Whatever openpyxl might drop on the way out is caught by re-reading the saved file,
    and the staff's file goes back to its exact bytes."""
    path = _decorated(tmp_path)
    before = path.read_bytes()
    book = PlanWorkbook.load(path)
    book.set_cells([(1, "Owner", "Someone")])
    lose, named = LOSSES[kind]
    lose(book)  # stands in for openpyxl dropping it while saving
    with pytest.raises(WorkbookError, match="would have lost") as info:
        book.save(backups=1, backup_dir=tmp_path / "backups")
    assert named in str(info.value) and "the original was kept" in str(info.value)
    assert unchanged(path, before)
    assert [p.read_bytes() for p in (tmp_path / "backups").iterdir()] == [before]


def test_a_value_that_did_not_land_is_caught_and_the_original_kept(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    before = path.read_bytes()
    book = PlanWorkbook.load(path)
    book.set_cells([(16, "Status", "Complete")])
    book.ws["E17"].value = "Planned"  # the cell ends up holding something else
    with pytest.raises(WorkbookError, match=r"the value written to E17 \(Status\)"):
        book.save(backups=0)
    assert unchanged(path, before)


def test_text_that_became_a_formula_is_caught(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    before = path.read_bytes()
    book = PlanWorkbook.load(path)
    book.set_cells([(3, "Notes", "=1+1 is what they wrote")])
    book.ws["I4"].data_type = "f"  # saved as a formula rather than the text it is
    with pytest.raises(WorkbookError, match=r"I4 \(Notes\)"):
        book.save(backups=0)
    assert unchanged(path, before)


def test_an_untouched_row_that_changed_is_caught(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    before = path.read_bytes()
    book = PlanWorkbook.load(path)
    book.set_cells([(1, "Owner", "Someone")])
    book.ws["C20"].value = "Something nobody wrote"  # a row the sync never touched
    with pytest.raises(WorkbookError, match=r"C20 \(Recommendation\)"):
        book.save(backups=0)
    assert unchanged(path, before)


def test_cleared_and_appended_rows_are_checked_after_saving(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.load(path)
    book.delete_rows([5])
    book.append_rows([{"Rec No.": 35, "Section": "Assurance", "Status": "Planned"}])
    book.ws["B6"].value = "Assurance"  # the cleared row is not empty after all
    with pytest.raises(WorkbookError, match=r"B6 \(Section\)"):
        book.save(backups=0)
    book.ws["B6"].value = None
    book.save(backups=0)
    table = read_plan(path).by_rec_no()
    assert 5 not in table and table[35]["Status"] == "Planned"


def _excel_spelling(xml: bytes) -> bytes:
    """The template's sheet as other writers spell it: the main namespace under a prefix,
    a single-cell merge written as a range, a styled column without a width, a hidden
    zero-width column."""
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = xml.replace(b'xmlns="' + main + b'"', b'xmlns:x="' + main + b'"', 1)
    xml = re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", xml)
    xml = xml.replace(
        b"</x:cols>",
        b'<x:col min="10" max="10" style="0"/>'
        b'<x:col min="11" max="12" width="0" hidden="1"/></x:cols>',
    )
    return xml.replace(
        b"</x:sheetData>",
        b'</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="K40:K40"/></x:mergeCells>',
    )


def test_other_writers_spellings_are_not_mistaken_for_losses(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    rewrite_zip(path, {"xl/worksheets/sheet1.xml": _excel_spelling})
    book = PlanWorkbook.load(path)
    assert book.table.by_rec_no()[16]["Status"] == "In Progress"
    book.set_cells([(16, "Status", "Complete"), (2, "Target Date", dt.date(2027, 1, 31))])
    book.save(backups=0)
    table = read_plan(path).by_rec_no()
    assert table[16]["Status"] == "Complete" and table[2]["Target Date"] == dt.date(2027, 1, 31)


def test_features_are_read_from_the_file_the_same_way_before_and_after(tmp_path: Path) -> None:
    path = _decorated(tmp_path)
    before = workbook_features(path.read_bytes())
    assert before[("", "sheets")] == ("Action Plan", "Contacts")
    assert before[("", "defined names")] == ("Owners",)
    assert before[("Action Plan", "local names")] == ("_xlnm.Print_Titles",)
    assert before[("Action Plan", "data validations")] == 2
    assert before[("Action Plan", "conditional formats")] == 1
    assert before[("Action Plan", "comments")] == 1
    assert (1, 33.0) in before[("Contacts", "column widths")]
    assert before[("Contacts", "merged cells")] == ("3,1,4,1",)
    book = PlanWorkbook.load(path)
    book.set_cells([(1, "Owner", "Someone")])
    book.save(backups=0)
    assert workbook_features(path.read_bytes()) == before


# --------------------------------------------------------------------------------------
# Edits find their rows once, and the index follows added, removed and renumbered rows
# --------------------------------------------------------------------------------------


def test_set_cells_follows_rows_added_removed_and_renumbered(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.load(path)
    book.set_cells([(1, "Owner", "A")])
    book.append_rows([{"Rec No.": 35, "Section": "Assurance", "Status": "Planned"}])
    book.set_cells([(35, "Owner", "New owner")])
    book.delete_rows([7])
    with pytest.raises(WorkbookError, match="Rec 7 is not in"):
        book.set_cells([(7, "Owner", "Nobody")])
    book.set_cells([(8, "Rec No.", 70), (70, "Owner", "Renumbered")])
    with pytest.raises(WorkbookError, match="no 'Colour' column"):
        book.set_cells([(1, "Colour", "red")])
    book.save(backups=0)
    table = read_plan(path).by_rec_no()
    assert table[35]["Owner"] == "New owner" and 7 not in table and 8 not in table
    assert table[70]["Owner"] == "Renumbered" and table[1]["Owner"] == "A"
    assert book.table.by_rec_no() == table


def test_regenerated_tabs_are_styled_and_read_back(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    book = PlanWorkbook.load(path)
    grid = [
        ["When", "Rec No.", "Field", "Old", "New"],
        [dt.date(2026, 11, 27), 16, "Status", "In Progress", "Complete"],
        ["today", 3, "Notes", None, "=not a formula"],
    ]
    book.replace_tab("Change Log", grid)
    assert book.tab_grid("Change Log") == grid
    assert book.tab_grid("Sync Issues") is None
    book.save(backups=0)
    ws = load_workbook(path)["Change Log"]
    assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E78")
    assert ws["B2"].alignment.wrap_text and not ws["B2"].font.bold
    assert ws["A2"].is_date and ws["A2"].number_format == "dd/mm/yyyy"
    assert ws["E3"].data_type == "s" and ws["E3"].value == "=not a formula"
    assert ws.freeze_panes == "A2" and ws.column_dimensions["E"].width >= 10
    assert PlanWorkbook.load(path).tab_grid("Change Log") == grid


def test_a_header_that_changed_is_caught(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    before = path.read_bytes()
    book = PlanWorkbook.load(path)
    book.set_cells([(1, "Owner", "Someone")])
    book.ws["E1"].value = "State"  # the column would no longer be found as Status
    with pytest.raises(WorkbookError, match=r"the header 'Status' in E1"):
        book.save(backups=0)
    assert unchanged(path, before)
