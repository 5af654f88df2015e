"""The three generated tabs (`Summary`, `Sync Issues`, `Change Log`) as `layout.TabLayout`s.

Both sides draw the same layout, so what a tab *says* is decided here once, by pure code,
and each side's writer only decides how to draw it. Everything is a pure function of its
inputs: the same figures, conflicts and log give an equal layout, so a run that changes
nothing finds every tab as it should be and writes nothing.

The wording is for a governance officer, not a programmer: conflicts say what happened and
what to do in plain words, chosen from the typed `ConflictKind` (never from substrings of a
label), and the only "base" a reader meets is "the agreed value at the last sync".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from ccrc_sync.config import PlanConfig
from ccrc_sync.layout import CellLink, ChartSpec, Role, TabCell, TabKind, TabLayout, TabRow, Tone
from ccrc_sync.merge import Conflict, ConflictKind, Side
from ccrc_sync.schema import (
    Issue,
    RecNo,
    Severity,
    Value,
    a1,
    column_number,
    display,
    format_number,
    is_blank,
    rec_cell_value,
    rec_no_of,
    rec_sort_key,
)
from ccrc_sync.state import LogEntry, LogEvent
from ccrc_sync.summary import SummaryFigures

SUMMARY_TITLE = "CCRC action plan: summary"
CHART_TITLE = "Recommendations by section and status"
ISSUES_HEADER: tuple[str, ...] = (
    "Rec No.",
    "Field",
    "What happened",
    "In the workbook",
    "In the Google Sheet",
    "What to do",
    "Cell",
)
LOG_HEADER: tuple[str, ...] = (
    "When",
    "Rec No.",
    "Field",
    "What happened",
    "From",
    "To",
    "Old value",
    "New value",
)
NO_ISSUES = "No open conflicts or findings: the workbook and the Google Sheet agree."
NO_CHANGES = "The sync has not changed anything yet."
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

# Column widths in characters: never narrower than a short word, never so wide that a tab
# stops fitting the page; longer text wraps.
MIN_WIDTH = 6.0
MAX_WIDTH = 60.0
_PADDING = 2.0
# Cells that span the tab (a title, a sentence) do not decide a column's width.
_SPANNING = frozenset({Role.TITLE, Role.SENTENCE, Role.HEADING, Role.NOTE})

Where = Callable[[RecNo, str | None], CellLink | None]


# --------------------------------------------------------------------------- cells


def cell(value: Value, role: Role = Role.TEXT, link: CellLink | None = None) -> TabCell:
    """A cell whose role follows its value: a date is a DATE, a count a NUMBER; blank is
    None (never "", so a shorter tab also clears old cells)."""
    if is_blank(value):
        return TabCell(None, role, link)
    if role is Role.TEXT:
        if isinstance(value, dt.datetime):
            role = Role.DATETIME
        elif isinstance(value, dt.date):
            role = Role.DATE
        elif isinstance(value, int | float) and not isinstance(value, bool):
            role = Role.NUMBER
    return TabCell(value, role, link)


def _row(*cells: TabCell | Value, tone: Tone = Tone.PLAIN) -> TabRow:
    return TabRow(tuple(c if isinstance(c, TabCell) else cell(c) for c in cells), tone)


def _header(*names: str) -> TabRow:
    return TabRow(tuple(TabCell(n, Role.HEADER) for n in names))


def _line(text: str, role: Role) -> TabRow:
    return TabRow((TabCell(text, role),))


def _rec(rec_no: RecNo | None) -> TabCell:
    """A Rec No. as staff see it in the plan: a number for a whole one, "20a" for a part."""
    if rec_no is None or rec_no == "":
        return TabCell(None)
    value = rec_cell_value(rec_no)
    return TabCell(value, Role.NUMBER if isinstance(value, int) else Role.TEXT)


def _shown_length(c: TabCell) -> float:
    value = c.value
    if is_blank(value):
        return 0.0
    if c.role is Role.PERCENT and isinstance(value, int | float):
        return float(len(f"{value:.1%}"))
    if isinstance(value, dt.datetime) or c.role is Role.DATETIME:
        return 16.0
    if isinstance(value, dt.date) or c.role is Role.DATE:
        return 10.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(len(f"{value:,}" if isinstance(value, int) else format_number(value)))
    text = display(value)
    longest = max(len(line) for line in text.splitlines()) if text else 0
    if c.role is Role.HEADER:
        return longest * 1.1  # bold letters are wider
    return float(longest)


def fit_widths(
    rows: Iterable[TabRow], *, minimum: float = MIN_WIDTH, maximum: float = MAX_WIDTH
) -> tuple[float, ...]:
    """Column widths (Excel's characters) that fit each column's longest value, capped, so
    short columns stay narrow and long text wraps instead of running off the page."""
    widths: list[float] = []
    for row in rows:
        for index, c in enumerate(row.cells):
            while len(widths) <= index:
                widths.append(minimum)
            if c.role in _SPANNING:
                continue
            wanted = min(maximum, _shown_length(c) + _PADDING)
            widths[index] = max(widths[index], wanted)
    return tuple(round(w, 1) for w in widths)


# --------------------------------------------------------------------------- Summary


def changed_text(last_changed: dt.datetime | None) -> str:
    """'Figures last changed: 2 July 2026, 09:15 BST' (the caller passes local time)."""
    if last_changed is None:
        return "Figures last changed: not yet recorded"
    stamp = f"{last_changed.day} {last_changed:%B %Y, %H:%M}"
    zone = last_changed.tzname()
    return f"Figures last changed: {stamp}" + (f" {zone}" if zone else "")


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one}" if count == 1 else f"{count} {many or one + 's'}"


def parts_text(parts: Mapping[str, int], plan: PlanConfig) -> str | None:
    """'12 lettered parts: 0 complete, 12 in progress' (None when the plan has no parts).

    Complete and in progress are always told; any other status only when some part has it.
    """
    total = sum(parts.values())
    if total <= 0:
        return None
    done, underway = plan.complete_status, plan.in_progress_status
    told = [f"{parts.get(done, 0)} {done.lower()}", f"{parts.get(underway, 0)} {underway.lower()}"]
    told += [f"{n} {s.lower()}" for s, n in parts.items() if s not in (done, underway) and n]
    return f"{_plural(total, 'lettered part')}: {', '.join(told)}"


LIST_LIMIT = 8  # Rec Nos. listed before "and N more"
KEY_TEXT_CHARS = 120  # a key recommendation on the Summary: its first sentence, two lines at most


def rec_list(numbers: Sequence[str], total: int) -> str | None:
    """'2, 3, 20', 'All', or '1, 2, ... 8 and 25 more': short enough for a table cell."""
    if not numbers:
        return None
    if total and len(numbers) >= total:
        return "All"
    if len(numbers) <= LIST_LIMIT:
        return ", ".join(numbers)
    return ", ".join(numbers[:LIST_LIMIT]) + f" and {len(numbers) - LIST_LIMIT} more"


def first_sentence(text: str, limit: int = KEY_TEXT_CHARS) -> str:
    """The text up to its first full stop, cut at a word (never mid-word) past `limit`."""
    flat = " ".join(text.split())
    end = next(
        (i + 1 for i, ch in enumerate(flat) if ch in ".!?" and flat[i + 1 : i + 2] in (" ", "")),
        len(flat),
    )
    sentence = flat[:end]
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def summary_layout(
    fig: SummaryFigures, last_changed: dt.datetime | None, plan: PlanConfig
) -> TabLayout:
    """The Summary tab as a dashboard: a title, the sentence, then small tables, each under
    its heading, and the chart below the tables.

    It is laid out to print on two A4 landscape pages: the tables on the first, the chart
    on the second (it sits *under* the tables, in column A, and the workbook writer puts a
    page break above it), so the chart is never split. The widest column (the Key
    Recommendations' text, cut to its first sentence) is the last one, so the figures on
    the left stay compact, and counts by status are told once, in the section table.
    """
    statuses = list(fig.by_status)
    complete = fig.by_status.get(plan.complete_status, 0)
    rows: list[TabRow] = [
        _line(SUMMARY_TITLE, Role.TITLE),
        _line(fig.sentence, Role.SENTENCE),
        _line(changed_text(last_changed), Role.NOTE),
        TabRow(()),
        _line("Progress", Role.HEADING),
        _header("Recommendations", "Complete", "Percent complete"),
        _row(fig.total, complete, TabCell(round(fig.percent_complete / 100.0, 3), Role.PERCENT)),
    ]
    parts = parts_text(fig.parts, plan)
    if parts:
        rows.append(_line(parts, Role.NOTE))
    rows.append(TabRow(()))

    rows.append(_line(CHART_TITLE, Role.HEADING))
    rows.append(_header("Section", *statuses, "Total"))
    header_row = len(rows)
    for section, counts in fig.by_section.items():
        rows.append(
            _row(section, *(counts.get(s, 0) for s in statuses), fig.section_totals[section])
        )
    last_row = len(rows)
    rows.append(_row("Total", *(fig.by_status[s] for s in statuses), fig.total))
    rows.append(TabRow(()))

    rows.append(_line(plan.key_section, Role.HEADING))
    rows.append(_header("Rec No.", "Status", "Owner", "Target Date", "Recommendation"))
    for item in fig.key_recommendations:
        rows.append(
            _row(
                _rec(item["rec_no"]),
                item["status"],
                item["owner"] or None,
                item["target_date"],
                first_sentence(item["recommendation"]) or None,
            )
        )
    if not fig.key_recommendations:
        rows.append(_line(f"No recommendations in {plan.key_section}.", Role.NOTE))
    rows.append(TabRow(()))

    rows.append(_line("Overdue: target date passed, not complete", Role.HEADING))
    rows.append(_header("Rec No.", "Status", "Owner", "Target Date", "Section"))
    for over in fig.overdue:
        rows.append(
            _row(
                _rec(over["rec_no"]),
                over["status"],
                over["owner"] or None,
                over["target_date"],
                over["section"],
            )
        )
    if not fig.overdue:
        rows.append(_line("No overdue recommendations.", Role.NOTE))
    rows.append(TabRow(()))

    rows.append(_line("Needs attention", Role.HEADING))
    rows.append(_header("What", "Count", "Rec Nos."))
    see = "See Sync Issues"
    rows.append(_row("Open conflicts", fig.open_conflicts, see if fig.open_conflicts else None))
    for severity, label in (("error", "Errors"), ("warning", "Warnings"), ("info", "Information")):
        count = fig.findings.get(severity, 0)
        rows.append(_row(label, count, see if count else None))
    rows.append(_row("No owner", len(fig.no_owner), rec_list(fig.no_owner, fig.total)))
    rows.append(
        _row("No target date", len(fig.no_target_date), rec_list(fig.no_target_date, fig.total))
    )

    widths = fit_widths(rows)
    chart = ChartSpec(
        title=CHART_TITLE,
        header_row=header_row,
        first_row=header_row + 1,
        last_row=last_row,
        category_col=1,
        series_cols=tuple(range(2, 2 + len(statuses))),
        anchor_row=len(rows) + 3,
        anchor_col=1,
        x_title="Section",
        y_title="Recommendations",
        stacked=True,
        width_cols=max(len(widths), 2 + len(statuses)),
        height_rows=20,
    )
    return TabLayout(
        title="Summary",
        kind=TabKind.SUMMARY,
        rows=tuple(rows),
        widths=widths,
        freeze_rows=0,
        chart=chart,
        landscape=True,
        max_pages_tall=2,
    )


# --------------------------------------------------------------------------- Sync Issues


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
        f"{_capital(_side_label(side, 'one side'))} looks like an older copy put back "
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
    """The finding's cell on `side`: by its recommendation and field where it has them (each
    side's rows may sit in different places), else its own cell if it was found there."""
    rec = rec_no_of(issue.rec_no) if issue.rec_no else None
    if rec is not None:
        link = where(rec, issue.field)
        if link is not None:
            return link
    if issue.cell and issue.sheet == plan_sheet and found_on(issue) is side:
        letters = issue.cell.rstrip("0123456789")
        digits = issue.cell[len(letters) :]
        if letters.isalpha() and digits.isdigit():
            return CellLink(plan_sheet, int(digits), column_number(letters))
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
    rows: list[TabRow] = [_header(*ISSUES_HEADER)]
    for c in sorted(conflicts, key=conflict_sort_key):
        rows.append(
            _row(
                _rec(c.rec_no),
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
            _row(
                _rec(rec) if rec else cell(issue.rec_no or None),
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
        rows.append(_line(NO_ISSUES, Role.NOTE))
    return TabLayout(
        title="Sync Issues",
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


# --------------------------------------------------------------------------- Change Log


def stamp(moment: dt.datetime, zone: ZoneInfo) -> str:
    """'02/07/2026 03:00 BST': a moment in the configured zone, labelled as it was then
    (BST in summer, GMT in winter). A naive time is taken as UTC, as the state keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone)
    return f"{local:%d/%m/%Y %H:%M} {local.tzname() or ''}".rstrip()


def published_text(count: int, target: str = "the Google Sheet") -> str:
    return f"Published the plan ({_plural(count, 'recommendation')}) to {target}"


def is_publish(entry: LogEntry) -> bool:
    """A first publish is logged as one line: no Rec No., no field, the count as `new`."""
    return entry.event is LogEvent.CARRIED and not entry.rec_no and not entry.field


def _side_name(name: str) -> str:
    try:
        return Side(name).label
    except ValueError:
        return name


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def log_happened(entry: LogEntry) -> str:
    source, target = _side_name(entry.source), _side_name(entry.target)
    if is_publish(entry):
        count = entry.new if isinstance(entry.new, int) and not isinstance(entry.new, bool) else 0
        return published_text(count, f"the {target}")
    if entry.event is LogEvent.RESOLVED:
        return f"Conflict resolved: the {source}'s value stood"
    if is_blank(entry.new):
        return f"Cleared in the {source}; cleared in the {target} too"
    if is_blank(entry.old):
        return f"Entered in the {source}; copied to the {target}"
    return f"Changed in the {source}; copied to the {target}"


def log_layout(entries: Sequence[LogEntry], *, zone: ZoneInfo, limit: int | None) -> TabLayout:
    """The Change Log tab, newest first: when, what, which way, and the values before and
    after. A conflict a person settled reads as resolved, with both values; a first publish
    is one line, not a line per cell."""
    ordered = sorted(entries, key=lambda e: _utc(e.when), reverse=True)
    if limit is not None:
        ordered = ordered[: max(0, limit)]
    rows: list[TabRow] = [_header(*LOG_HEADER)]
    for e in ordered:
        publish = is_publish(e)
        rows.append(
            _row(
                stamp(e.when, zone),
                _rec(e.rec_no or None),
                e.field or None,
                log_happened(e),
                _capital(_side_name(e.source)),
                _capital(_side_name(e.target)),
                None if publish else e.old,
                None if publish else e.new,
            )
        )
    if len(rows) == 1:
        rows.append(_line(NO_CHANGES, Role.NOTE))
    widths = list(fit_widths(rows))
    widths += [MIN_WIDTH] * (len(LOG_HEADER) - len(widths))
    widths[3] = max(widths[3], 30.0)
    return TabLayout(
        title="Change Log",
        kind=TabKind.LOG,
        rows=tuple(rows),
        widths=tuple(widths),
        freeze_rows=1,
        landscape=True,
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
