"""People who use the bot, their memberships, and which language to speak to them in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.languages import match_locale, validate_locale_id
from bot.services import audit
from storage.models import Membership, Person, Role

NAME_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Identity:
    """What Telegram tells us about the person behind an update."""

    telegram_id: int
    display_name: str
    language_code: str | None = None


def _name(identity: Identity) -> str:
    return " ".join(identity.display_name.split())[:NAME_LIMIT]


async def load_person(session: AsyncSession, telegram_id: int) -> Person | None:
    """The person with their memberships, enterprises and teams loaded, or None."""
    # One query with joins (every update starts here), rather than one per relationship.
    result = await session.scalars(
        select(Person)
        .where(Person.telegram_id == telegram_id)
        .options(
            joinedload(Person.memberships).joinedload(Membership.enterprise),
            joinedload(Person.memberships).joinedload(Membership.team),
        )
    )
    return result.unique().one_or_none()


async def ensure_person(session: AsyncSession, identity: Identity) -> Person:
    """Find or create the person; a new one starts with no membership."""
    person = await load_person(session, identity.telegram_id)
    if person is None:
        person = Person(
            telegram_id=identity.telegram_id,
            display_name=_name(identity),
            telegram_language=identity.language_code,
            memberships=[],
        )
        session.add(person)
        await session.flush()
        audit.record(session, "person.start", actor_id=person.id, subject="person",
                     subject_id=person.id)
    return person


def refresh_identity(person: Person, identity: Identity) -> None:
    """Keep the name and Telegram language current; writes only when they changed."""
    name = _name(identity)
    if name and person.display_name != name:
        person.display_name = name
    if identity.language_code and person.telegram_language != identity.language_code:
        person.telegram_language = identity.language_code
    # Someone who writes to us has (again) allowed us to write to them.
    if person.blocked_bot:
        person.blocked_bot = False


def resolve_locale(
    person: Person | None, telegram_language: str | None, default_locale: str
) -> str:
    """The person's stored choice, else Telegram's language, else their enterprise's default,
    else the bot's default."""
    if person is not None and person.locale:
        return person.locale
    from_telegram = match_locale(telegram_language
                                 or (person.telegram_language if person else None))
    if from_telegram:
        return from_telegram
    if person is not None:
        for membership in person.memberships:
            return membership.enterprise.default_locale
    return default_locale


class Speaker(Protocol):
    """What choosing someone's locale reads of them: a Person, or a wave's `Reader`."""

    @property
    def locale(self) -> str | None: ...

    @property
    def telegram_language(self) -> str | None: ...


def locale_outside_update(person: Speaker, enterprise_locale: str | None, default: str) -> str:
    """The locale for a message sent on a schedule, with no update at hand: the same order
    as `resolve_locale`, using the Telegram language we last saw."""
    if person.locale:
        return person.locale
    return match_locale(person.telegram_language) or enterprise_locale or default


def choose_locale(session: AsyncSession, person: Person, locale: str) -> None:
    person.locale = validate_locale_id(locale)
    audit.record(session, "person.language", actor_id=person.id, subject="person",
                 subject_id=person.id, locale=locale)


async def team_members(session: AsyncSession, team_id: int) -> list[Membership]:
    return list(
        await session.scalars(
            select(Membership)
            .where(Membership.team_id == team_id)
            .options(selectinload(Membership.person))
            .order_by(Membership.id)
        )
    )


async def member_counts(session: AsyncSession, enterprise_id: int) -> dict[int, int]:
    """Members per team of one enterprise, in one query."""
    rows = await session.execute(
        select(Membership.team_id, func.count())
        .where(Membership.enterprise_id == enterprise_id, Membership.team_id.is_not(None))
        .group_by(Membership.team_id)
    )
    return {team_id: count for team_id, count in rows if team_id is not None}


async def reachable(
    session: AsyncSession, roles: Iterable[Role], *, enterprise_id: int | None = None,
    team_id: int | None = None,
) -> list[Person]:
    """Members with one of `roles` in an enterprise or a team whom the bot can still write
    to."""
    assert enterprise_id is not None or team_id is not None
    query = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.role.in_(list(roles)), Person.blocked_bot.is_(False))
        .order_by(Person.id)
    )
    if enterprise_id is not None:
        query = query.where(Membership.enterprise_id == enterprise_id)
    if team_id is not None:
        query = query.where(Membership.team_id == team_id)
    return list(await session.scalars(query))


async def team_leads(session: AsyncSession, team_id: int | None) -> list[Person]:
    """The team leads of a team who can still be written to."""
    return [] if team_id is None else await reachable(session, (Role.TEAM_LEAD,),
                                                        team_id=team_id)
