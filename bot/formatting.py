"""Dates, times, numbers and percentages as the reader writes them: the one place that asks
Babel, always given the reader's locale (and, for moments, the enterprise's timezone).

    fmt.day(item.due_on, locale)                      "25 Nov 2026", "25/11/2026" ...
    fmt.day(invite.expires_at, locale, timezone)      a moment, as a day where the reader is
    fmt.moment(now, locale, enterprise.timezone)      date and time where the reader is
    fmt.number(12.5, locale), fmt.percent(0.4, locale)

Presenters and handlers format through here, never with Babel directly, so a reader never
sees a UTC date or an English number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from babel import dates, lists, numbers


def _local(value: date | datetime, timezone: str | None) -> date | datetime:
    if isinstance(value, datetime) and timezone is not None:
        return value.astimezone(ZoneInfo(timezone))
    return value


def day(value: date | datetime, locale: str, timezone: str | None = None, *,
        style: str = "medium") -> str:
    """A day ("medium", "short", or a Babel pattern such as "d MMM"); a moment is taken in
    `timezone` first (UTC when none is named)."""
    return dates.format_date(_local(value, timezone), format=style, locale=locale)


def moment(value: datetime, locale: str, timezone: str = "UTC") -> str:
    """A date and time, in `timezone`."""
    local = value.astimezone(ZoneInfo(timezone))
    return dates.format_datetime(local, format="medium", locale=locale, tzinfo=local.tzinfo)


def clock_time(value: time, locale: str) -> str:
    return dates.format_time(value, format="short", locale=locale)


def month(value: date, locale: str) -> str:
    """A month and its year ("November 2026")."""
    return dates.format_skeleton("yMMMM", value, locale=locale)


def weekday_names(locale: str, width: Literal["wide", "abbreviated"] = "wide") -> list[str]:
    """Monday to Sunday."""
    names = dates.get_day_names(width, locale=locale)
    return [names[index] for index in range(7)]


def number(value: float | int | Decimal, locale: str, *, digits: int | None = None,
           grouping: bool = True) -> str:
    """A number, rounded to `digits` decimals when given."""
    shown: float | int | Decimal = round(float(value), digits) if digits is not None else value
    return numbers.format_decimal(shown, locale=locale, group_separator=grouping)


def change(value: float, locale: str) -> str:
    """A change with its sign, to one decimal ("+1.5", "-2")."""
    return numbers.format_decimal(round(value, 1), format="+#,##0.#;-#", locale=locale)


def percent(share: float, locale: str) -> str:
    """A share (0.4) as a percentage ("40 %", "40%")."""
    return numbers.format_percent(share, locale=locale)


def listing(items: Iterable[str], locale: str) -> str:
    """"S1, S2 and S3" as the reader joins a list."""
    return lists.format_list(list(items), locale=locale)
