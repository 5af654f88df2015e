"""`serve`, driven by a fake clock: nothing here sleeps for real.

The runs are `servicehelp.FakeSync`: `sync.run_sync` with its real lock, state, reports
and delivery, but no workbook or Google Sheet. A manual `ccrc-sync sync` is the test holding
that same lock (`ManualSync`). Alerts, report emails and digests are in
test_service_mail.py; the end-to-end test with the real sync is in test_service_e2e.py;
the schedule's pure timing is in test_timing.py, `status` in test_status.py.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from servicehelp import (
    LONDON,
    FakeClock,
    FakeSync,
    ManualSync,
    Step,
    a_config,
    drive,
    london,
    mail_to,
    record,
    run_ids,
    utc,
)
from smtphelp import start_smtp

from ccrc_sync.config import Config, LoggingConfig, ScheduleConfig
from ccrc_sync.errors import CcrcSyncError, SheetError, WorkbookBusy
from ccrc_sync.logs import setup_logging
from ccrc_sync.merge import Change, Side
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report import report_of
from ccrc_sync.report.status_text import counts_in_words
from ccrc_sync.service import RETRY_AFTER_SKIP, Service
from ccrc_sync.state import State

# --------------------------------------------------------------------------- nightly


@pytest.mark.parametrize("at", ["00:30", "01:00", "01:30", "02:00", "02:30", "03:00"])
@pytest.mark.parametrize("change_day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_the_service_runs_exactly_once_a_night_across_each_clock_change(
    tmp_path: Path, at: str, change_day: date
) -> None:
    """Minute by minute through three days around each change: three runs, one per night."""
    start = datetime.combine(change_day - timedelta(days=1), datetime.min.time(), LONDON)
    clock = FakeClock(start.replace(hour=12).astimezone(UTC))
    config = a_config(tmp_path, schedule=ScheduleConfig(time=at))
    record(config, clock.now - timedelta(hours=1))  # last night's run: nothing to catch up
    runner = FakeSync(clock)
    service = Service(config, runner=runner, clock=clock)
    drive(service, clock, clock.now + timedelta(days=3), timedelta(minutes=1))
    days = [s.astimezone(LONDON).date() for s in runner.starts]
    assert days == [change_day + timedelta(days=i) for i in range(3)]


# --------------------------------------------------------------------------- catch-up


def test_first_start_with_no_history_runs_at_once(tmp_path: Path) -> None:
    clock = FakeClock(london(2026, 5, 6, 14, 0).astimezone(UTC))
    runner = FakeSync(clock)
    service = Service(a_config(tmp_path), runner=runner, clock=clock)
    result = service.tick()
    assert result is not None and result.status == "ok" and result.reason == "catch-up"
    assert runner.starts == [london(2026, 5, 6, 14, 0)]
    assert service.due == london(2026, 5, 7, 2)


def test_catch_up_after_a_multi_day_outage_runs_once_not_once_per_night(tmp_path: Path) -> None:
    clock = FakeClock(london(2026, 5, 9, 10, 0).astimezone(UTC))
    config = a_config(tmp_path)
    record(config, london(2026, 5, 5, 2, 0))  # 4 nights ago
    runner = FakeSync(clock)
    service = Service(config, runner=runner, clock=clock)
    drive(service, clock, london(2026, 5, 10, 12, 0), timedelta(minutes=5))
    assert runner.starts == [london(2026, 5, 9, 10, 0), london(2026, 5, 10, 2, 0)]


def test_no_catch_up_when_last_night_ran_or_catch_up_is_off(tmp_path: Path) -> None:
    clock = FakeClock(london(2026, 5, 6, 10, 0).astimezone(UTC))
    config = a_config(tmp_path / "ran")
    record(config, london(2026, 5, 6, 2, 0))
    runner = FakeSync(clock)
    assert Service(config, runner=runner, clock=clock).tick() is None
    assert runner.starts == []

    never = a_config(tmp_path / "off", schedule=ScheduleConfig(catch_up=False))
    off = Service(never, runner=runner, clock=clock)
    assert off.tick() is None
    assert runner.starts == [] and off.due == london(2026, 5, 7, 2)


@pytest.mark.parametrize(
    ("last_night", "owed"),
    [("ok", False), ("flagged", False), ("failed", True), ("killed", True), ("interrupted", True)],
)
def test_catch_up_is_judged_from_the_last_successful_run_in_the_real_history(
    tmp_path: Path, last_night: str, owed: bool
) -> None:
    """A run that failed, or was killed mid-way, did not do the night's work: a service
    started the next morning owes a catch-up run. One that reconciled the sides did it."""
    config = a_config(tmp_path)
    with State(config.sync.state_dir) as state:
        before = state.start_run(london(2026, 5, 4, 2, 0))
        state.finish_run(before, status="ok", finished=london(2026, 5, 4, 2, 1))
        run = state.start_run(london(2026, 5, 5, 2, 0))
        if last_night in ("ok", "flagged", "failed"):
            error = "Google is down." if last_night == "failed" else None
            state.finish_run(run, status=last_night, finished=london(2026, 5, 5, 2, 1), error=error)
        elif last_night == "interrupted":
            assert state.mark_interrupted() == [run]
        # "killed": left as `running`, as a process killed mid-run leaves it
    clock = FakeClock(london(2026, 5, 5, 9, 0).astimezone(UTC))
    starts: list[datetime] = []

    def runner(config: Config) -> SyncOutcome:
        starts.append(clock())
        return SyncOutcome(RunStatus.OK, "catch-up")

    service = Service(config, runner=runner, clock=clock)  # the real history, from the state
    service._seed_failures()
    assert service.failures == (1 if last_night == "failed" else 0)
    result = service.tick()
    if owed:
        assert result is not None and (result.reason, result.status) == ("catch-up", "ok")
        assert starts == [london(2026, 5, 5, 9, 0)]
    else:
        assert result is None and starts == []
    assert service.due == london(2026, 5, 6, 2, 0)
    clock.advance(days=2)
    service.due = None  # a restart two days later: the night of the 6th was missed
    service.tick()
    assert starts[-1] == london(2026, 5, 7, 9, 0)


def test_looking_at_the_history_before_any_run_creates_no_state(tmp_path: Path) -> None:
    clock = FakeClock(utc(2026, 5, 6, 1))
    config = a_config(tmp_path, schedule=ScheduleConfig(catch_up=False))
    service = Service(config, runner=FakeSync(clock), clock=clock)
    service._seed_failures()
    assert service.tick() is None and service.failures == 0
    assert not config.sync.state_dir.exists()


# --------------------------------------------------------------------------- no overlap


def test_runs_never_overlap_in_the_process(tmp_path: Path) -> None:
    clock = FakeClock(utc(2026, 5, 6, 1))
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_runner(config: Config) -> SyncOutcome:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return SyncOutcome(RunStatus.OK, "1")

    service = Service(a_config(tmp_path), runner=slow_runner, clock=clock)
    first: list[Any] = []
    worker = threading.Thread(target=lambda: first.append(service.run_once()))
    worker.start()
    assert started.wait(10)
    second = service.run_once()  # while the first is still going
    release.set()
    worker.join(10)
    assert second.status == "skipped"
    assert first[0].status == "ok"
    assert len(calls) == 1


def test_a_run_refused_by_the_cross_process_lock_is_skipped_not_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A manual sync holds the real lock: five attempts are skipped, none is recorded or
    counted as a failure, and nobody is alerted."""
    controller, inbox = start_smtp()
    clock = FakeClock(utc(2026, 5, 6, 1))
    schedule = ScheduleConfig(failure_alert_after=2)
    config = a_config(tmp_path, schedule=schedule, email=mail_to(controller.port))
    manual = ManualSync(config, "ok", clock.now, clock.now + timedelta(hours=1))
    manual.start()
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    try:
        service = Service(config, runner=FakeSync(clock), clock=clock)
        results = [service.run_once() for _ in range(5)]
    finally:
        manual.finish()
        controller.stop()
    assert {r.status for r in results} == {"skipped"}
    assert service.failures == 0 and inbox.envelopes == []
    assert run_ids(config) == [manual.run_id]  # only the manual run
    lock = config.sync.state_dir / "sync.lock"
    assert caplog.records[-1].getMessage() == (
        f"run (scheduled) skipped in 0.0s: Another sync is already running (it holds {lock}). "
        "This run did nothing; try again when it has finished."
    )


# --------------------------------------------------------------------------- failures


def test_failures_are_logged_and_the_service_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(london(2026, 5, 6, 1, 0).astimezone(UTC))
    config = a_config(tmp_path)
    record(config, london(2026, 5, 5, 2, 0))
    script: list[Step] = [
        SheetError("The Google Sheet could not be reached after 60s of retries."),
        WorkbookBusy("The workbook is open in Excel."),
        RuntimeError("a bug"),
        "ok",
    ]
    runner = FakeSync(clock, script)
    service = Service(config, runner=runner, clock=clock)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    drive(service, clock, london(2026, 5, 9, 12, 0), timedelta(minutes=10))
    assert len(runner.starts) == 4  # four nights, one run each, despite three failures
    assert [r.status for r in service.results] == ["failed", "failed", "failed", "ok"]
    one, two, three, four = run_ids(config)[1:]
    run_lines = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.getMessage().startswith("run ")
    ]
    assert run_lines == [
        ("ERROR", f"run {one} (scheduled) failed in 0.0s: The Google Sheet could not be "
                  "reached after 60s of retries."),
        ("ERROR", f"run {two} (scheduled) failed in 0.0s: The workbook is open in Excel."),
        ("ERROR", f"run {three} (scheduled) failed in 0.0s: unexpected error: RuntimeError: "
                  "a bug"),
        ("INFO", f"run {four} (scheduled) ok in 0.0s: 0 changes, 0 conflicts, 0 errors, "
                 "1 warning, 0 info"),
    ]  # fmt: skip
    # The bug's traceback is in the log, for whoever has to fix it.
    [bug] = [
        r for r in caplog.records if r.getMessage() == "the run stopped on an unexpected error"
    ]
    assert bug.levelname == "ERROR" and bug.exc_info and bug.exc_info[0] is RuntimeError


def test_a_first_publish_is_counted_the_same_in_the_log_as_in_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A first publish copies every cell (six here) of two recommendations: the log line
    says what the report and the Change Log say, two."""
    cells = [
        Change(rec, name, Side.WORKBOOK, Side.SHEET, None, "x", new_row=True)
        for rec in ("1", "2")
        for name in ("Status", "Owner", "Notes")
    ]
    outcome = SyncOutcome(RunStatus.OK, "7", changes=cells, published=2)
    clock = FakeClock(utc(2026, 5, 6, 1))
    service = Service(a_config(tmp_path), runner=lambda config: outcome, clock=clock)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    service.run_once()
    said = "2 changes, 0 conflicts, 0 errors, 0 warnings, 0 info"
    assert [r.getMessage() for r in caplog.records] == [f"run 7 (scheduled) ok in 0.0s: {said}"]
    report = report_of(
        outcome, started=clock.now, finished=clock.now, workbook="plan.xlsx", spreadsheet_id="s"
    )
    assert counts_in_words(report.counts) == said


# --------------------------------------------------------------------------- a manual run

NIGHT = london(2026, 5, 6, 2, 0)


def _at(hour: int, minute: int, second: int = 0, day: int = 6) -> datetime:
    return london(2026, 5, day, hour, minute, second)


@pytest.mark.parametrize(
    ("manual", "scheduled_starts", "statuses"),
    [
        pytest.param(
            ("ok", _at(1, 59), _at(2, 1)),
            [_at(2, 0, 30), _at(2, 2, 30)],
            ["skipped", "ok"],
            id="manual run began before the scheduled time: retried, runs",
        ),
        pytest.param(
            ("ok", _at(1, 50), _at(2, 3)),
            [_at(2, 0, 30), _at(2, 2, 30), _at(2, 4, 30)],
            ["skipped", "skipped", "ok"],
            id="manual run still going at the retry: retried again, runs",
        ),
        pytest.param(
            ("failed", _at(2, 0, 10), _at(2, 1)),
            [_at(2, 0, 30), _at(2, 2, 30)],
            ["skipped", "ok"],
            id="manual run after the scheduled time failed: retried, runs",
        ),
        pytest.param(
            ("ok", _at(2, 0, 10), _at(2, 1, 40)),
            [_at(2, 0, 30)],
            ["skipped"],
            id="manual run after the scheduled time succeeded: the night is done",
        ),
        pytest.param(
            ("flagged", _at(2, 0, 10), _at(2, 1, 40)),
            [_at(2, 0, 30)],
            ["skipped"],
            id="manual run after the scheduled time flagged items: the night is done",
        ),
    ],
)
def test_a_scheduled_run_refused_by_a_manual_sync_is_retried_not_skipped(
    tmp_path: Path,
    manual: tuple[str, datetime, datetime],
    scheduled_starts: list[datetime],
    statuses: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The loop ticks once a minute (at :30 s). A manual `ccrc-sync sync` holds the lock
    from `manual[1]` to `manual[2]`; the night's run is tried again RETRY_AFTER_SKIP later
    until it runs, unless the manual run was itself a whole successful run after 02:00."""
    assert timedelta(minutes=2) == RETRY_AFTER_SKIP
    status_, began, ended = manual
    clock = FakeClock(_at(1, 0, 30).astimezone(UTC))
    config = a_config(tmp_path)
    record(config, _at(2, 0, day=5))
    by_hand = ManualSync(config, status_, began, ended)
    runner = FakeSync(clock)
    service = Service(config, runner=runner, clock=clock)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    drive(service, clock, _at(3, 0, day=7), timedelta(minutes=1), by_hand.events())
    # The night of the 6th as expected, then the 7th as usual: never a night without a run.
    assert runner.starts == [*scheduled_starts, _at(2, 0, 30, day=7)]
    assert [r.status for r in service.results] == [*statuses, "ok"]
    assert [r.reason for r in service.results] == ["scheduled"] * len(runner.starts)
    said = [r.getMessage() for r in caplog.records]
    retries = [m for m in said if m.startswith("will try again at ")]
    assert retries == [
        f"will try again at {t.strftime('%a %d %b %Y %H:%M:%S')} BST"
        for t in scheduled_starts[1:] + ([] if statuses[-1] == "ok" else [_at(2, 2, 30)])
    ]
    done = "a run after Wed 06 May 2026 02:00 BST already succeeded; nothing to do"
    assert (done in said) == (statuses == ["skipped"])


@pytest.mark.parametrize(
    ("manual_status", "starts"),
    [
        ("ok", [_at(9, 0)]),  # the manual run did the owed work: nothing more
        ("failed", [_at(9, 0), _at(9, 2)]),  # it did not: the catch-up is tried again
    ],
)
def test_a_catch_up_refused_by_a_manual_sync_is_retried_unless_that_run_succeeded(
    tmp_path: Path, manual_status: str, starts: list[datetime]
) -> None:
    """Started at 09:00 after a night without a run, while a manual sync (08:59-09:01)
    holds the lock: the owed run is not dropped until the next night."""
    clock = FakeClock(_at(9, 0).astimezone(UTC))
    config = a_config(tmp_path)
    record(config, _at(2, 0, day=5))
    by_hand = ManualSync(config, manual_status, _at(8, 59), _at(9, 1))
    runner = FakeSync(clock)
    service = Service(config, runner=runner, clock=clock)
    drive(service, clock, _at(12, 0), timedelta(minutes=1), by_hand.events())
    assert runner.starts == starts
    assert [r.status for r in service.results] == ["skipped", "ok"][: len(starts)]
    assert [r.reason for r in service.results] == ["catch-up"] * len(starts)
    assert service.due == london(2026, 5, 7, 2)


# --------------------------------------------------------------------------- the loop


def test_the_loop_runs_on_schedule_and_stops_on_the_stop_event(tmp_path: Path) -> None:
    """The real `schedule`-driven loop with a fake clock that moves 10 minutes per reading."""
    clock = FakeClock(london(2026, 3, 27, 12, 0).astimezone(UTC), step=timedelta(minutes=10))
    config = a_config(tmp_path)
    record(config, london(2026, 3, 27, 2, 0))
    runner = FakeSync(clock)
    stop = threading.Event()

    def runner_then_stop(config: Config) -> SyncOutcome:
        outcome = runner(config)
        if len(runner.starts) == 3:
            stop.set()
        return outcome

    service = Service(
        config, runner=runner_then_stop, clock=clock, stop_event=stop, tick_seconds=0.001
    )
    assert service.run() == 0
    local = [s.astimezone(LONDON) for s in runner.starts]
    assert [d.date() for d in local] == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    for start in local:
        assert timedelta(0) <= start - start.replace(hour=2, minute=0) < timedelta(minutes=40)


def test_sigterm_during_a_run_lets_it_finish_then_exits_0(tmp_path: Path) -> None:
    clock = FakeClock(london(2026, 5, 6, 12, 0).astimezone(UTC), step=timedelta(minutes=1))
    finished: list[str] = []

    def runner(config: Config) -> SyncOutcome:
        os.kill(os.getpid(), signal.SIGTERM)  # as systemd would, mid-run
        finished.append("done")
        return SyncOutcome(RunStatus.OK, "1")

    before = signal.getsignal(signal.SIGTERM)
    service = Service(a_config(tmp_path), runner=runner, clock=clock, tick_seconds=0.01)
    assert service.run() == 0
    assert finished == ["done"]  # the run was not cut short, and no other run started
    assert signal.getsignal(signal.SIGTERM) is before  # handlers are put back


# --------------------------------------------------------------------------- logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_logging_goes_to_a_rotating_file_and_never_shows_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    monkeypatch.setenv("CCRC_SYNC_SMTP_PASSWORD", "hunter2-secret")
    log_file = tmp_path / "logs" / "ccrc-sync.log"
    setup_logging(LoggingConfig(file=log_file, max_bytes=2048, backups=2), verbose=False)
    clock = FakeClock(utc(2026, 5, 6, 1))
    leaky = CcrcSyncError("SMTP login failed for password hunter2-secret")
    config = a_config(tmp_path)
    Service(config, runner=FakeSync(clock, [leaky]), clock=clock).run_once()
    logging.getLogger("ccrc_sync.test").debug("not shown at INFO")
    text = log_file.read_text(encoding="utf-8")
    [line] = text.splitlines()
    [run] = run_ids(config)
    assert line.endswith(
        f" ERROR ccrc_sync.service: run {run} (scheduled) failed in 0.0s: "
        "SMTP login failed for password [redacted]"
    )
    assert "hunter2-secret" not in text
    assert "not shown at INFO" not in text
    for _ in range(100):  # rotation keeps the file bounded
        logging.getLogger("ccrc_sync.test").info("x" * 100)
    assert log_file.stat().st_size <= 2048
    assert (tmp_path / "logs" / "ccrc-sync.log.1").exists()
