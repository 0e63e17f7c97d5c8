"""A consultant's answer to a stall given on the dashboard: the same service calls, the same
messages to the people concerned and the same edit of every copy of the alert as the chat's
buttons (bot/handlers/consultant.py, `escalation_button`), so chat and page never disagree."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import CatalogI18n
from bot.notify import Rendered, notify
from bot.presenters import escalation as ui
from bot.services import actions, escalation
from bot.services.errors import InvalidValue
from bot.services.people import locale_outside_update
from storage.models import Person, Stall, StallStatus

log = logging.getLogger(__name__)

# What the page offers: the chat's answers but Reassign, which needs a conversation.
PAGE_ACTIONS = ("ack", "call", "date", "snooze")


def offered(stall: Stall) -> list[str]:
    return [a for a in escalation.CONSULTANT_ACTIONS[stall.kind] if a in PAGE_ACTIONS]


async def answer(session: AsyncSession, stall: Stall, action: str, days: int, person: Person,
                 now: datetime, settings: Settings, i18n: CatalogI18n) -> str | None:
    """Apply the answer in the session (the caller commits). Returns the chat's event name
    for `action` ("pick_date" for a new date), or None when it does not apply."""
    if action not in offered(stall) or stall.status is StallStatus.RESOLVED:
        return None
    subject = await escalation.subject_of(session, stall)
    if subject is None:
        return None

    def tell(people: list[Person], render: Callable[[str], Rendered]) -> None:
        for someone in people:
            notify(session, i18n, someone, kind="escalation_answer", now=now,
                   enterprise=subject.enterprise, default_locale=settings.default_locale,
                   render=render)

    if action == "ack":
        escalation.acknowledge(session, stall, person, now)
    elif action == "call":
        escalation.will_call(session, stall, person, now)
        tell(await escalation.concerned(session, stall),
             lambda _locale: ui.will_call(person.display_name, subject))
    elif action == "snooze":
        escalation.snooze(session, stall, person, now)
    else:
        if subject.item is None or days not in actions.NEW_DATE_CHOICES:
            return None
        try:
            escalation.new_date(session, stall, subject.item, days, subject.enterprise,
                                person, now)
        except InvalidValue:
            return None
        owner = await session.get(Person, subject.item.owner_id or 0)
        tell([owner] if owner else [],
             lambda loc: ui.date_moved(person.display_name, subject, loc))
        return "pick_date"
    return action


async def show_everywhere(bot: Bot, session: AsyncSession, stall: Stall, event: str,
                          person: Person, now: datetime, settings: Settings,
                          i18n: CatalogI18n) -> None:
    """Every copy of the alert in the chats (groups and direct) says what was done, in its
    own language, and loses its buttons, as when the answer is given in a chat."""
    subject = await escalation.subject_of(session, stall)
    if subject is None:
        return
    for copy in await escalation.alert_copies(session, stall):
        if copy.group is not None:
            locale = (copy.group.locale or subject.enterprise.default_locale
                      or settings.default_locale)
        elif copy.person is not None:
            locale = locale_outside_update(copy.person, subject.enterprise.default_locale,
                                           settings.default_locale)
        else:
            locale = subject.enterprise.default_locale or settings.default_locale
        with i18n.speaking(locale):
            alert, _keyboard = ui.to_consultant(subject, now, locale)
            line = ui.outcome(event, person.display_name, locale, subject)
        try:
            await bot.edit_message_text(text=alert + "\n\n" + line, chat_id=copy.chat_id,
                                        message_id=copy.message_id, reply_markup=None)
        except TelegramAPIError as error:  # deleted, too old, already the same, unreachable
            log.info("alert copy %s/%s not edited: %s", copy.chat_id, copy.message_id,
                     getattr(error, "message", error))
