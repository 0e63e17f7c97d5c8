"""A wave (`bot.notify.Wave`: rendered once per locale, written with one INSERT per batch)
queues exactly the rows `notify()` queues person by person: the same texts, keyboards,
captions and split albums, chat ids (Telegram and WhatsApp), kinds and moments, in the same
order; and the weekly check-in, written as a wave, tells the same people the same thing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.whatsapp.ids import chat_id_of
from bot.clock import FakeClock
from bot.content.loader import curriculum
from bot.i18n import build_i18n
from bot.notify import READER_COLUMNS, Reader, Wave, notify
from bot.presenters import kpis as ui
from bot.scheduling.checkins import run_checkins
from bot.scheduling.context import JobContext
from bot.services.next_due import refresh_enterprise
from storage.models import (
    Enterprise,
    EnterpriseKpi,
    Membership,
    OutboxMessage,
    Person,
    Role,
    Team,
)

NOW = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # a Friday
LONG = "x" * 1100  # too long for a caption: the text follows the media
# (locale chosen, Telegram's language, on WhatsApp?)
PEOPLE = [("fr", "en", False), (None, "es-ES", False), (None, "xx", False), (None, None, True),
          ("vi", None, True), (None, "zh-hans", False), ("zu", "hi", True), (None, "id", True)]


async def _people(session: AsyncSession) -> tuple[list[Enterprise], list[Person]]:
    enterprises = [Enterprise(name="Ateliers <Nord>", country="FR", timezone="Europe/Paris",
                              default_locale="hi", checkin_weekday=5, checkin_hour=9),
                   Enterprise(name="Sunrise", country="GH", timezone="UTC", default_locale="es",
                              checkin_weekday=5, checkin_hour=9)]
    session.add_all(enterprises)
    people = [Person(telegram_id=chat_id_of(n + 1) if whatsapp else 5000 + n,
                     display_name=f"P{n}", locale=locale, telegram_language=language)
              for n, (locale, language, whatsapp) in enumerate(PEOPLE)]
    session.add_all(people)
    await session.flush()
    for n, person in enumerate(people):
        session.add(Membership(person_id=person.id, enterprise_id=enterprises[n % 2].id,
                               role=Role.MANAGER if n < 4 else Role.TEAM_LEAD))
    await session.commit()
    return enterprises, people


def _render(name: str) -> Any:
    def render(_locale: str) -> tuple[str, InlineKeyboardMarkup]:
        return ui.invitation(name, 3) + " " + LONG, ui.start_keyboard(enterprise_id=7)
    return render


def _plain(_locale: str) -> str:
    return ui.reminder("Sunrise")


async def _rows(session: AsyncSession) -> list[dict[str, Any]]:
    table = OutboxMessage.__table__
    rows = (await session.execute(select(table).order_by(table.c.id))).mappings().all()
    return [{key: value for key, value in row.items() if key != "id"} for row in rows]


async def test_a_wave_queues_what_notify_queues(session: AsyncSession) -> None:
    i18n = build_i18n("fr")
    enterprises, people = await _people(session)
    media = [("photo", "PHOTO-1"), ("voice", "VOICE-1")]

    def each_way(tell: Any) -> None:
        for n, enterprise in enumerate(enterprises):
            mine = people[n::2]
            tell(mine, "checkin_invite", enterprise, _render(enterprise.name), media)
            tell(mine, "checkin_remind", enterprise, _plain, ())
        tell(people, "lesson", None, _plain, [("photo", "PHOTO-2")])

    def one_by_one(mine: list[Person], kind: str, enterprise: Enterprise | None, render: Any,
                   media: Any) -> None:
        for person in mine:
            notify(session, i18n, person, kind=kind, now=NOW, enterprise=enterprise,
                   render=render, media=media)

    each_way(one_by_one)
    await session.commit()
    before = await _rows(session)
    await session.execute(delete(OutboxMessage))
    await session.commit()

    readers = {row.id: Reader.of(row) for row in await session.execute(select(*READER_COLUMNS))}
    wave = Wave(i18n, NOW)

    def as_wave(mine: list[Person], kind: str, enterprise: Enterprise | None, render: Any,
                media: Any) -> None:
        wave.tell([readers[person.id] for person in mine], kind=kind, enterprise=enterprise,
                  render=render, media=media)

    each_way(as_wave)
    await wave.write(session)
    await session.commit()
    after = await _rows(session)

    assert after == before
    assert len(before) == 8 * 3 + 8 + 8  # split captions and albums included
    locales_seen = {row["text"] for row in before if row["kind"] == "checkin_remind"}
    assert len(locales_seen) >= 5  # several languages really were in play
    assert {row["chat_id"] for row in before} >= {chat_id_of(4), 5000}


async def test_the_checkin_wave_tells_whom_notify_would(
        session_factory: async_sessionmaker[AsyncSession]) -> None:
    i18n = build_i18n("en")
    async with session_factory() as session:
        enterprises, people = await _people(session)
        for enterprise in enterprises:
            session.add(Team(enterprise_id=enterprise.id, name="Production"))
            session.add(EnterpriseKpi(enterprise_id=enterprise.id, key="defect_rate", names={},
                                      unit="%", higher_is_better=False, low=0.0, high=100.0,
                                      baseline=10.0, target=5.0, position=0, active=True))
            await refresh_enterprise(session, enterprise, NOW)
        await session.commit()
    ctx = JobContext(session_factory, FakeClock(NOW), i18n, curriculum(), b"test relay key")
    assert await run_checkins(ctx) == len(PEOPLE)
    async with session_factory() as session:
        queued = await _rows(session)
        await session.execute(delete(OutboxMessage))
        for n, person in enumerate(people):
            enterprise = enterprises[n % 2]
            notify(session, i18n, person, kind="checkin_invite", now=NOW,
                   enterprise=enterprise,
                   render=lambda _l, e=enterprise: (ui.invitation(e.name, 1),
                                                    ui.start_keyboard()))
        await session.commit()
        expected = await _rows(session)
    assert sorted(queued, key=lambda r: r["chat_id"]) == sorted(expected,
                                                                key=lambda r: r["chat_id"])
    assert len({row["text"] for row in queued}) >= 5
