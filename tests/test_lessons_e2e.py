"""Lessons on a schedule, end to end with a fake clock: the lesson arrives at the team's
lesson time in the enterprise's timezone, the quiz gives feedback in the person's language,
and a wrong answer comes back as a review days later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.content.loader import curriculum
from storage.models import LessonDelivery, OutboxMessage, Person, Role
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

# Monday 2 March 2026, 15:00 in Ho Chi Minh City (UTC+7).
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TUESDAY_0959_HCM = datetime(2026, 3, 3, 2, 59, tzinfo=UTC)


async def test_scheduled_lesson_quiz_feedback_in_vietnamese_and_review(database_url):
    first = curriculum().lessons[0]
    vi = first.in_locale("vi")
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory,
                                   "Saigon Garments", "Sewing",
                                   country="VN", timezone="Asia/Ho_Chi_Minh", locale="vi",
                                   clock=tg.clock)
        lan = await tg.join("Lan", Role.WORKER, team, "vi")

        # Tuesday 09:59 in Ho Chi Minh City: nothing yet.
        tg.clock.set(TUESDAY_0959_HCM)
        assert await tg.run_scheduled() == []
        # 10:00: the lesson arrives, in Vietnamese, with a button to open it.
        tg.clock.advance(timedelta(minutes=1))
        (teaser,) = await tg.run_scheduled()
        assert teaser.chat_id == lan.id
        assert vi.title in teaser.text
        assert teaser.text.startswith("Bài học mới")
        # Running the scan again in the same minute sends nothing twice.
        assert await tg.run_scheduled() == []

        lesson_message, quiz = await tg.press(lan, teaser, 0)
        assert vi.title in lesson_message.text and vi.key_practice in lesson_message.text
        assert len(lesson_message.text) <= 900
        assert quiz.button_texts() == vi.options

        wrong = (first.answer + 1) % len(vi.options)
        feedback, task = await tg.press(lan, quiz, wrong)
        assert feedback.edited
        assert vi.feedback[wrong] in feedback.text
        assert "❌" in feedback.text
        assert vi.task in task.text
        # A second press on the same quiz does not change the recorded answer.
        await tg.press(lan, quiz, first.answer)
        async with tg.app.session_factory() as session:
            delivery = await session.scalar(select(LessonDelivery).where(
                LessonDelivery.lesson_id == first.id))
        assert delivery.correct is False and delivery.chosen_option == wrong

        # Three days later the question comes back as a review (Friday 10:00 there).
        tg.clock.set(TUESDAY_0959_HCM + timedelta(days=3, minutes=1))
        sent = await tg.run_scheduled()
        reviews = [m for m in sent if vi.question in m.text]
        assert len(reviews) == 1 and reviews[0].chat_id == lan.id
        (answered,) = await tg.press(lan, reviews[0], first.answer)
        assert "✅" in answered.text
        assert await tg.run_scheduled() == [] or all(
            vi.question not in m.text for m in await tg.run_scheduled())


async def test_one_reminder_then_the_team_lead_hears_of_three_missed(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory,
                                   "Accra Foods", "Packing",
                                   clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team, "en")
        ama = await tg.join("Ama", Role.WORKER, team, "en")

        to_ama = []
        tg.clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))  # Tuesday 10:00 in Accra
        for _week_half in range(3):
            sent = await tg.run_scheduled()
            to_ama += [m for m in sent if m.chat_id == ama.id]
            # Kofi opens his lessons; Ama never does.
            for message in [m for m in sent if m.chat_id == kofi.id and m.buttons]:
                await tg.press(kofi, message, 0)
            # A day later: one reminder for Ama, none for Kofi.
            tg.clock.advance(timedelta(hours=24))
            reminders = await tg.run_scheduled()
            assert [m.chat_id for m in reminders if "still waiting" in m.text] == [ama.id]
            tg.clock.advance(timedelta(hours=1))
            assert [m for m in await tg.run_scheduled() if "still waiting" in m.text] == []
            # Next lesson day (Thursday, then Tuesday).
            tg.clock.advance(timedelta(hours=23) if _week_half != 1 else timedelta(days=4))
            tg.clock.set(tg.clock.now().replace(hour=10, minute=0))

        sent = await tg.run_scheduled()
        notices = [m for m in sent if m.chat_id == kofi.id and "Ama" in m.text]
        assert len(notices) == 1
        assert "last 3 lessons" in notices[0].text
        # Told once, not again at the next lesson.
        tg.clock.advance(timedelta(days=2))
        assert not [m for m in await tg.run_scheduled() if m.chat_id == kofi.id and "Ama" in m.text]


async def test_pause_stops_lessons_and_on_demand_lessons_continue(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team, "en")
        replies = await tg.send(ama, "/pause")
        assert "Paused" in replies[0].text
        tg.clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
        assert await tg.run_scheduled() == []
        await tg.send(ama, "/resume")
        lesson, _quiz = await tg.send(ama, "/lesson")
        assert curriculum().lessons[0].in_locale("en").title in lesson.text
        lesson2, _quiz2 = await tg.send(ama, "/lesson")
        assert curriculum().lessons[1].in_locale("en").title in lesson2.text
        progress = (await tg.send(ama, "/progress"))[0].text
        assert "Module 1 (Workplace Cooperation): 2 of 6" in progress
        async with tg.app.session_factory() as session:
            assert (await session.scalar(select(Person).where(Person.telegram_id == ama.id))
                    ).paused is False
            assert await session.scalar(select(OutboxMessage.id)) is None


async def test_team_lead_sets_the_schedule_and_cannot_touch_another_team(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory,
                                   "Lima Textiles", "Tejido",
                                   country="PE", timezone="America/Lima", locale="es",
                                   clock=tg.clock)
        _other, other_team = await enterprise_with_team(tg.app.session_factory, "Other",
                                                        "Dyeing", clock=tg.clock)
        rosa = await tg.join("Rosa", Role.TEAM_LEAD, team, "es")
        worker = await tg.join("Juan", Role.WORKER, team, "es")

        editor = (await tg.send(rosa, "/schedule"))[0]
        assert "martes, jueves" in editor.text and "America/Lima" in editor.text
        editor = (await tg.press(rosa, editor, "lun"))[0]  # add Monday
        assert "lunes, martes, jueves" in editor.text
        editor = (await tg.press(rosa, editor, "+ 1"))[0]
        assert "11:00" in editor.text
        async with tg.app.session_factory() as session:
            from storage.models import Team

            tejido = await session.scalar(select(Team).where(Team.name == "Tejido"))
        assert tejido.lesson_weekdays == "1,2,4" and tejido.lesson_hour == 11

        # Buttons naming another team are refused; a worker cannot schedule at all.
        from bot.keyboards.callbacks import ScheduleCallback

        forged = ScheduleCallback(team_id=other_team.id, action="day", value=1).pack()
        await tg.press_data(rosa, editor, forged)
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        await tg.press_data(worker, editor, ScheduleCallback(team_id=tejido.id,
                                                             action="hour", value=1).pack())
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        async with tg.app.session_factory() as session:
            dyeing = await session.get(Team, other_team.id)
            tejido = await session.get(Team, tejido.id)
        assert dyeing.lesson_weekdays == "2,4" and tejido.lesson_hour == 11

        # The team lead sees the team's progress.
        await tg.send(worker, "/lesson")
        progress = "\n".join(m.text for m in await tg.send(rosa, "/progress"))
        assert "Tejido" in progress and "Juan" in progress


async def test_team_lead_turns_the_task_into_a_team_action(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team, "en")
        ama = await tg.join("Ama", Role.WORKER, team, "en")
        first = curriculum().lessons[0]

        _lesson, quiz = await tg.send(ama, "/lesson")
        _feedback, task = await tg.press(ama, quiz, first.answer)
        assert task.buttons == []  # workers get the task without the button
        from bot.keyboards.callbacks import LessonActionCallback

        await tg.press_data(ama, task, LessonActionCallback(key=first.key).pack())
        assert tg.callback_answers()[-1]["show_alert"] == "true"

        _lesson, quiz = await tg.send(kofi, "/lesson")
        _feedback, task = await tg.press(kofi, quiz, first.answer)
        (confirmation,) = await tg.press(kofi, task, "Make it a team action")
        assert "Added to the actions of “Welding”, due Mar 9, 2026" in confirmation.text
        await tg.press_data(kofi, task, LessonActionCallback(key=first.key).pack())
        listing = (await tg.send(ama, "/actions"))[0].text
        assert first.text["en"].task[:40] in listing and "Kofi" in listing

        async with tg.app.session_factory() as session:
            from storage.models import ActionItem

            items = list(await session.scalars(select(ActionItem)))
        assert len(items) == 1 and items[0].source_ref == first.id
