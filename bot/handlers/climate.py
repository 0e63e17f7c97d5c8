"""The anonymous pulse survey (one statement per message, edited in place) and /climate, the
Working Climate Index of the teams a person may see.

Anonymity: the answers so far travel in the buttons of the person's own chat and are counted
only at the last statement; no log line here names the answers, and refusals are logged
without the button's data."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.common import pack_messages, private_router, replace_message
from bot.i18n import _
from bot.keyboards.callbacks import PulseCallback
from bot.presenters import climate as ui
from bot.replies import UpdateTransaction
from bot.services import climate
from bot.services.enterprises import teams_of
from bot.services.permissions import ENTERPRISE_WIDE_ROLES, Capability
from storage.models import Membership, Person

log = logging.getLogger(__name__)
SEE = {"capability": Capability.SEE_CLIMATE}


async def _refuse(query: CallbackQuery, reason: str) -> None:
    # Unlike refuse_button, the button's data (the answers so far) is never logged.
    log.warning("pulse button refused: reason=%s", reason)
    await query.answer(
        _("Sorry, this button is not valid any more. Send /help to start again."),
        show_alert=True,
    )


async def pulse_button(
    query: CallbackQuery, callback_data: PulseCallback, session: AsyncSession, person: Person,
    memberships: list[Membership], bot: Bot, locale: str, tx: UpdateTransaction,
) -> None:
    pulse = await climate.round_by_id(session, callback_data.round_id)
    if pulse is None or not any(m.team_id == pulse.team_id for m in memberships):
        await _refuse(query, "pulse round outside the person's team")
        return
    if pulse.closed_at is not None:
        await query.answer(_("This survey has closed. Thank you all the same!"),
                           show_alert=True)
        return
    if await climate.has_answered(session, pulse.id, person.id):
        await query.answer(_("You have answered this survey already. Thank you!"),
                           show_alert=True)
        return
    given = callback_data.given + str(callback_data.score)
    if len(given) > len(pulse.statements):
        await _refuse(query, "more answers than statements")
        return
    if len(given) < len(pulse.statements):
        await query.answer()
        text, markup = ui.question(pulse, given, locale)
        await replace_message(bot, query, text, markup)
        return
    await climate.record_answers(session, pulse, person, [int(digit) for digit in given])
    await tx.commit()
    await tx.tell(ui.thanks(), query=query)


def _visible_teams(memberships: list[Membership]) -> list[tuple[int, int | None]]:
    """(enterprise, team) pairs: a whole enterprise (team None) for managers, consultants and
    admins, one's own team for the others."""
    seen: list[tuple[int, int | None]] = []
    for membership in memberships:
        if membership.role in ENTERPRISE_WIDE_ROLES:
            seen.append((membership.enterprise_id, None))
        elif membership.team_id is not None:
            seen.append((membership.enterprise_id, membership.team_id))
    return seen


async def show_climate(message: Message, session: AsyncSession, person: Person,
                       allowed_memberships: list[Membership], locale: str) -> None:
    lines: list[str] = []
    for enterprise_id, team_id in _visible_teams(allowed_memberships):
        teams = [team for team in await teams_of(session, enterprise_id)
                 if team_id is None or team.id == team_id]
        for team in teams:
            latest, previous = await climate.team_climate(session, team.id)
            lines += [ui.report(team.name, latest, previous, locale), ""]
    if not lines:
        lines = [_("There is no team to show yet.")]
    for text in pack_messages(lines):
        await message.answer(text.strip())
    # Someone who has not answered this month's survey yet can do it now.
    for membership in allowed_memberships:
        if membership.team_id is None:
            continue
        pulse = await climate.open_round_for_person(session, membership.team_id, person.id)
        if pulse is not None and membership.team is not None:
            team = membership.team
            text, markup = ui.question(pulse, "", locale, team=team.name)
            await message.answer(text, reply_markup=markup)


def build_router() -> Router:
    router = private_router("climate")
    router.message.register(show_climate, Command("climate"), flags=SEE)
    router.callback_query.register(pulse_button, PulseCallback.filter(), flags=SEE)
    return router
