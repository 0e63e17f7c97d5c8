"""When our own code fails, nothing half-written stays, the failure is logged with context,
and the person is told in their language."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

import bot.handlers.language as language_handlers
from storage.models import AuditEvent, Person
from tests.fakes.harness import BotUnderTest


async def test_a_failing_handler_rolls_back_and_apologises(database_url, monkeypatch, caplog):
    real_choose_locale = language_handlers.choose_locale

    def choose_then_fail(session, person, locale):  # type: ignore[no-untyped-def]
        real_choose_locale(session, person, locale)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(language_handlers, "choose_locale", choose_then_fail)
    async with BotUnderTest(database_url) as tg:
        rosa = tg.person("Rosa", "es-PE")
        menu = (await tg.send(rosa, "/language"))[0]
        caplog.set_level(logging.ERROR)
        await tg.press(rosa, menu, "Français")

        answer = tg.callback_answers()[-1]
        assert answer["show_alert"] == "true"
        assert answer["text"].startswith("Perdón, algo falló")  # in her Telegram language
        assert any("disk on fire" in r.getMessage() and str(rosa.id) in r.getMessage()
                   for r in caplog.records)
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(Person)) == 0
            assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0
