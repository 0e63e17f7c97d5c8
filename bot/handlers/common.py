"""Small pieces shared by the feature routers."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import formatting as fmt
from bot.clock import Clock
from bot.dates import parse_day
from bot.i18n import _
from bot.keyboards.builders import enterprise_keyboard
from bot.keyboards.callbacks import EnterpriseCallback
from bot.limits import MESSAGE_TEXT_MAX
from bot.logs import in_private_flow
from bot.services.actions import check_due_date, local_date
from bot.services.errors import InvalidValue
from bot.services.permissions import membership_in, single_enterprise
from storage.models import Enterprise, Membership

log = logging.getLogger(__name__)


def private_router(name: str) -> Router:
    """A router that only sees private chats (and buttons pressed in them)."""
    router = Router(name=name)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    return router


async def replace_message(
    bot: Bot, query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show the next step in place of the message whose button was pressed; send a new
    message when that one can no longer be edited (too old, or deleted)."""
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if query.message is not None:
        try:
            await bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=query.message.message_id,
                reply_markup=markup,
            )
            return
        except TelegramBadRequest as error:
            log.info("could not edit message %s: %s", query.message.message_id, error.message)
    await bot.send_message(chat_id, text, reply_markup=markup)


def pack_messages(lines: list[str], limit: int = MESSAGE_TEXT_MAX) -> list[str]:
    """Join lines into as few messages as fit Telegram's limit, breaking only between lines
    (so no HTML tag is ever cut in two). A single overlong line is cut at the limit."""
    messages: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            messages.append(current)
            candidate = line
        current = candidate
    if current:
        messages.append(current)
    return messages


async def refuse_button(query: CallbackQuery, reason: str) -> None:
    """Answer a forged or stale button politely, and leave a line in the log. The line never
    carries a Telegram id (the person id is among the line's fields, outside private flows),
    and in a private flow not the button's data either: it could say what was chosen."""
    if in_private_flow():
        log.warning("button refused: reason=%s", reason)
    else:
        log.warning("button refused: data=%r reason=%s", query.data, reason)
    await query.answer(
        _("Sorry, this button is not valid any more. Send /help to start again."),
        show_alert=True,
    )


async def typed_due_date(message: Message, enterprise: Enterprise, clock: Clock,
                         locale: str) -> date | None:
    """The due date a person typed ("25/11/2026", "2026-11-25", their locale's way), or None
    after telling them kindly why it will not do (unreadable, or already past)."""
    today = local_date(clock.now(), enterprise.timezone)
    day = parse_day(message.text or "", locale)
    if day is None:
        await message.answer(_("Sorry, I could not read that date. Please type it like "
                               "{example}, or tap a date.").format(
            example=fmt.day(today + timedelta(days=10), locale, style="short")))
        return None
    try:
        return check_due_date(day, enterprise, clock.now())
    except InvalidValue:
        await message.answer(_("That date has already passed. Please choose today or a later "
                               "day."))
        return None


# --- "Which enterprise?": one step for every command that acts on one enterprise ----------


async def ask_enterprise(bot: Bot, chat_id: int, allowed: list[Membership],
                         action: str) -> Membership | None:
    """The membership to act in when the person has only one enterprise for this command;
    otherwise None, after asking which with a button per enterprise. The button comes back
    as `EnterpriseCallback(action=action, id=...)`, read with `picked_enterprise`."""
    only = single_enterprise(allowed)
    if only is not None or not allowed:
        return only
    await bot.send_message(chat_id, _("Which enterprise?"), reply_markup=enterprise_keyboard(
        allowed, lambda m: EnterpriseCallback(action=action, id=m.enterprise_id)))
    return None


async def picked_enterprise(query: CallbackQuery, callback_data: EnterpriseCallback,
                            allowed: list[Membership]) -> Membership | None:
    """The membership of the enterprise a button names, or None (refused) when the person
    may not do this there."""
    membership = membership_in(allowed, callback_data.id)
    if membership is None:
        await refuse_button(query, f"{callback_data.action} of an enterprise not allowed")
    return membership
