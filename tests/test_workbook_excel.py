"""Workbooks holding what staff build in Excel sync both ways: every edit lands, every part
the run has no business touching comes out byte for byte, and the file still opens."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures import excel
from fixtures.excel import LAST_ROW
from fixtures.plans import template_copy
from openpyxl import load_workbook

from ccrc_sync.layout import TabKind
from ccrc_sync.workbook import PlanWorkbook, read_plan, stale_temp_files
from ccrc_sync.writes import CellEdit, RowAppend, WorkbookWrites

# Parts a run may change (issue 10 item 1); everything else must be identical.
MAY_CHANGE = {
    "xl/worksheets/sheet1.xml",
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "docProps/app.xml",
    "xl/tables/table1.xml",
}

WRITES = WorkbookWrites(
    cells=(
        CellEdit(2, 5, "Complete"),
        CellEdit(3, 6, "J. Smith (from the Google Sheet)"),
        CellEdit(4, 7, dt.date(2027, 3, 31)),
        CellEdit(5, 9, "=A1 is text here, not a formula"),
    ),
    appends=(
        RowAppend(
            {1: 35, 2: "Timeliness", 3: "A recommendation added in the Google Sheet.", 5: "Planned"}
        ),
    ),
    tabs={
        "Summary": excel.summary_layout(),
        "Sync Issues": excel.list_layout("Sync Issues", TabKind.ISSUES),
        "Change Log": excel.list_layout("Change Log", TabKind.LOG, 6),
    },
)


def _staff_chart(path: Path) -> list[str]:
    return excel.add_staff_chart_tab(path)


KINDS: dict[str, Callable[[Path], object]] = {
    "picture and shape": excel.add_picture_and_shape,
    "threaded comment": excel.add_threaded_comment,
    "cross-sheet drop-down": excel.add_cross_sheet_dropdown,
    "data bars": excel.add_data_bars,
    "sparklines": excel.add_sparklines,
    "Excel table": excel.add_table,
    "chart on a staff tab": _staff_chart,
    "hyperlinks": excel.add_hyperlinks,
}


def _check_synced(path: Path, before: dict[str, bytes], *, table: bool = False) -> None:
    plan = read_plan(path)
    rows = plan.by_rec_no()
    assert rows["1"]["Status"] == "Complete"
    assert rows["2"]["Owner"] == "J. Smith (from the Google Sheet)"
    assert rows["3"]["Target Date"] == dt.date(2027, 3, 31)
    assert rows["4"]["Notes"] == "=A1 is text here, not a formula"
    assert type(rows["4"]["Notes"]) is str  # text, not a Formula
    assert rows["35"]["Recommendation"] == "A recommendation added in the Google Sheet."
    assert rows["35"]["Rec No."] == 35  # a whole Rec No. stays a number in the cell
    assert plan.rows[-1].row == LAST_ROW + 1
    after = excel.parts(path)
    for name, data in before.items():
        assert name in after, f"{name} was removed"
        if name not in MAY_CHANGE:
            assert after[name] == data, f"{name} changed"
    added = set(after) - set(before)
    assert added and all(
        n.startswith(("xl/worksheets/", "xl/drawings/", "xl/charts/")) for n in added
    ), added
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about the extensions it drops
        wb = load_workbook(path)
    assert wb.sheetnames[-3:] == ["Summary", "Sync Issues", "Change Log"]
    ws = wb["Action Plan"]
    assert ws["I5"].data_type == "s" and ws["I5"].quotePrefix
    if table:
        assert f'ref="A1:K{LAST_ROW + 1}"'.encode() in after["xl/tables/table1.xml"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_staff_content_survives_a_sync_both_ways(tmp_path: Path, kind: str) -> None:
    path = template_copy(tmp_path)
    KINDS[kind](path)
    before = excel.parts(path)
    result = PlanWorkbook.open(path).save(WRITES, backups=1)
    assert result.skipped == []
    _check_synced(path, before, table=kind == "Excel table")


def test_a_macro_workbook_keeps_its_macros_extension_and_content_type(tmp_path: Path) -> None:
    path = excel.make_xlsm(template_copy(tmp_path), tmp_path / "plan.xlsm")
    before = excel.parts(path)
    PlanWorkbook.open(path).save(WRITES, backups=0)
    # Written through a temporary `.plan.<random>.tmp.xlsm` that is gone once swapped in.
    assert stale_temp_files(path) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["plan.xlsm", "plan.xlsx"]
    after = excel.parts(path)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in after["[Content_Types].xml"]
    assert (
        b'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"'
        in after["[Content_Types].xml"]
    )
    _check_synced(path, before)


def _everything(tmp_path: Path) -> Path:
    path = template_copy(tmp_path)
    for build in KINDS.values():
        build(path)
    return path


@pytest.mark.parametrize("spelling", ["openpyxl", "Excel"])
def test_everything_at_once_twice_over(tmp_path: Path, spelling: str) -> None:
    """All of it in one workbook, synced twice (the second run replaces the tabs)."""
    path = _everything(tmp_path)
    if spelling == "Excel":
        excel.excel_spelling(path)
    before = excel.parts(path)
    PlanWorkbook.open(path).save(WRITES, backups=1)
    _check_synced(path, before, table=True)
    again = WorkbookWrites(cells=(CellEdit(2, 5, "In Progress"),), tabs=WRITES.tabs)
    PlanWorkbook.open(path).save(again, backups=1)
    assert read_plan(path).by_rec_no()["1"]["Status"] == "In Progress"
    after = excel.parts(path)
    for name, data in before.items():
        if name not in MAY_CHANGE:
            assert after[name] == data, f"{name} changed on the second run"


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_libreoffice_opens_the_synced_workbook_with_every_edit(tmp_path: Path) -> None:
    path = _everything(tmp_path)
    PlanWorkbook.open(path).save(WRITES, backups=0)
    out = tmp_path / "out"
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
         'csv:Text - txt - csv (StarCalc):44,34,76', "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    text = (out / "plan.csv").read_text(encoding="utf-8")
    assert "J. Smith (from the Google Sheet)" in text
    assert "=A1 is text here, not a formula" in text
    assert "31/03/2027" in text
    assert "A recommendation added in the Google Sheet." in text


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_a_workbook_saved_by_libreoffice_syncs_both_ways(tmp_path: Path) -> None:
    """LibreOffice spells everything its own way (shared strings, `hidden="false"` rows...)."""
    (tmp_path / "in").mkdir()
    source = template_copy(tmp_path / "in")
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
         "xlsx", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    path = tmp_path / "plan.xlsx"
    before = excel.parts(path)
    assert "xl/sharedStrings.xml" in before
    assert PlanWorkbook.open(path).save(WRITES, backups=0).skipped == []
    _check_synced(path, before)
