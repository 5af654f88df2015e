"""What `sync` and `status` print in a terminal: the words a person reads after a run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from ccrc_sync.merge import Change, Conflict, ConflictKind, Side
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report import render_outcome
from ccrc_sync.report.status_text import open_conflicts_text, render_status
from ccrc_sync.schema import Issue, Severity
from ccrc_sync.status import LastRun, StatusReport
from ccrc_sync.tabs import advice

LONDON = ZoneInfo("Europe/London")


def _outcome(**kw: object) -> SyncOutcome:
    fields: dict[str, object] = {"status": RunStatus.OK, "run_id": "r1"}
    fields.update(kw)
    return SyncOutcome(**fields)  # type: ignore[arg-type]


def test_a_first_run_says_it_published_the_plan_in_one_line() -> None:
    cells = [
        Change(str(n), "Status", Side.WORKBOOK, Side.SHEET, None, "Planned", new_row=True)
        for n in range(1, 35)
    ]
    out = render_outcome(_outcome(changes=cells, published=34))
    assert out.splitlines() == [
        "Published the plan (34 recommendations) to the Google Sheet.",
        "In sync. 34 recommendations published, 0 conflicts, 0 errors, 0 warnings. Run r1.",
    ]
    dry = render_outcome(_outcome(changes=cells, published=34, dry_run=True))
    assert dry.splitlines()[0] == "Would publish the plan (34 recommendations) to the Google Sheet."
    assert dry.endswith("Run r1 (dry run: nothing written).")


def test_changes_conflicts_with_what_to_do_and_the_verdict_last() -> None:
    conflict = Conflict("7", "Owner", "a", "A. Smith", "B. Jones", ConflictKind.EDIT)
    out = render_outcome(
        _outcome(
            status=RunStatus.FLAGGED,
            changes=[
                Change("4", "Target Date", Side.SHEET, Side.WORKBOOK, None, dt.date(2027, 3, 31))
            ],
            conflicts=[conflict],
            issues=[
                Issue(
                    severity=Severity.ERROR,
                    code="status.unknown",
                    sheet="Action Plan",
                    cell="E6",
                    rec_no="5",
                    field="Status",
                    value="Finished",
                    message="Status 'Finished' is not one of: Planned, In Progress, Complete.",
                    suggestion="Did you mean 'Complete'?",
                )
            ],
            report_path=Path("/srv/reports/r1.html"),
        )
    )
    assert out.splitlines() == [
        "Carried 1 cell in 1 recommendation from the Google Sheet to the workbook:",
        '  Rec 4 Target Date: (blank) -> "31/03/2027"',
        "1 conflict needs a person (neither side was overwritten):",
        '  Rec 7 Owner: workbook "A. Smith", Google Sheet "B. Jones"',
        f"    What to do: {advice(conflict)}",
        "1 error (these values are not synced until corrected):",
        "  Action Plan!E6: Rec 5: Status 'Finished' is not one of: Planned, In Progress, "
        "Complete. Did you mean 'Complete'?",
        "Report: /srv/reports/r1.html",
        "Ran; something needs a person. 1 change, 1 conflict, 1 error, 0 warnings. Run r1.",
    ]


def test_sync_email_says_whether_the_email_went_and_why_not() -> None:
    sent = render_outcome(_outcome(emailed=True))
    assert sent.splitlines()[-2] == "The report was emailed."
    why = "The SMTP server at mail:25 refused the login for user 'gov' (535)."
    failed = render_outcome(_outcome(emailed=False, email_problem=why))
    assert failed.splitlines()[-2] == f"The report was not emailed: {why}"
    assert "emailed" not in render_outcome(_outcome())


def test_a_run_that_could_not_run_says_why() -> None:
    out = render_outcome(
        _outcome(status=RunStatus.FAILED, error="The Google Sheet could not be reached.")
    )
    assert out == "Could not run: The Google Sheet could not be reached."


def _status(open_conflicts: int | None, healthy: bool = True) -> StatusReport:
    started = dt.datetime(2026, 5, 6, 2, 0, 1, tzinfo=LONDON)
    return StatusReport(
        healthy=healthy,
        problem=None if healthy else "The sync has not run yet.",
        checked_at=started,
        schedule="daily at 02:00 Europe/London",
        timezone="Europe/London",
        last_run=LastRun(
            run_id="41",
            started=started,
            finished=None,
            status="flagged",
            counts={"conflicts": open_conflicts or 0, "warning": 5},
        ),
        last_success=started,
        next_run=dt.datetime(2026, 5, 7, 2, 0, tzinfo=LONDON),
        open_conflicts=open_conflicts,
        consecutive_failures=0,
    )


def test_status_says_how_many_conflicts_are_open() -> None:
    text = render_status(_status(2))
    assert text.splitlines() == [
        "ccrc-sync: healthy",
        "Open conflicts:    2 conflicts are open; see the Sync Issues tab on either side.",
        "Last run:          Wed 06 May 2026 02:00:01 BST, flagged (run 41): 2 conflicts, "
        "5 warnings",
        "Next run:          Thu 07 May 2026 02:00 BST",
        "Schedule:          daily at 02:00 Europe/London",
        "Failures in a row: 0",
    ]
    assert open_conflicts_text(1) == "1 conflict is open; see the Sync Issues tab on either side."
    assert open_conflicts_text(0) == "None: nothing is waiting for a person."
    assert open_conflicts_text(None) == "Not known yet: no run has compared the two sides."
    assert _status(2).render_text() == text
