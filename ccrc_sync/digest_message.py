"""One owner's digest as an email: the subject, a plain-text part and an HTML part.

Pure rendering of `digest_items.OwnerItems`. The subject says what is in it ("2 overdue,
1 due in the next 14 days"), so an owner can tell from the inbox whether it is urgent.
The rows come grouped by their most pressing reason, conflicts first, each with its Rec
No., the recommendation's first sentence, its Status and Target Date, what changed, and a
link to the row in the Google Sheet. The HTML is one narrow column of blocks with inline
styles (mail clients drop style sheets) and reads in a 600-pixel-wide window.

Changes are stored in UTC; a digest dates them in the configured time zone (`zone`), as
the owner lived them: a change at 00:30 on a summer night in London happened that day,
not the day before.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from ccrc_sync.config import ScheduleConfig
from ccrc_sync.digest_items import (
    REASON_ORDER,
    CellChange,
    Item,
    OwnerItems,
    Reason,
    shown,
)
from ccrc_sync.layout import COLOURS, Tone
from ccrc_sync.plan_model import OpenConflict
from ccrc_sync.schema import uk_date
from ccrc_sync.words import plural

_SIDES = {"workbook": "the workbook", "sheet": "the Google Sheet"}
# The zone a caller that names none gets: the configuration's own default.
DEFAULT_ZONE = ZoneInfo(ScheduleConfig().timezone)


def headings(due_within_days: int) -> dict[Reason, str]:
    return {
        Reason.CONFLICT: "Open conflicts: the workbook and the Google Sheet disagree",
        Reason.OVERDUE: "Overdue: the target date has passed",
        Reason.DUE: f"Due in the next {plural(due_within_days, 'day')}",
        Reason.CHANGED: "Changed since your last digest",
    }


def _counts(digest: OwnerItems, due_within_days: int) -> list[str]:
    """'1 open conflict', '2 overdue' ... for the reasons present (each row counted once,
    under its most pressing reason)."""
    by_reason = {r: sum(1 for i in digest.items if i.reason is r) for r in REASON_ORDER}
    words = {
        Reason.CONFLICT: lambda n: plural(n, "open conflict"),
        Reason.OVERDUE: lambda n: f"{n} overdue",
        Reason.DUE: lambda n: f"{n} due in the next {plural(due_within_days, 'day')}",
        Reason.CHANGED: lambda n: f"{n} changed",
    }
    return [words[r](n) for r, n in by_reason.items() if n]


def subject(digest: OwnerItems, prefix: str, due_within_days: int) -> str:
    return f"{prefix}: your items – " + ", ".join(_counts(digest, due_within_days))


def _long(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _target(item: Item, today: dt.date) -> str:
    if item.target is None:
        return "none set"
    days = (item.target - today).days
    note = ""
    if Reason.OVERDUE in item.reasons:
        note = f" ({plural(-days, 'day')} overdue)"
    elif Reason.DUE in item.reasons:
        note = " (today)" if days == 0 else f" (in {plural(days, 'day')})"
    return uk_date(item.target) + note


def _local_day(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The day a stored moment (UTC; a naive one is taken as UTC) fell on in `zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).date()


def _change_line(change: CellChange, zone: dt.tzinfo) -> str:
    side = _SIDES.get(change.source, change.source)
    day = _local_day(change.when, zone)
    when = f"{day.day} {day:%B %Y}"
    if change.resolved:
        return f"{change.field}: the conflict was settled on {when}; {shown(change.new)} stood"
    return (
        f"{change.field} changed from {shown(change.old)} to {shown(change.new)} "
        f"in {side} on {when}"
    )


def _conflict_line(conflict: OpenConflict) -> str:
    return (
        f"{conflict.field}: {shown(conflict.workbook)} in the workbook, "
        f"{shown(conflict.sheet)} in the Google Sheet; make the two agree (either way) and "
        "the next sync settles it"
    )


def _details(item: Item, today: dt.date, zone: dt.tzinfo) -> list[str]:
    lines = [f"Status: {item.status or 'empty'} · Target Date: {_target(item, today)}"]
    lines += [_conflict_line(c) for c in item.conflicts]
    lines += [_change_line(c, zone) for c in item.changes]
    if item.more_changes:
        lines.append(f"… and {plural(item.more_changes, 'earlier change')}")
    return lines


def _grouped(digest: OwnerItems) -> list[tuple[Reason, Sequence[Item]]]:
    return [
        (reason, items)
        for reason in REASON_ORDER
        if (items := [i for i in digest.items if i.reason is reason])
    ]


def render_text(
    digest: OwnerItems, today: dt.date, due_within_days: int, *, zone: dt.tzinfo = DEFAULT_ZONE
) -> str:
    """The plain-text part. `today` is the caller's, in the configured time zone; each
    change is dated in `zone`, which should be that same zone (`config.zone(config)`)."""
    titles = headings(due_within_days)
    lines = [
        f"For: {digest.owner}",
        "",
        f"Your items in the CCRC action plan on {_long(today)}: "
        + ", ".join(_counts(digest, due_within_days))
        + ".",
    ]
    for reason, items in _grouped(digest):
        lines += ["", titles[reason], "-" * len(titles[reason])]
        for index, item in enumerate(items):
            if index:
                lines.append("")
            lines.append(f"Rec {item.rec_no}: {item.text}")
            lines += [f"    {line}" for line in _details(item, today, zone)]
            if item.link:
                lines.append(f"    Open the row: {item.link}")
    lines += [
        "",
        "You get this because you are named as the Owner of these rows. Edit them in the "
        "workbook or the Google Sheet as usual; the nightly sync keeps the two in step.",
        "-- ccrc-sync",
    ]
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def render_html(
    digest: OwnerItems, today: dt.date, due_within_days: int, *, zone: dt.tzinfo = DEFAULT_ZONE
) -> str:
    """The HTML part, telling what `render_text` tells."""
    esc = html.escape
    titles = headings(due_within_days)
    tone = {
        Reason.CONFLICT: COLOURS.tones[Tone.CONFLICT],
        Reason.OVERDUE: COLOURS.tones[Tone.ERROR],
        Reason.DUE: COLOURS.tones[Tone.WARNING],
        Reason.CHANGED: COLOURS.tones[Tone.INFO],
    }
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{esc(digest.owner)}: CCRC action plan</title></head>",
        '<body style="margin:0;padding:12px;font-family:Arial,Helvetica,sans-serif;'
        'color:#1a1a1a;font-size:14px;line-height:1.4">',
        '<div style="max-width:600px">',
        f'<p style="margin:0 0 4px;color:#{COLOURS.note_text}">For: {esc(digest.owner)}</p>',
        f'<h1 style="font-size:18px;margin:0 0 12px;color:#{COLOURS.heading_text}">'
        f"Your items in the CCRC action plan on {esc(_long(today))}</h1>",
        f"<p>{esc(', '.join(_counts(digest, due_within_days)))}.</p>",
    ]
    for reason, items in _grouped(digest):
        out.append(
            f'<h2 style="font-size:16px;margin:18px 0 6px;padding:4px 8px;'
            f'background:#{tone[reason]}">{esc(titles[reason])}</h2>'
        )
        for item in items:
            out.append('<div style="margin:0 0 12px;padding:0 8px">')
            out.append(f'<p style="margin:0"><b>Rec {esc(item.rec_no)}</b>: {esc(item.text)}</p>')
            for line in _details(item, today, zone):
                out.append(f'<p style="margin:2px 0 0 12px">{esc(line)}</p>')
            if item.link:
                out.append(
                    f'<p style="margin:2px 0 0 12px"><a href="{esc(item.link, quote=True)}">'
                    "Open the row in the Google Sheet</a></p>"
                )
            out.append("</div>")
    out += [
        f'<p style="margin-top:18px;color:#{COLOURS.note_text};font-size:12px">You get this '
        "because you are named as the Owner of these rows. Edit them in the workbook or the "
        "Google Sheet as usual; the nightly sync keeps the two in step.</p>",
        "</div></body></html>",
        "",
    ]
    return "\n".join(out)
