"""Action items by hand and one-tap answers to their reminders.

```mermaid
stateDiagram-v2
    [*] --> team: /action, by someone planning for several teams
    [*] --> title: /action, one team
    [*] --> team: "Plan an action" under a slipping KPI (the title given)
    team --> title: the team picked
    team --> owner: the team picked, the title given
    title --> owner: what needs doing, typed
    owner --> due: the owner picked
    due --> [*]: a date tapped or typed: planned, and the owner told
```
Cancel ends any step. The plan under way is a typed draft (`PlanDraft`).

    /actions -> each open action one may update, with its buttons; the rest as a list
    action buttons (on reminders and on /actions, usable at any time): done (with an
    after-photo if wished; an action made from a suggestion implements it), in progress
    (with a note), need help (the team lead is told), new date (a button or a typed date)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from aiogram import Bot, F, Router, html
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot.clock import Clock
from bot.deps import Deps
from bot.handlers.common import (
    pack_messages,
    private_router,
    refuse_button,
    replace_message,
    typed_due_date,
)
from bot.handlers.review import tell_implemented
from bot.i18n import _
from bot.keyboards.callbacks import ActionCallback, PlanCallback
from bot.notify import notify
from bot.presenters import actions as ui
from bot.presenters.kpis import kpi_name
from bot.replies import UpdateTransaction
from bot.services import actions, kpis
from bot.services.enterprises import teams_of
from bot.services.people import team_leads, team_members
from bot.services.permissions import Capability, membership_in
from storage.models import ActionItem, Enterprise, Membership, Person, Team

LEARN = {"capability": Capability.LEARN}


class ActionFlow(StatesGroup):
    note = State()
    after_photo = State()
    new_date = State()  # "New date" tapped: a date button, or a typed date


class PlanFlow(StatesGroup):
    title = State()  # waiting for what needs doing
    owner = State()  # title given; waiting for the owner button
    due = State()  # owner chosen; waiting for a date button or a typed date


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
    kpi = await kpis.kpi_by_id(session, callback_data.value)
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


@dataclass
class PlanDraft:
    """An action being planned, kept in the conversation state (under the keys it always
    had, so a plan begun before a deploy carries on)."""

    team: int = 0
    title: str = ""
    source: str = "manual"  # "kpi" when planned under a slipping KPI
    ref: str = ""  # the KPI's key then
    owner: int = 0

    @classmethod
    async def of(cls, state: FSMContext) -> PlanDraft:
        data = await state.get_data()
        return cls(int(data.get("team", 0)), str(data.get("title", "")),
                   str(data.get("source", "manual")), str(data.get("ref", "")),
                   int(data.get("owner", 0)))


async def _planning_for(query: CallbackQuery, team_id: int, session: AsyncSession,
                        allowed_memberships: list[Membership],
                        ) -> tuple[Team, Membership] | None:
    """The team a plan is for and the planner's membership there, if they may plan for it;
    None (the button refused) otherwise."""
    team = await actions.team_by_id(session, team_id)
    membership = membership_in(allowed_memberships, team.enterprise_id) if team else None
    if team is None or membership is None or not actions.may_plan_for(membership, team):
        await refuse_button(query, "planning for a team outside the person's reach")
        return None
    return team, membership


async def plan_cancel(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await query.answer()
    await replace_message(bot, query, _("Cancelled. Nothing was saved."))


async def plan_team(query: CallbackQuery, callback_data: PlanCallback, state: FSMContext,
                    session: AsyncSession, bot: Bot,
                    allowed_memberships: list[Membership]) -> None:
    """The team picked: what needs doing (or, planned under a KPI, who will do it)?"""
    found = await _planning_for(query, callback_data.value, session, allowed_memberships)
    if found is not None:
        await query.answer()
        await replace_message(bot, query, *await _after_team(state, session, found[0]))


async def plan_owner(query: CallbackQuery, callback_data: PlanCallback, state: FSMContext,
                     session: AsyncSession, deps: Deps, bot: Bot, locale: str,
                     allowed_memberships: list[Membership]) -> None:
    """The owner picked (a member of the team): by when?"""
    draft = await PlanDraft.of(state)
    found = await _planning_for(query, draft.team, session, allowed_memberships)
    if found is None:
        return
    team, membership = found
    owner = await actions.team_member(session, team, callback_data.value)
    if owner is None or not draft.title:
        await refuse_button(query, "plan step owner out of order")
        return
    await query.answer()
    await state.update_data(owner=owner.id)
    await state.set_state(PlanFlow.due)
    today = actions.local_date(deps.clock.now(), membership.enterprise.timezone)
    await replace_message(bot, query, ui.date_prompt(today, locale), _plan_keyboard(
        [(fmt.day(today + timedelta(days=days), locale),
          PlanCallback(step="due", value=days)) for days in actions.PLAN_DAYS]))


async def plan_due(query: CallbackQuery, callback_data: PlanCallback, state: FSMContext,
                   session: AsyncSession, person: Person, deps: Deps, locale: str,
                   allowed_memberships: list[Membership], tx: UpdateTransaction) -> None:
    """The due date tapped: the action is planned, and its owner told."""
    draft = await PlanDraft.of(state)
    found = await _planning_for(query, draft.team, session, allowed_memberships)
    if found is None:
        return
    team, membership = found
    owner = await actions.team_member(session, team, draft.owner)
    if owner is None:
        await refuse_button(query, "plan step due out of order")
        return
    enterprise = membership.enterprise
    due_on = actions.local_date(deps.clock.now(), enterprise.timezone) + timedelta(
        days=callback_data.value)
    text = await _create_planned(session, state, person, enterprise, team, owner, due_on,
                                 draft, deps, locale)
    await tx.commit()
    await tx.tell(text, query=query)


async def plan_stale(query: CallbackQuery, callback_data: PlanCallback) -> None:
    await refuse_button(query, f"plan step {callback_data.step} out of order")


async def _create_planned(session: AsyncSession, state: FSMContext, person: Person,
                          enterprise: Enterprise, team: Team, owner: Person, due_on: date,
                          draft: PlanDraft, deps: Deps, locale: str) -> str:
    """Create the planned action, tell its owner (when it is someone else), and return the
    confirmation for the planner."""
    now = deps.clock.now()
    item = await actions.create(
        session, enterprise_id=enterprise.id, team_id=team.id, title=draft.title,
        owner=owner, created_by=person, due_on=due_on, source=draft.source,
        source_ref=draft.ref, now=now)
    await state.clear()
    if owner.id != person.id:
        notify(session, deps.i18n, owner, kind="action_planned", now=now,
               enterprise=enterprise,
               render=lambda loc: (ui.assigned(person.display_name, item, loc),
                                   ui.reminder_keyboard(item)))
    return ui.planned(item, owner.display_name, locale)


# --- /actions: what each person can act on --------------------------------------------------

SHOWN_WITH_BUTTONS = 10


async def show_actions(message: Message, session: AsyncSession, person: Person,
                       memberships: list[Membership], locale: str) -> None:
    """Each open action the person may update as its own message with its answer buttons
    (usable at any time, as often as needed); the others of their team or enterprise as a
    list."""
    items = await actions.open_actions(session, person.id, memberships)
    if not items:
        await message.answer(_("No open actions. Team leads can turn a lesson's task into a "
                               "team action with one tap."))
        return
    mine = [item for item in items if actions.may_update(
        membership_in(memberships, item.enterprise_id), item, person.id)]
    with_buttons = mine[:SHOWN_WITH_BUTTONS]
    for item in with_buttons:
        await message.answer(ui.listed(item, locale), reply_markup=ui.reminder_keyboard(item))
    rest = [item for item in items if item not in with_buttons]
    if rest:
        lines = [_("<b>Other open actions</b>")] + ["• " + ui.listed(item, locale)
                                                   for item in rest]
        for text in pack_messages(lines):
            await message.answer(text)


# --- typed due dates ------------------------------------------------------------------------


async def plan_due_text(message: Message, state: FSMContext, session: AsyncSession,
                        person: Person, deps: Deps, locale: str,
                        allowed_memberships: list[Membership]) -> None:
    """A due date typed instead of tapped, once the owner is chosen."""
    draft = await PlanDraft.of(state)
    team = await actions.team_by_id(session, draft.team)
    membership = membership_in(allowed_memberships, team.enterprise_id) if team else None
    owner = await actions.team_member(session, team, draft.owner) if team else None
    if team is None or membership is None or owner is None or not draft.title:
        await state.clear()
        await message.answer(_("Cancelled. Nothing was saved."))
        return
    day = await typed_due_date(message, membership.enterprise, deps.clock, locale)
    if day is None:
        return
    text = await _create_planned(session, state, person, membership.enterprise, team, owner,
                                 day, draft, deps, locale)
    await message.answer(text)


# --- answers to an action: done, in progress, need help, new date ---------------------------


async def _updatable(query: CallbackQuery, callback_data: ActionCallback,
                     session: AsyncSession, person: Person, memberships: list[Membership], *,
                     open_only: bool = True) -> tuple[ActionItem, Enterprise] | None:
    """The action the button names, if this person may update it; otherwise the button is
    answered (refused, or "closed already") and None returned."""
    found = await actions.item_with_enterprise(session, callback_data.id)
    membership = membership_in(memberships, found[0].enterprise_id) if found else None
    if found is None or not actions.may_update(membership, found[0], person.id):
        await refuse_button(query, "action outside what the person may update")
        return None
    if open_only and found[0].status not in actions.OPEN_STATUSES:
        await query.answer(_("This action is closed already."), show_alert=True)
        return None
    return found


async def action_done(query: CallbackQuery, callback_data: ActionCallback, state: FSMContext,
                      session: AsyncSession, person: Person, memberships: list[Membership],
                      clock: Clock, deps: Deps, tx: UpdateTransaction) -> None:
    found = await _updatable(query, callback_data, session, person, memberships)
    if found is None:
        return
    item, _enterprise = found
    suggestion = await actions.mark_done(session, item, person, clock.now())
    if suggestion is not None:
        await tell_implemented(session, suggestion, person, deps)
    await tx.commit()  # "well done" only once it is stored
    await state.set_state(ActionFlow.after_photo)
    await state.set_data({"action": item.id})
    # A new message: the one with the buttons stays as it was (a second tap is told the
    # action is closed).
    await query.answer()
    await tx.tell(_("Well done! Send an after-photo to show the change, or tap Skip."),
                  chat_id=query.from_user.id, markup=ui.skip_keyboard(item))


async def action_skip(query: CallbackQuery, callback_data: ActionCallback, state: FSMContext,
                      session: AsyncSession, person: Person, memberships: list[Membership],
                      bot: Bot) -> None:
    if await _updatable(query, callback_data, session, person, memberships,
                        open_only=False) is None:
        return
    await state.clear()
    await query.answer()
    await replace_message(bot, query, _("Thank you. The action is closed."))


async def action_progress(query: CallbackQuery, callback_data: ActionCallback,
                          state: FSMContext, session: AsyncSession, person: Person,
                          memberships: list[Membership], bot: Bot) -> None:
    found = await _updatable(query, callback_data, session, person, memberships)
    if found is None:
        return
    await query.answer()
    await state.set_state(ActionFlow.note)
    await state.set_data({"action": found[0].id})
    await bot.send_message(query.from_user.id, _("What has been done so far? A few words, or "
                                                 "a photo of how it looks now."))


async def action_help(query: CallbackQuery, callback_data: ActionCallback,
                      session: AsyncSession, person: Person, memberships: list[Membership],
                      deps: Deps, tx: UpdateTransaction) -> None:
    """Need help: the team leads are told."""
    found = await _updatable(query, callback_data, session, person, memberships)
    if found is None:
        return
    item, enterprise = found
    now = deps.clock.now()
    leads = [lead for lead in await team_leads(session, item.team_id) if lead.id != person.id]
    for lead in leads:
        notify(session, deps.i18n, lead, kind="action_help", now=now, enterprise=enterprise,
               render=lambda locale: ui.help_request(person.display_name, item, locale))
    actions.add_note(session, item, person, now, text="(asked for help)")
    await tx.commit()
    await query.answer()
    await tx.tell(_("Your team lead has been told you need help.") if leads else
                  _("There is no team lead to tell; please talk to your manager."),
                  chat_id=query.from_user.id)


async def action_date(query: CallbackQuery, callback_data: ActionCallback, state: FSMContext,
                      session: AsyncSession, person: Person, memberships: list[Membership],
                      clock: Clock, bot: Bot, locale: str) -> None:
    found = await _updatable(query, callback_data, session, person, memberships)
    if found is None:
        return
    item, enterprise = found
    await query.answer()
    today = actions.local_date(clock.now(), enterprise.timezone)
    await state.set_state(ActionFlow.new_date)
    await state.set_data({"action": item.id})
    await bot.send_message(query.from_user.id, ui.date_prompt(today, locale),
                           reply_markup=ui.new_date_keyboard(item, today, locale))


async def action_move(query: CallbackQuery, callback_data: ActionCallback, state: FSMContext,
                      session: AsyncSession, person: Person, memberships: list[Membership],
                      clock: Clock, locale: str, tx: UpdateTransaction) -> None:
    if callback_data.value not in actions.NEW_DATE_CHOICES:
        await refuse_button(query, "new date out of the choices")
        return
    found = await _updatable(query, callback_data, session, person, memberships)
    if found is None:
        return
    item, enterprise = found
    actions.move_due_date(session, item, person, callback_data.value, enterprise, clock.now())
    await tx.commit()
    await state.clear()
    await tx.tell(_("New date: {date}.").format(date=fmt.day(item.due_on, locale)),
                  query=query)


async def action_unknown(query: CallbackQuery) -> None:
    await refuse_button(query, "unknown action button")


async def new_date_text(message: Message, state: FSMContext, session: AsyncSession,
                        person: Person, memberships: list[Membership], clock: Clock,
                        locale: str, tx: UpdateTransaction) -> None:
    found = await actions.item_with_enterprise(
        session, int((await state.get_data()).get("action", 0)))
    item, enterprise = found if found else (None, None)
    membership = membership_in(memberships, item.enterprise_id) if item else None
    if item is None or enterprise is None or not actions.may_update(
            membership, item, person.id) or item.status not in actions.OPEN_STATUSES:
        await state.clear()
        await message.answer(_("Sorry, this action is not yours to update."))
        return
    day = await typed_due_date(message, enterprise, clock, locale)
    if day is None:
        return
    actions.set_due_date(session, item, person, day, enterprise, clock.now())
    await tx.commit()
    await state.clear()
    await tx.tell(_("New date: {date}.").format(date=fmt.day(item.due_on, locale)),
                  chat_id=message.chat.id)


async def _being_updated(message: Message, state: FSMContext, session: AsyncSession,
                         person: Person, memberships: list[Membership]) -> ActionItem | None:
    """The action the conversation is about, if the person may still update it; otherwise
    the conversation ends with a kind word and None is returned."""
    found = await actions.item_with_enterprise(
        session, int((await state.get_data()).get("action", 0)))
    item = found[0] if found else None
    membership = membership_in(memberships, item.enterprise_id) if item else None
    if item is None or not actions.may_update(membership, item, person.id):
        await state.clear()
        await message.answer(_("Sorry, this action is not yours to update."))
        return None
    return item


async def after_photo(message: Message, state: FSMContext, session: AsyncSession,
                      person: Person, memberships: list[Membership], clock: Clock,
                      tx: UpdateTransaction) -> None:
    """Done: the after-photo (or a reminder to send one, or tap Skip)."""
    item = await _being_updated(message, state, session, person, memberships)
    if item is None:
        return
    if not message.photo:
        await message.answer(_("Please send a photo, or tap Skip."))
        return
    actions.add_note(session, item, person, clock.now(),
                     photo_file_id=message.photo[-1].file_id, text=message.caption or "")
    await tx.commit()
    await state.clear()
    await tx.tell(_("After-photo saved. Thank you for making it happen!"),
                  chat_id=message.chat.id)


async def progress_note(message: Message, state: FSMContext, session: AsyncSession,
                        person: Person, memberships: list[Membership], clock: Clock,
                        tx: UpdateTransaction) -> None:
    """In progress: a few words, or a photo of how it looks now (the "before" picture SCORE
    teams like to keep)."""
    item = await _being_updated(message, state, session, person, memberships)
    if item is None:
        return
    text = (message.text or "").strip()
    if message.photo:
        actions.add_note(session, item, person, clock.now(), in_progress=True,
                         photo_file_id=message.photo[-1].file_id, text=message.caption or "")
        reply = _("Photo saved with your progress. Keep going!")
    elif not text or text.startswith("/"):
        await message.answer(_("Please write a few words, or send a photo."))
        return
    else:
        actions.add_note(session, item, person, clock.now(), text=text, in_progress=True)
        reply = _("Noted. Keep going!")
    await tx.commit()
    await state.clear()
    await tx.tell(reply, chat_id=message.chat.id)


def build_router() -> Router:
    router = private_router("actions")
    router.message.register(plan_start, Command("action"), flags=PLAN)
    router.message.register(show_actions, Command("actions"), flags=LEARN)
    router.message.register(plan_title, StateFilter(PlanFlow.title), flags=PLAN)
    router.callback_query.register(plan_from_kpi, PlanCallback.filter(F.step == "kpi"),
                                   flags=PLAN)
    step = router.callback_query.register
    step(plan_cancel, PlanCallback.filter(F.step == "cancel"), flags=PLAN)
    step(plan_team, PlanCallback.filter(F.step == "team"), flags=PLAN)
    step(plan_owner, PlanCallback.filter(F.step == "owner"), flags=PLAN)
    step(plan_due, PlanCallback.filter((F.step == "due") & F.value.in_(actions.PLAN_DAYS)),
         flags=PLAN)
    step(plan_stale, PlanCallback.filter(), flags=PLAN)
    router.message.register(plan_due_text, StateFilter(PlanFlow.due), F.text, flags=PLAN)
    for action, handler in (("done", action_done), ("skip", action_skip),
                            ("progress", action_progress), ("help", action_help),
                            ("date", action_date), ("move", action_move)):
        router.callback_query.register(handler, ActionCallback.filter(F.action == action),
                                       flags=LEARN)
    router.callback_query.register(action_unknown, ActionCallback.filter(), flags=LEARN)
    router.message.register(new_date_text, StateFilter(ActionFlow.new_date), F.text,
                            flags=LEARN)
    router.message.register(after_photo, ActionFlow.after_photo, flags=LEARN)
    router.message.register(progress_note, ActionFlow.note, flags=LEARN)
    return router

