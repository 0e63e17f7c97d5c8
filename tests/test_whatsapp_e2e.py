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
