"""Workers who read little and type less: the main menu of big buttons, greetings, commands in
any letter case or nearly right, and ideas with no words in them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.content.loader import curriculum
from bot.services import actions
from storage.models import ActionItem, ActionStatus, Person, Role, Suggestion
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

WORKER_MENU = ["📘 Lesson", "💡 Idea", "✅ My actions", "📊 My team", "🌐 Language", "❓ Help"]


def labels(tg: BotUnderTest, locale: str, english: list[str]) -> list[str]:
    """The menu's labels as a person of `locale` sees them."""
    return [tg.app.i18n.gettext(label, locale=locale) for label in english]


async def _person(tg: BotUnderTest, telegram_id: int) -> Person:
    async with tg.app.session_factory() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        return person


async def test_a_worker_gets_the_menu_with_the_welcome_and_each_button_does_its_command(
        database_url):
    async with BotUnderTest(database_url) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        welcome = tg.messages_for(ama)[-1]
        assert welcome.text.startswith("Welcome, Ama!")
        assert tg.menu_of(ama) == WORKER_MENU
        assert [row for row in welcome.keyboard or []] == [WORKER_MENU[0:2], WORKER_MENU[2:4],
                                                           WORKER_MENU[4:6]]
        markup = json.loads(tg.telegram.calls_of("sendMessage")[-1].params["reply_markup"])
        assert markup["resize_keyboard"] is True and markup["is_persistent"] is True

        # Each button does what its command does, with the same answer.
        lesson, _quiz = await tg.tap(ama, "📘 Lesson")
        assert lesson.text.startswith("Module 1 · lesson 1")
        lesson, _quiz = await tg.send(ama, "/lesson")
        assert lesson.text.startswith("Module 1 · lesson 2")
        for label, command in [("📊 My team", "/team"), ("✅ My actions", "/actions"),
                               ("❓ Help", "/help")]:
            pressed = [m.text for m in await tg.tap(ama, label)]
            typed = [m.text for m in await tg.send(ama, command)]
            assert pressed == typed and pressed, label
        (chooser,) = await tg.tap(ama, "🌐 Language")
        assert chooser.text == "Choose your language:"
        (ask,) = await tg.tap(ama, "💡 Idea")
        assert "idea" in ask.text.lower()


async def test_leads_managers_and_consultants_get_their_own_menus(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team)
        efua = await tg.join("Efua", Role.MANAGER, enterprise=enterprise)
        yaw = await tg.join("Yaw", Role.CONSULTANT, enterprise=enterprise)
        assert tg.menu_of(kofi) == ["📝 Review ideas", "📈 Check-in", "📘 Lesson", "💡 Idea",
                                    "✅ Actions", "📉 KPIs", "📊 My team", "🌐 Language",
                                    "❓ Help"]
        assert tg.menu_of(efua) == ["📝 Review ideas", "📈 Check-in", "💡 Idea", "✅ Actions",
                                    "📉 KPIs", "📊 My team", "🌐 Language", "❓ Help"]
        assert tg.menu_of(yaw) == ["🏭 Teams", "✅ Actions", "📉 KPIs", "📊 My team",
                                   "🌐 Language", "❓ Help"]
        (queue,) = await tg.tap(kofi, "📝 Review")
        assert queue.text == (await tg.send(kofi, "/review"))[0].text
        health = await tg.tap(yaw, "🏭 Teams")
        assert [m.text for m in health] == [m.text for m in await tg.send(yaw, "/teams")]


async def test_the_menu_comes_in_the_new_language_after_language(database_url):
    async with BotUnderTest(database_url) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        (chooser,) = await tg.send(ama, "/language")
        await tg.press(ama, chooser, "Español")
        spanish = labels(tg, "es", WORKER_MENU)
        assert tg.menu_of(ama) == spanish and spanish != WORKER_MENU
        # An English label still works (a shared phone, an old keyboard).
        (lesson, _quiz) = await tg.send(ama, "📘 Lesson")
        assert "Módulo 1" in lesson.text


@pytest.mark.parametrize("greeting", ["hi", "Hello!", "hola", "bonjour", "xin chào", "chào",
                                      "halo", "你好", "नमस्ते", "sawubona", "👋"])
async def test_a_greeting_brings_the_menu_and_stores_nothing(database_url, greeting):
    async with BotUnderTest(database_url) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        stranger = tg.person("Stranger")
        async with tg.app.session_factory() as session:
            people = await session.scalar(select(func.count()).select_from(Person))
        (answer,) = await tg.send(ama, greeting)
        assert answer.text == "Hello, Ama! 👋 Tap a button below."
        assert answer.keyboard is not None and tg.menu_of(ama) == WORKER_MENU
        (how,) = await tg.send(stranger, greeting)
        assert "you need an invite" in how.text and how.keyboard is None
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(Person)) == people


async def test_what_cannot_be_placed_brings_the_menu(database_url):
    async with BotUnderTest(database_url) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        (answer,) = await tg.send(ama, "where is my pay slip")
        assert answer.text.startswith("Sorry, I did not understand that. Tap a button below")
        assert answer.keyboard is not None


async def test_commands_in_any_case_and_near_misses(database_url):
    async with BotUnderTest(database_url) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        typed_help = [m.text for m in await tg.send(ama, "/help")]
        assert [m.text for m in await tg.send(ama, "/Help")] == typed_help
        lesson, _quiz = await tg.send(ama, "/LESSON")
        assert lesson.text.startswith("Module 1 · lesson 1")

        (offer,) = await tg.send(ama, "/lesso")
        assert offer.text == "Did you mean /lesson?" and offer.button_texts() == ["/lesson"]
        second, _quiz = await tg.press(ama, offer, "/lesson")
        assert second.text.startswith("Module 1 · lesson 2")
        assert tg.telegram.unanswered_queries() == []
        (offer,) = await tg.send(ama, "/hlep")
        assert offer.text == "Did you mean /help?"
        (unknown,) = await tg.send(ama, "/nonexistent")
        assert unknown.text.startswith("I do not know that command")
        # A worker is not offered what they may not do, and a forged offer is refused.
        (offer,) = await tg.send(ama, "/revew")
        assert offer.text.startswith("I do not know that command")
        (refused,) = await tg.press_data(ama, offer, "cmd:review")
        assert refused.text.startswith("Sorry, your role does not allow that.")
        await tg.press_data(ama, offer, "cmd:nothing")
        assert "not valid" in tg.callback_answers()[-1]["text"]
        assert tg.telegram.unanswered_queries() == []


async def test_an_idea_with_no_words_is_asked_about_before_it_is_sent(database_url):
    async with BotUnderTest(database_url) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        await tg.tap(ama, "💡 Idea")
        for nothing in ["👍", "ok", "...", "🙂🙂🙂"]:
            (ask,) = await tg.send(ama, nothing)
            assert ask.text.startswith("Tell me a bit more?")
        (area,) = await tg.send(ama, "Put a mat by the press")
        assert area.text == "Which area is it about?"
        (anonymity,) = await tg.press(ama, area, 0)
        await tg.press(ama, anonymity, "Send with my name")
        async with tg.app.session_factory() as session:
            (text,) = (await session.scalars(select(Suggestion.text))).all()
        assert text == "Put a mat by the press"


@pytest.mark.parametrize("locale", ["vi", "zu"])
async def test_a_worker_who_only_taps_and_says_hi_learns_suggests_and_acts(database_url,
                                                                           locale):
    """A lesson with its quiz, a photo idea and an action marked done, in Vietnamese and in
    isiZulu, without one typed command (the invite link is opened, not typed)."""
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock,
                                                      locale=locale)
        worker = await tg.join("Linh", Role.WORKER, team, language=locale)
        menu = labels(tg, locale, WORKER_MENU)
        assert tg.menu_of(worker) == menu
        assert all(a != b for a, b in zip(menu[:4], WORKER_MENU[:4], strict=True))
        me = await _person(tg, worker.id)
        async with tg.app.session_factory() as session, session.begin():
            task = await actions.create(
                session, enterprise_id=enterprise.id, team_id=team.id, title="Sweep the aisle",
                owner=me, created_by=me, due_on=tg.clock.now().date() + timedelta(days=5),
                source="plan", source_ref="", now=tg.clock.now())
            task_id = task.id

        (hello,) = await tg.send(worker, "hi")
        assert hello.keyboard is not None and tg.menu_of(worker) == menu

        lesson, quiz = await tg.tap(worker, "📘")
        first = curriculum().lessons[0]
        assert first.in_locale(locale).title in lesson.text
        feedback, _task = await tg.press(worker, quiz, first.answer)
        assert "✅" in feedback.text

        (_ask,) = await tg.tap(worker, "💡")
        photo = {"photo": [{"file_id": "BEFORE", "file_unique_id": "b", "width": 9,
                            "height": 9}]}
        (area,) = await tg.send(worker, None, caption="", **photo)
        (anonymity,) = await tg.press(worker, area, 0)
        (received,) = await tg.press(worker, anonymity, 0)  # with my name
        assert "S1" in received.text

        mine = await tg.tap(worker, "✅")
        (done_prompt,) = await tg.press(worker, mine[0], 0)  # Done
        assert done_prompt.button_texts()
        async with tg.app.session_factory() as session:
            assert (await session.get(ActionItem, task_id)).status == ActionStatus.DONE
            suggestion = await session.scalar(select(Suggestion))
            assert suggestion is not None and suggestion.author_id == me.id
        typed = [m for m in tg.telegram.sent if m.chat_id == worker.id]
        assert typed  # the bot answered every tap
