"""What people read about lessons read aloud: recording, approving, listening."""

from __future__ import annotations

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.content.schema import Lesson
from bot.i18n import _
from bot.keyboards.recordings import RecordingCallback
from bot.languages import LANGUAGES
from storage.models import LessonRecording


def usage() -> str:
    return _("To record a lesson, send /record and the lesson's name, for example "
             "<code>/record m2-04</code>, then a voice note of you reading it aloud.") + "\n" + \
        _("To record its quiz question, send <code>/record m2-04 quiz</code>.")


def label(lesson_key: str, part: str) -> str:
    """How a recording is named in messages: the lesson's key, with ❓ for its quiz
    question (as the quiz itself is marked)."""
    return f"{lesson_key} ❓" if part == "quiz" else lesson_key


def unknown_lesson(name: str) -> str:
    return _("I do not know the lesson “{name}”. Lessons are named like m2-04 (module 2, "
             "lesson 4).").format(name=html.quote(name))


def ask_voice(lesson: Lesson, locale: str) -> str:
    return _("Send a voice note now: read the lesson “{title}” ({lesson}) aloud in {language}, "
             "slowly and clearly.").format(title=html.quote(lesson.in_locale(locale).title),
                                           lesson=lesson.key, language=LANGUAGES[locale])


def ask_quiz_voice(lesson: Lesson, locale: str) -> str:
    return _("Send a voice note now: read the quiz question of “{title}” ({lesson}) and its "
             "answers aloud in {language}, slowly and clearly.").format(
        title=html.quote(lesson.in_locale(locale).title), lesson=lesson.key,
        language=LANGUAGES[locale])


def not_a_voice() -> str:
    return _("Please send a voice note, or tap Cancel.")


def cancel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Cancel"), callback_data=RecordingCallback(action="cancel"))
    return builder.as_markup()


def cancelled() -> str:
    return _("Cancelled. Nothing was saved.")


def recorded(lesson_id: str, locale: str) -> str:
    return _("Thank you! Your recording of {lesson} in {language} waits for a second consultant "
             "or an admin to approve it. Workers hear it once it is approved.").format(
        lesson=lesson_id, language=LANGUAGES[locale])


def approval_request(recording: LessonRecording, recorder: str, lesson: Lesson) -> str:
    return _("{name} recorded the lesson “{title}” ({lesson}) in {language}. Listen, and "
             "approve it if workers should hear it.").format(
        name=html.quote(recorder), title=html.quote(lesson.in_locale(recording.locale).title),
        lesson=label(lesson.key, recording.part), language=LANGUAGES[recording.locale])


def approval_keyboard(recording: LessonRecording) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Approve"), callback_data=RecordingCallback(action="ok",
                                                                     id=recording.id))
    builder.button(text=_("Reject"), callback_data=RecordingCallback(action="no",
                                                                    id=recording.id))
    return builder.as_markup()


def nothing_pending() -> str:
    return _("No recordings wait for approval.")


def approved(lesson_id: str, locale: str) -> str:
    return _("Approved: workers who read in {language} can now listen to {lesson}.").format(
        lesson=lesson_id, language=LANGUAGES[locale])


def rejected(lesson_id: str, locale: str) -> str:
    return _("Rejected: the recording of {lesson} in {language} was removed.").format(
        lesson=lesson_id, language=LANGUAGES[locale])


def your_recording_approved(lesson_id: str, locale: str) -> str:
    return _("Your recording of {lesson} in {language} was approved: workers can listen to it "
             "now. Thank you!").format(lesson=lesson_id, language=LANGUAGES[locale])


def your_recording_rejected(lesson_id: str, locale: str) -> str:
    return _("Your recording of {lesson} in {language} was not approved. You can record it "
             "again with /record {lesson}.").format(lesson=lesson_id,
                                                    language=LANGUAGES[locale])


def own_recording() -> str:
    return _("A second person must approve your own recording.")


def decided_already() -> str:
    return _("This recording has been dealt with already.")
