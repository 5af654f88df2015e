"""When the nightly sync and the office-hours runs are due: `timing`'s pure functions of an
instant, across both clock changes and in any zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from servicehelp import LONDON, london, utc

from ccrc_sync.config import ScheduleConfig
from ccrc_sync.timing import (
    local_instant,
    missed_run,
    next_daily_run,
    next_office_run,
    next_run,
    previous_run,
)

# --------------------------------------------------------------------------- daily time


def test_runs_daily_at_the_configured_local_time() -> None:
    cfg = ScheduleConfig()  # 02:00 Europe/London
    # Winter (GMT) and summer (BST): 02:00 on the wall clock both times.
    assert next_daily_run(utc(2026, 1, 14, 12), cfg) == london(2026, 1, 15, 2)
    assert next_daily_run(utc(2026, 7, 14, 12), cfg) == london(2026, 7, 15, 2)
    assert next_daily_run(utc(2026, 7, 14, 12), cfg).astimezone(UTC) == utc(2026, 7, 15, 1)
    # Just before the time: tonight; at the time itself: tomorrow (strictly after).
    assert next_daily_run(london(2026, 1, 15, 1, 59), cfg) == london(2026, 1, 15, 2)
    assert next_daily_run(london(2026, 1, 15, 2), cfg) == london(2026, 1, 16, 2)
    assert ScheduleConfig(time="23:59:30").time == "23:59:30"
    assert next_daily_run(utc(2026, 1, 14, 12), ScheduleConfig(time="23:59:30")) == london(
        2026, 1, 14, 23, 59, 30
    )


@pytest.mark.parametrize(
    ("at", "expected_utc"),
    [
        ("00:30", utc(2026, 3, 29, 0, 30)),  # before the change: still GMT
        ("01:00", utc(2026, 3, 29, 1, 0)),  # 01:00 does not exist: 02:00 BST
        ("01:30", utc(2026, 3, 29, 1, 0)),  # does not exist: the first valid instant
        ("01:59:59", utc(2026, 3, 29, 1, 0)),
        ("02:00", utc(2026, 3, 29, 1, 0)),  # 02:00 BST
        ("02:30", utc(2026, 3, 29, 1, 30)),
        ("03:00", utc(2026, 3, 29, 2, 0)),
    ],
)
def test_spring_forward_day_runs_once_at_the_first_valid_instant(
    at: str, expected_utc: datetime
) -> None:
    cfg = ScheduleConfig(time=at)
    tonight = next_daily_run(utc(2026, 3, 28, 12), cfg)
    assert tonight.astimezone(UTC) == expected_utc
    # The day before and the day after are ordinary.
    h, m, *_ = (int(p) for p in at.split(":"))
    assert next_daily_run(utc(2026, 3, 27, 12), cfg) == london(2026, 3, 28, h, m, *_[:1] or [0])
    assert next_daily_run(tonight, cfg).astimezone(LONDON).date() == date(2026, 3, 30)
    assert next_daily_run(tonight, cfg).astimezone(LONDON).strftime("%H:%M") == f"{h:02}:{m:02}"


@pytest.mark.parametrize(
    ("at", "expected_utc"),
    [
        ("00:30", utc(2026, 10, 24, 23, 30)),  # BST
        ("01:00", utc(2026, 10, 25, 0, 0)),  # 01:00 happens twice: the first one (BST)
        ("01:30", utc(2026, 10, 25, 0, 30)),
        ("01:59", utc(2026, 10, 25, 0, 59)),
        ("02:00", utc(2026, 10, 25, 2, 0)),  # GMT from here
        ("02:30", utc(2026, 10, 25, 2, 30)),
    ],
)
def test_fall_back_day_runs_once_at_the_first_occurrence(at: str, expected_utc: datetime) -> None:
    cfg = ScheduleConfig(time=at)
    tonight = next_daily_run(utc(2026, 10, 24, 12), cfg)
    assert tonight.astimezone(UTC) == expected_utc
    assert tonight.fold == 0
    # The next run is the next day's, not the repeat of the same wall time an hour later.
    following = next_daily_run(tonight, cfg)
    assert following.astimezone(LONDON).date() == date(2026, 10, 26)


def test_the_skipped_hour_is_handled_in_any_zone() -> None:
    # New York springs forward at 02:00 on 2026-03-08: 02:30 does not exist there.
    cfg = ScheduleConfig(time="02:30", timezone="America/New_York")
    run = next_daily_run(utc(2026, 3, 7, 20), cfg)
    assert run.astimezone(UTC) == utc(2026, 3, 8, 7)  # 03:00 EDT, the end of the gap
    assert local_instant(date(2026, 3, 9), run.time(), ZoneInfo(cfg.timezone)) == utc(2026, 3, 9, 7)


# --------------------------------------------------------------------------- office hours


def test_office_hours_runs_on_weekdays_between_the_nightly_runs() -> None:
    cfg = ScheduleConfig(office_hours="08:00-18:00", office_interval_minutes=120)
    friday_morning = london(2026, 3, 27, 7, 0)
    assert next_office_run(friday_morning, cfg) == london(2026, 3, 27, 8)
    assert next_run(london(2026, 3, 27, 8, 0), cfg) == london(2026, 3, 27, 10)
    # 18:00 is included; after it, the nightly run, then nothing until Monday 08:00.
    assert next_run(london(2026, 3, 27, 17, 0), cfg) == london(2026, 3, 27, 18)
    assert next_run(london(2026, 3, 27, 18, 0), cfg) == london(2026, 3, 28, 2)
    assert next_office_run(london(2026, 3, 27, 18, 0), cfg) == london(2026, 3, 30, 8)
    # Without office hours configured there are no office runs.
    assert next_office_run(friday_morning, ScheduleConfig()) is None


def test_office_hours_must_be_configured_whole() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="set together"):
        ScheduleConfig(office_hours="08:00-18:00")
    with pytest.raises(ValidationError, match="start before it ends"):
        ScheduleConfig(office_hours="18:00-08:00", office_interval_minutes=30)
    with pytest.raises(ValidationError, match="24-hour time"):
        ScheduleConfig(time="2am")


# --------------------------------------------------------------------------- catch-up


def test_missed_run_is_judged_from_the_latest_scheduled_time() -> None:
    cfg = ScheduleConfig()
    now = london(2026, 5, 6, 9, 0)
    assert missed_run(None, now, cfg)  # no history at all
    assert not missed_run(london(2026, 5, 6, 2, 0, 3), now, cfg)  # last night's run
    assert missed_run(london(2026, 5, 5, 2, 0, 3), now, cfg)  # last night was missed
    assert missed_run(london(2026, 5, 1, 2, 0), now, cfg)  # a five-day outage: owed
    assert not missed_run(london(2026, 5, 6, 1, 59), london(2026, 5, 6, 1, 59, 30), cfg)
    assert previous_run(now, cfg) == london(2026, 5, 6, 2)
