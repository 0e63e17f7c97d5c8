"""Telling someone something on the bot's own initiative (a lesson, a reminder, a reviewer's
question, a report): rendered in their language and written to the outbox, in the caller's
transaction. Every scheduled job and every message to a person other than the one being
answered goes through here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import CatalogI18n
from bot.services.outbox import enqueue
from bot.services.people import locale_outside_update
from storage.models import Enterprise, GroupChat, Person

# What a presenter gives back: the text, or the text with its buttons.
Rendered = str | tuple[str, InlineKeyboardMarkup | None]


def _queue(
    session: AsyncSession, i18n: CatalogI18n, locale: str, *, chat_id: int,
    person_id: int | None, kind: str, now: datetime, render: Callable[[str], Rendered],
    media: Sequence[tuple[str, str]] = (),
) -> None:
    with i18n.speaking(locale):
        rendered = render(locale)
    text, markup = rendered if isinstance(rendered, tuple) else (rendered, None)
    first: tuple[str, str] | None = media[0] if media else None
    more = list(media[1:])
    enqueue(
        session,
        chat_id=chat_id,
        person_id=person_id,
        kind=kind,
        text=text,
        reply_markup=markup.model_dump(mode="json", exclude_none=True) if markup else None,
        now=now,
        media=first,
    )
    for medium in more:  # the rest of an album: one message each, after the captioned one
        enqueue(session, chat_id=chat_id, person_id=person_id, kind=kind, text="", now=now,
                media=medium)


def notify(
    session: AsyncSession,
    i18n: CatalogI18n,
    person: Person,
    *,
    kind: str,
    now: datetime,
    enterprise: Enterprise | None,
    render: Callable[[str], Rendered],
    media: Sequence[tuple[str, str]] = (),
    default_locale: str | None = None,
) -> None:
    """Queue `render(locale)` for `person`, in the locale they would be answered in (theirs,
    else the enterprise's, else the bot's: `i18n.default_locale`, from the settings). With
    `media` ((kind, file id) pairs: "photo" or "voice"), the text is the first medium's
    caption (or follows it when too long for one) and every other medium follows."""
    locale = locale_outside_update(
        person, enterprise.default_locale if enterprise else None,
        default_locale or i18n.default_locale,
    )
    _queue(session, i18n, locale, chat_id=person.telegram_id, person_id=person.id, kind=kind,
           now=now, render=render, media=media)


def notify_group(
    session: AsyncSession,
    i18n: CatalogI18n,
    group: GroupChat,
    *,
    kind: str,
    now: datetime,
    enterprise: Enterprise,
    render: Callable[[str], Rendered],
    default_locale: str | None = None,
) -> None:
    """Queue `render(locale)` for a consultant's group chat, in the group's language (or the
    enterprise's, or the bot's)."""
    locale = group.locale or enterprise.default_locale or default_locale or i18n.default_locale
    _queue(session, i18n, locale, chat_id=group.telegram_chat_id, person_id=None, kind=kind,
           now=now, render=render)
