"""The journeys of the Telegram suites with the person on WhatsApp (the fake Cloud API, signed
webhooks) and the rest of the enterprise on Telegram: ideas reviewed and implemented, an
anonymous idea with a relayed question, an action's reminders, the weekly check-in, the pulse
survey and menus of every size. The same handlers answer both channels; the fake refuses what
Meta refuses, and no test here ever makes it refuse."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Person, Role, Suggestion, SuggestionStatus
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest, TgUser
from tests.fakes.whatsapp_cloud import WaMessage, WaUser

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _no_html(messages: list[WaMessage]) -> None:
    for message in messages:
        assert "<b>" not in message.text and "</" not in message.text, message.text


async def scheduled(tg: BotUnderTest, person: TgUser | WaUser) -> list[Any]:
    """One scheduler run; what reached `person` on their channel."""
    assert tg.wa is not None
    before = len(tg.wa.sent)
    sent = await tg.run_scheduled()
    if isinstance(person, WaUser):
        return [m for m in tg.wa.sent[before:] if m.to == person.wa_id]
    return [m for m in sent if m.chat_id == person.id]


async def wa_person(tg: BotUnderTest, user: WaUser) -> Person:
    from bot.channels.whatsapp.ids import chat_id_of
    from storage.models import WhatsAppContact

    async with tg.app.session_factory() as session:
        contact = await session.scalar(select(WhatsAppContact).where(
            WhatsAppContact.wa_id == user.wa_id))
        assert contact is not None
        person = await session.scalar(select(Person).where(
            Person.telegram_id == chat_id_of(contact.id)))
        assert person is not None
        return person


async def test_text_and_photo_ideas_from_whatsapp_reviewed_on_telegram(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        kumasi, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=kumasi)
        kofi = await tg.wa_join("Kofi", Role.WORKER, welding)

        # A text idea: typed after /suggest, the area skipped, sent with his name.
        (ask,) = await tg.wa.send(kofi, "/suggest")
        assert "idea" in ask.text.lower()
        (areas,) = await tg.wa.send(kofi, "Paint walkway lines around the welding bay")
        assert areas.type == "interactive"
        (question,) = await tg.wa.press(kofi, areas, "Skip")
        (received,) = await tg.wa.press(kofi, question, "with my name")
        assert "S1" in received.text

        (card,) = await scheduled(tg, abena)
        assert "Kofi" in card.text and "walkway" in card.text
        listed = await tg.send(abena, "/review")
        assert "walkway" in listed[0].text
        (under_review,) = await scheduled(tg, kofi)
        assert "S1" in under_review.text and "review" in under_review.text

        (accepted_card,) = await tg.press(abena, card, "Accept")
        assert "accepted" in accepted_card.text
        (accepted,) = await scheduled(tg, kofi)
        assert "S1" in accepted.text and "accepted" in accepted.text
        (ask_photo,) = await tg.press(abena, accepted_card, "Implemented")
        assert "after-photo" in ask_photo.text
        (impact,) = await tg.send(abena, None, photo=[{"file_id": "AFTER",
                                                        "file_unique_id": "after",
                                                        "width": 9, "height": 9}])
        (ask_money,) = await tg.press(abena, impact, "Money saved")
        (recorded,) = await tg.send(abena, "300")
        assert recorded.text == "Thank you: the impact is recorded."
        (implemented,) = await scheduled(tg, kofi)
        assert "S1" in implemented.text and "implemented" in implemented.text

        # A photo idea: the picture on its own, then the same questions.
        (is_it,) = await tg.wa.send_image(kofi, PNG, caption="Guard on the grinder")
        (areas,) = await tg.wa.press(kofi, is_it, 0)
        (question,) = await tg.wa.press(kofi, areas, "Skip")
        (received,) = await tg.wa.press(kofi, question, "with my name")
        assert "S2" in received.text
        (photo_card,) = await scheduled(tg, abena)
        assert photo_card.photo == PNG and "Guard on the grinder" in photo_card.text
        await tg.send(abena, "/review")
        (under_review,) = await scheduled(tg, kofi)
        assert "S2" in under_review.text
        (accepted_card,) = await tg.press(abena, photo_card, "Accept")
        (accepted,) = await scheduled(tg, kofi)
        assert "S2" in accepted.text and "accepted" in accepted.text

        async with tg.app.session_factory() as session:
            statuses = [s.status for s in await session.scalars(
                select(Suggestion).order_by(Suggestion.id))]
        assert statuses == [SuggestionStatus.IMPLEMENTED, SuggestionStatus.ACCEPTED]
        _no_html(tg.wa.messages_to(kofi))
        assert tg.wa.refused() == []
