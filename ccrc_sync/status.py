"""`ccrc-sync status`: is the nightly sync happening, and did the last one go well?

Read only: it opens the run history, judges it against the schedule, and writes nothing
(not even a state file where none exists yet), so a monitoring check can call it freely.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from ccrc_sync.config import Config, ScheduleConfig
from ccrc_sync.delivery import EMAIL_PROBLEM
from ccrc_sync.state import RunRecord, State
from ccrc_sync.timing import describe_schedule, format_local, next_run, previous_run, utc, zone_of

# --------------------------------------------------------------------------- status


class LastRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    started: datetime
    finished: datetime | None
    status: str
    counts: dict[str, int]
    error: str | None = None


class StatusReport(BaseModel):
    """`ccrc-sync status`: is the nightly sync happening, and did the last one go well?"""

    model_config = ConfigDict(frozen=True)

    healthy: bool
    problem: str | None
    checked_at: datetime
    schedule: str
    timezone: str
    last_run: LastRun | None
    last_success: datetime | None
    next_run: datetime
    open_conflicts: int | None  # as of the last run that got as far as merging
    consecutive_failures: int
    # Why the last report email did not go (it is sent with the next run), if it did not.
    email_problem: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.healthy else 1

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def render_text(self) -> str:
        from ccrc_sync.report.status_text import render_status

        return render_status(self)


def status(config: Config, now: datetime | None = None) -> StatusReport:
    """Read the run history and judge it against the schedule. Never writes anything."""
    cfg = config.schedule
    now = now or datetime.now(UTC)
    last = success = None
    failures = 0
    email_problem = None
    state = State.open_existing(config.sync.state_dir)
    if state is not None:
        with state:
            last = state.last_run()
            success = state.last_success()
            failures = state.consecutive_failures()
            email_problem = state.get_meta(EMAIL_PROBLEM) or None
    last_run = _last_run_model(last, zone_of(cfg))
    healthy, problem = _judge(last_run, failures, now, cfg)
    if healthy and email_problem:
        healthy, problem = (
            False,
            (
                f"The last report could not be emailed ({email_problem}); it is kept and goes "
                "with the next run that sends mail."
            ),
        )
    conflicts_from = last if last is not None and last.status != "failed" else success
    open_conflicts = None
    if conflicts_from is not None:
        open_conflicts = int(conflicts_from.counts.get("conflicts", 0))
    return StatusReport(
        healthy=healthy,
        problem=problem,
        checked_at=now.astimezone(zone_of(cfg)),
        schedule=describe_schedule(cfg),
        timezone=cfg.timezone,
        last_run=last_run,
        last_success=None if success is None else success.started.astimezone(zone_of(cfg)),
        next_run=next_run(now, cfg),
        open_conflicts=open_conflicts,
        consecutive_failures=failures,
        email_problem=email_problem,
    )


def _last_run_model(record: RunRecord | None, zone: ZoneInfo) -> LastRun | None:
    if record is None:
        return None
    finished = record.finished
    return LastRun(
        run_id=record.run_id,
        started=record.started.astimezone(zone),
        finished=None if finished is None else finished.astimezone(zone),
        status=record.status,
        counts={str(k): int(v) for k, v in record.counts.items() if v is not None},
        error=record.error or None,
    )


def _judge(
    last: LastRun | None, failures: int, now: datetime, cfg: ScheduleConfig
) -> tuple[bool, str | None]:
    """Healthy unless: no run yet, the last run failed, or a due run has not happened."""
    if last is None:
        return False, (
            "The sync has not run yet. Start `ccrc-sync serve` (or the system service), "
            "or run `ccrc-sync sync` once."
        )
    if last.status == "failed":
        times = f" ({failures} failed runs in a row)" if failures > 1 else ""
        why = f": {last.error}" if last.error else ""
        return (
            False,
            f"The last run, {format_local(last.started, zone_of(cfg))}, failed{times}{why}",
        )
    due = previous_run(now - timedelta(minutes=cfg.status_grace_minutes), cfg)
    if utc(last.started) < utc(due):
        return False, (
            f"No run since {format_local(last.started, zone_of(cfg))}, though one was due "
            f"{format_local(due, zone_of(cfg))}. Is `ccrc-sync serve` (or its system service) running?"
        )
    return True, None
