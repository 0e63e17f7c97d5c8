"""An enterprise's health at a glance, for its consultant: a colour and the figures behind it.

Red: a stall has reached the consultant, check-ins were missed two weeks running, or the
effectiveness index fell by 10 points or more in a week. Amber: something is stalled or
overdue, last week's check-in is missing, a KPI is slipping, or effectiveness fell. Not
started: none of these, and no KPI figure was ever entered (nothing to judge yet). Green:
none of these, with figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import actions, escalation, kpis
from storage.models import (
    ActionItem,
    ActionStatus,
    CheckinRound,
    Enterprise,
    EnterpriseKpi,
    KpiValue,
    LessonDelivery,
    Membership,
    Person,
    StallKind,
    Suggestion,
    SuggestionStatus,
    Team,
)

GREEN, AMBER, RED, NOT_STARTED = "green", "amber", "red", "not_started"
COLOUR_DOT = {GREEN: "🟢", AMBER: "🟡", RED: "🔴", NOT_STARTED: "⚪"}
OVERDUE_LISTED = 10


@dataclass(frozen=True)
class Overdue:
    """An open action past its due date, as the consultant's list shows it."""

    item: ActionItem
    owner_name: str
    days_late: int
BIG_DROP = 10.0  # effectiveness points in one week
WINDOW = timedelta(days=7)


@dataclass
class Health:
    enterprise: Enterprise
    colour: str = GREEN
    reasons: list[str] = field(default_factory=list)  # codes, most serious first
    members: int = 0
    lessons_sent: int = 0  # in the last seven days
    lessons_answered: int = 0
    lesson_completion: float | None = None  # answered / delivered, all time
    last_checkin_week: date | None = None
    missed_checkins: int = 0  # latest rounds in a row without figures
    effectiveness: float | None = None  # percent of maximum, latest week with figures
    effectiveness_change: float | None = None  # points since the week before
    slipping: int = 0
    suggestions_in: int = 0
    suggestions_implemented: int = 0
    open_actions: int = 0
    overdue_actions: int = 0
    actions_done: int = 0
    stalls: list[escalation.Subject] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)  # the latest OVERDUE_LISTED

    @property
    def dot(self) -> str:
        return COLOUR_DOT[self.colour]


async def _count(session: AsyncSession, query: Select[int]) -> int:
    return await session.scalar(query) or 0


async def _lessons(session: AsyncSession, health: Health, since: datetime) -> None:
    in_enterprise = LessonDelivery.team_id.in_(
        select(Team.id).where(Team.enterprise_id == health.enterprise.id))
    rows = (await session.execute(
        select(func.count(), func.count(LessonDelivery.answered_at),
               func.count().filter(LessonDelivery.sent_at >= since),
               func.count().filter(LessonDelivery.answered_at >= since))
        .where(in_enterprise, LessonDelivery.scheduled.is_(True)))).one()
    total, answered, health.lessons_sent, health.lessons_answered = rows
    health.lesson_completion = answered / total if total else None


async def _checkins(session: AsyncSession, health: Health) -> None:
    rounds = list(await session.scalars(
        select(CheckinRound).where(CheckinRound.enterprise_id == health.enterprise.id)
        .order_by(CheckinRound.week.desc()).limit(8)))
    # The latest week with figures (a check-in, or figures entered another way).
    health.last_checkin_week = await session.scalar(
        select(func.max(KpiValue.week))
        .join(EnterpriseKpi, EnterpriseKpi.id == KpiValue.enterprise_kpi_id)
        .where(EnterpriseKpi.enterprise_id == health.enterprise.id))
    for round_ in rounds:
        if round_.completed_at is not None:
            break
        if round_.nudged_at is not None or round_ is not rounds[0]:
            health.missed_checkins += 1
    if health.last_checkin_week is None:
        return
    week = health.last_checkin_week
    now_score = await kpis.effectiveness(session, health.enterprise.id, week)
    before = await kpis.effectiveness(session, health.enterprise.id, week - timedelta(weeks=1))
    health.effectiveness = now_score.percent_of_maximum
    if health.effectiveness is not None and before.percent_of_maximum is not None:
        health.effectiveness_change = health.effectiveness - before.percent_of_maximum
    health.slipping = len(await kpis.slipping(session, health.enterprise.id, week))


async def _work(session: AsyncSession, health: Health, now: datetime, since: datetime) -> None:
    enterprise_id = health.enterprise.id
    today = actions.local_date(now, health.enterprise.timezone)
    health.suggestions_in = await _count(session, select(func.count()).where(
        Suggestion.enterprise_id == enterprise_id, Suggestion.created_at >= since))
    health.suggestions_implemented = await _count(session, select(func.count()).where(
        Suggestion.enterprise_id == enterprise_id,
        Suggestion.status == SuggestionStatus.IMPLEMENTED, Suggestion.implemented_at >= since))
    open_items = select(func.count()).where(ActionItem.enterprise_id == enterprise_id,
                                            ActionItem.status.in_(actions.OPEN_STATUSES))
    health.open_actions = await _count(session, open_items)
    health.overdue_actions = await _count(session, open_items.where(ActionItem.due_on < today))
    rows = await session.execute(
        select(ActionItem, Person.display_name)
        .outerjoin(Person, Person.id == ActionItem.owner_id)
        .where(ActionItem.enterprise_id == enterprise_id,
               ActionItem.status.in_(actions.OPEN_STATUSES), ActionItem.due_on < today)
        .order_by(ActionItem.due_on, ActionItem.id).limit(OVERDUE_LISTED))
    health.overdue = [Overdue(item, name or "", (today - item.due_on).days)
                      for item, name in rows]
    health.actions_done = await _count(session, select(func.count()).where(
        ActionItem.enterprise_id == enterprise_id, ActionItem.status == ActionStatus.DONE,
        ActionItem.done_at >= since))
    health.members = await _count(session, select(func.count()).where(
        Membership.enterprise_id == enterprise_id))


def _judge(health: Health) -> None:
    red, amber = [], []
    if any(s.stall.level >= escalation.CONSULTANT for s in health.stalls):
        red.append("escalated")
    if health.missed_checkins >= escalation.MISSED_CHECKINS or any(
            s.stall.kind is StallKind.CHECKIN for s in health.stalls):
        red.append("checkins_missed")
    change = health.effectiveness_change
    if change is not None and change <= -BIG_DROP:
        red.append("effectiveness_fell")
    if health.stalls and "escalated" not in red:
        amber.append("stalled")
    if health.overdue_actions:
        amber.append("overdue")
    if health.missed_checkins == 1:
        amber.append("checkin_missed")
    if health.slipping:
        amber.append("slipping")
    if change is not None and -BIG_DROP < change < 0:
        amber.append("effectiveness_dipped")
    health.reasons = red + amber
    health.colour = RED if red else AMBER if amber else GREEN
    if health.colour == GREEN and health.last_checkin_week is None:
        health.reasons = ["not_started"]
        health.colour = NOT_STARTED


async def health_of(session: AsyncSession, enterprise: Enterprise, now: datetime) -> Health:
    since = now - WINDOW
    health = Health(enterprise)
    await _lessons(session, health, since)
    await _checkins(session, health)
    await _work(session, health, now, since)
    subjects = [await escalation.subject_of(session, stall)
                for stall in await escalation.open_stalls(session, enterprise.id)]
    health.stalls = [subject for subject in subjects if subject is not None]
    _judge(health)
    return health


async def health_overdue(session: AsyncSession, item_id: int,
                         now: datetime) -> tuple[Overdue, str] | None:
    """An action opened from the health card, as the overdue list shows it, with its team's
    name; None when there is no such action."""
    item = await session.get(ActionItem, item_id)
    enterprise = await session.get(Enterprise, item.enterprise_id) if item else None
    if item is None or enterprise is None:
        return None
    today = actions.local_date(now, enterprise.timezone)
    owner = await session.get(Person, item.owner_id) if item.owner_id else None
    team = await session.get(Team, item.team_id) if item.team_id else None
    return (Overdue(item, owner.display_name if owner else "", (today - item.due_on).days),
            team.name if team else "")
