"""Run reports, the Sync Issues / Change Log grids and the findings .xlsx."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ccrc_sync.config import PlanConfig
from ccrc_sync.errors import CcrcSyncError
from ccrc_sync.report import (
    CHANGE_LOG_HEADER,
    NO_ISSUES,
    SYNC_ISSUES_HEADER,
    RunReport,
    change_log_grid,
    findings_xlsx,
    load_report,
    render_html,
    render_text,
    subject,
    sync_issues_grid,
    write_report,
)
from ccrc_sync.schema import Issue, Severity
from ccrc_sync.summary import compute

SCRIPT = "<script>alert(1)</script>"
DDE = "=cmd|' /C calc'!A0"
STARTED = dt.datetime(2026, 7, 2, 2, 0, 0)


def _issue(severity: Severity, rec_no: int, value: str | None = None, **kw: str) -> Issue:
    return Issue(
        severity=severity,
        code=kw.get("code", "test"),
        sheet="Action Plan",
        cell=kw.get("cell", f"E{rec_no + 1}"),
        rec_no=rec_no,
        field=kw.get("field", "Status"),
        value=value,
        message=kw.get("message", "Status is not one of Planned, In Progress, Complete."),
        suggestion=kw.get("suggestion", "Choose a status from the drop-down."),
    )


def _conflict(rec_no: int, workbook: object, sheet: object, kind: str = "both-changed") -> dict:
    return {
        "rec_no": rec_no,
        "field": "Owner",
        "base": "Head of Casework",
        "workbook": workbook,
        "sheet": sheet,
        "kind": kind,
    }


def _report(**overrides: object) -> RunReport:
    rows = {
        n: {"Section": "Casework Quality", "Status": "In Progress" if n % 3 else "Planned"}
        for n in range(1, 13)
    }
    rows[1]["Recommendation"] = SCRIPT
    fields: dict = {
        "run_id": "20260702T020000Z-ab12",
        "status": "flagged",
        "started": STARTED,
        "finished": STARTED + dt.timedelta(seconds=9),
        "workbook": "var/plan.xlsx",
        "spreadsheet_id": "sheet-123",
        "changes": [
            {
                "rec_no": 4,
                "field": "Status",
                "from": "sheet",
                "to": "workbook",
                "old": "Planned",
                "new": "In Progress",
            }
        ],
        "conflicts": [_conflict(7, SCRIPT, DDE), _conflict(3, "A. Smith", "B. Jones")],
        "issues": [
            _issue(Severity.WARNING, 9, "TBC", field="Target Date", message="Not a date."),
            _issue(Severity.ERROR, 5, DDE),
            _issue(Severity.INFO, 2, None, message="Rec 2 has no owner."),
        ],
        "summary": compute(rows, PlanConfig(), dt.date(2026, 7, 2), open_conflicts=2),
        "trend": [
            {
                "run_id": "r1",
                "finished": dt.datetime(2026, 7, 1, 2, 0),
                "by_status": {"Planned": 5, "In Progress": 7, "Complete": 0},
            },
            {
                "run_id": "r2",
                "finished": dt.datetime(2026, 7, 2, 2, 0),
                "by_status": {"Planned": 4, "In Progress": 8, "Complete": 0},
            },
        ],
        "notes": [f"The workbook was open in Excel {SCRIPT}; it will be updated next run."],
    }
    fields.update(overrides)
    return RunReport(**fields)


def test_sync_issues_lists_conflicts_first_then_findings_by_severity() -> None:
    r = _report()
    grid = sync_issues_grid(r.conflicts, r.issues)

    assert grid[0] == list(SYNC_ISSUES_HEADER)
    assert [(row[0], row[6]) for row in grid[1:]] == [
        (3, "Conflict"),
        (7, "Conflict"),
        (5, "Error"),
        (9, "Warning"),
        (2, "Info"),
    ]
    rec7 = grid[2]
    assert rec7[1:5] == ["Owner", SCRIPT, DDE, "Head of Casework"]
    assert "Decide which is right" in rec7[7]
    error = grid[3]
    assert error[2] == DDE and error[5] == "Action Plan!E6"
    assert error[7] == (
        "Status is not one of Planned, In Progress, Complete. Choose a status from the drop-down."
    )


def test_sync_issues_explains_each_kind_of_conflict() -> None:
    kinds = ["deleted-edited", "both-added", "first-sync", "both-changed"]
    grid = sync_issues_grid([_conflict(n, "a", "b", kind) for n, kind in enumerate(kinds, 1)], [])
    advice = [row[7] for row in grid[1:]]
    assert "the edit has been kept" in advice[0]
    assert "added on both sides" in advice[1]
    assert "no earlier agreed value" in advice[2]
    assert "neither was overwritten" in advice[3]


def test_sync_issues_says_so_when_there_is_nothing() -> None:
    grid = sync_issues_grid([], [])
    assert grid[1][0] == NO_ISSUES and len(grid) == 2
    assert len(grid[1]) == len(SYNC_ISSUES_HEADER)


def test_change_log_is_newest_first_and_names_the_sides() -> None:
    entries = [
        {
            "when": dt.datetime(2026, 7, 1, 2, 0),
            "run_id": "r1",
            "rec_no": 3,
            "field": "Status",
            "source": "workbook",
            "target": "sheet",
            "old": "Planned",
            "new": "In Progress",
        },
        {
            "when": dt.datetime(2026, 7, 2, 2, 0),
            "run_id": "r2",
            "rec_no": 4,
            "field": "Target Date",
            "source": "sheet",
            "target": "workbook",
            "old": None,
            "new": dt.date(2027, 3, 31),
        },
    ]
    grid = change_log_grid(entries)
    assert grid[0] == list(CHANGE_LOG_HEADER)
    assert grid[1] == [
        "2026-07-02 02:00",
        "r2",
        4,
        "Target Date",
        "Google Sheet",
        "Workbook",
        "",
        "2027-03-31",
    ]
    assert grid[2][4:6] == ["Workbook", "Google Sheet"]
    assert len(change_log_grid(entries, limit=1)) == 2


@pytest.mark.parametrize(
    ("conflicts", "errors", "warnings", "expected"),
    [
        (2, 0, 5, "CCRC action plan: 2 conflicts, 0 errors, 5 warnings"),
        (1, 1, 1, "CCRC action plan: 1 conflict, 1 error, 1 warning"),
        (0, 0, 0, "CCRC action plan: 0 conflicts, 0 errors, 0 warnings"),
    ],
)
def test_subject_gives_the_counts(
    conflicts: int, errors: int, warnings: int, expected: str
) -> None:
    r = _report(counts={"conflicts": conflicts, "error": errors, "warning": warnings})
    assert subject(r) == expected


def test_subject_counts_from_the_lists_when_counts_are_not_given() -> None:
    assert subject(_report()) == "CCRC action plan: 2 conflicts, 1 error, 1 warning"
    assert subject(_report(), prefix="Plan") == "Plan: 2 conflicts, 1 error, 1 warning"


def test_subject_of_a_failed_run_says_so() -> None:
    r = _report(
        status="failed",
        error="The Google Sheet could not be reached after 60 seconds.\nSecond line.",
    )
    assert subject(r) == (
        "CCRC action plan: sync FAILED - The Google Sheet could not be reached after 60 seconds"
    )
    assert "\n" not in subject(_report(status="failed", error="x" * 500))
    assert len(subject(_report(status="failed", error="x" * 500))) < 130


def test_html_escapes_every_piece_of_staff_text() -> None:
    page = render_html(_report(error=f"bad {SCRIPT}"))

    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=cmd|&#x27; /C calc&#x27;!A0" in page
    assert page.startswith("<!DOCTYPE html>")
    assert "<link" not in page and "<style" not in page, "inline CSS only"
    assert "http://" not in page and "https://" not in page, "self-contained"


def test_html_shows_state_summary_chart_changes_and_trend() -> None:
    r = _report()
    page = render_html(r)
    text = re.sub(r"<[^>]+>", " ", page)

    assert "FLAGGED" in text
    assert r.summary is not None and r.summary.sentence in page
    assert "Status by section" in text
    assert page.count('title="In Progress: ') >= 3, "section bars and trend bars"
    assert "Trend of status counts" in text
    assert "Google Sheet" in text and "In Progress" in text
    for header in SYNC_ISSUES_HEADER:
        assert header in text


def test_text_part_has_the_same_story() -> None:
    out = render_text(_report())
    assert out.splitlines()[0] == "CCRC action plan: 2 conflicts, 1 error, 1 warning"
    assert "Changes made: 1; conflicts: 2; errors: 1; warnings: 1; information: 1." in out
    assert f'ERROR Rec 5 Action Plan!E6 (value "{DDE}"): Status is not one' in out
    assert 'Rec 4, Status: "Planned" -> "In Progress" (Google Sheet to Workbook)' in out
    assert f'Rec 7, Owner: workbook "{SCRIPT}", sheet "{DDE}"' in out
    assert "8 of the 12 recommendations" in out


def test_findings_xlsx_keeps_hostile_text_as_text() -> None:
    data = findings_xlsx(_report(changes=[], issues=[_issue(Severity.ERROR, 5, DDE + "\x07")]))
    wb = load_workbook(io.BytesIO(data))

    ws = wb["Sync Issues"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(SYNC_ISSUES_HEADER)
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    assert cells[DDE].data_type == "s"
    assert cells[SCRIPT].data_type == "s"
    assert DDE + "\ufffd" in cells, "control characters replaced, not crashing the write"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s or "<f " in s for s in sheets), "no formula anywhere"
    assert "Changes" in wb.sheetnames


def test_write_and_load_report_round_trip(tmp_path: Path) -> None:
    r = _report()
    html_path, json_path = write_report(r, tmp_path / "reports")

    assert html_path.name == f"{r.run_id}.html" and json_path.name == f"{r.run_id}.json"
    assert (tmp_path / "reports" / "latest.html").read_text() == html_path.read_text()
    loaded = load_report(tmp_path / "reports")
    assert loaded.model_dump(mode="json") == r.model_dump(mode="json")
    assert loaded.summary == r.summary and loaded.issues == r.issues
    assert loaded.trend[0]["finished"] == dt.datetime(2026, 7, 1, 2, 0)
    assert load_report(tmp_path / "reports", r.run_id).run_id == r.run_id
    assert not [p for p in (tmp_path / "reports").iterdir() if p.suffix == ".tmp"]

    later = _report(run_id="later", status="ok", conflicts=[], issues=[])
    write_report(later, tmp_path / "reports")
    assert load_report(tmp_path / "reports").run_id == "later"
    assert load_report(tmp_path / "reports", r.run_id).status == "flagged"


def test_a_run_id_cannot_escape_the_reports_folder(tmp_path: Path) -> None:
    html_path, _ = write_report(_report(run_id="../../evil"), tmp_path / "reports")
    assert html_path.parent == tmp_path / "reports"


def test_loading_a_report_that_is_not_there_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(CcrcSyncError, match=r"There is no run report in .* yet"):
        load_report(tmp_path)
    with pytest.raises(CcrcSyncError, match="There is no report for run nope"):
        load_report(tmp_path, "nope")
    (tmp_path / "latest.json").write_text("{not json")
    with pytest.raises(CcrcSyncError, match="damaged"):
        load_report(tmp_path)
