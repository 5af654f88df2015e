"""The three generated tabs (`Summary`, `Sync Issues`, `Change Log`) as `layout.TabLayout`s.

Both sides draw the same layout, so what a tab *says* is decided here once, by pure code,
and each side's writer only decides how to draw it. Everything is a pure function of its
inputs: the same figures, conflicts and log give an equal layout, so a run that changes
nothing finds every tab as it should be and writes nothing.

- `cells`: cells whose role follows their value, rows, widths fitted to the content;
- `summary`: the Summary dashboard (`summary_layout`);
- `issues`: Sync Issues in plain words (`issues_layout`, `advice`, `happened`);
- `log`: the Change Log (`log_layout`).
"""

from __future__ import annotations

from ccrc_sync.summary import SUMMARY_TITLE
from ccrc_sync.tabs.cells import (
    CHANGE_LOG_TAB,
    ISSUES_TAB,
    MANAGED_TABS,
    MAX_WIDTH,
    MIN_WIDTH,
    SUMMARY_TAB,
    Where,
    cell,
    fit_widths,
)
from ccrc_sync.tabs.issues import (
    AGREED,
    ISSUES_HEADER,
    NO_ISSUES,
    SEVERITY_TONES,
    SHEET_FINDING_PREFIX,
    WHOLE_ROW,
    advice,
    found_on,
    happened,
    issues_layout,
)
from ccrc_sync.tabs.log import (
    LOG_HEADER,
    NO_CHANGES,
    is_publish,
    log_happened,
    log_layout,
    published_text,
    stamp,
)
from ccrc_sync.tabs.summary import (
    CHART_TITLE,
    changed_text,
    first_sentence,
    parts_text,
    rec_list,
    summary_layout,
)

__all__ = [
    "AGREED",
    "CHANGE_LOG_TAB",
    "CHART_TITLE",
    "ISSUES_HEADER",
    "ISSUES_TAB",
    "LOG_HEADER",
    "MANAGED_TABS",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "NO_CHANGES",
    "NO_ISSUES",
    "SEVERITY_TONES",
    "SHEET_FINDING_PREFIX",
    "SUMMARY_TAB",
    "SUMMARY_TITLE",
    "WHOLE_ROW",
    "Where",
    "advice",
    "cell",
    "changed_text",
    "first_sentence",
    "fit_widths",
    "found_on",
    "happened",
    "is_publish",
    "issues_layout",
    "log_happened",
    "log_layout",
    "parts_text",
    "published_text",
    "rec_list",
    "stamp",
    "summary_layout",
]
