"""The report as one self-contained HTML page, for the email and the reports folder.

Mail clients strip scripts, `<style>` blocks and external images, and many are 600 pixels
wide, so the page uses inline CSS only, stacks everything in one column no wider than
640 pixels, shows each conflict as a small card rather than a wide table, and draws its
charts itself (HTML bars for the sections, an inline SVG for the trend). Every piece of
text that reaches the page is escaped: staff type into the plan, and the report must never
run what they typed.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

from ccrc_sync.merge import Side
from ccrc_sync.outcome import RunStatus
from ccrc_sync.report.model import ReportConflict, RunReport, Shown
from ccrc_sync.report.text import (
    change_words,
    conflict_title,
    conflict_value,
    counts_line,
    issue_where,
    run_times,
    sorted_conflicts,
    sorted_issues,
    subject,
    zone_named,
)
from ccrc_sync.report.trend import daily, trend_svg
from ccrc_sync.schema import Issue, Severity, Value, display
from ccrc_sync.summary import SummaryFigures
from ccrc_sync.tabs import advice, happened, published_text

_COLOURS = ("#9e9e9e", "#e0a800", "#2e7d32", "#1565c0", "#6a1b9a", "#c62828", "#00838f")
_BADGES = {
    RunStatus.OK: ("#2e7d32", "OK", "The workbook and the Google Sheet agree."),
    RunStatus.FLAGGED: ("#c45100", "NEEDS A PERSON", "Something below needs a decision."),
    RunStatus.FAILED: ("#c62828", "FAILED", "The sync could not run."),
}
_TONES = {
    "conflict": ("#f8cbad", "#c45100"),
    Severity.ERROR: ("#ffc7ce", "#c62828"),
    Severity.WARNING: ("#ffeb9c", "#8a6d00"),
    Severity.INFO: ("#ddebf7", "#1f4e78"),
}
_FONT = "font-family:Arial,Helvetica,sans-serif"
_TABLE = "border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 12px 0"
_TH = "border:1px solid #bbb;background:#1f4e78;color:#fff;padding:4px 6px;text-align:left"
_TD = "border:1px solid #ddd;padding:4px 6px;vertical-align:top;word-wrap:break-word"
_H2 = "font-size:17px;margin:22px 0 6px 0;color:#1f4e78;border-bottom:2px solid #1f4e78"
_H3 = "font-size:14px;margin:12px 0 4px 0;color:#1f4e78"
_P = "margin:4px 0;font-size:14px;line-height:1.4"
_LABEL = "color:#555;width:34%;padding:2px 6px 2px 0;vertical-align:top;font-size:13px"
_VALUE = "padding:2px 0;vertical-align:top;font-size:13px;word-wrap:break-word"


def _e(value: Value) -> str:
    """Escape anything for HTML: every piece of text that reaches the page goes through here."""
    return html.escape(value if isinstance(value, str) else display(value), quote=True)


def _table(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> str:
    head = "".join(f'<th style="{_TH}">{_e(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_TD}">{_e(v)}</td>' for v in row) + "</tr>" for row in rows
    )
    return f'<table style="{_TABLE}"><tr>{head}</tr>{body}</table>'


def _shown(value: Shown) -> str:
    return "(blank)" if value is None or value == "" else display(value)


def _card(tone: str | Severity, title: str, rows: Sequence[tuple[str, str]]) -> str:
    """A small boxed item: a coloured bar on the left, a bold title, then label/value rows."""
    fill, edge = _TONES[tone]
    body = "".join(
        f'<tr><td style="{_LABEL}">{_e(label)}</td><td style="{_VALUE}">{_e(value)}</td></tr>'
        for label, value in rows
    )
    return (
        f'<div style="border:1px solid {fill};border-left:6px solid {edge};'
        f'background:#fff;margin:8px 0;padding:6px 8px">'
        f'<div style="font-weight:bold;font-size:14px;margin-bottom:4px">{_e(title)}</div>'
        f'<table style="border-collapse:collapse;width:100%;table-layout:fixed">{body}</table>'
        "</div>"
    )


def _conflict_card(c: ReportConflict) -> str:
    conflict = c.conflict()
    return _card(
        "conflict",
        conflict_title(c),
        [
            ("What happened", happened(conflict)),
            ("In the workbook", conflict_value(c, Side.WORKBOOK)),
            ("In the Google Sheet", conflict_value(c, Side.SHEET)),
            ("What to do", advice(conflict)),
        ],
    )


def _issue_card(issue: Issue) -> str:
    rows = [("What is wrong", issue.message)]
    if issue.value and issue.value not in issue.message:
        rows.append(("Value", issue.value))
    if issue.suggestion:
        rows.append(("What to do", issue.suggestion))
    return _card(issue.severity, issue_where(issue) or "The plan", rows)


def _colour_map(statuses: Iterable[str]) -> dict[str, str]:
    return {s: _COLOURS[i % len(_COLOURS)] for i, s in enumerate(statuses)}


def _bar(counts: Mapping[str, int], colours: Mapping[str, str], width_px: int) -> str:
    """A stacked horizontal bar made of table cells: drawn by every mail client."""
    total = sum(counts.values())
    if total <= 0:
        return '<span style="color:#777">none</span>'
    cells = "".join(
        f'<td title="{_e(s)}: {n}" style="background:{colours.get(s, "#777")};'
        f"width:{max(1, round(width_px * n / total))}px;height:14px;padding:0;"
        f'font-size:10px;color:#fff;text-align:center">{n}</td>'
        for s, n in counts.items()
        if n > 0
    )
    return f'<table style="border-collapse:collapse" cellpadding="0" cellspacing="0"><tr>{cells}</tr></table>'


def _bars(rows: Sequence[tuple[str, Mapping[str, int]]], colours: Mapping[str, str]) -> str:
    largest = max([sum(c.values()) for _, c in rows] or [1]) or 1
    body = "".join(
        f'<tr><td style="padding:2px 8px 2px 0;font-size:13px;width:40%">{_e(label)}</td>'
        f'<td style="padding:2px 0">'
        f"{_bar(counts, colours, round(260 * sum(counts.values()) / largest))}</td></tr>"
        for label, counts in rows
    )
    legend = " ".join(
        f'<span style="display:inline-block;margin-right:12px">'
        f'<span style="display:inline-block;width:10px;height:10px;background:{c}"></span>'
        f" {_e(s)}</span>"
        for s, c in colours.items()
    )
    return (
        f'<table style="border-collapse:collapse;width:100%;margin:6px 0">{body}</table>'
        f'<div style="font-size:12px;margin-bottom:10px">{legend}</div>'
    )


def _summary_html(fig: SummaryFigures) -> str:
    statuses = list(fig.by_status)
    parts = [f'<h2 style="{_H2}">Summary</h2>', f'<p style="{_P}">{_e(fig.sentence)}</p>']
    parts.append(
        _table(
            [*statuses, "Total", "Percent complete"],
            [[*fig.by_status.values(), fig.total, f"{fig.percent_complete:g}%"]],
        )
    )
    if fig.parts:
        told = ", ".join(f"{n} {s.lower()}" for s, n in fig.parts.items())
        parts.append(f'<p style="{_P}">Lettered parts: {_e(told)}.</p>')
    parts.append(f'<h3 style="{_H3}">Status by section</h3>')
    parts.append(_bars(list(fig.by_section.items()), _colour_map(statuses)))
    parts.append(f'<h3 style="{_H3}">Overdue</h3>')
    if fig.overdue:
        parts.append(
            _table(
                ["Rec No.", "Owner", "Target Date", "Status"],
                [
                    [o["rec_no"], o["owner"], f"{o['target_date']:%d/%m/%Y}", o["status"]]
                    for o in fig.overdue
                ],
            )
        )
    else:
        parts.append(f'<p style="{_P}">No recommendation is overdue.</p>')
    no_owner = ", ".join(fig.no_owner) or "none"
    no_date = ", ".join(fig.no_target_date) or "none"
    parts.append(
        f'<p style="{_P};font-size:13px;color:#555">No owner: {_e(no_owner)}.<br>'
        f"No target date: {_e(no_date)}.</p>"
    )
    return "".join(parts)


def _trend_html(r: RunReport) -> str:
    points = daily(r.trend, zone_named(r.timezone))
    if not points:
        return ""
    return (
        f'<h2 style="{_H2}">Trend</h2>'
        f'<p style="{_P};font-size:13px;color:#555">{_e(" and ".join(r.trend_statuses))}, '
        "the last run of each day.</p>"
        f"<div>{trend_svg(points, r.trend_statuses)}</div>"
    )


def _changes_html(r: RunReport) -> str:
    parts = [f'<h2 style="{_H2}">Changes made by this run ({r.count("changes")})</h2>']
    if r.published is not None:
        parts.append(f'<p style="{_P}">{_e(published_text(r.published))}.</p>')
    elif r.changes:
        parts.append(
            _table(
                ["Rec No.", "Field", "Old value", "New value", "Direction"],
                [
                    [c.rec_no, c.field, _shown(c.old), _shown(c.new), change_words(c)]
                    for c in r.changes
                ],
            )
        )
    else:
        parts.append(f'<p style="{_P}">None.</p>')
    return "".join(parts)


def _header_html(r: RunReport) -> str:
    colour, word, line = _BADGES.get(r.status, ("#555", r.status.value.upper(), ""))
    zone = zone_named(r.timezone)
    link = r.link()
    sheet = (
        f'<br>Google Sheet: <a href="{_e(link)}" style="color:#1565c0">{_e(link)}</a>'
        if link
        else ""
    )
    return (
        f'<p style="{_P}"><span style="background:{colour};color:#fff;padding:2px 8px;'
        f'font-weight:bold">{_e(word)}</span> {_e(line)}</p>'
        f'<p style="{_P};font-size:12px;color:#555">{_e(run_times(r, zone))}'
        + (f"<br>Workbook: {_e(r.workbook)}" if r.workbook else "")
        + sheet
        + f"<br>{_e(counts_line(r))}</p>"
    )


def render_html(r: RunReport) -> str:
    """The report as one page: status, then what needs a person, changes, summary, trend."""
    title = subject(r)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title></head>",
        f'<body style="margin:0;padding:0;background:#f3f4f6;color:#222;{_FONT}">',
        '<div style="max-width:640px;margin:0 auto;padding:12px 14px;background:#fff">',
        f'<h1 style="font-size:20px;margin:0 0 8px 0;color:#1f4e78">{_e(title)}</h1>',
        _header_html(r),
    ]
    if r.error:
        parts.append(
            f'<p style="{_P};padding:8px;border:1px solid #c62828;background:#fdecea">'
            f"<b>What went wrong:</b> {_e(r.error)}</p>"
        )
    for note in r.notes:
        parts.append(
            f'<p style="{_P};padding:6px 8px;background:#fff8e1;border-left:4px solid #e0a800">'
            f"{_e(note)}</p>"
        )
    issues = sorted_issues(r.issues)
    errors = [i for i in issues if i.severity is Severity.ERROR]
    if r.conflicts or errors:
        parts.append(f'<h2 style="{_H2}">Needs a person</h2>')
    if r.conflicts:
        parts.append(
            f'<p style="{_P}">{_e(str(len(r.conflicts)))} '
            f"{'conflict' if len(r.conflicts) == 1 else 'conflicts'}: "
            "neither side was overwritten.</p>"
        )
        parts += [_conflict_card(c) for c in sorted_conflicts(r.conflicts)]
    if errors:
        parts.append(
            f'<p style="{_P}">{len(errors)} {"error" if len(errors) == 1 else "errors"}: '
            "these values are not synced until they are corrected.</p>"
        )
        parts += [_issue_card(i) for i in errors]
    parts.append(_changes_html(r))
    others = [i for i in issues if i.severity is not Severity.ERROR]
    if others:
        parts.append(f'<h2 style="{_H2}">Other findings ({len(others)})</h2>')
        parts += [_issue_card(i) for i in others]
    if r.summary:
        parts.append(_summary_html(r.summary))
    parts.append(_trend_html(r))
    parts.append(
        '<p style="margin-top:24px;font-size:11px;color:#888">Sent by ccrc-sync. The Sync '
        "Issues tab in the workbook and in the Google Sheet lists the same items, each with a "
        "link to its cell.</p>"
    )
    parts.append("</div></body></html>")
    return "\n".join(p for p in parts if p) + "\n"
