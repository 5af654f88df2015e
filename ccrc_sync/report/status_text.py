"""`ccrc-sync status` in words, for a governance officer or the IT person on call.

It answers three questions in order: is the nightly sync healthy (and if not, why, in one
sentence), how many conflicts are waiting for a person, and when it ran and runs next.
Times are in the configured zone, labelled BST or GMT as they were at the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ccrc_sync.report.text import zone_named
from ccrc_sync.timing import format_local

if TYPE_CHECKING:  # status imports this module to render itself
    from ccrc_sync.status import StatusReport

_LABEL = 19  # "Failures in a row: " lines the values up
_COUNTS = (
    ("changes", "change"),
    ("conflicts", "conflict"),
    ("error", "error"),
    ("warning", "warning"),
    ("info", "info"),
)


def counts_in_words(counts: Mapping[str, int]) -> str:
    """'3 changes, 2 conflicts, 1 error': a run's counts (`SyncOutcome.headline_counts`, or
    as the state kept them) in words, the same in `status` and the service log."""
    parts = []
    for key, noun in _COUNTS:
        if key in counts:
            n = counts[key]
            parts.append(f"{n} {noun}{'s' if n != 1 and noun != 'info' else ''}")
    return ", ".join(parts)


def open_conflicts_text(count: int | None) -> str:
    """How many conflicts wait for a person, as a sentence."""
    if count is None:
        return "Not known yet: no run has compared the two sides."
    if count == 0:
        return "None: nothing is waiting for a person."
    verb = "is" if count == 1 else "are"
    noun = "conflict" if count == 1 else "conflicts"
    return f"{count} {noun} {verb} open; see the Sync Issues tab on either side."


def _line(label: str, value: str) -> str:
    return f"{label + ':':<{_LABEL}}{value}"


def render_status(report: StatusReport) -> str:
    """The status as a governance officer or an IT person reads it."""
    zone = zone_named(report.timezone)
    lines = [f"ccrc-sync: {'healthy' if report.healthy else 'PROBLEM'}"]
    if report.problem:
        lines.append(f"  {report.problem}")
    lines.append(_line("Open conflicts", open_conflicts_text(report.open_conflicts)))
    last = report.last_run
    if last is None:
        lines.append(_line("Last run", "none yet"))
    else:
        counts = counts_in_words(last.counts)
        said = f": {counts}" if counts else ""
        lines.append(
            _line(
                "Last run",
                f"{format_local(last.started, zone)}, {last.status} (run {last.run_id}){said}",
            )
        )
    if last is None or last.status == "failed":
        lines.append(_line("Last success", format_local(report.last_success, zone)))
    lines.append(_line("Next run", format_local(report.next_run, zone)))
    lines.append(_line("Schedule", report.schedule))
    lines.append(_line("Failures in a row", str(report.consecutive_failures)))
    return "\n".join(lines)
