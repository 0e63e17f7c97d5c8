"""What people read about lesson pictures: attaching, approving, being told."""

from __future__ import annotations

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.content.schema import Lesson
from bot.i18n import _
from bot.keyboards.recordings import PictureCallback
from storage.models import LessonPicture

NAME_MAX = 60  # an enterprise's name as shown in a caption


def _enterprises(names: list[str], locale: str) -> str:
    return fmt.listing([html.quote(name[:NAME_MAX]) for name in names], locale)


def usage() -> str:
    return _("To add a picture to a lesson, send /picture and the lesson's name, for example "
             "<code>/picture m2-04</code>, then a photo from your factory floor.")


def ask_photo(lesson: Lesson, locale: str, enterprises: list[str]) -> str:
    return _("Send a photo now for the lesson “{title}” ({lesson}): a real example from the "
             "factory floor. Workers of {enterprises} see it with the lesson once a second "
             "person approves it.").format(
        title=html.quote(lesson.in_locale(locale).title), lesson=lesson.key,
        enterprises=_enterprises(enterprises, locale))


def not_a_photo() -> str:
    return _("Please send a photo, or tap Cancel.")


def cancel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Cancel"), callback_data=PictureCallback(action="cancel"))
    return builder.as_markup()


def cancelled() -> str:
    return _("Cancelled. Nothing was saved.")


def attached(lesson_key: str) -> str:
    return _("Thank you! Your picture for {lesson} waits for a second consultant or an admin "
             "to approve it. Workers see it once it is approved.").format(lesson=lesson_key)


def approval_request(name: str, lesson: Lesson, locale: str, enterprises: list[str]) -> str:
    """The caption of the picture sent for approval (`notify` sends it under the photo when
    it is too long for a caption)."""
    return _("{name} added a picture to the lesson “{title}” ({lesson}) for {enterprises}. "
             "Approve it if workers should see it with the lesson.").format(
        name=html.quote(name[:NAME_MAX]), title=html.quote(lesson.in_locale(locale).title),
        lesson=lesson.key, enterprises=_enterprises(enterprises, locale))


def approval_keyboard(picture: LessonPicture) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Approve"), callback_data=PictureCallback(action="ok", id=picture.id))
    builder.button(text=_("Reject"), callback_data=PictureCallback(action="no", id=picture.id))
    return builder.as_markup()


def nothing_pending() -> str:
    return _("No pictures wait for approval.")


def approved(lesson_key: str) -> str:
    return _("Approved: workers now see this picture with {lesson}.").format(lesson=lesson_key)


def rejected(lesson_key: str) -> str:
    return _("Rejected: the picture for {lesson} was removed.").format(lesson=lesson_key)


def your_picture_approved(lesson_key: str) -> str:
    return _("Your picture for {lesson} was approved: workers see it with the lesson now. "
             "Thank you!").format(lesson=lesson_key)


def your_picture_rejected(lesson_key: str) -> str:
    return _("Your picture for {lesson} was not approved. You can send another with "
             "/picture {lesson}.").format(lesson=lesson_key)


def own_picture() -> str:
    return _("A second person must approve your own picture.")


def decided_already() -> str:
    return _("This picture has been dealt with already.")
