"""The outbox paces WhatsApp as it paces Telegram, from the one limits module (bot/limits.py):
80 messages a second for the number, one message every 6 s to one person, and the daily tier
of new business-initiated conversations; and a message to someone whose 24-hour window has
closed goes as the template of its kind, in the person's language. The fake Cloud API refuses
what Meta refuses beyond those limits; the sending clock is virtual (checked, nobody waits)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import conversation_recall
from bot.channels.whatsapp.ids import chat_id_of
from bot.clock import FakeClock
from bot.scheduling.outbox_sender import OutboxSender
from bot.scheduling.rate_limit import virtual_limiter
from bot.services.outbox import enqueue
from storage.models import OutboxMessage, OutboxStatus, Person, Role, WhatsAppContact
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest
from tests.fakes.whatsapp_cloud import WaUser

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def whatsapp_people(tg: BotUnderTest, count: int, *, wrote_at: datetime | None,
                          locale: str = "en", first: int = 0) -> list[tuple[int, WaUser]]:
    """`count` people on WhatsApp who last wrote at `wrote_at` (None: never): (chat id,
    their WhatsApp user)."""
    assert tg.wa is not None
    people = []
    async with tg.app.session_factory() as session, session.begin():
        for n in range(first, first + count):
            contact = WhatsAppContact(wa_id=f"2332{n:08d}", last_inbound_at=wrote_at,
                                      last_status="", created_at=MONDAY)
            session.add(contact)
            await session.flush()
            session.add(Person(telegram_id=chat_id_of(contact.id), display_name=f"W{n}",
                               locale=locale))
            user = tg.wa.person(contact.wa_id, f"W{n}")
            if wrote_at is not None:
                tg.wa.last_inbound[user.wa_id] = wrote_at
            people.append((chat_id_of(contact.id), user))
    return people


async def queue(tg: BotUnderTest, chats: list[int], kind: str, text: str) -> None:
    async with tg.app.session_factory() as session, session.begin():
        for chat in chats:
            enqueue(session, chat_id=chat, kind=kind, text=text, now=tg.clock.now())


async def drain(tg: BotUnderTest) -> None:
    while await tg.sender.send_pending():
        pass


async def pending(tg: BotUnderTest) -> int:
    async with tg.app.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.PENDING)) or 0)


async def test_a_wave_to_200_on_whatsapp_and_50_on_telegram_meets_no_refusal(database_url):
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        tg.wa.pace = tg.send_time.monotonic  # the fake judges the limits on the sending clock
        talking = await whatsapp_people(tg, 100, wrote_at=MONDAY - timedelta(hours=1))
        quiet = await whatsapp_people(tg, 100, wrote_at=MONDAY - timedelta(days=2), first=100)
        telegram = [tg.person(f"T{n}").id for n in range(50)]
        wa_chats = [chat for chat, _user in talking + quiet]
        # Ten of the talking get their lesson and a reminder right behind it (one chat's
        # messages go in order, paced per person); then the lesson to everyone else, mixed,
        # and a reminder to ten of the quiet and five on Telegram, queued last.
        for chat in wa_chats[:10]:
            await queue(tg, [chat], "lesson", "Lesson 3: Safety walks")
            await queue(tg, [chat], "lesson_reminder", "Your lesson is waiting")
        everyone = [c for pair in zip(wa_chats[10::2], wa_chats[11::2], telegram, strict=False)
                    for c in pair] + wa_chats[110:]
        assert len(set(everyone + wa_chats[:10])) == 250
        await queue(tg, everyone, "lesson", "Lesson 3: Safety walks")
        await queue(tg, wa_chats[100:110] + telegram[:5], "lesson_reminder",
                    "Your lesson is waiting")

        await drain(tg)

        assert tg.wa.refused() == []
        assert await pending(tg) == 0
        texts = [m for m in tg.wa.sent if m.type != "template"]
        templates = [m for m in tg.wa.sent if m.type == "template"]
        assert len(texts) == 110  # the talking: their lesson and 10 reminders
        assert len(templates) == 100  # the quiet: one template each; the reminder is held
        assert {m.body["template"]["name"] for m in templates} == {"score_lesson"}
        assert len(tg.telegram.calls_of("sendMessage")) == 55
        # One person's two messages went at least 6 s apart (virtual sending time).
        assert tg.send_time.now >= 6.0


async def test_beyond_the_daily_tier_a_new_conversation_waits_for_the_next_day(
        database_url, caplog):
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        tg.wa.daily_tier = 30
        limiter, tg.send_time = virtual_limiter(daily_conversations=30)
        tg.sender = OutboxSender(tg.app.session_factory, tg.bot, tg.clock, limiter)
        quiet = await whatsapp_people(tg, 50, wrote_at=None)
        talking = await whatsapp_people(tg, 5, wrote_at=MONDAY - timedelta(hours=2), first=50)
        await queue(tg, [chat for chat, _ in quiet + talking], "lesson", "Lesson 4: 5S")

        with caplog.at_level(logging.WARNING, logger="bot.scheduling.outbox_sender"):
            await drain(tg)

        assert tg.wa.refused() == []
        # 30 new conversations today; the open windows are not new conversations.
        assert len([m for m in tg.wa.sent if m.type == "template"]) == 30
        assert len([m for m in tg.wa.sent if m.type != "template"]) == 5
        assert await pending(tg) == 20
        waits = [r.getMessage() for r in caplog.records if "daily tier" in r.getMessage()]
        assert len(waits) == 20
        for line in waits:  # no number, no name, no chat
            assert "2332" not in line and " W" not in line and str(quiet[0][0])[:6] not in line

        await tg.advance(hours=12)  # still within the 24 hours
        assert await pending(tg) == 20
        tg.clock.advance(timedelta(hours=12, minutes=1))
        await drain(tg)
        assert await pending(tg) == 0
        assert tg.wa.refused() == []
        assert len([m for m in tg.wa.sent if m.type == "template"]) == 50


async def test_the_daily_tier_is_remembered_across_a_restart_without_redis(database_url):
    """Without Redis the tier is counted in the sending process; a new process counts the
    conversations of the last 24 hours from the database, so a restart after a full day's
    wave opens no more conversations than the tier."""
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        tg.wa.daily_tier = 10

        def sender_as_started() -> None:  # the limits of a process that has just started
            limiter, tg.send_time = virtual_limiter(daily_conversations=10,
                                                    recall=conversation_recall(tg.app))
            tg.sender = OutboxSender(tg.app.session_factory, tg.bot, tg.clock, limiter)

        sender_as_started()
        monday = await whatsapp_people(tg, 10, wrote_at=None)
        await queue(tg, [chat for chat, _ in monday], "lesson", "Lesson 4: 5S")
        await drain(tg)
        assert len([m for m in tg.wa.sent if m.type == "template"]) == 10

        await tg.restart()  # nothing in memory survives
        sender_as_started()
        tg.clock.advance(timedelta(hours=20))
        later = await whatsapp_people(tg, 3, wrote_at=None, first=10)
        await queue(tg, [chat for chat, _ in later], "lesson", "Lesson 5: Safety")
        # One of Monday's ten again: their conversation is already counted, it may go (held
        # behind the template they have not tapped yet).
        await queue(tg, [monday[0][0]], "lesson_reminder", "Lesson 4 is waiting")
        await drain(tg)
        assert tg.wa.refused() == []
        assert len([m for m in tg.wa.sent if m.type == "template"]) == 10
        assert await pending(tg) == 3  # the new people wait for the tier

        tg.clock.advance(timedelta(hours=4, minutes=1))  # Monday's conversations are a day old
        await drain(tg)
        assert await pending(tg) == 0
        assert len([m for m in tg.wa.sent if m.type == "template"]) == 13
        assert tg.wa.refused() == []


async def test_a_closed_window_gets_the_template_of_the_kind_in_the_persons_language(
        database_url):
    """A lesson wave and a reminder to people whose window has closed: each goes as the
    template of its kind in the person's language, and the full message follows the tap."""
    from bot.content.loader import curriculum

    first = curriculum().lessons[0]
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(MONDAY)) as tg:
        assert tg.wa is not None
        factory = tg.app.session_factory
        _, packing = await enterprise_with_team(factory, "Accra Foods", "Packing",
                                                clock=tg.clock)
        maria = await tg.wa_join("María", Role.WORKER, packing)
        lan = await tg.wa_join("Lan", Role.WORKER, packing)
        async with factory() as session, session.begin():
            for name, locale in (("María", "es"), ("Lan", "vi")):
                person = await session.scalar(select(Person).where(
                    Person.display_name == name))
                assert person is not None
                person.locale = locale

        # Tuesday 10:00, 26 hours after they last wrote: the lesson wave.
        tg.clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
        await tg.run_scheduled()
        for user, language in ((maria, "es"), (lan, "vi")):
            announcement = tg.wa.messages_to(user)[-1]
            assert announcement.type == "template"
            assert announcement.body["template"]["name"] == "score_lesson"
            assert announcement.body["template"]["language"]["code"] == language
            (preview,) = announcement.body["template"]["components"][0]["parameters"]
            assert preview["text"]  # {{1}}: the first line of the lesson's message

        # María taps: her lesson follows, in Spanish.
        (teaser,) = await tg.wa.press(maria, tg.wa.messages_to(maria)[-1], 0)
        assert first.in_locale("es").title in teaser.text

        # A reminder to Lan, whose window is still closed, and who has a lesson waiting
        # already: one template announces both. For someone with nothing waiting, the
        # reminder's own template.
        async with factory() as session:
            lan_chat = await session.scalar(select(Person.telegram_id).where(
                Person.display_name == "Lan"))
        kim = await tg.wa_join("Kim", Role.WORKER, packing)
        async with factory() as session, session.begin():
            person = await session.scalar(select(Person).where(Person.display_name == "Kim"))
            assert person is not None
            person.locale = "zh_Hans"
            kim_chat = person.telegram_id
        tg.clock.advance(timedelta(days=2))
        before = len(tg.wa.messages_to(lan))
        await queue(tg, [lan_chat, kim_chat], "lesson_reminder", "Lesson 1 is waiting for you")
        await drain(tg)
        assert tg.wa.messages_to(lan)[before:] == []  # held behind the lesson's template
        reminder = tg.wa.messages_to(kim)[-1]
        assert reminder.body["template"]["name"] == "score_reminder"
        assert reminder.body["template"]["language"]["code"] == "zh_CN"
        (follows,) = await tg.wa.press(kim, reminder, 0)
        assert "Lesson 1 is waiting for you" in follows.text

        # Lan taps her lesson's template at last: the lesson, then the reminder.
        replies = await tg.wa.press(lan, tg.wa.messages_to(lan)[-1], 0)
        assert first.in_locale("vi").title in replies[0].text
        assert "Lesson 1 is waiting for you" in replies[-1].text
        assert tg.wa.refused() == []
