"""/schedule: team leads (their own team), managers, consultants and admins (any team of their
enterprise) choose the days and the hour when lessons arrive. Each button is its own handler
(show a team's schedule, toggle a day, move the hour, done); the message is edited in place."""

from __future__ import annotations

from datetime import time

from aiogram import Bot, F, Router, html
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot.deps import Deps
from bot.handlers.common import private_router, refuse_button, replace_message
from bot.i18n import _
from bot.keyboards.callbacks import ScheduleCallback
from bot.replies import UpdateTransaction
from bot.services import schedule
from bot.services.errors import InvalidValue
from bot.services.permissions import Capability, may_see_team, membership_in
from storage.models import Enterprise, Membership, Person, Team

LEAD = {"capability": Capability.LEAD_LEARNING}


def schedule_text(team: Team, enterprise: Enterprise, locale: str) -> str:
    names = fmt.weekday_names(locale)
    days = ", ".join(names[day - 1] for day in team.weekdays)
    moment = fmt.clock_time(time(team.lesson_hour, team.lesson_minute), locale)
    return _("Lessons for the team “{team}”: {days} at {time} ({timezone}).").format(
        team=html.quote(team.name), days=days, time=moment, timezone=enterprise.timezone
    ) + "\n\n" + _("Tap a day to add or remove it, or move the hour.")


def schedule_keyboard(team: Team, locale: str) -> InlineKeyboardMarkup:
    names = fmt.weekday_names(locale, "abbreviated")
    builder = InlineKeyboardBuilder()
    for day in range(1, 8):
        mark = "✓ " if day in team.weekdays else ""
        builder.button(text=f"{mark}{names[day - 1]}",
                       callback_data=ScheduleCallback(team_id=team.id, action="day", value=day))
    builder.button(text=_("− 1 hour"),
                   callback_data=ScheduleCallback(team_id=team.id, action="hour", value=-1))
    builder.button(text=_("+ 1 hour"),
                   callback_data=ScheduleCallback(team_id=team.id, action="hour", value=1))
    builder.button(text=_("Done"), callback_data=ScheduleCallback(team_id=team.id, action="done"))
    builder.adjust(4, 3, 2, 1)
    return builder.as_markup()


async def _schedulable(query: CallbackQuery, callback_data: ScheduleCallback,
                       session: AsyncSession, allowed_memberships: list[Membership],
                       ) -> tuple[Team, Enterprise] | None:
    """The team a button names and its enterprise, if the person may schedule it; None (the
    button refused) otherwise."""
    found = await schedule.team_and_enterprise(session, callback_data.team_id)
    membership = membership_in(allowed_memberships, found[0].enterprise_id) if found else None
    if found is None or membership is None or not may_see_team(membership, found[0].id):
        await refuse_button(query, "team outside what the person may schedule")
        return None
    return found


async def start_schedule(message: Message, session: AsyncSession,
                         allowed_memberships: list[Membership], locale: str) -> None:
    teams = await schedule.schedulable_teams(session, allowed_memberships)
    if not teams:
        await message.answer(_("Your enterprise has no improvement team yet. Ask your "
                               "administrator to create one."))
        return
    if len(teams) == 1:
        found = await schedule.team_and_enterprise(session, teams[0].id)
        assert found is not None
        await message.answer(schedule_text(*found, locale),
                             reply_markup=schedule_keyboard(found[0], locale))
        return
    builder = InlineKeyboardBuilder()
    for team in teams[:40]:
        builder.button(text=team.name,
                       callback_data=ScheduleCallback(team_id=team.id, action="show"))
    builder.adjust(1)
    await message.answer(_("Which team?"), reply_markup=builder.as_markup())


async def show(query: CallbackQuery, callback_data: ScheduleCallback, session: AsyncSession,
               allowed_memberships: list[Membership], bot: Bot, locale: str) -> None:
    """A team picked: its schedule, with the buttons to change it."""
    found = await _schedulable(query, callback_data, session, allowed_memberships)
    if found is not None:
        await _shown(query, *found, bot, locale)


async def _shown(query: CallbackQuery, team: Team, enterprise: Enterprise, bot: Bot,
                 locale: str) -> None:
    await query.answer()
    await replace_message(bot, query, schedule_text(team, enterprise, locale),
                          schedule_keyboard(team, locale))


async def _changed(query: CallbackQuery, team: Team, enterprise: Enterprise, locale: str,
                   tx: UpdateTransaction) -> None:
    """The new schedule, shown once it is stored."""
    await tx.commit()
    await tx.tell(schedule_text(team, enterprise, locale), query=query,
                  markup=schedule_keyboard(team, locale))


async def toggle_day(query: CallbackQuery, callback_data: ScheduleCallback,
                     session: AsyncSession, allowed_memberships: list[Membership],
                     person: Person, locale: str, tx: UpdateTransaction, deps: Deps) -> None:
    found = await _schedulable(query, callback_data, session, allowed_memberships)
    if found is None:
        return
    try:
        schedule.toggle_day(session, *found, callback_data.value, person, deps.clock.now())
    except InvalidValue as error:
        if error.code != "last_day":
            await refuse_button(query, f"unknown schedule day {callback_data.value}")
            return
        await query.answer(_("Keep at least one lesson day."), show_alert=True)
        return
    await _changed(query, *found, locale, tx)


async def move_hour(query: CallbackQuery, callback_data: ScheduleCallback,
                    session: AsyncSession, allowed_memberships: list[Membership],
                    person: Person, locale: str, tx: UpdateTransaction, deps: Deps) -> None:
    found = await _schedulable(query, callback_data, session, allowed_memberships)
    if found is None:
        return
    try:
        schedule.move_hour(session, *found, callback_data.value, person, deps.clock.now())
    except InvalidValue as error:
        if error.code != "hour":
            await refuse_button(query, f"unknown schedule hour move {callback_data.value}")
            return
        await query.answer(_("Lessons arrive between {start} and {end}.").format(
            start=fmt.clock_time(time(schedule.EARLIEST_HOUR), locale),
            end=fmt.clock_time(time(schedule.LATEST_HOUR), locale),
        ), show_alert=True)
        return
    await _changed(query, *found, locale, tx)


async def done(query: CallbackQuery, callback_data: ScheduleCallback, session: AsyncSession,
               allowed_memberships: list[Membership], bot: Bot, locale: str) -> None:
    """Done: the schedule stays on the message, without its buttons."""
    found = await _schedulable(query, callback_data, session, allowed_memberships)
    if found is not None:
        await query.answer()
        await replace_message(bot, query, schedule_text(*found, locale).split("\n\n")[0])


def build_router() -> Router:
    router = private_router("schedule")
    router.message.register(start_schedule, Command("schedule"), flags=LEAD)
    button = router.callback_query.register
    button(show, ScheduleCallback.filter(F.action == "show"), flags=LEAD)
    button(toggle_day, ScheduleCallback.filter(F.action == "day"), flags=LEAD)
    button(move_hour, ScheduleCallback.filter(F.action == "hour"), flags=LEAD)
    button(done, ScheduleCallback.filter(F.action == "done"), flags=LEAD)
    return router
