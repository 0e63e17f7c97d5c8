"""The quarterly labour-standards self-check, grouped as Better Work groups its assessments.
No Telegram here.

Rules:
- each quarter the enterprise's manager (any manager or admin; the first to answer an item
  answers it for the management side) and its worker representative each answer every item:
  yes, no or not sure;
- the worker representative is a worker or team lead a manager chooses (/selfcheck, "Choose
  the worker representative"); they answer for the workers' side;
- once both sides have answered every item, each item where the answers differ or either says
  no becomes a *proposed* action item: open, source "selfcheck", no owner and so no reminders,
  until a manager takes it on (or drops it) from the notice they receive;
- consultants (and managers) see each quarter's status and its change over time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.actions import propose_action
from bot.services.errors import InvalidValue
from storage.models import (
    ActionItem,
    ActionStatus,
    Enterprise,
    Membership,
    Person,
    Role,
    SelfCheckAnswer,
    SelfCheckRound,
)

# Better Work's clusters, a few items each. Keys are stored; texts are in the presenter.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wages", ("minimum_wage", "piece_rates")),
    ("overtime", ("overtime_rate", "overtime_voluntary")),
    ("leave", ("annual_leave", "sick_leave")),
    ("wage_info", ("payslips", "deductions")),
    ("contracts", ("written_contract", "contract_explained")),
    ("hours", ("hours_limit", "weekly_rest")),
    ("osh", ("risks_checked", "ppe_free")),
    ("emergency", ("exits_clear", "drills")),
    ("health", ("first_aid", "water_toilets")),
    ("protection", ("no_child_forced", "no_harassment")),
    ("dialogue", ("free_representatives", "regular_meetings")),
    ("disputes", ("written_rules", "grievances")),
)
ITEMS: tuple[str, ...] = tuple(item for _group, items in GROUPS for item in items)
GROUP_OF = {item: group for group, items in GROUPS for item in items}
ANSWERS = ("yes", "no", "unsure")
MANAGER, WORKER = "manager", "worker"
SOURCE = "selfcheck"
QUARTER_MONTHS = (1, 4, 7, 10)


def quarter_of(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def side_of(membership: Membership | None, enterprise: Enterprise, person_id: int) -> str | None:
    """Which side a member answers for: managers and admins for management, the chosen worker
    representative for the workers; None for everyone else (consultants only follow)."""
    if membership is None or membership.enterprise_id != enterprise.id:
        return None
    if membership.role in (Role.MANAGER, Role.ADMIN):
        return MANAGER
    if enterprise.worker_rep_id == person_id and membership.role in (Role.WORKER,
                                                                     Role.TEAM_LEAD):
        return WORKER
    return None


async def round_for(session: AsyncSession, enterprise: Enterprise, now: datetime, *,
                    create: bool = True) -> SelfCheckRound | None:
    """This quarter's round (in the enterprise's timezone), opened if need be."""
    quarter = quarter_of(now.astimezone(ZoneInfo(enterprise.timezone)).date())
    found = await session.scalar(select(SelfCheckRound).where(
        SelfCheckRound.enterprise_id == enterprise.id, SelfCheckRound.quarter == quarter))
    if found is None and create:
        found = SelfCheckRound(enterprise_id=enterprise.id, quarter=quarter, opened_at=now)
        session.add(found)
        await session.flush()
    return found


async def answers_of(session: AsyncSession, round_id: int) -> dict[tuple[str, str], str]:
    rows = await session.scalars(select(SelfCheckAnswer).where(SelfCheckAnswer.round_id ==
                                                               round_id))
    return {(row.item, row.side): row.answer for row in rows}


def next_item(answers: dict[tuple[str, str], str], side: str) -> int | None:
    """The index of the first item this side has not answered, or None when all are."""
    return next((i for i, item in enumerate(ITEMS) if (item, side) not in answers), None)


async def record_answer(session: AsyncSession, check: SelfCheckRound, index: int,
                        side: str, answer: str, person: Person, now: datetime) -> None:
    if not 0 <= index < len(ITEMS) or answer not in ANSWERS or side not in (MANAGER, WORKER):
        raise InvalidValue("answer", "no such item or answer")
    if check.completed_at is not None:
        raise InvalidValue("closed", "this self-check is complete")
    item = ITEMS[index]
    existing = await session.scalar(select(SelfCheckAnswer).where(
        SelfCheckAnswer.round_id == check.id, SelfCheckAnswer.item == item,
        SelfCheckAnswer.side == side))
    if existing is None:
        session.add(SelfCheckAnswer(round_id=check.id, item=item, side=side,
                                    answer=answer, person_id=person.id, answered_at=now))
    else:
        existing.answer, existing.person_id, existing.answered_at = answer, person.id, now
    await session.flush()


def to_act_on(answers: dict[tuple[str, str], str]) -> list[str]:
    """Items both sides answered where they differ or either says no."""
    flagged = []
    for item in ITEMS:
        manager, worker = answers.get((item, MANAGER)), answers.get((item, WORKER))
        if manager is None or worker is None:
            continue
        if manager != worker or "no" in (manager, worker):
            flagged.append(item)
    return flagged


async def complete_if_done(
    session: AsyncSession, check: SelfCheckRound, enterprise: Enterprise, now: datetime,
    title_of: Callable[[str], str],
) -> list[ActionItem] | None:
    """When both sides have answered everything: mark the round complete and propose an action
    for every item to act on. Returns the proposed actions, or None if not complete yet."""
    if check.completed_at is not None:
        return None
    answers = await answers_of(session, check.id)
    if next_item(answers, MANAGER) is not None or next_item(answers, WORKER) is not None:
        return None
    check.completed_at = now
    proposed = []
    for item in to_act_on(answers):
        action, _created = await propose_action(
            session, enterprise=enterprise, title=title_of(item), source=SOURCE,
            source_ref=f"{check.quarter.isoformat()}:{item}", now=now)
        proposed.append(action)
    audit.record(session, "selfcheck.complete", actor_label="bot", enterprise_id=enterprise.id,
                 subject="selfcheck", subject_id=check.id, proposed=len(proposed))
    return proposed


# --- the worker representative and proposed actions ------------------------------------------


async def representative_choices(session: AsyncSession, enterprise_id: int) -> list[Person]:
    return list(await session.scalars(
        select(Person).join(Membership, Membership.person_id == Person.id)
        .where(Membership.enterprise_id == enterprise_id,
               Membership.role.in_((Role.WORKER, Role.TEAM_LEAD)))
        .order_by(Person.display_name, Person.id)))


async def choose_representative(session: AsyncSession, enterprise: Enterprise, person_id: int,
                                actor: Person) -> Person:
    chosen = await session.scalar(
        select(Person).join(Membership, Membership.person_id == Person.id)
        .where(Person.id == person_id, Membership.enterprise_id == enterprise.id,
               Membership.role.in_((Role.WORKER, Role.TEAM_LEAD))))
    if chosen is None:
        raise InvalidValue("representative", "not a worker or team lead of this enterprise")
    enterprise.worker_rep_id = chosen.id
    audit.record(session, "selfcheck.representative", actor_id=actor.id,
                 enterprise_id=enterprise.id, subject="person", subject_id=chosen.id)
    return chosen


def is_proposed(item: ActionItem) -> bool:
    return (item.source == SOURCE and item.owner_id is None
            and item.status is ActionStatus.OPEN)


def take_on(session: AsyncSession, item: ActionItem, person: Person, now: datetime) -> None:
    item.owner_id, item.updated_at, item.reminder_stage = person.id, now, 0
    audit.record(session, "action.take_on", actor_id=person.id, enterprise_id=item.enterprise_id,
                 subject="action", subject_id=item.id)


def drop(session: AsyncSession, item: ActionItem, person: Person, now: datetime) -> None:
    item.status, item.updated_at = ActionStatus.DROPPED, now
    audit.record(session, "action.drop", actor_id=person.id, enterprise_id=item.enterprise_id,
                 subject="action", subject_id=item.id)


# --- status over time ------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    round: SelfCheckRound
    manager_answered: int
    worker_answered: int
    in_order: int  # both sides say yes
    to_act_on: int
    unsure: int  # both answered, neither says no, and someone is not sure
    groups: dict[str, str]  # group -> "ok", "act", "unsure" or "open"

    @property
    def complete(self) -> bool:
        return self.round.completed_at is not None


def status_of(check: SelfCheckRound, answers: dict[tuple[str, str], str]) -> Status:
    flagged = set(to_act_on(answers))
    in_order = unsure = 0
    per_item: dict[str, str] = {}
    for item in ITEMS:
        pair = (answers.get((item, MANAGER)), answers.get((item, WORKER)))
        if None in pair:
            per_item[item] = "open"
        elif item in flagged:
            per_item[item] = "act"
        elif pair == ("yes", "yes"):
            per_item[item], in_order = "ok", in_order + 1
        else:
            per_item[item], unsure = "unsure", unsure + 1
    rank = {"act": 3, "open": 2, "unsure": 1, "ok": 0}
    groups = {group: max((per_item[i] for i in items), key=rank.__getitem__)
              for group, items in GROUPS}
    return Status(
        check,
        sum(1 for item in ITEMS if (item, MANAGER) in answers),
        sum(1 for item in ITEMS if (item, WORKER) in answers),
        in_order, len(flagged), unsure, groups,
    )


async def history(session: AsyncSession, enterprise_id: int, limit: int = 4) -> list[Status]:
    """The latest rounds' status, newest first."""
    rounds = list(await session.scalars(
        select(SelfCheckRound).where(SelfCheckRound.enterprise_id == enterprise_id)
        .order_by(SelfCheckRound.quarter.desc()).limit(limit)))
    return [status_of(r, await answers_of(session, r.id)) for r in rounds]


async def round_with_enterprise(session: AsyncSession, round_id: int,
                                ) -> tuple[SelfCheckRound, Enterprise] | None:
    """A self-check round a button names, with its enterprise (None when there is none)."""
    check = await session.get(SelfCheckRound, round_id)
    enterprise = await session.get(Enterprise, check.enterprise_id) if check else None
    return (check, enterprise) if check is not None and enterprise is not None else None


async def action_item(session: AsyncSession, item_id: int) -> ActionItem | None:
    return await session.get(ActionItem, item_id)
