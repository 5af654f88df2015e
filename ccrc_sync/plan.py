"""One run as a pure plan: both sides and the sync's memory in, everything to do out.

`plan_run` decides the whole run - what to write to each side, the tabs, the findings, the
notes, the base to commit and the outcome - from plain data, so every rule of a run can be
tested as a table of cases without a file or a network. The shell (`sync.py`) only reads
the inputs, calls `plan_run`, and applies the plan in the crash-safe order.

The order of the decisions matters: first whether the run may run at all (a missing plan
tab with a base behind it, a lost memory), then what is in doubt (validation, a restored
copy), then the merge, and only then what each side must be told. The data it speaks in is
in `plan_model`; what it notices and says, in `plan_checks`; where its decisions land on
each side, in `plan_sides`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

from ccrc_sync import config as configuration
from ccrc_sync import schema
from ccrc_sync.layout import CellLink, TabLayout, grid_differs
from ccrc_sync.merge import (
    MergeResult,
    MergeSettings,
    Side,
    SideRows,
    merge,
    side_rows,
)
from ccrc_sync.outcome import RunStatus
from ccrc_sync.plan_checks import (
    blocking_problem,
    fingerprint,
    hold_notes,
    missing_tab,
    restored_copy,
    run_findings,
)
from ccrc_sync.plan_model import (
    History,
    OpenConflict,
    Options,
    RunInputs,
    RunPlan,
    SheetSide,
    WorkbookSide,
    carried_to_workbook,
    refused,
)
from ccrc_sync.plan_sides import (
    after_run,
    base_without,
    locked_cells,
    marks_for,
    publish_plan,
    published_table,
    side_writes,
)
from ccrc_sync.schema import Issue, PlanTable, RecNo, Severity, Value
from ccrc_sync.state import LogEntry, LogEvent
from ccrc_sync.summary import SummaryFigures, compute
from ccrc_sync.tabs import (
    MANAGED_TABS,
    SHEET_FINDING_PREFIX,
    issues_layout,
    log_layout,
    summary_layout,
)

Grid = list[list[Value]]

__all__ = [
    "History",
    "OpenConflict",
    "Options",
    "RunInputs",
    "RunPlan",
    "SheetSide",
    "WorkbookSide",
    "fingerprint",
    "plan_run",
]


def plan_run(inputs: RunInputs) -> RunPlan:
    """Plan one reconciliation run. Pure: the same inputs always give the same plan."""
    cfg, history, opts = inputs.config, inputs.history, inputs.options
    book, sheet = inputs.workbook.table, inputs.sheet.table
    base = None if opts.rebase else history.base
    title = cfg.plan.sheet
    if sheet is None and history.base is not None and not opts.rebase:
        return refused(missing_tab(title, inputs.sheet))
    # An older version left no marker, but its generated tabs show the sheet was synced.
    synced_before = (inputs.sheet.synced_before or bool(inputs.sheet.ours)) and not (
        history.base is None and history.interrupted_first_sync
    )
    if base is None and sheet is not None and synced_before and not opts.rebase:
        return refused(
            "The sync has no memory of the last agreed version (its state folder "
            f"{cfg.sync.state_dir} is missing or empty), but the Google Sheet has been synced "
            "before, so a blank cell could be either side's deletion. Nothing was written. "
            "Run `ccrc-sync sync --rebase` to start again from both sides as they are: "
            "every difference is then listed as a conflict, and nothing is filled in."
        )
    notes: list[str] = []
    blocked = blocking_problem(title, book, sheet)
    validator = schema.Validator(cfg.plan, inputs.today)
    # Errors decide what may be carried; the rules that compare rows only ever warn.
    book_issues = validator.validate(book, plan_wide=False)
    sheet_issues = (
        validator.validate(sheet, plan_wide=False, same_as=book) if sheet is not None else []
    )
    invalid = {(Side.WORKBOOK, r, f) for r, f in schema.invalid_cells(book_issues)}
    invalid |= {(Side.SHEET, r, f) for r, f in schema.invalid_cells(sheet_issues)}
    checked = fingerprint(book) if len(history.fingerprints) >= 2 else ""
    restored = None if opts.accept_restore else restored_copy(book, checked, history, notes, cfg)

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
    book_after = after_run(cfg, book, result, Side.WORKBOOK)
    published = publish_plan(cfg, book, result) if publish else None
    if published is not None:
        sheet_after = published_table(published, cfg.plan.sheet)
    else:
        sheet_after = after_run(cfg, sheet if sheet is not None else book, result, Side.SHEET)
    # Findings as both sides will read once this run's writes land, so the next run,
    # reading exactly that, rebuilds the same tabs and writes nothing.
    issues = _findings(validator, book_after, sheet_after if not publish else None)
    issues += run_findings(result, inputs, book, sheet)
    notes += hold_notes(result, cfg)
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
    # Recommendations, not their lettered parts: "Published the plan (34 recommendations)".
    recommendations = sum(1 for key in view if schema.parent_of(key) is None)
    log = _log_entries(inputs, result, publish, recommendations)
    if not inputs.workbook.writable:
        log = [e for e in log if not carried_to_workbook(e)]
    tabs = _tabs(
        inputs,
        figures,
        changed_at,
        result,
        issues,
        log,
        book_after,
        sheet_after,
        notes,
    )
    wb_writes, sh_writes = side_writes(
        cfg, book, sheet, result, published, tabs, marks_for(result, history.marks, book, sheet)
    )
    status = RunStatus.OK
    if result.conflicts or _counts(issues)["error"] or blocked or result.holds:
        status = RunStatus.FLAGGED
    open_now = tuple(
        OpenConflict(c.rec_no, c.field, c.workbook, c.sheet, c.kind.value)
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


def _findings(validator: schema.Validator, book: PlanTable, sheet: PlanTable | None) -> list[Issue]:
    """Findings on both sides; a sheet finding already made on the workbook is not repeated."""
    issues = list(validator.validate(book))
    if sheet is None:
        return issues
    seen = {(i.code, i.rec_no, i.field, i.value) for i in issues}
    for i in validator.validate(sheet, plan_wide=False, same_as=book):
        if (i.code, i.rec_no, i.field, i.value) not in seen:
            issues.append(i.model_copy(update={"message": SHEET_FINDING_PREFIX + i.message}))
    return issues


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
    zone = configuration.zone(cfg)
    history = (*log, *inputs.history.log)
    # The log's lines are stamped with their run's start, as the next run rebuilds them.
    summary = summary_layout(figures, changed_at.astimezone(zone), cfg.plan)
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
