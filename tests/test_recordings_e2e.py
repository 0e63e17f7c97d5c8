"""Lessons you can listen to, recorded by people: a consultant records m2-04 in Spanish, a
second consultant approves it, a Spanish worker gets "▶️ Listen" and hears it; a French
worker does not see the button."""

from __future__ import annotations

from sqlalchemy import select

from bot.content.loader import curriculum
from bot.services import lessons
from storage.models import LessonRecording, Person, Role, Team
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest, TgUser
from tests.test_cli import scorebot

VOICE = {"voice": {"file_id": "VOICE-M2-04-ES", "file_unique_id": "v1", "duration": 95}}


async def _give_lesson(tg: BotUnderTest, user: TgUser, team: Team, lesson_id: str) -> None:
    """The lesson is waiting for the person, as after the team's lesson day."""
    lesson = curriculum().by_key(lesson_id)
    assert lesson is not None
    async with tg.app.session_factory() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
        team = await session.merge(team)
        lessons.record_delivery(session, person, lesson, team, tg.clock.now(), scheduled=True)


async def test_a_recorded_and_approved_lesson_is_heard_in_its_language_only(database_url,
                                                                            tmp_path):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        lucia = await tg.join("Lucía", Role.CONSULTANT, enterprise=enterprise, language="es")
        tom = await tg.join("Tom", Role.CONSULTANT, enterprise=enterprise)
        pedro = await tg.join("Pedro", Role.WORKER, team, language="es")
        amelie = await tg.join("Amélie", Role.WORKER, team, language="fr")
        rosa = await tg.join("Rosa", Role.WORKER, team, language="es")
        await tg.run_scheduled()

        (ask,) = await tg.send(lucia, "/record m2-04")
        assert "m2-04" in ask.text and "Español" in ask.text
        (nudge,) = await tg.send(lucia, "hola, ya voy")
        assert nudge.text == "Por favor, envía una nota de voz o toca Cancelar."
        (thanks,) = await tg.send(lucia, None, **VOICE)
        assert "m2-04" in thanks.text
        async with tg.app.session_factory() as session:
            (recording,) = (await session.scalars(select(LessonRecording))).all()
            assert recording.file_id == "VOICE-M2-04-ES" and recording.locale == "es"
            assert recording.approved_at is None

        # Not heard before a second person approves it; Lucía may not approve her own.
        await _give_lesson(tg, rosa, team, "m2-04")
        lesson, _quiz = await tg.tap(rosa, "📘")
        assert "Módulo 2" in lesson.text and lesson.button_texts() == []
        (notice,) = [m for m in await tg.run_scheduled() if m.chat_id == tom.id]
        assert notice.voice is not None and "Lucía recorded" in notice.text
        assert notice.button_texts() == ["Approve", "Reject"]
        await tg.press_data(lucia, notice, notice.button("Approve")["callback_data"])
        assert tg.callback_answers()[-1]["text"] == (
            "Una segunda persona debe aprobar tu propia grabación.")

        (done,) = await tg.press(tom, notice, "Approve")
        assert "m2-04" in done.text
        async with tg.app.session_factory() as session:
            recording = await session.scalar(select(LessonRecording))
            tom_id = await session.scalar(select(Person.id).where(Person.telegram_id == tom.id))
            assert recording is not None and recording.approved_by_id == tom_id
        told = [m for m in await tg.run_scheduled() if m.chat_id == lucia.id]
        assert any("m2-04" in m.text for m in told)

        # The Spanish worker sees ▶️ Listen on m2-04 and hears it.
        await _give_lesson(tg, pedro, team, "m2-04")
        (again, _quiz) = await tg.tap(pedro, "📘")
        assert again.button_texts() == ["▶️ Escuchar"]
        (heard,) = await tg.press(pedro, again, "▶️")
        assert heard.voice == b"VOICE-M2-04-ES"
        assert curriculum().by_key("m2-04").in_locale("es").title in heard.text

        # `scorebot content check` counts it, per language.
        result = scorebot("content", "check", cwd=tmp_path, DATABASE_URL=database_url)
        assert result.returncode == 0, result.stderr
        assert "  es       1 of 30" in result.stdout and "  fr       0 of 30" in result.stdout

        # The French worker gets the same lesson without the button.
        await _give_lesson(tg, amelie, team, "m2-04")
        french, _quiz = await tg.tap(amelie, "📘")
        assert "Module 2" in french.text and french.button_texts() == []
        # A forged Listen from her is refused.
        await tg.press_data(amelie, french, again.button("▶️")["callback_data"])
        assert "plus valable" in tg.callback_answers()[-1]["text"]
        assert tg.telegram.unanswered_queries() == []


async def test_only_consultants_and_admins_record_and_bad_lessons_are_explained(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        yaw = await tg.join("Yaw", Role.ADMIN, enterprise=enterprise)
        (refused,) = await tg.send(ama, "/record m2-04")
        assert refused.text.startswith("Sorry, your role does not allow that.")
        (unknown,) = await tg.send(yaw, "/record m9-99")
        assert unknown.text.startswith("I do not know the lesson “m9-99”.")
        (empty,) = await tg.send(yaw, "/record")
        assert empty.text.startswith("No recordings wait for approval.")
        (ask,) = await tg.send(yaw, "/record m1-02 vi")
        assert "Tiếng Việt" in ask.text
        (cancelled,) = await tg.press(yaw, ask, "Cancel")
        assert cancelled.text == "Cancelled. Nothing was saved."
        async with tg.app.session_factory() as session:
            assert (await session.scalars(select(LessonRecording))).all() == []
