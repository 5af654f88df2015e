"""What the `serve` and `status` tests share: a clock that moves only when told, runs
recorded in a real state folder (the real `State`, as a sync leaves it), and `FakeSync`,
which plays `sync.run_sync` with every real part but the workbook and the Google Sheet.

A manual `ccrc-sync sync` is `ManualSync`: the test holding the same `sync.lock` while its
run is in the state as running."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from filelock import FileLock, Timeout

from ccrc_sync.config import Config, EmailConfig, ScheduleConfig, SyncConfig
from ccrc_sync.delivery import deliver, wanted
from ccrc_sync.errors import LockError
from ccrc_sync.merge import Conflict, ConflictKind
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.report import report_of, write_report
from ccrc_sync.schema import make_issue
from ccrc_sync.service import Service
from ccrc_sync.state import State

LONDON = ZoneInfo("Europe/London")
RUN_TIME = timedelta(minutes=1)  # how long a recorded run took


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=LONDON, fold=fold)


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


def a_config(
    root: Path, *, schedule: ScheduleConfig | None = None, email: EmailConfig | None = None
) -> Config:
    """The defaults, with the state (and so the reports) under the test's own folder."""
    return Config(
        sync=SyncConfig(state_dir=root / "state"),
        schedule=schedule or ScheduleConfig(),
        email=email or EmailConfig(),
    )


def record(
    config: Config,
    started: datetime,
    status: str = "ok",
    counts: dict[str, int] | None = None,
    error: str | None = None,
) -> str:
    """A run in the real state that finished with `status` a minute after it started
    ("running": left as a process killed mid-run leaves it). Returns its id."""
    with State(config.sync.state_dir) as state:
        run_id = state.start_run(started)
        if status != "running":
            state.finish_run(
                run_id, status=status, finished=started + RUN_TIME, counts=counts, error=error
            )
    return run_id


def run_ids(config: Config) -> list[str]:
    """The runs in the state, oldest first (none when no run has made a state)."""
    state = State.open_existing(config.sync.state_dir)
    if state is None:
        return []
    with state:
        return [r.run_id for r in reversed(state.runs())]


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
