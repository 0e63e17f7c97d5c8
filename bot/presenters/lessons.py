from __future__ import annotations

from dataclasses import dataclass

from aiogram import html
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.content.loader import Curriculum
from bot.content.schema import Lesson
from bot.i18n import _
from bot.keyboards.callbacks import (
    LessonActionCallback,
    LessonCallback,
    QuizCallback,
    ReviewCallback,
)
from bot.keyboards.recordings import ListenCallback, QuizListenCallback
from bot.limits import CAPTION_MAX, fit_text, plain_text, telegram_length


def module_name(module: int) -> str:
    names = {
        1: _("Workplace Cooperation"),
        2: _("Quality Management"),
        3: _("Productivity through Cleaner Production"),
        4: _("Workforce Management"),
        5: _("Occupational Safety and Health"),
    }
    return names[module]


def _open_button(lesson: Lesson) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Open the lesson"), callback_data=LessonCallback(key=lesson.key))
    return builder.as_markup()


def _option_buttons(lesson: Lesson, locale: str, factory: type) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, option in enumerate(lesson.in_locale(locale).options):
        builder.button(text=option, callback_data=factory(key=lesson.key, option=index))
    builder.adjust(1)
    return builder.as_markup()


def teaser(lesson: Lesson, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("New lesson: <b>{title}</b>\nIt takes two minutes to read.").format(
        title=html.quote(lesson.in_locale(locale).title)
    )
    return text, _open_button(lesson)


def reminder(lesson: Lesson, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Your lesson “{title}” is still waiting for you. Two minutes is all it takes.").format(
        title=html.quote(lesson.in_locale(locale).title)
    )
    return text, _open_button(lesson)


def lesson_text(lesson: Lesson, locale: str, curriculum: Curriculum) -> str:
    """The lesson itself, as one message: at most 900 characters (content tests check it)."""
    text = lesson.in_locale(locale)
    number = curriculum.module_lessons(lesson.module).index(lesson) + 1
    header = _("Module {module} · lesson {number}").format(module=lesson.module, number=number)
    return "\n\n".join(
        [
            f"<i>{html.quote(header)}</i>\n<b>{html.quote(text.title)}</b>",
            html.quote(text.body),
            "💡 " + html.quote(text.key_practice),
        ]
    )


def country_notes(lesson: Lesson, locale: str, countries: list[str]) -> list[str]:
    """The lesson's notes for the reader's countries, in their language (English where a note
    is not translated yet): one short message each, sent under the lesson."""
    notes = (lesson.note_for(country, locale) for country in countries)
    return ["📌 " + html.quote(note) for note in notes if note]


def listen_button(lesson: Lesson) -> InlineKeyboardMarkup:
    """Under a lesson that has an approved voice version in the reader's language."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("▶️ Listen"), callback_data=ListenCallback(key=lesson.key))
    return builder.as_markup()


def quiz(lesson: Lesson, locale: str, can_listen: bool = False) -> tuple[
    str, InlineKeyboardMarkup
]:
    """The quiz question and its answers; "▶️ Listen" under them when the question is
    recorded in the reader's language (last, so the answers keep their places)."""
    text = "❓ " + html.quote(lesson.in_locale(locale).question)
    markup = _option_buttons(lesson, locale, QuizCallback)
    if can_listen:
        builder = InlineKeyboardBuilder.from_markup(markup)
        builder.row(InlineKeyboardButton(
            text=_("▶️ Listen"), callback_data=QuizListenCallback(key=lesson.key).pack()))
        markup = builder.as_markup()
    return text, markup


def quiz_caption(lesson: Lesson, locale: str) -> str:
    """The caption of the quiz question's voice note."""
    return fit_text(lambda question: "❓ " + question, lesson.in_locale(locale).question,
                    CAPTION_MAX)


@dataclass(frozen=True)
class Outgoing:
    """One message as sent: a text, or a photo or voice note (Telegram file id) with `text`
    as its caption (empty: none)."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None
    voice: str | None = None


def fits_caption(text: str) -> bool:
    """Whether an HTML text fits Telegram's caption limit, counted as Telegram counts it:
    after the entities are parsed, in UTF-16 code units."""
    return telegram_length(plain_text(text)) <= CAPTION_MAX


def lesson_messages(lesson: Lesson, locale: str, curriculum: Curriculum, *,
                    countries: list[str], voice: str | None = None, picture: str | None = None,
                    voice_first: bool = False, quiz_voice: str | None = None,
                    ) -> list[Outgoing]:
    """A lesson as the messages that carry it, in order:
    - voice first (the person's setting) and a recording in their language: the voice note
      first, the text underneath; else the text with "▶️ Listen" when a recording exists;
    - an approved picture for their enterprise: the photo with the text as its caption when
      it fits Telegram's caption limit, else the photo and then the text;
    - the country notes, then the quiz (with "▶️ Listen" when its question is recorded)."""
    text = lesson_text(lesson, locale, curriculum)
    listen = listen_button(lesson) if voice and not voice_first else None
    messages: list[Outgoing] = []
    if voice and voice_first:
        messages.append(Outgoing(html.quote(lesson.in_locale(locale).title), voice=voice))
    if picture and fits_caption(text):
        messages.append(Outgoing(text, listen, photo=picture))
    elif picture:
        messages += [Outgoing("", photo=picture), Outgoing(text, listen)]
    else:
        messages.append(Outgoing(text, listen))
    messages += [Outgoing(note) for note in country_notes(lesson, locale, countries)]
    question, buttons = quiz(lesson, locale, can_listen=quiz_voice is not None)
    messages.append(Outgoing(question, buttons))
    return messages


def review(lesson: Lesson, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("Time for a quick review of “{title}”:").format(
        title=html.quote(lesson.in_locale(locale).title)
    )
    return (
        text + "\n\n❓ " + html.quote(lesson.in_locale(locale).question),
        _option_buttons(lesson, locale, ReviewCallback),
    )


def answered(lesson: Lesson, locale: str, option: int, correct: bool) -> str:
    """The question, the chosen answer and its feedback, in place of the quiz buttons."""
    text = lesson.in_locale(locale)
    mark = "✅" if correct else "❌"
    return "\n\n".join(
        [
            "❓ " + html.quote(text.question),
            _("Your answer: {answer}").format(answer=html.quote(text.options[option])),
            f"{mark} {html.quote(text.feedback[option])}",
        ]
    )


def task(lesson: Lesson, locale: str, can_make_action: bool = False) -> tuple[
    str, InlineKeyboardMarkup | None
]:
    """The task for the week; team leads get a button that makes it a team action."""
    text = _("<b>Apply it this week:</b> {task}").format(
        task=html.quote(lesson.in_locale(locale).task)
    )
    if not can_make_action:
        return text, None
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Make it a team action"),
                   callback_data=LessonActionCallback(key=lesson.key))
    return text, builder.as_markup()


def review_closing(correct: bool, comes_back: bool) -> str:
    if correct:
        return _("Well done: that one has stuck.")
    if comes_back:
        return _("No problem: this question will come back in a few days.")
    return _("Take another look at the lesson when you have a moment.")


def missed_notice(name: str, count: int) -> str:
    return _(
        "{name} has not opened the last {count} lessons. A friendly word may help: "
        "perhaps the time does not suit, or the phone has no data."
    ).format(name=html.quote(name), count=count)


def weekday_names(days: list[int], locale: str) -> str:
    names = fmt.weekday_names(locale, "abbreviated")
    # Babel counts Monday as 0; ISO weekdays count it as 1.
    return ", ".join(names[day - 1] for day in days)
