"""When the nightly sync (and the office-hours runs) are due: pure functions of an instant.

All timing is a function of an instant and the `ScheduleConfig`, so it can be tested with
any clock. Every comparison of instants is made in UTC: Python compares two datetimes that
share a tzinfo by their wall time and ignores `fold`, which is wrong in the hour that
repeats when the clocks go back. zoneinfo gives both clock changes exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ccrc_sync.config import ScheduleConfig

# --------------------------------------------------------------------------- pure timing


def parse_clock_time(text: str) -> time:
    """'02:00' or '02:00:30' (already validated by the config) to a `time`."""
    hour, minute, *rest = (int(p) for p in text.split(":"))
    return time(hour, minute, rest[0] if rest else 0)


def zone_of(cfg: ScheduleConfig) -> ZoneInfo:
    return ZoneInfo(cfg.timezone)


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; the schedule needs aware datetimes")
    return moment.astimezone(UTC)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (in UTC) the wall clock in `zone` reads `at` on `day`.

    In the hour that repeats when the clocks go back, the first occurrence (fold=0): a run
    happens once. In the hour that is skipped when they go forward, the first valid instant
    after the gap (02:00 BST for 01:30 on the spring-forward day): a run is not lost.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that skips `wall`, found by bisection between its two readings."""
    a = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    b = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)  # lo is before the transition, hi after it
    after = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


def office_window(cfg: ScheduleConfig) -> tuple[time, time, timedelta] | None:
    """(start, end, interval) of the office-hours runs, or None when not configured."""
    if cfg.office_hours is None or cfg.office_interval_minutes is None:
        return None
    start, end = (parse_clock_time(t) for t in cfg.office_hours.split("-"))
    return start, end, timedelta(minutes=cfg.office_interval_minutes)


# The scheduled instants (UTC) of one local day, for one kind of run. The nightly run, the
# office-hours runs and the weekly digests are each one of these, so they share one search.
InstantsOfDay = Callable[[date], list[datetime]]


def _daily_instants(cfg: ScheduleConfig) -> InstantsOfDay:
    at, zone = parse_clock_time(cfg.time), zone_of(cfg)
    return lambda day: [local_instant(day, at, zone)]


def _office_instants(cfg: ScheduleConfig) -> InstantsOfDay:
    window = office_window(cfg)
    zone = zone_of(cfg)

    def instants(day: date) -> list[datetime]:
        if window is None or day.weekday() not in cfg.office_days:
            return []
        start, end, step = window
        slot, stop = datetime.combine(day, start), datetime.combine(day, end)
        found: set[datetime] = set()
        while slot <= stop:  # both ends included: "08:00-18:00" every hour runs at 18:00 too
            found.add(local_instant(day, slot.time(), zone))
            slot += step
        return sorted(found)

    return instants


def _all_instants(cfg: ScheduleConfig) -> InstantsOfDay:
    daily, office = _daily_instants(cfg), _office_instants(cfg)
    return lambda day: sorted({*daily(day), *office(day)})


def first_after(
    after: datetime, zone: ZoneInfo, instants: InstantsOfDay, days: int
) -> datetime | None:
    """The first instant strictly after `after`, looking `days` local days ahead (plus a
    day either side, for the zone's offset); in `zone`."""
    moment = utc(after)
    first_day = moment.astimezone(zone).date() - timedelta(days=1)
    for offset in range(days + 2):
        for instant in instants(first_day + timedelta(days=offset)):
            if instant > moment:
                return instant.astimezone(zone)
    return None


def last_at_or_before(
    before: datetime, zone: ZoneInfo, instants: InstantsOfDay, days: int
) -> datetime | None:
    """The latest instant at or before `before`, looking `days` local days back; in `zone`."""
    moment = utc(before)
    last_day = moment.astimezone(zone).date() + timedelta(days=1)
    for offset in range(days + 2):
        earlier = [i for i in instants(last_day - timedelta(days=offset)) if i <= moment]
        if earlier:
            return max(earlier).astimezone(zone)
    return None


def is_owed(last: datetime | None, latest_slot: datetime) -> bool:
    """The catch-up rule: a run is owed when its latest scheduled time has passed with no
    run since (or none ever ran). Judged from the latest time only, so a week's outage owes
    one run, not seven."""
    return last is None or utc(latest_slot) > utc(last)


def next_daily_run(after: datetime, cfg: ScheduleConfig) -> datetime:
    """The first nightly run strictly after `after`, in the schedule's time zone."""
    found = first_after(after, zone_of(cfg), _daily_instants(cfg), days=2)
    assert found is not None  # every local day has one
    return found


def next_office_run(after: datetime, cfg: ScheduleConfig) -> datetime | None:
    """The first office-hours run strictly after `after`, or None when there are none."""
    if office_window(cfg) is None or not cfg.office_days:
        return None
    return first_after(after, zone_of(cfg), _office_instants(cfg), days=8)


def next_run(after: datetime, cfg: ScheduleConfig) -> datetime:
    """The next run of any kind strictly after `after`, in the schedule's time zone."""
    daily = next_daily_run(after, cfg)
    office = next_office_run(after, cfg)
    return daily if office is None or utc(daily) <= utc(office) else office


def previous_run(before: datetime, cfg: ScheduleConfig) -> datetime:
    """The latest scheduled run (nightly or office hours) at or before `before`."""
    found = last_at_or_before(before, zone_of(cfg), _all_instants(cfg), days=2)
    assert found is not None  # the nightly run is at most a day and a bit back
    return found


def missed_run(last_run_started: datetime | None, now: datetime, cfg: ScheduleConfig) -> bool:
    """Whether a start-up catch-up run is owed: a scheduled time passed with no run since.

    Judged only from the latest scheduled time, so a week's outage owes one run, not seven.
    A first start with no history owes one too: nobody has seen the two sides agree yet.
    """
    return is_owed(last_run_started, previous_run(now, cfg))


def describe_schedule(cfg: ScheduleConfig) -> str:
    """The schedule in words, for the log and `status`."""
    text = f"daily at {cfg.time} {cfg.timezone}"
    window = office_window(cfg)
    if window is not None:
        names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        days = ", ".join(names[d] for d in sorted(set(cfg.office_days))) or "no days"
        text += f", and every {cfg.office_interval_minutes} min {cfg.office_hours} ({days})"
    return text


def format_local(moment: datetime | None, zone: ZoneInfo) -> str:
    """'Sun 29 Mar 2026 02:00 BST' (with seconds when there are any): the way the
    governance team reads a time, in `status`, the service log and its alerts."""
    if moment is None:
        return "never"
    local = moment.astimezone(zone)
    fmt = "%a %d %b %Y %H:%M:%S %Z" if local.second else "%a %d %b %Y %H:%M %Z"
    return local.strftime(fmt)
