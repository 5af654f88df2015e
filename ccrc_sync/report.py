"""Run reports: the Sync Issues and Change Log tabs, HTML/text/JSON reports, findings .xlsx.

The governance lead reads the report each morning without opening anything, often in a
mail client that strips scripts, styles in <head> and SVG. So the HTML is one
self-contained page with inline CSS and tables, its charts are HTML bars, and every piece
of cell text is escaped: staff type into the plan, and the report must never run it.
Rendering is pure; only `write_report` and `load_report` touch the disk.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from typing_extensions import TypedDict

from ccrc_sync.errors import CcrcSyncError
from ccrc_sync.schema import Issue, Severity, Value, display, rec_no_of, rec_sort_key
from ccrc_sync.summary import SummaryFigures

SYNC_ISSUES_HEADER: tuple[str, ...] = (
    "Rec No.",
    "Field",
    "Workbook value",
    "Sheet value",
    "Base value",
    "Cell",
    "Severity",
    "What to do",
)
CHANGE_LOG_HEADER: tuple[str, ...] = (
    "When",
    "Run",
    "Rec No.",
    "Field",
    "From",
    "To",
    "Old value",
    "New value",
)
NO_ISSUES = "No open conflicts or findings."
SIDES = {"workbook": "Workbook", "sheet": "Google Sheet"}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
TREND_POINTS = 30  # the most recent runs shown in the trend; the JSON keeps them all
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TrendPoint(TypedDict, total=False):
    """One past run's status counts, for the trend chart (from the run history)."""

    run_id: str
    finished: dt.datetime | None
    by_status: dict[str, int]


class ReportError(CcrcSyncError):
    """There is no report to show, or it could not be read or written."""


class RunReport(BaseModel):
    """Everything one run did, as the report, the email and `ccrc-sync report` show it."""

    run_id: str
    status: str  # "ok" | "flagged" | "failed"
    started: dt.datetime
    finished: dt.datetime | None = None
    workbook: str = ""
    spreadsheet_id: str = ""
    changes: list[dict[str, Any]] = Field(default_factory=list)
    conflicts: list[dict[str, Any]] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    summary: SummaryFigures | None = None
    trend: list[TrendPoint] = Field(default_factory=list)
    error: str | None = None
    notes: list[str] = Field(default_factory=list)

    def count(self, key: str) -> int:
        """A headline count, from `counts` when the run set it, else from the lists."""
        if key in self.counts:
            return int(self.counts[key])
        if key == "conflicts":
            return len(self.conflicts)
        if key == "changes":
            return len(self.changes)
        return sum(1 for i in self.issues if i.severity == key)


# --------------------------------------------------------------------------- staff tabs


def _what_to_do(conflict: Mapping[str, Any]) -> str:
    """Plain-English advice for a conflict, by the kind the merge gave it."""
    kind = str(conflict.get("kind") or "").casefold()
    rec = conflict.get("rec_no")
    if "delet" in kind:
        return (
            f"Rec {rec} was deleted on one side and edited on the other; the edit has been kept. "
            "If the row should go, delete it on both sides; otherwise put it back where it "
            "was deleted."
        )
    if "add" in kind or "new" in kind:
        return (
            f"Rec {rec} was added on both sides with different contents. Make the two rows "
            "the same, or give one of them a different Rec No."
        )
    if "first" in kind or "no base" in kind or "nobase" in kind:
        return (
            "The workbook and the Google Sheet differ and there is no earlier agreed value. "
            "Decide which is right and make both sides say it; the next sync clears this row."
        )
    return (
        "Both sides changed this since the last sync, to different values; neither was "
        "overwritten. Decide which is right and make both sides say it; the next sync "
        "clears this row."
    )


def _cell_ref(sheet: str | None, cell: str | None) -> str:
    if not cell:
        return sheet or ""
    return f"{sheet}!{cell}" if sheet else cell


def _issue_advice(issue: Issue) -> str:
    return " ".join(part for part in (issue.message, issue.suggestion) if part)


def sync_issues_grid(
    conflicts: Sequence[Mapping[str, Any]], issues: Sequence[Issue]
) -> list[list[Value]]:
    """The Sync Issues tab: one row per open conflict, then one per validation finding.

    Conflicts come first because they need a person before the two sides can agree;
    findings follow, errors before warnings before information.
    """
    grid: list[list[Value]] = [list(SYNC_ISSUES_HEADER)]
    for c in sorted(conflicts, key=lambda c: (_sortable(c.get("rec_no")), str(c.get("field")))):
        grid.append(
            [
                c.get("rec_no"),
                display(c.get("field")),
                display(c.get("workbook")),
                display(c.get("sheet")),
                display(c.get("base")),
                display(c.get("cell")),
                "Conflict",
                _what_to_do(c),
            ]
        )
    for issue in sorted(issues, key=lambda i: _SEVERITY_ORDER.get(i.severity, 3)):
        grid.append(
            [
                issue.rec_no,
                issue.field or "",
                issue.value or "",
                "",
                "",
                _cell_ref(issue.sheet, issue.cell),
                issue.severity.value.capitalize(),
                _issue_advice(issue),
            ]
        )
    if len(grid) == 1:
        grid.append([NO_ISSUES, *([None] * (len(SYNC_ISSUES_HEADER) - 1))])
    return grid


def _sortable(value: Any) -> tuple[int, str]:
    key = rec_no_of(value) if value is not None else None
    return rec_sort_key(key) if key is not None else (1 << 30, str(value))


def change_log_grid(
    entries: Sequence[Mapping[str, Any]], *, limit: int | None = None
) -> list[list[Value]]:
    """The Change Log tab, newest first: what the sync changed, from which side, old and new."""
    ordered = sorted(entries, key=lambda e: _when_key(e.get("when")), reverse=True)
    if limit is not None:
        ordered = ordered[:limit]
    grid: list[list[Value]] = [list(CHANGE_LOG_HEADER)]
    for e in ordered:
        grid.append(
            [
                _stamp(e.get("when")),
                display(e.get("run_id")),
                e.get("rec_no"),
                display(e.get("field")),
                SIDES.get(str(e.get("source")), display(e.get("source"))),
                SIDES.get(str(e.get("target")), display(e.get("target"))),
                display(e.get("old")),
                display(e.get("new")),
            ]
        )
    return grid


def _when_key(when: Any) -> str:
    if isinstance(when, dt.datetime):
        return when.isoformat()
    return str(when or "")


# --------------------------------------------------------------------------- subject


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _short_reason(error: str | None, limit: int = 90) -> str:
    text = " ".join((error or "see the report").split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def subject(r: RunReport, prefix: str = "CCRC action plan") -> str:
    """The state at a glance: `CCRC action plan: 2 conflicts, 0 errors, 5 warnings`."""
    prefix = " ".join(prefix.split())
    if r.status == "failed":
        return f"{prefix}: sync FAILED - {_short_reason(r.error)}"
    return (
        f"{prefix}: {_plural(r.count('conflicts'), 'conflict')}, "
        f"{_plural(r.count('error'), 'error')}, {_plural(r.count('warning'), 'warning')}"
    )


# --------------------------------------------------------------------------- text


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "not finished"
    return _stamp(value)


def _stamp(value: Any) -> str:
    """A time as staff read it: to the minute, with its zone (the sync passes local time)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return display(value)


_STATUS_WORDS = {
    "ok": "the workbook and the Google Sheet agree and nothing is flagged",
    "flagged": "the sync ran, but something needs a person",
    "failed": "the sync could not run",
}


def render_text(r: RunReport) -> str:
    """The plain-text part of the email, readable in any client and in a terminal."""
    out = [subject(r), "=" * min(len(subject(r)), 78), ""]
    explain = _STATUS_WORDS.get(r.status)
    out.append(f"Run {r.run_id}: {r.status.upper()}" + (f" ({explain})." if explain else "."))
    out.append(f"Started {_when(r.started)}, finished {_when(r.finished)}.")
    if r.workbook:
        out.append(f"Workbook: {r.workbook}")
    if r.spreadsheet_id:
        out.append(f"Google Sheet: {r.spreadsheet_id}")
    if r.error:
        out += ["", f"What went wrong: {r.error}"]
    out += [f"Note: {n}" for n in r.notes]
    out += [
        "",
        f"Changes made: {r.count('changes')}; conflicts: {r.count('conflicts')}; "
        f"errors: {r.count('error')}; warnings: {r.count('warning')}; "
        f"information: {r.count('info')}.",
    ]
    if r.summary:
        out += ["", "SUMMARY", *_summary_text(r.summary)]
    if r.conflicts:
        out += ["", "CONFLICTS (neither side was overwritten)"]
        for c in sorted(r.conflicts, key=lambda c: _sortable(c.get("rec_no"))):
            out.append(
                f"- Rec {display(c.get('rec_no'))}, {display(c.get('field'))}: "
                f"workbook {_q(c.get('workbook'))}, sheet {_q(c.get('sheet'))}, "
                f"last agreed {_q(c.get('base'))}"
            )
    if r.issues:
        out += ["", "FINDINGS"]
        for issue in sorted(r.issues, key=lambda i: _SEVERITY_ORDER.get(i.severity, 3)):
            where = _cell_ref(issue.sheet, issue.cell)
            rec = f"Rec {issue.rec_no} " if issue.rec_no is not None else ""
            value = f" (value {_q(issue.value)})" if issue.value else ""
            out.append(
                f"- {issue.severity.value.upper()} {rec}{where}{value}: {_issue_advice(issue)}"
            )
    if r.changes:
        out += ["", "CHANGES MADE"]
        for ch in r.changes:
            out.append(
                f"- Rec {display(ch.get('rec_no'))}, {display(ch.get('field'))}: "
                f"{_q(ch.get('old'))} -> {_q(ch.get('new'))} "
                f"({SIDES.get(str(ch.get('from')), display(ch.get('from')))} to "
                f"{SIDES.get(str(ch.get('to')), display(ch.get('to')))})"
            )
    if r.trend:
        out += ["", "TREND OF STATUS COUNTS"]
        for point in r.trend[-TREND_POINTS:]:
            counts = ", ".join(f"{k} {v}" for k, v in (point.get("by_status") or {}).items())
            out.append(f"- {_stamp(point.get('finished'))} ({point.get('run_id')}): {counts}")
    return "\n".join(out) + "\n"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _q(value: Any) -> str:
    """A value in quotes, so a blank or a value with spaces is visible in plain text."""
    return f'"{display(value)}"'


def _summary_text(fig: SummaryFigures) -> list[str]:
    lines = [fig.sentence]
    lines.append(
        "By status: "
        + ", ".join(f"{k} {v}" for k, v in fig.by_status.items())
        + f"; total {fig.total}; {fig.percent_complete:g}% complete."
    )
    for section, counts in fig.by_section.items():
        parts = ", ".join(f"{k} {v}" for k, v in counts.items())
        lines.append(f"  {section}: {parts} (total {fig.section_totals[section]})")
    if fig.overdue:
        lines.append("Overdue:")
        lines += [
            f"  Rec {o['rec_no']} ({o['section']}), owner {o['owner'] or 'none'}, "
            f"due {display(o['target_date'])}, {o['status']}"
            for o in fig.overdue
        ]
    else:
        lines.append("Overdue: none.")
    lines.append(f"No owner: {_numbers(fig.no_owner)}.")
    lines.append(f"No target date: {_numbers(fig.no_target_date)}.")
    return lines


def _numbers(values: Iterable[int]) -> str:
    items = [str(v) for v in values]
    return ", ".join(items) if items else "none"


# --------------------------------------------------------------------------- html

_COLOURS = ("#9e9e9e", "#f0ad4e", "#2e7d32", "#1565c0", "#6a1b9a", "#c62828", "#00838f")
_STATUS_STYLE = {
    "ok": ("#2e7d32", "OK"),
    "flagged": ("#e65100", "FLAGGED"),
    "failed": ("#c62828", "FAILED"),
}
_TABLE = "border-collapse:collapse;font-size:13px;margin:6px 0 14px 0"
_TH = "border:1px solid #bbb;background:#eef1f5;padding:4px 8px;text-align:left"
_TD = "border:1px solid #ddd;padding:4px 8px;vertical-align:top"
_H2 = "font-size:17px;margin:22px 0 6px 0;color:#1a2b4a"


def _e(value: Any) -> str:
    """Escape anything for HTML: every piece of text that reaches the page goes through here."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    return html.escape(display(value), quote=True)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f'<th style="{_TH}">{_e(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_TD}">{_e(v)}</td>' for v in row) + "</tr>" for row in rows
    )
    return f'<table style="{_TABLE}"><tr>{head}</tr>{body}</table>'


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
    return (
        f'<table style="border-collapse:collapse" cellpadding="0" cellspacing="0">'
        f"<tr>{cells}</tr></table>"
    )


def _legend(colours: Mapping[str, str]) -> str:
    return " ".join(
        f'<span style="display:inline-block;margin-right:12px">'
        f'<span style="display:inline-block;width:10px;height:10px;background:{c}"></span>'
        f" {_e(s)}</span>"
        for s, c in colours.items()
    )


def _chart(rows: Sequence[tuple[str, Mapping[str, int]]], colours: Mapping[str, str]) -> str:
    largest = max([sum(c.values()) for _, c in rows] or [1]) or 1
    body = "".join(
        f'<tr><td style="padding:2px 8px 2px 0;font-size:13px">{_e(label)}</td>'
        f'<td style="padding:2px 0">{_bar(counts, colours, round(320 * sum(counts.values()) / largest))}</td>'
        f'<td style="padding:2px 6px;font-size:13px">{sum(counts.values())}</td></tr>'
        for label, counts in rows
    )
    return (
        f'<table style="border-collapse:collapse;margin:6px 0">{body}</table>'
        f'<div style="font-size:12px;margin-bottom:10px">{_legend(colours)}</div>'
    )


def _summary_html(fig: SummaryFigures) -> str:
    colours = _colour_map(fig.by_status)
    parts = [f'<h2 style="{_H2}">Summary</h2>', f'<p style="margin:4px 0">{_e(fig.sentence)}</p>']
    parts.append(
        _table(
            [*fig.by_status, "Total", "Percent complete"],
            [[*fig.by_status.values(), fig.total, f"{fig.percent_complete:g}%"]],
        )
    )
    parts.append('<h3 style="font-size:15px;margin:10px 0 4px 0">Status by section</h3>')
    parts.append(_chart(list(fig.by_section.items()), colours))
    statuses = list(fig.by_status)
    parts.append(
        _table(
            ["Section", *statuses, "Total"],
            [
                *(
                    [sec, *(c.get(s, 0) for s in statuses), fig.section_totals[sec]]
                    for sec, c in fig.by_section.items()
                ),
                ["Total", *fig.by_status.values(), fig.total],
            ],
        )
    )
    parts.append('<h3 style="font-size:15px;margin:10px 0 4px 0">Overdue</h3>')
    if fig.overdue:
        parts.append(
            _table(
                ["Rec No.", "Section", "Owner", "Target Date", "Status"],
                [
                    [o["rec_no"], o["section"], o["owner"], o["target_date"], o["status"]]
                    for o in fig.overdue
                ],
            )
        )
    else:
        parts.append('<p style="margin:4px 0">No recommendation is overdue.</p>')
    parts.append(
        f'<p style="margin:4px 0">No owner: {_e(_numbers(fig.no_owner))}.<br>'
        f"No target date: {_e(_numbers(fig.no_target_date))}.</p>"
    )
    if fig.key_recommendations:
        parts.append('<h3 style="font-size:15px;margin:10px 0 4px 0">Key Recommendations</h3>')
        parts.append(
            _table(
                ["Rec No.", "Recommendation", "Status", "Owner", "Target Date"],
                [
                    [k["rec_no"], k["recommendation"], k["status"], k["owner"], k["target_date"]]
                    for k in fig.key_recommendations
                ],
            )
        )
    return "".join(parts)


def _trend_html(trend: Sequence[Mapping[str, Any]]) -> str:
    statuses: dict[str, None] = {}
    for point in trend:
        statuses.update(dict.fromkeys(point.get("by_status") or {}))
    colours = _colour_map(statuses)
    rows = [
        (_stamp(p.get("finished")) or display(p.get("run_id")), p.get("by_status") or {})
        for p in trend
    ]
    return f'<h2 style="{_H2}">Trend of status counts over past runs</h2>' + _chart(rows, colours)


def render_html(r: RunReport) -> str:
    """The report as one self-contained page: inline CSS, tables, HTML bar charts, no script."""
    colour, word = _STATUS_STYLE.get(r.status, ("#555", r.status.upper()))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(subject(r))}</title></head>",
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#222;margin:16px;'
        'max-width:960px">',
        f'<h1 style="font-size:21px;margin:0 0 8px 0;color:#1a2b4a">{_e(subject(r))}</h1>',
        f'<p style="margin:4px 0"><span style="background:{colour};color:#fff;padding:2px 8px;'
        f'font-weight:bold">{_e(word)}</span> {_e(_capital(_STATUS_WORDS.get(r.status, "")))}</p>',
        f'<p style="margin:4px 0;font-size:13px;color:#555">Run {_e(r.run_id)}; started '
        f"{_e(_when(r.started))}, finished {_e(_when(r.finished))}"
        + (f"<br>Workbook: {_e(r.workbook)}" if r.workbook else "")
        + (f"<br>Google Sheet: {_e(r.spreadsheet_id)}" if r.spreadsheet_id else "")
        + "</p>",
    ]
    if r.error:
        parts.append(
            f'<p style="margin:8px 0;padding:8px;border:1px solid #c62828;background:#fdecea">'
            f"<b>What went wrong:</b> {_e(r.error)}</p>"
        )
    for note in r.notes:
        parts.append(f'<p style="margin:6px 0;color:#5d4037">Note: {_e(note)}</p>')
    parts.append(
        _table(
            ["Changes made", "Conflicts", "Errors", "Warnings", "Information"],
            [[r.count(k) for k in ("changes", "conflicts", "error", "warning", "info")]],
        )
    )
    if r.summary:
        parts.append(_summary_html(r.summary))
    parts.append(f'<h2 style="{_H2}">Conflicts and findings</h2>')
    grid = sync_issues_grid(r.conflicts, r.issues)
    parts.append(_table([str(h) for h in grid[0]], grid[1:]))
    parts.append(f'<h2 style="{_H2}">Changes made by this run</h2>')
    if r.changes:
        parts.append(
            _table(
                ["Rec No.", "Field", "From", "To", "Old value", "New value"],
                [
                    [
                        c.get("rec_no"),
                        c.get("field"),
                        SIDES.get(str(c.get("from")), display(c.get("from"))),
                        SIDES.get(str(c.get("to")), display(c.get("to"))),
                        c.get("old"),
                        c.get("new"),
                    ]
                    for c in r.changes
                ],
            )
        )
    else:
        parts.append('<p style="margin:4px 0">None.</p>')
    if r.trend:
        parts.append(_trend_html(r.trend[-TREND_POINTS:]))
    parts.append(
        '<p style="margin-top:24px;font-size:11px;color:#888">Sent by ccrc-sync. '
        "The Sync Issues tab in the workbook and the Google Sheet lists the same items.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- findings xlsx

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_CELL = 32767


def _put(ws: Any, row: int, col: int, value: Value) -> None:
    """Write one cell so text always stays text, even when it begins with '='."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return
    if isinstance(value, int | float | dt.date) and not isinstance(value, bool):
        cell.value = value
        return
    text = _ILLEGAL.sub("\ufffd", display(value))[:_MAX_CELL]
    cell.value = text
    cell.data_type = "s"  # openpyxl takes a leading '=' for a formula; this is text
    if text[:1] in "=+-@":
        cell.quotePrefix = True  # and Excel keeps it text if someone edits the cell


def findings_xlsx(r: RunReport) -> bytes:
    """The run's conflicts and findings (and its changes) as an .xlsx to attach to the email."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheets = [
        ("Sync Issues", sync_issues_grid(r.conflicts, r.issues)),
        (
            "Changes",
            [
                ["Rec No.", "Field", "From", "To", "Old value", "New value"],
                *(
                    [
                        c.get("rec_no"),
                        display(c.get("field")),
                        SIDES.get(str(c.get("from")), display(c.get("from"))),
                        SIDES.get(str(c.get("to")), display(c.get("to"))),
                        display(c.get("old")),
                        display(c.get("new")),
                    ]
                    for c in r.changes
                ),
            ],
        ),
    ]
    for index, (title, grid) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        for row_no, row in enumerate(grid, start=1):
            for col_no, value in enumerate(row, start=1):
                _put(ws, row_no, col_no, value)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- files

LATEST = "latest"


def _safe_name(run_id: str) -> str:
    """A run id as a file name: nothing that could climb out of the reports folder."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", run_id).strip(".")
    return name or "run"


def _atomic_write(path: Path, data: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(r: RunReport, reports_dir: Path) -> tuple[Path, Path]:
    """Write `<run_id>.html` and `<run_id>.json`, and copies as `latest.html`/`latest.json`.

    Each file is written to a temporary file in the same folder and then renamed over the
    old one, so a reader (or a crash) never sees half a report.
    """
    name = _safe_name(r.run_id)
    html_path = reports_dir / f"{name}.html"
    json_path = reports_dir / f"{name}.json"
    page = render_html(r)
    data = r.model_dump_json(indent=2)
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(html_path, page)
        _atomic_write(json_path, data)
        _atomic_write(reports_dir / f"{LATEST}.html", page)
        _atomic_write(reports_dir / f"{LATEST}.json", data)
    except OSError as exc:
        raise ReportError(
            f"The run report could not be written to {reports_dir}: {exc.strerror or exc}."
        ) from None
    return html_path, json_path


def load_report(reports_dir: Path, run_id: str | None = None) -> RunReport:
    """The report of one run, or of the latest run when `run_id` is None."""
    if run_id is None:
        path = reports_dir / f"{LATEST}.json"
        if not path.is_file():
            runs = sorted(
                (p for p in reports_dir.glob("*.json") if p.stem != LATEST),
                key=lambda p: p.stat().st_mtime,
            )
            if not runs:
                raise ReportError(
                    f"There is no run report in {reports_dir} yet: run `ccrc-sync sync` first."
                )
            path = runs[-1]
    else:
        path = reports_dir / f"{_safe_name(run_id)}.json"
        if not path.is_file():
            raise ReportError(f"There is no report for run {run_id} in {reports_dir}.")
    try:
        return RunReport.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is damaged or incomplete"
        raise ReportError(f"The report {path} could not be read: {reason}.") from None
