"""/schedule: team leads (their own team), managers, consultants and admins (any team of their
enterprise) choose the days and the hour when lessons arrive."""

from __future__ import annotations

from datetime import time

from aiogram import Bot, Router, html
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_time, get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.common import private_router, refuse_button, replace_message
from bot.i18n import _
from bot.keyboards.callbacks import ScheduleCallback
from bot.services import audit
from bot.services.enterprises import teams_of
from bot.services.permissions import Capability, may_see_team, membership_in
from storage.models import Enterprise, Membership, Person, Team

LEAD = {"capability": Capability.LEAD_LEARNING}
EARLIEST_HOUR, LATEST_HOUR = 6, 20  # lessons arrive in working hours, never at night


def schedule_text(team: Team, enterprise: Enterprise, locale: str) -> str:
    names = get_day_names("wide", locale=locale)
    days = ", ".join(names[day - 1] for day in team.weekdays)
    moment = format_time(time(team.lesson_hour, team.lesson_minute), format="short",
                         locale=locale)
    return _("Lessons for the team “{team}”: {days} at {time} ({timezone}).").format(
        team=html.quote(team.name), days=days, time=moment, timezone=enterprise.timezone
    ) + "\n\n" + _("Tap a day to add or remove it, or move the hour.")


def schedule_keyboard(team: Team, locale: str) -> InlineKeyboardMarkup:
    names = get_day_names("abbreviated", locale=locale)
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


def _may_schedule(membership: Membership | None, team: Team) -> bool:
    return membership is not None and may_see_team(membership, team.id)


async def start_schedule(
    message: Message,
    session: AsyncSession,
    allowed_memberships: list[Membership],
    locale: str,
) -> None:
    teams: list[Team] = []
    for membership in allowed_memberships:
        if membership.team is not None:
            teams.append(membership.team)
        else:
            teams += await teams_of(session, membership.enterprise_id)
    if not teams:
        await message.answer(_("Your enterprise has no improvement team yet. Ask your "
                               "administrator to create one."))
        return
    if len(teams) == 1:
        team = teams[0]
        enterprise = await session.get(Enterprise, team.enterprise_id)
        assert enterprise is not None
        await message.answer(schedule_text(team, enterprise, locale),
                             reply_markup=schedule_keyboard(team, locale))
        return
    builder = InlineKeyboardBuilder()
    for team in teams[:40]:
        builder.button(text=team.name,
                       callback_data=ScheduleCallback(team_id=team.id, action="show"))
    builder.adjust(1)
    await message.answer(_("Which team?"), reply_markup=builder.as_markup())


async def change_schedule(
    query: CallbackQuery,
    callback_data: ScheduleCallback,
    session: AsyncSession,
    allowed_memberships: list[Membership],
    person: Person,
    bot: Bot,
    locale: str,
) -> None:
    team = await session.get(Team, callback_data.team_id)
    membership = membership_in(allowed_memberships, team.enterprise_id) if team else None
    if team is None or not _may_schedule(membership, team):
        await refuse_button(query, "team outside what the person may schedule")
        return
    enterprise = await session.get(Enterprise, team.enterprise_id)
    assert enterprise is not None
    action, value = callback_data.action, callback_data.value
    if action == "done":
        await query.answer()
        await replace_message(bot, query, schedule_text(team, enterprise, locale).split("\n\n")[0])
        return
    if action == "day" and 1 <= value <= 7:
        days = set(team.weekdays) ^ {value}
        if not days:
            await query.answer(_("Keep at least one lesson day."), show_alert=True)
            return
        team.lesson_weekdays = ",".join(str(day) for day in sorted(days))
    elif action == "hour" and value in (-1, 1):
        hour = team.lesson_hour + value
        if not EARLIEST_HOUR <= hour <= LATEST_HOUR:
            await query.answer(
                _("Lessons arrive between {start} and {end}.").format(
                    start=format_time(time(EARLIEST_HOUR), format="short", locale=locale),
                    end=format_time(time(LATEST_HOUR), format="short", locale=locale),
                ),
                show_alert=True,
            )
            return
        team.lesson_hour = hour
    elif action != "show":
        await refuse_button(query, f"unknown schedule action {action}:{value}")
        return
    if action != "show":
        audit.record(session, "team.schedule", actor_id=person.id,
                     enterprise_id=team.enterprise_id, subject="team", subject_id=team.id,
                     weekdays=team.lesson_weekdays, hour=team.lesson_hour)
    await query.answer()
    await replace_message(bot, query, schedule_text(team, enterprise, locale),
                          schedule_keyboard(team, locale))


def build_router() -> Router:
    router = private_router("schedule")
    router.message.register(start_schedule, Command("schedule"), flags=LEAD)
    router.callback_query.register(change_schedule, ScheduleCallback.filter(), flags=LEAD)
    return router
