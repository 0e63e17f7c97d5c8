"""A local wall-clock time on a given day, as one instant in UTC, whatever daylight saving does.

- A time the clock skips (Europe/Paris 02:30 on the last Sunday of March, America/Santiago
  00:30 on the first Sunday of September) happens at the first valid moment after it: the
  instant the clock jumps (03:00 in Paris, 01:00 in Santiago).
- A time the clock shows twice (Paris 02:30 on the last Sunday of October, Santiago 23:30
  on the Saturday before the first Sunday of April) is its first occurrence, always: a
  schedule computed from it twice gives the same instant, so the work runs once.

Every scheduled moment (lesson waves, check-ins, pulse surveys, self-checks, digests, weekly
summaries) is computed here, so the rule that decides "due now" and the next-due moment stored
for the scan (bot.services.next_due) always agree to the second.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def local_moment(day: date, at: time, timezone: str | ZoneInfo) -> datetime:
    """`at` on `day` in `timezone`, in UTC."""
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists (the first of two, when the clock goes back)
    # Skipped. fold=1 reads it with the offset after the jump (an instant before the jump),
    # fold=0 with the one before (an instant after): the jump lies between. Find it to the
    # second: the first instant whose wall time is past `wall`.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())  # wall time before `wall`
    high = int(first.timestamp())  # wall time after it
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) > wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)

def local_date(moment: datetime, timezone: str | ZoneInfo) -> date:
    zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    return moment.astimezone(zone).date()
