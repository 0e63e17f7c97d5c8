"""/record: a consultant or an admin reads a lesson aloud as a voice note; a second
consultant or an admin approves it (from the notice it sends them, or from /record alone,
which lists what waits); then workers of that language hear it with "▶️ Listen"."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.loader import Curriculum
from bot.handlers.common import private_router, replace_message
from bot.i18n import CatalogI18n
from bot.keyboards.recordings import RecordingCallback
from bot.languages import match_locale
from bot.notify import notify
from bot.presenters import recordings as ui
from bot.replies import UpdateTransaction
from bot.services import recordings as service
from bot.services.permissions import Capability
from storage.models import Membership, Person

log = logging.getLogger(__name__)

RECORD = {"capability": Capability.FOLLOW}  # consultants and admins


class RecordFlow(StatesGroup):
    voice = State()


async def start_recording(message: Message, command: CommandObject, state: FSMContext,
                          session: AsyncSession, person: Person, curriculum: Curriculum,
                          locale: str, bot: Bot) -> None:
    args = (command.args or "").split()
    if not args:
        await _show_pending(message, session, person, curriculum, bot)
        return
    name = args[0].lower()
    lesson = curriculum.get(name) or curriculum.by_key(name)  # "m2-04-five-whys" or "m2-04"
    if lesson is None:
        await message.answer(ui.unknown_lesson(args[0][:40]) + "\n\n" + ui.usage())
        return
    # "/record m2-04 es quiz": the language and "quiz" (its question read aloud) in any order.
    rest = [arg.lower() for arg in args[1:]]
    part: service.Part = "quiz" if "quiz" in rest else "lesson"
    language = next((found for arg in rest if arg != "quiz"
                     and (found := match_locale(arg)) is not None), None) or locale
    await state.set_state(RecordFlow.voice)
    await state.set_data({"lesson": lesson.id, "locale": language, "part": part})
    ask = ui.ask_quiz_voice if part == "quiz" else ui.ask_voice
    await message.answer(ask(lesson, language), reply_markup=ui.cancel_keyboard())


async def _show_pending(message: Message, session: AsyncSession, person: Person,
                        curriculum: Curriculum, bot: Bot) -> None:
    waiting = [r for r in await service.pending(session) if r.recorded_by_id != person.id]
    if not waiting:
        await message.answer(ui.nothing_pending() + "\n\n" + ui.usage())
        return
    for recording in waiting:
        lesson = curriculum.get(recording.lesson_id)
        if lesson is None:
            continue
        recorder = await service.recorder_of(session, recording)
        await bot.send_voice(
            message.chat.id, recording.file_id,
            caption=ui.approval_request(recording, recorder.display_name if recorder else "?",
                                        lesson),
            reply_markup=ui.approval_keyboard(recording))


async def receive_voice(message: Message, state: FSMContext, session: AsyncSession,
                        person: Person, memberships: list[Membership], curriculum: Curriculum,
                        clock: Clock, i18n: CatalogI18n, tx: UpdateTransaction) -> None:
    data = await state.get_data()
    lesson = curriculum.get(str(data.get("lesson", "")))
    language = str(data.get("locale", ""))
    part: service.Part = "quiz" if data.get("part") == "quiz" else "lesson"
    if lesson is None or match_locale(language) != language or message.voice is None:
        await state.clear()
        await message.answer(ui.cancelled())
        return
    recording = service.record(session, lesson_id=lesson.id, locale=language,
                               file_id=message.voice.file_id, by=person, now=clock.now(),
                               part=part)
    await session.flush()
    for approver, enterprise in await service.approvers(session, person, memberships):
        notify(session, i18n, approver, kind="recording", now=clock.now(),
               enterprise=enterprise,
               render=lambda _locale: (ui.approval_request(recording, person.display_name,
                                                           lesson),
                                       ui.approval_keyboard(recording)),
               media=[("voice", recording.file_id)])
    await tx.commit()
    await state.clear()
    await tx.tell(ui.recorded(ui.label(lesson.key, part), language), chat_id=message.chat.id)
    log.info("lesson %s (%s) recorded in %s", lesson.id, part, language)


async def not_a_voice(message: Message) -> None:
    await message.answer(ui.not_a_voice(), reply_markup=ui.cancel_keyboard())


async def cancel(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await query.answer()
    await replace_message(bot, query, ui.cancelled())


async def decide(query: CallbackQuery, callback_data: RecordingCallback, session: AsyncSession,
                 person: Person, memberships: list[Membership], curriculum: Curriculum,
                 clock: Clock, i18n: CatalogI18n, tx: UpdateTransaction) -> None:
    recording = await service.get(session, callback_data.id)
    if recording is None:
        await query.answer(ui.decided_already(), show_alert=True)
        return
    if recording.approved_at is not None:
        await query.answer(ui.decided_already(), show_alert=True)
        return
    if not service.may_approve(recording, person, memberships):
        await query.answer(ui.own_recording(), show_alert=True)
        return
    lesson = curriculum.get(recording.lesson_id)
    lesson_id = ui.label(lesson.key if lesson else recording.lesson_id, recording.part)
    language = recording.locale
    recorder = await service.recorder_of(session, recording)
    if callback_data.action == "ok":
        service.approve(session, recording, person, clock.now())
        text = ui.approved(lesson_id, language)
        told = ui.your_recording_approved
    else:
        await service.reject(session, recording)
        text = ui.rejected(lesson_id, language)
        told = ui.your_recording_rejected
    if recorder is not None and recorder.telegram_id is not None:
        notify(session, i18n, recorder, kind="recording", now=clock.now(), enterprise=None,
               render=lambda _locale: told(lesson_id, language))
    await tx.commit()
    await tx.tell(text, query=query)


def build_router() -> Router:
    router = private_router("recordings")
    router.message.register(start_recording, Command("record"), flags=RECORD)
    router.message.register(receive_voice, StateFilter(RecordFlow.voice), F.voice, flags=RECORD)
    router.message.register(not_a_voice, StateFilter(RecordFlow.voice), flags=RECORD)
    router.callback_query.register(cancel, RecordingCallback.filter(F.action == "cancel"),
                                   flags=RECORD)
    router.callback_query.register(decide, RecordingCallback.filter(F.action.in_({"ok", "no"})),
                                   flags=RECORD)
    return router
