"""What a tap costs the bot's one event loop, beside the work it must do: no filter is run on a
worker thread (aiogram sends every non-coroutine filter through `asyncio.to_thread`), and a Bot
API answer does not rebuild its pydantic `Response[...]` class each time (bot/app.py,
bot/channels/response_types.py). Speed itself is measured in bench/, not here."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.dispatcher.event import handler as aiogram_handler
from aiogram.methods import Response, SendMessage

from bot.channels.response_types import _KEPT
from storage.models import Role
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every callable aiogram sends to a worker thread while a test runs."""
    sent: list[str] = []

    async def to_thread(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        sent.append(repr(getattr(func, "func", func))[:120])
        return await asyncio.to_thread(func, *args, **kwargs)

    monkeypatch.setattr(aiogram_handler.asyncio, "to_thread", to_thread)
    return sent


async def test_a_day_of_taps_runs_every_filter_on_the_loop(database_url, threads):
    async with BotUnderTest(database_url) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        lesson, quiz = await tg.tap(ama, "📘 Lesson")
        assert lesson.text.startswith("Module 1")
        await tg.press(ama, quiz, 0)
        await tg.send(ama, "/suggest")
        await tg.send(ama, "Put the glue pots on a shelf by the press")
        await tg.send(ama, "/cancel")
        await tg.send(ama, "hello")
    assert threads == []
    # The answer type of each method called is kept, so the next answer reuses it.
    kept = _KEPT[SendMessage.__returning__]
    assert Response[SendMessage.__returning__] is kept
