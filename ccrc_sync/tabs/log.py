"""The Change Log tab: when, what, which way, and the values before and after.

Times are in the configured zone, labelled as they were then (BST in summer, GMT in
winter). A conflict a person settled reads as resolved, with both values and the one that
stood; a first publish is one line, not a line per cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from ccrc_sync.layout import Role, TabKind, TabLayout, TabRow
from ccrc_sync.merge import Side
from ccrc_sync.schema import is_blank
from ccrc_sync.state import LogEntry, LogEvent
from ccrc_sync.tabs.cells import (
    CHANGE_LOG_TAB,
    MIN_WIDTH,
    fit_widths,
    header,
    line,
    rec_cell,
    row,
)
from ccrc_sync.words import capital, plural

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
NO_CHANGES = "The sync has not changed anything yet."


def stamp(moment: dt.datetime, zone: ZoneInfo) -> str:
    """'02/07/2026 03:00 BST': a moment in the configured zone, labelled as it was then
    (BST in summer, GMT in winter). A naive time is taken as UTC, as the state keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone)
    return f"{local:%d/%m/%Y %H:%M} {local.tzname() or ''}".rstrip()


def published_text(count: int, target: str = "the Google Sheet") -> str:
    return f"Published the plan ({plural(count, 'recommendation')}) to {target}"


def is_publish(entry: LogEntry) -> bool:
    """A first publish is logged as one line: no Rec No., no field, the count as `new`."""
    return entry.event is LogEvent.CARRIED and not entry.rec_no and not entry.field


def _side_name(name: str) -> str:
    try:
        return Side(name).label
    except ValueError:
        return name


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
    rows: list[TabRow] = [header(*LOG_HEADER)]
    for e in ordered:
        publish = is_publish(e)
        rows.append(
            row(
                stamp(e.when, zone),
                rec_cell(e.rec_no or None),
                e.field or None,
                log_happened(e),
                capital(_side_name(e.source)),
                capital(_side_name(e.target)),
                None if publish else e.old,
                None if publish else e.new,
            )
        )
    if len(rows) == 1:
        rows.append(line(NO_CHANGES, Role.NOTE))
    widths = list(fit_widths(rows))
    widths += [MIN_WIDTH] * (len(LOG_HEADER) - len(widths))
    widths[3] = max(widths[3], 30.0)
    return TabLayout(
        title=CHANGE_LOG_TAB,
        kind=TabKind.LOG,
        rows=tuple(rows),
        widths=tuple(widths),
        freeze_rows=1,
        landscape=True,
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
