"""Run reports as the governance lead reads them: order, words, times, links, the trend, the
attachment, and the reports folder (including reports the previous version wrote)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ccrc_sync.config import PlanConfig
from ccrc_sync.errors import CcrcSyncError
from ccrc_sync.layout import CellLink
from ccrc_sync.merge import Change, Conflict, ConflictKind, Side
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report import (
    ReportChange,
    ReportConflict,
    RunReport,
    findings_xlsx,
    last_sent,
    load_report,
    render_html,
    render_text,
    report_of,
    subject,
    write_report,
)
from ccrc_sync.report.trend import daily
from ccrc_sync.schema import Issue, Severity
from ccrc_sync.summary import compute
from ccrc_sync.tabs import advice

SCRIPT = "<script>alert(1)</script>"
DDE = "=cmd|' /C calc'!A0"
UTC = dt.UTC
STARTED = dt.datetime(2026, 7, 2, 1, 0, tzinfo=UTC)  # 02:00 BST
EDIT_ADVICE = advice(Conflict("7", "Owner", None, None, None, ConflictKind.EDIT))


def _issue(severity: Severity, rec_no: str | None, value: str | None = None, **kw: str) -> Issue:
    return Issue(
        severity=severity,
        code=kw.get("code", "status.unknown"),
        sheet="Action Plan",
        cell=kw.get("cell", f"E{int(rec_no or 0) + 1}"),
        rec_no=rec_no,
        field=kw.get("field", "Status"),
        value=value,
        message=kw.get("message", "Status is not one of: Planned, In Progress, Complete."),
        suggestion=kw.get("suggestion", "Did you mean 'Complete'?"),
    )


def _conflicts() -> list[ReportConflict]:
    return [
        ReportConflict.of(
            Conflict("7", "Owner", "Head of Casework", SCRIPT, DDE, ConflictKind.EDIT),
            workbook_cell=CellLink("Action Plan", 8, 6),
            sheet_cell=CellLink("Action Plan", 8, 6),
        ),
        ReportConflict.of(
            Conflict("3", None, "3", "3", None, ConflictKind.DELETED, Side.SHEET),
            workbook_cell=CellLink("Action Plan", 4, 1),
        ),
    ]


def _trend() -> list[dict[str, Any]]:
    def point(run: str, when: dt.datetime, progress: int, complete: int) -> dict[str, Any]:
        return {
            "run_id": run,
            "finished": when,
            "by_status": {"Planned": 34 - progress - complete, "In Progress": progress,
                          "Complete": complete},
        }  # fmt: skip

    return [
        point("a", dt.datetime(2026, 6, 30, 1, 0, tzinfo=UTC), 20, 0),
        point("b", dt.datetime(2026, 6, 30, 14, 0, tzinfo=UTC), 21, 0),  # same day, later
        point("c", dt.datetime(2026, 7, 1, 1, 0, tzinfo=UTC), 22, 1),
        point("d", dt.datetime(2026, 7, 1, 23, 30, tzinfo=UTC), 23, 1),  # 00:30 BST on 2 July
        point("e", dt.datetime(2026, 7, 2, 1, 0, tzinfo=UTC), 24, 2),
    ]


def _summary() -> Any:
    rows = {
        str(n): {"Section": "Casework Quality", "Status": "In Progress" if n % 3 else "Planned"}
        for n in range(1, 13)
    }
    rows["1"]["Recommendation"] = SCRIPT
    return compute(rows, PlanConfig(), dt.date(2026, 7, 2), open_conflicts=2)


def sample_report(**overrides: Any) -> RunReport:
    fields: dict[str, Any] = {
        "run_id": "20260702T010000Z-ab12",
        "status": "flagged",
        "started": STARTED,
        "finished": STARTED + dt.timedelta(seconds=9),
        "workbook": "/srv/ccrc/plan.xlsx",
        "spreadsheet_id": "sheet-123",
        "timezone": "Europe/London",
        "changes": [
            ReportChange.of(
                Change("4", "Status", Side.SHEET, Side.WORKBOOK, "Planned", "In Progress")
            )
        ],
        "conflicts": _conflicts(),
        "issues": [
            _issue(
                Severity.WARNING,
                "9",
                "TBC",
                field="Target Date",
                code="date.invalid",
                message="In the Google Sheet: Target Date 'TBC' is not a date.",
                suggestion="Type a date such as 31/03/2027.",
            ),
            _issue(Severity.ERROR, "5", DDE),
            _issue(
                Severity.INFO,
                None,
                None,
                cell="K1",
                code="column.unknown",
                field="",
                message="Column K ('Extra') is not one of the plan's columns.",
                suggestion="",
            ),
        ],
        "summary": _summary(),
        "trend": _trend(),
        "notes": [f"The workbook was open in Excel {SCRIPT}; it will be updated next run."],
    }
    fields.update(overrides)
    return RunReport(**fields)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- subject


def test_subject_says_what_is_new_since_the_last_email() -> None:
    first = sample_report(conflicts=_conflicts()[:1], counts={})
    assert subject(first) == "CCRC action plan: 1 new conflict, 1 error"
    # The same conflict again next morning: not new.
    assert subject(first, previous=first) == "CCRC action plan: no new conflicts (1 open), 1 error"
    # A second conflict appears.
    both = sample_report()
    assert subject(both, previous=first) == "CCRC action plan: 1 new conflict (2 open), 1 error"
    assert subject(both, prefix="Plan", previous=both) == "Plan: no new conflicts (2 open), 1 error"
    clean = sample_report(status="ok", conflicts=[], issues=[])
    assert subject(clean, previous=both) == "CCRC action plan: no conflicts, 0 errors"


def test_a_conflict_of_another_kind_on_the_same_cell_is_new() -> None:
    old = sample_report(conflicts=_conflicts()[:1])
    again = ReportConflict.of(Conflict("7", "Owner", None, "a", "b", ConflictKind.FIRST))
    assert subject(sample_report(conflicts=[again]), previous=old) == (
        "CCRC action plan: 1 new conflict, 1 error"
    )


def test_subject_of_a_failed_run_says_so_in_one_short_line() -> None:
    r = sample_report(
        status="failed",
        error="The Google Sheet could not be reached after 60 seconds.\nSecond line.",
    )
    assert subject(r) == (
        "CCRC action plan: sync FAILED - The Google Sheet could not be reached after 60 seconds"
    )
    long = subject(sample_report(status="failed", error="x" * 500))
    assert "\n" not in long and len(long) < 130


# --------------------------------------------------------------------------- text


def test_text_leads_with_what_needs_a_person_then_changes_then_figures() -> None:
    out = render_text(sample_report())
    lines = out.splitlines()
    assert lines[0] == "CCRC action plan: 2 new conflicts, 1 error"
    assert lines[3] == "NEEDS A PERSON: the sync ran, but something below needs a decision."
    order = [
        "NEEDS A PERSON\n",
        "Conflicts (2)",
        "Errors (1)",
        "CHANGES MADE (1)",
        "OTHER FINDINGS (2)",
        "SUMMARY",
        "TREND (the last run of each day)",
    ]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_text_gives_each_conflict_its_cells_both_values_and_what_to_do() -> None:
    out = render_text(sample_report())
    flat = _flat(out)
    assert "1. Rec 3, the whole row (workbook Action Plan!A4)" in flat
    assert "In the workbook: has the row In the Google Sheet: deleted" in flat
    assert "2. Rec 7, Owner (Action Plan!F8 on both sides)" in flat
    assert f'In the workbook: "{SCRIPT}" In the Google Sheet: "{DDE}"' in flat
    assert "Agreed value at the last sync: “Head of Casework”." in flat
    assert f"What to do: {EDIT_ADVICE}" in flat
    assert "- Rec 5, Status (Action Plan!E6)" in flat
    assert "What to do: Did you mean 'Complete'?" in flat
    assert 'Rec 4, Status: "Planned" -> "In Progress" (Google Sheet to workbook)' in flat
    assert all(len(line) <= 78 for line in out.splitlines()), "readable in any mail client"


def test_one_time_zone_labelled_as_it_was_then() -> None:
    summer = render_text(sample_report())
    assert "started Thu 2 Jul 2026 02:00 BST, finished Thu 2 Jul 2026 02:00 BST." in _flat(summer)
    winter = render_text(
        sample_report(started=dt.datetime(2026, 1, 15, 2, 0, tzinfo=UTC), finished=None)
    )
    assert "started Thu 15 Jan 2026 02:00 GMT, not finished." in _flat(winter)
    naive = render_text(sample_report(started=dt.datetime(2026, 7, 2, 1, 0)))
    assert "started Thu 2 Jul 2026 02:00 BST" in _flat(naive), "a naive time is UTC, as stored"


def test_workbook_is_an_absolute_path_and_the_sheet_a_link() -> None:
    r = sample_report(workbook="var/plan.xlsx")
    assert r.workbook == os.path.abspath("var/plan.xlsx")
    out = render_text(r)
    assert f"Workbook: {os.path.abspath('var/plan.xlsx')}" in out
    assert "Google Sheet: https://docs.google.com/spreadsheets/d/sheet-123/edit" in out
    emulated = sample_report(sheet_url="http://127.0.0.1:8765/d/sheet-123/edit")
    assert "Google Sheet: http://127.0.0.1:8765/d/sheet-123/edit" in render_text(emulated)


def test_a_first_publish_is_one_line_not_every_cell() -> None:
    cells = [
        ReportChange.of(Change(str(n), "Status", Side.WORKBOOK, Side.SHEET, None, "Planned"))
        for n in range(1, 35)
    ]
    r = sample_report(published=34, changes=cells, conflicts=[], issues=[], status="ok")
    out = render_text(r)
    assert "- Published the plan (34 recommendations) to the Google Sheet." in out
    assert "CHANGES MADE (34)" in out and "Rec 12, Status" not in out
    page = render_html(r)
    assert "Published the plan (34 recommendations) to the Google Sheet." in page
    assert "Rec 12" not in re.sub(r"<[^>]+>", " ", page)


# --------------------------------------------------------------------------- html


def _visible(page: str) -> str:
    return _flat(html_unescape(re.sub(r"<[^>]+>", " ", page)))


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_html_has_the_same_order_as_the_text() -> None:
    text = _visible(render_html(sample_report()))
    order = [
        "NEEDS A PERSON Something below needs a decision.",
        "Needs a person",
        "2 conflicts: neither side was overwritten.",
        "1 error:",
        "Changes made by this run (1)",
        "Other findings (2)",
        "Summary",
        "Trend",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_html_conflict_cards_have_cell_values_and_advice() -> None:
    text = _visible(render_html(sample_report()))
    assert "Rec 7, Owner (Action Plan!F8 on both sides)" in text
    assert f'In the workbook "{SCRIPT}" In the Google Sheet "{DDE}"' in text
    assert f"What to do {EDIT_ADVICE}" in text
    assert "Rec 3, the whole row (workbook Action Plan!A4)" in text


def test_html_escapes_every_piece_of_staff_text_and_loads_nothing() -> None:
    page = render_html(sample_report(error=f"bad {SCRIPT}"))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page
    assert page.startswith("<!DOCTYPE html>")
    assert "<link" not in page and "<style" not in page, "inline CSS only"
    assert "src=" not in page and "url(" not in page, "no external asset"
    links = re.findall(r'href="([^"]+)"', page)
    assert links == ["https://docs.google.com/spreadsheets/d/sheet-123/edit"]


def test_html_fits_a_600_pixel_mail_client() -> None:
    page = render_html(sample_report())
    assert "max-width:640px" in page
    widths = [int(w) for w in re.findall(r"width:(\d+)px", page)]
    assert widths and max(widths) <= 640
    svg = re.search(r"<svg[^>]*>", page)
    assert svg and "max-width:100%" in svg.group(0) and 'width="560"' in svg.group(0)


def test_trend_is_one_point_per_day_the_last_run_of_each() -> None:
    from zoneinfo import ZoneInfo

    points = daily(sample_report().trend, ZoneInfo("Europe/London"))
    assert [(p.day, p.counts["In Progress"], p.counts["Complete"]) for p in points] == [
        (dt.date(2026, 6, 30), 21, 0),
        (dt.date(2026, 7, 1), 22, 1),
        (dt.date(2026, 7, 2), 24, 2),
    ]
    page = render_html(sample_report())
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 6
    assert "In Progress (24)" in svg and "Complete (2)" in svg
    assert "30/06/2026" in svg and "02/07/2026" in svg
    text = render_text(sample_report())
    assert text.rstrip().endswith(
        "- 30/06/2026: In Progress 21, Complete 0\n"
        "- 01/07/2026: In Progress 22, Complete 1\n"
        "- 02/07/2026: In Progress 24, Complete 2"
    )


def test_a_report_without_history_has_no_trend() -> None:
    r = sample_report(trend=[])
    assert "<svg" not in render_html(r) and "TREND" not in render_text(r)


# --------------------------------------------------------------------------- xlsx


def test_findings_xlsx_is_formatted_like_the_tab() -> None:
    wb = load_workbook(io.BytesIO(findings_xlsx(sample_report())))
    ws = wb["Sync Issues"]
    header = [c.value for c in ws[1]]
    assert header == [
        "Rec No.", "Field", "What happened", "In the workbook", "In the Google Sheet",
        "What to do", "Cell in the workbook", "Cell in the Google Sheet",
    ]  # fmt: skip
    assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:H6"
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == [3, 7, 5, 9, None]
    assert rows[1][5] == EDIT_ADVICE and rows[1][6] == rows[1][7] == "Action Plan!F8"
    assert rows[3][4] == "TBC" and rows[3][3] is None, "found on the Google Sheet"
    assert ws.column_dimensions["C"].width == 60 and ws.column_dimensions["A"].width < 10
    assert all(c.alignment.wrap_text for c in ws[2])
    assert ws.row_dimensions[2].height and ws.row_dimensions[2].height >= 30
    fills = [ws.cell(row=r, column=1).fill.fgColor.rgb for r in range(2, 7)]
    assert fills == ["00F8CBAD", "00F8CBAD", "00FFC7CE", "00FFEB9C", "00DDEBF7"]
    assert wb["Changes"]["C2"].value == "Changed in the Google Sheet; copied to the workbook"


def test_findings_xlsx_says_what_happened_in_the_change_logs_words() -> None:
    changes = [
        ReportChange.of(Change("4", "Owner", Side.WORKBOOK, Side.SHEET, None, "Head of QA")),
        ReportChange.of(Change("5", "Notes", Side.SHEET, Side.WORKBOOK, "Chased", None)),
        ReportChange.of(Change("6", "Status", Side.SHEET, Side.WORKBOOK, "Planned", "Complete")),
    ]
    wb = load_workbook(io.BytesIO(findings_xlsx(sample_report(changes=changes))))
    assert [row[2] for row in wb["Changes"].iter_rows(min_row=2, values_only=True)] == [
        "Entered in the workbook; copied to the Google Sheet",
        "Cleared in the Google Sheet; cleared in the workbook too",
        "Changed in the Google Sheet; copied to the workbook",
    ]


def test_findings_xlsx_keeps_hostile_text_as_text() -> None:
    data = findings_xlsx(sample_report(issues=[_issue(Severity.ERROR, "5", DDE + "\x07")]))
    wb = load_workbook(io.BytesIO(data))
    cells = {c.value: c for row in wb["Sync Issues"].iter_rows() for c in row if c.value}
    assert cells[f'"{DDE}"'].data_type == "s"
    assert DDE + "\ufffd" in cells, "control characters replaced, not crashing the write"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s or "<f " in s for s in sheets), "no formula anywhere"


# --------------------------------------------------------------------------- files


def test_write_and_load_report_round_trip(tmp_path: Path) -> None:
    r = sample_report()
    html_path, json_path = write_report(r, tmp_path / "reports")
    assert html_path.name == f"{r.run_id}.html" and json_path.name == f"{r.run_id}.json"
    assert (tmp_path / "reports" / "latest.html").read_text() == html_path.read_text()
    loaded = load_report(tmp_path / "reports")
    assert loaded == r
    assert loaded.conflicts[0].kind is ConflictKind.EDIT
    assert render_text(loaded) == render_text(r)
    later = sample_report(run_id="later", status="ok", conflicts=[], issues=[])
    write_report(later, tmp_path / "reports")
    assert load_report(tmp_path / "reports").run_id == "later"
    assert load_report(tmp_path / "reports", r.run_id).status is RunStatus.FLAGGED
    assert not [p for p in (tmp_path / "reports").iterdir() if p.suffix == ".tmp"]


def test_report_files_get_the_usual_permissions_not_private_ones(tmp_path: Path) -> None:
    """Reports hold what staff see in the plan anyway; whoever may read the reports folder
    may read them (the umask decides), as with a published summary."""
    previous = os.umask(0o022)
    try:
        html_path, json_path = write_report(sample_report(), tmp_path / "reports")
    finally:
        os.umask(previous)
    for path in (html_path, json_path, tmp_path / "reports" / "latest.json"):
        assert path.stat().st_mode & 0o777 == 0o644, path.name


def test_a_report_of_the_previous_version_still_loads(tmp_path: Path) -> None:
    old = {
        "run_id": "20260601T010000Z-aa11",
        "status": "flagged",
        "started": "2026-06-01T01:00:00",
        "finished": "2026-06-01T01:00:09",
        "workbook": "var/plan.xlsx",
        "spreadsheet_id": "sheet-123",
        "changes": [{"rec_no": 4, "field": "Status", "from": "sheet", "to": "workbook",
                     "old": "Planned", "new": "In Progress"}],
        "conflicts": [{"rec_no": 7, "field": "Owner", "base": "a", "workbook": "b",
                       "sheet": "c"}],
        "issues": [{"severity": "error", "code": "status.unknown", "sheet": "Action Plan",
                    "cell": "E6", "rec_no": 5, "field": "Status", "value": "x",
                    "message": "Status 'x' is not one of: Planned.", "suggestion": None}],
        "counts": {"conflicts": 1, "error": 1, "warning": 0, "changes": 1},
        "summary": None,
        "trend": [{"run_id": "r1", "finished": "2026-05-31T01:00:00",
                   "by_status": {"In Progress": 20}}],
        "error": None,
        "notes": [],
    }  # fmt: skip
    (tmp_path / "latest.json").write_text(json.dumps(old))
    r = load_report(tmp_path)
    assert r.changes[0].rec_no == "4" and r.changes[0].source is Side.SHEET
    assert r.conflicts[0].rec_no == "7" and r.conflicts[0].kind is ConflictKind.EDIT
    assert r.issues[0].rec_no == "5"
    assert r.timezone == "Europe/London" and r.published is None
    assert "Rec 7, Owner" in render_text(r) and "Rec 7, Owner" in _visible(render_html(r))


def test_last_sent_skips_reports_that_are_gone(tmp_path: Path) -> None:
    write_report(sample_report(run_id="one"), tmp_path)
    found = last_sent(tmp_path, ["missing", "one"])
    assert found is not None and found.run_id == "one"
    assert last_sent(tmp_path, ["missing"]) is None
    assert last_sent(tmp_path, []) is None


def test_a_run_id_cannot_escape_the_reports_folder(tmp_path: Path) -> None:
    html_path, _ = write_report(sample_report(run_id="../../evil"), tmp_path / "reports")
    assert html_path.parent == tmp_path / "reports"


def test_loading_a_report_that_is_not_there_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(CcrcSyncError, match=r"There is no run report in .* yet"):
        load_report(tmp_path)
    with pytest.raises(CcrcSyncError, match="There is no report for run nope"):
        load_report(tmp_path, "nope")
    (tmp_path / "latest.json").write_text("{not json")
    with pytest.raises(CcrcSyncError, match="damaged"):
        load_report(tmp_path)


def test_report_of_builds_the_report_from_a_typed_outcome() -> None:
    outcome = SyncOutcome(
        status=RunStatus.FLAGGED,
        run_id="r9",
        changes=[Change("4", "Target Date", Side.SHEET, Side.WORKBOOK, None, dt.date(2027, 3, 31))],
        conflicts=[Conflict("7", "Owner", "a", "b", "c", ConflictKind.EDIT)],
        issues=[_issue(Severity.WARNING, "9")],
    )

    def cells(side: Side, rec_no: str, field: str | None) -> CellLink | None:
        return CellLink("Action Plan", 8 if side is Side.WORKBOOK else 9, 6)

    r = report_of(
        outcome, started=STARTED, finished=None, workbook="/x/plan.xlsx",
        spreadsheet_id="abc", cells=cells,
    )  # fmt: skip
    assert r.changes[0].new == "31/03/2027"
    assert (r.conflicts[0].workbook_cell, r.conflicts[0].sheet_cell) == (
        "Action Plan!F8",
        "Action Plan!F9",
    )
    assert r.counts == {"error": 0, "warning": 1, "info": 0, "conflicts": 1, "changes": 1}
    assert r.link() == "https://docs.google.com/spreadsheets/d/abc/edit"
