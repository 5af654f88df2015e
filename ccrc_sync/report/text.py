"""The report in words: the email's subject and its plain-text part (also `ccrc-sync report`).

The governance lead reads this first thing, often on a phone, so it leads with what needs
a person (each conflict with its cells, both values and what to do; then the errors), then
what the run changed, then the figures and the trend. One time zone everywhere, the
configured one, labelled as it was at the time (BST in summer, GMT in winter). The subject
says what is new since the last email, so a conflict that is still open does not look new
every morning.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccrc_sync.merge import Side
from ccrc_sync.outcome import RunStatus
from ccrc_sync.report.model import ReportChange, ReportConflict, RunReport, Shown
from ccrc_sync.report.trend import daily
from ccrc_sync.schema import Issue, Severity, display, rec_sort_key
from ccrc_sync.summary import SummaryFigures
from ccrc_sync.tabs import advice, happened, published_text
from ccrc_sync.words import plural

WRAP = 76
TREND_DAYS = 14  # days told in the text part (the HTML chart shows more)

STATUS_LINES = {
    RunStatus.OK: "OK: the workbook and the Google Sheet agree, and nothing needs a person.",
    RunStatus.FLAGGED: "NEEDS A PERSON: the sync ran, but something below needs a decision.",
    RunStatus.FAILED: "FAILED: the sync could not run.",
}


# --------------------------------------------------------------------------- shared words


def zone_named(name: str) -> ZoneInfo:
    """The zone a report or status names; UTC for a name this machine does not know (a
    report kept from another machine), rather than failing to show it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def moment(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """'Thu 2 Jul 2026 03:00 BST': a time as staff read it, in the configured zone. A naive
    time is taken as UTC, as the state keeps times."""
    if value is None:
        return "not finished"
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    local = aware.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


def quoted(value: Shown) -> str:
    """A value in quotes, so a blank or a value with spaces shows in plain text."""
    if value is None or value == "":
        return "(blank)"
    return f'"{display(value)}"'


def side_name(side: Side) -> str:
    return "workbook" if side is Side.WORKBOOK else "Google Sheet"


def change_words(c: ReportChange) -> str:
    return f"{side_name(c.source)} to {side_name(c.target)}"


def sorted_conflicts(conflicts: Iterable[ReportConflict]) -> list[ReportConflict]:
    return sorted(conflicts, key=lambda c: (rec_sort_key(c.rec_no), c.field or ""))


def conflict_title(c: ReportConflict) -> str:
    field = c.field or "the whole row"
    cells = c.cells()
    return f"Rec {c.rec_no}, {field}" + (f" ({cells})" if cells else "")


def conflict_value(c: ReportConflict, side: Side) -> str:
    value = c.workbook if side is Side.WORKBOOK else c.sheet
    if c.field is None:
        if c.side is side and c.kind.value.startswith("deleted"):
            return "deleted"
        return "has the row" if value not in (None, "") else "no row"
    return quoted(value)


def issue_where(issue: Issue) -> str:
    where = f"{issue.sheet}!{issue.cell}" if issue.sheet and issue.cell else issue.cell or ""
    rec = f"Rec {issue.rec_no}" if issue.rec_no else ""
    field = issue.field or ""
    head = ", ".join(p for p in (rec, field) if p)
    return f"{head} ({where})" if head and where else head or where


def issue_words(issue: Issue) -> str:
    return " ".join(p for p in (issue.message, issue.suggestion) if p)


def sorted_issues(issues: Iterable[Issue]) -> list[Issue]:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(
        issues,
        key=lambda i: (order.get(i.severity, 3), rec_sort_key(i.rec_no) if i.rec_no else (0, "")),
    )


def counts_line(r: RunReport) -> str:
    return (
        f"{plural(r.count('changes'), 'change')}, {plural(r.count('conflicts'), 'conflict')}, "
        f"{plural(r.count('error'), 'error')}, {plural(r.count('warning'), 'warning')}, "
        f"{r.count('info')} information."
    )


# --------------------------------------------------------------------------- subject


def _short_reason(error: str | None, limit: int = 90) -> str:
    text = " ".join((error or "see the report").split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def subject(
    r: RunReport, prefix: str = "CCRC action plan", previous: RunReport | None = None
) -> str:
    """What is new since the last email, at a glance:
    `CCRC action plan: 1 new conflict (2 open), 0 errors`.

    `previous` is the report last emailed; without one every open conflict is new.
    """
    prefix = " ".join(prefix.split())
    if r.status is RunStatus.FAILED:
        return f"{prefix}: sync FAILED - {_short_reason(r.error)}"
    open_now = r.count("conflicts")
    new = min(len(r.new_conflicts(previous)), open_now)
    if open_now == 0:
        conflicts = "no conflicts"
    elif new == 0:
        conflicts = f"no new conflicts ({open_now} open)"
    elif new == open_now:
        conflicts = plural(new, "new conflict")
    else:
        conflicts = f"{plural(new, 'new conflict')} ({open_now} open)"
    return f"{prefix}: {conflicts}, {plural(r.count('error'), 'error')}"


# --------------------------------------------------------------------------- text


def _wrap(text: str, indent: str = "  ", first: str | None = None) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        width=WRAP,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _conflict_lines(index: int, c: ReportConflict) -> list[str]:
    conflict = c.conflict()
    lines = _wrap(conflict_title(c), indent="   ", first=f"{index}. ")
    lines += _wrap(happened(conflict), indent="     ", first="   What happened: ")
    lines += _wrap(conflict_value(c, Side.WORKBOOK), "     ", "   In the workbook: ")
    lines += _wrap(conflict_value(c, Side.SHEET), "     ", "   In the Google Sheet: ")
    lines += _wrap(advice(conflict), indent="     ", first="   What to do: ")
    return lines


def _issue_lines(issue: Issue) -> list[str]:
    lines = _wrap(issue_where(issue) or "The plan", indent="   ", first="- ")
    lines += _wrap(issue.message, indent="   ")
    if issue.value and issue.value not in issue.message:
        lines += _wrap(f"Value: {quoted(issue.value)}", indent="   ")
    if issue.suggestion:
        lines += _wrap(f"What to do: {issue.suggestion}", indent="   ")
    return lines


def change_lines(r: RunReport) -> list[str]:
    lines: list[str] = []
    if r.published is not None:
        lines.append(f"- {published_text(r.published)}.")
        return lines
    for c in r.changes:
        lines += _wrap(
            f"Rec {c.rec_no}, {c.field}: {quoted(c.old)} -> {quoted(c.new)} ({change_words(c)})",
            indent="  ",
            first="- ",
        )
    return lines


def summary_lines(fig: SummaryFigures) -> list[str]:
    lines = _wrap(fig.sentence, indent="", first="")
    lines.append(
        "By status: "
        + ", ".join(f"{k} {v}" for k, v in fig.by_status.items())
        + f"; total {fig.total}; {fig.percent_complete:g}% complete."
    )
    if fig.parts:
        lines.append("Lettered parts: " + ", ".join(f"{k} {v}" for k, v in fig.parts.items()))
    for section, counts in fig.by_section.items():
        parts = ", ".join(f"{k} {v}" for k, v in counts.items())
        lines.append(f"  {section}: {parts} (total {fig.section_totals[section]})")
    if fig.overdue:
        lines.append("Overdue:")
        lines += [
            f"  Rec {o['rec_no']} ({o['section']}), owner {o['owner'] or 'none'}, "
            f"due {o['target_date']:%d/%m/%Y}, {o['status']}"
            for o in fig.overdue
        ]
    else:
        lines.append("Overdue: none.")
    lines += _wrap(f"No owner: {_numbers(fig.no_owner)}.", indent="  ", first="")
    lines += _wrap(f"No target date: {_numbers(fig.no_target_date)}.", indent="  ", first="")
    return lines


def _numbers(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "none"


def run_times(r: RunReport, zone: ZoneInfo) -> str:
    ended = f"finished {moment(r.finished, zone)}" if r.finished else "not finished"
    return f"Run {r.run_id}: started {moment(r.started, zone)}, {ended}."


def header_lines(r: RunReport) -> list[str]:
    zone = zone_named(r.timezone)
    lines = [STATUS_LINES.get(r.status, r.status.value)]
    lines += _wrap(run_times(r, zone), indent="  ", first="")
    if r.workbook:
        lines.append(f"Workbook: {r.workbook}")
    if r.link():
        lines.append(f"Google Sheet: {r.link()}")
    return lines


def render_text(r: RunReport) -> str:
    """The plain-text part of the email, readable in any client and in a terminal."""
    title = subject(r)
    out = [title, "=" * min(len(title), WRAP), "", *header_lines(r)]
    if r.error:
        out += ["", *_wrap(r.error, indent="  ", first="What went wrong: ")]
    if r.notes:
        out += ["", "NOTES"]
        for note in r.notes:
            out += _wrap(note, indent="  ", first="- ")
    out += ["", counts_line(r)]

    errors = [i for i in sorted_issues(r.issues) if i.severity is Severity.ERROR]
    if r.conflicts or errors:
        out += ["", "NEEDS A PERSON"]
    if r.conflicts:
        out += ["", f"Conflicts ({len(r.conflicts)}): neither side was overwritten."]
        for index, c in enumerate(sorted_conflicts(r.conflicts), start=1):
            out += _conflict_lines(index, c)
    if errors:
        out += ["", f"Errors ({len(errors)}): these values are not synced until corrected."]
        for issue in errors:
            out += _issue_lines(issue)

    changes = change_lines(r)
    out += ["", f"CHANGES MADE ({r.count('changes')})"]
    out += changes or ["- None."]

    others = [i for i in sorted_issues(r.issues) if i.severity is not Severity.ERROR]
    if others:
        out += ["", f"OTHER FINDINGS ({len(others)}): warnings and information"]
        for issue in others:
            out += _issue_lines(issue)

    if r.summary:
        out += ["", "SUMMARY", *summary_lines(r.summary)]
    days = daily(r.trend, zone_named(r.timezone))[-TREND_DAYS:]
    if days:
        out += ["", "TREND (the last run of each day)"]
        for point in days:
            counts = ", ".join(f"{s} {point.counts.get(s, 0)}" for s in r.trend_statuses)
            out.append(f"- {point.day:%d/%m/%Y}: {counts}")
    return "\n".join(out) + "\n"
