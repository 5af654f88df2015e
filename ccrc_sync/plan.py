"""One run as a pure plan: both sides and the sync's memory in, everything to do out.

`plan_run` decides the whole run - what to write to each side, the tabs, the findings, the
notes, the base to commit and the outcome - from plain data, so every rule of a run can be
tested as a table of cases without a file or a network. The shell (`sync.py`) only reads
the inputs, calls `plan_run`, and applies the plan in the crash-safe order.

The order of the decisions matters: first whether the run may run at all (a missing plan
tab with a base behind it, a lost memory), then what is in doubt (validation, a restored
copy), then the merge, and only then what each side must be told.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ccrc_sync import schema
from ccrc_sync.config import Config
from ccrc_sync.layout import CellLink, TabLayout, grid_differs
from ccrc_sync.merge import (
    Change,
    Conflict,
    ConflictKind,
    HoldReason,
    MergeResult,
    MergeSettings,
    Side,
    SideRows,
    Table,
    merge,
    side_rows,
)
from ccrc_sync.outcome import RunStatus
from ccrc_sync.plan_sides import (
    after_run,
    base_without,
    locked_cells,
    marks_for,
    merged_cells,
    side_writes,
)
from ccrc_sync.schema import Issue, PlanTable, RecNo, Severity, Value
from ccrc_sync.state import LogEntry, LogEvent
from ccrc_sync.summary import SummaryFigures, compute
from ccrc_sync.tabs import MANAGED_TABS, issues_layout, log_layout, summary_layout
from ccrc_sync.writes import SheetWrites, WorkbookWrites

Grid = list[list[Value]]


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class WorkbookSide:
    """The workbook as read."""

    table: PlanTable
    tabs: Mapping[str, Grid | None] = field(default_factory=dict)
    # False when it cannot be written this run (open in Excel, locked): what is bound for
    # it waits, so the Google Sheet's Change Log must not yet say it was copied there.
    writable: bool = True


@dataclass(frozen=True)
class SheetSide:
    """The Google Sheet as read (one request)."""

    table: PlanTable | None  # the plan tab; None when it is missing or empty
    tabs: Mapping[str, Grid | None] = field(default_factory=dict)
    ours: frozenset[str] = frozenset()  # generated tabs this tool made there
    synced_before: bool = False  # the spreadsheet carries this tool's marker
    renamed_plan: str | None = None  # the plan tab this tool made, under another title
    plan_tab_exists: bool = False
    gid: int | None = None
    url: str = ""


@dataclass(frozen=True)
class OpenConflict:
    """A conflict the last run left open (so this run can tell when it is resolved)."""

    rec_no: RecNo
    field: str
    workbook: Value
    sheet: Value
    kind: str = ""  # its `ConflictKind` value, as the last run recorded it


@dataclass(frozen=True)
class History:
    """What the sync remembers between runs (the state)."""

    base: Table | None = None
    fingerprints: tuple[tuple[str, dt.datetime, str], ...] = ()  # (run, when, digest), newest first
    marks: Mapping[tuple[Side, RecNo, str], str | None] = field(default_factory=dict)
    open_conflicts: tuple[OpenConflict, ...] = ()
    log: tuple[LogEntry, ...] = ()  # the Change Log so far, newest first
    figures_digest: str | None = None
    figures_changed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    rebase: bool = False  # start again without a base: every difference a conflict
    accept_restore: bool = False  # a restored older workbook is what staff want now
    accept_clears: frozenset[str] = frozenset()  # columns a person emptied on purpose


@dataclass(frozen=True)
class RunInputs:
    config: Config
    today: dt.date
    started: dt.datetime  # aware
    run_id: str
    workbook: WorkbookSide
    sheet: SheetSide
    history: History = field(default_factory=History)
    options: Options = field(default_factory=Options)


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class RunPlan:
    """Everything one run does, decided before anything is written."""

    status: RunStatus
    refusal: str | None = None  # could not run: this sentence, nothing written
    published: int | None = None  # recommendations published to an empty Google Sheet
    merge: MergeResult | None = None
    workbook: WorkbookWrites = field(default_factory=WorkbookWrites)
    sheet: SheetWrites = field(default_factory=SheetWrites)
    issues: tuple[Issue, ...] = ()
    notes: tuple[str, ...] = ()
    base: Table | None = None  # to commit when both sides are written
    base_sheet_only: Table | None = None  # to commit when the workbook could not be
    log: tuple[LogEntry, ...] = ()  # Change Log lines this run adds (newest first)
    fingerprint: str = ""  # the workbook's content after the run
    marks: frozenset[tuple[Side, RecNo, str]] = frozenset()  # conflict marks after the run
    open_conflicts: tuple[OpenConflict, ...] = ()
    # Where each conflict is, on each side that has its row.
    conflict_cells: Mapping[tuple[Side, RecNo, str | None], CellLink] = field(default_factory=dict)
    figures: SummaryFigures | None = None
    figures_digest: str = ""
    figures_changed_at: dt.datetime | None = None

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.merge.changes if self.merge else ()

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        return self.merge.conflicts if self.merge else ()


def refused(message: str) -> RunPlan:
    return RunPlan(status=RunStatus.FAILED, refusal=message)


def plan_run(inputs: RunInputs) -> RunPlan:
    """Plan one reconciliation run. Pure: the same inputs always give the same plan."""
    cfg, history, opts = inputs.config, inputs.history, inputs.options
    book, sheet = inputs.workbook.table, inputs.sheet.table
    base = None if opts.rebase else history.base
    title = cfg.plan.sheet
    if sheet is None and history.base is not None and not opts.rebase:
        return refused(_missing_tab(title, inputs.sheet))
    if base is None and sheet is not None and inputs.sheet.synced_before and not opts.rebase:
        return refused(
            "The sync has no memory of the last agreed version (its state folder "
            f"{cfg.sync.state_dir} is missing or empty), but the Google Sheet has been synced "
            "before, so a blank cell could be either side's deletion. Nothing was written. "
            "Run `ccrc-sync sync --rebase` to start again from both sides as they are: "
            "every difference is then listed as a conflict, and nothing is filled in."
        )
    notes: list[str] = []
    blocked = _blocking_problem(title, book, sheet)
    validator = schema.Validator(cfg.plan, inputs.today)
    # Errors decide what may be carried; the rules that compare rows only ever warn.
    book_issues = validator.validate(book, plan_wide=False)
    sheet_issues = (
        validator.validate(sheet, plan_wide=False, same_as=book) if sheet is not None else []
    )
    invalid = {(Side.WORKBOOK, r, f) for r, f in schema.invalid_cells(book_issues)}
    invalid |= {(Side.SHEET, r, f) for r, f in schema.invalid_cells(sheet_issues)}
    checked = fingerprint(book) if len(history.fingerprints) >= 2 else ""
    restored = None if opts.accept_restore else _restored(book, checked, history, notes, cfg)

    if blocked:
        notes.append(blocked)
        result = MergeResult((), (), (), (), dict(history.base or {}))
    elif sheet is None:
        result = _publish(book, invalid)
    else:
        result = merge(
            base,
            _side(book),
            _side(sheet),
            MergeSettings(
                policy=cfg.sync.policy,
                propagate_deletions=cfg.sync.propagate_deletions,
                max_deletion_share=cfg.sync.max_deletion_share,
                statuses=cfg.plan.statuses,
                sections=cfg.plan.sections,
                invalid=frozenset(invalid),
                locked=locked_cells(book, sheet),
                accept_clears=opts.accept_clears,
                restored=restored,
            ),
        )
    publish = sheet is None and not blocked
    book_after = after_run(book, result, Side.WORKBOOK)
    sheet_after = after_run(sheet if sheet is not None else book, result, Side.SHEET, publish)
    # Findings as both sides will read once this run's writes land, so the next run,
    # reading exactly that, rebuilds the same tabs and writes nothing.
    issues = _findings(validator, book_after, sheet_after if not publish else None)
    issues += _run_findings(result, inputs, book, sheet)
    notes += _hold_notes(result, cfg)
    if sheet is not None and inputs.sheet.renamed_plan:
        notes.append(
            f"The Google Sheet also has a tab '{inputs.sheet.renamed_plan}' that ccrc-sync "
            f"made as its {title} tab; it is left alone."
        )
    view = {**book_after.by_rec_no()}
    figures = compute(
        view,
        cfg.plan,
        inputs.today,
        open_conflicts=len(result.conflicts),
        findings=_counts(issues),
    )
    digest = json.dumps(figures.model_dump(mode="json"), sort_keys=True)
    changed_at = (
        history.figures_changed_at
        if digest == history.figures_digest and history.figures_changed_at is not None
        else inputs.started
    )
    zone = ZoneInfo(cfg.schedule.timezone)
    # Recommendations, not their lettered parts: "Published the plan (34 recommendations)".
    recommendations = sum(1 for key in view if schema.parent_of(key) is None)
    log = _log_entries(inputs, result, publish, recommendations)
    if not inputs.workbook.writable:
        log = [e for e in log if e.target != Side.WORKBOOK.value]
    tabs = _tabs(
        inputs,
        figures,
        changed_at.astimezone(zone),
        result,
        issues,
        log,
        book_after,
        sheet_after,
        notes,
    )
    wb_writes, sh_writes = side_writes(
        cfg, book, sheet, result, publish, tabs, marks_for(result, history.marks, book, sheet)
    )
    status = RunStatus.OK
    if result.conflicts or _counts(issues)["error"] or blocked or result.holds:
        status = RunStatus.FLAGGED
    open_now = tuple(
        OpenConflict(c.rec_no, c.field, c.workbook, c.sheet)
        for c in result.conflicts
        if c.field is not None
    )
    return RunPlan(
        status=status,
        published=recommendations if publish else None,
        merge=result,
        workbook=wb_writes,
        sheet=sh_writes,
        issues=tuple(issues),
        notes=tuple(notes),
        base=None if blocked else result.base,
        base_sheet_only=None if blocked else base_without(history.base, result, Side.WORKBOOK),
        log=tuple(log),
        fingerprint=fingerprint(book_after) if book_after is not book or not checked else checked,
        marks=frozenset(
            (side, c.rec_no, c.field)
            for c in result.conflicts
            if c.field is not None
            for side in Side
        ),
        open_conflicts=open_now,
        conflict_cells=_conflict_cells(result, book, sheet),
        figures=figures,
        figures_digest=digest,
        figures_changed_at=changed_at,
    )


# ----------------------------------------------------------------------------- steps


def _missing_tab(title: str, sheet: SheetSide) -> str:
    if sheet.renamed_plan:
        return (
            f"The {title} tab is missing from the Google Sheet, and the tab ccrc-sync made "
            f"for the plan is now called '{sheet.renamed_plan}': was it renamed? Rename it "
            f"back to '{title}' (or set [plan] sheet in the configuration), then run again. "
            "Nothing was written."
        )
    return (
        f"The {title} tab is missing from the Google Sheet (or empty), but the two sides "
        f"were synced before: was it renamed or deleted? Restore the {title} tab, then run "
        "again. Nothing was written, so no edit is lost."
    )


def _blocking_problem(title: str, book: PlanTable, sheet: PlanTable | None) -> str | None:
    """A side without its Rec No. column cannot be matched row by row: merging it would
    read as every row deleted, so nothing is carried across until it is put back."""
    for name, table in (("workbook", book), ("Google Sheet", sheet)):
        if table is not None and schema.REC_NO not in table.columns:
            return (
                f"The {name}'s {title} tab has no Rec No. column, so rows cannot be matched; "
                "nothing was synced. Restore the column and run again."
            )
    return None


def _side(table: PlanTable) -> SideRows:
    return side_rows(((r.key, r.values) for r in table.rows), table.columns)


def _publish(book: PlanTable, invalid: set[tuple[Side, RecNo, str]]) -> MergeResult:
    """An empty Google Sheet receives the workbook whole; the agreed version is the
    workbook's rows, less any value that failed validation (it stays a pending edit in the
    workbook, carried once it is fixed)."""
    rows = side_rows(((r.key, r.values) for r in book.rows), book.columns)
    base = {
        key: {
            label: None if (Side.WORKBOOK, key, label) in invalid else value
            for label, value in values.items()
        }
        for key, values in rows.rows.items()
    }
    return MergeResult((), (), (), (), base)


def fingerprint(table: PlanTable) -> str:
    """The plan's content, independent of how the file happens to be saved: its rows by
    Rec No., each cell as the value it holds (a blank is a blank, 15.0 is 15)."""
    digest = hashlib.sha256()
    for key, cells in sorted(
        ((r.key or f"row {r.row}", r.values) for r in table.rows), key=lambda item: item[0]
    ):
        digest.update(key.encode())
        for label in sorted(cells):
            digest.update(f"\x1f{label}\x1e{_cell_key(cells[label])}".encode())
        digest.update(b"\x1d")
    return digest.hexdigest()


def _cell_key(value: Value) -> str:
    """A cell's value, spelled one way: what a re-read of the same file gives back."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return schema.format_number(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return f"{type(value).__name__}:{value}"


def _restored(
    book: PlanTable, mine: str, history: History, notes: list[str], cfg: Config
) -> Side | None:
    """The workbook is an older copy brought back (version history, a backup) when its
    content (`mine`, its fingerprint) is what an earlier run left, and not what the last
    run left, unless all the sync did since was carry the workbook's own edits away: then
    a person undid them."""
    for run_id, when, digest in history.fingerprints[1:]:
        if mine == history.fingerprints[0][2]:
            break
        if digest == mine and _only_own_edits_since(history, when, cfg.sync.change_log_rows):
            return None
        if digest == mine:
            notes.append(
                f"The workbook is the same as the copy written by run {run_id} on "
                f"{when:%d %B %Y}, older than the last sync: it looks like a restored copy. "
                "Its older values were not carried to the Google Sheet (they are listed as "
                "conflicts). If the older copy is what you want, run `ccrc-sync sync "
                "--accept-restore`."
            )
            return Side.WORKBOOK
    return _still_restored(book, history, notes, cfg)


def _still_restored(
    book: PlanTable, history: History, notes: list[str], cfg: Config
) -> Side | None:
    """A restored copy held back last run is still one while the workbook holds any of
    the older values it brought back (its fingerprint is now the latest, so only the open
    conflicts tell): otherwise the next run would carry them over the newer edits."""
    rows = book.by_rec_no()
    statuses, sections = cfg.plan.statuses, cfg.plan.sections
    for c in history.open_conflicts:
        if c.kind != ConflictKind.RESTORED.value or c.rec_no not in rows:
            continue
        held = schema.normalise(c.field, c.workbook, statuses, sections)
        if schema.normalise(c.field, rows[c.rec_no].get(c.field), statuses, sections) == held:
            notes.append(
                "The workbook still holds older values from a restored copy (listed as "
                "conflicts); they were not carried to the Google Sheet. Settle each one, or "
                "if the older copy is what you want, run `ccrc-sync sync --accept-restore`."
            )
            return Side.WORKBOOK
    return None


def _only_own_edits_since(history: History, when: dt.datetime, kept: int) -> bool:
    """Whether every line the Change Log holds since `when` carried a workbook edit to the
    Google Sheet (and there is at least one, and the log reaches back that far): going
    back to that content reverts nothing that came from elsewhere."""
    since = [e for e in history.log if e.when > when]
    if not since or (len(history.log) >= kept and len(since) == len(history.log)):
        return False
    return all(e.target == Side.SHEET.value and e.source == Side.WORKBOOK.value for e in since)


def _findings(validator: schema.Validator, book: PlanTable, sheet: PlanTable | None) -> list[Issue]:
    """Findings on both sides; a sheet finding already made on the workbook is not repeated."""
    issues = list(validator.validate(book))
    if sheet is None:
        return issues
    seen = {(i.code, i.rec_no, i.field, i.value) for i in issues}
    for i in validator.validate(sheet, plan_wide=False, same_as=book):
        if (i.code, i.rec_no, i.field, i.value) not in seen:
            issues.append(i.model_copy(update={"message": f"In the Google Sheet: {i.message}"}))
    return issues


def _run_findings(
    result: MergeResult, inputs: RunInputs, book: PlanTable, sheet: PlanTable | None
) -> list[Issue]:
    """What the run itself noticed: a completed recommendation reopened, a change held
    back because its cell holds a formula, a column missing on one side."""
    cfg = inputs.config
    out: list[Issue] = []
    complete = schema.canonical(cfg.plan.statuses, cfg.plan.complete_status)
    base = inputs.history.base or {}
    for c in result.changes:
        if c.field != schema.STATUS or c.rec_no not in base:
            continue
        before = schema.canonical(cfg.plan.statuses, base[c.rec_no].get(schema.STATUS))
        after = schema.canonical(cfg.plan.statuses, c.new)
        if before == complete and after != complete:
            out.append(
                schema.make_issue(
                    "status.reopened",
                    sheet=cfg.plan.sheet,
                    rec_no=c.rec_no,
                    field=schema.STATUS,
                    value=schema.display(c.new),
                    old=schema.display(base[c.rec_no].get(schema.STATUS)),
                    new=schema.display(c.new),
                    side=c.source.label,
                    other=c.target.label,
                )
            )
    rows = book.row_of()
    merged = merged_cells(book)
    for hold in result.holds:
        if hold.reason is HoldReason.LOCKED and hold.rec_no and hold.field:
            col = book.columns.get(hold.field)
            row = rows.get(hold.rec_no)
            hidden = (Side.WORKBOOK, hold.rec_no, hold.field) in merged
            out.append(
                schema.make_issue(
                    "cell.merged_kept" if hidden else "cell.formula_kept",
                    sheet=book.sheet,
                    cell=schema.a1(row, col) if row and col else None,
                    rec_no=hold.rec_no,
                    field=hold.field,
                    value=schema.display(hold.value),
                )
            )
    if sheet is not None and inputs.history.base is not None:
        for side, table, other in (
            (Side.WORKBOOK, book, sheet),
            (Side.SHEET, sheet, book),
        ):
            for label in other.columns:
                if label not in table.columns and label not in schema.QUIET_FIELDS:
                    out.append(
                        schema.make_issue(
                            "column.one_side",
                            sheet=table.sheet,
                            field=label,
                            side=side.label,
                            other=side.other.label,
                        )
                    )
    return out


def _hold_notes(result: MergeResult, cfg: Config) -> list[str]:
    notes: list[str] = []
    broken: dict[Side, list[RecNo]] = {}
    for hold in result.holds:
        if hold.reason is HoldReason.MANY_DELETED:
            other = hold.side.other.label
            notes.append(
                f"{hold.value} recommendations vanished from the {hold.side.label} at once, "
                f"more than {cfg.sync.max_deletion_share:.0%} of the plan; that looks like an "
                f"accident, so nothing was deleted or re-added. If they were meant to go, "
                f"delete them in the {other} too; otherwise put them back."
            )
        elif hold.reason is HoldReason.COLUMN_CLEARED:
            notes.append(
                f"Every {hold.field} in the {hold.side.label} was emptied at once (was the "
                "column deleted and added back?); the values were kept on both sides. If they "
                f"were meant to be cleared, run `ccrc-sync sync --accept-clears "
                f'"{hold.field}"`.'
            )
        elif hold.reason is HoldReason.KEYS_BROKEN and hold.rec_no:
            broken.setdefault(hold.side, []).append(hold.rec_no)
    for side, recs in broken.items():
        listed = ", ".join(recs[:10]) + (" ..." if len(recs) > 10 else "")
        notes.append(
            f"Rec {listed} {'is' if len(recs) == 1 else 'are'} missing from the {side.label}, "
            "where some rows have a blank, repeated or invalid Rec No.; nothing was deleted. "
            "Fix the Rec No. column there and the next run sorts it out."
        )
    return notes


def _counts(issues: Sequence[Issue]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for i in issues:
        counts[i.severity.value] += 1
    return counts


def _log_entries(
    inputs: RunInputs, result: MergeResult, publish: bool, published: int
) -> list[LogEntry]:
    """This run's Change Log lines, newest first: the carried cells, each conflict settled
    since the last run, or a single line for a first publish."""
    when, run = inputs.started, inputs.run_id
    if publish:
        return [
            LogEntry(
                when,
                run,
                "",
                "",
                "workbook",
                "sheet",
                None,
                published,
            )
        ]
    entries = [
        LogEntry(when, run, c.rec_no, c.field, c.source.value, c.target.value, c.old, c.new)
        for c in reversed(result.changes)
    ]
    still = {(c.rec_no, c.field) for c in result.conflicts}
    statuses, sections = inputs.config.plan.statuses, inputs.config.plan.sections
    for old in inputs.history.open_conflicts:
        if (old.rec_no, old.field) in still or old.rec_no not in result.base:
            continue
        agreed = result.base[old.rec_no].get(old.field)
        key = schema.normalise(old.field, agreed, statuses, sections)
        if key == schema.normalise(old.field, old.workbook, statuses, sections):
            source, other = Side.WORKBOOK, old.sheet
        elif key == schema.normalise(old.field, old.sheet, statuses, sections):
            source, other = Side.SHEET, old.workbook
        else:
            continue  # settled on a third value: the carried change says so
        entries.append(
            LogEntry(
                when,
                run,
                old.rec_no,
                old.field,
                source.value,
                source.other.value,
                other,
                agreed,
                LogEvent.RESOLVED,
            )
        )
    return entries


def _tabs(
    inputs: RunInputs,
    figures: SummaryFigures,
    changed_at: dt.datetime,
    result: MergeResult,
    issues: Sequence[Issue],
    log: Sequence[LogEntry],
    book_after: PlanTable,
    sheet_after: PlanTable,
    notes: list[str],
) -> dict[Side, dict[str, TabLayout]]:
    """The generated tabs each side needs rewritten: made by this tool (or missing) and
    different from what the side holds now."""
    cfg = inputs.config
    zone = ZoneInfo(cfg.schedule.timezone)
    history = (*log, *inputs.history.log)
    # The log's lines are stamped with their run's start, as the next run rebuilds them.
    summary = summary_layout(figures, changed_at, cfg.plan)
    log_tab = log_layout(history, zone=zone, limit=cfg.sync.change_log_rows)
    out: dict[Side, dict[str, TabLayout]] = {}
    for side, table, current, ours in (
        (Side.WORKBOOK, book_after, inputs.workbook.tabs, None),
        (Side.SHEET, sheet_after, inputs.sheet.tabs, inputs.sheet.ours),
    ):
        where = _where(table)
        layouts = {
            summary.title: summary,
            log_tab.title: log_tab,
        }
        issues_tab = issues_layout(
            result.conflicts, issues, side=side, where=where, plan_sheet=table.sheet
        )
        layouts[issues_tab.title] = issues_tab
        wanted: dict[str, TabLayout] = {}
        for title in MANAGED_TABS:
            layout = layouts[title]
            grid = current.get(title)
            if not _made_by_us(grid, layout, ours, title):
                notes.append(
                    f"The {side.label} has its own tab called '{title}'; it was left alone. "
                    f"Rename it to let ccrc-sync keep its {title} tab there."
                )
                continue
            if grid_differs(grid, layout.grid()):
                wanted[title] = layout
        out[side] = wanted
    return out


def _conflict_cells(
    result: MergeResult, book: PlanTable, sheet: PlanTable | None
) -> dict[tuple[Side, RecNo, str | None], CellLink]:
    """Each conflict's cell on each side, so staff can go straight to it."""
    finders = [(Side.WORKBOOK, _where(book))]
    if sheet is not None:
        finders.append((Side.SHEET, _where(sheet)))
    out: dict[tuple[Side, RecNo, str | None], CellLink] = {}
    for c in result.conflicts:
        for side, where in finders:
            link = where(c.rec_no, c.field)
            if link is not None:
                out[(side, c.rec_no, c.field)] = link
    return out


def _made_by_us(
    current: Grid | None, layout: TabLayout, ours: frozenset[str] | None, title: str
) -> bool:
    """A tab ccrc-sync may regenerate: missing, empty, tagged as ours (Google), or starting
    as ours does. A tab staff made and happened to call `Summary` is theirs."""
    if not current or not any(not schema.is_blank(v) for row in current for v in row):
        return True
    if ours is not None and title in ours:
        return True
    first = current[0][0] if current[0] else None
    want = layout.rows[0].cells[0].value if layout.rows and layout.rows[0].cells else None
    return schema.display(first) == schema.display(want)


def _where(table: PlanTable) -> Callable[[RecNo, str | None], CellLink | None]:
    rows = table.row_of()

    def find(rec_no: RecNo, label: str | None) -> CellLink | None:
        col = table.columns.get(label or schema.REC_NO)
        row = rows.get(rec_no)
        if col is None or row is None:
            return None
        return CellLink(table.sheet, row, col)

    return find
