"""When `serve` sends the owner digests: the nightly run's clock-change and catch-up rules,
applied to a weekly time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ccrc_sync.config import Config, DigestConfig, SyncConfig
from ccrc_sync.digest_schedule import digest_due, last_digest_run, last_digest_slot, next_digest

UTC = dt.UTC


def _config(weekday: str, time: str) -> Config:
    return Config(digest=DigestConfig(weekday=weekday, time=time))


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        # Sunday 29 March 2026: 01:30 does not exist in London; the end of the gap.
        ("01:30", dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        ("00:30", dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        ("03:00", dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC)),
    ],
)
def test_a_sunday_digest_on_the_spring_forward_day(time: str, expected: dt.datetime) -> None:
    config = _config("Sunday", time)
    before = dt.datetime(2026, 3, 27, 12, tzinfo=UTC)
    assert next_digest(before, config).astimezone(UTC) == expected
    assert last_digest_slot(expected, config).astimezone(UTC) == expected
    # A minute before it, the slot is the previous Sunday's.
    week_before = last_digest_slot(expected - dt.timedelta(minutes=1), config)
    assert week_before.date() == dt.date(2026, 3, 22)


def test_a_sunday_digest_in_the_hour_that_repeats_goes_once() -> None:
    """25 October 2026: 01:30 happens twice in London; the digest is due at the first."""
    config = _config("Sunday", "01:30")
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert next_digest(dt.datetime(2026, 10, 24, tzinfo=UTC), config).astimezone(UTC) == first
    sent = first + dt.timedelta(seconds=5)
    repeat = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, the hour again
    assert digest_due(repeat, sent, config) is False
    assert next_digest(first, config).astimezone(UTC) == dt.datetime(2026, 11, 1, 1, 30, tzinfo=UTC)


def test_a_time_without_a_zone_is_utc() -> None:
    config = _config("Monday", "08:00")  # 07:00 UTC in July
    assert digest_due(dt.datetime(2026, 7, 6, 7, 0), dt.datetime(2026, 6, 29, 7, 0), config)
    assert not digest_due(dt.datetime(2026, 7, 6, 6, 59), dt.datetime(2026, 6, 29, 7, 0), config)


def test_asking_when_the_digests_last_went_creates_no_state(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    assert last_digest_run(Config(sync=SyncConfig(state_dir=folder))) is None
    assert list(folder.iterdir()) == []
