"""Generated tabs as staff open and print them: styled by role, sized, frozen, linked, and
with a whole chart; replaced in place without leaving parts behind."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures import excel
from fixtures.plans import template_copy
from openpyxl import load_workbook

from ccrc_sync.errors import WorkbookError
from ccrc_sync.layout import COLOURS, Role, TabCell, TabKind, estimate_lines
from ccrc_sync.workbook import PlanWorkbook
from ccrc_sync.workbook.limits import WorkbookLimits
from ccrc_sync.workbook.package import Package, rels_name
from ccrc_sync.workbook.read import book_info
from ccrc_sync.writes import WorkbookWrites

TABS = {
    "Summary": excel.summary_layout(),
    "Sync Issues": excel.list_layout("Sync Issues", TabKind.ISSUES),
    "Change Log": excel.list_layout("Change Log", TabKind.LOG, 5),
}


def _synced(tmp_path: Path) -> Path:
    path = template_copy(tmp_path)
    PlanWorkbook.open(path).save(WorkbookWrites(tabs=TABS), backups=0)
    return path


def test_roles_and_tones_are_styled(tmp_path: Path) -> None:
    ws = load_workbook(_synced(tmp_path))["Summary"]
    title, sentence, heading, header = ws["A1"], ws["A2"], ws["A3"], ws["A4"]
    assert title.font.b and title.font.sz == 16
    assert sentence.alignment.wrap_text and sentence.alignment.vertical == "top"
    assert heading.font.b and heading.font.color.rgb == "FF" + COLOURS.heading_text
    assert header.font.b and header.font.color.rgb == "FF" + COLOURS.header_text
    assert header.fill.fgColor.rgb == "FF" + COLOURS.header_fill
    assert ws["F5"].number_format == "0.0%" and ws["F5"].value == 0.333
    assert ws["C12"].number_format == "dd/mm/yyyy"
    warning = COLOURS.tones[excel.Tone.WARNING]
    assert {ws.cell(12, c).fill.fgColor.rgb for c in range(1, 7)} == {"FF" + warning}
    note = ws["A13"]
    assert note.font.i and note.font.color.rgb == "FF" + COLOURS.note_text


def test_widths_heights_freeze_links_and_print_setup(tmp_path: Path) -> None:
    path = _synced(tmp_path)
    ws = load_workbook(path)["Summary"]
    layout = TABS["Summary"]
    assert [ws.column_dimensions[c].width for c in "ABCDEF"] == list(layout.widths)
    assert ws.freeze_panes == "A2"
    # The sentence spans the tab; its height fits its lines across the whole width.
    assert "A2:F2" in {str(r) for r in ws.merged_cells.ranges}
    lines = estimate_lines(layout.rows[1].cells[0].value, sum(layout.widths))  # type: ignore[arg-type]
    assert lines == 2 and ws.row_dimensions[2].height == 15 * lines
    # The overdue row's recommendation wraps in its 44-wide column.
    text = layout.rows[11].cells[1].value
    assert ws.row_dimensions[12].height == 15 * estimate_lines(text, 44.0)  # type: ignore[arg-type]
    assert ws.row_dimensions[5].height is None  # one line: Excel's default height
    link = ws["A12"].hyperlink
    assert link.location == "'Action Plan'!A8" and link.display == "7"
    assert ws["A12"].font.u == "single" and ws["A12"].font.color.rgb == "FF0563C1"
    # With a chart: scaled so the tables fit one A4 landscape page, the chart on the next.
    setup = ws.page_setup
    assert (setup.paperSize, setup.orientation) == (9, "landscape")
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert 10 <= setup.scale <= 100
    assert [b.id for b in ws.row_breaks.brk] == [layout.chart.anchor_row - 1]  # type: ignore[union-attr]
    issues = load_workbook(path)["Sync Issues"]
    assert issues["E2"].hyperlink.location == "'Action Plan'!E2"
    assert issues["D2"].number_format == "dd/mm/yyyy hh:mm"


def test_the_chart_is_a_stacked_column_chart_with_titles(tmp_path: Path) -> None:
    path = _synced(tmp_path)
    parts = excel.parts(path)
    charts = [n for n in parts if n.startswith("xl/charts/chart")]
    assert len(charts) == 1
    xml = parts[charts[0]].decode()
    for piece in ('<c:barDir val="col"/>', '<c:grouping val="stacked"/>', '<c:overlap val="100"/>',
                  '<c:legendPos val="b"/>', "<a:t>Section</a:t>", "<a:t>Recommendations</a:t>",
                  "<c:f>'Summary'!$A$5:$A$9</c:f>", "<c:f>'Summary'!$B$4</c:f>"):  # fmt: skip
        assert piece in xml, piece
    assert xml.count("<c:ser>") == 3
    drawing = next(
        parts[n].decode() for n in parts if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)
    )
    spec = TABS["Summary"].chart
    assert spec is not None
    assert (
        f"<xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{spec.anchor_row - 1}<"
        in drawing
    )
    assert f"<xdr:to><xdr:col>{spec.width_cols}</xdr:col>" in drawing


def _unreferenced(path: Path) -> set[str]:
    pkg = Package(path, path.read_bytes(), WorkbookLimits())
    referenced = {"[Content_Types].xml"}
    for name in pkg.names():
        if name.endswith(".rels"):
            referenced.add(name)
            folder, _, file = name.rpartition("/")
            source = (
                f"{folder.rpartition('/')[0]}/{file[:-5]}".lstrip("/")
                if name != "_rels/.rels"
                else ""
            )
            referenced.update(r.target for r in pkg.rels(source) if not r.external)
    return set(pkg.names()) - referenced


def test_a_tab_replaced_twice_keeps_its_place_and_leaves_no_orphans(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    for _ in range(3):
        PlanWorkbook.open(path).save(WorkbookWrites(tabs=TABS), backups=0)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Action Plan", "Summary", "Sync Issues", "Change Log"]
    assert _unreferenced(path) == set()
    names = set(excel.parts(path))
    assert len([n for n in names if n.startswith("xl/charts/")]) == 1
    assert len([n for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)]) == 1
    pkg = Package(path, path.read_bytes(), WorkbookLimits())
    book = book_info(pkg)
    overrides = pkg.tree("[Content_Types].xml").findall("Override")
    assert all(pkg.has((o.get("PartName") or "").lstrip("/")) for o in overrides)
    summary = book.find("Summary")
    assert summary is not None and [r.type for r in pkg.rels(summary.part)] == ["drawing"]
    assert pkg.has(rels_name(summary.part))


def test_new_tabs_go_last_and_a_staff_tab_keeps_its_place(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    excel.add_staff_chart_tab(path)
    PlanWorkbook.open(path).save(WorkbookWrites(tabs={"Summary": TABS["Summary"]}), backups=0)
    PlanWorkbook.open(path).save(WorkbookWrites(tabs=TABS), backups=0)
    assert load_workbook(path).sheetnames == [
        "Action Plan",
        "Charts",
        "Summary",
        "Sync Issues",
        "Change Log",
    ]


def test_excel_app_properties_count_the_new_tabs(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    app = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openx'
        b'mlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft Excel</Application>'
        b'<HeadingPairs><vt:vector size="4" baseType="variant"><vt:variant><vt:lpstr>Worksheets'
        b"</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant><vt:variant><vt:lpstr>"
        b"Named Ranges</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector>"
        b'</HeadingPairs><TitlesOfParts><vt:vector size="2" baseType="lpstr"><vt:lpstr>Action Plan'
        b"</vt:lpstr><vt:lpstr>'Action Plan'!Print_Titles</vt:lpstr></vt:vector></TitlesOfParts>"
        b"</Properties>"
    )
    excel.edit_zip(path, {"docProps/app.xml": app})
    PlanWorkbook.open(path).save(WorkbookWrites(tabs=TABS), backups=0)
    text = excel.read_part(path, "docProps/app.xml").decode()
    assert "<vt:i4>4</vt:i4></vt:variant><vt:variant><vt:lpstr>Named Ranges" in text
    assert (
        '<vt:vector size="5" baseType="lpstr"><vt:lpstr>Action Plan</vt:lpstr><vt:lpstr>Summary'
        "</vt:lpstr><vt:lpstr>Sync Issues</vt:lpstr><vt:lpstr>Change Log</vt:lpstr>"
        "<vt:lpstr>'Action Plan'!Print_Titles</vt:lpstr>" in text
    )


def test_tab_grid_reads_back_what_was_written(tmp_path: Path) -> None:
    book = PlanWorkbook.open(_synced(tmp_path))
    assert book.tab_grid("Sync Issues") == TABS["Sync Issues"].grid()
    assert book.tab_grid("Nowhere") is None
    summary = book.tab_grid("Summary")
    assert summary is not None and summary[4][:6] == ["Casework Quality", 0, 2, 1, 3, 0.333]


def test_the_plan_tab_is_never_regenerated(tmp_path: Path) -> None:
    path = template_copy(tmp_path)
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="holds the plan and is never regenerated"):
        PlanWorkbook.open(path).save(
            WorkbookWrites(tabs={" action plan": TABS["Summary"]}), backups=0
        )
    assert path.read_bytes() == before


def test_formulas_reading_the_plan_are_recalculated_on_opening(tmp_path: Path) -> None:
    path = _synced(tmp_path)
    assert re.search(rb'<calcPr[^>]*fullCalcOnLoad="1"', excel.read_part(path, "xl/workbook.xml"))


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) or poppler (pdftotext) is not installed",
)
def test_summary_prints_on_two_pages_with_the_chart_whole(tmp_path: Path) -> None:
    """Rendered by LibreOffice: the figures on page one, the whole chart on page two."""
    path = template_copy(tmp_path)
    PlanWorkbook.open(path).save(WorkbookWrites(tabs={"Summary": TABS["Summary"]}), backups=0)
    only = tmp_path / "summary.xlsx"
    shutil.copy(path, only)
    _keep_only(only, "Summary")
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
         "pdf", "--outdir", str(tmp_path), str(only)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = tmp_path / "summary.pdf"
    pages = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True
        ).stdout
        for n in (1, 2, 3)
    ]
    assert "CCRC action plan: summary" in pages[0] and "33.3%" in pages[0]
    assert "Recommendations by section and status" not in pages[0]
    assert "Recommendations by section and status" in pages[1] and "Planned" in pages[1]
    assert pages[2].strip() == ""


def _keep_only(path: Path, title: str) -> None:
    """Hide every other tab, so the PDF holds just this one."""

    def hide(xml: bytes) -> bytes:
        def state(match: re.Match[bytes]) -> bytes:
            tag = match.group(0)
            return (
                tag
                if f'name="{title}"'.encode() in tag
                else tag.replace(b"<sheet ", b'<sheet state="hidden" ', 1)
            )

        xml = re.sub(rb'\sstate="\w+"', b"", xml)
        xml = re.sub(rb"<sheet [^>]*/>", state, xml)
        index = [m.group(0) for m in re.finditer(rb"<sheet [^>]*/>", xml)].index(
            next(
                m.group(0)
                for m in re.finditer(rb"<sheet [^>]*/>", xml)
                if f'name="{title}"'.encode() in m.group(0)
            )
        )
        return re.sub(rb'activeTab="\d+"', f'activeTab="{index}"'.encode(), xml)

    excel.edit_zip(path, {"xl/workbook.xml": hide})


def test_text_pasted_with_control_characters_reaches_a_chart_and_a_link(tmp_path: Path) -> None:
    """A section name holding a vertical tab (what Word's line break becomes when pasted)
    feeds the chart's labels, and a linked cell's text is the link's display: both are
    escaped as OOXML escapes such characters, so the save lands and reads back."""
    summary = excel.summary_layout()
    rows = list(summary.rows)
    section = rows[4]
    rows[4] = replace(section, cells=(TabCell("Casework\vQuality", Role.TEXT), *section.cells[1:]))
    issues = excel.list_layout("Sync Issues", TabKind.ISSUES, 1)
    line = issues.rows[1]
    link = line.cells[4]
    issues = replace(
        issues,
        rows=(
            issues.rows[0],
            replace(line, cells=(*line.cells[:4], replace(link, value="E\x012"))),
        ),
    )
    path = template_copy(tmp_path)
    tabs = {"Summary": replace(summary, rows=tuple(rows)), "Sync Issues": issues}
    PlanWorkbook.open(path).save(WorkbookWrites(tabs=tabs), backups=0)
    book = PlanWorkbook.open(path)
    summary_grid, issues_grid = book.tab_grid("Summary"), book.tab_grid("Sync Issues")
    assert summary_grid is not None and summary_grid[4][0] == "Casework\vQuality"
    assert issues_grid is not None and issues_grid[1][4] == "E\x012"
    parts = excel.parts(path)
    assert b"<c:v>Casework_x000B_Quality</c:v>" in parts["xl/charts/chart1.xml"]
    sheets = [
        parts[n] for n in parts if n.startswith("xl/worksheets/") and b"<hyperlink " in parts[n]
    ]
    shown = sorted(d for s in sheets for d in re.findall(rb'display="([^"]*)"', s))
    assert shown == [b"7", b"E_x0001_2"]  # the Summary's link to rec 7, and ours


def test_each_part_counts_once_against_the_inflation_limit(tmp_path: Path) -> None:
    """A workbook.xml holding thousands of defined names (0.4 MB) under a 1 MB limit: the
    whole workbook inflates to half the limit, so reading it and adding the three tabs
    must not be refused as though its directory lied about its sizes."""
    path = template_copy(tmp_path)
    names = "".join(
        f"<definedName name=\"rate{i}\">'Action Plan'!$G${i % 46 + 2}</definedName>"
        for i in range(8_000)
    ).encode()
    excel.edit_zip(
        path,
        {"xl/workbook.xml": lambda x: x.replace(b"</definedNames>", names + b"</definedNames>")},
    )
    size = len(excel.read_part(path, "xl/workbook.xml"))
    assert 400_000 < size < 500_000
    book = PlanWorkbook.open(path, limits=WorkbookLimits(max_uncompressed_mb=1))
    assert book.save(WorkbookWrites(tabs=TABS), backups=0).skipped == []
    assert load_workbook(path).sheetnames == ["Action Plan", "Summary", "Sync Issues", "Change Log"]
    assert names in excel.read_part(path, "xl/workbook.xml")
