"""`ccrc-sync status` against a real state folder, as runs leave it: it reads, judges the
history against the schedule, and never writes."""

from __future__ import annotations

import json
from pathlib import Path

from servicehelp import a_config, london, record, utc

from ccrc_sync.delivery import EMAIL_PROBLEM
from ccrc_sync.report.status_text import render_status as render_text
from ccrc_sync.state import State
from ccrc_sync.status import status

NOT_RUN = (
    "The sync has not run yet. Start `ccrc-sync serve` (or the system service), or run "
    "`ccrc-sync sync` once."
)


def test_status_on_an_empty_state_folder_leaves_it_empty(tmp_path: Path) -> None:
    config = a_config(tmp_path)
    config.sync.state_dir.mkdir()
    report = status(config, utc(2026, 5, 6, 9))
    assert not report.healthy and report.last_run is None
    assert report.problem == NOT_RUN
    assert list(config.sync.state_dir.iterdir()) == []


def test_status_with_no_state_directory_writes_nothing(tmp_path: Path) -> None:
    report = status(a_config(tmp_path), utc(2026, 5, 6, 9))
    assert not report.healthy and not (tmp_path / "state").exists()


def test_status_with_no_history_is_unhealthy(tmp_path: Path) -> None:
    report = status(a_config(tmp_path), utc(2026, 5, 6, 9))
    assert not report.healthy and report.exit_code == 1
    assert report.problem == NOT_RUN
    assert report.next_run == london(2026, 5, 7, 2)
    assert render_text(report).splitlines() == [
        "ccrc-sync: PROBLEM",
        f"  {report.problem}",
        "Open conflicts:    Not known yet: no run has compared the two sides.",
        "Last run:          none yet",
        "Last success:      never",
        "Next run:          Thu 07 May 2026 02:00 BST",
        "Schedule:          daily at 02:00 Europe/London",
        "Failures in a row: 0",
    ]


def test_status_after_last_nights_run_is_healthy_and_says_what_it_did(tmp_path: Path) -> None:
    config = a_config(tmp_path)
    counts = {"conflicts": 2, "error": 0, "warning": 5, "info": 1, "changes": 3}
    run = record(config, london(2026, 5, 6, 2, 0, 1), "flagged", counts)
    report = status(config, london(2026, 5, 6, 9, 0))
    assert report.healthy and report.problem is None and report.exit_code == 0
    assert report.open_conflicts == 2 and report.consecutive_failures == 0
    assert render_text(report).splitlines() == [
        "ccrc-sync: healthy",
        "Open conflicts:    2 conflicts are open; see the Sync Issues tab on either side.",
        f"Last run:          Wed 06 May 2026 02:00:01 BST, flagged (run {run}): 3 changes, "
        "2 conflicts, 0 errors, 5 warnings, 1 info",
        "Next run:          Thu 07 May 2026 02:00 BST",
        "Schedule:          daily at 02:00 Europe/London",
        "Failures in a row: 0",
    ]
    data = json.loads(report.to_json())
    assert data["healthy"] is True and data["last_run"]["run_id"] == run
    assert data["next_run"] == "2026-05-07T02:00:00+01:00"


def test_status_when_the_last_run_failed(tmp_path: Path) -> None:
    config = a_config(tmp_path)
    # Recorded out of order (a restored state, a clock put right): the history goes by
    # when each run started, not by when it was written.
    last = record(config, london(2026, 5, 6, 2), "failed", {}, "Google is down.")
    record(config, london(2026, 5, 4, 2), "ok", {"conflicts": 1})
    record(config, london(2026, 5, 5, 2), "failed", {}, "Google is down.")
    report = status(config, london(2026, 5, 6, 9))
    assert not report.healthy
    assert report.consecutive_failures == 2
    assert report.problem == (
        "The last run, Wed 06 May 2026 02:00 BST, failed (2 failed runs in a row): Google is down."
    )
    assert report.open_conflicts == 1  # as of the last run that got that far
    assert render_text(report).splitlines()[2:5] == [
        "Open conflicts:    1 conflict is open; see the Sync Issues tab on either side.",
        f"Last run:          Wed 06 May 2026 02:00 BST, failed (run {last})",
        "Last success:      Mon 04 May 2026 02:00 BST",
    ]


def test_status_when_the_nightly_run_is_overdue(tmp_path: Path) -> None:
    config = a_config(tmp_path)
    record(config, london(2026, 5, 5, 2, 0, 2), "ok")
    # 03:30 on the 6th: tonight's run may still be going (within the 2-hour grace).
    assert status(config, london(2026, 5, 6, 3, 30)).healthy
    # 04:30: it should have started by now.
    late = status(config, london(2026, 5, 6, 4, 30))
    assert not late.healthy
    assert late.problem == (
        "No run since Tue 05 May 2026 02:00:02 BST, though one was due Wed 06 May 2026 02:00 "
        "BST. Is `ccrc-sync serve` (or its system service) running?"
    )


def test_status_reads_the_real_run_history(tmp_path: Path) -> None:
    config = a_config(tmp_path)
    with State(config.sync.state_dir) as state:
        first = state.start_run(london(2026, 5, 5, 2, 0))
        state.finish_run(
            first, status="flagged", finished=london(2026, 5, 5, 2, 1), counts={"conflicts": 3}
        )
        second = state.start_run(london(2026, 5, 6, 2, 0))
        state.finish_run(
            second, status="failed", finished=london(2026, 5, 6, 2, 1), error="Google is down."
        )
    report = status(config, london(2026, 5, 6, 9, 0))
    assert not report.healthy and report.consecutive_failures == 1
    assert report.last_run is not None and report.last_run.run_id == second
    assert report.problem == ("The last run, Wed 06 May 2026 02:00 BST, failed: Google is down.")
    assert report.open_conflicts == 3
    assert report.last_success == london(2026, 5, 5, 2, 0)


def test_status_shows_a_report_that_could_not_be_emailed(tmp_path: Path) -> None:
    config = a_config(tmp_path)
    record(config, london(2026, 5, 6, 2, 0, 1), "ok", {"conflicts": 0})
    refused = (
        "The SMTP server at mail.example.org:25 refused the login for user 'governance' "
        "(535); check the user and CCRC_SYNC_SMTP_PASSWORD."
    )
    with State(config.sync.state_dir) as state:
        state.set_meta(EMAIL_PROBLEM, refused)  # as delivery leaves it
    report = status(config, london(2026, 5, 6, 9, 0))
    problem = (
        f"The last report could not be emailed ({refused}); it is kept and goes with the next "
        "run that sends mail."
    )
    assert not report.healthy and report.exit_code == 1
    assert (report.problem, report.email_problem) == (problem, refused)
    assert render_text(report).splitlines()[:2] == ["ccrc-sync: PROBLEM", f"  {problem}"]
    assert json.loads(report.to_json())["email_problem"] == refused
    with State(config.sync.state_dir) as state:
        state.set_meta(EMAIL_PROBLEM, "")  # what delivery leaves once a report has gone again
    again = status(config, london(2026, 5, 6, 9, 0))
    assert again.healthy and again.problem is None and again.email_problem is None
