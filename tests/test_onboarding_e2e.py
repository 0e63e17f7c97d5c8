"""End to end, over HTTP against the fake Bot API: people join with invites, learn what they
can do, switch language, and cannot use buttons that are not theirs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.keyboards.callbacks import InviteCallback, LanguageCallback
from bot.logs import ContextFilter
from storage.models import AuditEvent, Invite, Membership, Person, Role
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest


async def test_invite_join_help_and_forged_button_refused(database_url, caplog):
    async with BotUnderTest(database_url) as tg:
        factory = tg.app.session_factory
        kumasi, welding = await enterprise_with_team(factory)
        other, other_team = await enterprise_with_team(
            factory, "Lima Textiles SAC", "Tejido", country="PE", timezone="America/Lima",
            locale="es",
        )
        manager_invite = await invite(factory, kumasi, None, Role.MANAGER, tg.clock)
        worker_invite = await invite(factory, kumasi, welding, Role.WORKER, tg.clock, uses=20)

        # A manager joins with her invite and is greeted.
        abena = tg.person("Abena", "en")
        replies = await tg.send(abena, f"/start {manager_invite.token}")
        assert "You have joined Kumasi Metal Works as manager" in replies[0].text
        assert "invite" in tg.telegram.menu(abena.id)

        # /help lists what a manager can do.
        replies = await tg.send(abena, "/help")
        assert "/invite" in replies[0].text
        assert "/team" in replies[0].text
        assert "Your role at Kumasi Metal Works: manager." in replies[0].text

        # A worker joins with the poster invite; his menu has no /invite.
        kwame = tg.person("Kwame", "en")
        replies = await tg.send(kwame, f"/start {worker_invite.token}")
        assert "as worker in the team “Welding”" in replies[0].text
        assert "invite" not in tg.telegram.menu(kwame.id)
        replies = await tg.send(kwame, "/help")
        assert "/invite" not in replies[0].text

        # The manager starts an invite; the worker forges her button for his own use.
        replies = await tg.send(abena, "/invite")
        role_message = replies[0]
        assert role_message.button_texts() == ["worker", "team lead", "manager"]
        caplog.set_level(logging.WARNING)
        caplog.handler.addFilter(ContextFilter())  # each line gets the update's fields
        replies = await tg.press(kwame, role_message, "manager")
        answers = tg.callback_answers()
        assert answers[-1]["show_alert"] == "true"
        assert "your role does not allow that" in answers[-1]["text"]
        # Who was refused is in the line's fields (the person id), never a Telegram id.
        assert any("refused" in r.getMessage() and r.context.get("person_id")
                   and str(kwame.id) not in r.getMessage() for r in caplog.records)

        # The manager forges a button naming another enterprise's team: refused and logged.
        forged = InviteCallback(enterprise_id=kumasi.id, role="worker", team_id=other_team.id)
        replies = await tg.press_data(abena, role_message, forged.pack())
        assert "not valid any more" in tg.callback_answers()[-1]["text"]
        assert any("team outside" in r.getMessage() for r in caplog.records)
        forged = InviteCallback(enterprise_id=other.id, role="manager")
        await tg.press_data(abena, role_message, forged.pack())
        assert "not valid any more" in tg.callback_answers()[-1]["text"]

        # Garbage button data gets the same polite answer.
        await tg.press_data(abena, role_message, "inv:not-a-number")
        await tg.press_data(abena, role_message, "x" * 64)
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        assert tg.telegram.unanswered_queries() == []

        # No invite was created by any of the refused presses.
        async with factory() as session:
            invites = await session.scalar(select(func.count()).select_from(Invite))
        assert invites == 2

        # Her real press goes through: role, team, then the link and a QR code photo.
        replies = await tg.press(abena, role_message, "worker")
        replies = await tg.press(abena, replies[-1], "Welding")
        link_message, qr_photo = replies
        assert "https://t.me/scorebot_test_bot?start=" in link_message.text
        assert "It can be used 50 times." in link_message.text
        assert qr_photo.photo is not None and qr_photo.photo.startswith(b"\x89PNG")
        token = link_message.text.split("?start=")[1].split()[0]

        # A newcomer joins with the link she made.
        esi = tg.person("Esi", "en")
        replies = await tg.send(esi, f"/start {token}")
        assert "as worker in the team “Welding”" in replies[0].text

        async with factory() as session:
            members = await session.scalar(select(func.count()).select_from(Membership))
            actions = set(await session.scalars(select(AuditEvent.action)))
        assert members == 3
        assert {"invite.create", "membership.join", "enterprise.create"} <= actions


async def test_language_follows_telegram_then_the_persons_choice(database_url):
    async with BotUnderTest(database_url) as tg:
        factory = tg.app.session_factory
        enterprise, team = await enterprise_with_team(factory)
        token = (await invite(factory, enterprise, team, Role.WORKER, tg.clock)).token

        lan = tg.person("Lan", "vi")
        replies = await tg.send(lan, f"/start {token}")
        assert replies[0].text.startswith("Chào mừng Lan!")

        replies = await tg.send(lan, "/language")
        assert "✓ Tiếng Việt" in replies[0].button_texts()
        replies = await tg.press(lan, replies[0], "Español")
        assert replies[0].edited
        assert "español" in replies[0].text.lower()
        replies = await tg.send(lan, "/help")
        assert replies[0].text.startswith("Esto es lo que puedo hacer por ti:")

        # A forged language code is refused and nothing changes.
        await tg.press_data(lan, replies[0], LanguageCallback(code="xx").pack())
        assert "show_alert" in tg.callback_answers()[-1]
        async with factory() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == lan.id))
        assert person is not None and person.locale == "es"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("garbled", "I do not recognise this invite"),
        ("expired", "This invite expired on"),
        ("used_up", "This invite has been used up"),
    ],
)
async def test_bad_invites_get_a_clear_answer_and_write_nothing(database_url, case, expected):
    async with BotUnderTest(database_url) as tg:
        factory = tg.app.session_factory
        enterprise, team = await enterprise_with_team(factory)
        good = await invite(factory, enterprise, team, Role.WORKER, tg.clock, uses=1, days=1)
        if case == "expired":
            from datetime import timedelta

            tg.clock.advance(timedelta(days=2))
        if case == "used_up":
            await tg.send(tg.person("First", "en"), f"/start {good.token}")
        token = "no-such-token-%%%" if case == "garbled" else good.token

        late = tg.person("Late", "en")
        replies = await tg.send(late, f"/start {token}")
        assert expected in replies[0].text
        async with factory() as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == late.id))
        assert person is None


async def test_strangers_are_told_how_to_join(database_url):
    async with BotUnderTest(database_url) as tg:
        stranger = tg.person("Stranger", "fr")
        for text in ("/start", "hello", "/team", "/invite", "/nonsense"):
            replies = await tg.send(stranger, text)
            assert len(replies) == 1, text
            assert replies[0].text
        sticker = {"sticker": {"file_id": "s1", "file_unique_id": "u1", "width": 512,
                               "height": 512, "is_animated": False, "is_video": False,
                               "type": "regular"}}
        replies = await tg.send(stranger, None, **sticker)
        assert len(replies) == 1
        async with tg.app.session_factory() as session:
            people = await session.scalar(select(func.count()).select_from(Person))
        assert people == 0


async def test_a_programme_admin_invites_the_first_manager(database_url):
    async with BotUnderTest(database_url, admin_ids=[4242]) as tg:
        enterprise, _team = await enterprise_with_team(tg.app.session_factory)
        await enterprise_with_team(tg.app.session_factory, "Second Ltd", "Dyeing")
        admin = tg.person("Programme", "en", user_id=4242)

        replies = await tg.send(admin, "/help")
        assert "You are a programme administrator" in replies[0].text
        assert "/invite" in replies[0].text
        replies = await tg.send(admin, "/invite")
        assert replies[0].button_texts() == ["Kumasi Metal Works", "Second Ltd"]
        replies = await tg.press(admin, replies[0], "Kumasi Metal Works")
        assert "consultant" in " ".join(replies[0].button_texts()).lower()
        replies = await tg.press(admin, replies[0], "manager")
        token = replies[0].text.split("?start=")[1].split()[0]

        replies = await tg.send(tg.person("Adjoa", "en"), f"/start {token}")
        assert "You have joined Kumasi Metal Works as manager" in replies[0].text

        # Someone else is not a programme admin just for asking.
        stranger = tg.person("Curious", "en")
        replies = await tg.send(stranger, "/invite")
        assert "not part of an improvement team" in replies[0].text
        forged = InviteCallback(enterprise_id=enterprise.id, role="admin").pack()
        await tg.press_data(stranger, replies[0], forged)
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(Invite)) == 1
