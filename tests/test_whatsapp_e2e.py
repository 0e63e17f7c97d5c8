"""End to end with a person on WhatsApp (the fake Cloud API, signed webhooks) and the rest of
the enterprise on Telegram: the same conversation code answers both."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.whatsapp.ids import is_whatsapp_chat
from storage.models import Membership, Person, Role, WhatsAppContact
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest


def _no_html(messages) -> None:  # type: ignore[no-untyped-def]
    for message in messages:
        assert "<b>" not in message.text and "</" not in message.text, message.text


async def test_join_on_whatsapp_beside_a_manager_on_telegram(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        factory = tg.app.session_factory
        kumasi, welding = await enterprise_with_team(factory)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=kumasi)

        worker_invite = await invite(factory, kumasi, welding, Role.WORKER, tg.clock)
        kofi = tg.wa.person("233201234567", "Kofi")
        replies = await tg.wa.send(kofi, f"join {worker_invite.token}")
        assert any("You have joined Kumasi Metal Works as worker" in m.text for m in replies)
        _no_html(replies)

        # He is one person in the same enterprise as the Telegram manager, by a chat id of
        # the WhatsApp id space; his number is kept only in the contact row.
        async with factory() as session:
            person = await session.scalar(select(Person).where(Person.display_name == "Kofi"))
            assert person is not None and is_whatsapp_chat(person.telegram_id)
            roles = {m.role for m in await session.scalars(
                select(Membership).where(Membership.enterprise_id == kumasi.id))}
            assert roles == {Role.MANAGER, Role.WORKER}
            contact = await session.scalar(select(WhatsAppContact))
            assert contact is not None and contact.wa_id == "233201234567"

        # /help answers on WhatsApp, formatted for it.
        replies = await tg.wa.send(kofi, "/help")
        assert replies and "Kumasi Metal Works" in replies[0].text
        _no_html(replies)
        assert tg.messages_for(abena)  # the manager still talks to Telegram
        assert tg.wa.refused() == []


async def test_lesson_after_the_window_closed_goes_as_a_template_and_follows_the_tap(
        database_url):
    from datetime import UTC, datetime

    from bot.clock import FakeClock
    from bot.content.loader import curriculum
    from storage.models import LessonDelivery, WhatsAppHeld

    first = curriculum().lessons[0]
    async with BotUnderTest(database_url, whatsapp=True,
                            clock=FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))) as tg:
        assert tg.wa is not None
        factory = tg.app.session_factory
        _, packing = await enterprise_with_team(factory, "Accra Foods", "Packing",
                                                clock=tg.clock)
        ama = await tg.wa_join("Ama", Role.WORKER, packing)

        # Tuesday 10:00 in Accra, 26 hours after Ama last wrote: her window is closed, so the
        # lesson waits and an approved template tells her of it.
        tg.clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
        before = len(tg.wa.messages_to(ama))
        await tg.run_scheduled()
        (announcement,) = tg.wa.messages_to(ama)[before:]
        assert announcement.type == "template"
        assert announcement.body["template"]["name"] == "score_lesson"
        async with factory() as session:
            assert len(list(await session.scalars(select(WhatsAppHeld)))) == 1

        # She taps it: the lesson's message follows, and nothing is held any more.
        (teaser,) = await tg.wa.press(ama, announcement, 0)
        assert first.in_locale("en").title in teaser.text
        async with factory() as session:
            assert list(await session.scalars(select(WhatsAppHeld))) == []

        # The lesson and its quiz, answered with a WhatsApp button (or list row).
        replies = await tg.wa.press(ama, teaser, 0)
        quiz = replies[-1]
        en = first.in_locale("en")
        # "The workers themselves" passes a button's 20 characters: a list message.
        assert quiz.body["interactive"]["type"] == "list"
        assert [title for title, _ in quiz.choices()] == en.options
        replies = await tg.wa.press(ama, quiz, first.answer)
        assert any("✅" in m.text for m in replies)
        _no_html(tg.wa.messages_to(ama))
        async with factory() as session:
            delivery = await session.scalar(select(LessonDelivery))
            assert delivery is not None and delivery.correct is True
        # The bot never sent a free-form message outside the window.
        assert tg.wa.refused() == []


async def test_forget_on_whatsapp_keeps_no_number(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        _, welding = await enterprise_with_team(tg.app.session_factory)
        kofi = await tg.wa_join("Kofi", Role.WORKER, welding, wa_id="233209999999")
        (question,) = await tg.wa.send(kofi, "/forget")
        (gone,) = await tg.wa.press(kofi, question, "Yes, forget me")
        assert "forgotten you" in gone.text
        async with tg.app.session_factory() as session:
            assert list(await session.scalars(select(WhatsAppContact))) == []
            person = await session.scalar(select(Person))
            assert person is not None and person.forgotten_at is not None
        assert tg.wa.refused() == []


async def test_a_number_not_on_whatsapp_is_treated_like_a_blocked_bot(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        _, welding = await enterprise_with_team(tg.app.session_factory)
        kofi = await tg.wa_join("Kofi", Role.WORKER, welding)
        (welcome, *_) = tg.wa.messages_to(kofi)
        assert await tg.wa.status(welcome, "delivered") == 200
        async with tg.app.session_factory() as session:
            contact = await session.scalar(select(WhatsAppContact))
            assert contact is not None and contact.last_status == "delivered"
            assert (await session.scalar(select(Person))).blocked_bot is False
        assert await tg.wa.status(welcome, "failed", error_code=131026) == 200
        async with tg.app.session_factory() as session:
            assert (await session.scalar(select(Person))).blocked_bot is True


async def test_language_list_then_the_adapter_speaks_vietnamese(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        _, welding = await enterprise_with_team(tg.app.session_factory)
        lan = await tg.wa_join("Lan", Role.WORKER, welding)
        (picker,) = await tg.wa.send(lan, "/language")
        assert picker.body["interactive"]["type"] == "list"
        assert picker.body["interactive"]["action"]["button"] == "Choose"
        await tg.wa.press(lan, picker, "Tiếng Việt")
        (picker,) = await tg.wa.send(lan, "/language")
        assert picker.body["interactive"]["action"]["button"] == "Chọn"
        assert tg.wa.refused() == []


async def test_a_telegram_manager_invites_and_the_worker_joins_from_the_wa_me_link(
        database_url):
    import re
    from urllib.parse import unquote

    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        kumasi, _ = await enterprise_with_team(tg.app.session_factory)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=kumasi)
        (roles,) = await tg.send(abena, "/invite")
        replies = await tg.press(abena, roles, "worker")
        while not any("wa.me" in m.text for m in replies):
            replies = await tg.press(abena, replies[-1], "Welding")
        card = next(m for m in replies if "wa.me" in m.text)
        link = re.search(r"https://wa\.me/15550001\?text=(\S+)", card.text)
        assert link is not None
        kofi = tg.wa.person("233207777777", "Kofi")
        replies = await tg.wa.send(kofi, unquote(link.group(1)))
        assert any("as worker in the team “Welding”" in m.text for m in replies)
