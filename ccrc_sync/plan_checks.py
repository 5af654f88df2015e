"""What a run notices before and after its merge: whether it may run at all, whether the
workbook is a restored older copy, and what it has to tell a person (findings and notes).

Pure, like the rest of the plan: the same inputs always give the same sentences.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from ccrc_sync import schema
from ccrc_sync.config import Config
from ccrc_sync.merge import ConflictKind, HoldReason, MergeResult, Side
from ccrc_sync.plan_model import History, RunInputs, SheetSide
from ccrc_sync.plan_sides import merged_cells
from ccrc_sync.schema import Issue, PlanTable, RecNo, Value


def missing_tab(title: str, sheet: SheetSide) -> str:
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


def blocking_problem(title: str, book: PlanTable, sheet: PlanTable | None) -> str | None:
    """A side without its Rec No. column cannot be matched row by row: merging it would
    read as every row deleted, so nothing is carried across until it is put back."""
    for name, table in (("workbook", book), ("Google Sheet", sheet)):
        if table is not None and schema.REC_NO not in table.columns:
            return (
                f"The {name}'s {title} tab has no Rec No. column, so rows cannot be matched; "
                "nothing was synced. Restore the column and run again."
            )
    return None


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


def restored_copy(
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


def run_findings(
    result: MergeResult, inputs: RunInputs, book: PlanTable, sheet: PlanTable | None
) -> list[Issue]:
    """What the run itself noticed: a completed recommendation reopened, a change held
    back because its cell holds a formula, a column missing on one side."""
    cfg = inputs.config
    out: list[Issue] = []
    complete = cfg.plan.complete_status
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


def hold_notes(result: MergeResult, cfg: Config) -> list[str]:
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
