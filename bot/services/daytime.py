"""Late work waits for daytime. Something due at a set moment (a lesson wave, a check-in
invitation, a digest) goes at that moment; once it is more than LATE_AFTER late (the bot was
down, or the clock jumped), it goes only in daytime on a working day of its enterprise
(`is_working_daytime`: 07:00 to 21:00, Monday to Saturday), so a night's outage never
wakes people at 03:00. Its grace ends at the next such daytime moment, at the earliest.
Reminders and nudges always go in working daytime only, late or not."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.lessons import DAY_STARTS, SUNDAY, is_working_daytime

LATE_AFTER = timedelta(minutes=10)
# A deadline that falls at night moves to the next working daytime, plus this much, so the
# first scans of the morning still find the work.
MORNING_WINDOW = timedelta(hours=1)


def next_working_daytime(moment: datetime, timezone: str) -> datetime:
    """`moment` itself when it is working daytime, else the next start of the day on a
    working day (in UTC, like `moment`)."""
    if is_working_daytime(moment, timezone):
        return moment
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
    while day.isoweekday() == SUNDAY:
        day += timedelta(days=1)
    return datetime.combine(day, DAY_STARTS, zone).astimezone(moment.tzinfo)


def may_go_now(due_at: datetime, now: datetime, timezone: str) -> bool:
    """On time (at most LATE_AFTER late): now. Later than that: only in working daytime."""
    return now - due_at <= LATE_AFTER or is_working_daytime(now, timezone)


def within_grace(due_at: datetime, now: datetime, timezone: str, grace: timedelta) -> bool:
    """Still worth doing: within `grace` of its moment, or, when that runs out at night, until
    shortly after the next working daytime begins."""
    deadline = due_at + grace
    if not is_working_daytime(deadline, timezone):
        deadline = next_working_daytime(deadline, timezone) + MORNING_WINDOW
    return now <= deadline

