"""Lessons in the chat: /lesson on demand, opening an announced lesson, quiz and review answers,
/progress, and /pause and /resume."""

from __future__ import annotations

import logging

from aiogram import Bot, Router, html
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot.clock import Clock
from bot.content.loader import Curriculum
from bot.content.schema import Lesson
from bot.handlers.common import pack_messages, private_router, refuse_button
from bot.i18n import _
from bot.keyboards.callbacks import (
    LessonActionCallback,
    LessonCallback,
    QuizCallback,
    ReviewCallback,
)
from bot.keyboards.recordings import ListenCallback, QuizListenCallback
from bot.presenters import lessons as ui
from bot.replies import UpdateTransaction
from bot.services import actions, lessons, recordings
from bot.services.enterprises import teams_of
from bot.services.permissions import Capability, memberships_with
from storage.models import LessonDelivery, Membership, Person, Team

log = logging.getLogger(__name__)

LEARN = {"capability": Capability.LEARN}


async def _send_lesson(bot: Bot, chat_id: int, lesson: Lesson, locale: str,
                       curriculum: Curriculum, person: Person, session: AsyncSession) -> None:
    """The lesson with what comes with it for this person (voice, picture, country notes),
    then its quiz: see `ui.lesson_messages` for the order."""
    media = await lessons.media_for(session, lesson, person, locale)
    messages = ui.lesson_messages(
        lesson, locale, curriculum, countries=await lessons.countries_of(session, person.id),
        voice=media.voice, picture=media.picture, voice_first=media.voice_first,
        quiz_voice=media.quiz_voice)
    for message in messages:
        caption = message.text or None
        if message.voice is not None:
            await bot.send_voice(chat_id, message.voice, caption=caption,
                                 reply_markup=message.markup)
        elif message.photo is not None:
            await bot.send_photo(chat_id, message.photo, caption=caption,
                                 reply_markup=message.markup)
        else:
            await bot.send_message(chat_id, message.text, reply_markup=message.markup)


def _team_of(memberships: list[Membership]) -> Team | None:
    return next((m.team for m in memberships if m.team is not None), None)


async def next_lesson_now(
    message: Message,
    session: AsyncSession,
    person: Person,
    allowed_memberships: list[Membership],
    curriculum: Curriculum,
    clock: Clock,
    bot: Bot,
    locale: str,
) -> None:
    """/lesson: the waiting lesson if one is unopened, else the next one."""
    waiting = await lessons.latest_unopened(session, person.id)
    lesson = curriculum.get(waiting.lesson_id) if waiting else None
    if waiting is not None and lesson is not None:
        lessons.mark_opened(waiting, clock.now())
    else:
        team = _team_of(allowed_memberships)
        lesson = await lessons.next_lesson_for(session, curriculum, person, team)
        if lesson is None:
            await message.answer(_("You have done every lesson. Well done! Keep applying "
                                   "them, and send /progress to see your results."))
            return
        lessons.record_delivery(session, person, lesson, team, clock.now(), scheduled=False)
    await _send_lesson(bot, message.chat.id, lesson, locale, curriculum, person, session)


async def _delivered(
    query: CallbackQuery, key: str, session: AsyncSession, person: Person,
    curriculum: Curriculum, what: str,
) -> tuple[Lesson, LessonDelivery] | None:
    """The lesson a button names and its delivery to this person; a refusal if either is
    missing (a forged or stale button)."""
    lesson = curriculum.by_key(key)
    delivery = await lessons.find_delivery(session, person.id, lesson.id) if lesson else None
    if lesson is None or delivery is None:
        await refuse_button(query, f"{what} of a lesson not delivered to this person")
        return None
    return lesson, delivery


async def open_lesson(
    query: CallbackQuery,
    callback_data: LessonCallback,
    session: AsyncSession,
    person: Person,
    curriculum: Curriculum,
    clock: Clock,
    bot: Bot,
    locale: str,
) -> None:
    found = await _delivered(query, callback_data.key, session, person, curriculum, "opening")
    if found is None:
        return
    lesson, delivery = found
    lessons.mark_opened(delivery, clock.now())
    await query.answer()
    await _send_lesson(bot, query.from_user.id, lesson, locale, curriculum, person, session)


async def listen(
    query: CallbackQuery,
    callback_data: ListenCallback,
    session: AsyncSession,
    person: Person,
    curriculum: Curriculum,
    bot: Bot,
    locale: str,
) -> None:
    """▶️ Listen: the lesson's approved voice version in the person's language."""
    await _play(query, callback_data.key, "lesson", session, person, curriculum, bot, locale)


async def listen_to_quiz(
    query: CallbackQuery,
    callback_data: QuizListenCallback,
    session: AsyncSession,
    person: Person,
    curriculum: Curriculum,
    bot: Bot,
    locale: str,
) -> None:
    """▶️ Listen under a quiz: the question and its answers read aloud in the person's
    language."""
    await _play(query, callback_data.key, "quiz", session, person, curriculum, bot, locale)


async def _play(query: CallbackQuery, key: str, part: recordings.Part, session: AsyncSession,
                person: Person, curriculum: Curriculum, bot: Bot, locale: str) -> None:
    """Send the approved recording of the lesson (or its quiz) delivered to the person, in
    their language; a button for anything else is refused."""
    what = "a lesson" if part == "lesson" else "a quiz"
    found = await _delivered(query, key, session, person, curriculum,
                             "listening" if part == "lesson" else "listening to the quiz")
    if found is None:
        return
    lesson, _delivery = found
    voice = await recordings.approved_voice(session, lesson.id, locale, part)
    if voice is None:
        await refuse_button(query, f"listening to {what} with no voice in this language")
        return
    await query.answer()
    caption = (html.quote(lesson.in_locale(locale).title) if part == "lesson"
               else ui.quiz_caption(lesson, locale))
    await bot.send_voice(query.from_user.id, voice.file_id, caption=caption)


def _led_team(memberships: list[Membership]) -> Membership | None:
    """The membership through which a team lead can turn tasks into team actions."""
    return next(
        (m for m in memberships_with(memberships, Capability.LEAD_LEARNING) if m.team), None
    )


async def answer_quiz(
    query: CallbackQuery,
    callback_data: QuizCallback,
    session: AsyncSession,
    person: Person,
    memberships: list[Membership],
    curriculum: Curriculum,
    clock: Clock,
    bot: Bot,
    locale: str,
    tx: UpdateTransaction,
) -> None:
    found = await _delivered(query, callback_data.key, session, person, curriculum, "quiz")
    if found is None:
        return
    lesson, delivery = found
    option = callback_data.option
    if not 0 <= option < len(lesson.in_locale(locale).options):
        await refuse_button(query, "quiz option out of range")
        return
    result = lessons.answer_quiz(session, delivery, lesson, option, clock.now())
    if not result.first_time:
        await query.answer(_("You have answered this one already; your first answer counts."))
        return
    await tx.commit()
    await tx.tell(ui.answered(lesson, locale, option, result.correct), query=query)
    text, markup = ui.task(lesson, locale, can_make_action=_led_team(memberships) is not None)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)


async def make_team_action(
    query: CallbackQuery,
    callback_data: LessonActionCallback,
    session: AsyncSession,
    person: Person,
    memberships: list[Membership],
    curriculum: Curriculum,
    clock: Clock,
    bot: Bot,
    locale: str,
    tx: UpdateTransaction,
) -> None:
    lead = _led_team(memberships)
    lesson = curriculum.by_key(callback_data.key)
    delivery = await lessons.find_delivery(session, person.id, lesson.id) if lesson else None
    if lead is None or lead.team is None or lesson is None or delivery is None:
        await refuse_button(query, "lesson task action without a led team or a delivery")
        return
    item, created = await actions.action_from_lesson(
        session, team=lead.team, enterprise=lead.enterprise, lesson_id=lesson.id,
        title=lesson.in_locale(locale).task, owner=person, now=clock.now(),
    )
    due = fmt.day(item.due_on, locale)
    if created:
        note = _("Added to the actions of “{team}”, due {date}. Send /actions to see them.")
    else:
        note = _("This task is already on the list of “{team}”, due {date}.")
    task_text, _markup = ui.task(lesson, locale)
    text = task_text + "\n\n✅ " + note.format(team=html.quote(lead.team.name), date=due)
    await tx.commit()
    await tx.tell(text, query=query)


async def answer_review(
    query: CallbackQuery,
    callback_data: ReviewCallback,
    session: AsyncSession,
    person: Person,
    curriculum: Curriculum,
    clock: Clock,
    bot: Bot,
    locale: str,
    tx: UpdateTransaction,
) -> None:
    found = await _delivered(query, callback_data.key, session, person, curriculum, "review")
    if found is None:
        return
    lesson, delivery = found
    if delivery.reviews_sent == 0:
        await refuse_button(query, "review before any was sent")
        return
    option = callback_data.option
    if not 0 <= option < len(lesson.in_locale(locale).options):
        await refuse_button(query, "review option out of range")
        return
    result = lessons.answer_review(delivery, lesson, option, clock.now())
    if not result.first_time:
        await query.answer(_("You have answered this one already; your first answer counts."))
        return
    closing = ui.review_closing(result.correct, comes_back=delivery.review_due_at is not None)
    await tx.commit()
    await tx.tell(ui.answered(lesson, locale, option, result.correct) + "\n\n" + closing,
                  query=query)


async def show_progress(
    message: Message,
    session: AsyncSession,
    person: Person,
    memberships: list[Membership],
    curriculum: Curriculum,
    locale: str,
) -> None:
    mine = await lessons.person_progress(session, curriculum, person.id)
    lines = [_("<b>Your progress</b>")]
    for module in range(1, 6):
        lines.append(
            _("Module {module} ({name}): {done} of {total}").format(
                module=module, name=ui.module_name(module),
                done=mine.opened_by_module[module], total=mine.total_by_module[module],
            )
        )
    if mine.score is not None:
        lines.append(_("Quiz: {correct} of {answered} right on the first try ({percent}).").format(
            correct=mine.correct, answered=mine.answered, percent=percent(mine.score, locale)
        ))
    lines.append(
        _("Streak: {count} lesson opened in a row", "Streak: {count} lessons opened in a row",
          mine.streak).format(count=mine.streak)
    )
    for membership in memberships_with(memberships, Capability.LEAD_LEARNING):
        for team in await _teams_led(session, membership):
            lines += ["", *await _team_lines(session, curriculum, team, locale)]
    for text in pack_messages(lines):
        await message.answer(text)


async def _teams_led(session: AsyncSession, membership: Membership) -> list[Team]:
    if membership.team is not None:
        return [membership.team]
    return await teams_of(session, membership.enterprise_id)


async def _team_lines(
    session: AsyncSession, curriculum: Curriculum, team: Team, locale: str
) -> list[str]:
    members = await lessons.team_progress(session, curriculum, team.id)
    lines = [_("<b>Team “{team}”</b>").format(team=html.quote(team.name))]
    if not members:
        return [*lines, _("No members yet.")]
    for member in members:
        score = member.progress.score
        line = _("{name}: {done} lessons, quiz {score}").format(
            name=html.quote(member.person.display_name), done=member.progress.opened,
            score=percent(score, locale) if score is not None else "–",
        )
        if member.missed_in_a_row:
            line += " " + _("(missed the last three)")
        if member.person.paused:
            line += " " + _("(paused)")
        lines.append("• " + line)
    return lines


def percent(share: float, locale: str) -> str:
    return fmt.percent(share, locale)


async def pause(message: Message, person: Person) -> None:
    person.paused = True
    await message.answer(_("Paused: I will not send you lessons or reminders until you send "
                           "/resume."))


async def resume(message: Message, person: Person) -> None:
    person.paused = False
    await message.answer(_("Welcome back! Lessons will come again at your team's lesson time. "
                           "Send /lesson to have the next one now."))


def build_router() -> Router:
    router = private_router("lessons")
    router.message.register(next_lesson_now, Command("lesson"), flags=LEARN)
    router.message.register(show_progress, Command("progress"), flags=LEARN)
    router.message.register(pause, Command("pause"), flags=LEARN)
    router.message.register(resume, Command("resume"), flags=LEARN)
    router.callback_query.register(open_lesson, LessonCallback.filter(), flags=LEARN)
    router.callback_query.register(answer_quiz, QuizCallback.filter(), flags=LEARN)
    router.callback_query.register(listen, ListenCallback.filter(), flags=LEARN)
    router.callback_query.register(listen_to_quiz, QuizListenCallback.filter(), flags=LEARN)
    router.callback_query.register(answer_review, ReviewCallback.filter(), flags=LEARN)
    router.callback_query.register(make_team_action, LessonActionCallback.filter(),
                                   flags={"capability": Capability.LEAD_LEARNING})
    return router
