"""Action items by hand and one-tap answers to their reminders.

    /action -> team (if several) -> what needs doing -> owner -> due date -> planned
    reminder buttons: done (with an after-photo if wished), in progress (with a note),
    need help (the team lead is told), new date
"""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, F, Router, html
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.handlers.common import private_router, refuse_button, replace_message
from bot.i18n import _
from bot.keyboards.callbacks import ActionCallback, PlanCallback
from bot.notify import notify
from bot.presenters import actions as ui
from bot.presenters.kpis import kpi_name
from bot.services import actions
from bot.services.enterprises import teams_of
from bot.services.errors import InvalidValue
from bot.services.people import team_leads, team_members
from bot.services.permissions import Capability, membership_in
from storage.models import ActionItem, Enterprise, EnterpriseKpi, Membership, Person, Team

LEARN = {"capability": Capability.LEARN}


class ActionFlow(StatesGroup):
    note = State()
    after_photo = State()


class PlanFlow(StatesGroup):
    title = State()  # waiting for what needs doing
    owner = State()  # title given; waiting for the owner and the date buttons


PLAN = {"capability": Capability.PLAN_ACTIONS}


async def _plannable_teams(session: AsyncSession,
                           allowed: list[Membership]) -> list[tuple[Team, Membership]]:
    found = []
    for membership in allowed:
        for team in await teams_of(session, membership.enterprise_id):
            if actions.may_plan_for(membership, team):
                found.append((team, membership))
    return found


def _plan_keyboard(buttons: list[tuple[str, PlanCallback]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, data in buttons:
        builder.button(text=text[:60], callback_data=data)
    builder.button(text=_("Cancel"), callback_data=PlanCallback(step="cancel"))
    builder.adjust(2)
    return builder.as_markup()


async def plan_start(message: Message, state: FSMContext, session: AsyncSession,
                     allowed_memberships: list[Membership]) -> None:
    await state.clear()
    text, markup = await _choose_team(state, session, allowed_memberships, {})
    await message.answer(text, reply_markup=markup)


async def _choose_team(state: FSMContext, session: AsyncSession, allowed: list[Membership],
                       preset: dict[str, str]) -> tuple[str, InlineKeyboardMarkup | None]:
    """Ask for the team when there are several; with one, go straight on. `preset` holds a
    title and source when the plan starts from a KPI."""
    teams = await _plannable_teams(session, allowed)
    if not teams:
        await state.clear()
        return _("There is no team to plan for yet."), None
    await state.set_data(preset)
    if len(teams) == 1:
        return await _after_team(state, session, teams[0][0])
    return _("For which team?"), _plan_keyboard(
        [(f"{team.name} · {m.enterprise.name}", PlanCallback(step="team", value=team.id))
         for team, m in teams])


async def _after_team(state: FSMContext, session: AsyncSession,
                      team: Team) -> tuple[str, InlineKeyboardMarkup | None]:
    await state.update_data(team=team.id)
    if (await state.get_data()).get("title"):
        return await _ask_owner(state, session)
    await state.set_state(PlanFlow.title)
    return _("{team}: what needs doing? One short sentence, for example “Mark the walkways "
             "in hall 2 with yellow tape”.").format(team=html.quote(team.name)), \
        _plan_keyboard([])


async def _ask_owner(state: FSMContext,
                     session: AsyncSession) -> tuple[str, InlineKeyboardMarkup | None]:
    members = await team_members(session, int((await state.get_data()).get("team", 0)))
    if not members:
        await state.clear()
        return _("This team has no members yet. Invite them first with /invite."), None
    await state.set_state(PlanFlow.owner)
    return _("Who will do it?"), _plan_keyboard(
        [(m.person.display_name, PlanCallback(step="owner", value=m.person_id))
         for m in members])


async def plan_title(message: Message, state: FSMContext, session: AsyncSession) -> None:
    text = " ".join((message.text or "").split())
    if not text or text.startswith("/"):
        await message.answer(_("Please write what needs doing as text, or tap Cancel."))
        return
    if len(text) > actions.TITLE_MAX:
        await message.answer(_("Please keep it under {count} characters.").format(
            count=actions.TITLE_MAX))
        return
    await state.update_data(title=text)
    reply, markup = await _ask_owner(state, session)
    await message.answer(reply, reply_markup=markup)


async def plan_from_kpi(query: CallbackQuery, callback_data: PlanCallback, state: FSMContext,
                        session: AsyncSession, bot: Bot, locale: str,
                        allowed_memberships: list[Membership]) -> None:
    """"Plan an action" under a slipping KPI in the weekly report."""
    kpi = await session.get(EnterpriseKpi, callback_data.value)
    membership = membership_in(allowed_memberships, kpi.enterprise_id) if kpi else None
    if kpi is None or membership is None:
        await refuse_button(query, "planning for a KPI outside the person's reach")
        return
    await query.answer()
    await state.clear()
    title = _("Improve: {kpi}").format(kpi=kpi_name(kpi, locale))
    text, markup = await _choose_team(state, session, [membership],
                                      {"title": title, "source": "kpi", "ref": kpi.key})
    await bot.send_message(query.from_user.id, text, reply_markup=markup)


async def plan_button(query: CallbackQuery, callback_data: PlanCallback, state: FSMContext,
                      session: AsyncSession, person: Person, clock: Clock, bot: Bot,
                      locale: str, settings, i18n,  # type: ignore[no-untyped-def]
                      allowed_memberships: list[Membership]) -> None:
    step, data = callback_data.step, await state.get_data()
    if step == "cancel":
        await state.clear()
        await query.answer()
        await replace_message(bot, query, _("Cancelled. Nothing was saved."))
        return
    team_id = callback_data.value if step == "team" else int(data.get("team", 0))
    team = await session.get(Team, team_id)
    membership = membership_in(allowed_memberships, team.enterprise_id) if team else None
    if team is None or membership is None or not actions.may_plan_for(membership, team):
        await refuse_button(query, "planning for a team outside the person's reach")
        return
    await query.answer()
    if step == "team":
        await replace_message(bot, query, *await _after_team(state, session, team))
        return
    members = {m.person_id: m.person for m in await team_members(session, team.id)}
    if step == "owner" and callback_data.value in members and data.get("title"):
        await state.update_data(owner=callback_data.value)
        today = actions.local_date(clock.now(), membership.enterprise.timezone)
        await replace_message(bot, query, _("By when?"), _plan_keyboard(
            [(format_date(today + timedelta(days=days), format="medium", locale=locale),
              PlanCallback(step="due", value=days)) for days in actions.PLAN_DAYS]))
        return
    owner = members.get(int(data.get("owner", 0)))
    if step != "due" or callback_data.value not in actions.PLAN_DAYS or owner is None:
        await refuse_button(query, f"plan step {step} out of order")
        return
    now = clock.now()
    enterprise = membership.enterprise
    item = await actions.create(
        session, enterprise_id=enterprise.id, team_id=team.id, title=str(data["title"]),
        owner=owner, created_by=person,
        due_on=actions.local_date(now, enterprise.timezone) + timedelta(days=callback_data.value),
        source=str(data.get("source", "manual")), source_ref=str(data.get("ref", "")), now=now)
    await state.clear()
    if owner.id != person.id:
        notify(session, i18n, owner, kind="action_planned", now=now, enterprise=enterprise,
               default_locale=settings.default_locale,
               render=lambda loc: (ui.assigned(person.display_name, item, loc),
                                   ui.reminder_keyboard(item)))
    await replace_message(bot, query, ui.planned(item, owner.display_name, locale))


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
        await replace_message(bot, query, _("What has been done so far? A few words, or "
                                            "a photo of how it looks now."))
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
    if message.photo:  # how it looks now: the "before" picture SCORE teams like to keep
        actions.add_note(session, item, person, clock.now(), in_progress=True,
                         photo_file_id=message.photo[-1].file_id, text=message.caption or "")
        await state.clear()
        await message.answer(_("Photo saved with your progress. Keep going!"))
        return
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(_("Please write a few words, or send a photo."))
        return
    actions.add_note(session, item, person, clock.now(), text=text, in_progress=True)
    await state.clear()
    await message.answer(_("Noted. Keep going!"))


def build_router() -> Router:
    router = private_router("actions")
    router.message.register(plan_start, Command("action"), flags=PLAN)
    router.message.register(plan_title, StateFilter(PlanFlow.title), flags=PLAN)
    router.callback_query.register(plan_from_kpi, PlanCallback.filter(F.step == "kpi"),
                                   flags=PLAN)
    router.callback_query.register(plan_button, PlanCallback.filter(), flags=PLAN)
    router.callback_query.register(action_button, ActionCallback.filter(), flags=LEARN)
    router.message.register(action_text, StateFilter(ActionFlow.note, ActionFlow.after_photo),
                            flags=LEARN)
    return router

