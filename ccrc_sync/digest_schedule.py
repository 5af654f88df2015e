"""When `serve` sends the weekly owner digests: `[digest] weekday` and `time`, in the
`[schedule] timezone`, with the nightly run's catch-up rule.

Pure timing on aware datetimes (the clock is injected), built on `service.local_instant`
so the digests cross the clock changes exactly as the nightly run does: a time in the hour
that repeats happens once, a time in the hour that is skipped happens at the end of the
gap. `last_digest_run` reads when the digests last went from the state.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ccrc_sync.config import Config
from ccrc_sync.state import State

META_LAST_RUN = "digest:last_run"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _slots(around: dt.datetime, cfg: Config) -> list[dt.datetime]:
    """The weekly digest instants (UTC) in the fortnight around `around`."""
    from ccrc_sync.timing import local_instant, parse_clock_time

    zone = ZoneInfo(cfg.schedule.timezone)
    weekday = _WEEKDAYS.index(cfg.digest.weekday)
    at = parse_clock_time(cfg.digest.time)
    centre = around.astimezone(zone).date()
    days = (centre + dt.timedelta(days=offset) for offset in range(-8, 9))
    return [local_instant(day, at, zone) for day in days if day.weekday() == weekday]


def last_digest_slot(now: dt.datetime, cfg: Config) -> dt.datetime:
    """The latest scheduled digest time at or before `now`, in the configured zone."""
    moment = _aware(now)
    slot = max(s for s in _slots(moment, cfg) if s <= moment)
    return slot.astimezone(ZoneInfo(cfg.schedule.timezone))


def next_digest(after: dt.datetime, cfg: Config) -> dt.datetime:
    """The first scheduled digest time strictly after `after`, in the configured zone."""
    moment = _aware(after)
    slot = min(s for s in _slots(moment, cfg) if s > moment)
    return slot.astimezone(ZoneInfo(cfg.schedule.timezone))


def digest_due(now: dt.datetime, last_sent: dt.datetime | None, cfg: Config) -> bool:
    """Whether `serve` should send the digests now: a scheduled time ([digest] weekday and
    time, in [schedule] timezone) has passed since they last went.

    The nightly run's catch-up rule: judged from the latest scheduled time only, so a
    service that was down for three weeks sends one round, not three; and a first start
    with no digest ever sent sends one.
    """
    if not cfg.digest.enabled:
        return False
    if last_sent is None:
        return True
    return _aware(last_sent) < last_digest_slot(now, cfg)


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
