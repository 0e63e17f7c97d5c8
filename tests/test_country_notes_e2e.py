"""Country notes under a lesson: what the law of the reader's country adds (the overtime rate
in the pay lesson), shown only to people whose enterprise is in that country, in their
language, end to end through the bot."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from bot.clock import FakeClock
from bot.content.loader import curriculum
from storage.models import Role, Team
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PAY = curriculum().get("m4-03-fair-pay-and-payslips")


async def pay_lesson_for(tg: BotUnderTest, name: str, language: str, enterprise: str,
                         country: str, timezone: str):
    """A worker of a new enterprise in `country` whose team is on module 4 asks for lessons
    until the pay lesson (the third of module 4) arrives; its messages."""
    factory = tg.app.session_factory
    firm, team = await enterprise_with_team(factory, enterprise, "Line 1", country=country,
                                            timezone=timezone, locale=language, clock=tg.clock)
    token = (await invite(factory, firm, team, Role.WORKER, tg.clock)).token
    person = tg.person(name, language)
    await tg.send(person, f"/start {token}")
    async with factory() as session, session.begin():
        await session.execute(update(Team).where(Team.id == team.id).values(current_module=4))
    for _ in range(2):
        await tg.send(person, "/lesson")
    messages = await tg.send(person, "/lesson")
    assert PAY.in_locale(language).title in messages[0].text
    return messages


def notes_in(messages) -> list[str]:  # type: ignore[no-untyped-def]
    """The country notes among the messages: any text of any country's note, any language."""
    every_note = {text: country for country, note in PAY.notes.items()
                  for text in note.text.values()}
    return [every_note[text] for message in messages for text in every_note
            if text in message.text]


async def test_peruvian_indian_and_ghanaian_workers_each_see_their_own_overtime_note(
        database_url):
    assert {"IN", "PE", "VN", "ID", "GH", "ZA"} <= set(PAY.notes)
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        rosa = await pay_lesson_for(tg, "Rosa", "es", "Lima Textiles", "PE", "America/Lima")
        priya = await pay_lesson_for(tg, "Priya", "hi", "Tiruppur Knits", "IN", "Asia/Kolkata")
        kofi = await pay_lesson_for(tg, "Kofi", "en", "Kumasi Metal Works", "GH",
                                    "Africa/Accra")
        wei = await pay_lesson_for(tg, "Wei", "zh_Hans", "Suzhou Parts", "CN", "Asia/Shanghai")

    # Lesson, the note for the reader's country in the reader's language, then the quiz.
    _lesson, note, quiz = rosa
    assert note.text == "📌 " + PAY.notes["PE"].text["es"]
    assert "25 %" in note.text and "35 %" in note.text
    assert quiz.button_texts() == PAY.in_locale("es").options
    assert notes_in(rosa) == ["PE"]

    _lesson, note, _quiz = priya
    assert note.text == "📌 " + PAY.notes["IN"].text["hi"]
    assert notes_in(priya) == ["IN"]

    _lesson, note, _quiz = kofi
    assert note.text == "📌 " + PAY.notes["GH"].text["en"]
    assert notes_in(kofi) == ["GH"]

    # No note for China: the lesson and its quiz only, and nobody else's note.
    assert len(wei) == 2 and notes_in(wei) == []
    # The lesson itself states no country's rate: that is what the notes are for.
    for locale, text in PAY.text.items():
        assert "1.5" not in text.body and "1,5" not in text.body, locale


def test_preview_shows_the_note_of_the_country_asked_for_only():
    from bot.content.check import preview

    shown = preview("m4-03", "es", "PE")
    assert PAY.notes["PE"].text["es"] in shown
    assert PAY.notes["IN"].text["en"] not in shown
    assert "📌" not in preview("m4-03", "es")
    # A note not translated into the reader's language is shown in English.
    assert PAY.notes["GH"].text["en"] in preview("m4-03", "fr", "gh")
