"""Invite rules, without Telegram."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.services.errors import InvalidValue
from bot.services.invites import TOKEN_PATTERN, Outcome, create_invite, deep_link, redeem
from bot.services.people import Identity
from storage.models import Invite, Membership, Role
from tests.factories import enterprise_with_team, invite


def someone(n: int, language: str = "en") -> Identity:
    return Identity(telegram_id=10_000 + n, display_name=f"Person {n}", language_code=language)


async def test_a_token_is_url_safe_and_makes_a_deep_link(session_factory, clock):
    enterprise, team = await enterprise_with_team(session_factory)
    created = await invite(session_factory, enterprise, team, Role.WORKER, clock)
    assert TOKEN_PATTERN.match(created.token)
    assert deep_link("@coach_bot", created.token) == (
        f"https://t.me/coach_bot?start={created.token}"
    )
    assert created.expires_at == clock.now() + timedelta(days=14)


async def test_uses_expiry_and_second_tries(session_factory, clock):
    enterprise, team = await enterprise_with_team(session_factory)
    token = (await invite(session_factory, enterprise, team, Role.WORKER, clock, uses=2)).token

    async def try_join(identity: Identity) -> Outcome:
        async with session_factory() as session, session.begin():
            return (await redeem(session, token, identity, clock=clock)).outcome

    assert await try_join(someone(1)) is Outcome.JOINED
    assert await try_join(someone(1)) is Outcome.ALREADY_MEMBER  # costs no use
    assert await try_join(someone(2)) is Outcome.JOINED
    assert await try_join(someone(3)) is Outcome.USED_UP

    other = (await invite(session_factory, enterprise, team, Role.WORKER, clock, days=1)).token
    clock.advance(timedelta(days=1))
    async with session_factory() as session:
        result = await redeem(session, other, someone(4), clock=clock)
    assert result.outcome is Outcome.EXPIRED
    assert result.person is None  # nothing written for someone who did not join


@pytest.mark.parametrize("token", ["", "a b", "x" * 65, "../../etc", "тест", "'; drop table"])
async def test_garbled_tokens_are_unknown(session, clock, token):
    result = await redeem(session, token, someone(9), clock=clock)
    assert result.outcome is Outcome.UNKNOWN


async def test_the_last_use_goes_to_one_person_only(session_factory, clock):
    enterprise, team = await enterprise_with_team(session_factory)
    token = (await invite(session_factory, enterprise, team, Role.WORKER, clock, uses=1)).token

    async def try_join(n: int) -> Outcome:
        async with session_factory() as session:
            try:
                result = await redeem(session, token, someone(n), clock=clock)
                await session.commit()
                return result.outcome
            except Exception:
                await session.rollback()
                return Outcome.USED_UP

    outcomes = await asyncio.gather(*(try_join(n) for n in range(5)))
    assert outcomes.count(Outcome.JOINED) == 1
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1
        assert await session.scalar(select(Invite.remaining_uses)) == 0


@pytest.mark.parametrize(
    ("role", "with_team", "uses", "days", "problem"),
    [
        (Role.WORKER, False, 1, 14, "team"),
        (Role.MANAGER, True, 1, 14, "team"),
        (Role.WORKER, True, 0, 14, "uses"),
        (Role.WORKER, True, 1001, 14, "uses"),
        (Role.WORKER, True, 1, 0, "days"),
        (Role.WORKER, True, 1, 366, "days"),
    ],
)
async def test_invalid_invites_are_refused(session_factory, clock, role, with_team, uses, days,
                                           problem):
    enterprise, team = await enterprise_with_team(session_factory)
    async with session_factory() as session:
        with pytest.raises(InvalidValue) as error:
            await create_invite(session, enterprise=await session.merge(enterprise),
                                team=await session.merge(team) if with_team else None,
                                role=role, clock=clock, uses=uses, days=days)
    assert error.value.code == problem


async def test_a_team_of_another_enterprise_is_refused(session_factory, clock):
    enterprise, _team = await enterprise_with_team(session_factory)
    _other, foreign_team = await enterprise_with_team(session_factory, "Other Ltd", "Packing")
    async with session_factory() as session:
        with pytest.raises(InvalidValue, match="not part of"):
            await create_invite(session, enterprise=await session.merge(enterprise),
                                team=await session.merge(foreign_team), role=Role.WORKER,
                                clock=clock)
