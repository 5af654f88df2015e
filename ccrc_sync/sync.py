"""One reconciliation run, end to end: the imperative shell around the pure merge.

The order of the steps is what makes a crash at any point safe. Both sides are read, the
merge is planned in memory, then the Google Sheet is written (one structural and one
values request at most), then the workbook (atomically, after a backup), and only then is
the new base committed. A crash before the commit leaves the old base, so the next run sees
the edits that already landed as "changed on both sides to the same value" and converges
without losing or duplicating anything.
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from filelock import FileLock, Timeout

from ccrc_sync import schema
from ccrc_sync.config import Config, EmailWhen
from ccrc_sync.errors import (
    CcrcSyncError,
    LockError,
    MailError,
    WorkbookError,
)
from ccrc_sync.merge import Change, Conflict, MergeResult, Side, merge
from ccrc_sync.schema import Issue, PlanTable, Severity, Value
from ccrc_sync.sheet_writes import SheetWrites, grid_differs, same_cell
from ccrc_sync.state import State

log = logging.getLogger(__name__)

SUMMARY_TAB = "Summary"
ISSUES_TAB = "Sync Issues"
CHANGE_LOG_TAB = "Change Log"
MANAGED_TABS = (SUMMARY_TAB, ISSUES_TAB, CHANGE_LOG_TAB)

# Test hook: a crash test sets this to a step name and the process dies right there.
CRASH_ENV = "CCRC_SYNC_CRASH_AT"
CRASH_POINTS = ("after-sheet-write", "after-workbook-write", "before-base-commit")


def _checkpoint(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        log.warning("crash requested at %s", name)
        os._exit(99)


@dataclass
class SyncOutcome:
    """What one run did; `to_json` is the CLI's JSON exactly."""

    status: str  # "ok" | "flagged" | "failed"
    run_id: str
    changes: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    api_calls: int = 0
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    error: str | None = None
    report: object | None = None  # report.RunReport
    report_path: Path | None = None

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "flagged": 1}.get(self.status, 2)

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "changes": self.changes,
            "conflicts": self.conflicts,
            "issues": [i.model_dump(mode="json") for i in self.issues],
            "api_calls": self.api_calls,
            "notes": self.notes,
            "error": self.error,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def failure_outcome(exc: CcrcSyncError, *, dry_run: bool = False) -> SyncOutcome:
    """The JSON a run that could not run prints, so a caller parsing it still gets a status."""
    return SyncOutcome(
        status="failed",
        run_id=getattr(exc, "run_id", ""),
        api_calls=getattr(exc, "api_calls", 0),
        dry_run=dry_run,
        error=str(exc),
    )


def render_text(outcome: SyncOutcome) -> str:
    """The sync's human summary: what moved, what needs a person, and the verdict."""
    lines: list[str] = []
    verb = "Would carry" if outcome.dry_run else "Carried"
    for source, target in (("workbook", "sheet"), ("sheet", "workbook")):
        moved = [c for c in outcome.changes if c["from"] == source]
        if moved:
            rows = len({c["rec_no"] for c in moved})
            lines.append(
                f"{verb} {len(moved)} cell(s) in {rows} recommendation(s) from the "
                f"{_SIDE_NAMES[source]} to the {_SIDE_NAMES[target]}:"
            )
            for c in moved[:_DETAIL_LINES]:
                lines.append(
                    f"  Rec {c['rec_no']} {c['field']}: "
                    f"{_short(c['old'])!r} -> {_short(c['new'])!r}"
                )
            if len(moved) > _DETAIL_LINES:
                lines.append(
                    f"  ... and {len(moved) - _DETAIL_LINES} more (see the Change Log tab)."
                )
    if outcome.conflicts:
        lines.append(f"{len(outcome.conflicts)} conflict(s) need a person:")
        for c in outcome.conflicts:
            what = c["field"] or "(whole row)"
            lines.append(
                f"  Rec {c['rec_no']} {what}: workbook {_short(c['workbook'])!r}, "
                f"sheet {_short(c['sheet'])!r} (last agreed {_short(c['base'])!r})"
            )
    errors = [i for i in outcome.issues if i.severity == Severity.ERROR]
    if errors:
        lines.append(f"{len(errors)} validation error(s) (values not carried across):")
        for i in errors:
            lines.append(f"  {i.sheet}!{i.cell} {i.message}" if i.cell else f"  {i.message}")
    lines.extend(f"Note: {n}" for n in outcome.notes)
    counts = _counts(outcome.issues)
    verdict = {
        "ok": "In sync.",
        "flagged": "Ran; something needs a person.",
        "failed": f"Could not run: {outcome.error}",
    }[outcome.status]
    lines.append(
        f"{verdict} {len(outcome.changes)} change(s), {len(outcome.conflicts)} conflict(s), "
        f"{counts['error']} error(s), {counts['warning']} warning(s). "
        f"Run {outcome.run_id}{' (dry run: nothing written)' if outcome.dry_run else ''}."
    )
    return "\n".join(lines)


_SIDE_NAMES = {"workbook": "workbook", "sheet": "Google Sheet"}
_DETAIL_LINES = 20


def _short(value: object, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counts(issues: Sequence[Issue]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for i in issues:
        counts[i.severity.value] += 1
    return counts


# --------------------------------------------------------------------------- the run


def run_sync(
    config: Config,
    *,
    dry_run: bool = False,
    email: bool | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> SyncOutcome:
    """Run one reconciliation. Raises CcrcSyncError when it could not run at all.

    `email=None` follows `config.email.when`; True always sends; False never.
    A failed run is recorded in the run history before the error is raised.
    """
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    state_dir = config.sync.state_dir
    if dry_run:
        run = _Run(config, clock, dry_run=True, state=None)
        run.dry_base = _saved_base(state_dir)
        return run.execute()
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CcrcSyncError(
            f"The state directory {state_dir} could not be created: {exc}."
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
            run = _Run(config, clock, dry_run=False, state=state)
            try:
                with _bulk_allocation():
                    outcome = run.execute()
            except CcrcSyncError as exc:
                run.record_failure(str(exc))
                exc.run_id = run.run_id  # type: ignore[attr-defined]
                exc.api_calls = run.api_calls  # type: ignore[attr-defined]
                raise
            except Exception as exc:
                run.record_failure(f"unexpected error: {type(exc).__name__}: {exc}")
                raise
            _deliver(config, state, outcome, email)
            return outcome
    finally:
        lock.release()


@contextlib.contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Pause Python's cycle collector while a run builds its large, long-lived trees.

    Loading a 10,000-row workbook creates some million objects that all live until the
    run ends; the collector would walk them again and again for nothing (a third of the
    load time at that size). It runs once at the end instead.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


class _Run:
    """The steps of one run, sharing what they have read."""

    def __init__(
        self,
        config: Config,
        clock: Callable[[], dt.datetime],
        *,
        dry_run: bool,
        state: State | None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.dry_run = dry_run
        self.state = state
        self.dry_base: dict[int, dict[str, Value]] | None = None  # what a dry run compares with
        self.started = clock()
        self.today = self.started.astimezone(ZoneInfo(config.schedule.timezone)).date()
        self.run_id = (
            state.start_run(self.started)
            if state is not None
            else "dry-run-" + self.started.strftime("%Y%m%dT%H%M%SZ")
        )
        self.notes: list[str] = []
        self.sheet = None  # the GoogleSheet once connected

    @property
    def api_calls(self) -> int:
        return 0 if self.sheet is None else self.sheet.api_calls

    # -- failure bookkeeping

    def record_failure(self, message: str) -> None:
        if self.state is None:
            return
        finished = self.clock()
        self.state.finish_run(self.run_id, status="failed", finished=finished, error=message)
        try:
            from ccrc_sync.report import RunReport, write_report

            report = RunReport(
                run_id=self.run_id,
                status="failed",
                started=self.started,
                finished=finished,
                workbook=str(self.config.workbook.path),
                spreadsheet_id=self.config.sheet.spreadsheet_id,
                changes=[],
                conflicts=[],
                issues=[],
                counts={"error": 0, "warning": 0, "info": 0, "conflicts": 0, "changes": 0},
                summary=None,
                trend=_trend(self.state),
                error=message,
                notes=self.notes,
            )
            write_report(report, self.config.sync.reports())
        except Exception:  # the failure itself is what matters; the report is a courtesy
            log.debug("could not write the failure report", exc_info=True)

    # -- the run

    def execute(self) -> SyncOutcome:
        from ccrc_sync.workbook.legacy import PlanWorkbook, busy_reason

        cfg = self.config
        path = self._workbook_path()
        with (
            _sheet_connection(cfg, dry_run=self.dry_run) as connect,
            ThreadPoolExecutor(1) as pool,
        ):
            # The Google Sheet is read while the workbook loads: one waits on the network,
            # the other parses XML, so a run takes about as long as the slower of the two.
            fetch = pool.submit(_read_sheet, connect, [cfg.plan.sheet, *MANAGED_TABS])
            book = PlanWorkbook.load(path, cfg.plan.sheet)
            sheet, grids = fetch.result()
            self.sheet = sheet
            plan_grid = grids.get(cfg.plan.sheet) or []
            publish = not any(any(not schema.is_blank(v) for v in row) for row in plan_grid)
            sheet_table = None if publish else _sheet_table(plan_grid, cfg.plan.sheet, sheet.locale)
            blocked = self._blocking_problem(book.table, sheet_table)
            # The errors decide what may be carried; the findings reported are worked out
            # again below, on both sides as they will read after this run.
            issues, invalid = self._validate(book.table, sheet_table, plan_wide=bool(blocked))
            if blocked:
                self.notes.append(blocked)
                result = MergeResult(changes=(), conflicts=(), deletions=(), base={})
                merged_view = book.table.by_rec_no()
            else:
                result = self._merge(book.table, sheet_table, invalid)
                merged_view = _apply_view(book.table.by_rec_no(), result, Side.WORKBOOK)
            changes = [c for c in result.changes]
            wb_changes = [c for c in changes if c.target == Side.WORKBOOK]
            book_busy = busy_reason(path)
            problems = [book_busy] if book_busy else book.lossy_content()
            wb_deletions = [d.rec_no for d in result.deletions if d.target == Side.WORKBOOK]
            if not problems and (wb_changes or wb_deletions):
                # Cells go into the loaded workbook now, before anything is sent to the sheet,
                # so a cell that cannot take them (merged, say) holds the workbook back
                # instead of failing the run half-written.
                try:
                    _apply_cells(book, wb_changes, wb_deletions)
                except WorkbookError as exc:
                    problems = [str(exc)]
            if not blocked:
                # Findings as both sides will read once this run's writes land, so the next
                # run, reading exactly that, rebuilds the same tabs and writes nothing.
                issues, _ = self._validate(
                    _after_run(book.table, [] if problems else changes, result, Side.WORKBOOK),
                    _after_run(sheet_table or book.table, changes, result, Side.SHEET, publish),
                )
            # Only what will land is logged: a workbook that cannot be written gets its
            # changes (and their log lines) on the run that catches up.
            landing = [c for c in changes if c.target == Side.SHEET or not problems]
            tabs = self._managed_tabs(
                merged_view, result, issues, landing, _cell_finder(book.table, sheet_table)
            )

            book_tabs = {t: book.tab_grid(t) for t in MANAGED_TABS}  # each read once
            for title, side_name, current in (
                *((t, "workbook", book_tabs[t]) for t in MANAGED_TABS),
                *((t, "Google Sheet", grids.get(t)) for t in MANAGED_TABS),
            ):
                if not _made_by_us(current, tabs[title][0]):
                    self.notes.append(
                        f"The {side_name} has its own tab called '{title}'; it was left "
                        f"alone. Rename it to let ccrc-sync keep its {title} tab there."
                    )
            wb_tab_updates = {
                t: v
                for t, v in tabs.items()
                if _made_by_us(book_tabs[t], v[0]) and grid_differs(book_tabs[t], v[0])
            }
            wb_needs_write = bool(wb_changes or wb_tab_updates or result.deletions)
            workbook_writable = True
            if wb_needs_write:
                workbook_writable = not problems
                for problem in problems:
                    self.notes.append(
                        f"{problem} The workbook was not changed; the Google Sheet was still "
                        "synced, and the next run catches up."
                    )

            furnished_key = f"furnished:{cfg.sheet.spreadsheet_id}"
            furnished = self.state is not None and self.state.get_meta(furnished_key) == "yes"
            sheet_plan = SheetWrites(
                cfg,
                sheet,
                sheet_table,
                book.table,
                publish,
                plan_grid,
                furnish=not furnished and not self.dry_run,
            )
            sheet_plan.clear_rows([d.rec_no for d in result.deletions if d.target == Side.SHEET])
            sheet_plan.add_changes([c for c in changes if c.target == Side.SHEET])
            for title, (grid, chart) in tabs.items():
                if _made_by_us(grids.get(title), grid):
                    sheet_plan.set_tab(title, grid, grids.get(title), chart)

            if not self.dry_run:
                self.notes += sheet_plan.apply()
                if self.state is not None:
                    self.state.set_meta(furnished_key, "yes")
                _checkpoint("after-sheet-write")
                applied_wb = False
                if wb_needs_write and workbook_writable:
                    for title, (grid, chart) in wb_tab_updates.items():
                        book.replace_tab(title, grid, chart=chart)
                    try:
                        book.save(backups=cfg.workbook.backups, backup_dir=cfg.workbook.backup_dir)
                        applied_wb = True
                    except WorkbookError as exc:  # opened meanwhile, disk full, no backup...
                        workbook_writable = False
                        self.notes.append(
                            f"{exc} The Google Sheet was synced; the next run catches up."
                        )
                _checkpoint("after-workbook-write")
                landed = [c for c in changes if c.target == Side.SHEET or applied_wb]
                base = result.base
                if not blocked and (wb_changes or wb_deletions) and not applied_wb:
                    base = _hold_back(
                        self.state.base() if self.state else None, base, wb_changes, wb_deletions
                    )
            else:
                landed = changes
                base = result.base

        conflicts = [_conflict_dict(c) for c in result.conflicts]
        needs_person = conflicts or _counts(issues)["error"] or blocked or not workbook_writable
        status = "flagged" if needs_person else "ok"
        outcome = SyncOutcome(
            status=status,
            run_id=self.run_id,
            changes=[_change_dict(c) for c in (landed if not self.dry_run else changes)],
            conflicts=conflicts,
            issues=issues,
            api_calls=self.api_calls,
            notes=self.notes,
            dry_run=self.dry_run,
        )
        if self.dry_run or self.state is None:
            return outcome
        _checkpoint("before-base-commit")
        finished = self.clock()
        counts = {**_counts(issues), "conflicts": len(conflicts), "changes": len(landed)}
        self.state.finish_run(
            self.run_id,
            status=status,
            finished=finished,
            base=None if blocked else base,
            changes=landed,
            counts=counts,
            summary=self.figures.model_dump(mode="json"),
        )
        outcome.report = self._report(outcome, finished, counts)
        return outcome

    # -- steps

    def _workbook_path(self) -> Path:
        wb = self.config.workbook
        if wb.path.exists() or wb.template is None:
            return wb.path
        if not wb.template.is_file():
            raise WorkbookError(
                f"The workbook {wb.path} does not exist, and neither does its template "
                f"{wb.template}."
            )
        if self.dry_run:
            return wb.template
        wb.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(wb.template, wb.path)
        self.notes.append(f"Created {wb.path} from the template {wb.template}.")
        return wb.path

    def _validate(
        self, book_table: PlanTable, sheet_table: PlanTable | None, *, plan_wide: bool = True
    ) -> tuple[list[Issue], set[tuple[Side, int, str]]]:
        """Findings on both sides; a sheet finding already made on the workbook is not repeated.

        Near-duplicates are looked for in the workbook only (`plan_wide`): everything valid
        on the sheet reaches it, and the comparison is the costliest rule on a large plan.
        """
        plan = self.config.plan
        book_issues = schema.validate_plan(
            book_table, plan, self.today, plan_wide=plan_wide, remember=True
        )
        invalid = {(Side.WORKBOOK, r, f) for r, f in schema.invalid_cells(book_issues)}
        issues = list(book_issues)
        if sheet_table is not None:
            sheet_issues = schema.validate_plan(
                sheet_table, plan, self.today, plan_wide=False, remember=True
            )
            invalid |= {(Side.SHEET, r, f) for r, f in schema.invalid_cells(sheet_issues)}
            seen = {(i.code, i.rec_no, i.field, i.value) for i in book_issues}
            # Same tab name on both sides; the message says which side the cell is on.
            issues += [
                i.model_copy(update={"message": f"In the Google Sheet: {i.message}"})
                for i in sheet_issues
                if (i.code, i.rec_no, i.field, i.value) not in seen
            ]
        return issues, invalid

    def _blocking_problem(self, book: PlanTable, sheet: PlanTable | None) -> str | None:
        """A side without its Rec No. column cannot be matched row by row: merging it would
        read as every row deleted, so nothing is carried across until it is put back."""
        for name, table in (("workbook", book), ("Google Sheet", sheet)):
            if table is not None and schema.REC_NO not in table.columns:
                return (
                    f"The {name}'s {self.config.plan.sheet} tab has no Rec No. column, so rows "
                    "cannot be matched; nothing was synced. Restore the column and run again."
                )
        return None

    def _merge(
        self, book: PlanTable, sheet: PlanTable | None, invalid: set[tuple[Side, int, str]]
    ) -> MergeResult:
        cfg = self.config
        if sheet is None:
            # Publishing to an empty sheet: the workbook is the whole story.
            fields = [f for f in schema.FIELDS if f in book.columns]
            sheet_rows: dict[int, dict[str, Value]] = {}
            base = None
        else:
            fields = [f for f in schema.FIELDS if f in book.columns and f in sheet.columns]
            sheet_rows = sheet.by_rec_no()
            base = self.state.base() if self.state else self.dry_base
        return merge(
            base,
            book.by_rec_no(),
            sheet_rows,
            fields=fields,
            policy=cfg.sync.policy,
            propagate_deletions=cfg.sync.propagate_deletions,
            invalid=invalid,
            statuses=cfg.plan.statuses,
            sections=cfg.plan.sections,
        )

    def _managed_tabs(
        self,
        view: dict[int, dict[str, Value]],
        result: MergeResult,
        issues: Sequence[Issue],
        landing: Sequence[Change],
        cell_of: Callable[[int, str | None], str | None] = lambda rec_no, field: None,
    ) -> dict[str, tuple[list[list[Value]], object | None]]:
        from ccrc_sync import report, summary

        counts = _counts(issues)
        self.figures = summary.compute(
            view,
            self.config.plan,
            self.today,
            open_conflicts=len(result.conflicts),
            findings=counts,
        )
        last_changed = self._figures_changed_at()
        grid, chart = summary.summary_grid(
            self.figures, last_changed and self._local(last_changed), self.config.plan
        )
        conflicts = [
            {**_conflict_dict(c, raw=True), "cell": cell_of(c.rec_no, c.field)}
            for c in result.conflicts
        ]
        log_entries = self._change_log_entries(landing)
        return {
            SUMMARY_TAB: (_plain(grid), chart),
            ISSUES_TAB: (_plain(report.sync_issues_grid(conflicts, issues)), None),
            CHANGE_LOG_TAB: (_plain(report.change_log_grid(log_entries)), None),
        }

    def _figures_changed_at(self) -> dt.datetime | None:
        """Figures keep their timestamp until they change, so an idle run writes nothing."""
        digest = json.dumps(self.figures.model_dump(mode="json"), sort_keys=True)
        if self.state is None:
            stamp = self.started
        elif self.state.get_meta("figures") == digest:
            saved = self.state.get_meta("figures_changed_at")
            stamp = dt.datetime.fromisoformat(saved) if saved else self.started
        else:
            stamp = self.started
            if not self.dry_run:
                self.state.set_meta("figures", digest)
                self.state.set_meta("figures_changed_at", stamp.isoformat())
        return stamp

    def _local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(ZoneInfo(self.config.schedule.timezone))

    def _change_log_entries(self, changes: Sequence[Change]) -> list[dict]:
        """The Change Log tab's rows, newest first, exactly as the next run will rebuild them
        from the state: stamped with their run's start (the state stamps the finish, which
        the tab cannot know yet) and in the state's order (last logged first), so an idle
        run finds the tab unchanged and writes nothing."""
        limit = self.config.sync.change_log_rows
        new = [
            {
                "when": self._local(self.started),
                "run_id": self.run_id,
                "rec_no": c.rec_no,
                "field": c.field,
                "source": c.source.value,
                "target": c.target.value,
                "old": c.old,
                "new": c.new,
            }
            for c in reversed(changes)
        ]
        old = [] if self.state is None else self.state.change_log(limit)
        started = {} if self.state is None else {r.run_id: r.started for r in self.state.runs()}
        entries = new + [
            {
                "when": self._local(started.get(e.run_id, e.when)),
                "run_id": e.run_id,
                "rec_no": e.rec_no,
                "field": e.field,
                "source": e.source,
                "target": e.target,
                "old": e.old,
                "new": e.new,
            }
            for e in old
        ]
        return entries[:limit]

    def _report(self, outcome: SyncOutcome, finished: dt.datetime, counts: dict) -> object:
        from ccrc_sync.report import RunReport, write_report

        report = RunReport(
            run_id=self.run_id,
            status=outcome.status,
            started=self.started,
            finished=finished,
            workbook=str(self.config.workbook.path),
            spreadsheet_id=self.config.sheet.spreadsheet_id,
            changes=outcome.changes,
            conflicts=outcome.conflicts,
            issues=outcome.issues,
            counts=counts,
            summary=self.figures,
            trend=_trend(self.state),
            error=None,
            notes=self.notes,
        )
        html_path, _ = write_report(report, self.config.sync.reports())
        outcome.report_path = html_path
        return report


# --------------------------------------------------------------------------- the sheet side


@contextlib.contextmanager
def _sheet_connection(config: Config, *, dry_run: bool = False) -> Iterator:
    """A way to connect to the Google Sheet, starting the embedded emulator when configured
    (for a dry run, on a scratch copy of its data, so not even the demo's file changes)."""
    from ccrc_sync.sheet import GoogleSheet

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


def _saved_base(state_dir: Path) -> dict[int, dict[str, Value]] | None:
    """The last agreed version, read without creating anything (a dry run writes nothing)."""
    from ccrc_sync.state import STATE_FILE

    if not (state_dir / STATE_FILE).is_file():
        return None
    with State(state_dir) as state:
        return state.base()


def _read_sheet(connect: Callable, titles: list[str]) -> tuple:
    """Connect (one metadata GET) and read the tabs (one batchGet)."""
    sheet = connect()
    return sheet, sheet.read(titles)


# --------------------------------------------------------------------------- the workbook side


def _apply_cells(book, changes: Sequence[Change], doomed: Sequence[int]) -> None:
    """This run's cells, new rows and (when configured) deletions, into the loaded workbook."""
    existing = set(book.table.by_rec_no())
    updates = [(c.rec_no, c.field, _typed(c.field, c.new)) for c in changes if c.rec_no in existing]
    book.set_cells(updates)
    new_rows: dict[int, dict[str, Value]] = {}
    for c in changes:
        if c.rec_no not in existing:
            row = new_rows.setdefault(c.rec_no, {schema.REC_NO: c.rec_no})
            row[c.field] = _typed(c.field, c.new)
    if new_rows:
        book.append_rows([new_rows[r] for r in sorted(new_rows)])
    if doomed:
        book.delete_rows(doomed)


def _made_by_us(current: Sequence[Sequence[Value]] | None, desired: list[list[Value]]) -> bool:
    """A tab ccrc-sync may regenerate: missing, empty, or starting as ours does. A tab staff
    made and happened to call `Summary` is theirs, and is never overwritten."""
    if not current or not any(not schema.is_blank(v) for row in current for v in row):
        return True
    first = current[0][0] if current[0] else None
    return same_cell(desired[0][0], first)


def _after_run(
    table: PlanTable,
    changes: Sequence[Change],
    result: MergeResult,
    side: Side,
    publish: bool = False,
) -> PlanTable:
    """`table` (one side's plan tab) as it will read after this run's writes to `side`.

    New rows land where the writers put them: after the last data row in the workbook,
    after the last row of the grid on the sheet, in the order the changes come. The sheet
    hands every cell back as text, so its values are kept as the text a read returns.
    `publish` means the sheet is empty and receives `table` (the workbook's) whole.
    """
    # Cell values are plain scalars, so copying each row's dicts is a full copy.
    after = table.model_copy(
        update={
            "rows": [
                schema.PlanRow.model_construct(
                    row=r.row, values=dict(r.values), extras=dict(r.extras)
                )
                for r in table.rows
            ],
            "merged": list(table.merged),
        }
    )

    def as_read(field: str, value: Value) -> Value:
        if side is Side.WORKBOOK:
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value) if float(value).is_integer() else value  # numbers read back
        return _typed(field, _as_sheet_text(value))

    if publish:  # headers in row 1, then the workbook's rows one after another
        after.header_row = 1
        for row, plan_row in enumerate(after.rows, start=2):
            plan_row.row = row
            plan_row.values = {k: as_read(k, v) for k, v in plan_row.values.items()}
            plan_row.extras = {k: as_read(k, v) for k, v in plan_row.extras.items()}
        after.merged = []
        return after
    rows = {}
    for plan_row in after.rows:
        number = schema.rec_no_of(plan_row.values.get(schema.REC_NO))
        if number is not None and number not in rows:
            rows[number] = plan_row
    for d in result.deletions:  # both writers blank a deleted row; nothing moves up
        if d.target == side and d.rec_no in rows:
            after.rows.remove(rows.pop(d.rec_no))
    last = max([r.row for r in after.rows] + [after.header_row])
    mine = [c for c in changes if c.target == side and c.field in after.columns]
    if side is Side.WORKBOOK:
        mine.sort(key=lambda c: c.rec_no)  # new rows are appended in Rec No. order
    for c in mine:
        plan_row = rows.get(c.rec_no)
        if plan_row is None:
            last += 1
            plan_row = schema.PlanRow.model_construct(
                row=last,
                values={label: None for label in after.columns} | {schema.REC_NO: c.rec_no},
                extras={},
            )
            if side is Side.SHEET:
                plan_row.values[schema.REC_NO] = as_read(schema.REC_NO, c.rec_no)
            after.rows.append(plan_row)
            rows[c.rec_no] = plan_row
        new = _typed(c.field, c.new) if side is Side.WORKBOOK else as_read(c.field, c.new)
        plan_row.values[c.field] = new
    return after


def _as_sheet_text(value: Value) -> Value:
    return None if schema.is_blank(value) else schema.display(value)


def _sheet_table(grid: list[list[str]], sheet: str, locale: str = "") -> PlanTable:
    """The Google Sheet's plan tab, read as the person meant it.

    A read hands every cell over as formatted text, so a real date in the sheet arrives as
    `2027-03-31` (or `3/31/2027` in a US-locale sheet): it is a date, not a date typed as
    text, and is judged and carried as one.
    """
    day_first = not locale.startswith("en_US")
    table = schema.table_from_grid(grid, sheet)
    for row in table.rows:
        row.values = {
            field: _typed(field, value, day_first=day_first) for field, value in row.values.items()
        }
    return table


def _typed(field: str, value: Value, *, day_first: bool = True) -> Value:
    """The Google Sheet hands every cell over as text; the workbook should hold what the
    person meant: a Rec No. as a number and a date as a real date (not text that Excel
    would neither sort nor filter as one). Anything that does not read cleanly stays text."""
    if not isinstance(value, str):
        return value
    if field == schema.REC_NO:
        number = schema.rec_no_of(value)
        return value if number is None else number
    if field in schema.DATE_FIELDS:
        day = schema.as_date(value, day_first=day_first)
        return value if day is None else day
    return value


def _cell_finder(
    book: PlanTable, sheet: PlanTable | None
) -> Callable[[int, str | None], str | None]:
    """Where a conflict sits, so staff can go straight to it: one A1 reference when both
    sides have it in the same place, else each side's."""
    sides = [("workbook", book, book.row_of())]
    if sheet is not None:
        sides.append(("sheet", sheet, sheet.row_of()))

    def cell_of(rec_no: int, field: str | None) -> str | None:
        found = []
        for name, table, rows in sides:
            col = table.columns.get(field or schema.REC_NO)
            if rec_no in rows and col is not None:
                found.append((name, f"{table.sheet}!{schema.a1(rows[rec_no], col)}"))
        if not found:
            return None
        if len({ref for _, ref in found}) == 1:
            return found[0][1]
        return ", ".join(f"{name} {ref}" for name, ref in found)

    return cell_of


def _hold_back(
    old_base: Mapping[int, Mapping[str, Value]] | None,
    base: dict[int, dict[str, Value]],
    unapplied: Sequence[Change],
    undeleted: Sequence[int] = (),
) -> dict[int, dict[str, Value]]:
    """Keep the old base for cells (and rows to delete) that could not be written to the
    workbook, so the next run still sees them as one-sided and carries them across then."""
    held = {r: dict(v) for r, v in base.items()}
    old = old_base or {}
    for rec_no in undeleted:
        if rec_no in old:
            held[rec_no] = dict(old[rec_no])
    for c in unapplied:
        if c.rec_no not in old:
            held.pop(c.rec_no, None)
        elif c.rec_no in held:
            held[c.rec_no][c.field] = old[c.rec_no].get(c.field)
    return held


# --------------------------------------------------------------------------- helpers


def _apply_view(
    table: dict[int, dict[str, Value]], result: MergeResult, side: Side
) -> dict[int, dict[str, Value]]:
    """The plan as it will read on `side` once this run's changes land (for the Summary)."""
    view = {r: dict(v) for r, v in table.items()}
    for c in result.changes:
        if c.target == side:
            view.setdefault(c.rec_no, {schema.REC_NO: c.rec_no})[c.field] = c.new
    for d in result.deletions:  # a propagated deletion leaves the plan on both sides
        view.pop(d.rec_no, None)
    return view


def _plain(grid: list[list[Value]]) -> list[list[Value]]:
    """Staff-facing tabs hold text and numbers only, so both sides show them identically."""
    out: list[list[Value]] = []
    for row in grid:
        out.append([schema.display(v) if isinstance(v, dt.date) else v for v in row])
    return out


def _change_dict(c: Change) -> dict:
    return {
        "rec_no": c.rec_no,
        "field": c.field,
        "from": c.source.value,
        "to": c.target.value,
        "old": _json_value(c.old),
        "new": _json_value(c.new),
    }


def _conflict_dict(c: Conflict, raw: bool = False) -> dict:
    conv = (lambda v: v) if raw else _json_value
    d = {
        "rec_no": c.rec_no,
        "field": c.field,
        "base": conv(c.base),
        "workbook": conv(c.workbook),
        "sheet": conv(c.sheet),
    }
    if raw:
        d["kind"] = c.kind
    return d


def _json_value(value: Value) -> Value:
    if schema.is_blank(value):
        return None  # an empty cell reads the same whichever side it came from
    if isinstance(value, dt.date):
        return schema.display(value)
    return value


def _trend(state: State | None) -> list[dict]:
    if state is None:
        return []
    points = []
    for run in reversed(state.runs(limit=60)):
        if run.summary and run.status != "failed":
            points.append(
                {
                    "run_id": run.run_id,
                    "finished": run.finished,
                    "by_status": run.summary.get("by_status", {}),
                }
            )
    return points


# --------------------------------------------------------------------------- email


def _deliver(config: Config, state: State, outcome: SyncOutcome, email: bool | None) -> None:
    """Send this run's report (and any earlier one that failed to go) when asked to."""
    if outcome.report is None:
        return
    wanted = email
    if wanted is None:
        when = config.email.when
        wanted = when == EmailWhen.ALWAYS or (when == EmailWhen.FLAGGED and outcome.status != "ok")
    if not wanted:
        return
    from ccrc_sync.mail import send_report
    from ccrc_sync.report import load_report

    reports = config.sync.reports()
    pending = [r for r in state.unsent_reports() if r != outcome.run_id]
    for run_id in pending:
        try:
            send_report(load_report(reports, run_id), config.email)
            state.mark_report_sent(run_id)
        except CcrcSyncError as exc:
            log.warning("could not re-send the report of run %s: %s", run_id, exc)
            state.mark_report_sent(run_id, False)
    try:
        send_report(outcome.report, config.email)
        state.mark_report_sent(outcome.run_id)
    except MailError as exc:
        state.mark_report_sent(outcome.run_id, False)
        outcome.notes.append(
            f"The report could not be emailed: {exc} It is kept at {outcome.report_path} "
            "and will be sent with the next run."
        )


def last_report(config: Config, *, email: bool = False, out: Path | None = None) -> str:
    """Render the last run's report to a file, or send it again."""
    from ccrc_sync.report import load_report, render_html
    from ccrc_sync.report import render_text as report_text

    report = load_report(config.sync.reports())
    messages = []
    if out is not None:
        text = report.model_dump_json(indent=2) if out.suffix == ".json" else render_html(report)
        out.write_text(text, encoding="utf-8")
        messages.append(f"Wrote the report of run {report.run_id} to {out}.")
    if email:
        from ccrc_sync.mail import send_report

        send_report(report, config.email)
        with State(config.sync.state_dir) as state:
            state.mark_report_sent(report.run_id)
        messages.append(
            f"Sent the report of run {report.run_id} to {', '.join(config.email.recipients)}."
        )
    return "\n".join(messages) if messages else report_text(report)
