"""When `serve` sends the weekly owner digests: `[digest] weekday` and `time`, in the
`[schedule] timezone`, with the nightly run's catch-up rule.

The digests are one more kind of scheduled instant for `timing`'s search (`first_after`,
`last_at_or_before`, `is_owed`), so they cross the clock changes exactly as the nightly
run does: a time in the hour that repeats happens once, a time in the hour that is skipped
happens at the end of the gap. `last_digest_run` reads when the digests last went from the
state. A time without a zone is taken as UTC, as `config.today` takes it.
"""

from __future__ import annotations

import datetime as dt

from ccrc_sync.config import Config, zone
from ccrc_sync.state import State
from ccrc_sync.timing import (
    InstantsOfDay,
    first_after,
    is_owed,
    last_at_or_before,
    local_instant,
    parse_clock_time,
)

META_LAST_RUN = "digest:last_run"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEK = 7  # days searched: every week has one digest time


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _digest_instants(cfg: Config) -> InstantsOfDay:
    weekday = _WEEKDAYS.index(cfg.digest.weekday)
    at, where = parse_clock_time(cfg.digest.time), zone(cfg)
    return lambda day: [local_instant(day, at, where)] if day.weekday() == weekday else []


def last_digest_slot(now: dt.datetime, cfg: Config) -> dt.datetime:
    """The latest scheduled digest time at or before `now`, in the configured zone."""
    found = last_at_or_before(_aware(now), zone(cfg), _digest_instants(cfg), days=_WEEK)
    assert found is not None  # a week back always holds one
    return found


def next_digest(after: dt.datetime, cfg: Config) -> dt.datetime:
    """The first scheduled digest time strictly after `after`, in the configured zone (for
    `serve`'s log, which says when the digests go next)."""
    found = first_after(_aware(after), zone(cfg), _digest_instants(cfg), days=_WEEK)
    assert found is not None  # a week ahead always holds one
    return found


def digest_due(now: dt.datetime, last_sent: dt.datetime | None, cfg: Config) -> bool:
    """Whether `serve` should send the digests now: a scheduled time ([digest] weekday and
    time, in [schedule] timezone) has passed since they last went.

    The nightly run's catch-up rule (`timing.is_owed`): a service that was down for three
    weeks sends one round, not three; a first start with no digest ever sent sends one.
    """
    if not cfg.digest.enabled:
        return False
    last = None if last_sent is None else _aware(last_sent)
    return is_owed(last, last_digest_slot(now, cfg))


def last_digest_run(config: Config) -> dt.datetime | None:
    """When the last digest run (not a dry run) finished, from the state; for `serve`."""
    state = State.open_existing(config.sync.state_dir)
    if state is None:
        return None
    with state:
        saved = state.get_meta(META_LAST_RUN)
    try:
        return _aware(dt.datetime.fromisoformat(saved)) if saved else None
    except ValueError:
        return None
