"""For workers who read little (issue 19), beyond the menu (tests/test_menu_e2e.py) and lessons
read aloud (tests/test_recordings_e2e.py): a consultant's picture in a lesson for their own
enterprises, approved by a second one; voice first, chosen in /language; the quiz question
read aloud; and what /mydata and /forget do with recordings and pictures."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.content.loader import Curriculum, curriculum
from bot.content.schema import Lesson
from bot.limits import CAPTION_MAX, plain_text, telegram_length
from bot.presenters import lessons as lesson_ui
from bot.services import lessons, pictures, recordings
from storage.models import (
    Enterprise,
    LessonPicture,
    LessonRecording,
    Person,
    Role,
    Team,
)
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest, TgUser
from tests.test_cli import scorebot

PHOTO = {"photo": [{"file_id": "SMALL", "file_unique_id": "s", "width": 90, "height": 90},
                   {"file_id": "GUARDED-PRESS", "file_unique_id": "g", "width": 900,
                    "height": 900}]}


def voice(file_id: str) -> dict[str, dict[str, object]]:
    return {"voice": {"file_id": file_id, "file_unique_id": file_id, "duration": 60}}


async def _person(tg: BotUnderTest, user: TgUser) -> Person:
    async with tg.app.session_factory() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
        assert person is not None
        return person


async def _give_lesson(tg: BotUnderTest, user: TgUser, team: Team, key: str) -> None:
    """The lesson is waiting for the person, as after the team's lesson day."""
    lesson = curriculum().by_key(key)
    assert lesson is not None
    async with tg.app.session_factory() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
        lessons.record_delivery(session, person, lesson, await session.merge(team),
                                tg.clock.now(), scheduled=True)


async def _approved_recording(tg: BotUnderTest, key: str, locale: str, file_id: str,
                              by: TgUser, approver: TgUser, part: recordings.Part = "lesson",
                              ) -> None:
    lesson = curriculum().by_key(key)
    assert lesson is not None
    recorder, second = await _person(tg, by), await _person(tg, approver)
    async with tg.app.session_factory() as session, session.begin():
        recording = recordings.record(session, lesson_id=lesson.id, locale=locale,
                                      file_id=file_id, by=recorder, now=tg.clock.now(),
                                      part=part)
        await session.flush()
        recordings.approve(session, recording, second, tg.clock.now())


async def test_a_picture_comes_with_the_lesson_once_approved_in_its_enterprises_only(
        database_url, tmp_path):
    async with BotUnderTest(database_url) as tg:
        kumasi, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        _accra, packing = await enterprise_with_team(tg.app.session_factory, "Accra Foods",
                                                     "Packing", clock=tg.clock)
        lucia = await tg.join("Lucía", Role.CONSULTANT, enterprise=kumasi)
        yaw = await tg.join("Yaw", Role.ADMIN, enterprise=kumasi)
        ama = await tg.join("Ama", Role.WORKER, welding)
        kofi = await tg.join("Kofi", Role.WORKER, packing)
        await tg.run_scheduled()

        (ask,) = await tg.send(lucia, "/picture m2-04")
        assert "m2-04" in ask.text and "Kumasi Metal Works" in ask.text
        assert "Accra Foods" not in ask.text
        (nudge,) = await tg.send(lucia, "a guarded press")
        assert nudge.text == "Please send a photo, or tap Cancel."
        (thanks,) = await tg.send(lucia, None, caption="", **PHOTO)
        assert thanks.text.startswith("Thank you! Your picture for m2-04 waits")
        async with tg.app.session_factory() as session:
            (picture,) = (await session.scalars(select(LessonPicture))).all()
            assert picture.file_id == "GUARDED-PRESS" and picture.approved_at is None
            assert await pictures.enterprise_names(session, picture) == ["Kumasi Metal Works"]

        # Not shown before a second person approves it.
        await _give_lesson(tg, ama, welding, "m2-04")
        text, _quiz = await tg.tap(ama, "📘")
        assert text.photo is None and "Module 2" in text.text
        (notice,) = [m for m in await tg.run_scheduled() if m.chat_id == yaw.id]
        assert notice.photo == b"GUARDED-PRESS" and "Lucía added a picture" in notice.text
        assert "Kumasi Metal Works" in notice.text
        assert notice.button_texts() == ["Approve", "Reject"]
        await tg.press_data(lucia, notice, notice.button("Approve")["callback_data"])
        assert tg.callback_answers()[-1]["text"] == (
            "A second person must approve your own picture.")
        # A consultant of another enterprise only may not approve it.
        outsider = await tg.join("Esi", Role.CONSULTANT, enterprise=_accra)
        await tg.press_data(outsider, notice, notice.button("Approve")["callback_data"])
        assert "not valid any more" in tg.callback_answers()[-1]["text"]
        (pending,) = await tg.send(yaw, "/picture")
        assert pending.photo == b"GUARDED-PRESS"
        (empty,) = await tg.send(outsider, "/picture")
        assert empty.text.startswith("No pictures wait for approval.")

        (done,) = await tg.press(yaw, notice, "Approve")
        assert done.text == "Approved: workers now see this picture with m2-04."
        told = [m for m in await tg.run_scheduled() if m.chat_id == lucia.id]
        assert [m.text for m in told] == [
            "Your picture for m2-04 was approved: workers see it with the lesson now. "
            "Thank you!"]
        await tg.press(yaw, notice, "Approve")
        assert tg.callback_answers()[-1]["text"] == "This picture has been dealt with already."

        # Ama's lesson comes as the photo, the lesson's text its caption, then the quiz.
        await _give_lesson(tg, ama, welding, "m2-05")  # not pictured: text as before
        plain, _quiz = await tg.tap(ama, "📘")
        assert plain.photo is None
        lesson = curriculum().by_key("m2-04")
        async with tg.app.session_factory() as session, session.begin():
            delivery = await lessons.find_delivery(session, (await _person(tg, ama)).id,
                                                   lesson.id)
            delivery.opened_at = None
        photo, quiz = await tg.tap(ama, "📘")
        assert photo.photo == b"GUARDED-PRESS"
        assert lesson.in_locale("en").title in photo.text and "Module 2" in photo.text
        assert quiz.text.startswith("❓")
        # Kofi works in another enterprise: the same lesson, no photo.
        await _give_lesson(tg, kofi, packing, "m2-04")
        other, _quiz = await tg.tap(kofi, "📘")
        assert other.photo is None and "Module 2" in other.text

        result = scorebot("content", "check", cwd=tmp_path, DATABASE_URL=database_url)
        assert result.returncode == 0, result.stderr
        assert "1 of 30 with a picture" in result.stdout


async def test_a_rejected_picture_is_removed_and_its_sender_told(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, _team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        lucia = await tg.join("Lucía", Role.CONSULTANT, enterprise=enterprise)
        tom = await tg.join("Tom", Role.CONSULTANT, enterprise=enterprise)
        ama = await tg.join("Ama", Role.WORKER, _team)
        (refused,) = await tg.send(ama, "/picture m2-04")
        assert refused.text.startswith("Sorry, your role does not allow that.")
        (unknown,) = await tg.send(lucia, "/picture m9-99")
        assert unknown.text.startswith("I do not know the lesson “m9-99”.")
        assert "/picture m2-04" in unknown.text
        (ask,) = await tg.send(lucia, "/picture m1-02")
        (cancelled,) = await tg.press(lucia, ask, "Cancel")
        assert cancelled.text == "Cancelled. Nothing was saved."
        await tg.send(lucia, "/picture m1-02")
        await tg.send(lucia, None, caption="", **PHOTO)
        (notice,) = [m for m in await tg.run_scheduled() if m.chat_id == tom.id]
        (gone,) = await tg.press(tom, notice, "Reject")
        assert gone.text == "Rejected: the picture for m1-02 was removed."
        told = [m for m in await tg.run_scheduled() if m.chat_id == lucia.id]
        assert "/picture m1-02" in told[-1].text
        async with tg.app.session_factory() as session:
            assert (await session.scalars(select(LessonPicture))).all() == []


@pytest.mark.parametrize("fits", [True, False])
async def test_the_text_is_the_caption_only_when_it_fits(database_url, monkeypatch, fits):
    """Telegram counts a caption after the HTML is parsed: a lesson padded with "&amp;" to
    exactly 1,024 characters (far more in HTML) is still a caption; one more character and
    the photo comes first, then the text."""
    text_of = lesson_ui.lesson_text

    def padded(lesson: Lesson, locale: str, lessons_: Curriculum) -> str:
        text = text_of(lesson, locale, lessons_) + "\n"
        room = CAPTION_MAX - telegram_length(plain_text(text))
        return text + ("&amp;" * room if fits else "x" * (room + 1))

    monkeypatch.setattr(lesson_ui, "lesson_text", padded)
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        lucia = await tg.join("Lucía", Role.CONSULTANT, enterprise=enterprise)
        ama = await tg.join("Ama", Role.WORKER, team)
        lesson = curriculum().by_key("m2-04")
        async with tg.app.session_factory() as session, session.begin():
            picture = await pictures.attach(session, lesson_id=lesson.id, file_id="BOARD",
                                            by=await _person(tg, lucia),
                                            enterprise_ids=[enterprise.id], now=tg.clock.now())
            pictures.approve(session, picture, await _person(tg, ama), tg.clock.now())
        await _give_lesson(tg, ama, team, "m2-04")
        sent = await tg.tap(ama, "📘")
        if fits:
            photo, quiz = sent
            assert photo.photo == b"BOARD" and "Module 2" in photo.text
            assert telegram_length(photo.text) == CAPTION_MAX < len(photo.html)
        else:
            photo, text, quiz = sent
            assert photo.photo == b"BOARD" and not photo.text
            assert text.photo is None and "Module 2" in text.text
            assert telegram_length(text.text) == CAPTION_MAX + 1
        assert quiz.text.startswith("❓")


async def test_voice_first_brings_the_voice_note_then_the_text(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        lucia = await tg.join("Lucía", Role.CONSULTANT, enterprise=enterprise, language="es")
        tom = await tg.join("Tom", Role.CONSULTANT, enterprise=enterprise)
        pedro = await tg.join("Pedro", Role.WORKER, team, language="es")
        amelie = await tg.join("Amélie", Role.WORKER, team, language="fr")
        await _approved_recording(tg, "m2-04", "es", "VOICE-ES", lucia, tom)

        # From the menu's 🌐: the languages, and voice first under them.
        (chooser,) = await tg.tap(pedro, "🌐")
        assert chooser.button_texts()[-1] == "🔊 Voz primero"
        (on,) = await tg.press(pedro, chooser, "🔊 Voz primero")
        assert on.text.startswith("Voz primero activada")
        assert on.button_texts()[-1] == "✓ 🔊 Voz primero"
        assert (await _person(tg, pedro)).voice_first is True

        await _give_lesson(tg, pedro, team, "m2-04")
        heard, text, quiz = await tg.tap(pedro, "📘")
        assert heard.voice == b"VOICE-ES"
        assert curriculum().by_key("m2-04").in_locale("es").title in heard.text
        assert "Módulo 2" in text.text and text.button_texts() == []  # heard already
        assert quiz.text.startswith("❓")
        # A lesson with no Spanish recording comes as text.
        await _give_lesson(tg, pedro, team, "m2-05")
        plain, _quiz = await tg.tap(pedro, "📘")
        assert plain.voice is None and "Módulo 2" in plain.text

        # Amélie chose voice first too, but nothing is recorded in French: text as before.
        (chooser,) = await tg.send(amelie, "/language")
        await tg.press(amelie, chooser, "🔊 Voix d’abord")
        await _give_lesson(tg, amelie, team, "m2-04")
        french, _quiz = await tg.tap(amelie, "📘")
        assert french.voice is None and french.button_texts() == []

        # Turned off again: the text with ▶️ Escuchar.
        (chooser,) = await tg.send(pedro, "/language")
        (off,) = await tg.press(pedro, chooser, "✓ 🔊 Voz primero")
        assert off.text.startswith("Voz primero desactivada")
        async with tg.app.session_factory() as session, session.begin():
            delivery = await lessons.find_delivery(session, (await _person(tg, pedro)).id,
                                                   curriculum().by_key("m2-04").id)
            delivery.opened_at = None
        lesson, _quiz = await tg.send(pedro, "/lesson")
        assert lesson.voice is None and lesson.button_texts() == ["▶️ Escuchar"]

        # Someone who has not joined sees the languages only.
        (stranger,) = await tg.send(tg.person("Yaw"), "/language")
        assert not any("🔊" in label for label in stranger.button_texts())


async def test_the_quiz_question_can_be_heard_where_it_is_recorded(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        lucia = await tg.join("Lucía", Role.CONSULTANT, enterprise=enterprise, language="es")
        tom = await tg.join("Tom", Role.CONSULTANT, enterprise=enterprise)
        pedro = await tg.join("Pedro", Role.WORKER, team, language="es")
        amelie = await tg.join("Amélie", Role.WORKER, team, language="fr")
        await tg.run_scheduled()

        (ask,) = await tg.send(lucia, "/record m2-04 quiz")
        assert "m2-04" in ask.text and "Español" in ask.text
        (thanks,) = await tg.send(lucia, None, **voice("QUIZ-ES"))
        assert "m2-04 ❓" in thanks.text
        (notice,) = [m for m in await tg.run_scheduled() if m.chat_id == tom.id]
        assert "m2-04 ❓" in notice.text
        await tg.press(tom, notice, "Approve")
        async with tg.app.session_factory() as session:
            (recording,) = (await session.scalars(select(LessonRecording))).all()
            assert recording.part == "quiz" and recording.approved_at is not None

        lesson = curriculum().by_key("m2-04")
        await _give_lesson(tg, pedro, team, "m2-04")
        text, quiz = await tg.tap(pedro, "📘")
        assert text.button_texts() == []  # the lesson itself is not recorded
        options = lesson.in_locale("es").options
        assert quiz.button_texts() == [*options, "▶️ Escuchar"]
        (heard,) = await tg.press(pedro, quiz, "▶️ Escuchar")
        assert heard.voice == b"QUIZ-ES" and heard.text.startswith("❓")
        feedback, _task = await tg.press(pedro, quiz, lesson.answer)
        assert "✅" in feedback.text

        await _give_lesson(tg, amelie, team, "m2-04")
        _text, french = await tg.tap(amelie, "📘")
        assert french.button_texts() == lesson.in_locale("fr").options
        await tg.press_data(amelie, french, quiz.button("▶️ Escuchar")["callback_data"])
        assert "plus valable" in tg.callback_answers()[-1]["text"]


async def test_mydata_lists_recordings_and_pictures_and_forget_takes_the_voice(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        lucia = await tg.join("Lucía", Role.CONSULTANT, enterprise=enterprise, language="es")
        tom = await tg.join("Tom", Role.CONSULTANT, enterprise=enterprise)
        pedro = await tg.join("Pedro", Role.WORKER, team, language="es")
        await _approved_recording(tg, "m2-04", "es", "VOICE-ES", lucia, tom)
        await tg.send(lucia, "/picture m2-04")
        await tg.send(lucia, None, caption="", **PHOTO)
        (notice,) = [m for m in await tg.run_scheduled() if m.chat_id == tom.id]
        await tg.press(tom, notice, "Approve")

        (document,) = await tg.send(lucia, "/mydata")
        mine = json.loads(document.document)
        assert [(r["lesson"], r["language"], r["you"]) for r in mine["lesson_recordings"]] == [
            (curriculum().by_key("m2-04").id, "es", "recorded")]
        assert [p["you"] for p in mine["lesson_pictures"]] == ["attached"]
        assert mine["person"]["voice_first"] is False
        (document,) = await tg.send(tom, "/mydata")
        theirs = json.loads(document.document)
        assert [r["you"] for r in theirs["lesson_recordings"]] == ["approved"]
        assert [p["you"] for p in theirs["lesson_pictures"]] == ["approved"]

        # Lucía is forgotten: her voice goes with her; her picture stays, tied to no one.
        (question,) = await tg.send(lucia, "/forget")
        assert "Las lecciones que grabaste también se borran" in question.text
        await tg.press(lucia, question, "Sí, olvídame")
        # Tom is forgotten too: what he approved stays approved, by no one.
        (question,) = await tg.send(tom, "/forget")
        assert "lessons you recorded" not in question.text  # he recorded none
        await tg.press(tom, question, "Yes, forget me")
        async with tg.app.session_factory() as session:
            assert (await session.scalars(select(LessonRecording))).all() == []
            (picture,) = (await session.scalars(select(LessonPicture))).all()
            assert picture.attached_by_id is None and picture.approved_by_id is None
            assert picture.approved_at is not None
            assert await session.scalar(select(Enterprise.id)) == enterprise.id

        await _give_lesson(tg, pedro, team, "m2-04")
        photo, _quiz = await tg.tap(pedro, "📘")
        assert photo.photo == b"GUARDED-PRESS" and photo.button_texts() == []
