"""`ccrc-sync serve`: the long-running scheduler that runs the sync nightly and sends the
owners' digests weekly.

The `schedule` library drives the loop: it ticks every second and each tick asks the pure
functions of `timing` whether a run is due. We do not use schedule's own `.at(..., tz)`,
which needs pytz. When the schedule is, and whether the last run went well, live in
`timing` and `status`.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

import schedule

from ccrc_sync.config import Config
from ccrc_sync.errors import CcrcSyncError, LockError, MailError
from ccrc_sync.logs import setup_logging
from ccrc_sync.mail import send_alert
from ccrc_sync.outcome import SyncOutcome
from ccrc_sync.report.status_text import counts_in_words
from ccrc_sync.state import RunRecord, State
from ccrc_sync.timing import (
    describe_schedule,
    format_local,
    missed_run,
    next_run,
    previous_run,
    utc,
    zone_of,
)

log = logging.getLogger(__name__)

# A scheduled run that finds another run (a manual sync) holding the lock tries again
# after this long, instead of skipping the night.
RETRY_AFTER_SKIP = timedelta(minutes=2)

Clock = Callable[[], datetime]
Runner = Callable[[Config], "SyncOutcome"]

# --------------------------------------------------------------------------- the service


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

    The runner (`sync.run_sync`), the clock and the stop event are injectable, so the loop
    can be tested with a fake clock and no real waiting; the run history is always the
    state's (`StateHistory`) and alerts always go by `mail.send_alert`.
    """

    def __init__(
        self,
        config: Config,
        *,
        runner: Runner | None = None,
        clock: Clock | None = None,
        stop_event: threading.Event | None = None,
        tick_seconds: float = 1.0,
        digests: bool = False,
    ) -> None:
        self.config = config
        self.schedule = config.schedule
        self.runner = runner or _run_sync
        self.clock = clock or (lambda: datetime.now(UTC))
        self.history = StateHistory(config)
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
            message = counts_in_words(outcome.headline_counts()) or "done"
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
        if utc(record.started) < utc(started) - timedelta(seconds=1):
            return None  # an older failure: this run failed before it was recorded
        return str(record.run_id)

    def _log_result(self, result: RunResult) -> None:
        seconds = (utc(result.finished) - utc(result.started)).total_seconds()
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
            send_alert(subject, self._alert_text(result), self.config.email)
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
                f"Last attempt: {format_local(result.started, zone_of(cfg))}",
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
        from ccrc_sync.digest_schedule import (
            digest_due,
            last_digest_run,
            last_digest_slot,
            next_digest,
        )

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
        log.info(
            "owner digests: %d sent, %d skipped; the next go %s",
            len(result.sent),
            len(result.skipped),
            format_local(next_digest(now, cfg), zone_of(self.schedule)),
        )
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
        if utc(now) < utc(self.due):
            return None
        slot = self.slot or self.due
        if self._done_since(slot):
            # A complete, successful run (a manual one) already happened after this slot's
            # time: the night's sync is done.
            log.info(
                "a run after %s already succeeded; nothing to do",
                format_local(slot, zone_of(self.schedule)),
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
        log.info("will try again at %s", format_local(self.due, zone_of(self.schedule)))

    def _done_since(self, slot: datetime) -> bool:
        """Whether a run that started after `slot` finished successfully (ok or flagged)."""
        try:
            record = self.history.last_success()
        except Exception:
            return False
        return (
            record is not None and record.finished is not None and utc(record.started) >= utc(slot)
        )

    def _plan_next(self, now: datetime) -> None:
        # From the later of the tick and the end of the run: a long run skips the slots it
        # overlapped rather than running again straight away.
        after = max(utc(now), utc(self.clock()))
        self.due = next_run(after, self.schedule)
        log.info("next run %s", format_local(self.due, zone_of(self.schedule)))

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
    so a long-running service never holds the database between runs. Before any run has
    made a state there is no history, and looking creates none."""

    def __init__(self, config: Config) -> None:
        self.state_dir = config.sync.state_dir

    def last_run(self) -> RunRecord | None:
        state = State.open_existing(self.state_dir)
        if state is None:
            return None
        with state:
            return state.last_run()

    def last_success(self) -> RunRecord | None:
        state = State.open_existing(self.state_dir)
        if state is None:
            return None
        with state:
            return state.last_success()

    def consecutive_failures(self) -> int:
        state = State.open_existing(self.state_dir)
        if state is None:
            return 0
        with state:
            return state.consecutive_failures()


def _run_sync(config: Config) -> SyncOutcome:
    from ccrc_sync.sync import run_sync

    return run_sync(config)


def serve(config: Config, *, verbose: bool = False) -> int:
    """What `ccrc-sync serve` runs: log set up, then the loop until stopped."""
    setup_logging(config.logging, verbose)
    return Service(config, digests=True).run()
