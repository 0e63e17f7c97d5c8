"""A consultant's answer to a stall, wherever it is given (a button in a chat, a form on the
dashboard): the people concerned are told through the outbox, and every copy of the alert in
the chats says what was done, in its own language, and loses its buttons. One place, so the
chat and the dashboard can never disagree."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import CatalogI18n
from bot.notify import Rendered, notify
from bot.presenters import escalation as ui
from bot.services import escalation
from bot.services.people import locale_outside_update
from storage.models import Person, Stall

log = logging.getLogger(__name__)


def tell(session: AsyncSession, i18n: CatalogI18n, people: list[Person],
         subject: escalation.Subject, now: datetime,
         render: Callable[[str], Rendered]) -> None:
    for someone in people:
        notify(session, i18n, someone, kind="escalation_answer", now=now,
               enterprise=subject.enterprise, render=render)


async def will_call(session: AsyncSession, i18n: CatalogI18n, stall: Stall,
                    subject: escalation.Subject, person: Person, now: datetime) -> None:
    """"I will call": those concerned hear that their consultant will call."""
    escalation.will_call(session, stall, person, now)
    tell(session, i18n, await escalation.concerned(session, stall), subject, now,
         lambda _locale: ui.will_call(person.display_name, subject))


async def new_date(session: AsyncSession, i18n: CatalogI18n, stall: Stall,
                   subject: escalation.Subject, days: int, person: Person,
                   now: datetime) -> None:
    """The action's due date moves (InvalidValue when it cannot); its owner is told."""
    assert subject.item is not None
    escalation.new_date(session, stall, subject.item, days, subject.enterprise, person, now)
    owner = await escalation.owner_of(session, subject.item)
    tell(session, i18n, [owner] if owner else [], subject, now,
         lambda loc: ui.date_moved(person.display_name, subject, loc))


def copy_locale(copy: escalation.AlertCopy, subject: escalation.Subject,
                default_locale: str) -> str:
    """The language a copy of an alert is in: its group's, its person's, or the
    enterprise's."""
    if copy.group is not None:
        return copy.group.locale or subject.enterprise.default_locale or default_locale
    if copy.person is not None:
        return locale_outside_update(copy.person, subject.enterprise.default_locale,
                                     default_locale)
    return subject.enterprise.default_locale or default_locale


async def show_on_every_copy(bot: Bot, session: AsyncSession, stall: Stall,
                             subject: escalation.Subject, event: str, person: Person,
                             now: datetime, i18n: CatalogI18n,
                             skip: tuple[int, int] | None = None) -> None:
    """Every copy of the alert (but `skip`, the chat and message where it was answered) says
    what was done, in its own language, and loses its buttons: nobody answers a stall twice.
    The alert is drawn again: delivered messages keep no text (README "Security and
    privacy")."""
    for copy in await escalation.alert_copies(session, stall):
        if (copy.chat_id, copy.message_id) == skip:
            continue
        locale = copy_locale(copy, subject, i18n.default_locale)
        with i18n.speaking(locale):
            alert, _keyboard = ui.to_consultant(subject, now, locale)
            line = ui.outcome(event, person.display_name, locale, subject)
        try:
            await bot.edit_message_text(text=alert + "\n\n" + line, chat_id=copy.chat_id,
                                        message_id=copy.message_id, reply_markup=None)
        except TelegramAPIError as error:  # deleted, too old, already the same, unreachable
            log.info("alert copy %s/%s not edited: %s", copy.chat_id, copy.message_id,
                     getattr(error, "message", error))
