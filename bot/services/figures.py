"""Figures about one enterprise for the dashboard's page, read from the same tables and rules
as the chat and `scorebot report`: lesson completion per team, the improvement priorities and
the suggestion funnel. Anonymity (k = 5, bot/services/anonymity.py) is applied here, so no
caller can show a figure that narrows an anonymous idea down to fewer than five people."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import anonymity, kpis
from bot.services.promes import priorities
from storage.models import (
    EnterpriseKpi,
    EscalationEvent,
    LessonDelivery,
    Membership,
    Person,
    Suggestion,
    SuggestionStatus,
    Team,
)

# --- lessons -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamLessons:
    team: Team
    sent: int
    opened: int
    completed: int  # the quiz answered: the rule of `scorebot report`

    @property
    def completion(self) -> float | None:
        return self.completed / self.sent if self.sent else None


async def lessons_by_team(session: AsyncSession, teams: list[Team]) -> list[TeamLessons]:
    """Lessons sent to each team, opened and completed (no one is named: counts only)."""
    if not teams:
        return []
    rows = await session.execute(
        select(LessonDelivery.team_id, func.count(), func.count(LessonDelivery.opened_at),
               func.count(LessonDelivery.answered_at))
        .where(LessonDelivery.team_id.in_([t.id for t in teams]))
        .group_by(LessonDelivery.team_id))
    counts = {team_id: (sent, opened, done) for team_id, sent, opened, done in rows}
    return [TeamLessons(team, *counts.get(team.id, (0, 0, 0))) for team in teams]


# --- improvement priorities -------------------------------------------------------------------


@dataclass(frozen=True)
class Priority:
    kpi: EnterpriseKpi
    value: float  # this week's figure
    next_value: float  # after the realistic step the ranking is based on
    gain: float  # effectiveness points that step would gain


async def improvement_priorities(session: AsyncSession, enterprise_id: int,
                                 week: date) -> list[Priority]:
    """The KPIs ranked as in the weekly feedback report (ProMES: the gain of a realistic
    next step, largest first), those whose next step gains nothing left out."""
    active = await kpis.active_kpis(session, enterprise_id)
    values = {str(c.kpi.id): c.value for c in await kpis.changes(session, enterprise_id, week)
              if c.value is not None}
    indicators = {i.key: i for i in kpis.indicators(active)}
    by_id = {str(k.id): k for k in active}
    return [Priority(by_id[key], values[key], values[key] + indicators[key].step, gain)
            for key, gain in priorities(list(indicators.values()), values) if gain > 0]


# --- the suggestion funnel --------------------------------------------------------------------

FUNNEL_DAYS = 365
ACCEPTED = (SuggestionStatus.ACCEPTED, SuggestionStatus.IN_PROGRESS,
            SuggestionStatus.IMPLEMENTED)


@dataclass(frozen=True)
class Funnel:
    came_in: int
    answered: int
    accepted: int  # accepted, in progress or implemented
    implemented: int
    median_days_to_answer: float | None


@dataclass(frozen=True)
class TeamFunnel:
    team: Team
    funnel: Funnel


@dataclass(frozen=True)
class Funnels:
    enterprise: Funnel
    teams: list[TeamFunnel]  # teams of five people or more only
    teams_not_shown: int  # teams under five people, counted in the enterprise's figures only


def _funnel(ideas: Iterable[Suggestion]) -> Funnel:
    ideas = list(ideas)
    waits = [(s.first_response_at - s.created_at).total_seconds() / 86400
             for s in ideas if s.first_response_at is not None]
    return Funnel(
        came_in=len(ideas),
        answered=sum(1 for s in ideas if s.first_response_at is not None
                     or s.status is not SuggestionStatus.NEW),
        accepted=sum(1 for s in ideas if s.status in ACCEPTED),
        implemented=sum(1 for s in ideas if s.status is SuggestionStatus.IMPLEMENTED),
        median_days_to_answer=statistics.median(waits) if waits else None)


async def suggestion_funnels(session: AsyncSession, enterprise_id: int, teams: list[Team],
                             now: datetime) -> Funnels:
    """Ideas of the last 12 months: in, answered, accepted, implemented, and the median days
    to a first answer, for the enterprise and for each team of five people or more.

    k = 5: a team under five people gets no row of its own. An anonymous idea counts where
    its team has a row; one from a small team (or from no team) counts in the enterprise's
    figures only when the people outside the shown teams are five or more, so that taking
    the shown teams from the whole never leaves an anonymous idea among fewer than five."""
    sizes = await anonymity.team_sizes(session, [t.id for t in teams])
    shown = [t for t in teams if anonymity.team_is_shown(sizes[t.id])]
    shown_ids = {t.id for t in shown}
    everyone = set(await session.scalars(
        select(Membership.person_id).where(Membership.enterprise_id == enterprise_id)))
    in_shown = set(await session.scalars(
        select(Membership.person_id).where(Membership.team_id.in_(shown_ids)))) if shown_ids \
        else set()
    rest_counts = len(everyone - in_shown) >= anonymity.K
    ideas = list(await session.scalars(select(Suggestion).where(
        Suggestion.enterprise_id == enterprise_id,
        Suggestion.created_at >= now - timedelta(days=FUNNEL_DAYS))))

    def counts(idea: Suggestion) -> bool:
        if not idea.anonymous and idea.author_id is not None:
            return True
        return idea.team_id in shown_ids or rest_counts

    counted = [s for s in ideas if counts(s)]
    return Funnels(
        _funnel(counted),
        [TeamFunnel(t, _funnel(s for s in counted if s.team_id == t.id)) for t in shown],
        len(teams) - len(shown))


# --- a stall's history ------------------------------------------------------------------------


async def stall_history(session: AsyncSession, stall_id: int,
                        ) -> list[tuple[EscalationEvent, Person | None]]:
    """What happened to a stall, oldest first: noticed, raised level by level, and each
    answer, with who answered (None for the bot's own steps)."""
    rows = await session.execute(
        select(EscalationEvent, Person)
        .outerjoin(Person, Person.id == EscalationEvent.actor_id)
        .where(EscalationEvent.stall_id == stall_id)
        .order_by(EscalationEvent.at, EscalationEvent.id))
    return [(event, person) for event, person in rows]
