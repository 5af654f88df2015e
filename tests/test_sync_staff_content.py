"""Issue 10 end to end: a workbook holding what staff build in Excel syncs both ways.

A chart on a tab of their own, a picture and a text box, a threaded comment, a drop-down
whose list is on another sheet, an Excel Table over the plan, a macro-enabled `.xlsm`:
each used to stop every edit made in the Google Sheet from reaching the workbook. Here the
real CLI syncs such a workbook against the emulator with edits on both sides. Every edit
arrives on both sides, every part the run has no business touching comes out byte for
byte, the run exits 0 and says nothing about content it cannot keep, and the file still
opens (in openpyxl, and in LibreOffice where it is installed).

The workbook-side edits are made first (saved as Excel saves, keeping its content), then
the content is added the way Excel writes it (`fixtures.excel`), then the sheet is edited.
"""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from fixtures import excel
from openpyxl import load_workbook
from synchelp import (  # noqa: F401  (the *_fixture names register the fixtures)
    MANAGED,
    PLAN,
    Result,
    Rig,
    baseline_fixture,
    synced_fixture,
    text,
    writes,
)

OWNER, NOTES, STATUS, ACTION = "Owner", "Notes", "Status", "Action"
PLAN_PART = "xl/worksheets/sheet1.xml"
# What a run may rewrite besides the generated tabs' own parts (issue 10 item 1): the
# plan sheet's changed cells and rows, appended styles, the package's bookkeeping, and an
# Excel Table's range when a row is appended.
BOOKKEEPING = {
    PLAN_PART,
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "docProps/app.xml",
    "xl/tables/table1.xml",
}
NEW_ROW = {
    "Rec No.": 35,
    "Section": "Assurance",
    "Recommendation": "A recommendation added in the Google Sheet.",
    "Action": "Agree it at the board.",
    "Status": "Planned",
}
BOOK_EDITS = {(5, OWNER): "Jo Bloggs", (7, ACTION): "Rewritten in Excel"}
SHEET_EDITS = {(6, NOTES): "Board paper due", (9, STATUS): "Complete"}
NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _rels(parts: dict[str, bytes], part: str) -> list[str]:
    """The parts `part` refers to, by name in the package."""
    folder, _, name = part.rpartition("/")
    rels = parts.get(f"{folder}/_rels/{name}.rels")
    if rels is None:
        return []
    out = []
    for rel in ElementTree.fromstring(rels).findall("p:Relationship", NS):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        out.append(
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(f"{folder}/{target}")
        )
    return out


def generated_parts(parts: dict[str, bytes]) -> set[str]:
    """The parts of the tabs the sync owns (Summary, Sync Issues, Change Log): each sheet,
    its relationships, drawing and chart, which a run may replace whole."""
    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    ids = {s.get("name"): s.get(f"{{{NS['r']}}}id") for s in book.findall("m:sheets/m:sheet", NS)}
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    by_id = {}
    for rel in rels.findall("p:Relationship", NS):
        target = rel.get("Target", "")
        by_id[rel.get("Id")] = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        )
    owned: set[str] = set()
    todo = [by_id[ids[t]] for t in MANAGED if t in ids]
    while todo:
        part = todo.pop()
        if part in owned:
            continue
        owned.add(part)
        folder, _, name = part.rpartition("/")
        owned.add(f"{folder}/_rels/{name}.rels")
        todo += _rels(parts, part)
    return owned


def dress(rig: Rig) -> None:
    """The workbook as staff make it: their edits saved in Excel, then their content."""
    rig.edit_book(BOOK_EDITS)
    excel.add_staff_chart_tab(rig.workbook)
    excel.add_picture_and_shape(rig.workbook)
    excel.add_threaded_comment(rig.workbook, cell="I3")
    excel.add_cross_sheet_dropdown(rig.workbook)
    excel.add_table(rig.workbook, ref="A1:I47")


def edit_sheet_side(rig: Rig) -> None:
    rig.edit_sheet(SHEET_EDITS)
    rig.add_sheet_row(NEW_ROW)


def check_every_edit_arrived(rig: Rig, result: Result) -> None:
    assert result.code == 0, result.out + result.err
    assert result.json["notes"] == [], result.json["notes"]  # nothing about lost content
    assert {(c["rec_no"], c["field"]) for c in result.json["changes"]} >= {
        (str(rec), field) for rec, field in [*BOOK_EDITS, *SHEET_EDITS]
    }
    for rows in (rig.book_rows(), rig.sheet_rows()):
        for (rec, field), value in [*BOOK_EDITS.items(), *SHEET_EDITS.items()]:
            assert text(rows[str(rec)][field]) == value, (rec, field)
        assert {k: text(rows["35"][k]) for k in NEW_ROW} == {k: text(v) for k, v in NEW_ROW.items()}
        assert len(rows) == 47


def check_untouched(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """Every part other than the plan's cells, the bookkeeping and the generated tabs
    comes out byte for byte; nothing of the staff's is removed."""
    may_change = BOOKKEEPING | generated_parts(before) | generated_parts(after)
    for name, data in before.items():
        if name in may_change:
            continue
        assert name in after, f"{name} was removed"
        assert after[name] == data, f"{name} changed"


def open_in_openpyxl(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # about the extensions it would drop
        return load_workbook(path)


def test_a_workbook_holding_staff_content_syncs_both_ways(synced: Rig) -> None:
    dress(synced)
    edit_sheet_side(synced)
    before = excel.parts(synced.workbook)
    ours = generated_parts(before)
    staff = [
        n
        for n in before
        if n.startswith(("xl/media/", "xl/threadedComments/", "xl/persons/", "xl/drawings/"))
        and n not in ours
    ]
    # The picture's drawing, its rels and image, the chart tab's drawing and its rels, the
    # comment's VML, the threaded comment and its persons.
    assert len(staff) == 8, staff

    result = synced.sync()
    check_every_edit_arrived(synced, result)
    after = excel.parts(synced.workbook)
    check_untouched(before, after)
    assert [n for n in staff if after.get(n) != before[n]] == []

    plan = after[PLAN_PART]
    assert b"<x14:dataValidations" in plan and b"Lists!$A$1:$A$5" in plan
    for tag in (b'r:id="rIdDrw91"', b'r:id="rIdVml1"', b'r:id="rIdTbl1"'):
        assert tag in plan, tag  # the picture, the comment's placeholder, the table
    table = after["xl/tables/table1.xml"]
    assert b'ref="A1:I48"' in table and b'<autoFilter ref="A1:I48"/>' in table  # row 48 in

    wb = open_in_openpyxl(synced.workbook)
    assert wb.sheetnames == [PLAN, "Summary", "Sync Issues", "Change Log", "Charts"]
    assert wb["Charts"]["A1"].value == "Staff chart"
    assert wb[PLAN]["F6"].value == "Jo Bloggs" and wb[PLAN]["I7"].value == "Board paper due"
    synced.assert_quiet()


@pytest.mark.slow
def test_the_synced_workbook_opens_in_libreoffice_with_every_edit(
    synced: Rig, tmp_path: Path
) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed; the openpyxl check still runs")
    dress(synced)
    edit_sheet_side(synced)
    check_every_edit_arrived(synced, synced.sync())
    out = tmp_path / "csv"
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out),
         str(synced.workbook)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    shown = (out / "plan.csv").read_text(encoding="utf-8")
    for value in ("Jo Bloggs", "Rewritten in Excel", "Board paper due", NEW_ROW["Action"]):
        assert value in shown


@pytest.mark.parametrize(
    "build",
    [
        excel.add_staff_chart_tab,
        excel.add_picture_and_shape,
        excel.add_threaded_comment,
        excel.add_cross_sheet_dropdown,
        lambda path: excel.add_table(path, ref="A1:I47"),
    ],
    ids=["chart on a staff tab", "picture", "threaded comment", "cross-sheet drop-down", "table"],
)
def test_each_kind_of_content_alone_syncs_both_ways(synced: Rig, build: Any) -> None:
    synced.edit_book(BOOK_EDITS)
    build(synced.workbook)
    edit_sheet_side(synced)
    before = excel.parts(synced.workbook)
    result = synced.sync()
    check_every_edit_arrived(synced, result)
    check_untouched(before, excel.parts(synced.workbook))


def test_a_macro_enabled_workbook_keeps_its_macros_extension_and_content_type(
    synced: Rig,
) -> None:
    synced.edit_book(BOOK_EDITS)
    xlsm = excel.make_xlsm(synced.workbook, synced.root / "plan.xlsm")
    synced.workbook.unlink()
    synced.workbook = xlsm
    synced.monkeypatch.setenv("CCRC_SYNC_WORKBOOK", str(xlsm))
    edit_sheet_side(synced)
    before = excel.parts(xlsm)

    result = synced.sync()
    check_every_edit_arrived(synced, result)
    after = excel.parts(xlsm)
    check_untouched(before, after)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    types = after["[Content_Types].xml"]
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert b'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in types
    assert sorted(p.name for p in synced.root.glob("plan.*")) == ["plan.xlsm"]
    synced.assert_quiet()


def test_one_over_long_value_is_held_back_and_every_other_edit_arrives(synced: Rig) -> None:
    """Excel holds at most 32,767 characters in a cell; Google holds 50,000. The one cell
    that cannot go is held with a finding; it blocks nothing else."""
    long_text = "Minutes of the board, pasted whole. " * 1000  # 36,000 characters
    synced.edit_book(BOOK_EDITS)
    synced.edit_sheet({**SHEET_EDITS, (8, NOTES): long_text})

    result = synced.sync()
    assert result.code == 1, result.out + result.err
    [finding] = [i for i in result.json["issues"] if i["code"] == "cell.too_long"]
    assert (finding["rec_no"], finding["field"], finding["severity"]) == ("8", NOTES, "error")
    assert finding["message"] == (
        "In the Google Sheet: Notes of Rec 8 is 36,000 characters long; an Excel cell holds at most 32,767, so it "
        "is not written to the workbook."
    )
    book, sheet = synced.book_rows(), synced.sheet_rows()
    assert book["8"][NOTES] is None and sheet["8"][NOTES] == long_text  # held, not cut
    for rows in (book, sheet):
        for (rec, field), value in [*BOOK_EDITS.items(), *SHEET_EDITS.items()]:
            assert text(rows[str(rec)][field]) == value, (rec, field)

    synced.emu.clear_log()
    again = synced.sync()  # still held, nothing sent again
    assert again.code == 1 and again.json["changes"] == []
    assert writes(synced.emu) == []

    synced.edit_sheet({(8, NOTES): "Minutes of the board: see the paper."})  # shortened
    done = synced.sync()
    assert done.code == 0, done.out
    assert synced.book_rows()["8"][NOTES] == "Minutes of the board: see the paper."
