"""The three generated tabs (Summary, Sync Issues, Change Log) as layouts both sides draw.

Pure: the same figures, findings and log always give the same layout, so a run that
changes nothing finds every tab already right and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from ccrc_sync.config import PlanConfig
from ccrc_sync.layout import CellLink, ChartSpec, Role, TabCell, TabKind, TabLayout, TabRow, Tone
from ccrc_sync.merge import Conflict, ConflictKind, Side
from ccrc_sync.schema import Issue, RecNo, Severity, Value, display, rec_sort_key
from ccrc_sync.state import LogEntry, LogEvent
from ccrc_sync.summary import SUMMARY_TITLE, SummaryFigures

SUMMARY_TAB = "Summary"
ISSUES_TAB = "Sync Issues"
CHANGE_LOG_TAB = "Change Log"
MANAGED_TABS: tuple[str, ...] = (SUMMARY_TAB, ISSUES_TAB, CHANGE_LOG_TAB)

ISSUES_HEADER = (
    "Rec No.",
    "Field",
    "What happened",
    "In the workbook",
    "In the Google Sheet",
    "What to do",
    "Cell",
)
LOG_HEADER = ("When", "Rec No.", "Field", "What happened", "From", "To", "Old value", "New value")
NO_ISSUES = "No open conflicts or findings."

Where = Callable[[RecNo, "str | None"], "CellLink | None"]


def _row(*values: Value, role: Role = Role.TEXT, tone: Tone = Tone.PLAIN) -> TabRow:
    return TabRow(tuple(TabCell(v, role) for v in values), tone)


def _header(*names: str) -> TabRow:
    return TabRow(tuple(TabCell(n, Role.HEADER) for n in names))


# --------------------------------------------------------------------------- Summary


def summary_layout(
    fig: SummaryFigures, last_changed: dt.datetime | None, plan: PlanConfig
) -> TabLayout:
    statuses = list(fig.by_status)
    rows: list[TabRow] = [
        _row(SUMMARY_TITLE, role=Role.TITLE),
        _row(fig.sentence, role=Role.SENTENCE),
    ]
    rows.append(_row())
    rows.append(_header("Status", "Recommendations"))
    for status, count in fig.by_status.items():
        rows.append(TabRow((TabCell(status), TabCell(count, Role.NUMBER))))
    rows.append(TabRow((TabCell("Total"), TabCell(fig.total, Role.NUMBER))))
    rows.append(
        TabRow(
            (
                TabCell("Percent complete"),
                TabCell(round(fig.percent_complete / 100, 3), Role.PERCENT),
            )
        )
    )
    if fig.parts:
        total = sum(fig.parts.values())
        parts = ", ".join(f"{n} {s.lower()}" for s, n in fig.parts.items())
        rows.append(_row(f"{total} lettered parts: {parts}", role=Role.NOTE))
    rows.append(_row())
    rows.append(_row("Recommendations by section and status", role=Role.HEADING))
    header_row = len(rows) + 1
    rows.append(_header("Section", *statuses, "Total"))
    first_row = len(rows) + 1
    for section, counts in fig.by_section.items():
        rows.append(
            TabRow(
                (
                    TabCell(section),
                    *(TabCell(counts.get(s, 0), Role.NUMBER) for s in statuses),
                    TabCell(fig.section_totals[section], Role.NUMBER),
                )
            )
        )
    last_row = len(rows)
    rows.append(
        TabRow(
            (
                TabCell("Total"),
                *(TabCell(fig.by_status[s], Role.NUMBER) for s in statuses),
                TabCell(fig.total, Role.NUMBER),
            )
        )
    )
    rows.append(_row())
    rows.append(_row(plan.key_section, role=Role.HEADING))
    rows.append(_header("Rec No.", "Recommendation", "Status", "Owner", "Target Date"))
    for item in fig.key_recommendations:
        target = item["target_date"]
        rows.append(
            TabRow(
                (
                    TabCell(item["rec_no"]),
                    TabCell(item["recommendation"]),
                    TabCell(item["status"]),
                    TabCell(item["owner"] or None),
                    TabCell(target, Role.DATE if isinstance(target, dt.date) else Role.TEXT),
                )
            )
        )
    if not fig.key_recommendations:
        rows.append(_row("No key recommendations.", role=Role.NOTE))
    rows.append(_row())
    rows.append(_row("Overdue: target date passed, not complete", role=Role.HEADING))
    rows.append(_header("Rec No.", "Section", "Owner", "Target Date", "Status"))
    for over in fig.overdue:
        rows.append(
            TabRow(
                (
                    TabCell(over["rec_no"]),
                    TabCell(over["section"]),
                    TabCell(over["owner"] or None),
                    TabCell(over["target_date"], Role.DATE),
                    TabCell(over["status"]),
                )
            )
        )
    if not fig.overdue:
        rows.append(_row("No overdue recommendations.", role=Role.NOTE))
    rows.append(_row())
    rows.append(_row("No owner", ", ".join(fig.no_owner) or "None"))
    rows.append(_row("No target date", ", ".join(fig.no_target_date) or "None"))
    rows.append(_row())
    rows.append(TabRow((TabCell("Open conflicts"), TabCell(fig.open_conflicts, Role.NUMBER))))
    for label, key in (("Errors", "error"), ("Warnings", "warning"), ("Information", "info")):
        rows.append(TabRow((TabCell(label), TabCell(fig.findings.get(key, 0), Role.NUMBER))))
    rows.append(_row())
    rows.append(_row(_changed_text(last_changed), role=Role.NOTE))
    chart = ChartSpec(
        title="Recommendations by section and status",
        header_row=header_row,
        first_row=first_row,
        last_row=last_row,
        category_col=1,
        series_cols=tuple(range(2, 2 + len(statuses))),
        anchor_row=len(rows) + 2,
        anchor_col=1,
    )
    return TabLayout(
        SUMMARY_TAB,
        TabKind.SUMMARY,
        tuple(rows),
        widths=(30, 60, 16, 20, 14, 12),
        chart=chart,
        max_pages_tall=2,
    )


def _changed_text(last_changed: dt.datetime | None) -> str:
    if last_changed is None:
        return "Figures last changed: not yet recorded"
    stamp = f"{last_changed.day} {last_changed:%B %Y, %H:%M}"
    zone = last_changed.tzname()
    return f"Figures last changed: {stamp}" + (f" {zone}" if zone else "")


# --------------------------------------------------------------------------- Sync Issues


def advice(conflict: Conflict) -> str:
    """What to do about a conflict, by its kind."""
    rec = conflict.rec_no
    kind = conflict.kind
    gone = conflict.side.label if conflict.side is not None else "one side"
    if kind is ConflictKind.DELETED:
        return (
            f"Rec {rec} was deleted in the {gone} only. Delete it on the other side too if "
            "it should go, or put it back where it was deleted."
        )
    if kind is ConflictKind.DELETED_EDITED:
        return (
            f"Rec {rec} was deleted in the {gone} and edited on the other side; the edit has "
            "been kept. Delete it on both sides if it should go, or put it back."
        )
    if kind is ConflictKind.ADDED:
        return (
            f"Rec {rec} was added on both sides with different contents. Make the two rows "
            "the same, or give one of them a different Rec No."
        )
    if kind is ConflictKind.ONE_SIDE:
        return (
            f"Rec {rec} is only in the {gone}, and there is no agreed version to tell "
            "whether it was added there or deleted on the other side. Add it to the other "
            "side or delete it here."
        )
    if kind is ConflictKind.RESTORED:
        return (
            "The workbook looks like a restored older copy; its older value was not carried. "
            "Make both sides say the right value, or run `ccrc-sync sync --accept-restore`."
        )
    if kind is ConflictKind.FIRST:
        return (
            "The two sides differ and there is no agreed value to tell which changed. Decide "
            "which is right and make both sides say it."
        )
    return (
        "Both sides changed this since the last sync, to different values; neither was "
        "overwritten. Decide which is right and make both sides say it."
    )


_TONES = {Severity.ERROR: Tone.ERROR, Severity.WARNING: Tone.WARNING, Severity.INFO: Tone.INFO}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def issues_layout(
    conflicts: Sequence[Conflict],
    issues: Sequence[Issue],
    *,
    side: Side,
    where: Callable[[RecNo, str | None], CellLink | None],
    plan_sheet: str,
) -> TabLayout:
    rows: list[TabRow] = [_header(*ISSUES_HEADER)]
    for c in sorted(conflicts, key=lambda c: (rec_sort_key(c.rec_no), c.field or "")):
        link = where(c.rec_no, c.field)
        rows.append(
            TabRow(
                (
                    TabCell(c.rec_no),
                    TabCell(c.field or "(whole row)"),
                    TabCell("Conflict"),
                    TabCell(display(c.workbook) or None),
                    TabCell(display(c.sheet) or None),
                    TabCell(advice(c)),
                    TabCell(_ref(link), link=link),
                ),
                Tone.CONFLICT,
            )
        )
    for issue in sorted(issues, key=lambda i: _SEVERITY_ORDER.get(i.severity, 3)):
        link = where(issue.rec_no, issue.field) if issue.rec_no else None
        text = " ".join(p for p in (issue.message, issue.suggestion) if p)
        rows.append(
            TabRow(
                (
                    TabCell(issue.rec_no),
                    TabCell(issue.field),
                    TabCell(issue.severity.value.capitalize()),
                    TabCell(issue.value if side is Side.WORKBOOK else None),
                    TabCell(issue.value if side is Side.SHEET else None),
                    TabCell(text),
                    TabCell(_ref(link) or issue.cell, link=link),
                ),
                _TONES.get(issue.severity, Tone.PLAIN),
            )
        )
    if len(rows) == 1:
        rows.append(_row(NO_ISSUES, role=Role.NOTE))
    return TabLayout(ISSUES_TAB, TabKind.ISSUES, tuple(rows), widths=(9, 16, 12, 30, 30, 60, 10))


def _ref(link: CellLink | None) -> str | None:
    if link is None:
        return None
    from ccrc_sync.schema import a1

    return a1(link.row, link.col)


# --------------------------------------------------------------------------- Change Log

_SIDES = {"workbook": "Workbook", "sheet": "Google Sheet"}


def log_layout(entries: Sequence[LogEntry], *, zone: ZoneInfo, limit: int | None) -> TabLayout:
    ordered = list(entries)[: limit if limit is not None else None]
    rows: list[TabRow] = [_header(*LOG_HEADER)]
    for e in ordered:
        what = "Conflict resolved" if e.event is LogEvent.RESOLVED else "Carried"
        if not e.field and not e.rec_no:
            what = str(e.new)
        rows.append(
            TabRow(
                (
                    TabCell(e.when.astimezone(zone).replace(tzinfo=None), Role.DATETIME),
                    TabCell(e.rec_no or None),
                    TabCell(e.field or None),
                    TabCell(what),
                    TabCell(_SIDES.get(e.source, e.source) or None),
                    TabCell(_SIDES.get(e.target, e.target) or None),
                    TabCell(display(e.old) or None),
                    TabCell(display(e.new) or None if e.field else None),
                )
            )
        )
    return TabLayout(
        CHANGE_LOG_TAB, TabKind.LOG, tuple(rows), widths=(17, 9, 16, 18, 14, 14, 40, 40)
    )
