"""The Summary tab as managers read it, checked on both sides after real syncs.

The workbook's Summary is read with openpyxl (its chart from the xlsx zip, since openpyxl
does not load charts); the Google Sheet's from the emulator (values and embedded charts).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from xml.etree import ElementTree

from openpyxl import load_workbook
from synchelp import PLAN, Rig, baseline_fixture, synced_fixture, text  # noqa: F401

SENTENCE = (
    "Work is underway on 24 of the 34 recommendations, with planned activity in place to "
    "address the remaining 10."
)
STATUSES = ("Planned", "In Progress", "Complete")
SECTIONS = {
    "Key Recommendations": {"Planned": 2, "In Progress": 4, "Complete": 0, "Total": 6},
    "Casework Quality": {"Planned": 6, "In Progress": 8, "Complete": 0, "Total": 14},
    "Learning & Development": {"Planned": 1, "In Progress": 1, "Complete": 0, "Total": 2},
    "Assurance": {"Planned": 0, "In Progress": 6, "Complete": 0, "Total": 6},
    "Leadership & Governance": {"Planned": 1, "In Progress": 5, "Complete": 0, "Total": 6},
}


def _shown(value: object, number_format: str = "General") -> str:
    """A cell as a person reads it: numbers without '.0', a percentage to one decimal
    place whichever side shows it (Excel's 0.029 formatted 0.0%, Google's "2.90%")."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?%", value):
        return f"{round(float(value[:-1]), 1):g}%"
    if "%" in number_format and isinstance(value, int | float):
        return f"{round(value * 100, 1):g}%"
    return text(value)


def as_text(rows: list[list[str]]) -> list[list[str]]:
    """Trailing blanks trimmed from each row, and blank rows at the end dropped."""
    rows = [row[: max([i + 1 for i, v in enumerate(row) if v] + [0])] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def figures(grid: list[list[str]]) -> dict:
    """What a manager reads off the tab: the progress line (recommendations, complete,
    percent), the section x status table, and its totals by status."""
    progress = ["Recommendations", "Complete", "Percent complete"]
    head = next(i for i, r in enumerate(grid) if r[:3] == progress)
    total, complete, percent = grid[head + 1][:3]
    sections: dict[str, dict[str, int]] = {}
    head = next(i for i, r in enumerate(grid) if r and r[0] == "Section")
    columns = grid[head][1:]
    for row in grid[head + 1 :]:
        counts = dict(zip(columns, (int(v) for v in row[1:]), strict=True))
        if row[0] == "Total":
            by_status = {k: v for k, v in counts.items() if k != "Total"}
            break
        sections[row[0]] = counts
    return {
        "progress": (int(total), int(complete), percent),
        "by_status": by_status,
        "total": counts["Total"],
        "sections": sections,
        "sentence": grid[1][0],
    }


def both(rig: Rig) -> tuple[list[list[str]], list[list[str]]]:
    wb = load_workbook(rig.workbook)
    book = [[_shown(c.value, c.number_format) for c in row] for row in wb["Summary"].iter_rows()]
    sheet = [[_shown(v) for v in row] for row in rig.sheet_grid("Summary")]
    return as_text(book), as_text(sheet)


def chart_parts(rig: Rig) -> list[str]:
    with zipfile.ZipFile(rig.workbook) as z:
        return [n for n in z.namelist() if n.startswith("xl/charts/chart")]


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> target part (no leading slash) of one part of the package."""
    folder, name = part.rsplit("/", 1)
    rels = f"{folder}/_rels/{name}.rels"
    if rels not in z.namelist():
        return {}
    out = {}
    for rel in ElementTree.fromstring(z.read(rels)):
        target = rel.get("Target", "")
        out[rel.get("Id", "")] = (  # "../drawings/x.xml" is relative to the part's folder
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(f"{folder}/{target}")
        )
    return out


def summary_has_chart_in_workbook(rig: Rig) -> bool:
    """The chart is anchored on the Summary sheet: sheet -> drawing -> chart part."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    with zipfile.ZipFile(rig.workbook) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        sheet = book.find("m:sheets/m:sheet[@name='Summary']", ns)
        assert sheet is not None
        part = _rels(z, "xl/workbook.xml")[sheet.get(f"{{{ns['r']}}}id")]
        drawings = [t for t in _rels(z, part).values() if "/drawings/" in t]
        charts = [t for d in drawings for t in _rels(z, d).values() if "/charts/" in t]
        return bool(charts) and all(c in z.namelist() for c in charts)


def test_the_template_summary_is_the_same_on_both_sides(synced: Rig) -> None:
    book, sheet = both(synced)
    assert book == sheet
    got = figures(book)
    assert got["sentence"] == SENTENCE
    assert got["progress"] == (34, 0, "0%")
    assert got["by_status"] == {"Planned": 10, "In Progress": 24, "Complete": 0}
    assert got["total"] == 34
    assert got["sections"] == SECTIONS

    assert chart_parts(synced) and summary_has_chart_in_workbook(synced)
    assert len(synced.emu.charts(synced.sid, "Summary")) == 1


def test_marking_a_rec_complete_in_the_sheet_updates_both_summaries(synced: Rig) -> None:
    # Staff tabs on both sides, which the sync must leave as they are.
    wb = load_workbook(synced.workbook)
    wb.create_sheet("Team notes")["A1"] = "Ours, not the sync's"
    wb.save(synced.workbook)
    synced.batch_update([{"addSheet": {"properties": {"title": "Board pack"}}}])
    synced.emu.set_values(synced.sid, "Board pack", "A1", [["Draft for March"]])
    layout = synced.emu.sheet_resource(synced.sid, PLAN)
    plan_before = synced.sheet_grid()
    book_plan_before = synced.book_grid()

    synced.edit_sheet({(1, "Status"): "Complete"})  # Rec 1: Casework Quality, In Progress
    result = synced.sync()
    assert result.code == 0, result.out

    book, sheet = both(synced)
    assert book == sheet
    got = figures(book)
    assert got["progress"] == (34, 1, "2.9%")
    assert got["by_status"] == {"Planned": 10, "In Progress": 23, "Complete": 1}
    assert got["total"] == 34
    sections = {k: dict(v) for k, v in SECTIONS.items()}
    sections["Casework Quality"].update({"In Progress": 7, "Complete": 1})
    assert got["sections"] == sections
    assert got["sentence"] != SENTENCE and "34" in got["sentence"]
    assert "complete" in got["sentence"].lower()

    assert len(synced.emu.charts(synced.sid, "Summary")) == 1  # updated, not duplicated
    assert len(chart_parts(synced)) == 1 and summary_has_chart_in_workbook(synced)

    # The staff's own tabs and the Action Plan's layout are untouched.
    assert load_workbook(synced.workbook)["Team notes"]["A1"].value == "Ours, not the sync's"
    assert synced.sheet_grid("Board pack") == [["Draft for March"]]
    assert synced.emu.sheet_resource(synced.sid, PLAN) == layout
    plan_after = synced.sheet_grid()
    assert plan_after[1][4] == "Complete"
    plan_after[1][4] = plan_before[1][4]
    assert plan_after == plan_before
    book_plan = synced.book_grid()
    assert book_plan[1][4] == "Complete"
    assert [r for i, r in enumerate(book_plan) if i != 1] == [
        r for i, r in enumerate(book_plan_before) if i != 1
    ]
    synced.assert_quiet()


def test_a_run_that_changes_nothing_leaves_both_summaries_alone(synced: Rig) -> None:
    before = both(synced)
    synced.assert_quiet()
    assert both(synced) == before
