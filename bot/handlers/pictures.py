"""/picture: a consultant or an admin attaches a photo from the factory floor to a lesson, for
the enterprises they follow; a second consultant or an admin of those enterprises approves it
(from the notice it sends them, or from /picture alone, which lists what waits); then the
lesson comes to those enterprises' workers with the photo."""

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
from bot.handlers.common import private_router, refuse_button, replace_message
from bot.i18n import CatalogI18n
from bot.keyboards.recordings import PictureCallback
from bot.notify import notify
from bot.presenters import pictures as ui
from bot.presenters import recordings as recording_ui
from bot.replies import UpdateTransaction
from bot.services import pictures as service
from bot.services.permissions import Capability
from storage.models import Membership, Person

log = logging.getLogger(__name__)

PICTURE = {"capability": Capability.FOLLOW}  # consultants and admins


class PictureFlow(StatesGroup):
    photo = State()


async def start_picture(message: Message, command: CommandObject, state: FSMContext,
                        session: AsyncSession, person: Person,
                        allowed_memberships: list[Membership], curriculum: Curriculum,
                        locale: str, bot: Bot) -> None:
    args = (command.args or "").split()
    if not args:
        await _show_pending(message, session, person, allowed_memberships, curriculum, locale,
                            bot)
        return
    lesson = curriculum.get(args[0].lower()) or curriculum.by_key(args[0].lower())
    if lesson is None:
        await message.answer(recording_ui.unknown_lesson(args[0][:40]) + "\n\n" + ui.usage())
        return
    names = sorted({m.enterprise.name for m in allowed_memberships})
    await state.set_state(PictureFlow.photo)
    await state.set_data({"lesson": lesson.id})
    await message.answer(ui.ask_photo(lesson, locale, names), reply_markup=ui.cancel_keyboard())


async def _show_pending(message: Message, session: AsyncSession, person: Person,
                        memberships: list[Membership], curriculum: Curriculum, locale: str,
                        bot: Bot) -> None:
    waiting = await service.pending_for(session, person, memberships)
    if not waiting:
        await message.answer(ui.nothing_pending() + "\n\n" + ui.usage())
        return
    for picture in waiting:
        lesson = curriculum.get(picture.lesson_id)
        if lesson is None:
            continue
        attacher = await service.attacher_of(session, picture)
        caption = ui.approval_request(attacher.display_name if attacher else "…", lesson,
                                      locale, await service.enterprise_names(session, picture))
        await bot.send_photo(message.chat.id, picture.file_id, caption=caption,
                             reply_markup=ui.approval_keyboard(picture))


async def receive_photo(message: Message, state: FSMContext, session: AsyncSession,
                        person: Person, allowed_memberships: list[Membership],
                        curriculum: Curriculum, clock: Clock, i18n: CatalogI18n,
                        tx: UpdateTransaction) -> None:
    data = await state.get_data()
    lesson = curriculum.get(str(data.get("lesson", "")))
    enterprise_ids = service.following(allowed_memberships)
    if lesson is None or not message.photo or not enterprise_ids:
        await state.clear()
        await message.answer(ui.cancelled())
        return
    picture = await service.attach(session, lesson_id=lesson.id,
                                   file_id=message.photo[-1].file_id, by=person,
                                   enterprise_ids=enterprise_ids, now=clock.now())
    names = sorted({m.enterprise.name for m in allowed_memberships})
    for approver, enterprise in await service.approvers(session, person, enterprise_ids):
        notify(session, i18n, approver, kind="picture", now=clock.now(), enterprise=enterprise,
               render=lambda locale: (ui.approval_request(person.display_name, lesson, locale,
                                                          names),
                                      ui.approval_keyboard(picture)),
               media=[("photo", picture.file_id)])
    await tx.commit()
    await state.clear()
    await tx.tell(ui.attached(lesson.key), chat_id=message.chat.id)
    log.info("picture attached to lesson %s for %s enterprises", lesson.id, len(enterprise_ids))


async def not_a_photo(message: Message) -> None:
    await message.answer(ui.not_a_photo(), reply_markup=ui.cancel_keyboard())


async def cancel(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await query.answer()
    await replace_message(bot, query, ui.cancelled())


async def decide(query: CallbackQuery, callback_data: PictureCallback, session: AsyncSession,
                 person: Person, allowed_memberships: list[Membership],
                 curriculum: Curriculum, clock: Clock, i18n: CatalogI18n,
                 tx: UpdateTransaction) -> None:
    picture = await service.get(session, callback_data.id)
    if picture is None or picture.approved_at is not None:
        await query.answer(ui.decided_already(), show_alert=True)
        return
    if picture.attached_by_id == person.id:
        await query.answer(ui.own_picture(), show_alert=True)
        return
    if not await service.may_approve(session, picture, person, allowed_memberships):
        await refuse_button(query, "approving a picture of an enterprise one does not follow")
        return
    lesson = curriculum.get(picture.lesson_id)
    key = lesson.key if lesson else picture.lesson_id
    attacher = await service.attacher_of(session, picture)
    if callback_data.action == "ok":
        service.approve(session, picture, person, clock.now())
        text, told = ui.approved(key), ui.your_picture_approved
    else:
        await service.reject(session, picture)
        text, told = ui.rejected(key), ui.your_picture_rejected
    if attacher is not None and attacher.telegram_id is not None:
        notify(session, i18n, attacher, kind="picture", now=clock.now(), enterprise=None,
               render=lambda _locale: told(key))
    await tx.commit()
    await tx.tell(text, query=query)  # the notice is a photo: the answer follows it


def build_router() -> Router:
    router = private_router("pictures")
    router.message.register(start_picture, Command("picture"), flags=PICTURE)
    router.message.register(receive_photo, StateFilter(PictureFlow.photo), F.photo,
                            flags=PICTURE)
    router.message.register(not_a_photo, StateFilter(PictureFlow.photo), flags=PICTURE)
    router.callback_query.register(cancel, PictureCallback.filter(F.action == "cancel"),
                                   flags=PICTURE)
    router.callback_query.register(decide, PictureCallback.filter(F.action.in_({"ok", "no"})),
                                   flags=PICTURE)
    return router
