"""The offline console drives the real dispatcher and handlers with no token and no network."""

from __future__ import annotations

import re

import pytest

from bot.app import build_application
from bot.config import Settings
from bot.offline.console import Console
from bot.offline.demo import DEMO_INVITE_TOKEN, seed_demo


@pytest.fixture
async def console(database_url):
    app = await build_application(Settings(database_url=database_url))
    async with app.session_factory() as session, session.begin():
        assert await seed_demo(session, app.clock)
    async with app.session_factory() as session, session.begin():
        assert not await seed_demo(session, app.clock)  # idempotent
    output: list[str] = []
    console = await Console.open(app, write=output.append)
    console.output = output  # type: ignore[attr-defined]
    yield console
    await console.close()
    await app.close()


async def type_lines(console: Console, *lines: str) -> str:
    console.output.clear()  # type: ignore[attr-defined]
    for line in lines:
        assert await console.handle_line(line)
    return "\n".join(console.output)  # type: ignore[attr-defined]


async def test_newcomer_joins_reads_help_and_switches_language(console):
    assert "Ama Mensah" in console.banner()
    shown = await type_lines(console, ":new vi", f"/start {DEMO_INVITE_TOKEN}")
    assert "Accra Garments Ltd" in shown
    assert "Chào mừng Newcomer" in shown

    shown = await type_lines(console, "/help")
    assert "/team" in shown and "/language" in shown

    shown = await type_lines(console, "/language")
    assert re.search(r"\[:\d+\.1\] English", shown)
    shown = await type_lines(console, ":3")  # Français
    assert re.search(r"bot #\d+ edited:", shown)
    shown = await type_lines(console, "/help")
    assert "Voici ce que je peux faire pour vous" in shown
    assert shown != await type_lines(console, ":as 1", "/help")


async def test_manager_creates_an_invite_by_pressing_numbers(console):
    shown = await type_lines(console, ":as 3", "/invite", ":1", ":1")
    assert "https://t.me/scorebot_demo_bot?start=" in shown
    assert "[photo" in shown


async def test_console_mistakes_are_explained(console):
    assert "Pick who you are first" in await type_lines(console, "hello")
    assert "Choose a number" in await type_lines(console, ":as 99")
    assert "no message with buttons" in await type_lines(console, ":as 1", ":4")
    assert "Unknown console command" in await type_lines(console, ":fly")
    assert not await console.handle_line(":quit")


@pytest.mark.parametrize("language", ["en", "es", "fr", "vi", "id", "zh", "hi", "zu"])
async def test_a_worker_reads_a_lesson_and_answers_its_quiz(console, language):
    from bot.content.loader import curriculum
    from bot.languages import match_locale

    lesson = curriculum().lessons[0]
    text = lesson.in_locale(match_locale(language) or "en")
    await type_lines(console, f":new {language}", f"/start {DEMO_INVITE_TOKEN}")
    shown = await type_lines(console, "/lesson")
    assert text.title in shown and text.options[0] in shown
    shown = await type_lines(console, f":{lesson.answer + 1}")
    assert "✅" in shown and text.feedback[lesson.answer][:30] in shown
    assert text.task[:30] in shown


async def test_a_suggestion_reaches_the_manager_in_the_console(console):
    shown = await type_lines(console, ":as 1", "/suggest", "Put a mat at the cutting table",
                             ":6", ":1")  # skip the area, send with my name
    # The demo's other factories have suggestions of their own: read the new reference.
    reference = re.search(r"suggestion (S\d+) has been received", shown).group(1)
    shown = await type_lines(console, ":as 3")  # Efua, the manager, reads French
    assert reference in shown and "Ama Mensah" in shown and "Put a mat" in shown
    shown = await type_lines(console, ":as 1")
    assert reference not in shown  # nothing new for Ama yet


async def test_the_demo_has_kpi_history_to_chart(console):
    shown = await type_lines(console, ":as 2", "/kpi")  # Kofi, team lead in Accra
    assert "[photo" in shown
    assert "3.6 %" in shown and "6 %" in shown  # this week's defect rate and its baseline
