"""Reading never harms the file; writing touches only what it should, or nothing at all."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.plans import add_shape, add_x14_validation, template_copy
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName

from ccrc_sync.errors import WorkbookBusy, WorkbookError
from ccrc_sync.schema import Formula
from ccrc_sync.workbook import PlanWorkbook, busy_reason, read_plan


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
    """The template plus what staff add: comments, a sheet, names, conditional formats."""

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
