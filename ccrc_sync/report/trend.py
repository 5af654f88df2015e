"""The trend: In Progress and Complete over time, one point per day, as a small inline SVG.

A manager wants to see the plan move from week to week, not the office-hours runs of one
afternoon, so the history is reduced to the last run of each day (in the configured time
zone, where "a day" is the staff's day). The chart is a self-contained SVG with its own
text, no script and no external asset, so it shows wherever the report is opened.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ccrc_sync.report.model import TrendPoint

WIDTH, HEIGHT = 560, 190
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 16, 30, 34
SERIES_COLOURS = ("#e0a800", "#2e7d32")  # in progress (amber), complete (green)
MAX_DAYS = 90


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    counts: Mapping[str, int]


def daily(trend: Sequence[TrendPoint], zone: ZoneInfo, limit: int = MAX_DAYS) -> list[DayPoint]:
    """The last run of each day (in `zone`), oldest first, at most `limit` days."""
    latest: dict[dt.date, tuple[dt.datetime, Mapping[str, int]]] = {}
    for point in trend:
        finished = point.get("finished")
        if finished is None:
            continue
        moment = finished if finished.tzinfo else finished.replace(tzinfo=dt.UTC)
        day = moment.astimezone(zone).date()
        if day not in latest or moment >= latest[day][0]:
            latest[day] = (moment, dict(point.get("by_status") or {}))
    days = sorted(latest)[-limit:]
    return [DayPoint(day, latest[day][1]) for day in days]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def trend_svg(points: Sequence[DayPoint], statuses: Sequence[str]) -> str:
    """A line chart of `statuses` (two of them) across `points`, 560 x 190 pixels, scaling
    down with the page (viewBox), readable in a 600-pixel mail client."""
    if not points:
        return ""
    top = max([1, *(p.counts.get(s, 0) for p in points for s in statuses)])
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    first, last = points[0].day, points[-1].day
    span = max(1, (last - first).days)

    def x(day: dt.date) -> float:
        if first == last:
            return _LEFT + plot_w / 2
        return _LEFT + plot_w * (day - first).days / span

    def y(count: int) -> float:
        return _TOP + plot_h * (1 - count / top)

    label = (
        ", ".join(f"{s} {points[-1].counts.get(s, 0)}" for s in statuses) + f" on {last:%d/%m/%Y}"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" style="max-width:100%;height:auto" '
        f'font-family="Arial,Helvetica,sans-serif" font-size="11" '
        f'aria-label="{_e("Trend: " + label)}">',
        f"<title>{_e('Trend: ' + label)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    # Axes, with the top count and 0 on the left, the first and last day below.
    base_y, left_x = _TOP + plot_h, _LEFT
    parts.append(
        f'<line x1="{left_x}" y1="{_TOP}" x2="{left_x}" y2="{base_y}" stroke="#999"/>'
        f'<line x1="{left_x}" y1="{base_y}" x2="{WIDTH - _RIGHT}" y2="{base_y}" stroke="#999"/>'
        f'<line x1="{left_x}" y1="{_TOP}" x2="{WIDTH - _RIGHT}" y2="{_TOP}" stroke="#eee"/>'
        f'<text x="{left_x - 6}" y="{_TOP + 4}" text-anchor="end" fill="#555">{top}</text>'
        f'<text x="{left_x - 6}" y="{base_y + 4}" text-anchor="end" fill="#555">0</text>'
        f'<text x="{x(first):.1f}" y="{base_y + 16}" text-anchor="start" fill="#555">'
        f"{first:%d/%m/%Y}</text>"
    )
    if last != first:
        parts.append(
            f'<text x="{x(last):.1f}" y="{base_y + 16}" text-anchor="end" fill="#555">'
            f"{last:%d/%m/%Y}</text>"
        )
    parts.append(
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle" '
        f'fill="#555">Day (last run of each day)</text>'
    )
    legend_x = float(_LEFT)
    for index, status in enumerate(statuses):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        coords = " ".join(f"{x(p.day):.1f},{y(p.counts.get(status, 0)):.1f}" for p in points)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
        )
        parts += [
            f'<circle cx="{x(p.day):.1f}" cy="{y(p.counts.get(status, 0)):.1f}" r="3" '
            f'fill="{colour}"/>'
            for p in points
        ]
        latest = points[-1].counts.get(status, 0)
        parts.append(
            f'<rect x="{legend_x:.1f}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{legend_x + 16:.1f}" y="18" fill="#222">{_e(status)} ({latest})</text>'
        )
        legend_x += 24 + 7 * (len(status) + len(str(latest)) + 3)
    parts.append("</svg>")
    return "".join(parts)
