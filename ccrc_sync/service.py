"""`ccrc-sync serve` and `ccrc-sync status`: when the nightly sync runs, and whether it did.

All timing is pure functions of an instant and the `ScheduleConfig`, so it can be tested with
any clock. The `schedule` library drives the loop: it ticks every second and each tick asks
those functions whether a run is due. We do not use schedule's own `.at(..., tz)`, which
needs pytz; zoneinfo gives us both clock changes exactly.

Every comparison of instants is made in UTC. Python compares two datetimes that share a
tzinfo by their wall time and ignores `fold`, which is wrong in the hour that repeats when
the clocks go back.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import FrameType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import schedule
from pydantic import BaseModel, ConfigDict

from ccrc_sync.config import Config, LoggingConfig, ScheduleConfig
from ccrc_sync.errors import CcrcSyncError, LockError, MailError
from ccrc_sync.outcome import SyncOutcome
from ccrc_sync.report.status_text import render_status as render_text  # re-exported
from ccrc_sync.state import RunRecord

log = logging.getLogger(__name__)

# A scheduled run that finds another run (a manual sync) holding the lock tries again
# after this long, instead of skipping the night.
RETRY_AFTER_SKIP = timedelta(minutes=2)

Clock = Callable[[], datetime]
Runner = Callable[[Config], "SyncOutcome"]
AlertSender = Callable[[str, str], None]  # (subject, text)

# --------------------------------------------------------------------------- pure timing


def parse_clock_time(text: str) -> time:
    """'02:00' or '02:00:30' (already validated by the config) to a `time`."""
    hour, minute, *rest = (int(p) for p in text.split(":"))
    return time(hour, minute, rest[0] if rest else 0)


def _zone(cfg: ScheduleConfig) -> ZoneInfo:
    return ZoneInfo(cfg.timezone)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; the schedule needs aware datetimes")
    return moment.astimezone(UTC)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (in UTC) the wall clock in `zone` reads `at` on `day`.

    In the hour that repeats when the clocks go back, the first occurrence (fold=0): a run
    happens once. In the hour that is skipped when they go forward, the first valid instant
    after the gap (02:00 BST for 01:30 on the spring-forward day): a run is not lost.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that skips `wall`, found by bisection between its two readings."""
    a = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    b = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)  # lo is before the transition, hi after it
    after = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


def office_window(cfg: ScheduleConfig) -> tuple[time, time, timedelta] | None:
    """(start, end, interval) of the office-hours runs, or None when not configured."""
    if cfg.office_hours is None or cfg.office_interval_minutes is None:
        return None
    start, end = (parse_clock_time(t) for t in cfg.office_hours.split("-"))
    return start, end, timedelta(minutes=cfg.office_interval_minutes)


def _daily_instants(day: date, cfg: ScheduleConfig) -> list[datetime]:
    return [local_instant(day, parse_clock_time(cfg.time), _zone(cfg))]


def _office_instants(day: date, cfg: ScheduleConfig) -> list[datetime]:
    window = office_window(cfg)
    if window is None or day.weekday() not in cfg.office_days:
        return []
    start, end, step = window
    zone = _zone(cfg)
    slot, stop = datetime.combine(day, start), datetime.combine(day, end)
    instants: set[datetime] = set()
    while slot <= stop:  # both ends included: "08:00-18:00" every hour runs at 18:00 too
        instants.add(local_instant(day, slot.time(), zone))
        slot += step
    return sorted(instants)


def _all_instants(day: date, cfg: ScheduleConfig) -> list[datetime]:
    return sorted({*_daily_instants(day, cfg), *_office_instants(day, cfg)})


InstantsOfDay = Callable[[date, ScheduleConfig], list[datetime]]


def _first_after(
    after: datetime, cfg: ScheduleConfig, instants: InstantsOfDay, days: int
) -> datetime | None:
    moment = _utc(after)
    zone = _zone(cfg)
    first_day = moment.astimezone(zone).date() - timedelta(days=1)
    for offset in range(days + 2):
        for instant in instants(first_day + timedelta(days=offset), cfg):
            if instant > moment:
                return instant.astimezone(zone)
    return None


def _last_at_or_before(
    before: datetime, cfg: ScheduleConfig, instants: InstantsOfDay, days: int
) -> datetime | None:
    moment = _utc(before)
    zone = _zone(cfg)
    last_day = moment.astimezone(zone).date() + timedelta(days=1)
    for offset in range(days + 2):
        earlier = [i for i in instants(last_day - timedelta(days=offset), cfg) if i <= moment]
        if earlier:
            return max(earlier).astimezone(zone)
    return None


def next_daily_run(after: datetime, cfg: ScheduleConfig) -> datetime:
    """The first nightly run strictly after `after`, in the schedule's time zone."""
    found = _first_after(after, cfg, _daily_instants, days=2)
    assert found is not None  # every local day has one
    return found


def next_office_run(after: datetime, cfg: ScheduleConfig) -> datetime | None:
    """The first office-hours run strictly after `after`, or None when there are none."""
    if office_window(cfg) is None or not cfg.office_days:
        return None
    return _first_after(after, cfg, _office_instants, days=8)


def next_run(after: datetime, cfg: ScheduleConfig) -> datetime:
    """The next run of any kind strictly after `after`, in the schedule's time zone."""
    daily = next_daily_run(after, cfg)
    office = next_office_run(after, cfg)
    return daily if office is None or _utc(daily) <= _utc(office) else office


def previous_run(before: datetime, cfg: ScheduleConfig) -> datetime:
    """The latest scheduled run (nightly or office hours) at or before `before`."""
    found = _last_at_or_before(before, cfg, _all_instants, days=2)
    assert found is not None  # the nightly run is at most a day and a bit back
    return found


def missed_run(last_run_started: datetime | None, now: datetime, cfg: ScheduleConfig) -> bool:
    """Whether a start-up catch-up run is owed: a scheduled time passed with no run since.

    Judged only from the latest scheduled time, so a week's outage owes one run, not seven.
    A first start with no history owes one too: nobody has seen the two sides agree yet.
    """
    if last_run_started is None:
        return True
    return _utc(previous_run(now, cfg)) > _utc(last_run_started)


def describe_schedule(cfg: ScheduleConfig) -> str:
    """The schedule in words, for the log and `status`."""
    text = f"daily at {cfg.time} {cfg.timezone}"
    window = office_window(cfg)
    if window is not None:
        names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        days = ", ".join(names[d] for d in sorted(set(cfg.office_days))) or "no days"
        text += f", and every {cfg.office_interval_minutes} min {cfg.office_hours} ({days})"
    return text


def format_local(moment: datetime | None, cfg: ScheduleConfig) -> str:
    """'Sun 29 Mar 2026 02:00 BST': the way the governance team reads a time."""
    if moment is None:
        return "never"
    local = moment.astimezone(_zone(cfg))
    fmt = "%a %d %b %Y %H:%M:%S %Z" if local.second else "%a %d %b %Y %H:%M %Z"
    return local.strftime(fmt)


# --------------------------------------------------------------------------- logging

_SECRET_ENV = ("CCRC_SYNC_SMTP_PASSWORD",)


class RedactSecrets(logging.Filter):
    """Blank out secrets a message might carry by accident (an SMTP password, a private key).

    Secrets are never logged on purpose; this is the belt to that pair of braces, because an
    exception from a library can quote what it was given.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._env = env

    def _secrets(self) -> list[str]:
        env = os.environ if self._env is None else self._env
        return [v for k in _SECRET_ENV if len(v := env.get(k, "")) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _redact(message, self._secrets())
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _redact(record.exc_text, self._secrets())
        return True


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    marker = "-----BEGIN PRIVATE KEY-----"
    if marker in text:
        head, _, tail = text.partition(marker)
        _, _, rest = tail.partition("-----END PRIVATE KEY-----")
        text = head + "[redacted private key]" + rest
    return text


_OURS = "_ccrc_sync_handler"


def setup_logging(cfg: LoggingConfig, verbose: bool = False) -> None:
    """Log to stderr, and to a rotating file when configured. Safe to call more than once.

    `--verbose` means DEBUG for ccrc-sync; the chatty libraries (urllib3, google-auth,
    schedule's per-second tick) stay at WARNING/INFO so the log still reads as a story.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):  # replace basicConfig's handler and our own
        root.removeHandler(handler)
        if getattr(handler, _OURS, False):
            handler.close()
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if cfg.file is not None:
        try:
            cfg.file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(
                logging.handlers.RotatingFileHandler(
                    cfg.file, maxBytes=cfg.max_bytes, backupCount=cfg.backups, encoding="utf-8"
                )
            )
        except OSError as exc:
            raise CcrcSyncError(
                f"The log file {cfg.file} could not be opened: {exc}. "
                "Fix logging.file in the config or the folder's permissions."
            ) from None
    for handler in handlers:
        setattr(handler, _OURS, True)
        handler.setFormatter(formatter)
        handler.addFilter(RedactSecrets())
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else getattr(logging, cfg.level))
    for noisy in ("urllib3", "google", "google.auth", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("schedule").setLevel(logging.INFO)


# --------------------------------------------------------------------------- the service


class RunHistory(Protocol):
    """The part of `state.State` the service reads (injectable for tests)."""

    def last_run(self) -> RunRecord | None: ...

    def last_success(self) -> RunRecord | None: ...

    def consecutive_failures(self) -> int: ...


@dataclass(frozen=True)
class RunResult:
    """What one attempt came to: ok, flagged, failed, or skipped (another run held the lock)."""

    status: str
    reason: str  # "catch-up" | "scheduled"
    started: datetime
    finished: datetime
    run_id: str | None = None
    message: str = ""
    email_problem: str | None = None  # the run's report could not be emailed: why


class Service:
    """The long-running scheduler behind `ccrc-sync serve`.

    Everything it depends on is injectable: the runner (`sync.run_sync`), the clock, the run
    history (`state.State`), the alert sender (`mail.send_alert`) and the stop event, so the
    loop can be tested with a fake clock and no real waiting.
    """

    def __init__(
        self,
        config: Config,
        *,
        runner: Runner | None = None,
        clock: Clock | None = None,
        history: RunHistory | None = None,
        alert: AlertSender | None = None,
        stop_event: threading.Event | None = None,
        tick_seconds: float = 1.0,
        digests: bool = False,
    ) -> None:
        self.config = config
        self.schedule = config.schedule
        self.runner = runner or _run_sync
        self.clock = clock or (lambda: datetime.now(UTC))
        self._history = history
        self.alert = alert or self._send_alert
        self.stop_event = stop_event or threading.Event()
        self.tick_seconds = tick_seconds
        self.due: datetime | None = None  # the next run; None until the first tick
        self.slot: datetime | None = None  # the scheduled time a retried run belongs to
        self.slot_reason = "scheduled"  # and why it runs ("catch-up" or "scheduled")
        self._digest_tried: datetime | None = None  # the digest slot last attempted
        self.digests = digests  # send owner digests on their schedule (`serve` does)
        self.failures = 0  # consecutive failed runs
        self.alerted = False  # the alert for the current run of failures has gone out
        self.results: list[RunResult] = []
        self._running = threading.Lock()
        self._signal_name: str | None = None

    # -- history

    @property
    def history(self) -> RunHistory:
        if self._history is None:
            self._history = StateHistory(self.config)
        return self._history

    def _last_success(self) -> datetime | None:
        """When the last complete, successful run started (a failed or killed run does not
        count: the night it belonged to is still owed)."""
        try:
            record = self.history.last_success()
        except Exception as exc:  # unreadable history: run, and let the run say why
            log.warning("could not read the run history (%s); treating it as empty", exc)
            return None
        return None if record is None else record.started

    def _seed_failures(self) -> None:
        """Carry a run of failures over a restart, so a restart loop does not re-alert."""
        try:
            self.failures = int(self.history.consecutive_failures())
        except Exception as exc:
            log.warning("could not read the run history (%s)", exc)
            self.failures = 0
        self.alerted = self.failures >= self.schedule.failure_alert_after

    # -- one run

    def run_once(self, reason: str = "scheduled") -> RunResult:
        """Run the sync once, never alongside another run in this process; never raises."""
        started = self.clock()
        if not self._running.acquire(blocking=False):
            result = RunResult("skipped", reason, started, started, None, "a run is going")
            log.warning("run skipped (%s): the previous run is still going", reason)
            return result
        try:
            result = self._attempt(reason, started)
            self.results.append(result)
            self._log_result(result)
            self._count(result)
            return result
        finally:
            self._running.release()

    def _attempt(self, reason: str, started: datetime) -> RunResult:
        try:
            outcome = self.runner(self.config)
        except LockError as exc:
            return RunResult("skipped", reason, started, self.clock(), None, str(exc))
        except CcrcSyncError as exc:
            run_id = self._failed_run_id(started)
            return RunResult("failed", reason, started, self.clock(), run_id, str(exc))
        except Exception as exc:  # a bug; keep serving, keep the traceback in the log
            log.exception("the run stopped on an unexpected error")
            message = f"unexpected error: {type(exc).__name__}: {exc}"
            run_id = self._failed_run_id(started)
            return RunResult("failed", reason, started, self.clock(), run_id, message)
        status = outcome.status.value
        if status == "failed":
            message = outcome.error or "the run failed"
        else:
            message = describe_counts(_counts_of(outcome)) or "done"
        problem = outcome.email_problem if outcome.emailed is False else None
        return RunResult(status, reason, started, self.clock(), outcome.run_id, message, problem)

    def _failed_run_id(self, started: datetime) -> str | None:
        """The id run_sync gave the failure it recorded, so the log line can name it."""
        try:
            record = self.history.last_run()
        except Exception:
            return None
        if record is None or record.status != "failed":
            return None
        if _utc(record.started) < _utc(started) - timedelta(seconds=1):
            return None  # an older failure: this run failed before it was recorded
        return str(record.run_id)

    def _log_result(self, result: RunResult) -> None:
        seconds = (_utc(result.finished) - _utc(result.started)).total_seconds()
        run = f"run {result.run_id}" if result.run_id else "run"
        line = f"{run} ({result.reason}) {result.status} in {seconds:.1f}s: {result.message}"
        if result.email_problem:
            log.error("the report of %s could not be emailed: %s", run, result.email_problem)
        if result.status == "failed":
            log.error(line)
        elif result.status == "skipped":
            log.warning(line)
        else:
            log.info(line)

    def _count(self, result: RunResult) -> None:
        """Track consecutive failures; alert once per run of them, at the threshold."""
        if result.status == "skipped":
            return
        # A run whose report could not be emailed did not do its whole job either: nobody
        # heard about it, so it counts towards the alert.
        if result.status != "failed" and not result.email_problem:
            if self.failures >= self.schedule.failure_alert_after:
                log.info("recovered after %d failed runs", self.failures)
            self.failures, self.alerted = 0, False
            return
        self.failures += 1
        if self.failures >= self.schedule.failure_alert_after and not self.alerted:
            self.alerted = self._raise_alert(result)

    def _raise_alert(self, result: RunResult) -> bool:
        """Send the failure alert; True once it is delivered (or there is nobody to tell)."""
        if not self.config.email.recipients:
            log.warning(
                "%d runs in a row have failed, but no email.recipients are configured to alert",
                self.failures,
            )
            return True
        subject = (
            f"{self.config.email.subject_prefix}: ALERT - the sync has failed "
            f"{self.failures} times in a row"
        )
        try:
            self.alert(subject, self._alert_text(result))
        except MailError as exc:
            log.error("the failure alert could not be emailed: %s", exc)
            return False
        except Exception as exc:
            log.error("the failure alert could not be emailed: %s: %s", type(exc).__name__, exc)
            return False
        log.warning("failure alert emailed to %s", ", ".join(self.config.email.recipients))
        return True

    def _alert_text(self, result: RunResult) -> str:
        cfg = self.schedule
        error = result.message
        if result.status != "failed" and result.email_problem:
            # The run itself went well; what failed is the email nobody received.
            error = f"the report could not be emailed: {result.email_problem}"
        return "\n".join(
            [
                f"ccrc-sync on {socket.gethostname()} has failed {self.failures} runs in a row.",
                "",
                f"Last attempt: {format_local(result.started, cfg)}",
                f"Error: {error}",
                f"Schedule: {describe_schedule(cfg)}",
                f"State directory: {self.config.sync.state_dir}",
                f"Config: {self.config.source or 'built-in defaults'}",
                "",
                "Neither the workbook nor the Google Sheet is being kept in step until this is",
                "fixed. Check the service log, and run `ccrc-sync status` and `ccrc-sync sync`",
                "on that machine to see the problem. You will not get another alert until a",
                "run succeeds and then fails again.",
            ]
        )

    def _send_alert(self, subject: str, text: str) -> None:
        from ccrc_sync.mail import send_alert

        send_alert(subject, text, self.config.email)

    # -- the loop

    def tick(self) -> RunResult | None:
        """One look at the clock: run if a run is due (or owed at start-up), and send the
        owners' digests when their time comes."""
        if self.stop_event.is_set():
            return None
        now = self.clock()
        try:
            return self._tick_sync(now)
        finally:
            self._tick_digest()

    def _tick_digest(self) -> None:
        """Owner digests on `[digest] weekday` and `time`, with the nightly run's catch-up
        rule; one attempt per slot, so a failing send does not repeat every second."""
        cfg = self.config
        if not self.digests or not cfg.digest.enabled or self.stop_event.is_set():
            return
        from ccrc_sync.digest_schedule import digest_due, last_digest_run, last_digest_slot

        now = self.clock()
        slot = last_digest_slot(now, cfg)
        if slot == self._digest_tried:
            return
        try:
            due = digest_due(now, last_digest_run(cfg), cfg)
        except Exception as exc:
            log.warning("could not tell whether digests are due (%s)", exc)
            return
        if not due:
            return
        self._digest_tried = slot
        from ccrc_sync.digest import run_digest

        try:
            result = run_digest(cfg, now=now, dry_run=False)
        except CcrcSyncError as exc:
            log.error("the owner digests could not be sent: %s", exc)
            return
        except Exception:
            log.exception("the owner digests stopped on an unexpected error")
            return
        log.info("owner digests: %d sent, %d skipped", len(result.sent), len(result.skipped))
        for skipped in result.skipped:
            log.warning("no digest for %s: %s", skipped.owner, skipped.reason)

    def _tick_sync(self, now: datetime) -> RunResult | None:
        if self.due is None:
            result = None
            if self.schedule.catch_up and missed_run(self._last_success(), now, self.schedule):
                log.info("a scheduled run was missed (or none has ever run): running now")
                result = self.run_once("catch-up")
                if result.status == "skipped":  # a manual sync holds the lock: still owed
                    self._retry_later(previous_run(now, self.schedule), "catch-up")
                    return result
            self._plan_next(now)
            return result
        if _utc(now) < _utc(self.due):
            return None
        slot = self.slot or self.due
        if self._done_since(slot):
            # A complete, successful run (a manual one) already happened after this slot's
            # time: the night's sync is done.
            log.info(
                "a run after %s already succeeded; nothing to do", format_local(slot, self.schedule)
            )
            self.slot, self.slot_reason = None, "scheduled"
            self._plan_next(now)
            return None
        result = self.run_once(self.slot_reason)
        if result.status == "skipped":
            # Another run (a manual sync) holds the lock: try again shortly rather than
            # skip the night.
            self._retry_later(slot, self.slot_reason)
            return result
        self.slot, self.slot_reason = None, "scheduled"
        self._plan_next(now)
        return result

    def _retry_later(self, slot: datetime, reason: str) -> None:
        self.slot, self.slot_reason = slot, reason
        self.due = self.clock() + RETRY_AFTER_SKIP
        log.info("will try again at %s", format_local(self.due, self.schedule))

    def _done_since(self, slot: datetime) -> bool:
        """Whether a run that started after `slot` finished successfully (ok or flagged)."""
        try:
            record = self.history.last_success()
        except Exception:
            return False
        return (
            record is not None
            and record.finished is not None
            and _utc(record.started) >= _utc(slot)
        )

    def _plan_next(self, now: datetime) -> None:
        # From the later of the tick and the end of the run: a long run skips the slots it
        # overlapped rather than running again straight away.
        after = max(_utc(now), _utc(self.clock()))
        self.due = next_run(after, self.schedule)
        log.info("next run %s", format_local(self.due, self.schedule))

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # a bug in the timing: log it and keep the service up
            log.exception("the scheduler tick failed")

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT or the stop event; 0 on a clean stop."""
        restore = self._install_signal_handlers()
        try:
            self._seed_failures()
            log.info(
                "ccrc-sync serve started: %s; state in %s",
                describe_schedule(self.schedule),
                self.config.sync.state_dir,
            )
            scheduler = schedule.Scheduler()
            # schedule takes the interval in seconds; a float (a test's short tick) works too.
            scheduler.every(self.tick_seconds).seconds.do(self._safe_tick)  # type: ignore[arg-type]
            self._safe_tick()
            while not self.stop_event.is_set():
                scheduler.run_pending()
                idle = scheduler.idle_seconds
                wait = self.tick_seconds if idle is None else min(idle, self.tick_seconds)
                self.stop_event.wait(max(0.0, wait))
            why = f" on {self._signal_name}" if self._signal_name else ""
            log.info("ccrc-sync serve stopped%s", why)
            return 0
        finally:
            restore()

    def stop(self) -> None:
        """Ask the loop to stop: a run in progress finishes, no new one starts."""
        self.stop_event.set()

    def _install_signal_handlers(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None  # only the main thread may take signals
        wanted = [signal.SIGTERM, signal.SIGINT]
        previous = {sig: signal.getsignal(sig) for sig in wanted}

        def handler(signum: int, frame: FrameType | None) -> None:
            self._signal_name = signal.Signals(signum).name
            self.stop_event.set()
            # A second signal acts at once (the run's own crash safety keeps the state sound).
            for sig, old in previous.items():
                signal.signal(sig, old)

        for sig in wanted:
            signal.signal(sig, handler)

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore


class StateHistory:
    """The run history in `state.State`, opened for each read and closed straight after,
    so a long-running service never holds the database between runs."""

    def __init__(self, config: Config) -> None:
        self.state_dir = config.sync.state_dir

    def last_run(self) -> RunRecord | None:
        from ccrc_sync.state import State

        with State(self.state_dir) as state:
            return state.last_run()

    def last_success(self) -> RunRecord | None:
        from ccrc_sync.state import State

        with State(self.state_dir) as state:
            return state.last_success()

    def consecutive_failures(self) -> int:
        from ccrc_sync.state import State

        with State(self.state_dir) as state:
            return state.consecutive_failures()


def _run_sync(config: Config) -> SyncOutcome:
    from ccrc_sync.sync import run_sync

    return run_sync(config)


def describe_counts(counts: Mapping[str, int]) -> str:
    """'0 changes, 2 conflicts, 1 error, 3 warnings': a run's counts in words."""
    order = [("changes", "change"), ("conflicts", "conflict"), ("error", "error")]
    order += [("warning", "warning"), ("info", "info")]
    parts = []
    for key, noun in order:
        if key in counts:
            n = counts[key]
            plural = "s" if n != 1 and noun != "info" else ""
            parts.append(f"{n} {noun}{plural}")
    return ", ".join(parts)


def _counts_of(outcome: SyncOutcome) -> dict[str, int]:
    """A run's headline counts: changes, conflicts and findings by severity."""
    return {
        "changes": len(outcome.changes),
        "conflicts": len(outcome.conflicts),
        **outcome.counts(),
    }


def serve(config: Config, *, verbose: bool = False) -> int:
    """What `ccrc-sync serve` runs: log set up, then the loop until stopped."""
    setup_logging(config.logging, verbose)
    return Service(config, digests=True).run()


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
        return render_text(self)


def status(
    config: Config, now: datetime | None = None, *, history: Any | None = None
) -> StatusReport:
    """Read the run history and judge it against the schedule. Never writes anything."""
    cfg = config.schedule
    now = now or datetime.now(UTC)
    last = success = None
    failures = 0
    email_problem = None
    source = history if history is not None else _open_state(config)
    if source is not None:
        try:
            last = source.last_run()
            success = source.last_success()
            failures = int(source.consecutive_failures())
            get_meta = getattr(source, "get_meta", None)
            email_problem = (get_meta("email_problem") or None) if get_meta else None
        finally:
            if history is None and hasattr(source, "close"):
                source.close()
    last_run = _last_run_model(last, _zone(cfg))
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
        open_conflicts = int(dict(conflicts_from.counts or {}).get("conflicts", 0))
    return StatusReport(
        healthy=healthy,
        problem=problem,
        checked_at=now.astimezone(_zone(cfg)),
        schedule=describe_schedule(cfg),
        timezone=cfg.timezone,
        last_run=last_run,
        last_success=None if success is None else success.started.astimezone(_zone(cfg)),
        next_run=next_run(now, cfg),
        open_conflicts=open_conflicts,
        consecutive_failures=failures,
        email_problem=email_problem,
    )


def _open_state(config: Config) -> Any | None:
    """The State, or None when no run has ever created its directory (status writes nothing)."""
    if not config.sync.state_dir.is_dir():
        return None
    from ccrc_sync.state import State

    return State(config.sync.state_dir)


def _last_run_model(record: Any | None, zone: ZoneInfo) -> LastRun | None:
    if record is None:
        return None
    counts = {str(k): int(v) for k, v in dict(record.counts or {}).items() if v is not None}
    finished = record.finished
    return LastRun(
        run_id=str(record.run_id),
        started=record.started.astimezone(zone),
        finished=None if finished is None else finished.astimezone(zone),
        status=str(record.status),
        counts=counts,
        error=_error_text(record),
    )


def _error_text(record: Any) -> str | None:
    for name in ("error", "error_message", "message"):
        value = getattr(record, name, None)
        if isinstance(value, str) and value:
            return value
    return None


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
        return False, f"The last run, {format_local(last.started, cfg)}, failed{times}{why}"
    due = previous_run(now - timedelta(minutes=cfg.status_grace_minutes), cfg)
    if _utc(last.started) < _utc(due):
        return False, (
            f"No run since {format_local(last.started, cfg)}, though one was due "
            f"{format_local(due, cfg)}. Is `ccrc-sync serve` (or its system service) running?"
        )
    return True, None
