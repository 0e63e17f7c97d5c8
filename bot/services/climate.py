"""The Working Climate Index (SIMAPRO): a short anonymous pulse survey for every team each
month, and the index computed from it. No Telegram here.

Rules:
- on the enterprise's pulse day (the n-th working day of the month, Monday to Saturday) at its
  pulse hour, every member of each team (workers and team leads) not paused gets the survey:
  a few statements answered on a 1-5 scale, one at a time;
- those who have not answered get one reminder after REMIND_AFTER, in daytime on a working
  day; the round closes after OPEN_FOR;
- the index maps 1..5 to 0..100 ((score - 1) * 25), per statement as the mean of its answers
  and overall as the mean of the statements;
- a round's index is shown only with at least MIN_ANSWERS answers.

Anonymity: answers are only ever counted (`PulseTally`: round, statement, score, count); who has
answered is kept apart (`PulseParticipant`), with nothing that could tie it to the counts. An
answer is written once, with all its statements at the same moment, as a ballot with no person,
time or ordered id (`PulseBallot`), and never logged or audited. The ballots are added to the
counts only when the round closes, all in one transaction, and deleted: from then on nothing
stored, not even the database's own row versions, can tie a count to a participant.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.lessons import team_members_to_teach
from bot.services.local_time import local_moment
from storage.models import (
    Enterprise,
    Membership,
    Person,
    PulseBallot,
    PulseParticipant,
    PulseRound,
    PulseTally,
    Role,
    Team,
)

# The statements, in the order they are asked. Keys are stored; texts are in the presenter.
STATEMENTS = (
    "listened", "cooperation", "safe", "measured", "training", "fair_pay", "respect",
)
SCORES = (1, 2, 3, 4, 5)
MIN_ANSWERS = 5
REMIND_AFTER = timedelta(days=3)
OPEN_FOR = timedelta(days=7)
# A team (or, for the self-check, an enterprise) works together this long before its first
# survey: a team set up days before the pulse day waits for the next month.
SETTLE_IN = timedelta(days=14)
SUNDAY = 7


def month_of(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return month_of(month - timedelta(days=1))


def working_day(day: date) -> bool:
    return day.isoweekday() != SUNDAY


def nth_working_day(month: date, n: int) -> date:
    """The n-th working day (Monday to Saturday) of a month; the last one if n is too big."""
    day, found, last = month, 0, month
    while day.month == month.month:
        if working_day(day):
            found, last = found + 1, day
            if found == max(n, 1):
                return day
        day += timedelta(days=1)
    return last


def pulse_slot(enterprise: Enterprise, month: date) -> datetime:
    """When a month's survey opens (UTC)."""
    day = nth_working_day(month, enterprise.pulse_workday)
    return local_moment(day, time(enterprise.pulse_hour % 24), enterprise.timezone)


def survey_month(enterprise: Enterprise, month: date) -> bool:
    every = enterprise.pulse_every_months
    return every > 0 and (month.month - 1) % every == 0


def pulse_due(enterprise: Enterprise, now: datetime) -> tuple[date, datetime] | None:
    """The month whose survey should be open now, with its opening time, or None."""
    month = month_of(now.astimezone(ZoneInfo(enterprise.timezone)).date())
    if not survey_month(enterprise, month):
        return None
    slot = pulse_slot(enterprise, month)
    return (month, slot) if slot <= now < slot + OPEN_FOR else None


# --- rounds and answers ---------------------------------------------------------------------


async def round_for(session: AsyncSession, team_id: int, month: date) -> PulseRound | None:
    return await session.scalar(
        select(PulseRound).where(PulseRound.team_id == team_id, PulseRound.month == month)
    )


async def rounds_of(session: AsyncSession, team_ids: list[int],
                    months: set[date]) -> dict[int, list[PulseRound]]:
    """The open rounds of these teams, and their rounds of these months, per team."""
    found: dict[int, list[PulseRound]] = {}
    for start in range(0, len(team_ids), 5000):
        for pulse in await session.scalars(
                select(PulseRound).where(
                    PulseRound.team_id.in_(team_ids[start:start + 5000]),
                    PulseRound.closed_at.is_(None) | PulseRound.month.in_(months))
                .order_by(PulseRound.id)):
            found.setdefault(pulse.team_id, []).append(pulse)
    return found


async def open_round(
    session: AsyncSession, team: Team, month: date, slot: datetime, now: datetime
) -> PulseRound:
    pulse = PulseRound(
        team_id=team.id, month=month, statements=list(STATEMENTS), opened_at=now,
        reminder_due_at=slot + REMIND_AFTER, closes_at=slot + OPEN_FOR,
    )
    session.add(pulse)
    await session.flush()
    # Every count starts at zero, so an answer is one atomic increment per statement.
    session.add_all(
        PulseTally(round_id=pulse.id, statement=statement, score=score, count=0)
        for statement in pulse.statements
        for score in SCORES
    )
    await session.flush()
    return pulse


async def has_answered(session: AsyncSession, round_id: int, person_id: int) -> bool:
    return await session.get(PulseParticipant, (round_id, person_id)) is not None


async def still_to_answer(session: AsyncSession, pulse: PulseRound) -> list[Person]:
    """Members of the round's team who have not answered, may be written to and did not pause."""
    team = await session.get(Team, pulse.team_id)
    if team is None:
        return []
    answered = set(await session.scalars(
        select(PulseParticipant.person_id).where(PulseParticipant.round_id == pulse.id)))
    return [person for person in await team_members_to_teach(session, team)
            if person.id not in answered]


def valid_answers(pulse: PulseRound, scores: list[int]) -> bool:
    return len(scores) == len(pulse.statements) and all(s in SCORES for s in scores)


async def record_answers(
    session: AsyncSession, pulse: PulseRound, person: Person, scores: list[int]
) -> bool:
    """Keep one person's answers (one score per statement, in order) as a ballot, to be
    counted when the round closes. False when they have answered this round already, or the
    answers do not fit it: nothing is written then."""
    if not valid_answers(pulse, scores) or await has_answered(session, pulse.id, person.id):
        return False
    session.add(PulseParticipant(round_id=pulse.id, person_id=person.id))
    session.add(PulseBallot(key=secrets.token_hex(16), round_id=pulse.id,
                            scores="".join(str(score) for score in scores)))
    await session.flush()
    return True


async def count_ballots(session: AsyncSession, pulse: PulseRound) -> None:
    """Add every ballot of the round to its tallies and delete the ballots, in the caller's
    (closing) transaction, so every tally row is written by that one transaction."""
    counts: Counter[tuple[str, int]] = Counter()
    for scores in await session.scalars(
        select(PulseBallot.scores).where(PulseBallot.round_id == pulse.id)
    ):
        for statement, digit in zip(pulse.statements, scores, strict=False):
            counts[(statement, int(digit))] += 1
    for (statement, score), count in sorted(counts.items()):
        await session.execute(
            update(PulseTally)
            .where(PulseTally.round_id == pulse.id, PulseTally.statement == statement,
                   PulseTally.score == score)
            .values(count=PulseTally.count + count)
        )
    await session.execute(delete(PulseBallot).where(PulseBallot.round_id == pulse.id))


async def answer_count(session: AsyncSession, round_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(PulseParticipant)
        .where(PulseParticipant.round_id == round_id)
    ) or 0


# --- the index --------------------------------------------------------------------------------


def to_index(score: float) -> float:
    """A mean score on the 1-5 scale as 0-100."""
    return (score - 1) * 25


@dataclass(frozen=True)
class Climate:
    """One round's Working Climate Index; `overall` and `statements` are None and empty when
    too few answered to show them."""

    round: PulseRound
    answers: int
    overall: float | None
    statements: dict[str, float]

    @property
    def shown(self) -> bool:
        return self.overall is not None


async def climate_of(session: AsyncSession, pulse: PulseRound) -> Climate:
    answers = await answer_count(session, pulse.id)
    if answers < MIN_ANSWERS:
        return Climate(pulse, answers, None, {})
    totals: dict[str, list[int]] = {statement: [0, 0] for statement in pulse.statements}
    for tally in await session.scalars(
        select(PulseTally).where(PulseTally.round_id == pulse.id)
    ):
        if tally.statement in totals:
            totals[tally.statement][0] += tally.score * tally.count
            totals[tally.statement][1] += tally.count
    statements = {
        statement: to_index(total / count)
        for statement, (total, count) in totals.items()
        if count
    }
    overall = sum(statements.values()) / len(statements) if statements else None
    return Climate(pulse, answers, overall, statements if overall is not None else {})


async def closed_rounds(session: AsyncSession, team_id: int, limit: int = 2) -> list[PulseRound]:
    """The team's latest closed rounds, newest first."""
    return list(
        await session.scalars(
            select(PulseRound)
            .where(PulseRound.team_id == team_id, PulseRound.closed_at.is_not(None))
            .order_by(PulseRound.month.desc())
            .limit(limit)
        )
    )


async def team_climate(
    session: AsyncSession, team_id: int
) -> tuple[Climate | None, Climate | None]:
    """The latest closed round's climate and the one before it (for the trend)."""
    rounds = await closed_rounds(session, team_id)
    climates = [await climate_of(session, pulse) for pulse in rounds]
    latest = climates[0] if climates else None
    previous = climates[1] if len(climates) > 1 else None
    return latest, previous


async def open_round_for_person(
    session: AsyncSession, team_id: int, person_id: int
) -> PulseRound | None:
    """The team's open round if this person has not answered it yet."""
    pulse = await session.scalar(
        select(PulseRound)
        .where(PulseRound.team_id == team_id, PulseRound.closed_at.is_(None))
        .order_by(PulseRound.month.desc())
    )
    if pulse is None or await has_answered(session, pulse.id, person_id):
        return None
    return pulse


async def audience(session: AsyncSession, team: Team) -> list[Person]:
    """Who hears a round's result: the team's members, and the enterprise's managers,
    consultants and admins; never someone paused or blocking the bot."""
    return list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.enterprise_id == team.enterprise_id,
                (Membership.team_id == team.id)
                | Membership.role.in_((Role.MANAGER, Role.CONSULTANT, Role.ADMIN)),
                Person.paused.is_(False),
                Person.blocked_bot.is_(False),
            )
            .order_by(Person.id)
        )
    )


async def round_by_id(session: AsyncSession, round_id: int) -> PulseRound | None:
    return await session.get(PulseRound, round_id)
