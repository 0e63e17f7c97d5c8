"""Telling someone something on the bot's own initiative (a lesson, a reminder, a reviewer's
question, a report): rendered in their language and written to the outbox, in the caller's
transaction. Every scheduled job and every message to a person other than the one being
answered goes through here."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import CatalogI18n
from bot.services import outbox
from bot.services.people import locale_outside_update
from storage.models import Enterprise, GroupChat, OutboxMessage, Person

# What a presenter gives back: the text, or the text with its buttons.
Rendered = str | tuple[str, InlineKeyboardMarkup | None]


def _rows(
    i18n: CatalogI18n, locale: str, *, chat_id: int, person_id: int | None, kind: str,
    now: datetime, render: Callable[[str], Rendered], media: Sequence[tuple[str, str]] = (),
    dumped: dict[int, tuple[InlineKeyboardMarkup, dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows of `render(locale)` to one chat: the text (with the first medium, if
    any, as its caption) and every other medium after it. `dumped` keeps keyboards already
    turned into JSON, by object (a wave's renders may give back the same one)."""
    with i18n.speaking(locale):
        rendered = render(locale)
    text, markup = rendered if isinstance(rendered, tuple) else (rendered, None)
    reply_markup = None
    if markup is not None:
        known = dumped.get(id(markup)) if dumped is not None else None
        if known is None or known[0] is not markup:
            known = markup, markup.model_dump(mode="json", exclude_none=True)
            if dumped is not None:
                dumped[id(markup)] = known
        reply_markup = known[1]
    first: tuple[str, str] | None = media[0] if media else None
    found = outbox.rows(
        chat_id=chat_id,
        person_id=person_id,
        kind=kind,
        text=text,
        reply_markup=reply_markup,
        now=now,
        media=first,
    )
    for medium in media[1:]:  # the rest of an album: one message each, after the captioned one
        found += outbox.rows(chat_id=chat_id, person_id=person_id, kind=kind, text="",
                             now=now, media=medium)
    return found


def _queue(
    session: AsyncSession, i18n: CatalogI18n, locale: str, *, chat_id: int,
    person_id: int | None, kind: str, now: datetime, render: Callable[[str], Rendered],
    media: Sequence[tuple[str, str]] = (),
) -> None:
    session.add_all([OutboxMessage(**values) for values in _rows(
        i18n, locale, chat_id=chat_id, person_id=person_id, kind=kind, now=now,
        render=render, media=media)])


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


class Reader(NamedTuple):
    """What a message needs of the person it goes to (their chat, their languages): a wave
    reads these four columns (`READER_COLUMNS`) instead of whole Person rows. A tuple: a wave
    makes tens of thousands."""

    id: int
    telegram_id: int  # the chat: a Telegram id, or a WhatsApp contact's (bot.channels.whatsapp.ids)
    locale: str | None
    telegram_language: str | None

    @classmethod
    def of(cls, row: Any) -> Reader:
        """From a row that selected `READER_COLUMNS` (among others)."""
        return cls(row.id, row.telegram_id, row.locale, row.telegram_language)


READER_COLUMNS = (Person.id, Person.telegram_id, Person.locale, Person.telegram_language)


class Localised(Protocol):
    """What a wave reads of the enterprise: its language (an Enterprise, or a row of it)."""

    @property
    def default_locale(self) -> str: ...


class Wave:
    """The same message to many people, as `notify` would queue it to each, at the cost of
    a wave: rendered once per locale of each group told (`tell`), and written with one
    INSERT run by the driver (`write`) instead of an ORM object per message."""

    def __init__(self, i18n: CatalogI18n, now: datetime, *,
                 default_locale: str | None = None) -> None:
        self.i18n, self.now = i18n, now
        self.default_locale = default_locale or i18n.default_locale
        self.queued: list[outbox.Queued] = []
        self._dumped: dict[int, tuple[InlineKeyboardMarkup, dict[str, Any]]] = {}
        self._rendered: dict[Hashable, dict[str, list[outbox.Message]]] = {}
        # The locale `notify` would choose, by what it reads: (person's locale, Telegram's
        # language, the enterprise's locale).
        self._locales: dict[tuple[str | None, str | None, str | None], str] = {}

    def tell(
        self,
        people: Iterable[Reader | Person],
        *,
        kind: str,
        enterprise: Localised | None,
        render: Callable[[str], Rendered],
        media: Sequence[tuple[str, str]] = (),
        same_as: Hashable | None = None,
    ) -> int:
        """Queue `render(locale)` to each of `people`, in the locale `notify` would choose.
        `render` must give the same message to everyone of one locale (it is called once per
        locale). Calls with the same `same_as` (say, a lesson's id) promise the same message
        too, and share their renders. Returns the number of people told."""
        enterprise_locale = enterprise.default_locale if enterprise else None
        rendered = {} if same_as is None else self._rendered.setdefault(same_as, {})
        told = 0
        for person in people:
            asked = person.locale, person.telegram_language, enterprise_locale
            locale = self._locales.get(asked)
            if locale is None:
                locale = self._locales[asked] = locale_outside_update(
                    person, enterprise_locale, self.default_locale)
            messages = rendered.get(locale)
            if messages is None:
                messages = rendered[locale] = [
                    outbox.Message(*(row[field] for field in outbox.Message._fields))
                    for row in _rows(self.i18n, locale, chat_id=0, person_id=None, kind=kind,
                                     now=self.now, render=render, media=media,
                                     dumped=self._dumped)]
            chat_id, person_id = person.telegram_id, person.id
            self.queued += [(chat_id, person_id, message) for message in messages]
            told += 1
        return told

    async def write(self, session: AsyncSession) -> int:
        """Write what was told to the outbox, in the caller's transaction; returns rows."""
        written = await outbox.insert_wave(session, self.now, self.queued)
        self.queued = []
        return written
