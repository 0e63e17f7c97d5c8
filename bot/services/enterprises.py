"""Setting up enterprises and their improvement teams (admins, the command line, the demo)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import SystemClock
from bot.languages import SUPPORTED_LOCALES
from bot.services import audit
from bot.services.errors import InvalidValue, NotFound
from bot.services.next_due import refresh_enterprise, refresh_team
from storage.models import Enterprise, Team

# Babel's territories are CLDR's: ISO 3166-1 countries, plus codes that are no country
# (ZZ "Unknown Region", the user-assigned QO and XA-XK, EU, EZ, UN, and the exceptionally
# reserved AC, CP, CQ, DG, EA, IC, TA).
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN",
                            "XA", "XB", "XK", "ZZ"})
_COUNTRIES = frozenset(code for code in Locale("en").territories
                       if isinstance(code, str) and code.isalpha()
                       and code not in _NOT_COUNTRIES)
SECTOR_MAX = 80


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            "timezone", f"unknown timezone {name!r}; use an IANA name such as Africa/Accra"
        ) from None
    return name


def validate_country(code: str) -> str:
    code = code.strip().upper()
    if code not in _COUNTRIES:
        raise InvalidValue("country", f"unknown country {code!r}; use ISO 3166 codes such as GH")
    return code


def validate_sector(sector: str) -> str:
    sector = " ".join(sector.split())
    if not sector or len(sector) > SECTOR_MAX:
        raise InvalidValue("sector", f"the sector must have 1 to {SECTOR_MAX} characters, "
                           "e.g. Garments")
    return sector


def validate_locale(locale: str) -> str:
    if locale not in SUPPORTED_LOCALES:
        raise InvalidValue(
            "locale", f"unsupported language {locale!r}; use one of {', '.join(SUPPORTED_LOCALES)}"
        )
    return locale


def _clean_name(name: str, what: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise InvalidValue("name", f"the {what} name must have 1 to 120 characters")
    return name


async def create_enterprise(
    session: AsyncSession,
    *,
    name: str,
    country: str,
    timezone: str,
    default_locale: str = "en",
    sector: str | None = None,
    actor_label: str = "cli",
    now: datetime | None = None,
) -> Enterprise:
    """A new enterprise. Without a sector it has none yet (the programme report then cannot
    group it); a sector given must not be blank."""
    name = await _free_name(session, _clean_name(name, "enterprise"))
    enterprise = Enterprise(
        name=name,
        sector=validate_sector(sector) if sector is not None else "",
        country=validate_country(country),
        timezone=validate_timezone(timezone),
        default_locale=validate_locale(default_locale),
        created_at=now or SystemClock().now(),
    )
    session.add(enterprise)
    await session.flush()
    await refresh_enterprise(session, enterprise, now or SystemClock().now())
    audit.record(
        session,
        "enterprise.create",
        actor_label=actor_label,
        enterprise_id=enterprise.id,
        subject="enterprise",
        subject_id=enterprise.id,
        name=name,
    )
    return enterprise


async def _free_name(session: AsyncSession, name: str, *, other_than: int | None = None) -> str:
    """`name`, if no other enterprise has it (whatever the case)."""
    query = select(Enterprise.id).where(func.lower(Enterprise.name) == name.lower())
    if other_than is not None:
        query = query.where(Enterprise.id != other_than)
    if await session.scalar(query):
        raise InvalidValue("duplicate", f"an enterprise named {name!r} exists already")
    return name


# Per-enterprise rules an administrator may change, with the range each must stay in.
RULES: dict[str, tuple[int, int]] = {
    "lesson_reminder_hours": (1, 168),
    "suggestion_stall_days": (1, 90),
    "action_overdue_stall_days": (1, 90),
    "action_silent_stall_days": (1, 180),
    "escalation_step_days": (1, 30),
    "checkin_weekday": (1, 7),
    # Daytime only, in the enterprise's timezone: nobody is asked for figures at night.
    "checkin_hour": (6, 20),
}
RULE_NOTES = {"checkin_hour": " (a daytime hour in the enterprise's timezone)"}


async def change_rules(session: AsyncSession, enterprise: Enterprise, values: dict[str, int], *,
                       actor_label: str = "cli", now: datetime | None = None) -> None:
    """Change some of the enterprise's rules; all or none (a value out of range changes
    nothing). The check-in moves to its new day and hour in the same transaction."""
    for rule, value in values.items():
        low, high = RULES[rule]
        if not low <= value <= high:
            raise InvalidValue(rule, f"{rule} must be between {low} and {high}"
                                     f"{RULE_NOTES.get(rule, '')}")
    for rule, value in values.items():
        setattr(enterprise, rule, value)
    if values:
        await refresh_enterprise(session, enterprise, now or SystemClock().now())
    audit.record(session, "enterprise.rules", actor_label=actor_label,
                 enterprise_id=enterprise.id, subject="enterprise", subject_id=enterprise.id,
                 **values)


async def create_team(
    session: AsyncSession,
    enterprise: Enterprise,
    name: str,
    *,
    actor_label: str = "cli",
    now: datetime | None = None,
) -> Team:
    """A new team. Its first lessons come at its first lesson time after `now`."""
    name = _clean_name(name, "team")
    exists = await session.scalar(
        select(Team.id).where(Team.enterprise_id == enterprise.id, Team.name == name)
    )
    if exists:
        raise InvalidValue("duplicate", f"{enterprise.name} has a team named {name!r} already")
    now = now or SystemClock().now()
    team = Team(enterprise_id=enterprise.id, name=name, created_at=now)
    session.add(team)
    await session.flush()
    await refresh_team(session, team, enterprise, now)
    audit.record(
        session,
        "team.create",
        actor_label=actor_label,
        enterprise_id=enterprise.id,
        subject="team",
        subject_id=team.id,
        name=name,
    )
    return team


async def find_enterprise(session: AsyncSession, ref: str) -> Enterprise:
    """An enterprise by id or by name (case-insensitive)."""
    enterprise = None
    if ref.isdigit():
        enterprise = await session.get(Enterprise, int(ref))
    if enterprise is None:
        enterprise = await session.scalar(
            select(Enterprise).where(func.lower(Enterprise.name) == ref.strip().lower())
        )
    if enterprise is None:
        raise NotFound("enterprise", f"no enterprise with id or name {ref!r}")
    return enterprise


async def find_team(session: AsyncSession, enterprise: Enterprise, ref: str) -> Team:
    """A team of this enterprise by id or by name (case-insensitive)."""
    query = select(Team).where(Team.enterprise_id == enterprise.id)
    if ref.isdigit():
        team = await session.scalar(query.where(Team.id == int(ref)))
        if team is not None:
            return team
    team = await session.scalar(query.where(func.lower(Team.name) == ref.strip().lower()))
    if team is None:
        raise NotFound("team", f"{enterprise.name} has no team with id or name {ref!r}")
    return team


async def list_enterprises(session: AsyncSession, limit: int | None = None) -> list[Enterprise]:
    return list(await session.scalars(select(Enterprise).order_by(Enterprise.id).limit(limit)))


async def teams_of(session: AsyncSession, enterprise_id: int) -> list[Team]:
    return list(
        await session.scalars(
            select(Team).where(Team.enterprise_id == enterprise_id).order_by(Team.id)
        )
    )


async def update_enterprise(
    session: AsyncSession,
    enterprise: Enterprise,
    *,
    name: str | None = None,
    timezone: str | None = None,
    default_locale: str | None = None,
    sector: str | None = None,
    country: str | None = None,
    pulse_workday: int | None = None,
    pulse_hour: int | None = None,
    pulse_every_months: int | None = None,
    actor_label: str = "cli",
    now: datetime | None = None,
) -> Enterprise:
    """Change an enterprise's name, timezone, language, sector, country or pulse-survey
    timing; None leaves it as is. A bad value changes nothing. A new timezone or pulse timing
    moves every scheduled moment of the enterprise, its teams and groups in the same
    transaction."""
    if pulse_workday is not None and not 1 <= pulse_workday <= 20:
        raise InvalidValue("pulse_day", "the pulse day is the 1st to the 20th working day")
    if pulse_hour is not None and not 7 <= pulse_hour <= 20:
        raise InvalidValue("pulse_hour", "the pulse hour must be in daytime, 7 to 20")
    if pulse_every_months is not None and pulse_every_months not in (0, 1, 2, 3, 4, 6, 12):
        raise InvalidValue("pulse_every", "every 1, 2, 3, 4, 6 or 12 months, or 0 for never")
    changes: dict[str, Any] = {
        "name": await _free_name(session, _clean_name(name, "enterprise"),
                                 other_than=enterprise.id) if name is not None else None,
        "timezone": validate_timezone(timezone) if timezone is not None else None,
        "default_locale": validate_locale(default_locale) if default_locale is not None
        else None,
        "sector": validate_sector(sector) if sector is not None else None,
        "country": validate_country(country) if country is not None else None,
        "pulse_workday": pulse_workday,
        "pulse_hour": pulse_hour,
        "pulse_every_months": pulse_every_months,
    }
    changes = {key: value for key, value in changes.items() if value is not None}
    for key, value in changes.items():
        setattr(enterprise, key, value)
    if changes.keys() & {"timezone", "pulse_workday", "pulse_hour", "pulse_every_months"}:
        await refresh_enterprise(session, enterprise, now or SystemClock().now())
    audit.record(session, "enterprise.update", actor_label=actor_label,
                 enterprise_id=enterprise.id, subject="enterprise", subject_id=enterprise.id,
                 **changes)
    return enterprise
