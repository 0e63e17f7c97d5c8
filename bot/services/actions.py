"""Action items: an agreed action with an owner and a date. This part covers creating them
(for now from a lesson's "apply it this week" task) and listing them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import audit
from bot.services.errors import InvalidValue
from bot.services.people import team_members
from storage.models import (
    ActionItem,
    ActionNote,
    ActionStatus,
    Enterprise,
    Membership,
    Person,
    Role,
    Suggestion,
    Team,
)

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
    item = await create(
        session, enterprise_id=enterprise.id, team_id=team.id, title=title, owner=owner,
        created_by=owner,
        due_on=local_date(now, enterprise.timezone) + timedelta(days=LESSON_TASK_DAYS),
        source="lesson", source_ref=lesson_id, now=now)
    return item, True


async def create(
    session: AsyncSession, *, enterprise_id: int, team_id: int | None, title: str,
    owner: Person, created_by: Person, due_on: date, source: str, source_ref: str,
    now: datetime,
) -> ActionItem:
    """A new open action item, recorded in the audit log."""
    title = " ".join(title.split())[:TITLE_MAX]
    if not title:
        raise InvalidValue("title", "an action needs a title")
    item = ActionItem(
        enterprise_id=enterprise_id, team_id=team_id, title=title, owner_id=owner.id,
        created_by_id=created_by.id, due_on=due_on, source=source, source_ref=source_ref,
        created_at=now, updated_at=now,
    )
    session.add(item)
    await session.flush()
    audit.record(session, "action.create", actor_id=created_by.id, enterprise_id=enterprise_id,
                 subject="action", subject_id=item.id, source=source, ref=source_ref)
    return item


PLAN_DAYS = (7, 14, 30)


def may_plan_for(membership: Membership, team: Team) -> bool:
    """Team leads plan for their own team; managers, consultants and admins for any team of
    their enterprise."""
    if membership.enterprise_id != team.enterprise_id:
        return False
    return membership.role != Role.TEAM_LEAD or membership.team_id == team.id


ENTERPRISE_WIDE = (Role.MANAGER, Role.CONSULTANT, Role.ADMIN)


async def open_actions(
    session: AsyncSession, person_id: int, memberships: list[Membership]
) -> list[ActionItem]:
    """Open actions the person owns, those of their team, and (for managers, consultants and
    admins, whose membership has no team) those of every team of their enterprise; soonest
    due first."""
    enterprise_ids = [m.enterprise_id for m in memberships if m.role in ENTERPRISE_WIDE]
    team_ids = [m.team_id for m in memberships
                if m.team_id is not None and m.role not in ENTERPRISE_WIDE]
    return list(
        await session.scalars(
            select(ActionItem)
            .where(
                ActionItem.status.in_(OPEN_STATUSES),
                or_(ActionItem.owner_id == person_id, ActionItem.team_id.in_(team_ids),
                    ActionItem.enterprise_id.in_(enterprise_ids)),
            )
            .options(selectinload(ActionItem.owner), selectinload(ActionItem.team))
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    )


# --- reminders and progress ----------------------------------------------------------------

REMIND_DAYS_BEFORE = 2
NEW_DATE_CHOICES = (3, 7, 14)


def reminder_stage_due(item: ActionItem, today: date) -> int:
    """The reminder an action needs today: 1 two days before, 2 on the day, 3 overdue;
    0 when none is due (or it was sent already)."""
    if today > item.due_on:
        stage = 3
    elif today == item.due_on:
        stage = 2
    elif today >= item.due_on - timedelta(days=REMIND_DAYS_BEFORE):
        stage = 1
    else:
        return 0
    return stage if stage > item.reminder_stage else 0


async def open_with_owners(session: AsyncSession) -> list[tuple[ActionItem, Person, Enterprise]]:
    rows = await session.execute(
        select(ActionItem, Person, Enterprise)
        .join(Person, Person.id == ActionItem.owner_id)
        .join(Enterprise, Enterprise.id == ActionItem.enterprise_id)
        .where(ActionItem.status.in_(OPEN_STATUSES), ActionItem.reminder_stage < 3,
               Person.paused.is_(False), Person.blocked_bot.is_(False))
        .order_by(ActionItem.due_on, ActionItem.id)
    )
    return [(item, person, enterprise) for item, person, enterprise in rows]


def may_update(membership: Membership | None, item: ActionItem, person_id: int) -> bool:
    """The owner, a team lead of its team, or a manager or admin of its enterprise."""
    if item.owner_id == person_id and membership is not None:
        return membership.enterprise_id == item.enterprise_id
    if membership is None or membership.enterprise_id != item.enterprise_id:
        return False
    if membership.role in (Role.MANAGER, Role.ADMIN):
        return True
    return membership.role == Role.TEAM_LEAD and membership.team_id == item.team_id


def close(session: AsyncSession, item: ActionItem, person: Person, now: datetime) -> None:
    """Mark the action done, and nothing else (no reminder or escalation follows a done
    action: both look only at open ones)."""
    item.status, item.done_at, item.updated_at = ActionStatus.DONE, now, now
    audit.record(session, "action.done", actor_id=person.id, enterprise_id=item.enterprise_id,
                 subject="action", subject_id=item.id)


async def mark_done(session: AsyncSession, item: ActionItem, person: Person,
                    now: datetime) -> Suggestion | None:
    """Mark the action done. An action made from a suggestion puts that suggestion into
    practice: it becomes implemented too, and is returned so the caller can tell the
    submitter and the reviewers."""
    close(session, item, person, now)
    from bot.services import suggestions  # suggestions builds on actions

    return await suggestions.implemented_by_action(session, item, person, now)


def add_note(session: AsyncSession, item: ActionItem, person: Person, now: datetime, *,
             text: str = "", photo_file_id: str | None = None,
             in_progress: bool = False) -> ActionNote:
    if in_progress and item.status is ActionStatus.OPEN:
        item.status = ActionStatus.IN_PROGRESS
    item.updated_at = now
    note = ActionNote(action_id=item.id, author_id=person.id, text=text.strip()[:2000],
                      photo_file_id=photo_file_id, created_at=now)
    session.add(note)
    return note


def move_due_date(session: AsyncSession, item: ActionItem, person: Person, days: int,
                  enterprise: Enterprise, now: datetime) -> None:
    if days not in NEW_DATE_CHOICES:
        raise InvalidValue("days", f"choose one of {NEW_DATE_CHOICES}")
    set_due_date(session, item, person, local_date(now, enterprise.timezone) + timedelta(
        days=days), enterprise, now)


def check_due_date(day: date, enterprise: Enterprise, now: datetime) -> date:
    """A due date someone chose: today or later in the enterprise's timezone."""
    if day < local_date(now, enterprise.timezone):
        raise InvalidValue("past", "a due date cannot be in the past")
    return day


def set_due_date(session: AsyncSession, item: ActionItem, person: Person, day: date,
                 enterprise: Enterprise, now: datetime) -> None:
    """A new due date (today or later): the reminders start again from the first."""
    item.due_on = check_due_date(day, enterprise, now)
    item.reminder_stage = 0
    item.updated_at = now
    audit.record(session, "action.new_date", actor_id=person.id,
                 enterprise_id=item.enterprise_id, subject="action", subject_id=item.id,
                 due_on=item.due_on.isoformat())



async def propose_action(
    session: AsyncSession, *, enterprise: Enterprise, title: str, source: str, source_ref: str,
    now: datetime, due_days: int = 30,
) -> tuple[ActionItem, bool]:
    """A proposed action: open, with no owner until a manager takes it on (an action with no
    owner gets no reminders). One per source and reference. Returns (item, created)."""
    existing = await session.scalar(
        select(ActionItem).where(ActionItem.enterprise_id == enterprise.id,
                                 ActionItem.source == source,
                                 ActionItem.source_ref == source_ref)
    )
    if existing is not None:
        return existing, False
    item = ActionItem(
        enterprise_id=enterprise.id, team_id=None, title=" ".join(title.split())[:TITLE_MAX],
        owner_id=None, created_by_id=None,
        due_on=local_date(now, enterprise.timezone) + timedelta(days=due_days),
        source=source, source_ref=source_ref, created_at=now, updated_at=now,
    )
    session.add(item)
    await session.flush()
    audit.record(session, "action.propose", actor_label="scheduler", enterprise_id=enterprise.id,
                 subject="action", subject_id=item.id, source=source, ref=source_ref)
    return item, True


async def team_by_id(session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def team_member(session: AsyncSession, team: Team, person_id: int) -> Person | None:
    """The person a button names, if they are in the team."""
    members = {m.person_id: m.person for m in await team_members(session, team.id)}
    return members.get(person_id)


async def item_with_enterprise(session: AsyncSession,
                               item_id: int) -> tuple[ActionItem, Enterprise] | None:
    """An action a button or a conversation names, with its enterprise."""
    item = await session.get(ActionItem, item_id)
    enterprise = await session.get(Enterprise, item.enterprise_id) if item else None
    return (item, enterprise) if item is not None and enterprise is not None else None
