"""`serve` scheduling and `status`, driven by a fake clock: nothing here sleeps for real.

The runner plays `sync.run_sync`: it returns real, typed `SyncOutcome`s and refuses with
`LockError` while a manual run holds the lock. The run history is an in-memory stand-in with
`state.State`'s rules (a killed or failed run is not a success), and the real State where it
matters; the end-to-end test with the real sync is in test_service_e2e.py. The alert goes
through the real mail module to a real SMTP server.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccrc_sync.config import Config, EmailConfig, LoggingConfig, ScheduleConfig
from ccrc_sync.delivery import EMAIL_PROBLEM
from ccrc_sync.errors import CcrcSyncError, LockError, SheetError, WorkbookBusy
from ccrc_sync.logs import setup_logging
from ccrc_sync.merge import Conflict, ConflictKind
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report.status_text import render_status as render_text
from ccrc_sync.schema import make_issue
from ccrc_sync.service import RETRY_AFTER_SKIP, Service
from ccrc_sync.status import status
from ccrc_sync.timing import (
    local_instant,
    missed_run,
    next_daily_run,
    next_office_run,
    next_run,
    previous_run,
)

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=LONDON, fold=fold)


# --------------------------------------------------------------------------- stand-ins


class FakeClock:
    """An aware clock that moves only when told to (or by `step` on every reading)."""

    def __init__(self, start: datetime, step: timedelta = timedelta(0)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


RUN_TIME = timedelta(minutes=1)  # how long a fake run takes, as recorded in the history


@dataclass
class Record:
    """Shaped like state.RunRecord."""

    run_id: str
    started: datetime
    finished: datetime | None
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def ran(
    run_id: str,
    started: datetime,
    status: str = "ok",
    counts: dict[str, int] | None = None,
    error: str | None = None,
) -> Record:
    """A run that finished with `status` a minute after it started."""
    return Record(run_id, started, started + RUN_TIME, status, counts or {}, error)


class History:
    """Shaped like the part of state.State that serve and status read, with its rules: a
    run still going (or killed) is neither the last run nor a success.

    With a clock, a run whose `finished` is still in the future is still going.
    """

    def __init__(self, records: list[Record] | None = None, clock: FakeClock | None = None):
        self.records = list(records or [])
        self.clock = clock
        self.meta: dict[str, str] = {}

    def _finished(self) -> list[Record]:
        now = None if self.clock is None else self.clock.now
        return [
            r
            for r in self.records
            if r.status in ("ok", "flagged", "failed")
            and (now is None or r.finished is None or r.finished <= now)
        ]

    def last_run(self) -> Record | None:
        done = self._finished()
        return done[-1] if done else None

    def last_success(self) -> Record | None:
        good = [r for r in self._finished() if r.status != "failed"]
        return good[-1] if good else None

    def consecutive_failures(self) -> int:
        n = 0
        for r in reversed(self._finished()):
            if r.status != "failed":
                break
            n += 1
        return n

    def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)


SMTP_535 = "(535, b'5.7.8 Username and Password not accepted')"


@dataclass(frozen=True)
class EmailFails:
    """A script step: the run is ok, but its report email is refused (as
    `delivery.deliver` records it: on the outcome, and in the state's meta)."""

    reason: str = SMTP_535


def a_conflict(rec_no: str) -> Conflict:
    return Conflict(rec_no, "Status", "Planned", "Complete", "In Progress", ConflictKind.EDIT)


A_WARNING = make_issue(
    "text.whitespace", sheet="Action Plan", cell="F4", rec_no="3", field="Owner", value=" Jo "
)


class Runner:
    """Plays `run_sync`: records the run in the history, returns or raises from a script.

    Like the real sync it refuses with LockError, recording nothing, while another run (a
    manual one, in the history as `manual...`) holds the cross-process lock.
    """

    def __init__(self, clock: FakeClock, history: History, script: list | None = None) -> None:
        self.clock, self.history = clock, history
        self.script = list(script or [])
        self.starts: list[datetime] = []

    def __call__(self, config: Config) -> SyncOutcome:
        started = self.clock()
        self.starts.append(started)
        if any(
            r.run_id.startswith("manual") and r.started <= started < (r.finished or started)
            for r in self.history.records
        ):
            raise LockError("Another sync is already running (it holds var/state/sync.lock).")
        run_id = str(len(self.starts))
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, LockError):  # the real lock refuses before recording anything
            raise step
        if isinstance(step, BaseException):
            self.history.records.append(ran(run_id, started, "failed", error=str(step)))
            raise step
        outcome = SyncOutcome(RunStatus.OK, run_id, issues=[A_WARNING])
        if isinstance(step, EmailFails):
            outcome.emailed, outcome.email_problem = False, step.reason
            self.history.meta[EMAIL_PROBLEM] = step.reason
        elif step == "flagged":
            outcome.status, outcome.conflicts = (
                RunStatus.FLAGGED,
                [a_conflict("5"), a_conflict("20a")],
            )
        else:
            assert step == "ok", step
        counts = {"conflicts": len(outcome.conflicts), **outcome.counts()}
        self.history.records.append(ran(run_id, started, outcome.status.value, counts=counts))
        return outcome


def make_service(
    clock: FakeClock,
    history: History | None = None,
    script: list | None = None,
    *,
    schedule: ScheduleConfig | None = None,
    email: EmailConfig | None = None,
    alerts: list | None = None,
) -> tuple[Service, Runner]:
    history = history if history is not None else History()
    runner = Runner(clock, history, script)
    config = Config(schedule=schedule or ScheduleConfig(), email=email or EmailConfig())
    sender = None if alerts is None else (lambda subject, text: alerts.append((subject, text)))
    service = Service(config, runner=runner, clock=clock, history=history, alert=sender)
    return service, runner


def drive(service: Service, clock: FakeClock, until: datetime, step: timedelta) -> None:
    """Tick the service every `step` of fake time up to `until` (what the loop does)."""
    while clock.now < until:
        service.tick()
        clock.now += step


# --------------------------------------------------------------------------- daily time


def test_runs_daily_at_the_configured_local_time() -> None:
    cfg = ScheduleConfig()  # 02:00 Europe/London
    # Winter (GMT) and summer (BST): 02:00 on the wall clock both times.
    assert next_daily_run(utc(2026, 1, 14, 12), cfg) == london(2026, 1, 15, 2)
    assert next_daily_run(utc(2026, 7, 14, 12), cfg) == london(2026, 7, 15, 2)
    assert next_daily_run(utc(2026, 7, 14, 12), cfg).astimezone(UTC) == utc(2026, 7, 15, 1)
    # Just before the time: tonight; at the time itself: tomorrow (strictly after).
    assert next_daily_run(london(2026, 1, 15, 1, 59), cfg) == london(2026, 1, 15, 2)
    assert next_daily_run(london(2026, 1, 15, 2), cfg) == london(2026, 1, 16, 2)
    assert ScheduleConfig(time="23:59:30").time == "23:59:30"
    assert next_daily_run(utc(2026, 1, 14, 12), ScheduleConfig(time="23:59:30")) == london(
        2026, 1, 14, 23, 59, 30
    )


@pytest.mark.parametrize(
    ("at", "expected_utc"),
    [
        ("00:30", utc(2026, 3, 29, 0, 30)),  # before the change: still GMT
        ("01:00", utc(2026, 3, 29, 1, 0)),  # 01:00 does not exist: 02:00 BST
        ("01:30", utc(2026, 3, 29, 1, 0)),  # does not exist: the first valid instant
        ("01:59:59", utc(2026, 3, 29, 1, 0)),
        ("02:00", utc(2026, 3, 29, 1, 0)),  # 02:00 BST
        ("02:30", utc(2026, 3, 29, 1, 30)),
        ("03:00", utc(2026, 3, 29, 2, 0)),
    ],
)
def test_spring_forward_day_runs_once_at_the_first_valid_instant(
    at: str, expected_utc: datetime
) -> None:
    cfg = ScheduleConfig(time=at)
    tonight = next_daily_run(utc(2026, 3, 28, 12), cfg)
    assert tonight.astimezone(UTC) == expected_utc
    # The day before and the day after are ordinary.
    h, m, *_ = (int(p) for p in at.split(":"))
    assert next_daily_run(utc(2026, 3, 27, 12), cfg) == london(2026, 3, 28, h, m, *_[:1] or [0])
    assert next_daily_run(tonight, cfg).astimezone(LONDON).date() == date(2026, 3, 30)
    assert next_daily_run(tonight, cfg).astimezone(LONDON).strftime("%H:%M") == f"{h:02}:{m:02}"


@pytest.mark.parametrize(
    ("at", "expected_utc"),
    [
        ("00:30", utc(2026, 10, 24, 23, 30)),  # BST
        ("01:00", utc(2026, 10, 25, 0, 0)),  # 01:00 happens twice: the first one (BST)
        ("01:30", utc(2026, 10, 25, 0, 30)),
        ("01:59", utc(2026, 10, 25, 0, 59)),
        ("02:00", utc(2026, 10, 25, 2, 0)),  # GMT from here
        ("02:30", utc(2026, 10, 25, 2, 30)),
    ],
)
def test_fall_back_day_runs_once_at_the_first_occurrence(at: str, expected_utc: datetime) -> None:
    cfg = ScheduleConfig(time=at)
    tonight = next_daily_run(utc(2026, 10, 24, 12), cfg)
    assert tonight.astimezone(UTC) == expected_utc
    assert tonight.fold == 0
    # The next run is the next day's, not the repeat of the same wall time an hour later.
    following = next_daily_run(tonight, cfg)
    assert following.astimezone(LONDON).date() == date(2026, 10, 26)


@pytest.mark.parametrize("at", ["00:30", "01:00", "01:30", "02:00", "02:30", "03:00"])
@pytest.mark.parametrize("change_day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_the_service_runs_exactly_once_a_night_across_each_clock_change(
    at: str, change_day: date
) -> None:
    """Minute by minute through three days around each change: three runs, one per night."""
    start = datetime.combine(change_day - timedelta(days=1), datetime.min.time(), LONDON)
    clock = FakeClock(start.replace(hour=12).astimezone(UTC))
    # A run was made last night, so there is nothing to catch up.
    history = History([ran("0", clock.now - timedelta(hours=1), "ok")])
    service, runner = make_service(clock, history, schedule=ScheduleConfig(time=at))
    drive(service, clock, clock.now + timedelta(days=3), timedelta(minutes=1))
    days = [s.astimezone(LONDON).date() for s in runner.starts]
    assert days == [change_day + timedelta(days=i) for i in range(3)]


def test_the_skipped_hour_is_handled_in_any_zone() -> None:
    # New York springs forward at 02:00 on 2026-03-08: 02:30 does not exist there.
    cfg = ScheduleConfig(time="02:30", timezone="America/New_York")
    run = next_daily_run(utc(2026, 3, 7, 20), cfg)
    assert run.astimezone(UTC) == utc(2026, 3, 8, 7)  # 03:00 EDT, the end of the gap
    assert local_instant(date(2026, 3, 9), run.time(), ZoneInfo(cfg.timezone)) == utc(2026, 3, 9, 7)


# --------------------------------------------------------------------------- office hours


def test_office_hours_runs_on_weekdays_between_the_nightly_runs() -> None:
    cfg = ScheduleConfig(office_hours="08:00-18:00", office_interval_minutes=120)
    friday_morning = london(2026, 3, 27, 7, 0)
    assert next_office_run(friday_morning, cfg) == london(2026, 3, 27, 8)
    assert next_run(london(2026, 3, 27, 8, 0), cfg) == london(2026, 3, 27, 10)
    # 18:00 is included; after it, the nightly run, then nothing until Monday 08:00.
    assert next_run(london(2026, 3, 27, 17, 0), cfg) == london(2026, 3, 27, 18)
    assert next_run(london(2026, 3, 27, 18, 0), cfg) == london(2026, 3, 28, 2)
    assert next_office_run(london(2026, 3, 27, 18, 0), cfg) == london(2026, 3, 30, 8)
    # Without office hours configured there are no office runs.
    assert next_office_run(friday_morning, ScheduleConfig()) is None


def test_office_hours_must_be_configured_whole() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="set together"):
        ScheduleConfig(office_hours="08:00-18:00")
    with pytest.raises(ValidationError, match="start before it ends"):
        ScheduleConfig(office_hours="18:00-08:00", office_interval_minutes=30)
    with pytest.raises(ValidationError, match="24-hour time"):
        ScheduleConfig(time="2am")


# --------------------------------------------------------------------------- catch-up


def test_missed_run_is_judged_from_the_latest_scheduled_time() -> None:
    cfg = ScheduleConfig()
    now = london(2026, 5, 6, 9, 0)
    assert missed_run(None, now, cfg)  # no history at all
    assert not missed_run(london(2026, 5, 6, 2, 0, 3), now, cfg)  # last night's run
    assert missed_run(london(2026, 5, 5, 2, 0, 3), now, cfg)  # last night was missed
    assert missed_run(london(2026, 5, 1, 2, 0), now, cfg)  # a five-day outage: owed
    assert not missed_run(london(2026, 5, 6, 1, 59), london(2026, 5, 6, 1, 59, 30), cfg)
    assert previous_run(now, cfg) == london(2026, 5, 6, 2)


def test_first_start_with_no_history_runs_at_once() -> None:
    clock = FakeClock(london(2026, 5, 6, 14, 0).astimezone(UTC))
    service, runner = make_service(clock)
    result = service.tick()
    assert result is not None and result.status == "ok" and result.reason == "catch-up"
    assert runner.starts == [london(2026, 5, 6, 14, 0)]
    assert service.due == london(2026, 5, 7, 2)


def test_catch_up_after_a_multi_day_outage_runs_once_not_once_per_night() -> None:
    clock = FakeClock(london(2026, 5, 9, 10, 0).astimezone(UTC))
    history = History([ran("1", london(2026, 5, 5, 2, 0), "ok")])  # 4 nights ago
    service, runner = make_service(clock, history)
    drive(service, clock, london(2026, 5, 10, 12, 0), timedelta(minutes=5))
    assert runner.starts == [london(2026, 5, 9, 10, 0), london(2026, 5, 10, 2, 0)]


def test_no_catch_up_when_last_night_ran_or_catch_up_is_off() -> None:
    clock = FakeClock(london(2026, 5, 6, 10, 0).astimezone(UTC))
    history = History([ran("1", london(2026, 5, 6, 2, 0), "ok")])
    service, runner = make_service(clock, history)
    assert service.tick() is None
    assert runner.starts == []

    off, runner = make_service(clock, History(), schedule=ScheduleConfig(catch_up=False))
    assert off.tick() is None
    assert runner.starts == [] and off.due == london(2026, 5, 7, 2)


# --------------------------------------------------------------------------- no overlap


def test_runs_never_overlap_in_the_process() -> None:
    clock = FakeClock(utc(2026, 5, 6, 1))
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_runner(config: Config) -> SyncOutcome:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return SyncOutcome(RunStatus.OK, "1")

    service = Service(Config(), runner=slow_runner, clock=clock, history=History())
    first: list = []
    worker = threading.Thread(target=lambda: first.append(service.run_once()))
    worker.start()
    assert started.wait(10)
    second = service.run_once()  # while the first is still going
    release.set()
    worker.join(10)
    assert second.status == "skipped"
    assert first[0].status == "ok"
    assert len(calls) == 1


def test_a_run_refused_by_the_cross_process_lock_is_skipped_not_failed() -> None:
    clock = FakeClock(utc(2026, 5, 6, 1))
    alerts: list = []
    script = [LockError("Another sync is already running.")] * 5
    service, _ = make_service(
        clock, script=script, email=EmailConfig(recipients=("it@example.org",)), alerts=alerts
    )
    results = [service.run_once() for _ in range(5)]
    assert {r.status for r in results} == {"skipped"}
    assert service.failures == 0 and alerts == []


# --------------------------------------------------------------------------- failures


def test_failures_are_logged_and_the_service_carries_on(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(london(2026, 5, 6, 1, 0).astimezone(UTC))
    history = History([ran("0", london(2026, 5, 5, 2, 0), "ok")])
    script = [
        SheetError("The Google Sheet could not be reached after 60s of retries."),
        WorkbookBusy("The workbook is open in Excel."),
        RuntimeError("a bug"),
        "ok",
    ]
    service, runner = make_service(clock, history, script)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    drive(service, clock, london(2026, 5, 9, 12, 0), timedelta(minutes=10))
    assert len(runner.starts) == 4  # four nights, one run each, despite three failures
    assert [r.status for r in service.results] == ["failed", "failed", "failed", "ok"]
    run_lines = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.getMessage().startswith("run ")
    ]
    assert run_lines == [
        ("ERROR", "run 1 (scheduled) failed in 0.0s: The Google Sheet could not be reached "
                  "after 60s of retries."),
        ("ERROR", "run 2 (scheduled) failed in 0.0s: The workbook is open in Excel."),
        ("ERROR", "run 3 (scheduled) failed in 0.0s: unexpected error: RuntimeError: a bug"),
        ("INFO", "run 4 (scheduled) ok in 0.0s: 0 changes, 0 conflicts, 0 errors, 1 warning, "
                 "0 info"),
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
    from ccrc_sync.config import SyncConfig
    from ccrc_sync.merge import Change, Side
    from ccrc_sync.report import report_of
    from ccrc_sync.report.status_text import counts_in_words

    cells = [
        Change(rec, name, Side.WORKBOOK, Side.SHEET, None, "x", new_row=True)
        for rec in ("1", "2")
        for name in ("Status", "Owner", "Notes")
    ]
    outcome = SyncOutcome(RunStatus.OK, "7", changes=cells, published=2)
    clock = FakeClock(utc(2026, 5, 6, 1))
    config = Config(sync=SyncConfig(state_dir=tmp_path / "state"))
    service = Service(config, runner=lambda config: outcome, clock=clock)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    service.run_once()
    said = "2 changes, 0 conflicts, 0 errors, 0 warnings, 0 info"
    assert [r.getMessage() for r in caplog.records] == [f"run 7 (scheduled) ok in 0.0s: {said}"]
    report = report_of(
        outcome, started=clock.now, finished=clock.now, workbook="plan.xlsx", spreadsheet_id="s"
    )
    assert counts_in_words(report.counts) == said


def test_the_alert_goes_out_once_per_run_of_failures() -> None:
    clock = FakeClock(utc(2026, 5, 6, 1))
    alerts: list[tuple[str, str]] = []
    down = SheetError("Google is down.")
    script = [down] * 5 + ["ok"] + [down] * 3
    email = EmailConfig(recipients=("it@example.org",), subject_prefix="CCRC action plan")
    service, _ = make_service(
        clock,
        script=script,
        schedule=ScheduleConfig(failure_alert_after=3),
        email=email,
        alerts=alerts,
    )
    for _ in range(9):
        service.run_once()
    assert len(alerts) == 2  # after the 3rd failure, and after the 3rd of the next streak
    subject, text = alerts[0]
    assert subject == "CCRC action plan: ALERT - the sync has failed 3 times in a row"
    assert text.splitlines() == [
        f"ccrc-sync on {socket.gethostname()} has failed 3 runs in a row.",
        "",
        "Last attempt: Wed 06 May 2026 02:00 BST",
        "Error: Google is down.",
        "Schedule: daily at 02:00 Europe/London",
        "State directory: var/state",
        "Config: built-in defaults",
        "",
        "Neither the workbook nor the Google Sheet is being kept in step until this is",
        "fixed. Check the service log, and run `ccrc-sync status` and `ccrc-sync sync`",
        "on that machine to see the problem. You will not get another alert until a",
        "run succeeds and then fails again.",
    ]
    assert alerts[1][0] == subject  # the second streak, alerted at its 3rd failure too


def test_a_restart_during_a_run_of_failures_does_not_alert_again() -> None:
    clock = FakeClock(utc(2026, 5, 6, 1))
    records = [ran(str(i), utc(2026, 5, i, 1), "failed") for i in (1, 2, 3, 4)]
    alerts: list = []
    service, _ = make_service(
        clock,
        History(records),
        [SheetError("down")],
        email=EmailConfig(recipients=("it@example.org",)),
        alerts=alerts,
    )
    service._seed_failures()
    service.run_once()
    assert service.failures == 5 and alerts == []


@dataclass
class Received:
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # the name aiosmtpd calls
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Received]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd cannot take port 0, so find a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Received()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_the_alert_arrives_by_real_smtp(smtp_server: tuple[int, Received]) -> None:
    port, received = smtp_server
    clock = FakeClock(utc(2026, 5, 6, 1))
    email = EmailConfig(
        smtp_host="127.0.0.1", smtp_port=port, recipients=("it@example.org",), timeout=5
    )
    runner = Runner(clock, History(), [SheetError("Google is down.")] * 2)
    config = Config(schedule=ScheduleConfig(failure_alert_after=2), email=email)
    service = Service(config, runner=runner, clock=clock, history=runner.history)
    service.run_once()
    assert received.messages == []
    service.run_once()
    assert len(received.messages) == 1
    envelope = received.messages[0]
    assert envelope.rcpt_tos == ["it@example.org"]
    message = message_from_bytes(envelope.content)
    assert message["Subject"] == "CCRC action plan: ALERT - the sync has failed 2 times in a row"
    body = message.get_payload(decode=True).decode().splitlines()
    assert body[0] == f"ccrc-sync on {socket.gethostname()} has failed 2 runs in a row."
    assert body[3] == "Error: Google is down."


def test_an_alert_that_cannot_be_sent_is_retried_at_the_next_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The mail server is down when the alert is due (2nd failure); it is back by the 3rd:
    the alert arrives then, once, and not again for the 4th."""
    from smtphelp import free_port, start_smtp

    port = free_port()  # nothing listens here yet: the real mail module fails to connect
    clock = FakeClock(utc(2026, 5, 6, 1))
    email = EmailConfig(smtp_host="127.0.0.1", smtp_port=port, recipients=("a@b.org",), timeout=5)
    runner = Runner(clock, History(), [SheetError("down")] * 4)
    config = Config(schedule=ScheduleConfig(failure_alert_after=2), email=email)
    service = Service(config, runner=runner, clock=clock, history=runner.history)
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


# --------------------------------------------------------------------------- the loop


def test_the_loop_runs_on_schedule_and_stops_on_the_stop_event() -> None:
    """The real `schedule`-driven loop with a fake clock that moves 10 minutes per reading."""
    clock = FakeClock(london(2026, 3, 27, 12, 0).astimezone(UTC), step=timedelta(minutes=10))
    history = History([ran("0", london(2026, 3, 27, 2, 0), "ok")])
    runner = Runner(clock, history)
    stop = threading.Event()

    def runner_then_stop(config: Config) -> SyncOutcome:
        outcome = runner(config)
        if len(runner.starts) == 3:
            stop.set()
        return outcome

    service = Service(
        Config(),
        runner=runner_then_stop,
        clock=clock,
        history=history,
        stop_event=stop,
        tick_seconds=0.001,
    )
    assert service.run() == 0
    local = [s.astimezone(LONDON) for s in runner.starts]
    assert [d.date() for d in local] == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    for start in local:
        assert timedelta(0) <= start - start.replace(hour=2, minute=0) < timedelta(minutes=40)


def test_sigterm_during_a_run_lets_it_finish_then_exits_0() -> None:
    clock = FakeClock(london(2026, 5, 6, 12, 0).astimezone(UTC), step=timedelta(minutes=1))
    finished: list[str] = []

    def runner(config: Config) -> SyncOutcome:
        os.kill(os.getpid(), signal.SIGTERM)  # as systemd would, mid-run
        finished.append("done")
        return SyncOutcome(RunStatus.OK, "1")

    before = signal.getsignal(signal.SIGTERM)
    service = Service(Config(), runner=runner, clock=clock, history=History(), tick_seconds=0.01)
    assert service.run() == 0
    assert finished == ["done"]  # the run was not cut short, and no other run started
    assert signal.getsignal(signal.SIGTERM) is before  # handlers are put back


# --------------------------------------------------------------------------- status


def test_status_with_no_history_is_unhealthy() -> None:
    report = status(Config(), utc(2026, 5, 6, 9), history=History())
    assert not report.healthy and report.exit_code == 1
    assert report.problem == (
        "The sync has not run yet. Start `ccrc-sync serve` (or the system service), or run "
        "`ccrc-sync sync` once."
    )
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


def test_status_with_no_state_directory_writes_nothing(tmp_path: Path) -> None:
    from ccrc_sync.config import SyncConfig

    config = Config(sync=SyncConfig(state_dir=tmp_path / "state"))
    report = status(config, utc(2026, 5, 6, 9))
    assert not report.healthy and not (tmp_path / "state").exists()


def test_status_after_last_nights_run_is_healthy_and_says_what_it_did() -> None:
    counts = {"conflicts": 2, "error": 0, "warning": 5, "info": 1, "changes": 3}
    history = History([ran("41", london(2026, 5, 6, 2, 0, 1), "flagged", counts)])
    report = status(Config(), london(2026, 5, 6, 9, 0), history=history)
    assert report.healthy and report.problem is None and report.exit_code == 0
    assert report.open_conflicts == 2 and report.consecutive_failures == 0
    assert render_text(report).splitlines() == [
        "ccrc-sync: healthy",
        "Open conflicts:    2 conflicts are open; see the Sync Issues tab on either side.",
        "Last run:          Wed 06 May 2026 02:00:01 BST, flagged (run 41): 3 changes, "
        "2 conflicts, 0 errors, 5 warnings, 1 info",
        "Next run:          Thu 07 May 2026 02:00 BST",
        "Schedule:          daily at 02:00 Europe/London",
        "Failures in a row: 0",
    ]
    data = json.loads(report.to_json())
    assert data["healthy"] is True and data["last_run"]["run_id"] == "41"
    assert data["next_run"] == "2026-05-07T02:00:00+01:00"


def test_status_when_the_last_run_failed() -> None:
    records = [
        ran("1", london(2026, 5, 4, 2), "ok", {"conflicts": 1}),
        ran("2", london(2026, 5, 5, 2), "failed", {}, "Google is down."),
        ran("3", london(2026, 5, 6, 2), "failed", {}, "Google is down."),
    ]
    report = status(Config(), london(2026, 5, 6, 9), history=History(records))
    assert not report.healthy
    assert report.consecutive_failures == 2
    assert report.problem == (
        "The last run, Wed 06 May 2026 02:00 BST, failed (2 failed runs in a row): Google is down."
    )
    assert report.open_conflicts == 1  # as of the last run that got that far
    assert render_text(report).splitlines()[2:5] == [
        "Open conflicts:    1 conflict is open; see the Sync Issues tab on either side.",
        "Last run:          Wed 06 May 2026 02:00 BST, failed (run 3)",
        "Last success:      Mon 04 May 2026 02:00 BST",
    ]


def test_status_when_the_nightly_run_is_overdue() -> None:
    history = History([ran("1", london(2026, 5, 5, 2, 0, 2), "ok")])
    # 03:30 on the 6th: tonight's run may still be going (within the 2-hour grace).
    assert status(Config(), london(2026, 5, 6, 3, 30), history=history).healthy
    # 04:30: it should have started by now.
    late = status(Config(), london(2026, 5, 6, 4, 30), history=history)
    assert not late.healthy
    assert late.problem == (
        "No run since Tue 05 May 2026 02:00:02 BST, though one was due Wed 06 May 2026 02:00 "
        "BST. Is `ccrc-sync serve` (or its system service) running?"
    )


def test_status_reads_the_real_run_history(tmp_path: Path) -> None:
    from ccrc_sync.config import SyncConfig
    from ccrc_sync.state import State

    config = Config(sync=SyncConfig(state_dir=tmp_path / "state"))
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


@pytest.mark.parametrize(
    ("last_night", "owed"),
    [("ok", False), ("flagged", False), ("failed", True), ("killed", True), ("interrupted", True)],
)
def test_catch_up_is_judged_from_the_last_successful_run_in_the_real_history(
    tmp_path: Path, last_night: str, owed: bool
) -> None:
    """A run that failed, or was killed mid-way, did not do the night's work: a service
    started the next morning owes a catch-up run. One that reconciled the sides did it."""
    from ccrc_sync.config import SyncConfig
    from ccrc_sync.state import State

    config = Config(sync=SyncConfig(state_dir=tmp_path / "state"))
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
    history = History([ran("0", _at(2, 0, day=5)), Record("manual", began, ended, status_)], clock)
    service, runner = make_service(clock, history)
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")
    drive(service, clock, _at(3, 0, day=7), timedelta(minutes=1))
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
    manual_status: str, starts: list[datetime]
) -> None:
    """Started at 09:00 after a night without a run, while a manual sync (08:59-09:01)
    holds the lock: the owed run is not dropped until the next night."""
    clock = FakeClock(_at(9, 0).astimezone(UTC))
    records = [ran("0", _at(2, 0, day=5)), Record("manual", _at(8, 59), _at(9, 1), manual_status)]
    service, runner = make_service(clock, History(records, clock))
    drive(service, clock, _at(12, 0), timedelta(minutes=1))
    assert runner.starts == starts
    assert [r.status for r in service.results] == ["skipped", "ok"][: len(starts)]
    assert [r.reason for r in service.results] == ["catch-up"] * len(starts)
    assert service.due == london(2026, 5, 7, 2)


# --------------------------------------------------------------------------- the report email


def test_a_report_email_that_fails_is_logged_at_error_and_counts_towards_the_alert(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(utc(2026, 5, 6, 1))
    alerts: list[tuple[str, str]] = []
    email = EmailConfig(recipients=("it@example.org",), subject_prefix="CCRC action plan")
    service, _ = make_service(
        clock,
        script=[EmailFails(), EmailFails(), "ok", EmailFails(), SheetError("Google is down.")],
        schedule=ScheduleConfig(failure_alert_after=2),
        email=email,
        alerts=alerts,
    )
    caplog.set_level(logging.INFO, logger="ccrc_sync.service")

    first = service.run_once()
    assert (first.status, first.email_problem) == ("ok", SMTP_535)
    errors = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [("ERROR", f"the report of run 1 could not be emailed: {SMTP_535}")]
    assert service.failures == 1 and alerts == []

    service.run_once()  # the second in a row: the alert goes, naming why
    assert service.failures == 2
    [(subject, text)] = alerts
    assert subject == "CCRC action plan: ALERT - the sync has failed 2 times in a row"
    assert f"Error: the report could not be emailed: {SMTP_535}" in text.splitlines()

    service.run_once()  # a run that does its whole job ends the streak
    assert service.failures == 0 and not service.alerted
    service.run_once()  # an email failure and then a failed run make a new streak of two
    service.run_once()
    assert service.failures == 2 and len(alerts) == 2
    assert "Error: Google is down." in alerts[1][1].splitlines()


def test_status_shows_a_report_that_could_not_be_emailed() -> None:
    history = History([ran("41", london(2026, 5, 6, 2, 0, 1), "ok", {"conflicts": 0})])
    history.meta[EMAIL_PROBLEM] = SMTP_535
    report = status(Config(), london(2026, 5, 6, 9, 0), history=history)
    problem = (
        f"The last report could not be emailed ({SMTP_535}); it is kept and goes with the next "
        "run that sends mail."
    )
    assert not report.healthy and report.exit_code == 1
    assert (report.problem, report.email_problem) == (problem, SMTP_535)
    assert render_text(report).splitlines()[:2] == ["ccrc-sync: PROBLEM", f"  {problem}"]
    assert json.loads(report.to_json())["email_problem"] == SMTP_535
    history.meta[EMAIL_PROBLEM] = ""  # what delivery leaves once a report has gone again
    again = status(Config(), london(2026, 5, 6, 9, 0), history=history)
    assert again.healthy and again.problem is None and again.email_problem is None


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
    runner = Runner(clock, History(), [leaky])
    service = Service(Config(), runner=runner, clock=clock, history=runner.history)
    service.run_once()
    logging.getLogger("ccrc_sync.test").debug("not shown at INFO")
    text = log_file.read_text(encoding="utf-8")
    [line] = text.splitlines()
    assert line.endswith(
        " ERROR ccrc_sync.service: run 1 (scheduled) failed in 0.0s: "
        "SMTP login failed for password [redacted]"
    )
    assert "hunter2-secret" not in text
    assert "not shown at INFO" not in text
    for _ in range(100):  # rotation keeps the file bounded
        logging.getLogger("ccrc_sync.test").info("x" * 100)
    assert log_file.stat().st_size <= 2048
    assert (tmp_path / "logs" / "ccrc-sync.log.1").exists()
