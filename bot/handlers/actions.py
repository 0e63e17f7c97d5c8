"""One-tap answers to action reminders: done (with an after-photo if wished), in progress
(with a note), need help (the team lead is told), new date."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.handlers.common import private_router, refuse_button, replace_message
from bot.i18n import _
from bot.keyboards.callbacks import ActionCallback
from bot.notify import notify
from bot.presenters import actions as ui
from bot.services import actions
from bot.services.errors import InvalidValue
from bot.services.people import team_leads
from bot.services.permissions import Capability, membership_in
from storage.models import ActionItem, Enterprise, Membership, Person

LEARN = {"capability": Capability.LEARN}


class ActionFlow(StatesGroup):
    note = State()
    after_photo = State()


async def action_button(
    query: CallbackQuery, callback_data: ActionCallback, state: FSMContext,
    session: AsyncSession, person: Person, memberships: list[Membership], clock: Clock,
    bot: Bot, locale: str, settings, i18n,  # type: ignore[no-untyped-def]
) -> None:
    item = await session.get(ActionItem, callback_data.id)
    membership = membership_in(memberships, item.enterprise_id) if item else None
    if item is None or not actions.may_update(membership, item, person.id):
        await refuse_button(query, "action outside what the person may update")
        return
    enterprise = await session.get(Enterprise, item.enterprise_id)
    assert enterprise is not None
    now = clock.now()
    action = callback_data.action
    if item.status not in actions.OPEN_STATUSES and action != "skip":
        await query.answer(_("This action is closed already."), show_alert=True)
        return
    await query.answer()
    if action == "done":
        actions.mark_done(session, item, person, now)
        await state.set_state(ActionFlow.after_photo)
        await state.set_data({"action": item.id})
        await replace_message(bot, query, _("Well done! Send an after-photo to show the "
                                            "change, or tap Skip."), ui.skip_keyboard(item))
    elif action == "skip":
        await state.clear()
        await replace_message(bot, query, _("Thank you. The action is closed."))
    elif action == "progress":
        await state.set_state(ActionFlow.note)
        await state.set_data({"action": item.id})
        await replace_message(bot, query, _("What has been done so far? A few words are "
                                            "enough."))
    elif action == "help":
        leads = [lead for lead in await team_leads(session, item.team_id)
                 if lead.id != person.id]
        for lead in leads:
            notify(session, i18n, lead, kind="action_help", now=now, enterprise=enterprise,
                   default_locale=settings.default_locale,
                   render=lambda locale: ui.help_request(person.display_name, item, locale))
        actions.add_note(session, item, person, now, text="(asked for help)")
        await replace_message(bot, query, _("Your team lead has been told you need help.")
                              if leads else _("There is no team lead to tell; please talk "
                                              "to your manager."))
    elif action == "date":
        today = actions.local_date(now, enterprise.timezone)
        await replace_message(bot, query, _("By when can it be done?"),
                              ui.new_date_keyboard(item, today, locale))
    elif action == "move":
        try:
            actions.move_due_date(session, item, person, callback_data.value, enterprise, now)
        except InvalidValue:
            await refuse_button(query, f"new date of {callback_data.value} days")
            return
        await replace_message(bot, query, _("New date: {date}.").format(
            date=format_date(item.due_on, format="medium", locale=locale)))
    else:
        await refuse_button(query, f"unknown action button {action}")


async def action_text(message: Message, state: FSMContext, session: AsyncSession,
                      person: Person, memberships: list[Membership], clock: Clock) -> None:
    current = await state.get_state()
    item = await session.get(ActionItem, int((await state.get_data()).get("action", 0)))
    membership = membership_in(memberships, item.enterprise_id) if item else None
    if item is None or not actions.may_update(membership, item, person.id):
        await state.clear()
        await message.answer(_("Sorry, this action is not yours to update."))
        return
    if current == ActionFlow.after_photo.state:
        if not message.photo:
            await message.answer(_("Please send a photo, or tap Skip."))
            return
        actions.add_note(session, item, person, clock.now(),
                         photo_file_id=message.photo[-1].file_id, text=message.caption or "")
        await state.clear()
        await message.answer(_("After-photo saved. Thank you for making it happen!"))
        return
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(_("Please write it as text."))
        return
    actions.add_note(session, item, person, clock.now(), text=text, in_progress=True)
    await state.clear()
    await message.answer(_("Noted. Keep going!"))


def build_router() -> Router:
    router = private_router("actions")
    router.callback_query.register(action_button, ActionCallback.filter(), flags=LEARN)
    router.message.register(action_text, StateFilter(ActionFlow.note, ActionFlow.after_photo),
                            flags=LEARN)
    return router

