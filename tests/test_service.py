"""`serve`, driven by a fake clock: nothing here sleeps for real.

Everything but the workbook and the Google Sheet is real. `FakeSync` plays `sync.run_sync`
with the parts it uses: the cross-process lock (`sync.lock`), the run history in a real
`State`, the report written to the reports folder and delivered by `delivery.deliver`. A
manual `ccrc-sync sync` is the test holding that same lock while its run is in the state
as running. Alerts and reports go by the real mail module to a real SMTP server on
127.0.0.1 (`smtphelp`). The end-to-end test with the real sync is in test_service_e2e.py;
the schedule's pure timing is in test_timing.py, `status` in test_status.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from filelock import FileLock, Timeout
from fixtures.plans import template_copy
from openpyxl import load_workbook
from servicehelp import LONDON, FakeClock, a_config, london, record, run_ids, utc
from smtphelp import Collector, free_port, start_smtp

from ccrc_sync.config import Config, EmailConfig, LoggingConfig, ScheduleConfig, WorkbookConfig
from ccrc_sync.delivery import deliver, wanted
from ccrc_sync.errors import CcrcSyncError, LockError, SheetError, WorkbookBusy
from ccrc_sync.logs import setup_logging
from ccrc_sync.merge import Change, Conflict, ConflictKind, Side
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report import report_of, write_report
from ccrc_sync.report.status_text import counts_in_words
from ccrc_sync.schema import make_issue
from ccrc_sync.service import RETRY_AFTER_SKIP, Service
from ccrc_sync.state import State

PASSWORD = "the-right-password"

# --------------------------------------------------------------------------- the parts


def a_conflict(rec_no: str) -> Conflict:
    return Conflict(rec_no, "Status", "Planned", "Complete", "In Progress", ConflictKind.EDIT)


A_WARNING = make_issue(
    "text.whitespace", sheet="Action Plan", cell="F4", rec_no="3", field="Owner", value=" Jo "
)

Step = str | BaseException  # "ok", "flagged", or what the run raises


class FakeSync:
    """Plays `sync.run_sync` with its real parts, all but the workbook and the Sheet.

    Like the real sync it takes `sync.lock` in the state folder first and refuses with
    `LockError`, recording nothing, while another run holds it; it records each run in
    the state (a failure too, with its error); and when `[email] when` asks, it writes the
    run's report and delivers it. A script says what each run comes to.
    """

    def __init__(self, clock: FakeClock, script: Sequence[Step] = ()) -> None:
        self.clock = clock
        self.script = list(script)
        self.starts: list[datetime] = []  # every attempt, refused ones included

    def __call__(self, config: Config) -> SyncOutcome:
        started = self.clock()
        self.starts.append(started)
        state_dir = config.sync.state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(state_dir / "sync.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise LockError(
                f"Another sync is already running (it holds {state_dir / 'sync.lock'}). This "
                "run did nothing; try again when it has finished."
            ) from None
        try:
            with State(state_dir) as state:
                return self._run(config, state, started)
        finally:
            lock.release()

    def _run(self, config: Config, state: State, started: datetime) -> SyncOutcome:
        run_id = state.start_run(started)
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, BaseException):
            state.finish_run(run_id, status="failed", finished=self.clock(), error=str(step))
            raise step
        outcome = SyncOutcome(RunStatus.OK, run_id, issues=[A_WARNING])
        if step == "flagged":
            outcome.status = RunStatus.FLAGGED
            outcome.conflicts = [a_conflict("5"), a_conflict("20a")]
        else:
            assert step == "ok", step
        finished = self.clock()
        state.finish_run(
            run_id,
            status=outcome.status.value,
            finished=finished,
            counts=outcome.headline_counts(),
        )
        if wanted(config, outcome, None):
            report = report_of(
                outcome,
                started=started,
                finished=finished,
                workbook="/srv/ccrc/plan.xlsx",
                spreadsheet_id="sheet-1",
            )
            outcome.report_path, _ = write_report(report, config.sync.reports())
            deliver(config, state, outcome, None)
        return outcome


class ManualSync:
    """A `ccrc-sync sync` typed by hand: from `began` it holds the lock and is in the run
    history as running; at `ended` it records how it went and lets go."""

    def __init__(self, config: Config, status: str, began: datetime, ended: datetime) -> None:
        self.config, self.status, self.began, self.ended = config, status, began, ended
        self.lock = FileLock(str(config.sync.state_dir / "sync.lock"))
        self.run_id = ""

    def events(self) -> list[tuple[datetime, Callable[[], None]]]:
        return [(self.began, self.start), (self.ended, self.finish)]

    def start(self) -> None:
        self.config.sync.state_dir.mkdir(parents=True, exist_ok=True)
        self.lock.acquire(timeout=0)
        with State(self.config.sync.state_dir) as state:
            self.run_id = state.start_run(self.began)

    def finish(self) -> None:
        error = "Google is down." if self.status == "failed" else None
        with State(self.config.sync.state_dir) as state:
            state.finish_run(self.run_id, status=self.status, finished=self.ended, error=error)
        self.lock.release()


@pytest.fixture
def smtp() -> Iterator[tuple[int, Collector]]:
    controller, inbox = start_smtp()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def mail_to(port: int, **settings: Any) -> EmailConfig:
    return EmailConfig(
        smtp_host="127.0.0.1",
        smtp_port=port,
        recipients=("it@example.org",),
        subject_prefix="CCRC action plan",
        timeout=5,
        **settings,
    )


def drive(
    service: Service,
    clock: FakeClock,
    until: datetime,
    step: timedelta,
    events: Sequence[tuple[datetime, Callable[[], None]]] = (),
) -> None:
    """Tick the service every `step` of fake time up to `until` (what the loop does); each
    event happens before the first tick at or after its time."""
    pending = sorted(events, key=lambda e: e[0])
    while clock.now < until:
        while pending and pending[0][0] <= clock.now:
            pending.pop(0)[1]()
        service.tick()
        clock.now += step


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
    tmp_path: Path, smtp: tuple[int, Collector], caplog: pytest.LogCaptureFixture
) -> None:
    """A manual sync holds the real lock: five attempts are skipped, none is recorded or
    counted as a failure, and nobody is alerted."""
    port, inbox = smtp
    clock = FakeClock(utc(2026, 5, 6, 1))
    schedule = ScheduleConfig(failure_alert_after=2)
    config = a_config(tmp_path, schedule=schedule, email=mail_to(port))
    manual = ManualSync(config, "ok", clock.now, clock.now + timedelta(hours=1))
    manual.start()
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    try:
        service = Service(config, runner=FakeSync(clock), clock=clock)
        results = [service.run_once() for _ in range(5)]
    finally:
        manual.finish()
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


def _alert_lines(failures: int, state_dir: Path, error: str) -> list[str]:
    return [
        f"ccrc-sync on {socket.gethostname()} has failed {failures} runs in a row.",
        "",
        "Last attempt: Wed 06 May 2026 02:00 BST",
        f"Error: {error}",
        "Schedule: daily at 02:00 Europe/London",
        f"State directory: {state_dir}",
        "Config: built-in defaults",
        "",
        "Neither the workbook nor the Google Sheet is being kept in step until this is",
        "fixed. Check the service log, and run `ccrc-sync status` and `ccrc-sync sync`",
        "on that machine to see the problem. You will not get another alert until a",
        "run succeeds and then fails again.",
    ]


def test_the_alert_goes_out_once_per_run_of_failures(
    tmp_path: Path, smtp: tuple[int, Collector]
) -> None:
    port, inbox = smtp
    clock = FakeClock(utc(2026, 5, 6, 1))
    down = SheetError("Google is down.")
    config = a_config(tmp_path, schedule=ScheduleConfig(failure_alert_after=3), email=mail_to(port))
    service = Service(config, runner=FakeSync(clock, [down] * 5 + ["ok"] + [down] * 3), clock=clock)
    for _ in range(9):
        service.run_once()
    # After the 3rd failure, and after the 3rd of the next streak.
    assert len(inbox.envelopes) == 2
    assert inbox.envelopes[0].rcpt_tos == ["it@example.org"]
    first, second = inbox.messages()
    subject = "CCRC action plan: ALERT - the sync has failed 3 times in a row"
    assert first["Subject"] == second["Subject"] == subject
    text = first.get_content()
    assert text.splitlines() == _alert_lines(3, config.sync.state_dir, "Google is down.")


def test_a_restart_during_a_run_of_failures_does_not_alert_again(
    tmp_path: Path, smtp: tuple[int, Collector]
) -> None:
    port, inbox = smtp
    clock = FakeClock(utc(2026, 5, 6, 1))
    config = a_config(tmp_path, email=mail_to(port))
    for day in (1, 2, 3, 4):  # the alert went with the 3rd, before the restart
        record(config, utc(2026, 5, day, 1), "failed", error="down")
    service = Service(config, runner=FakeSync(clock, [SheetError("down")]), clock=clock)
    service._seed_failures()
    service.run_once()
    assert service.failures == 5 and inbox.envelopes == []


def test_an_alert_that_cannot_be_sent_is_retried_at_the_next_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The mail server is down when the alert is due (2nd failure); it is back by the 3rd:
    the alert arrives then, once, and not again for the 4th."""
    port = free_port()  # nothing listens here yet: the real mail module fails to connect
    clock = FakeClock(utc(2026, 5, 6, 1))
    schedule = ScheduleConfig(failure_alert_after=2)
    config = a_config(tmp_path, schedule=schedule, email=mail_to(port))
    service = Service(config, runner=FakeSync(clock, [SheetError("down")] * 4), clock=clock)
    caplog.set_level(logging.ERROR, logger="ccrc_sync.service")
    service.run_once()
    service.run_once()
    assert service.failures == 2 and not service.alerted
    assert [r.getMessage() for r in caplog.records][-1] == (
        "the failure alert could not be emailed: Could not connect to the SMTP server at "
        f"127.0.0.1:{port}: Connection refused."
    )
    controller, inbox = start_smtp(port)
    try:
        service.run_once()
        service.run_once()
    finally:
        controller.stop()
    assert service.failures == 4 and service.alerted
    assert [m["Subject"] for m in inbox.messages()] == [
        "CCRC action plan: ALERT - the sync has failed 3 times in a row"
    ]


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


# --------------------------------------------------------------------------- the report email


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"governance"
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def test_a_report_email_the_server_refuses_is_logged_counted_and_sent_once_it_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The mail server refuses the login (SMTP 535). Each run's report is refused and
    logged at ERROR, and counts towards the alert; the alert, through the same server, is
    refused too and tried again at the next failure. Once the password is put right, the
    next run sends its report and the two held back, and the streak is over."""
    controller, inbox = start_smtp(authenticator=_login, auth_require_tls=False)
    monkeypatch.setenv("CCRC_SYNC_SMTP_PASSWORD", "a-wrong-password")
    clock = FakeClock(utc(2026, 5, 6, 1))
    email = mail_to(controller.port, user="governance", when="always")
    config = a_config(tmp_path, schedule=ScheduleConfig(failure_alert_after=2), email=email)
    service = Service(config, runner=FakeSync(clock), clock=clock)
    refused = (
        f"The SMTP server at 127.0.0.1:{controller.port} refused the login for user "
        "'governance' (535); check the user and CCRC_SYNC_SMTP_PASSWORD."
    )
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    try:
        first = service.run_once()
        assert (first.status, first.email_problem) == ("ok", refused)
        errors = [
            r.getMessage()
            for r in caplog.records
            if r.name == "ccrc_sync.service" and r.levelno >= logging.ERROR
        ]
        assert errors == [f"the report of run {first.run_id} could not be emailed: {refused}"]
        assert service.failures == 1

        second = service.run_once()  # the second in a row: the alert is due, and refused
        assert service.failures == 2 and not service.alerted
        assert caplog.records[-1].getMessage() == (
            f"the failure alert could not be emailed: {refused}"
        )
        assert inbox.envelopes == []

        monkeypatch.setenv("CCRC_SYNC_SMTP_PASSWORD", PASSWORD)
        third = service.run_once()  # a run that does its whole job ends the streak
        assert (third.status, third.email_problem) == ("ok", None)
        assert service.failures == 0 and not service.alerted
    finally:
        controller.stop()
    subjects = [m["Subject"] for m in inbox.messages()]
    assert len(subjects) == 3 and not any("ALERT" in s for s in subjects)
    with State(config.sync.state_dir) as state:
        assert state.unsent_reports() == []
        sent = [r.run_id for r in state.runs() if r.report_sent]
    assert sorted(sent) == sorted([first.run_id, second.run_id, third.run_id])


def test_the_alert_says_when_what_failed_was_the_report_email(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A mail server that takes nothing over 4 KB refuses each report (with its .xlsx)
    but takes the short alert. A failed run and two unsent reports make one streak of
    three; the alert names the email as the last thing that failed."""
    controller, inbox = start_smtp(data_size_limit=4096)
    clock = FakeClock(utc(2026, 5, 6, 1))
    email = mail_to(controller.port, when="always")
    config = a_config(tmp_path, schedule=ScheduleConfig(failure_alert_after=3), email=email)
    script: list[Step] = ["ok", SheetError("Google is down."), "ok", SheetError("down")]
    service = Service(config, runner=FakeSync(clock, script), clock=clock)
    try:
        results = [service.run_once() for _ in range(4)]
    finally:
        controller.stop()
    assert [r.status for r in results] == ["ok", "failed", "ok", "failed"]
    # The server says at once (SMTP SIZE) that the message is too big: 552.
    problem = (
        f"The SMTP server at 127.0.0.1:{controller.port} refused the sender "
        "'ccrc-sync@localhost' (552)."
    )
    assert [r.email_problem for r in results] == [problem, None, problem, None]
    assert service.failures == 4 and service.alerted
    [alert] = inbox.messages()  # the 4th failure does not alert again
    assert alert["Subject"] == "CCRC action plan: ALERT - the sync has failed 3 times in a row"
    assert alert.get_content().splitlines() == _alert_lines(
        3, config.sync.state_dir, f"the report could not be emailed: {problem}"
    )


# --------------------------------------------------------------------------- owner digests


def test_serve_sends_the_owner_digests_once_a_week_and_says_when_the_next_go(
    tmp_path: Path, smtp: tuple[int, Collector], caplog: pytest.LogCaptureFixture
) -> None:
    """Monday 08:00 in London: the owners' digests go (an owner who is an address needs no
    [owners] entry); an hour later, nothing more."""
    port, inbox = smtp
    workbook = template_copy(tmp_path)
    wb = load_workbook(workbook)
    ws = wb["Action Plan"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if str(row[0].value) == "2":
            row[headers.index("Owner")].value = "casework@example.org"
            row[headers.index("Target Date")].value = dt.date(2026, 6, 30)  # overdue
            row[headers.index("Target Date")].number_format = "dd/mm/yyyy"
    wb.save(workbook)
    config = a_config(tmp_path, email=mail_to(port))
    config = config.model_copy(update={"workbook": WorkbookConfig(path=workbook)})
    clock = FakeClock(london(2026, 7, 6, 8, 0).astimezone(UTC))
    service = Service(config, runner=FakeSync(clock), clock=clock, digests=True)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    service.tick()
    clock.advance(hours=1)
    service.tick()
    assert [e.rcpt_tos for e in inbox.envelopes] == [["casework@example.org"]]
    digest_lines = [r.getMessage() for r in caplog.records if "owner digests" in r.getMessage()]
    assert digest_lines == [
        "owner digests: 1 sent, 0 skipped; the next go Mon 13 Jul 2026 08:00 BST"
    ]


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
