"""One reconciliation run: read both sides, plan (pure), apply in the crash-safe order.

The order of the steps is what makes a crash at any point safe. Both sides are read, the
run is planned in memory (`plan.plan_run`), then the Google Sheet is written (one
structural and one values request at most), then the workbook (patched atomically, after
a backup), and only then is the new base committed with the run's log, fingerprint and
marks, in one transaction. A crash before the commit leaves the old base, so the next run
sees the edits that already landed as "changed on both sides to the same value" and
converges without losing or duplicating anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from ccrc_sync import config as configuration
from ccrc_sync.config import Config, EmailWhen
from ccrc_sync.delivery import deliver
from ccrc_sync.errors import CcrcSyncError, LockError, WorkbookError
from ccrc_sync.merge import Change, Side
from ccrc_sync.outcome import RunStatus, SyncOutcome
from ccrc_sync.plan import plan_run
from ccrc_sync.plan_model import (
    OPEN_CONFLICTS_META,
    History,
    Options,
    RunInputs,
    RunPlan,
    SheetSide,
    WorkbookSide,
    carried_to_workbook,
    decode_open_conflicts,
    encode_open_conflicts,
)
from ccrc_sync.runreport import failure_report, run_report
from ccrc_sync.schema import PlanTable
from ccrc_sync.sheet import GoogleSheet, SheetSnapshot
from ccrc_sync.state import State
from ccrc_sync.tabs import MANAGED_TABS
from ccrc_sync.workbook import (
    PlanWorkbook,
    WorkbookLimits,
    busy_reason,
    check_container,
    stale_temp_files,
)

log = logging.getLogger(__name__)

# Test hook: a crash test sets this to a step name and the process dies right there.
CRASH_ENV = "CCRC_SYNC_CRASH_AT"
CRASH_POINTS = ("after-sheet-write", "after-workbook-write", "before-base-commit")


def _checkpoint(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        log.warning("crash requested at %s", name)
        os._exit(99)


@dataclass(frozen=True)
class RunRequest:
    """What a person asked of this run (the CLI's options)."""

    dry_run: bool = False
    email: bool | None = None  # None follows [email] when
    options: Options = field(default_factory=Options)


def run_sync(
    config: Config,
    request: RunRequest = RunRequest(),
    *,
    now: Callable[[], dt.datetime] | None = None,
) -> SyncOutcome:
    """Run one reconciliation. Raises CcrcSyncError when it could not run at all; a run
    that failed is recorded in the history (with a report) before the error is raised."""
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    state_dir = config.sync.state_dir
    if request.email or (request.email is None and config.email.when is not EmailWhen.NEVER):
        from ccrc_sync.mail import check_addresses

        check_addresses(config.email)  # a bad address stops the run before anything is written
    if request.dry_run:
        return _dry_run(config, request, clock)
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CcrcSyncError(
            f"The state directory {state_dir} could not be created: {exc.strerror or exc}."
        ) from None
    lock = FileLock(str(state_dir / "sync.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise LockError(
            "Another sync is already running (it holds "
            f"{state_dir / 'sync.lock'}). This run did nothing; try again when it has finished."
        ) from None
    try:
        with State(state_dir) as state:
            _tidy_after_a_kill(config, state)
            started = clock()
            run_id = state.start_run(started)
            try:
                with _bulk_allocation():
                    outcome = _Run(config, request, state, run_id, started, clock).execute()
            except CcrcSyncError as exc:
                finished = clock()
                state.finish_run(run_id, status="failed", finished=finished, error=str(exc))
                failure_report(config, state, run_id, started, finished, str(exc))
                exc.run_id = run_id  # type: ignore[attr-defined]
                raise
            except Exception as exc:
                state.finish_run(
                    run_id,
                    status="failed",
                    finished=clock(),
                    error=f"unexpected error: {type(exc).__name__}: {exc}",
                )
                raise
            deliver(config, state, outcome, request.email)
            return outcome
    finally:
        lock.release()


@contextlib.contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Pause Python's cycle collector while a run builds its large, long-lived tables.

    A 10,000-row plan is read into some million objects that all live until the run
    ends; the collector would walk them again and again for nothing (it cost about a
    third of a run at that size). The run's tables hold no cycles worth collecting early,
    so the collector simply resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _tidy_after_a_kill(config: Config, state: State) -> None:
    """What a killed run left behind: its history row says "interrupted", and its
    temporary workbook files (never the workbook itself) are removed."""
    for run_id in state.mark_interrupted():
        log.warning("run %s was interrupted before it finished", run_id)
    for leftover in stale_temp_files(config.workbook.path):
        with contextlib.suppress(OSError):
            leftover.unlink()
            log.info("removed %s, left by an interrupted run", leftover)


class _Run:
    """The steps of one run, sharing what they have read."""

    def __init__(
        self,
        config: Config,
        request: RunRequest,
        state: State | None,
        run_id: str,
        started: dt.datetime,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.config = config
        self.request = request
        self.state = state
        self.run_id = run_id
        self.started = started
        self.clock = clock
        self.notes: list[str] = []
        self.sheet: GoogleSheet | None = None
        self.history = History()
        self.busy: str | None = None  # why the workbook must not be written, as read

    @property
    def api_calls(self) -> int:
        return 0 if self.sheet is None else self.sheet.api_calls

    def execute(self) -> SyncOutcome:
        cfg = self.config
        path = workbook_path(cfg, self.notes, dry_run=self.request.dry_run)
        limits = WorkbookLimits.from_config(cfg.workbook)
        # A file that is no workbook at all (a zip bomb, a folder, a FIFO, an .xls) is
        # refused at once, before the Google Sheet is even asked for anything.
        container = check_container(path, limits)
        with (
            sheet_connection(cfg, dry_run=self.request.dry_run) as connect,
            ThreadPoolExecutor(1) as pool,
        ):
            # The Google Sheet is read while the workbook is read: one waits on the network,
            # the other parses XML, so a run takes about as long as the slower of the two.
            fetch = pool.submit(_read_sheet, connect, cfg.plan.sheet)
            try:
                book = PlanWorkbook.from_package(container, cfg.plan.sheet)
            except CcrcSyncError:
                # The workbook's problem is the one to tell; the read ends on its own.
                with contextlib.suppress(Exception):
                    fetch.result()
                raise
            sheet, snap = fetch.result()
            self.sheet = sheet
            plan = plan_run(self._inputs(book, snap))
            if plan.refusal is not None:
                raise CcrcSyncError(plan.refusal)
            if self.request.dry_run:
                return self._outcome(plan, plan.changes, writable=True)
            return self._apply(plan, book, sheet, snap)

    def _inputs(self, book: PlanWorkbook, snap: SheetSnapshot) -> RunInputs:
        cfg = self.config
        sheet_table = snap.plan_table()
        history = self.history = read_history(self.state, cfg)
        self.busy = busy_reason(book.path)
        return RunInputs(
            config=cfg,
            today=configuration.today(cfg, self.started),
            started=self.started,
            run_id=self.run_id,
            workbook=WorkbookSide(
                book.table,
                {t: book.tab_grid(t) for t in MANAGED_TABS},
                writable=self.busy is None,
            ),
            sheet=SheetSide(
                table=sheet_table,
                tabs={t: snap.tab_grid(t) for t in MANAGED_TABS},
                ours=frozenset(t for t in MANAGED_TABS if snap.ours(t)),
                synced_before=snap.synced_before,
                renamed_plan=snap.renamed_plan,
            ),
            history=history,
            options=self.request.options,
        )

    def _apply(
        self, plan: RunPlan, book: PlanWorkbook, sheet: GoogleSheet, snap: SheetSnapshot
    ) -> SyncOutcome:
        cfg = self.config
        applied = sheet.apply(
            snap, plan.sheet, plan=cfg.plan, strict_dropdowns=cfg.sheet.strict_dropdowns
        )
        self.notes += applied.notes
        _checkpoint("after-sheet-write")
        tokens: dict[tuple[int, int], str] = {}
        book_table = book.table  # as read: where this run's marks are (a save re-reads)
        writable = True
        if not plan.workbook.empty and self.busy is not None:
            # The plan left out what only a written workbook makes true; writing it now
            # (Excel closed meanwhile) would land edits the Change Log never records.
            writable = False
            self.notes.append(f"{self.busy} The Google Sheet was synced; the next run catches up.")
        elif not plan.workbook.empty:
            try:
                saved = book.save(
                    plan.workbook, backups=cfg.workbook.backups, backup_dir=cfg.workbook.backup_dir
                )
                tokens = saved.tokens
                self.notes += saved.skipped
            except WorkbookError as exc:  # open in Excel, changed meanwhile, disk full ...
                writable = False
                self.notes.append(f"{exc} The Google Sheet was synced; the next run catches up.")
        _checkpoint("after-workbook-write")
        landed = [c for c in plan.changes if c.target is Side.SHEET or writable]
        outcome = self._outcome(plan, landed, writable=writable)
        assert self.state is not None
        _checkpoint("before-base-commit")
        finished = self.clock()
        counts = outcome.headline_counts()
        self.state.finish_run(
            self.run_id,
            status=outcome.status.value,
            finished=finished,
            base=plan.base if writable else plan.base_sheet_only,
            log=[e for e in plan.log if writable or not carried_to_workbook(e)],
            counts=counts,
            summary=plan.figures.model_dump(mode="json") if plan.figures else None,
            fingerprint=plan.fingerprint if writable else None,
            marks=_marks_after(
                plan, book_table, snap, applied.tokens, tokens, self.history, writable
            ),
            meta=_meta(plan, snap, sheet),
            previous_base=self.history.base,
        )
        outcome.report_path = run_report(cfg, self.state, outcome, plan, self.started, finished)
        return outcome

    def _outcome(self, plan: RunPlan, landed: Sequence[Change], *, writable: bool) -> SyncOutcome:
        status = plan.status
        if not writable and status is RunStatus.OK:
            status = RunStatus.FLAGGED
        return SyncOutcome(
            status=status,
            run_id=self.run_id,
            changes=list(landed),
            conflicts=list(plan.conflicts),
            issues=list(plan.issues),
            api_calls=self.api_calls,
            notes=[*self.notes, *plan.notes],
            dry_run=self.request.dry_run,
            published=plan.published,
        )


# ----------------------------------------------------------------------------- reading


def read_history(state: State | None, cfg: Config) -> History:
    """What the sync remembers, as the plan takes it."""
    if state is None:
        return History()
    stamp = state.get_meta("figures_changed_at")
    base = state.base()
    return History(
        base=base,
        fingerprints=tuple(state.fingerprints()),
        marks={
            (Side(side), rec, name): token for (side, rec, name), token in state.marks().items()
        },
        open_conflicts=decode_open_conflicts(state.get_meta(OPEN_CONFLICTS_META)),
        log=tuple(state.change_log(cfg.sync.change_log_rows)),
        figures_digest=state.get_meta("figures"),
        figures_changed_at=dt.datetime.fromisoformat(stamp) if stamp else None,
        interrupted_first_sync=base is None
        and any(r.status == "interrupted" for r in state.runs()),
    )


def _read_sheet(
    connect: Callable[[], GoogleSheet], title: str
) -> tuple[GoogleSheet, SheetSnapshot]:
    sheet = connect()
    return sheet, sheet.read(title)


def workbook_path(cfg: Config, notes: list[str], *, dry_run: bool) -> Path:
    """The workbook, copied from the template on the very first run (the demo). A template
    that is not a workbook is refused before anything is copied."""
    wb = cfg.workbook
    if wb.path.exists() or wb.path.is_symlink() or wb.template is None:
        return wb.path
    if not wb.template.is_file():
        raise WorkbookError(
            f"The workbook {wb.path} does not exist, and neither does its template {wb.template}."
        )
    from ccrc_sync.workbook import read_plan

    read_plan(wb.template, cfg.plan.sheet, limits=WorkbookLimits.from_config(wb))
    if dry_run:
        return wb.template
    wb.path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wb.template, wb.path)
    notes.append(f"Created {wb.path} from the template {wb.template}.")
    return wb.path


@contextlib.contextmanager
def sheet_connection(
    config: Config, *, dry_run: bool = False
) -> Iterator[Callable[[], GoogleSheet]]:
    """A way to connect to the Google Sheet, starting the embedded emulator when configured
    (for a dry run, on a scratch copy of its data, so not even the demo's file changes)."""
    sheet_cfg = config.sheet
    emu = None
    scratch = None
    if sheet_cfg.embedded_emulator is not None and not sheet_cfg.emulator_host:
        from ccrc_sync.emulator import Emulator

        data = sheet_cfg.embedded_emulator
        if dry_run:
            scratch = tempfile.TemporaryDirectory(prefix="ccrc-sync-dry-run-")
            copy = Path(scratch.name) / data.name
            if data.is_file():
                shutil.copyfile(data, copy)
            data = copy
        else:
            data.parent.mkdir(parents=True, exist_ok=True)
        emu = Emulator(host="127.0.0.1", port=0, data_path=data)
        emu.start()
        emu.ensure_spreadsheet(sheet_cfg.spreadsheet_id, title="CCRC Action Plan")
        sheet_cfg = sheet_cfg.model_copy(update={"emulator_host": emu.host_port})
    try:
        yield lambda: GoogleSheet.connect(sheet_cfg)
    finally:
        if emu is not None:
            emu.stop()
        if scratch is not None:
            scratch.cleanup()


# ----------------------------------------------------------------------------- recording


def _marks_after(
    plan: RunPlan,
    book: PlanTable,
    snap: SheetSnapshot,
    sheet_tokens: dict[tuple[str, int], str],
    book_tokens: dict[tuple[int, int], str],
    history: History,
    writable: bool,
) -> dict[tuple[str, str, str], str | None]:
    """The marks now set, with the tokens that restore each cell, for the next run. A mark
    that was not placed (the side refused the formats, or its row moved) is not recorded,
    so the next run places it."""
    before = {(side.value, rec, name): token for (side, rec, name), token in history.marks.items()}
    book_rows = book.row_of()
    book_cols = book.columns
    sheet_table = snap.plan_table()
    sheet_cols = sheet_table.columns if sheet_table else {}
    out: dict[tuple[str, str, str], str | None] = {}
    for side, rec, name in plan.marks:
        key = (side.value, rec, name)
        if side is Side.WORKBOOK:
            if not writable and key not in before:
                continue
            row, col = book_rows.get(rec), book_cols.get(name)
            token = book_tokens.get((row, col)) if row and col else None
        else:
            col = sheet_cols.get(name)
            token = sheet_tokens.get((rec, col)) if col else None
        if token is None and key not in before:
            continue
        out[key] = token if token is not None else before[key]
    if not writable:  # the workbook's marks stay as they were until it can be written
        out |= {k: v for k, v in before.items() if k[0] == Side.WORKBOOK.value}
    return out


def _meta(plan: RunPlan, snap: SheetSnapshot, sheet: GoogleSheet) -> dict[str, str]:
    """Small facts the next run and the digests need: the figures' stamp, the conflicts
    left open, and where each recommendation's row is in the Google Sheet."""
    meta = {OPEN_CONFLICTS_META: encode_open_conflicts(plan.open_conflicts)}
    if plan.figures_changed_at is not None:
        meta["figures"] = plan.figures_digest
        meta["figures_changed_at"] = plan.figures_changed_at.isoformat()
    table = snap.plan_table()
    if snap.plan_title is not None and table is not None:
        meta["sheet_plan"] = json.dumps(
            {
                "spreadsheet_id": sheet.spreadsheet_id,
                "gid": snap.tabs[snap.plan_title].sheet_id,
                "rows": table.row_of(),
            }
        )
    return meta


# ----------------------------------------------------------------------------- dry run


def _dry_run(config: Config, request: RunRequest, clock: Callable[[], dt.datetime]) -> SyncOutcome:
    """Plan against the saved state without creating, locking or writing anything."""
    from ccrc_sync.state import STATE_FILE

    started = clock()
    run_id = "dry-run-" + started.strftime("%Y%m%dT%H%M%SZ")
    state_file = config.sync.state_dir / STATE_FILE
    if state_file.is_file():
        with State(config.sync.state_dir) as state, _bulk_allocation():
            return _Run(config, request, state, run_id, started, clock).execute()
    with _bulk_allocation():
        return _Run(config, request, None, run_id, started, clock).execute()
