"""A consultant's answer to a stall given on the dashboard: the same service calls, the same
messages to the people concerned and the same edit of every copy of the alert as the chat's
buttons, through bot/stall_answers.py, so chat and page never disagree."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from bot import stall_answers
from bot.i18n import CatalogI18n
from bot.services import actions, escalation
from bot.services.errors import InvalidValue
from storage.models import EscalationEvent, Person, Stall, StallStatus

# What the page offers: the chat's answers but Reassign, which needs a conversation.
PAGE_ACTIONS = ("ack", "call", "date", "snooze")


# The events that answer an alert, and those that ask for an answer again.
ANSWERED = {"acknowledged", "will_call", "snoozed", "reassigned", "new_date"}
ASKED = {"escalated", "snooze_ended"}


def open_to_answer(stall: Stall, events: list[EscalationEvent]) -> bool:
    """Whether the stall waits for an answer: not resolved, and nobody has answered since it
    was last raised or its snooze ended (a chat's alert loses its buttons once answered)."""
    if stall.status is StallStatus.RESOLVED:
        return False
    last = next((e.event for e in reversed(events) if e.event in ANSWERED | ASKED), None)
    return last not in ANSWERED


def offered(stall: Stall) -> list[str]:
    return [a for a in escalation.CONSULTANT_ACTIONS[stall.kind] if a in PAGE_ACTIONS]


async def answer(session: AsyncSession, stall: Stall, action: str, days: int, person: Person,
                 now: datetime, i18n: CatalogI18n) -> str | None:
    """Apply the answer in the session (the caller commits). Returns the chat's event name
    for `action` ("pick_date" for a new date), or None when it does not apply."""
    if action not in offered(stall) or stall.status is StallStatus.RESOLVED:
        return None
    subject = await escalation.subject_of(session, stall)
    if subject is None:
        return None
    if action == "ack":
        escalation.acknowledge(session, stall, person, now)
    elif action == "call":
        await stall_answers.will_call(session, i18n, stall, subject, person, now)
    elif action == "snooze":
        escalation.snooze(session, stall, person, now)
    else:
        if subject.item is None or days not in actions.NEW_DATE_CHOICES:
            return None
        try:
            await stall_answers.new_date(session, i18n, stall, subject, days, person, now)
        except InvalidValue:
            return None
        return "pick_date"
    return action


async def show_everywhere(bot: Bot, session: AsyncSession, stall: Stall, event: str,
                          person: Person, now: datetime, i18n: CatalogI18n) -> None:
    """Every copy of the alert in the chats says what was done, as when answered there."""
    subject = await escalation.subject_of(session, stall)
    if subject is not None:
        await stall_answers.show_on_every_copy(bot, session, stall, subject, event, person,
                                               now, i18n)
