"""Action items: an agreed action with an owner and a date. This part covers creating them
(for now from a lesson's "apply it this week" task) and listing them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import audit
from storage.models import ActionItem, ActionStatus, Enterprise, Person, Team

LESSON_TASK_DAYS = 7
TITLE_MAX = 400
OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


async def action_from_lesson(
    session: AsyncSession,
    *,
    team: Team,
    enterprise: Enterprise,
    lesson_id: str,
    title: str,
    owner: Person,
    now: datetime,
) -> tuple[ActionItem, bool]:
    """The team's action for this lesson's task: created with the lead as owner and a week to
    do it, or the one made before. Returns (item, created)."""
    existing = await session.scalar(
        select(ActionItem).where(
            ActionItem.team_id == team.id,
            ActionItem.source == "lesson",
            ActionItem.source_ref == lesson_id,
        )
    )
    if existing is not None:
        return existing, False
    item = ActionItem(
        enterprise_id=enterprise.id,
        team_id=team.id,
        title=" ".join(title.split())[:TITLE_MAX],
        owner_id=owner.id,
        created_by_id=owner.id,
        due_on=local_date(now, enterprise.timezone) + timedelta(days=LESSON_TASK_DAYS),
        source="lesson",
        source_ref=lesson_id,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    audit.record(session, "action.create", actor_id=owner.id, enterprise_id=enterprise.id,
                 subject="action", subject_id=item.id, source="lesson", lesson=lesson_id)
    return item, True


async def open_actions(
    session: AsyncSession, person_id: int, team_ids: list[int]
) -> list[ActionItem]:
    """Open actions the person owns, or that belong to one of their teams, soonest due first."""
    return list(
        await session.scalars(
            select(ActionItem)
            .where(
                ActionItem.status.in_(OPEN_STATUSES),
                or_(ActionItem.owner_id == person_id, ActionItem.team_id.in_(team_ids)),
            )
            .options(selectinload(ActionItem.owner), selectinload(ActionItem.team))
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    )
