"""Reviewing suggestions: /review, one handler per button of a review card, and one per
thing a reviewer types (a reason, a question, an after-photo, an impact, a due date).

Every handler re-checks that the person may review this suggestion now (`_reviewable`):
buttons can be forged and roles change. The submitter hears every change through the relay
(`tell_submitter`), which alone looks up who sent a suggestion.

```mermaid
stateDiagram-v2
    [*] --> card: /review, or a new suggestion's card
    card --> card: Accept
    card --> decline_reason: Decline
    decline_reason --> [*]: reason typed (the submitter is told why)
    card --> question: Ask a question
    question --> [*]: question typed (relayed to the submitter)
    card --> originals: Duplicate
    originals --> [*]: the original picked
    card --> owners: Assign
    owners --> due_date: an owner picked
    due_date --> [*]: a date tapped or typed (an action is made)
    card --> after_photo: Implemented
    after_photo --> impact: a photo, or Skip
    impact --> impact_value: money, hours, defects or safety
    impact --> [*]: Skip
    impact_value --> [*]: a figure (or, for safety, words)
```
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from typing import TypeAlias

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.handlers.common import private_router, refuse_button, replace_message, typed_due_date
from bot.i18n import _
from bot.keyboards.callbacks import ImpactCallback, SuggestionCallback, SuggestionPickCallback
from bot.limits import CAPTION_MAX, fit_text, plain_text, telegram_length
from bot.notify import Rendered, notify
from bot.presenters import actions as action_ui
from bot.presenters import suggestions as ui
from bot.replies import UpdateTransaction
from bot.services import suggestions as service
from bot.services.actions import local_date
from bot.services.errors import InvalidValue
from bot.services.permissions import Capability, membership_in, memberships_with
from storage.models import (
    ActionItem,
    Enterprise,
    Membership,
    Person,
    Suggestion,
    SuggestionStatus,
)

log = logging.getLogger(__name__)

REVIEW = {"capability": Capability.REVIEW_SUGGESTIONS}


class ReviewFlow(StatesGroup):
    decline_reason = State()
    question = State()
    after_photo = State()
    impact_value = State()
    due_date = State()  # owner chosen on Assign: a date button, or a typed date


@dataclass
class ReviewDraft:
    """What a reviewer's conversation remembers between two steps (kept in FSM data)."""

    suggestion: int
    owner: int = 0  # picked on Assign, before the due date
    impact: str = ""  # the impact whose figure is awaited

    @classmethod
    async def of(cls, state: FSMContext) -> ReviewDraft:
        data = await state.get_data()
        return cls(int(data.get("suggestion", 0)), int(data.get("owner", 0)),
                   str(data.get("impact", "")))

    async def keep(self, state: FSMContext, step: State) -> None:
        await state.set_state(step)
        await state.set_data(asdict(self))


# --- telling the submitter and the others ----------------------------------------------------


async def tell_submitter(session: AsyncSession, suggestion: Suggestion, deps: Deps,
                         kind: str = "",
                         render: Callable[[str], Rendered] | None = None) -> None:
    """Relay to the submitter (by default, the suggestion's new state). Only this function
    looks up who sent a suggestion; nothing it learns is shown to anyone else."""
    submitter = await service.submitter_of(session, suggestion.id, deps.relay_key)
    if submitter is None or submitter.blocked_bot:
        return
    notify(session, deps.i18n, submitter, kind=kind or f"suggestion_{suggestion.status.value}",
           now=deps.clock.now(), enterprise=await service.enterprise_of(session, suggestion),
           render=render or (lambda locale: ui.to_submitter(suggestion, locale)))


async def tell_implemented(session: AsyncSession, suggestion: Suggestion, by: Person,
                           deps: Deps) -> None:
    """The action made from a suggestion is done, so the suggestion is implemented: the
    submitter hears it through the relay, the reviewers (but whoever finished it) from `by`."""
    await tell_submitter(session, suggestion, deps)
    enterprise = await service.enterprise_of(session, suggestion)
    for reviewer in await service.reviewers_for(session, suggestion):
        if reviewer.id != by.id:
            notify(session, deps.i18n, reviewer, kind="suggestion_implemented",
                   now=deps.clock.now(), enterprise=enterprise,
                   render=lambda _locale: ui.implemented_by_action(suggestion,
                                                                   by.display_name))


async def _tell_under_review(session: AsyncSession, moved: list[Suggestion],
                             deps: Deps) -> None:
    """One message to each submitter, however many of their suggestions one /review moved.
    Submitters are found through the relay only; nothing here is shown to the reviewer."""
    by_submitter: dict[int, tuple[Person, list[Suggestion]]] = {}
    for suggestion in moved:
        submitter = await service.submitter_of(session, suggestion.id, deps.relay_key)
        if submitter is not None and not submitter.blocked_bot:
            by_submitter.setdefault(submitter.id, (submitter, []))[1].append(suggestion)
    for submitter, theirs in by_submitter.values():
        if len(theirs) == 1:
            await tell_submitter(session, theirs[0], deps)
            continue
        notify(session, deps.i18n, submitter, kind="suggestion_under_review",
               now=deps.clock.now(), enterprise=await service.enterprise_of(session, theirs[0]),
               render=partial(ui.under_review, theirs))


def _tell_owner(session: AsyncSession, item: ActionItem, owner: Person, by: Person,
                enterprise: Enterprise, deps: Deps) -> None:
    """The owner of the action made from a suggestion hears of it in their language, with
    the action's answer buttons, as /action tells its owner."""
    if owner.id != by.id:
        notify(session, deps.i18n, owner, kind="action_planned", now=deps.clock.now(),
               enterprise=enterprise,
               render=lambda loc: (action_ui.assigned(by.display_name, item, loc),
                                   action_ui.reminder_keyboard(item)))


# --- /review ---------------------------------------------------------------------------------


async def review_queue(message: Message, session: AsyncSession, person: Person,
                       allowed_memberships: list[Membership], bot: Bot, deps: Deps,
                       locale: str) -> None:
    """Every open suggestion the reviewer may see, as cards; the new ones are now under
    review, and their submitters are told so."""
    cards, moved = await service.open_queue(
        session, memberships_with(allowed_memberships, Capability.REVIEW_SUGGESTIONS), person,
        deps.clock.now())
    for card in cards:
        text = ui.card(card.suggestion, card.origin.author_name, card.origin.place,
                       card.similar, locale)
        await _send_card(bot, message.chat.id, text, ui.review_keyboard(card.suggestion),
                         service.before_media(card.suggestion))
    await _tell_under_review(session, moved, deps)
    if not cards:
        await message.answer(_("No suggestions are waiting. Well done!"))


async def _send_card(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup,
                     media: list[tuple[str, str]]) -> None:
    """A review card with every photo and voice note of the suggestion: the first medium
    carries the card (when it fits a caption), the others follow, one message each."""
    first, more = (media[0], media[1:]) if media else (None, [])
    if first is not None and telegram_length(plain_text(text)) <= CAPTION_MAX:
        send = bot.send_photo if first[0] == "photo" else bot.send_voice
        await send(chat_id, first[1], caption=text, reply_markup=markup)
    else:
        await bot.send_message(chat_id, text, reply_markup=markup)
        more = media
    for kind, file_id in more:
        await (bot.send_photo if kind == "photo" else bot.send_voice)(chat_id, file_id)


# --- the buttons of a review card ------------------------------------------------------------


async def _reviewable(query: CallbackQuery, session: AsyncSession, suggestion_id: int,
                      memberships: list[Membership]) -> tuple[Suggestion, Membership] | None:
    """The suggestion a button names and the reviewer's membership there, or None (the button
    refused) when the person may not review it."""
    suggestion = await service.get(session, suggestion_id)
    membership = membership_in(memberships, suggestion.enterprise_id) if suggestion else None
    if suggestion is None or membership is None or not service.may_review(membership,
                                                                          suggestion):
        await refuse_button(query, "suggestion outside what the person may review")
        return None
    return suggestion, membership


async def _no_longer_possible(query: CallbackQuery, suggestion: Suggestion) -> None:
    await query.answer(ui.no_longer_possible(suggestion), show_alert=True)


async def _changed(query: CallbackQuery, session: AsyncSession, suggestion: Suggestion,
                   locale: str, deps: Deps, tx: UpdateTransaction) -> None:
    """After a change of status: the submitter is told, the change is committed, and only then
    does the reviewer read "done" and see the card anew: in place when the button was on the
    card itself; as a new card when it was on another message (an answer, a question), which
    keeps its text."""
    await tell_submitter(session, suggestion, deps)
    await tx.commit()
    origin = await service.origin_of(session, suggestion)
    text = ui.card(suggestion, origin.author_name, origin.place, [], locale)
    markup = ui.review_keyboard(suggestion)
    done = _("Done. The person who sent it has been told.")
    pressed = query.message
    shown = (pressed.text or pressed.caption or "") if isinstance(pressed, Message) else ""
    if shown.startswith(ui.card_heading(suggestion)):
        await tx.tell(text, query=query, markup=markup, toast=done)
    else:
        await query.answer(done)
        await tx.tell(text, chat_id=query.from_user.id, markup=markup)


Act: TypeAlias = Callable[[Suggestion, Membership], Awaitable[None]]


async def _review(query: CallbackQuery, suggestion_id: int, session: AsyncSession,
                  memberships: list[Membership], act: Act) -> None:
    """`act` on the suggestion a button names, if the person may review it; a step its
    status no longer allows (the service raises InvalidValue) is answered as such."""
    found = await _reviewable(query, session, suggestion_id, memberships)
    if found is None:
        return
    try:
        await act(*found)
    except InvalidValue:
        await _no_longer_possible(query, found[0])


async def accept(query: CallbackQuery, callback_data: SuggestionCallback,
                 session: AsyncSession, person: Person, memberships: list[Membership],
                 deps: Deps, locale: str, tx: UpdateTransaction) -> None:
    async def act(suggestion: Suggestion, _membership: Membership) -> None:
        await service.change_status(session, suggestion, SuggestionStatus.ACCEPTED,
                                    reviewer=person, now=deps.clock.now())
        await _changed(query, session, suggestion, locale, deps, tx)

    await _review(query, callback_data.id, session, memberships, act)


async def _ask_to_write(query: CallbackQuery, state: FSMContext, suggestion: Suggestion,
                        step: State, prompt: str, bot: Bot) -> None:
    await ReviewDraft(suggestion.id).keep(state, step)
    await query.answer()
    await bot.send_message(query.from_user.id, prompt, reply_markup=ui.cancel_keyboard())


async def decline(query: CallbackQuery, callback_data: SuggestionCallback,
                  state: FSMContext, session: AsyncSession, memberships: list[Membership],
                  bot: Bot) -> None:
    """Asks for the reason, which the submitter will read."""
    async def act(suggestion: Suggestion, _membership: Membership) -> None:
        service.check_can_become(suggestion, SuggestionStatus.DECLINED)
        await _ask_to_write(query, state, suggestion, ReviewFlow.decline_reason,
                            ui.decline_prompt(), bot)

    await _review(query, callback_data.id, session, memberships, act)


async def ask_question(query: CallbackQuery, callback_data: SuggestionCallback,
                       state: FSMContext, session: AsyncSession,
                       memberships: list[Membership], bot: Bot) -> None:
    async def act(suggestion: Suggestion, _membership: Membership) -> None:
        await _ask_to_write(query, state, suggestion, ReviewFlow.question,
                            ui.question_prompt(), bot)

    await _review(query, callback_data.id, session, memberships, act)


async def offer_originals(query: CallbackQuery, callback_data: SuggestionCallback,
                          session: AsyncSession, memberships: list[Membership],
                          bot: Bot) -> None:
    """Duplicate: which open suggestion is the original?"""
    async def act(suggestion: Suggestion, membership: Membership) -> None:
        originals = await service.original_choices(session, suggestion, membership)
        if not originals:
            await query.answer(_("No similar open suggestion was found to link it to."),
                               show_alert=True)
            return
        await query.answer()
        await bot.send_message(query.from_user.id, _("Which suggestion is the original?"),
                               reply_markup=ui.originals_keyboard(suggestion, originals))

    await _review(query, callback_data.id, session, memberships, act)


async def offer_owners(query: CallbackQuery, callback_data: SuggestionCallback,
                       session: AsyncSession, memberships: list[Membership],
                       bot: Bot) -> None:
    """Assign: who will put it into practice?"""
    async def act(suggestion: Suggestion, membership: Membership) -> None:
        people = await service.owner_choices(session, suggestion, membership)
        await query.answer()
        await bot.send_message(query.from_user.id, _("Who will put it into practice?"),
                               reply_markup=ui.owners_keyboard(suggestion, people))

    await _review(query, callback_data.id, session, memberships, act)


async def implemented(query: CallbackQuery, callback_data: SuggestionCallback,
                      state: FSMContext, session: AsyncSession, person: Person,
                      memberships: list[Membership], deps: Deps,
                      tx: UpdateTransaction) -> None:
    """Marks it implemented, tells the submitter, and (once stored) asks for an after-photo."""
    async def act(suggestion: Suggestion, _membership: Membership) -> None:
        await service.change_status(session, suggestion, SuggestionStatus.IMPLEMENTED,
                                    reviewer=person, now=deps.clock.now())
        await tell_submitter(session, suggestion, deps)
        await tx.commit()
        await ReviewDraft(suggestion.id).keep(state, ReviewFlow.after_photo)
        await tx.tell(ui.after_photo_prompt(), query=query,
                      markup=ui.after_photo_keyboard(suggestion.id))

    await _review(query, callback_data.id, session, memberships, act)


async def impact_menu(query: CallbackQuery, callback_data: SuggestionCallback,
                      state: FSMContext, session: AsyncSession,
                      memberships: list[Membership], bot: Bot) -> None:
    """Skip (no after-photo): what did it bring?"""
    await _ask_impact(query, callback_data.id, _("What did it bring?"), state, session,
                      memberships, bot)


async def impact_skipped(query: CallbackQuery, callback_data: ImpactCallback,
                         state: FSMContext, session: AsyncSession,
                         memberships: list[Membership], bot: Bot) -> None:
    await _ask_impact(query, callback_data.id, _("Thank you. The suggestion is closed as "
                                                 "implemented."), state, session,
                      memberships, bot, with_buttons=False)


async def _ask_impact(query: CallbackQuery, suggestion_id: int, text: str, state: FSMContext,
                      session: AsyncSession, memberships: list[Membership], bot: Bot,
                      with_buttons: bool = True) -> None:
    async def act(suggestion: Suggestion, _membership: Membership) -> None:
        await state.clear()
        await query.answer()
        await replace_message(bot, query, text, ui.impact_keyboard(suggestion.id)
                              if with_buttons else None)

    await _review(query, suggestion_id, session, memberships, act)


async def impact_chosen(query: CallbackQuery, callback_data: ImpactCallback,
                        state: FSMContext, session: AsyncSession,
                        memberships: list[Membership], bot: Bot) -> None:
    """Money, hours, defects or safety: asks for the figure (or, for safety, the words)."""
    async def act(suggestion: Suggestion, _membership: Membership) -> None:
        await ReviewDraft(suggestion.id, impact=callback_data.kind).keep(
            state, ReviewFlow.impact_value)
        await query.answer()
        await replace_message(bot, query, ui.impact_prompt(callback_data.kind))

    await _review(query, callback_data.id, session, memberships, act)


# --- picks: the original, the owner, the due date ---------------------------------------------


async def original_picked(query: CallbackQuery, callback_data: SuggestionPickCallback,
                          session: AsyncSession, person: Person,
                          allowed_memberships: list[Membership], deps: Deps,
                          tx: UpdateTransaction) -> None:
    async def act(suggestion: Suggestion, _membership: Membership) -> None:
        original = await service.get(session, callback_data.value)
        await service.change_status(session, suggestion, SuggestionStatus.DUPLICATE,
                                    reviewer=person, now=deps.clock.now(),
                                    duplicate_of=original)
        await tell_submitter(session, suggestion, deps)
        await tx.commit()
        await tx.tell(_("Marked as a duplicate of {reference}.").format(
            reference=f"S{callback_data.value}"), query=query)

    await _review(query, callback_data.id, session, allowed_memberships, act)


async def owner_picked(query: CallbackQuery, callback_data: SuggestionPickCallback,
                       state: FSMContext, session: AsyncSession,
                       allowed_memberships: list[Membership], bot: Bot, deps: Deps,
                       locale: str) -> None:
    """The owner is kept in the draft; then: by when?"""
    async def act(suggestion: Suggestion, membership: Membership) -> None:
        owner = await service.possible_owner(session, suggestion, membership,
                                             callback_data.value)
        if owner is None:
            await refuse_button(query, "owner outside the team")
            return
        await ReviewDraft(suggestion.id, owner=owner.id).keep(state, ReviewFlow.due_date)
        now, enterprise = deps.clock.now(), membership.enterprise
        await query.answer()
        await replace_message(
            bot, query, action_ui.date_prompt(local_date(now, enterprise.timezone), locale),
            ui.due_keyboard(suggestion, service.due_choices(enterprise, now), locale))

    await _review(query, callback_data.id, session, allowed_memberships, act)


async def due_picked(query: CallbackQuery, callback_data: SuggestionPickCallback,
                     state: FSMContext, session: AsyncSession, person: Person,
                     allowed_memberships: list[Membership], deps: Deps,
                     locale: str, tx: UpdateTransaction) -> None:
    async def act(suggestion: Suggestion, membership: Membership) -> None:
        draft = await ReviewDraft.of(state)
        owner = await service.possible_owner(session, suggestion, membership, draft.owner) \
            if draft.suggestion == suggestion.id and draft.owner else None
        if owner is None:
            await refuse_button(query, "due date without an owner")
            return
        due = service.default_due(membership.enterprise, deps.clock.now(),
                                  callback_data.value)
        text = await _put_in_progress(session, state, suggestion, person, owner, due,
                                      membership.enterprise, deps, locale)
        await tx.commit()
        await tx.tell(text, query=query)

    await _review(query, callback_data.id, session, allowed_memberships, act)


async def _put_in_progress(session: AsyncSession, state: FSMContext, suggestion: Suggestion,
                           reviewer: Person, owner: Person, due: date, enterprise: Enterprise,
                           deps: Deps, locale: str) -> str:
    """Make the suggestion's action, tell its owner and the submitter; the reviewer's
    confirmation is returned."""
    item = await service.put_in_progress(session, suggestion, reviewer=reviewer, owner=owner,
                                         due_on=due, enterprise=enterprise,
                                         now=deps.clock.now())
    await state.clear()
    _tell_owner(session, item, owner, reviewer, enterprise, deps)
    await tell_submitter(session, suggestion, deps)
    return f"{suggestion.reference}: {ui.in_progress(owner.display_name, due, locale)}"


# --- what the reviewer types -------------------------------------------------------------------


async def _under_review(message: Message, state: FSMContext, session: AsyncSession,
                        memberships: list[Membership],
                        ) -> tuple[ReviewDraft, Suggestion, Membership] | None:
    """The draft and the suggestion the reviewer is writing about, or None (the conversation
    ended, and the reviewer told) when they may no longer review it."""
    draft = await ReviewDraft.of(state)
    suggestion = await service.get(session, draft.suggestion)
    membership = membership_in(memberships, suggestion.enterprise_id) if suggestion else None
    if suggestion is None or membership is None or not service.may_review(membership,
                                                                          suggestion):
        await state.clear()
        await message.answer(_("Sorry, this suggestion is not yours to review any more."))
        return None
    return draft, suggestion, membership


async def _typed(message: Message) -> str | None:
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(_("Please write it as text, or tap Cancel."))
        return None
    return text


async def _written(message: Message, state: FSMContext, session: AsyncSession,
                   memberships: list[Membership],
                   ) -> tuple[str, ReviewDraft, Suggestion, Membership] | None:
    """What the reviewer wrote, with the draft and the suggestion it is about; None (the
    reviewer told why) when it is not text or they may no longer review it."""
    found = await _under_review(message, state, session, memberships)
    text = await _typed(message) if found else None
    if found is None or text is None:
        return None
    return (text, *found)


async def _too_late(message: Message, state: FSMContext, suggestion: Suggestion) -> None:
    await state.clear()
    await message.answer(ui.no_longer_possible(suggestion))


async def after_photo(message: Message, state: FSMContext, session: AsyncSession,
                      memberships: list[Membership], tx: UpdateTransaction) -> None:
    found = await _under_review(message, state, session, memberships)
    if found is None or not message.photo:
        return
    _draft, suggestion, _membership = found
    service.add_after_photo(session, suggestion, message.photo[-1].file_id)
    await tx.commit()
    await state.clear()
    await tx.tell(_("After-photo saved. What did it bring?"), chat_id=message.chat.id,
                  markup=ui.impact_keyboard(suggestion.id))


async def no_after_photo(message: Message, state: FSMContext, session: AsyncSession,
                         memberships: list[Membership]) -> None:
    if await _under_review(message, state, session, memberships) is not None:
        await message.answer(_("Please send a photo, or tap Skip."))


async def decline_reason(message: Message, state: FSMContext, session: AsyncSession,
                         person: Person, memberships: list[Membership], deps: Deps,
                         tx: UpdateTransaction) -> None:
    found = await _written(message, state, session, memberships)
    if found is None:
        return
    text, _draft, suggestion, _membership = found
    try:
        await service.change_status(session, suggestion, SuggestionStatus.DECLINED,
                                    reviewer=person, now=deps.clock.now(), reason=text)
    except InvalidValue:
        await _too_late(message, state, suggestion)
        return
    await tell_submitter(session, suggestion, deps)
    await tx.commit()  # the reason stays in the conversation, and they are told, if not
    await state.clear()
    await tx.tell(_("Declined. The person who sent it has been told why."),
                  chat_id=message.chat.id)


async def question(message: Message, state: FSMContext, session: AsyncSession,
                   person: Person, memberships: list[Membership], deps: Deps,
                   tx: UpdateTransaction) -> None:
    """The question is relayed to the submitter, with an Answer button."""
    found = await _written(message, state, session, memberships)
    if found is None:
        return
    text, _draft, suggestion, _membership = found
    service.ask(session, suggestion, person, text, deps.clock.now())
    await tell_submitter(
        session, suggestion, deps, kind="suggestion_question",
        render=lambda _locale: (
            fit_text(lambda quoted: ui.question_to_submitter(suggestion, quoted), text),
            ui.answer_keyboard(suggestion.id)))
    await tx.commit()  # the question stays in the conversation, and they are told, if not
    await state.clear()
    await tx.tell(_("Your question has been sent. The answer will come here."),
                  chat_id=message.chat.id)


async def impact_value(message: Message, state: FSMContext, session: AsyncSession,
                       memberships: list[Membership], locale: str,
                       tx: UpdateTransaction) -> None:
    found = await _written(message, state, session, memberships)
    if found is None:
        return
    text, draft, suggestion, _membership = found
    try:
        value = service.parse_impact(draft.impact, text, locale)
    except InvalidValue:
        await message.answer(_("Please send a number, for example 250."))
        return
    service.record_impact(suggestion, kind=draft.impact, value=value, note=text)
    await tx.commit()
    await state.clear()
    await tx.tell(_("Thank you: the impact is recorded."), chat_id=message.chat.id)


async def due_date_typed(message: Message, state: FSMContext, session: AsyncSession,
                         person: Person, memberships: list[Membership], deps: Deps,
                         locale: str, tx: UpdateTransaction) -> None:
    found = await _written(message, state, session, memberships)
    if found is None:
        return
    _text, draft, suggestion, membership = found
    owner = await service.possible_owner(session, suggestion, membership, draft.owner)
    day = await typed_due_date(message, membership.enterprise, deps.clock, locale)
    if owner is None or day is None:
        return
    try:
        reply = await _put_in_progress(session, state, suggestion, person, owner, day,
                                       membership.enterprise, deps, locale)
    except InvalidValue:
        await _too_late(message, state, suggestion)
        return
    await tx.commit()
    await tx.tell(reply, chat_id=message.chat.id)


def build_router() -> Router:
    router = private_router("review")
    router.message.register(review_queue, Command("review"), flags=REVIEW)
    router.message.register(after_photo, ReviewFlow.after_photo, F.photo, flags=REVIEW)
    router.message.register(no_after_photo, ReviewFlow.after_photo, flags=REVIEW)
    router.message.register(decline_reason, ReviewFlow.decline_reason, flags=REVIEW)
    router.message.register(question, ReviewFlow.question, flags=REVIEW)
    router.message.register(impact_value, ReviewFlow.impact_value, flags=REVIEW)
    router.message.register(due_date_typed, ReviewFlow.due_date, flags=REVIEW)
    button = router.callback_query.register
    button(accept, SuggestionCallback.filter(F.action == "accept"), flags=REVIEW)
    button(decline, SuggestionCallback.filter(F.action == "decline"), flags=REVIEW)
    button(ask_question, SuggestionCallback.filter(F.action == "ask"), flags=REVIEW)
    button(offer_originals, SuggestionCallback.filter(F.action == "duplicate"), flags=REVIEW)
    button(offer_owners, SuggestionCallback.filter(F.action == "assign"), flags=REVIEW)
    button(implemented, SuggestionCallback.filter(F.action == "implemented"), flags=REVIEW)
    button(impact_menu, SuggestionCallback.filter(F.action == "impact_menu"), flags=REVIEW)
    button(impact_skipped, ImpactCallback.filter(F.kind == "skip"), flags=REVIEW)
    button(impact_chosen, ImpactCallback.filter(F.kind != "skip"), flags=REVIEW)
    button(original_picked, SuggestionPickCallback.filter(F.kind == "dup"), flags=REVIEW)
    button(owner_picked, SuggestionPickCallback.filter(F.kind == "owner"), flags=REVIEW)
    button(due_picked, SuggestionPickCallback.filter(
        (F.kind == "due") & F.value.in_(service.DUE_CHOICES)), flags=REVIEW)
    return router
