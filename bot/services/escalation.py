"""Stalls and their escalation ladder.

Something is stalled when an action item is overdue by the enterprise's
`action_overdue_stall_days` or has had no update for `action_silent_stall_days`, when a
suggestion has waited `suggestion_stall_days` for a first answer, or when the weekly KPI
check-in was missed two weeks running.

A stall climbs a ladder, one level every `escalation_step_days` while nothing changes:
1 the owner, 2 the team lead (or the managers), 3 the consultant (direct message and their
group chats). A level nobody holds is passed over. Each level is told once, and the history
is kept as `EscalationEvent` rows. When the cause goes away the stall is resolved; if the
subject stalls again later, that is a new stall.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import actions, anonymity, suggestions
from bot.services.outbox import ALERT_KIND
from bot.services.people import reachable, team_leads, team_members
from bot.services.planner import few
from storage.models import (
    ActionItem,
    CheckinRound,
    Enterprise,
    EscalationEvent,
    GroupChat,
    Membership,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    Stall,
    StallKind,
    StallStatus,
    Suggestion,
    Team,
)

OWNER, LEAD, CONSULTANT = 1, 2, 3
SNOOZE_DAYS = 7
MISSED_CHECKINS = 2  # weeks running
# What a consultant may do about a stall, by kind.
CONSULTANT_ACTIONS = {
    StallKind.ACTION: ("ack", "call", "owner", "date", "snooze"),
    StallKind.SUGGESTION: ("ack", "call", "snooze"),
    StallKind.CHECKIN: ("ack", "call", "snooze"),
}


@dataclass(frozen=True)
class Candidate:
    kind: StallKind
    subject_id: int
    enterprise_id: int
    team_id: int | None
    reason: str  # "overdue", "silent", "unreviewed" or "missed_checkins"

    @property
    def key(self) -> str:
        return open_key(self.kind, self.subject_id)


def open_key(kind: StallKind, subject_id: int) -> str:
    return f"{kind.value}:{subject_id}"


def _days(value: int) -> timedelta:
    return timedelta(days=value)


async def _stalled_actions(session: AsyncSession, now: datetime) -> list[Candidate]:
    """Open actions overdue or silent for their enterprise's days. Read through their
    indexes: only those late or without news for a day or more (no enterprise waits less;
    a local date is at most a day ahead of UTC's)."""
    rows = await session.execute(
        select(ActionItem, Enterprise)
        .join(Enterprise, Enterprise.id == ActionItem.enterprise_id)
        .where(ActionItem.status.in_(actions.OPEN_STATUSES),
               few(session, or_(ActionItem.due_on <= now.date(),
                                ActionItem.updated_at <= now - _days(1))))
    )
    found = []
    for item, enterprise in rows:
        today = actions.local_date(now, enterprise.timezone)
        if (today - item.due_on).days >= enterprise.action_overdue_stall_days:
            reason = "overdue"
        elif now - item.updated_at >= _days(enterprise.action_silent_stall_days):
            reason = "silent"
        else:
            continue
        found.append(Candidate(StallKind.ACTION, item.id, item.enterprise_id, item.team_id,
                               reason))
    return found


async def _stalled_suggestions(session: AsyncSession, now: datetime) -> list[Candidate]:
    return [
        Candidate(StallKind.SUGGESTION, s.id, s.enterprise_id, s.team_id, "unreviewed")
        for s in await suggestions.stalled(session, now)
    ]


async def _missed_checkins(session: AsyncSession, now: datetime) -> list[Candidate]:
    """Enterprises whose last two check-in rounds are both still open after the managers
    were nudged for the later one. Only enterprises with a recent round nudged and still open
    (ix_checkin_rounds_nudged_open) have their rounds read."""
    since = (now - timedelta(weeks=MISSED_CHECKINS + 1)).date()
    nudged = list(await session.scalars(
        select(CheckinRound.enterprise_id).distinct()
        .where(CheckinRound.nudged_at.is_not(None), CheckinRound.completed_at.is_(None),
               few(session, CheckinRound.week >= since))))
    if not nudged:
        return []
    rounds = await session.scalars(
        select(CheckinRound)
        .where(few(session, CheckinRound.enterprise_id.in_(nudged)), CheckinRound.week >= since)
        .order_by(CheckinRound.enterprise_id, CheckinRound.week.desc())
    )
    latest: dict[int, list[CheckinRound]] = {}
    for round_ in rounds:
        latest.setdefault(round_.enterprise_id, []).append(round_)
    found = []
    for enterprise_id, recent in latest.items():
        recent = recent[:MISSED_CHECKINS]
        if (len(recent) == MISSED_CHECKINS and recent[0].nudged_at is not None
                and all(r.completed_at is None for r in recent)
                and (recent[0].week - recent[1].week).days == 7 * (MISSED_CHECKINS - 1)):
            found.append(Candidate(StallKind.CHECKIN, enterprise_id, enterprise_id, None,
                                   "missed_checkins"))
    return found


async def stalled_now(session: AsyncSession, now: datetime) -> dict[str, Candidate]:
    found = (await _stalled_actions(session, now) + await _stalled_suggestions(session, now)
             + await _missed_checkins(session, now))
    return {candidate.key: candidate for candidate in found}


def _event(session: AsyncSession, stall: Stall, event: str, now: datetime, *,
           actor: Person | None = None, **details: object) -> None:
    session.add(EscalationEvent(stall=stall, at=now, event=event, level=stall.level,
                                actor_id=actor.id if actor else None, details=details))


def resolve(session: AsyncSession, stall: Stall, now: datetime, *, actor: Person | None = None,
            why: str = "cleared") -> None:
    stall.status, stall.resolved_at, stall.open_key = StallStatus.RESOLVED, now, None
    _event(session, stall, "resolved", now, actor=actor, why=why)


async def sync(session: AsyncSession, now: datetime) -> list[Stall]:
    """Open a stall for every newly stalled subject, resolve those no longer stalled, and
    return the stalls still open."""
    candidates = await stalled_now(session, now)
    still_open = []
    for stall in await session.scalars(select(Stall).where(
            few(session, Stall.open_key.is_not(None)))):  # the open ones, not the history
        if stall.open_key in candidates:
            candidates.pop(stall.open_key)
            still_open.append(stall)
        else:
            resolve(session, stall, now)
    for candidate in candidates.values():
        stall = Stall(enterprise_id=candidate.enterprise_id, team_id=candidate.team_id,
                      kind=candidate.kind, subject_id=candidate.subject_id,
                      reason=candidate.reason, open_key=candidate.key, detected_at=now)
        session.add(stall)
        _event(session, stall, "detected", now, reason=candidate.reason)
        still_open.append(stall)
    await session.flush()
    return still_open


def climb_due(stall: Stall, enterprise: Enterprise, now: datetime) -> bool:
    """Whether the next level should hear of this stall now."""
    if stall.status is not StallStatus.OPEN or stall.level >= CONSULTANT:
        return False
    if stall.level == 0 or stall.escalated_at is None:
        return True
    return now >= stall.escalated_at + _days(enterprise.escalation_step_days)


def snooze_over(stall: Stall, now: datetime) -> bool:
    return (stall.status is StallStatus.SNOOZED and stall.snoozed_until is not None
            and now >= stall.snoozed_until)


async def consultants(session: AsyncSession, enterprise_id: int) -> list[Person]:
    return await reachable(session, (Role.CONSULTANT,), enterprise_id=enterprise_id)


async def _recipients(session: AsyncSession, stall: Stall, level: int) -> list[Person]:
    enterprise_id = stall.enterprise_id
    if level == CONSULTANT:
        return await consultants(session, enterprise_id)
    if stall.kind is StallKind.ACTION:
        item = await session.get(ActionItem, stall.subject_id)
        owner = await session.get(Person, item.owner_id) if item and item.owner_id else None
        if level == OWNER:
            return [owner] if owner and not owner.blocked_bot and not owner.paused else []
        leads = [p for p in await team_leads(session, stall.team_id) if p != owner]
        return leads or [p for p in await reachable(session, (Role.MANAGER,),
                                                    enterprise_id=enterprise_id) if p != owner]
    if stall.kind is StallKind.SUGGESTION:
        if level == OWNER:
            return await team_leads(session, stall.team_id)
        return await reachable(session, (Role.MANAGER,), enterprise_id=enterprise_id)
    # Missed check-ins: those who report them; there is no one between them and the consultant.
    if level == OWNER:
        return await reachable(session, (Role.MANAGER, Role.TEAM_LEAD),
                               enterprise_id=enterprise_id)
    return []


async def concerned(session: AsyncSession, stall: Stall) -> list[Person]:
    """The people inside the enterprise who were (or would be) told of the stall."""
    people = await _recipients(session, stall, OWNER) + await _recipients(session, stall, LEAD)
    return list({person.id: person for person in people}.values())


async def climb(session: AsyncSession, stall: Stall, now: datetime) -> tuple[int, list[Person]]:
    """Raise the stall to the next level that has someone to tell, record it, and return the
    level and the people to tell. At the consultant's level the list may be empty (no
    consultant assigned yet); the group chats still hear of it."""
    level = stall.level + 1
    people = await _recipients(session, stall, level)
    while not people and level < CONSULTANT:
        level += 1
        people = await _recipients(session, stall, level)
    stall.level, stall.escalated_at = level, now
    _event(session, stall, "escalated", now, told=len(people))
    return level, people


def may_handle(membership: Membership | None, stall: Stall) -> bool:
    """Consultants and admins of the stall's enterprise act on its escalations."""
    return (membership is not None and membership.enterprise_id == stall.enterprise_id
            and membership.role in (Role.CONSULTANT, Role.ADMIN))


def acknowledge(session: AsyncSession, stall: Stall, person: Person, now: datetime) -> None:
    stall.status = StallStatus.ACKNOWLEDGED
    _event(session, stall, "acknowledged", now, actor=person)


def will_call(session: AsyncSession, stall: Stall, person: Person, now: datetime) -> None:
    stall.status = StallStatus.CALLING
    _event(session, stall, "will_call", now, actor=person)


def snooze(session: AsyncSession, stall: Stall, person: Person, now: datetime) -> None:
    stall.status, stall.snoozed_until = StallStatus.SNOOZED, now + _days(SNOOZE_DAYS)
    _event(session, stall, "snoozed", now, actor=person, days=SNOOZE_DAYS)


def wake(session: AsyncSession, stall: Stall, now: datetime) -> None:
    """A snooze has run out and the subject is still stalled: the consultant hears once more,
    and the stall stays at their level."""
    stall.status, stall.snoozed_until = StallStatus.ACKNOWLEDGED, None
    _event(session, stall, "snooze_ended", now)


def reassign(session: AsyncSession, stall: Stall, item: ActionItem, new_owner: Person,
             person: Person, now: datetime) -> None:
    previous = item.owner_id
    item.owner_id, item.reminder_stage, item.updated_at = new_owner.id, 0, now
    stall.status = StallStatus.ACKNOWLEDGED
    _event(session, stall, "reassigned", now, actor=person, previous=previous,
           owner=new_owner.id)


def new_date(session: AsyncSession, stall: Stall, item: ActionItem, days: int,
             enterprise: Enterprise, person: Person, now: datetime) -> None:
    actions.move_due_date(session, item, person, days, enterprise, now)
    _event(session, stall, "new_date", now, actor=person, due_on=item.due_on.isoformat())
    resolve(session, stall, now, actor=person, why="new date")


async def open_stalls(session: AsyncSession, enterprise_id: int) -> list[Stall]:
    return list(await session.scalars(
        select(Stall).where(Stall.enterprise_id == enterprise_id,
                            Stall.status != StallStatus.RESOLVED)
        .order_by(Stall.detected_at)))


@dataclass(frozen=True)
class Subject:
    """What a stall is about, as its messages need it."""

    stall: Stall
    enterprise: Enterprise
    team_name: str
    item: ActionItem | None = None
    owner_name: str = ""
    suggestion: Suggestion | None = None

    def days_stuck(self, now: datetime) -> int:
        """Days late (overdue), without news (silent) or waiting (suggestions); for missed
        check-ins, the weeks missed times seven."""
        if self.item is not None:
            if self.stall.reason == "overdue":
                return (actions.local_date(now, self.enterprise.timezone) - self.item.due_on).days
            return (now - self.item.updated_at).days
        if self.suggestion is not None:
            return (now - self.suggestion.created_at).days
        return 7 * MISSED_CHECKINS


async def subject_of(session: AsyncSession, stall: Stall) -> Subject | None:
    """The stall's subject, or None when it no longer exists."""
    enterprise = await session.get(Enterprise, stall.enterprise_id)
    if enterprise is None:
        return None
    team = await session.get(Team, stall.team_id) if stall.team_id else None
    team_name = team.name if team else ""
    if stall.kind is StallKind.ACTION:
        item = await session.get(ActionItem, stall.subject_id)
        if item is None:
            return None
        owner = await session.get(Person, item.owner_id) if item.owner_id else None
        return Subject(stall, enterprise, team_name, item=item,
                       owner_name=owner.display_name if owner else "")
    if stall.kind is StallKind.SUGGESTION:
        suggestion = await session.get(Suggestion, stall.subject_id)
        if suggestion is None:
            return None
        if suggestion.anonymous and not anonymity.team_is_shown(
                await anonymity.team_size(session, stall.team_id)):
            team_name = ""  # a small team would name its anonymous sender (k = 5)
        return Subject(stall, enterprise, team_name, suggestion=suggestion)
    return Subject(stall, enterprise, team_name)


@dataclass(frozen=True)
class AlertCopy:
    """One delivered copy of a consultant's alert: in a group chat or a direct chat."""

    chat_id: int
    message_id: int
    group: GroupChat | None
    person: Person | None


async def alert_copies(session: AsyncSession, stall: Stall) -> list[AlertCopy]:
    """Every delivered copy of the stall's alert that still carries its buttons, so that one
    consultant's answer can be shown (and the buttons removed) everywhere."""
    prefix = f"es:{stall.id}:"
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == ALERT_KIND,
                                    OutboxMessage.status == OutboxStatus.SENT,
                                    OutboxMessage.telegram_message_id.is_not(None),
                                    OutboxMessage.created_at >= stall.detected_at)
        .order_by(OutboxMessage.id))
    copies = []
    for row in rows:
        buttons = [button for line in (row.reply_markup or {}).get("inline_keyboard", [])
                   for button in line]
        if not any(str(b.get("callback_data", "")).startswith(prefix) for b in buttons):
            continue
        group = await session.scalar(select(GroupChat).where(
            GroupChat.telegram_chat_id == row.chat_id)) if row.person_id is None else None
        person = await session.get(Person, row.person_id) if row.person_id else None
        copies.append(AlertCopy(row.chat_id, row.telegram_message_id or 0, group, person))
    return copies


def allows(stall: Stall, action: str) -> bool:
    """Whether a consultant's answer `action` fits this kind of stall (a new owner or date
    is picked only where the stall offers to reassign)."""
    allowed = CONSULTANT_ACTIONS[stall.kind]
    return action in allowed or (action in ("pick_owner", "pick_date") and "owner" in allowed)


async def stall_by_id(session: AsyncSession, stall_id: int) -> Stall | None:
    return await session.get(Stall, stall_id)


async def reassign_choices(session: AsyncSession, stall: Stall) -> list[Membership]:
    """Whom a stalled action may be given to: its team's members the bot can reach."""
    return [m for m in await team_members(session, stall.team_id or 0)
            if not m.person.blocked_bot]


async def possible_new_owner(session: AsyncSession, stall: Stall,
                             person_id: int) -> Membership | None:
    """The team member a button names as the new owner, if they may take it over."""
    member = next((m for m in await team_members(session, stall.team_id or 0)
                   if m.person_id == person_id), None)
    return member if member is not None and member.role in (Role.WORKER, Role.TEAM_LEAD) \
        else None


async def owner_of(session: AsyncSession, item: ActionItem) -> Person | None:
    return await session.get(Person, item.owner_id) if item.owner_id else None
