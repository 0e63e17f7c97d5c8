"""What consultants (and admins) use to follow enterprises: /teams with a health colour per
enterprise, /link codes for group chats, /export, and their answers to escalations, which
work both in a direct chat and in a group.

```mermaid
stateDiagram-v2
    [*] --> alert: a stall reaches the consultant (direct chat and group copies)
    alert --> [*]: Acknowledge, I will call, Snooze (every copy says so)
    alert --> owners: Reassign
    owners --> [*]: the new owner picked (told)
    alert --> dates: New date
    dates --> [*]: the date picked (the owner told)
```
Each answer is its own handler; no conversation state is kept (the alert is edited).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from aiogram import Bot, F, Router, html
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import stall_answers
from bot.clock import Clock
from bot.deps import Deps
from bot.handlers.common import (
    ask_enterprise,
    pack_messages,
    picked_enterprise,
    private_router,
    refuse_button,
    replace_message,
)
from bot.i18n import _
from bot.keyboards.callbacks import EnterpriseCallback, EscalationCallback, HealthItemCallback
from bot.presenters import escalation as ui
from bot.presenters import export as export_ui
from bot.presenters import health as health_ui
from bot.replies import UpdateTransaction
from bot.services import actions, escalation, export, groups
from bot.services.errors import InvalidValue
from bot.services.health import health_of, health_overdue
from bot.services.permissions import Capability, membership_in
from storage.models import Membership, Person, Stall, StallStatus

log = logging.getLogger(__name__)
FOLLOW = {"capability": Capability.FOLLOW}


_picked = picked_enterprise


# --- /teams ------------------------------------------------------------------------------


async def _overview(session: AsyncSession, clock: Clock,
                    allowed_memberships: list[Membership]) -> tuple[str, InlineKeyboardMarkup]:
    now = clock.now()
    return health_ui.overview(
        [await health_of(session, m.enterprise, now) for m in allowed_memberships])


async def show_teams(message: Message, session: AsyncSession, clock: Clock,
                     allowed_memberships: list[Membership]) -> None:
    text, markup = await _overview(session, clock, allowed_memberships)
    await message.answer(text, reply_markup=markup)


async def back_to_teams(query: CallbackQuery, callback_data: EnterpriseCallback, bot: Bot,
                        session: AsyncSession, clock: Clock,
                        allowed_memberships: list[Membership]) -> None:
    if await _picked(query, callback_data, allowed_memberships) is None:
        return
    await query.answer()
    await replace_message(bot, query, *await _overview(session, clock, allowed_memberships))


async def show_health(query: CallbackQuery, callback_data: EnterpriseCallback, bot: Bot,
                      session: AsyncSession, clock: Clock, locale: str,
                      allowed_memberships: list[Membership]) -> None:
    membership = await _picked(query, callback_data, allowed_memberships)
    if membership is None:
        return
    await query.answer()
    health = await health_of(session, membership.enterprise, clock.now())
    text = "\n".join(health_ui.card(health, locale))
    await replace_message(bot, query, pack_messages([text])[0], health_ui.card_keyboard(health))


async def show_health_stall(query: CallbackQuery, callback_data: HealthItemCallback,
                            bot: Bot, session: AsyncSession, deps: Deps, locale: str,
                            allowed_memberships: list[Membership]) -> None:
    """A stall opened from the health card: the alert, with the consultant's answers."""
    stall = await escalation.stall_by_id(session, callback_data.id)
    membership = membership_in(allowed_memberships, stall.enterprise_id) if stall else None
    subject = await escalation.subject_of(session, stall) if stall else None
    if stall is None or subject is None or not escalation.may_handle(membership, stall):
        await refuse_button(query, "health item outside what the person follows")
        return
    if stall.status is StallStatus.RESOLVED:
        await query.answer(_("This is resolved already: nothing to do."), show_alert=True)
        return
    await query.answer()
    text, keyboard = ui.to_consultant(subject, deps.clock.now(), locale)
    await bot.send_message(query.from_user.id, text, reply_markup=keyboard)


async def show_health_action(query: CallbackQuery, callback_data: HealthItemCallback,
                             bot: Bot, session: AsyncSession, deps: Deps, locale: str,
                             allowed_memberships: list[Membership]) -> None:
    """An overdue action opened from the health card: what it is and what happens next."""
    overdue = await health_overdue(session, callback_data.id, deps.clock.now())
    membership = membership_in(allowed_memberships, overdue[0].item.enterprise_id) \
        if overdue else None
    if overdue is None or membership is None:
        await refuse_button(query, "health item outside what the person follows")
        return
    await query.answer()
    await bot.send_message(query.from_user.id, health_ui.overdue_action(*overdue, locale))


# --- /link in a direct chat: codes for groups ----------------------------------------------


async def link_codes(message: Message, session: AsyncSession, person: Person, clock: Clock,
                     locale: str, allowed_memberships: list[Membership]) -> None:
    now = clock.now()
    lines = [_("To have a group chat follow an enterprise: add me to the group, then send "
               "this there (each code works once, for you, for 24 hours):")]
    for membership in allowed_memberships:
        code = await groups.make_code(session, membership.enterprise, person, now)
        lines.append(f"• {html.quote(membership.enterprise.name)}: "
                     f"<code>/link {code.code}</code>")
    lines.append(_("The group then gets a weekly digest, the escalations, and /status."))
    for text in pack_messages(lines):
        await message.answer(text)


# --- /export -------------------------------------------------------------------------------


async def export_start(message: Message, allowed_memberships: list[Membership], bot: Bot,
                       session: AsyncSession, clock: Clock, locale: str) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "export")
    if membership is not None:
        await _send_export(bot, message.chat.id, session, membership, clock, locale)


async def export_pick(query: CallbackQuery, callback_data: EnterpriseCallback, bot: Bot,
                      session: AsyncSession, clock: Clock, locale: str,
                      allowed_memberships: list[Membership]) -> None:
    membership = await _picked(query, callback_data, allowed_memberships)
    if membership is None:
        return
    await query.answer(_("Preparing the file…"))
    await _send_export(bot, query.from_user.id, session, membership, clock, locale)


async def _send_export(bot: Bot, chat_id: int, session: AsyncSession, membership: Membership,
                       clock: Clock, locale: str) -> None:
    words = export_ui.words(locale)
    tables = await export.all_tables(session, membership.enterprise_id, words)
    now = clock.now()
    content = export.to_xlsx(tables, words)
    name = f"scorebot-{membership.enterprise_id}-{now:%Y%m%d}.xlsx"
    caption = _("{enterprise}: KPIs, suggestions, actions, lesson progress and escalations, "
                "as of {date}. Anonymous suggestions stay anonymous.").format(
        enterprise=html.quote(membership.enterprise.name),
        date=fmt.moment(now, locale, membership.enterprise.timezone))
    await bot.send_document(chat_id, BufferedInputFile(content, filename=name), caption=caption)


# --- answers to escalations (direct chat or group) ---------------------------------------


async def _open_stall(query: CallbackQuery, callback_data: EscalationCallback,
                     session: AsyncSession, memberships: list[Membership],
                     ) -> tuple[Stall, escalation.Subject] | None:
    """The stall a button names and what it is about, if the person follows it, the answer
    fits it and it is still open; None (the button answered) otherwise."""
    stall = await escalation.stall_by_id(session, callback_data.id)
    membership = membership_in(memberships, stall.enterprise_id) if stall else None
    if stall is None or not escalation.may_handle(membership, stall):
        await refuse_button(query, "escalation outside what the person follows")
        return None
    if not escalation.allows(stall, callback_data.action):
        await refuse_button(query, f"escalation action {callback_data.action} for a "
                                   f"{stall.kind.value}")
        return None
    if stall.status is StallStatus.RESOLVED:
        await query.answer(_("This is resolved already: nothing to do."), show_alert=True)
        return None
    subject = await escalation.subject_of(session, stall)
    if subject is None:
        await refuse_button(query, "escalation whose subject is gone")
        return None
    return stall, subject


def _card(subject: escalation.Subject, deps: Deps, locale: str) -> str:
    return ui.to_consultant(subject, deps.clock.now(), locale)[0]


async def _answered(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                    session: AsyncSession, person: Person, stall: Stall,
                    subject: escalation.Subject, card: str, deps: Deps,
                    locale: str, tx: UpdateTransaction) -> None:
    """Once the answer is stored, it is shown under the alert here (`card`, as it was before
    the answer) and in every other copy of it (drawn anew)."""
    now = deps.clock.now()
    await tx.commit()
    await tx.tell(card + "\n\n" + ui.outcome(callback_data.action, person.display_name,
                                              locale, subject), query=query, toast=_("Done."))
    pressed = (query.message.chat.id, query.message.message_id) if query.message else None
    await stall_answers.show_on_every_copy(bot, session, stall, subject, callback_data.action,
                                           person, now, deps.i18n, skip=pressed)


async def ask_new_owner(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                        session: AsyncSession, memberships: list[Membership], deps: Deps,
                        locale: str) -> None:
    """Reassign: who should take it over?"""
    found = await _open_stall(query, callback_data, session, memberships)
    if found is None:
        return
    stall, subject = found
    members = await escalation.reassign_choices(session, stall)
    if not members:
        await query.answer(_("This team has nobody else to give it to."), show_alert=True)
        return
    await query.answer()
    await replace_message(bot, query, _card(subject, deps, locale) + "\n\n"
                          + _("Who should take it over?"),
                          ui.owner_keyboard(subject, members))


async def ask_new_date(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                       session: AsyncSession, memberships: list[Membership], deps: Deps,
                       locale: str) -> None:
    """New date: by when can it be done?"""
    found = await _open_stall(query, callback_data, session, memberships)
    if found is None:
        return
    _stall, subject = found
    now = deps.clock.now()
    card, _keyboard = ui.to_consultant(subject, now, locale)
    await query.answer()
    today = actions.local_date(now, subject.enterprise.timezone)
    await replace_message(bot, query, card + "\n\n" + _("By when can it be done?"),
                          ui.date_keyboard(subject, today, locale))


Answer: TypeAlias = Callable[[Stall, escalation.Subject],
                           Awaitable[escalation.Subject | None]]


async def _answer(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                  session: AsyncSession, person: Person, memberships: list[Membership],
                  deps: Deps, locale: str, act: Answer, tx: UpdateTransaction) -> None:
    """`act` on the stall a button names, if the person follows it and it is open; then the
    answer is shown under every copy of the alert (`act` returns what the alert is about
    now, or None when it refused the button)."""
    found = await _open_stall(query, callback_data, session, memberships)
    if found is None:
        return
    stall, subject = found
    card = _card(subject, deps, locale)
    shown = await act(stall, subject)
    if shown is not None:
        await _answered(query, callback_data, bot, session, person, stall, shown, card, deps,
                        locale, tx)


async def acknowledge(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                      session: AsyncSession, person: Person, memberships: list[Membership],
                      deps: Deps, locale: str, tx: UpdateTransaction) -> None:
    async def act(stall: Stall, subject: escalation.Subject) -> escalation.Subject:
        escalation.acknowledge(session, stall, person, deps.clock.now())
        return subject

    await _answer(query, callback_data, bot, session, person, memberships, deps, locale, act,
                  tx)


async def will_call(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                    session: AsyncSession, person: Person, memberships: list[Membership],
                    deps: Deps, locale: str, tx: UpdateTransaction) -> None:
    """"I will call": those concerned hear that their consultant will call."""
    async def act(stall: Stall, subject: escalation.Subject) -> escalation.Subject:
        await stall_answers.will_call(session, deps.i18n, stall, subject, person,
                                      deps.clock.now())
        return subject

    await _answer(query, callback_data, bot, session, person, memberships, deps, locale, act,
                  tx)


async def snooze(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                 session: AsyncSession, person: Person, memberships: list[Membership],
                 deps: Deps, locale: str, tx: UpdateTransaction) -> None:
    async def act(stall: Stall, subject: escalation.Subject) -> escalation.Subject:
        escalation.snooze(session, stall, person, deps.clock.now())
        return subject

    await _answer(query, callback_data, bot, session, person, memberships, deps, locale, act,
                  tx)


async def new_owner_picked(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                           session: AsyncSession, person: Person,
                           memberships: list[Membership], deps: Deps, locale: str,
                           tx: UpdateTransaction) -> None:
    """The action is given to the member picked, who is told."""
    async def act(stall: Stall, subject: escalation.Subject) -> escalation.Subject | None:
        member = await escalation.possible_new_owner(session, stall, callback_data.value)
        if subject.item is None or member is None:
            await refuse_button(query, "new owner outside the action's team")
            return None
        escalation.reassign(session, stall, subject.item, member.person, person,
                            deps.clock.now())
        moved = await escalation.subject_of(session, stall)
        assert moved is not None
        stall_answers.tell(session, deps.i18n, [member.person], moved, deps.clock.now(),
                           lambda loc: ui.taken_over(person.display_name, moved, loc))
        return moved

    await _answer(query, callback_data, bot, session, person, memberships, deps, locale, act,
                  tx)


async def new_date_picked(query: CallbackQuery, callback_data: EscalationCallback, bot: Bot,
                          session: AsyncSession, person: Person,
                          memberships: list[Membership], deps: Deps, locale: str,
                          tx: UpdateTransaction) -> None:
    """The action's due date moves; its owner is told."""
    async def act(stall: Stall, subject: escalation.Subject) -> escalation.Subject | None:
        try:
            await stall_answers.new_date(session, deps.i18n, stall, subject,
                                         callback_data.value, person, deps.clock.now())
        except InvalidValue:
            await refuse_button(query, f"new date of {callback_data.value} days")
            return None
        return subject

    await _answer(query, callback_data, bot, session, person, memberships, deps, locale, act,
                  tx)


def build_router() -> Router:
    private = private_router("consultant-private")
    private.message.register(show_teams, Command("teams"), flags=FOLLOW)
    private.message.register(link_codes, Command("link"), flags=FOLLOW)
    private.message.register(export_start, Command("export"), flags=FOLLOW)
    private.callback_query.register(show_health, EnterpriseCallback.filter(F.action == "health"),
                                    flags=FOLLOW)
    private.callback_query.register(back_to_teams, EnterpriseCallback.filter(F.action == "teams"),
                                    flags=FOLLOW)
    private.callback_query.register(show_health_stall,
                                    HealthItemCallback.filter(F.kind == "stall"), flags=FOLLOW)
    private.callback_query.register(show_health_action,
                                    HealthItemCallback.filter(F.kind == "action"), flags=FOLLOW)
    private.callback_query.register(export_pick, EnterpriseCallback.filter(F.action == "export"),
                                    flags=FOLLOW)
    # Escalations are answered from direct chats and from groups alike.
    anywhere = Router(name="escalations")
    answer = anywhere.callback_query.register
    answer(acknowledge, EscalationCallback.filter(F.action == "ack"), flags=FOLLOW)
    answer(will_call, EscalationCallback.filter(F.action == "call"), flags=FOLLOW)
    answer(snooze, EscalationCallback.filter(F.action == "snooze"), flags=FOLLOW)
    answer(ask_new_owner, EscalationCallback.filter(F.action == "owner"), flags=FOLLOW)
    answer(new_owner_picked, EscalationCallback.filter(F.action == "pick_owner"), flags=FOLLOW)
    answer(ask_new_date, EscalationCallback.filter(F.action == "date"), flags=FOLLOW)
    answer(new_date_picked, EscalationCallback.filter(F.action == "pick_date"), flags=FOLLOW)
    router = Router(name="consultant")
    router.include_routers(private, anywhere)
    return router
