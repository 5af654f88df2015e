"""A digest's email as an owner reads it: the day each change is dated on is the day it
was in the configured time zone, not in UTC where the change log keeps it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ccrc_sync.digest_items import CellChange, Item, OwnerItems, Reason
from ccrc_sync.digest_message import render_html, render_text

LONDON = ZoneInfo("Europe/London")
TODAY = dt.date(2026, 7, 6)


def _digest(*changes: CellChange) -> OwnerItems:
    item = Item(
        rec_no="21b",
        text="Review the first line assurance.",
        status="Complete",
        target=None,
        link="",
        reasons=(Reason.CHANGED,),
        changes=changes,
    )
    return OwnerItems("Head of QA", (item,))


def _status_change(when: dt.datetime, *, resolved: bool = False) -> CellChange:
    return CellChange(when, "Status", "In Progress", "Complete", "sheet", resolved=resolved)


@pytest.mark.parametrize(
    ("when", "zone", "day"),
    [
        # 00:30 on 3 July in London (BST) is 23:30 on 2 July in UTC.
        (dt.datetime(2026, 7, 2, 23, 30, tzinfo=dt.UTC), LONDON, "3 July 2026"),
        (dt.datetime(2026, 7, 2, 23, 30, tzinfo=dt.UTC), dt.UTC, "2 July 2026"),
        # In winter London is on UTC: 23:30 is still that day.
        (dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC), LONDON, "15 January 2026"),
        # A stored moment without its zone is UTC.
        (dt.datetime(2026, 7, 2, 23, 30), LONDON, "3 July 2026"),
        (
            dt.datetime(2026, 7, 3, 12, 0, tzinfo=ZoneInfo("America/New_York")),
            LONDON,
            "3 July 2026",
        ),
    ],
)
def test_a_change_is_dated_on_its_day_in_the_configured_zone(
    when: dt.datetime, zone: dt.tzinfo, day: str
) -> None:
    digest = _digest(_status_change(when))
    line = f"Status changed from In Progress to Complete in the Google Sheet on {day}"
    assert f"    {line}\n" in render_text(digest, TODAY, 14, zone=zone)
    assert f'<p style="margin:2px 0 0 12px">{line}</p>' in render_html(digest, TODAY, 14, zone=zone)


def test_a_settled_conflict_is_dated_in_the_zone_and_the_default_zone_is_london() -> None:
    digest = _digest(_status_change(dt.datetime(2026, 7, 2, 23, 30, tzinfo=dt.UTC), resolved=True))
    text = render_text(digest, TODAY, 14)
    assert "    Status: the conflict was settled on 3 July 2026; Complete stood\n" in text
