"""The Sync Issues tab, in plain words: what happened, what to do, and a link to the cell.

Advice that fits the wrong kind of conflict is worse than none, since staff follow it, so
the words are chosen from the typed `ConflictKind` (never from substrings of a label), one
wording per kind, and the only "base" a reader meets is "the agreed value at the last
sync", where it matters. Each side's tab links to that side's own cells.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence

from ccrc_sync.layout import CellLink, Role, TabCell, TabKind, TabLayout, TabRow, Tone
from ccrc_sync.merge import Conflict, ConflictKind, Side
from ccrc_sync.schema import (
    Issue,
    Severity,
    Value,
    a1,
    display,
    is_blank,
    parse_ref,
    rec_no_of,
    rec_sort_key,
)
from ccrc_sync.tabs.cells import (
    ISSUES_TAB,
    MIN_WIDTH,
    Where,
    cell,
    fit_widths,
    header,
    line,
    rec_cell,
    row,
)
from ccrc_sync.words import capital

ISSUES_HEADER: tuple[str, ...] = (
    "Rec No.",
    "Field",
    "What happened",
    "In the workbook",
    "In the Google Sheet",
    "What to do",
    "Cell",
)
NO_ISSUES = "No open conflicts or findings: the workbook and the Google Sheet agree."
WHOLE_ROW = "Whole row"
AGREED = "Agreed value at the last sync"
SEVERITY_TONES: Mapping[Severity, Tone] = {
    Severity.ERROR: Tone.ERROR,
    Severity.WARNING: Tone.WARNING,
    Severity.INFO: Tone.INFO,
}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
# The prefix the run gives findings made on the Google Sheet (the tab has the same name on
# both sides, so the message says which side the cell is on).
SHEET_FINDING_PREFIX = "In the Google Sheet: "


def _side_label(side: Side | None, fallback: str) -> str:
    return f"the {side.label}" if side is not None else fallback


def _quoted(value: Value) -> str:
    if is_blank(value):
        return "blank"
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return f"“{display(value)}”"


def happened(conflict: Conflict) -> str:
    """What happened, in plain words, by the conflict's kind."""
    kind, rec = conflict.kind, conflict.rec_no
    side = conflict.side
    other = side.other if side is not None else None
    agreed = f" {AGREED}: {_quoted(conflict.base)}."
    if kind is ConflictKind.EDIT:
        return "Changed on both sides since the last sync, to different values." + agreed
    if kind is ConflictKind.FIRST:
        return (
            "The two sides differ, and there is no agreed value from an earlier sync to "
            "tell which one changed."
        )
    if kind is ConflictKind.ADDED:
        return f"Rec {rec} was added on both sides since the last sync, and the two rows differ."
    if kind is ConflictKind.DELETED:
        return (
            f"Rec {rec} was deleted from {_side_label(side, 'one side')} but is still in "
            f"{_side_label(other, 'the other')}."
        )
    if kind is ConflictKind.DELETED_EDITED:
        return (
            f"Rec {rec} was deleted from {_side_label(side, 'one side')}, but this was edited "
            f"in {_side_label(other, 'the other')}; the edit was kept." + agreed
        )
    if kind is ConflictKind.ONE_SIDE:
        return (
            f"Rec {rec} is only in {_side_label(side, 'one side')}, and the two sides have "
            "not been synced before."
        )
    # RESTORED
    return (
        f"{capital(_side_label(side, 'one side'))} looks like an older copy put back "
        "(from a backup or version history), so its older value was not copied across."
    )


def advice(conflict: Conflict) -> str:
    """What a person should do about a conflict, chosen by its typed kind.

    Every kind the merge produces has its own wording (tested word for word): advice that
    fits the wrong kind is worse than none, since staff follow it.
    """
    kind, rec = conflict.kind, conflict.rec_no
    side = conflict.side
    here = _side_label(side, "the side it is missing from")
    there = _side_label(side.other if side is not None else None, "the side that has it")
    if kind is ConflictKind.EDIT:
        return (
            "Neither side was overwritten. Decide which value is right and make both sides "
            "say it; the next sync then clears this row."
        )
    if kind is ConflictKind.FIRST:
        return (
            "Nothing was copied either way. Decide which value is right and make both sides "
            "say it; from then on the sync keeps them in step."
        )
    if kind is ConflictKind.ADDED:
        return (
            "Two rows may have been given the same Rec No. If they are the same "
            "recommendation, make the two rows say the same; if not, give one of them a "
            "new Rec No."
        )
    if kind is ConflictKind.DELETED:
        return (
            f"If Rec {rec} should go, delete it from {there} too. If it should stay, put "
            f"the row back in {here} (copy it from {there})."
        )
    if kind is ConflictKind.DELETED_EDITED:
        return (
            f"Nothing was deleted. If Rec {rec} should go, delete it from {there} as well; "
            f"if it should stay, put the row back in {here}."
        )
    if kind is ConflictKind.ONE_SIDE:
        holder = _side_label(side, "the side that has it")
        missing = _side_label(side.other if side is not None else None, "the other side")
        return (
            f"If Rec {rec} belongs in the plan, add the same row to {missing}; if not, "
            f"delete it from {holder}."
        )
    # RESTORED
    restored = _side_label(side, "the restored side")
    newer = _side_label(side.other if side is not None else None, "the other side")
    return (
        f"If the older value is right, type it in {newer} too; if not, put the newer value "
        f"back in {restored}. To keep the whole older copy, ask whoever runs the sync to "
        "run it once with --accept-restore."
    )


def _row_value(conflict: Conflict, side: Side) -> TabCell:
    """One side's value for the conflict; for a whole-row conflict, whether it has the row."""
    value = conflict.workbook if side is Side.WORKBOOK else conflict.sheet
    if conflict.field is not None:
        return cell(value)
    if conflict.kind in (ConflictKind.DELETED, ConflictKind.DELETED_EDITED):
        return cell("Deleted" if conflict.side is side else "Has the row")
    return cell("Has the row" if not is_blank(value) else "No row")


def _link_cell(link: CellLink | None) -> TabCell:
    if link is None:
        return TabCell(None)
    return TabCell(f"{link.sheet}!{a1(link.row, link.col)}", Role.TEXT, link)


def found_on(issue: Issue) -> Side:
    """The side a finding was made on: the run prefixes the Google Sheet's findings."""
    return Side.SHEET if issue.message.startswith(SHEET_FINDING_PREFIX) else Side.WORKBOOK


def _issue_link(issue: Issue, side: Side, where: Where, plan_sheet: str) -> CellLink | None:
    """The finding's cell on `side`: its own cell if it was found there (so each copy of a
    repeated Rec No. links to its own row), else by its recommendation and field (each
    side's rows may sit in different places)."""
    if issue.cell and issue.sheet == plan_sheet and found_on(issue) is side:
        with contextlib.suppress(ValueError):
            return CellLink(plan_sheet, *parse_ref(issue.cell))
    rec = rec_no_of(issue.rec_no) if issue.rec_no else None
    if rec is not None:
        return where(rec, issue.field)
    return None


def _issue_text(issue: Issue) -> tuple[str, str]:
    message = issue.message.removeprefix(SHEET_FINDING_PREFIX)
    return message, issue.suggestion or ""


def issue_sort_key(issue: Issue) -> tuple[int, tuple[int, str]]:
    rec = rec_no_of(issue.rec_no) if issue.rec_no else None
    return _SEVERITY_ORDER.get(issue.severity, 3), rec_sort_key(rec) if rec else (1 << 30, "")


def conflict_sort_key(conflict: Conflict) -> tuple[tuple[int, str], str]:
    return rec_sort_key(conflict.rec_no), conflict.field or ""


def issues_layout(
    conflicts: Sequence[Conflict],
    issues: Sequence[Issue],
    *,
    side: Side,
    where: Where,
    plan_sheet: str,
) -> TabLayout:
    """The Sync Issues tab on `side`: conflicts first, then errors, warnings, information.

    Each row says what happened and what to do in plain words, and its Cell is a link to the
    cell on this same side (`where` finds it), so staff go straight to it.
    """
    rows: list[TabRow] = [header(*ISSUES_HEADER)]
    for c in sorted(conflicts, key=conflict_sort_key):
        rows.append(
            row(
                rec_cell(c.rec_no),
                c.field or WHOLE_ROW,
                happened(c),
                _row_value(c, Side.WORKBOOK),
                _row_value(c, Side.SHEET),
                advice(c),
                _link_cell(where(c.rec_no, c.field)),
                tone=Tone.CONFLICT,
            )
        )
    for issue in sorted(issues, key=issue_sort_key):
        message, fix = _issue_text(issue)
        on = found_on(issue)
        value = issue.value or None
        rec = rec_no_of(issue.rec_no) if issue.rec_no else None
        rows.append(
            row(
                rec_cell(rec) if rec else cell(issue.rec_no or None),
                issue.field or None,
                message,
                value if on is Side.WORKBOOK else None,
                value if on is Side.SHEET else None,
                fix or None,
                _link_cell(_issue_link(issue, side, where, plan_sheet)),
                tone=SEVERITY_TONES.get(issue.severity, Tone.INFO),
            )
        )
    if len(rows) == 1:
        rows.append(line(NO_ISSUES, Role.NOTE))
    return TabLayout(
        title=ISSUES_TAB,
        kind=TabKind.ISSUES,
        rows=tuple(rows),
        widths=_issue_widths(rows),
        freeze_rows=1,
        landscape=True,
    )


def _issue_widths(rows: Sequence[TabRow]) -> tuple[float, ...]:
    widths = list(fit_widths(rows))
    widths += [MIN_WIDTH] * (len(ISSUES_HEADER) - len(widths))
    # What happened and What to do are sentences: wide enough to read as prose.
    for index in (2, 5):
        widths[index] = max(widths[index], 40.0)
    return tuple(widths)
