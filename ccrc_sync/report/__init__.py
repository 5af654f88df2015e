"""Run reports: what a run did, for people, as HTML, plain text, JSON and an .xlsx.

- `model`: `RunReport` and its typed changes and conflicts (the JSON kept per run);
- `store`: the reports folder (written atomically, read back, the last one emailed);
- `text`: the email's subject and plain-text part;
- `html`: the self-contained HTML page;
- `trend`: one point per day, drawn as an inline SVG;
- `xlsx`: the formatted attachment;
- `outcome_text`, `status_text`: the words of `sync` and `status` in a terminal.

Rendering is pure; only `store` touches the disk.
"""

from __future__ import annotations

from ccrc_sync.report.html import render_html
from ccrc_sync.report.model import (
    ReportChange,
    ReportConflict,
    ReportError,
    RunReport,
    TrendPoint,
    report_of,
)
from ccrc_sync.report.outcome_text import render_outcome
from ccrc_sync.report.store import last_sent, load_report, write_report
from ccrc_sync.report.text import render_text, subject
from ccrc_sync.report.xlsx import XLSX_TYPE, findings_xlsx

__all__ = [
    "XLSX_TYPE",
    "ReportChange",
    "ReportConflict",
    "ReportError",
    "RunReport",
    "TrendPoint",
    "findings_xlsx",
    "last_sent",
    "load_report",
    "render_html",
    "render_outcome",
    "render_text",
    "report_of",
    "subject",
    "write_report",
]
