"""Reading the plan: every spelling of a workbook reads the same, values read as meant, and
bad or hostile files are refused with one sentence, fast, leaving the file as it was."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import zipfile
from pathlib import Path

import pytest
from fixtures import excel
from fixtures.plans import template_copy
from openpyxl import load_workbook

from ccrc_sync.errors import WorkbookError
from ccrc_sync.schema import Formula
from ccrc_sync.workbook import PlanWorkbook, WorkbookLimits, read_plan
from ccrc_sync.writes import CellEdit, WorkbookWrites

SPELLINGS = {
    "openpyxl": lambda p: None,
    "Excel (shared strings, spans)": excel.excel_spelling,
    "prefixed x: namespace": excel.prefixed,
    "Strict OOXML": excel.strict,
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_every_spelling_reads_as_openpyxl_reads_the_template(tmp_path: Path, spelling: str) -> None:
    path = template_copy(tmp_path)
    ws = load_workbook(path)["Action Plan"]
    expected = [[c.value for c in row] for row in ws.iter_rows()]
    SPELLINGS[spelling](path)
    before = path.read_bytes()
    table = read_plan(path)
    assert path.read_bytes() == before
    assert table.headers == [str(v) for v in expected[0]]
    assert len(table.rows) == 46 and table.by_rec_no()["16"]["Status"] == "In Progress"
    assert [r.key for r in table.rows][17:20] == ["18", "18a", "18b"]
    for plan_row in table.rows:
        want = expected[plan_row.row - 1]
        for label, col in table.columns.items():
            got = plan_row.values[label]
            value = want[col - 1] if col <= len(want) else None
            if isinstance(value, dt.datetime) and value.time() == dt.time():
                value = value.date()
            assert got == value, (plan_row.row, label)


def _values_workbook(tmp_path: Path) -> Path:
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    ws = wb["Action Plan"]
    ws["I2"] = "=SUM(1,2)"
    ws["I3"] = "=not a formula"
    ws["I3"].data_type = "s"
    ws["G4"] = dt.date(2027, 3, 31)
    ws["H4"] = dt.datetime(2026, 11, 2, 9, 30)
    ws["H4"].number_format = "dd/mm/yyyy hh:mm"
    ws["C5"] = "Überprüfung – ‘quoted’ 中文 " * 200
    ws["I6"] = True
    ws["I9"] = 15.25
    wb.save(path)

    def edit(xml: bytes) -> bytes:
        cells = {
            "I7": '<c r="I7" t="e"><v>#N/A</v></c>',
            "I8": '<c r="I8" t="inlineStr"><is><t>line_x000B_tab&amp;&lt;ok&gt; _x005F_x0041_</t></is></c>',
            "F10": '<c r="F10"><f t="shared" ref="F10:F12" si="0">A10*2</f><v>20</v></c>',
            "F11": '<c r="F11"><f t="shared" si="0"/><v>22</v></c>',
            "I10": '<c r="I10" t="inlineStr"><is><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r>'
            '<rPh sb="0" eb="1"><t>ignored</t></rPh></is></c>',
        }
        for ref, cell in cells.items():
            xml = re.sub(
                rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode(),
                cell.encode(),
                xml,
                count=1,
                flags=re.S,
            )
        return xml

    excel.edit_zip(path, {"xl/worksheets/sheet1.xml": edit})
    return path


@pytest.mark.parametrize("spelling", ["openpyxl", "prefixed x: namespace"])
def test_values_read_as_meant_on_both_reading_paths(tmp_path: Path, spelling: str) -> None:
    path = _values_workbook(tmp_path)
    SPELLINGS[spelling](path)
    rows = {r.row: r.values for r in read_plan(path).rows}
    assert isinstance(rows[2]["Notes"], Formula) and rows[2]["Notes"] == "=SUM(1,2)"
    assert type(rows[3]["Notes"]) is str and rows[3]["Notes"] == "=not a formula"
    assert rows[4]["Target Date"] == dt.date(2027, 3, 31)
    assert rows[4]["Last Updated"] == dt.datetime(2026, 11, 2, 9, 30)
    assert rows[5]["Recommendation"] == "Überprüfung – ‘quoted’ 中文 " * 200
    assert rows[6]["Notes"] is True
    assert rows[7]["Notes"] == "#N/A"
    assert rows[8]["Notes"] == "line\x0btab&<ok> _x0041_"
    assert rows[9]["Notes"] == 15.25
    assert rows[10]["Owner"] == Formula("=A10*2") and rows[11]["Owner"] == Formula("=A11*2")
    assert rows[10]["Notes"] == "rich text"


def test_merged_cells_are_read(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    wb = load_workbook(path)
    wb["Action Plan"].merge_cells("C5:D5")
    wb.save(path)
    assert read_plan(path).merged == ["C5:D5"]
    excel.prefixed(path)
    assert read_plan(path).merged == ["C5:D5"]


def test_the_sheet_name_is_matched_ignoring_case_and_spaces(tmp_path: Path) -> None:
    assert len(read_plan(template_copy(tmp_path), " action  PLAN ").rows) == 46


def test_a_strict_workbook_is_read_but_never_written(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    excel.strict(path)
    before = path.read_bytes()
    book = PlanWorkbook.open(path)
    assert len(book.table.rows) == 46
    with pytest.raises(WorkbookError) as caught:
        book.save(WorkbookWrites(cells=(CellEdit(2, 5, "Complete"),)), backups=1)
    assert str(caught.value) == (
        f"The workbook {path} is saved as Strict Open XML; ccrc-sync can read it but not write "
        "it. Save it in Excel as an ordinary Excel Workbook (.xlsx)."
    )
    assert path.read_bytes() == before and not (tmp_path / "backups").exists()


# ----------------------------------------------------------------------- bad input


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _bad(tmp_path: Path, kind: str) -> tuple[Path, str]:
    path = tmp_path / "plan.xlsx"
    if kind == "empty":
        path.write_bytes(b"")
        return path, f"The workbook {path} is empty (0 bytes), not an Excel workbook."
    if kind == "text":
        path.write_bytes(b"Rec No.,Section\n1,Casework\n")
        return path, f"{path} is not an Excel .xlsx workbook."
    if kind == "xls":
        path.write_bytes(excel.OLE_MAGIC + b"\0" * 600)
        return path, (
            f"The workbook {path} is in the old Excel 97-2003 (.xls) format; save it as an "
            "Excel Workbook (.xlsx)."
        )
    if kind == "encrypted":
        path.write_bytes(excel.OLE_MAGIC + b"\0" * 64 + "EncryptionInfo".encode("utf-16-le"))
        return path, (
            f"The workbook {path} is password-protected (encrypted); save a copy without a "
            "password to use it with ccrc-sync."
        )
    if kind == "truncated":
        (tmp_path / "t").mkdir()
        path.write_bytes(template_copy(tmp_path / "t").read_bytes()[:3000])
        return path, (
            f"The workbook {path} is corrupt or truncated (it is not a readable zip file); "
            "restore it from a backup."
        )
    if kind == "other zip":
        _zip(path, {"hello.txt": b"hi"})
        return path, f"{path} is a zip file but not an Excel .xlsx workbook."
    if kind == "missing sheet":
        template_copy(tmp_path)
        excel.edit_zip(
            path,
            {"xl/workbook.xml": lambda x: x.replace(b'name="Action Plan"', b'name="Plan 2026"')},
        )
        return path, f"The workbook {path} has no 'Action Plan' sheet; it has: 'Plan 2026'."
    if kind == "empty sheet":
        template_copy(tmp_path)
        excel.edit_zip(
            path,
            {
                "xl/worksheets/sheet1.xml": lambda x: re.sub(
                    rb"<sheetData>.*</sheetData>", b"<sheetData/>", x, flags=re.S
                )
            },
        )
        return path, f"The 'Action Plan' sheet in {path} is empty; it has no header row."
    if kind == "billion laughs":
        template_copy(tmp_path)
        laughs = (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(
                f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
                for i in range(1, 10)
            )
            + b"]>"
        )
        excel.edit_zip(
            path,
            {
                "xl/worksheets/sheet1.xml": lambda x: (
                    laughs + x.replace(b"Recommendation<", b"&lol9;<", 1)
                )
            },
        )
        return path, (
            f"The workbook {path} has a damaged part xl/worksheets/sheet1.xml (a document type "
            "declaration (DTD), which workbook parts never have); restore it from a backup."
        )
    if kind == "folder":
        path.mkdir()
        return path, f"{path} is a folder, not an Excel workbook."
    if kind == "missing":
        return path, f"The workbook {path} does not exist."
    raise AssertionError(kind)


BAD = ["empty", "text", "xls", "encrypted", "truncated", "other zip", "missing sheet",
       "empty sheet", "billion laughs", "folder", "missing"]  # fmt: skip


@pytest.mark.parametrize("kind", BAD)
def test_bad_files_give_one_clear_sentence_and_stay_untouched(tmp_path: Path, kind: str) -> None:
    path, message = _bad(tmp_path, kind)
    before = path.read_bytes() if path.is_file() else None
    for read in (read_plan, PlanWorkbook.open):
        with pytest.raises(WorkbookError) as caught:
            read(path)
        assert str(caught.value) == message
    assert (path.read_bytes() if path.is_file() else None) == before


def test_a_fifo_is_refused_at_once_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.xlsx"
    os.mkfifo(fifo)
    outcome: list[str] = []

    def attempt() -> None:
        try:
            read_plan(fifo)
        except WorkbookError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(60)  # a guard against a hang (an open() on a FIFO blocks), not a speed limit
    assert outcome == [
        f"{fifo} is a named pipe (FIFO), not an Excel workbook file; it was not read."
    ]


# ----------------------------------------------------------------------- limits


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for _ in range(300):
                part.write(b" " * (1 << 20))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(WorkbookError) as caught:
        read_plan(path)
    assert re.fullmatch(
        re.escape(f"The workbook {path} was not read: its part xl/worksheets/sheet1.xml inflates ")
        + r"1,0\d\d"
        + re.escape(
            " times its stored size, past the limit of 200. If the workbook is genuine, raise "
            "`[workbook] max_compression_ratio = ...` in the config."
        ),
        str(caught.value),
    )
    with pytest.raises(
        WorkbookError,
        match=r"its parts inflate to 300 MB, past the limit of 200\. .*max_uncompressed_mb",
    ):
        read_plan(path, limits=WorkbookLimits(max_compression_ratio=10_000))


def test_a_directory_that_lies_about_sizes_is_caught_while_inflating(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # Shrink the declared size in the central directory (the local header is not read).
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"xl/worksheets/sheet1.xml"))
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert info.file_size > 1000
    with pytest.raises(WorkbookError, match=r"is corrupt .*xl/worksheets/sheet1\.xml"):
        read_plan(path)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (WorkbookLimits(max_rows=30), "the plan sheet has too many rows, past the limit of 30. If the "
         "workbook is genuine, raise `[workbook] max_rows = ...` in the config."),
        (WorkbookLimits(max_cells=200), "the plan sheet has too many cells, past the limit of 200. "
         "If the workbook is genuine, raise `[workbook] max_cells = ...` in the config."),
    ],
)  # fmt: skip
@pytest.mark.parametrize("spelling", ["openpyxl", "prefixed x: namespace"])
def test_rows_and_cells_past_the_limits_stop_the_read(
    tmp_path: Path, limits: WorkbookLimits, message: str, spelling: str
) -> None:
    path = template_copy(tmp_path)
    SPELLINGS[spelling](path)
    with pytest.raises(WorkbookError) as caught:
        read_plan(path, limits=limits)
    assert str(caught.value) == f"The workbook {path} was not read: {message}"


def test_limits_come_from_the_config() -> None:
    from ccrc_sync.config import WorkbookConfig

    cfg = WorkbookConfig(max_rows=7, max_cells=70, max_uncompressed_mb=3, max_compression_ratio=9)
    assert WorkbookLimits.from_config(cfg) == WorkbookLimits(3, 9, 7, 70)


@pytest.mark.parametrize(
    "change",
    [
        (rb'<c r="(\w+)" s="(\d+)"', rb'<c s="\2" r="\1"'),  # attributes in another order
        (rb"<(/?)(c|v|is|t|row)\b", rb"<\1x:\2"),  # cells prefixed under a plain root
    ],
    ids=["attribute order", "prefixed cells"],
)
def test_unusual_spellings_inside_the_sheet_read_the_same(
    tmp_path: Path, change: tuple[bytes, bytes]
) -> None:
    path = template_copy(tmp_path)
    expected = read_plan(path).rows
    main = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'

    def edit(xml: bytes) -> bytes:
        head, body = xml.split(b"<sheetData>", 1)
        body, tail = body.split(b"</sheetData>", 1)
        head = head.replace(main, main + b" " + main.replace(b"xmlns=", b"xmlns:x="), 1)
        return head + b"<sheetData>" + re.sub(change[0], change[1], body) + b"</sheetData>" + tail

    excel.edit_zip(path, {"xl/worksheets/sheet1.xml": edit})
    assert read_plan(path).rows == expected
    assert PlanWorkbook.open(path).table.rows == expected
