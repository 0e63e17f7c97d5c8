"""Dates people type: "25/11/2026", "25.11.2026", "2026-11-25", or their locale's short way
("11/25/26" in English, "2026/11/25" in Chinese), read with Babel."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from babel.dates import ParseError, get_date_format, parse_date

YEARS = (2000, 2100)  # anything else is a typing slip, not a due date
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def _day_first(text: str) -> date | None:
    match = _DAY_FIRST.match(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _in_locale(text: str, locale: str) -> date | None:
    try:
        return parse_date(text, locale=locale, format="short")
    except (ParseError, ValueError, IndexError, TypeError):
        return None


def parse_day(text: str, locale: str) -> date | None:
    """The day `text` names, or None when it names none. Day-first numbers are read as such,
    except where the reader's locale writes the month first (English), whose own way wins."""
    text = " ".join(text.split())
    if not text or len(text) > 20 or not any(c.isdigit() for c in text):
        return None
    if _ISO.match(text):
        year, month, day_ = (int(part) for part in text.split("-"))
        try:
            found = date(year, month, day_)
        except ValueError:
            return None
        return found if YEARS[0] <= found.year <= YEARS[1] else None
    try:
        month_first = get_date_format("short", locale=locale).pattern.lstrip().startswith("M")
    except (ValueError, LookupError):
        month_first = False
    readers: tuple[Callable[[], date | None], ...] = (
        (lambda: _in_locale(text, locale), lambda: _day_first(text)) if month_first
        else (lambda: _day_first(text), lambda: _in_locale(text, locale)))
    for read in readers:
        day = read()
        if day is not None and YEARS[0] <= day.year <= YEARS[1]:
            return day
    return None
