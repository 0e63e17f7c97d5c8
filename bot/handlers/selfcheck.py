"""/selfcheck: the quarterly labour-standards self-check. Managers and the worker
representative answer the checklist one item at a time (the message is edited in place);
managers choose the representative and take on or drop the actions it proposes; consultants
see the status and its change over the quarters.

```mermaid
stateDiagram-v2
    [*] --> item: Start (a manager, or the worker representative)
    item --> item: an answer (yes, no, unsure): the next item of the person's side
    item --> done: the side's last item
    done --> proposals: both sides done: actions proposed to the managers
    proposals --> [*]: each action taken on or dropped
    [*] --> representatives: a manager's "choose the representative"
    representatives --> [*]: a worker picked, and invited to answer
```
Each button is its own handler; no conversation state is kept (the message is edited).
"""

from __future__ import annotations

from aiogram import Bot, F, Router, html
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.deps import Deps
from bot.handlers.common import pack_messages, private_router, refuse_button, replace_message
from bot.i18n import _
from bot.keyboards.callbacks import SelfCheckCallback
from bot.notify import notify
from bot.presenters import selfcheck as ui
from bot.replies import UpdateTransaction
from bot.services import selfcheck
from bot.services.errors import InvalidValue
from bot.services.permissions import Capability, can, membership_in
from storage.models import (
    ActionItem,
    Enterprise,
    Membership,
    Person,
    Role,
    SelfCheckRound,
)

# Every member may reach the handlers: the worker representative is a worker or team lead.
# Who may do what is checked against the enterprise in each handler.
MEMBER = {"capability": Capability.SEE_TEAM}
MANAGING = (Role.MANAGER, Role.ADMIN)


async def show_selfcheck(message: Message, session: AsyncSession, person: Person,
                         memberships: list[Membership], clock: Clock) -> None:
    shown = False
    for membership in memberships:
        enterprise = membership.enterprise
        side = selfcheck.side_of(membership, enterprise, person.id)
        if side is None and not can(membership, Capability.SELF_CHECK):
            continue
        shown = True
        check = await selfcheck.round_for(session, enterprise, clock.now())
        assert check is not None
        for text in pack_messages([ui.status(enterprise.name,
                                             await selfcheck.history(session, enterprise.id))]):
            await message.answer(text)
        answers = await selfcheck.answers_of(session, check.id)
        can_answer = side is not None and check.completed_at is None and (
            selfcheck.next_item(answers, side) is not None)
        choose = membership.role in MANAGING
        if choose and enterprise.worker_rep_id is None:
            await message.answer(ui.no_representative())
        if can_answer or choose:
            await message.answer(ui.invitation(enterprise.name, check.quarter, side)
                                 if can_answer and side else _("What would you like to do?"),
                                 reply_markup=ui.start_keyboard(check, can_choose_rep=choose,
                                                                can_answer=can_answer))
    if not shown:
        await message.answer(_("The self-check is answered by managers and the worker "
                               "representative. Ask your manager if you should be the "
                               "representative."))


async def _ask_next(bot: Bot, query: CallbackQuery, session: AsyncSession,
                    check: SelfCheckRound, side: str) -> None:
    answers = await selfcheck.answers_of(session, check.id)
    index = selfcheck.next_item(answers, side)
    if index is None:
        other = selfcheck.WORKER if side == selfcheck.MANAGER else selfcheck.MANAGER
        waiting = selfcheck.next_item(answers, other) is not None
        await replace_message(bot, query, ui.side_done(waiting))
        return
    text, markup = ui.question(check, index, side)
    await replace_message(bot, query, text, markup)


async def _answering(query: CallbackQuery, callback_data: SelfCheckCallback,
                     session: AsyncSession, person: Person, memberships: list[Membership],
                     ) -> tuple[SelfCheckRound, Enterprise, str] | None:
    """The round a button names, its enterprise and the side the person answers for; None
    (the button answered) when they answer for no side or the round is complete."""
    found = await selfcheck.round_with_enterprise(session, callback_data.id)
    check, enterprise = found if found else (None, None)
    side = selfcheck.side_of(membership_in(memberships, enterprise.id), enterprise,
                             person.id) if enterprise else None
    if check is None or enterprise is None or side is None:
        await refuse_button(query, "self-check outside the person's side")
        return None
    if check.completed_at is not None:
        await query.answer(_("This self-check is complete already."), show_alert=True)
        return None
    return check, enterprise, side


async def start(query: CallbackQuery, callback_data: SelfCheckCallback,
                session: AsyncSession, person: Person, memberships: list[Membership],
                bot: Bot) -> None:
    found = await _answering(query, callback_data, session, person, memberships)
    if found is None:
        return
    check, _enterprise, side = found
    await query.answer()
    await _ask_next(bot, query, session, check, side)


async def answer(query: CallbackQuery, callback_data: SelfCheckCallback,
                 session: AsyncSession, person: Person, memberships: list[Membership],
                 bot: Bot, deps: Deps, tx: UpdateTransaction) -> None:
    """An item answered: the next one, and once both sides are done, the proposals."""
    found = await _answering(query, callback_data, session, person, memberships)
    if found is None:
        return
    check, enterprise, side = found
    try:
        await selfcheck.record_answer(session, check, callback_data.item, side,
                                      callback_data.value, person, deps.clock.now())
    except InvalidValue:
        await refuse_button(query, "self-check answer out of range")
        return
    await _complete(session, check, enterprise, deps)
    await tx.commit()  # the next item only once this answer is stored
    await query.answer()
    await _ask_next(bot, query, session, check, side)


def _managing(memberships: list[Membership], enterprise_id: int) -> Membership | None:
    membership = membership_in(memberships, enterprise_id)
    return membership if membership is not None and membership.role in MANAGING else None


async def choose_representative(query: CallbackQuery, callback_data: SelfCheckCallback,
                                session: AsyncSession, memberships: list[Membership],
                                bot: Bot) -> None:
    """A manager asks to choose the worker representative: a button per worker."""
    if _managing(memberships, callback_data.id) is None:
        await refuse_button(query, "choosing a representative without being a manager")
        return
    people = await selfcheck.representative_choices(session, callback_data.id)
    await query.answer()
    if not people:
        await replace_message(bot, query, _("There are no workers in this enterprise yet."))
        return
    await replace_message(bot, query, _("Who answers for the workers? Choose the worker "
                                        "representative:"),
                          ui.representative_keyboard(callback_data.id, people[:40]))


async def representative_chosen(query: CallbackQuery, callback_data: SelfCheckCallback,
                                session: AsyncSession, person: Person,
                                memberships: list[Membership], deps: Deps,
                                tx: UpdateTransaction) -> None:
    """The representative is invited to answer this quarter's round, if it is open."""
    enterprise_id = int(callback_data.value) if callback_data.value.isdigit() else 0
    membership = _managing(memberships, enterprise_id)
    if membership is None:
        await refuse_button(query, "choosing a representative without being a manager")
        return
    enterprise = membership.enterprise
    try:
        chosen = await selfcheck.choose_representative(session, enterprise, callback_data.id,
                                                       person)
    except InvalidValue:
        await refuse_button(query, "representative outside the enterprise")
        return
    check = await selfcheck.round_for(session, enterprise, deps.clock.now())
    assert check is not None
    if check.completed_at is None:
        notify(session, deps.i18n, chosen, kind="selfcheck_invite", now=deps.clock.now(),
               enterprise=enterprise,
               render=lambda _locale: (
                   ui.invitation(enterprise.name, check.quarter, selfcheck.WORKER),
                   ui.start_keyboard(check)))
    await tx.commit()
    await tx.tell(_("{name} is now the worker representative.").format(
        name=html.quote(chosen.display_name)), query=query)


async def _proposed(query: CallbackQuery, callback_data: SelfCheckCallback,
                    session: AsyncSession, memberships: list[Membership]) -> ActionItem | None:
    """The proposed action a button names, if a manager of its enterprise pressed it and it
    is still undecided; None (the button answered) otherwise."""
    item = await selfcheck.action_item(session, callback_data.id)
    if item is None or _managing(memberships, item.enterprise_id) is None:
        await refuse_button(query, "proposed action outside the person's enterprise")
        return None
    if not selfcheck.is_proposed(item):
        await query.answer(_("This action has been decided already."), show_alert=True)
        return None
    return item


async def take_on(query: CallbackQuery, callback_data: SelfCheckCallback,
                  session: AsyncSession, person: Person, memberships: list[Membership],
                  deps: Deps, tx: UpdateTransaction) -> None:
    item = await _proposed(query, callback_data, session, memberships)
    if item is not None:
        selfcheck.take_on(session, item, person, deps.clock.now())
        await tx.commit()
        await query.answer(_("It is yours now; reminders will follow."), show_alert=True)


async def drop(query: CallbackQuery, callback_data: SelfCheckCallback,
               session: AsyncSession, person: Person, memberships: list[Membership],
               deps: Deps, tx: UpdateTransaction) -> None:
    item = await _proposed(query, callback_data, session, memberships)
    if item is not None:
        selfcheck.drop(session, item, person, deps.clock.now())
        await tx.commit()
        await query.answer(_("Marked as not needed."), show_alert=True)


async def _complete(session: AsyncSession, check: SelfCheckRound, enterprise: Enterprise,
                    deps: Deps) -> None:
    """Once both sides are done: propose the actions, written in the enterprise's language,
    and tell its managers."""
    with deps.i18n.speaking(enterprise.default_locale):
        titles = {item: ui.action_title(item) for item in selfcheck.ITEMS}
    proposed = await selfcheck.complete_if_done(session, check, enterprise, deps.clock.now(),
                                                titles.__getitem__)
    if proposed is None:
        return
    from bot.services.kpis import reporters

    for manager in await reporters(session, enterprise.id, MANAGING):
        notify(session, deps.i18n, manager, kind="selfcheck_done", now=deps.clock.now(),
               enterprise=enterprise,
               render=lambda _locale: ui.proposed_notice(enterprise.name, proposed)
               if proposed else ui.all_in_order(enterprise.name))


def build_router() -> Router:
    router = private_router("selfcheck")
    router.message.register(show_selfcheck, Command("selfcheck"), flags=MEMBER)
    button = router.callback_query.register
    button(start, SelfCheckCallback.filter(F.action == "start"), flags=MEMBER)
    button(answer, SelfCheckCallback.filter(F.action == "answer"), flags=MEMBER)
    button(choose_representative, SelfCheckCallback.filter(F.action == "rep"), flags=MEMBER)
    button(representative_chosen, SelfCheckCallback.filter(F.action == "setrep"),
           flags=MEMBER)
    button(take_on, SelfCheckCallback.filter(F.action == "take"), flags=MEMBER)
    button(drop, SelfCheckCallback.filter(F.action == "drop"), flags=MEMBER)
    return router
