"""What the `serve` and `status` tests share: a clock that moves only when told, and runs
recorded in a real state folder (the real `State`, as a sync leaves it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ccrc_sync.config import Config, EmailConfig, ScheduleConfig, SyncConfig
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
