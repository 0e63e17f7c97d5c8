"""Suggestions by phone: writing one (text, photos, voice notes; anonymous if wished), the
review queue, every reviewer action, and the questions and answers relayed between them.

Conversation states (aiogram FSM, kept in Redis when REDIS_URL is set):

    /suggest -> content -> area -> anonymity -> sent
    photo or voice on its own -> "is this a suggestion?" -> area -> anonymity -> sent
    reviewer: decline -> reason | ask -> question | implemented -> after photo -> impact value
    submitter: Answer -> answer text
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from babel.numbers import NumberFormatError, parse_decimal
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.handlers.common import (
    ask_enterprise,
    picked_enterprise,
    private_router,
    refuse_button,
    replace_message,
    typed_due_date,
)
from bot.i18n import _
from bot.keyboards.builders import enterprise_keyboard
from bot.keyboards.callbacks import (
    EnterpriseCallback,
    SuggestCallback,
    SuggestionCallback,
    SuggestionPickCallback,
)
from bot.limits import CAPTION_MAX, fit_text, plain_text, telegram_length
from bot.notify import notify
from bot.presenters import actions as action_ui
from bot.presenters import suggestions as ui
from bot.presenters.menu import tell_me_more
from bot.replies import UpdateTransaction
from bot.services import anonymity
from bot.services import suggestions as service
from bot.services.actions import local_date
from bot.services.errors import InvalidValue
from bot.services.people import team_members
from bot.services.permissions import (
    Capability,
    membership_in,
    memberships_with,
    single_enterprise,
)
from bot.services.wording import has_words
from storage.models import (
    ActionItem,
    Enterprise,
    Membership,
    Person,
    Role,
    Suggestion,
    SuggestionArea,
    SuggestionMedia,
    SuggestionStatus,
)

log = logging.getLogger(__name__)

SUGGEST = {"capability": Capability.SUGGEST}
# The submitter's own steps: logged without their person id (see bot.logs).
WRITE = {"capability": Capability.SUGGEST, "unlogged_person": True}
REVIEW = {"capability": Capability.REVIEW_SUGGESTIONS}
DUE_CHOICES = (7, 14, 30)


class SuggestFlow(StatesGroup):
    content = State()
    media_only = State()  # a photo or voice arrived on its own: is it a suggestion?
    area = State()
    anonymity = State()
    enterprise = State()  # a person in several enterprises: which one it is for


class ReviewFlow(StatesGroup):
    decline_reason = State()
    question = State()
    after_photo = State()
    impact_value = State()
    due_date = State()  # owner chosen on Assign: a date button, or a typed date


class ReplyFlow(StatesGroup):
    answer = State()


def _content_of(message: Message) -> tuple[str, tuple[str, str] | None] | None:
    """The text and media a message brings to a suggestion, or None if it brings nothing."""
    if message.photo:
        return message.caption or "", ("photo", message.photo[-1].file_id)
    if message.voice:
        return message.caption or "", ("voice", message.voice.file_id)
    if message.text and not message.text.startswith("/"):
        return message.text, None
    return None


def _add(draft: service.Draft, content: tuple[str, tuple[str, str] | None]) -> None:
    text, media = content
    draft.add_text(text)
    if media is not None:
        draft.add_media(*media)


def _cancel_keyboard():  # type: ignore[no-untyped-def]
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Cancel"), callback_data=SuggestCallback(step="cancel"))
    return builder.as_markup()


# --- writing a suggestion -------------------------------------------------------------------


async def start(message: Message, state: FSMContext) -> None:
    await state.set_state(SuggestFlow.content)
    await state.set_data({"draft": service.Draft().as_state()})
    await message.answer(ui.ask_content(), reply_markup=_cancel_keyboard())


async def _append_to_draft(message: Message, state: FSMContext, unusable: str) -> bool:
    """Add what the message brings to the draft; explain and return False if it cannot."""
    content = _content_of(message)
    if content is None:
        await message.answer(unusable)
        return False
    draft = service.Draft.from_state((await state.get_data())["draft"])
    try:
        _add(draft, content)
    except InvalidValue as error:
        await message.answer(_too_much(error))
        return False
    await state.update_data(draft=draft.as_state(), album=message.media_group_id or "")
    return True


async def _same_album(message: Message, state: FSMContext) -> bool:
    """Whether the message is one more photo of an album already being added (an album
    arrives as one message per photo, sharing a media group id)."""
    album = (await state.get_data()).get("album")
    return bool(message.media_group_id) and message.media_group_id == album


async def receive_content(message: Message, state: FSMContext) -> None:
    if message.text and not message.text.startswith("/") and not has_words(message.text):
        await message.answer(tell_me_more(), reply_markup=_cancel_keyboard())  # "👍", "ok"
        return
    if not await _append_to_draft(
        message, state, _("Please send text, a photo or a voice note, or tap Cancel.")
    ):
        return
    await state.set_state(SuggestFlow.area)
    await message.answer(_("Which area is it about?"), reply_markup=ui.area_keyboard())


def _too_much(error: InvalidValue) -> str:
    if error.code == "too_many_media":
        return _("That is enough photos and voice notes for one suggestion.")
    return _("That is too long for one suggestion: please keep it under 3000 characters.")


async def add_more(message: Message, state: FSMContext) -> None:
    """More photos or text while the area or anonymity question is open: added to the draft
    (the rest of an album quietly)."""
    same_album = await _same_album(message, state)
    if await _append_to_draft(
        message, state, _("Please choose with the buttons above, or tap Cancel.")
    ) and not same_album:
        await message.answer(_("Added to your suggestion."))


async def media_on_its_own(message: Message, state: FSMContext) -> None:
    content = _content_of(message)
    assert content is not None
    draft = service.Draft()
    _add(draft, content)
    await state.set_state(SuggestFlow.media_only)
    await state.set_data({"draft": draft.as_state(), "album": message.media_group_id or ""})
    await message.answer(_("Is this a suggestion for improvement?"),
                         reply_markup=ui.is_this_a_suggestion_keyboard())


async def more_media_on_its_own(message: Message, state: FSMContext) -> None:
    """The rest of an album sent without /suggest (or another photo before the question is
    answered): kept in the same draft, and the question is not asked again."""
    same_album = await _same_album(message, state)
    if await _append_to_draft(message, state, _("Please choose with the buttons above, or tap "
                                                 "Cancel.")) and not same_album:
        await message.answer(_("Added to your suggestion."))


async def suggest_step(
    query: CallbackQuery,
    callback_data: SuggestCallback,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    allowed_memberships: list[Membership],
    clock: Clock,
    bot: Bot,
    settings,  # type: ignore[no-untyped-def]
    i18n,  # type: ignore[no-untyped-def]
    tx: UpdateTransaction,
) -> None:
    current = await state.get_state()
    data = await state.get_data()
    step = callback_data.step
    if step == "cancel":
        await state.clear()
        await query.answer()
        await replace_message(bot, query, _("Cancelled. Nothing was sent."))
        return
    if "draft" not in data:
        await refuse_button(query, f"suggestion step {step} with no draft")
        return
    draft = service.Draft.from_state(data["draft"])
    if step == "start_with_media" and current == SuggestFlow.media_only.state:
        await state.set_state(SuggestFlow.area)
        await query.answer()
        await replace_message(bot, query, _("Which area is it about?"), ui.area_keyboard())
        return
    if step == "area" and current == SuggestFlow.area.state and (
        callback_data.value in {a.value for a in SuggestionArea} or callback_data.value == "none"
    ):
        draft.area = None if callback_data.value == "none" else callback_data.value
        await state.update_data(draft=draft.as_state())
        await state.set_state(SuggestFlow.anonymity)
        await query.answer()
        # Someone in several teams is warned when any of them is small: when in doubt, warn.
        small_team = not all([anonymity.team_is_shown(await anonymity.team_size(
            session, m.team_id)) for m in allowed_memberships])
        await replace_message(
            bot, query, ui.anonymity_question(small_team, draft.has_photo, draft.has_voice),
            ui.anonymity_keyboard(),
        )
        return
    if step == "retype" and current == SuggestFlow.anonymity.state:
        draft.drop_voice()
        await state.update_data(draft=draft.as_state())
        await state.set_state(SuggestFlow.content)
        await query.answer()
        await replace_message(bot, query, _("Type your idea in a few words. Your voice notes "
                                            "will not be sent."), _cancel_keyboard())
        return
    if step == "anonymous" and current == SuggestFlow.anonymity.state and (
        callback_data.value in ("yes", "no")
    ):
        draft.anonymous = callback_data.value == "yes"
        if draft.anonymous and draft.has_voice:
            await query.answer()
            await replace_message(bot, query, ui.voice_not_anonymous(),
                                  ui.voice_not_anonymous_keyboard())
            return
        membership = single_enterprise(allowed_memberships)
        if membership is None:
            await state.update_data(draft=draft.as_state())
            await state.set_state(SuggestFlow.enterprise)
            await query.answer()
            await replace_message(bot, query, _("Which enterprise?"), enterprise_keyboard(
                allowed_memberships,
                lambda m: EnterpriseCallback(action="suggest", id=m.enterprise_id)))
            return
        await _submit(query, state, session, person, membership, draft, clock, settings, i18n,
                      tx)
        return
    await refuse_button(query, f"suggestion step {step} in state {current}")


async def suggest_enterprise(
    query: CallbackQuery, callback_data: EnterpriseCallback, state: FSMContext,
    session: AsyncSession, person: Person, allowed_memberships: list[Membership], clock: Clock,
    settings, i18n,  # type: ignore[no-untyped-def]
    tx: UpdateTransaction,
) -> None:
    """The enterprise a suggestion is for, chosen by someone who belongs to several."""
    data = await state.get_data()
    if await state.get_state() != SuggestFlow.enterprise.state or "draft" not in data:
        await refuse_button(query, "suggestion enterprise with no draft")
        return
    membership = await picked_enterprise(query, callback_data, allowed_memberships)
    if membership is not None:
        await _submit(query, state, session, person, membership,
                      service.Draft.from_state(data["draft"]), clock, settings, i18n, tx)


async def _submit(query: CallbackQuery, state: FSMContext, session: AsyncSession,
                  person: Person, membership: Membership, draft: service.Draft, clock: Clock,
                  settings, i18n, tx: UpdateTransaction) -> None:  # type: ignore[no-untyped-def]
    """Store the suggestion and tell its reviewers, commit, and only then clear the draft and
    say it was received (if the commit fails, the draft stays and the person is told)."""
    suggestion = await service.submit(session, person=person, membership=membership,
                                      draft=draft, now=clock.now())
    await _tell_reviewers(session, suggestion, membership, clock, settings, i18n)
    await tx.commit()
    await state.clear()
    log.info("suggestion %s submitted", suggestion.id)  # never who, for anonymity
    await tx.tell(ui.received(suggestion), query=query)


async def _tell_reviewers(session, suggestion: Suggestion, membership: Membership,  # type: ignore[no-untyped-def]
                          clock: Clock, settings, i18n) -> None:
    enterprise = membership.enterprise
    origin = await service.origin_of(session, suggestion)
    await session.refresh(suggestion, ["media"])
    media = service.before_media(suggestion)

    for reviewer, seen_as in await service.reviewers_with_memberships(session, suggestion):
        similar = await service.similar_open(session, suggestion, viewer=seen_as)

        def render(locale: str, similar=similar) -> tuple[str, InlineKeyboardMarkup]:  # type: ignore[no-untyped-def]
            return (ui.card(suggestion, origin.author_name, origin.place, similar, locale),
                    ui.review_keyboard(suggestion))

        notify(session, i18n, reviewer, kind="suggestion_new", now=clock.now(),
               enterprise=enterprise, default_locale=settings.default_locale, render=render,
               media=media)


async def _tell_submitter(session: AsyncSession, suggestion: Suggestion, clock: Clock,
                          settings, i18n,  # type: ignore[no-untyped-def]
                          kind: str = "", render=None) -> None:  # type: ignore[no-untyped-def]
    """Relay to the submitter (by default, the suggestion's new state). Only this function
    looks up who sent a suggestion; nothing it learns is shown to anyone else."""
    submitter = await service.submitter_of(session, suggestion.id)
    if submitter is None or submitter.blocked_bot:
        return
    enterprise = await session.get(Enterprise, suggestion.enterprise_id)
    notify(session, i18n, submitter, kind=kind or f"suggestion_{suggestion.status.value}",
           now=clock.now(), enterprise=enterprise, default_locale=settings.default_locale,
           render=render or (lambda locale: ui.to_submitter(suggestion, locale)))


async def tell_implemented(session: AsyncSession, suggestion: Suggestion, by: Person,
                           clock: Clock, settings, i18n) -> None:  # type: ignore[no-untyped-def]
    """The action made from a suggestion is done, so the suggestion is implemented: the
    submitter hears it through the relay, the reviewers (but whoever finished it) from `by`."""
    await _tell_submitter(session, suggestion, clock, settings, i18n)
    enterprise = await session.get(Enterprise, suggestion.enterprise_id)
    for reviewer in await service.reviewers_for(session, suggestion):
        if reviewer.id != by.id:
            notify(session, i18n, reviewer, kind="suggestion_implemented", now=clock.now(),
                   enterprise=enterprise, default_locale=settings.default_locale,
                   render=lambda _locale: ui.implemented_by_action(suggestion,
                                                                   by.display_name))


# --- reviewing ------------------------------------------------------------------------------


async def review_queue(
    message: Message, session: AsyncSession, person: Person,
    allowed_memberships: list[Membership], bot: Bot,
    clock: Clock, settings, i18n, locale: str,  # type: ignore[no-untyped-def]
) -> None:
    shown = 0
    moved: list[Suggestion] = []
    for membership in memberships_with(allowed_memberships, Capability.REVIEW_SUGGESTIONS):
        for suggestion in await service.review_queue(session, membership):
            if suggestion.status is SuggestionStatus.NEW:
                await service.change_status(session, suggestion, SuggestionStatus.UNDER_REVIEW,
                                            reviewer=person, now=clock.now())
                moved.append(suggestion)
            origin = await service.origin_of(session, suggestion)
            text = ui.card(suggestion, origin.author_name, origin.place,
                           await service.similar_open(session, suggestion, viewer=membership),
                           locale)
            await _send_card(bot, message.chat.id, text, ui.review_keyboard(suggestion),
                             service.before_media(suggestion))
            shown += 1
    await _tell_under_review(session, moved, clock, settings, i18n)
    if not shown:
        await message.answer(_("No suggestions are waiting. Well done!"))


async def _send_card(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup,
                     media: list[tuple[str, str]]) -> None:
    """A review card with every photo and voice note of the suggestion: the first medium
    carries the card (when it fits a caption), the others follow, one message each."""
    first, *more = media or [None]
    if first is not None and telegram_length(plain_text(text)) <= CAPTION_MAX:
        send = bot.send_photo if first[0] == "photo" else bot.send_voice
        await send(chat_id, first[1], caption=text, reply_markup=markup)
    else:
        await bot.send_message(chat_id, text, reply_markup=markup)
        more = media
    for kind, file_id in more:
        await (bot.send_photo if kind == "photo" else bot.send_voice)(chat_id, file_id)


async def _tell_under_review(session: AsyncSession, moved: list[Suggestion], clock: Clock,  # type: ignore[no-untyped-def]
                             settings, i18n) -> None:
    """One message to each submitter, however many of their suggestions one /review moved.
    Submitters are found through the relay only; nothing here is shown to the reviewer."""
    by_submitter: dict[int, tuple[Person, list[Suggestion]]] = {}
    for suggestion in moved:
        submitter = await service.submitter_of(session, suggestion.id)
        if submitter is not None and not submitter.blocked_bot:
            by_submitter.setdefault(submitter.id, (submitter, []))[1].append(suggestion)
    for submitter, theirs in by_submitter.values():
        if len(theirs) == 1:
            await _tell_submitter(session, theirs[0], clock, settings, i18n)
            continue
        enterprise = await session.get(Enterprise, theirs[0].enterprise_id)
        notify(session, i18n, submitter, kind="suggestion_under_review", now=clock.now(),
               enterprise=enterprise, default_locale=settings.default_locale,
               render=lambda locale, theirs=theirs: ui.under_review(theirs, locale))


async def _reviewable(
    query: CallbackQuery, session: AsyncSession, suggestion_id: int,
    memberships: list[Membership],
) -> tuple[Suggestion, Membership] | None:
    suggestion = await service.get(session, suggestion_id)
    membership = membership_in(memberships, suggestion.enterprise_id) if suggestion else None
    if suggestion is None or not service.may_review(membership, suggestion):
        await refuse_button(query, "suggestion outside what the person may review")
        return None
    assert membership is not None
    return suggestion, membership


async def review_action(
    query: CallbackQuery,
    callback_data: SuggestionCallback,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    memberships: list[Membership],
    clock: Clock,
    bot: Bot,
    settings,  # type: ignore[no-untyped-def]
    i18n,  # type: ignore[no-untyped-def]
    locale: str,
) -> None:
    action = callback_data.action
    if action == "answer":
        await _start_answer(query, callback_data, state, session, person)
        return
    if not memberships_with(memberships, Capability.REVIEW_SUGGESTIONS):
        await refuse_button(query, "review action without the capability")
        return
    found = await _reviewable(query, session, callback_data.id, memberships)
    if found is None:
        return
    suggestion, membership = found
    now = clock.now()
    try:
        if action == "accept":
            await service.change_status(session, suggestion, SuggestionStatus.ACCEPTED,
                                        reviewer=person, now=now)
        elif action in ("decline", "ask"):
            target = ReviewFlow.decline_reason if action == "decline" else ReviewFlow.question
            if action == "decline" and SuggestionStatus.DECLINED not in service.NEXT[
                    suggestion.status]:
                raise InvalidValue("transition", "cannot decline now")
            await state.set_state(target)
            await state.set_data({"suggestion": suggestion.id})
            await query.answer()
            prompt = (_("Why is it declined? The person who sent it will read your reason.")
                      if action == "decline" else
                      _("Write your question. It goes to the person who sent the suggestion; "
                        "their answer comes back to you."))
            await bot.send_message(query.from_user.id, prompt, reply_markup=_cancel_keyboard())
            return
        elif action == "duplicate":
            await _offer_originals(query, session, suggestion, membership, bot)
            return
        elif action == "assign":
            await _offer_owners(query, session, suggestion, membership, bot)
            return
        elif action == "implemented":
            await service.change_status(session, suggestion, SuggestionStatus.IMPLEMENTED,
                                        reviewer=person, now=now)
            await state.set_state(ReviewFlow.after_photo)
            await state.set_data({"suggestion": suggestion.id})
            await _tell_submitter(session, suggestion, clock, settings, i18n)
            await query.answer()
            builder = InlineKeyboardBuilder()
            builder.button(text=_("Skip"), callback_data=SuggestionCallback(
                id=suggestion.id, action="impact_menu"))
            await replace_message(
                bot, query,
                _("Marked as implemented. Send an after-photo (SCORE's favourite evidence), "
                  "or tap Skip."),
                builder.as_markup(),
            )
            return
        elif action == "impact_menu":
            await state.clear()
            await query.answer()
            await replace_message(bot, query, _("What did it bring?"),
                                  ui.impact_keyboard(suggestion.id))
            return
        elif action.startswith("impact_"):
            await _impact_choice(query, state, suggestion, action.removeprefix("impact_"), bot)
            return
        else:
            await refuse_button(query, f"unknown suggestion action {action}")
            return
    except InvalidValue:
        await query.answer(_("That is no longer possible: the suggestion is {status}.").format(
            status=ui.status_name(suggestion.status)), show_alert=True)
        return
    await _tell_submitter(session, suggestion, clock, settings, i18n)
    await query.answer(_("Done. The person who sent it has been told."))
    await _refresh_card(bot, query, session, suggestion, locale)


async def _refresh_card(bot: Bot, query: CallbackQuery, session: AsyncSession,
                        suggestion: Suggestion, locale: str) -> None:
    """Show the card in its new state: in place when the button was on the card itself; as a
    new card when it was on another message (an answer, a question), which keeps its text."""
    origin = await service.origin_of(session, suggestion)
    text = ui.card(suggestion, origin.author_name, origin.place, [], locale)
    pressed = query.message
    shown = (pressed.text or pressed.caption or "") if isinstance(pressed, Message) else ""
    if shown.startswith(ui.card_heading(suggestion)):
        await replace_message(bot, query, text, ui.review_keyboard(suggestion))
    else:
        await bot.send_message(query.from_user.id, text,
                               reply_markup=ui.review_keyboard(suggestion))


async def _offer_originals(query: CallbackQuery, session: AsyncSession, suggestion: Suggestion,
                           membership: Membership, bot: Bot) -> None:
    if SuggestionStatus.DUPLICATE not in service.NEXT[suggestion.status]:
        raise InvalidValue("transition", "cannot mark duplicate now")
    similar = [s for s, _score in await service.similar_open(session, suggestion,
                                                             viewer=membership, limit=5)]
    if not similar:
        await query.answer(_("No similar open suggestion was found to link it to."),
                           show_alert=True)
        return
    builder = InlineKeyboardBuilder()
    for original in similar:
        builder.button(text=f"{original.reference}: {original.text[:40]}",
                       callback_data=SuggestionPickCallback(id=suggestion.id, kind="dup",
                                                            value=original.id))
    builder.adjust(1)
    await query.answer()
    await bot.send_message(query.from_user.id,
                           _("Which suggestion is the original?"),
                           reply_markup=builder.as_markup())


async def _offer_owners(query: CallbackQuery, session: AsyncSession, suggestion: Suggestion,
                        membership: Membership, bot: Bot) -> None:
    if suggestion.status not in (SuggestionStatus.NEW, SuggestionStatus.UNDER_REVIEW,
                                 SuggestionStatus.ACCEPTED):
        raise InvalidValue("transition", "cannot assign now")
    team_id = suggestion.team_id or membership.team_id
    people = [m.person for m in await team_members(session, team_id)] if team_id else []
    reviewer = await session.get(Person, membership.person_id)
    if reviewer is not None and reviewer not in people:
        people.insert(0, reviewer)
    builder = InlineKeyboardBuilder()
    for candidate in people[:30]:
        builder.button(text=candidate.display_name or "?",
                       callback_data=SuggestionPickCallback(id=suggestion.id, kind="owner",
                                                            value=candidate.id))
    builder.adjust(2)
    await query.answer()
    await bot.send_message(query.from_user.id, _("Who will put it into practice?"),
                           reply_markup=builder.as_markup())


async def pick(
    query: CallbackQuery,
    callback_data: SuggestionPickCallback,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    allowed_memberships: list[Membership],
    clock: Clock,
    bot: Bot,
    settings,  # type: ignore[no-untyped-def]
    i18n,  # type: ignore[no-untyped-def]
    locale: str,
) -> None:
    found = await _reviewable(query, session, callback_data.id, allowed_memberships)
    if found is None:
        return
    suggestion, membership = found
    now = clock.now()
    try:
        if callback_data.kind == "dup":
            original = await service.get(session, callback_data.value)
            await service.change_status(session, suggestion, SuggestionStatus.DUPLICATE,
                                        reviewer=person, now=now, duplicate_of=original)
            await _tell_submitter(session, suggestion, clock, settings, i18n)
            await query.answer()
            await replace_message(bot, query, _("Marked as a duplicate of {reference}.").format(
                reference=f"S{callback_data.value}"))
            return
        if callback_data.kind == "owner":
            owner = await session.get(Person, callback_data.value)
            member_ids = {m.person_id for m in await team_members(
                session, suggestion.team_id or membership.team_id or 0)}
            if owner is None or (owner.id not in member_ids and owner.id != person.id):
                await refuse_button(query, "owner outside the team")
                return
            await state.set_state(ReviewFlow.due_date)
            await state.set_data({"suggestion": suggestion.id, "owner": owner.id})
            builder = InlineKeyboardBuilder()
            enterprise = membership.enterprise
            for days in DUE_CHOICES:
                due = service.default_due(enterprise, now, days)
                builder.button(text=format_date(due, format="medium", locale=locale),
                               callback_data=SuggestionPickCallback(id=suggestion.id,
                                                                    kind="due", value=days))
            await query.answer()
            await replace_message(bot, query, action_ui.date_prompt(
                local_date(now, enterprise.timezone), locale), builder.as_markup())
            return
        if callback_data.kind == "due" and callback_data.value in DUE_CHOICES:
            data = await state.get_data()
            owner_id = data.get("owner") if data.get("suggestion") == suggestion.id else None
            owner = await session.get(Person, owner_id) if owner_id else None
            if owner is None:
                await refuse_button(query, "due date without an owner")
                return
            due = service.default_due(membership.enterprise, now, callback_data.value)
            text = await _put_in_progress(session, state, suggestion, person, owner, due,
                                          membership.enterprise, clock, settings, i18n, locale)
            await query.answer()
            await replace_message(bot, query, text)
            return
    except InvalidValue:
        await query.answer(_("That is no longer possible: the suggestion is {status}.").format(
            status=ui.status_name(suggestion.status)), show_alert=True)
        return
    await refuse_button(query, f"unknown pick {callback_data.kind}")


async def _put_in_progress(session: AsyncSession, state: FSMContext, suggestion: Suggestion,  # type: ignore[no-untyped-def]
                           reviewer: Person, owner: Person, due: date, enterprise: Enterprise,
                           clock: Clock, settings, i18n, locale: str) -> str:
    """Make the suggestion's action, tell its owner and the submitter; the reviewer's
    confirmation is returned."""
    now = clock.now()
    item = await service.put_in_progress(session, suggestion, reviewer=reviewer, owner=owner,
                                         due_on=due, enterprise=enterprise, now=now)
    await state.clear()
    _tell_owner(session, item, owner, reviewer, enterprise, now, settings, i18n)
    await _tell_submitter(session, suggestion, clock, settings, i18n)
    detail = ui.in_progress_detail(owner.display_name,
                                   format_date(due, format="medium", locale=locale))
    return f"{suggestion.reference}: {detail}"


def _tell_owner(session: AsyncSession, item: ActionItem, owner: Person, by: Person,  # type: ignore[no-untyped-def]
                enterprise: Enterprise, now: datetime, settings, i18n) -> None:
    """The owner of the action made from a suggestion hears of it in their language, with
    the action's answer buttons, as /action tells its owner."""
    if owner.id != by.id:
        notify(session, i18n, owner, kind="action_planned", now=now, enterprise=enterprise,
               default_locale=settings.default_locale,
               render=lambda loc: (action_ui.assigned(by.display_name, item, loc),
                                   action_ui.reminder_keyboard(item)))


async def _impact_choice(query: CallbackQuery, state: FSMContext, suggestion: Suggestion,
                         kind: str, bot: Bot) -> None:
    if kind == "skip":
        await state.clear()
        await query.answer()
        await replace_message(bot, query, _("Thank you. The suggestion is closed as "
                                            "implemented."))
        return
    if kind not in ("money", "hours", "defects", "safety"):
        await refuse_button(query, f"unknown impact {kind}")
        return
    await state.set_state(ReviewFlow.impact_value)
    await state.set_data({"suggestion": suggestion.id, "impact": kind})
    prompts = {
        "money": _("How much money does it save per month? Send a number."),
        "hours": _("How many hours does it save per month? Send a number."),
        "defects": _("How many defects does it avoid per month? Send a number."),
        "safety": _("In a few words: what is safer now?"),
    }
    await query.answer()
    await replace_message(bot, query, prompts[kind])


async def reviewer_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    memberships: list[Membership],
    clock: Clock,
    settings,  # type: ignore[no-untyped-def]
    i18n,  # type: ignore[no-untyped-def]
    locale: str,
) -> None:
    """A reviewer's typed reason, question, after-photo or impact figure."""
    current = await state.get_state()
    data = await state.get_data()
    suggestion = await service.get(session, int(data.get("suggestion", 0)))
    membership = membership_in(memberships, suggestion.enterprise_id) if suggestion else None
    if suggestion is None or not service.may_review(membership, suggestion):
        await state.clear()
        await message.answer(_("Sorry, this suggestion is not yours to review any more."))
        return
    now = clock.now()
    if current == ReviewFlow.after_photo.state:
        if not message.photo:
            await message.answer(_("Please send a photo, or tap Skip."))
            return
        session.add(SuggestionMedia(suggestion_id=suggestion.id, kind="photo",
                                    file_id=message.photo[-1].file_id, stage="after"))
        await state.clear()
        await message.answer(_("After-photo saved. What did it bring?"),
                             reply_markup=ui.impact_keyboard(suggestion.id))
        return
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(_("Please write it as text, or tap Cancel."))
        return
    if current == ReviewFlow.due_date.state:
        owner = await session.get(Person, int(data.get("owner", 0)))
        assert membership is not None
        day = await typed_due_date(message, membership.enterprise, clock, locale)
        if owner is None or day is None:
            return
        try:
            reply = await _put_in_progress(session, state, suggestion, person, owner, day,
                                           membership.enterprise, clock, settings, i18n,
                                           locale)
        except InvalidValue:
            await state.clear()
            await message.answer(_("That is no longer possible: the suggestion is {status}."
                                   ).format(status=ui.status_name(suggestion.status)))
            return
        await message.answer(reply)
        return
    if current == ReviewFlow.decline_reason.state:
        try:
            await service.change_status(session, suggestion, SuggestionStatus.DECLINED,
                                        reviewer=person, now=now, reason=text)
        except InvalidValue:
            await state.clear()
            await message.answer(_("That is no longer possible: the suggestion is {status}."
                                   ).format(status=ui.status_name(suggestion.status)))
            return
        await state.clear()
        await _tell_submitter(session, suggestion, clock, settings, i18n)
        await message.answer(_("Declined. The person who sent it has been told why."))
        return
    if current == ReviewFlow.question.state:
        service.ask(session, suggestion, person, text, now)
        await state.clear()
        await _tell_submitter(
            session, suggestion, clock, settings, i18n, kind="suggestion_question",
            render=lambda _locale: (
                fit_text(lambda quoted: ui.question_to_submitter(suggestion, quoted), text),
                ui.answer_keyboard(suggestion.id)))
        await message.answer(_("Your question has been sent. The answer will come here."))
        return
    if current == ReviewFlow.impact_value.state:
        kind = data.get("impact", "")
        value = None
        if kind != "safety":
            try:
                value = float(parse_decimal(text.replace(" ", ""), locale=locale))
            except (NumberFormatError, ValueError):
                await message.answer(_("Please send a number, for example 250."))
                return
            if value < 0 or value > 1e9:
                await message.answer(_("Please send a number, for example 250."))
                return
        service.record_impact(suggestion, kind=kind, value=value, note=text)
        await state.clear()
        await message.answer(_("Thank you: the impact is recorded."))


# --- the submitter's answers ----------------------------------------------------------------


async def _start_answer(query: CallbackQuery, callback_data: SuggestionCallback,
                        state: FSMContext, session: AsyncSession, person: Person) -> None:
    submitter = await service.submitter_of(session, callback_data.id)
    if submitter is None or submitter.id != person.id:
        await refuse_button(query, "answer to a suggestion the person did not send")
        return
    await state.set_state(ReplyFlow.answer)
    await state.set_data({"suggestion": callback_data.id})
    await query.answer()
    await query.bot.send_message(query.from_user.id, _("Write your answer:"),  # type: ignore[union-attr]
                                 reply_markup=_cancel_keyboard())


async def submitter_answer(
    message: Message, state: FSMContext, session: AsyncSession, person: Person, clock: Clock,
    settings, i18n,  # type: ignore[no-untyped-def]
) -> None:
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(_("Please write your answer as text, or tap Cancel."))
        return
    suggestion_id = int((await state.get_data()).get("suggestion", 0))
    suggestion = await service.get(session, suggestion_id)
    submitter = await service.submitter_of(session, suggestion_id) if suggestion else None
    if suggestion is None or submitter is None or submitter.id != person.id:
        await state.clear()
        await message.answer(_("Sorry, this suggestion is not yours to answer."))
        return
    service.answer(session, suggestion, text, clock.now())
    await state.clear()
    asker = await service.last_asker(session, suggestion.id)
    recipients = [asker] if asker else await service.reviewers_for(session, suggestion)
    enterprise = await session.get(Enterprise, suggestion.enterprise_id)
    for reviewer in recipients:
        notify(session, i18n, reviewer, kind="suggestion_answer", now=clock.now(),
               enterprise=enterprise, default_locale=settings.default_locale,
               render=lambda _locale: (
                   fit_text(lambda quoted: ui.answer_to_reviewer(suggestion, quoted), text),
                   ui.review_keyboard(suggestion)))
    await message.answer(_("Thank you, your answer has been passed on."))


async def show_stats(message: Message, session: AsyncSession, bot: Bot,
                     allowed_memberships: list[Membership], clock: Clock, locale: str) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "stats")
    if membership is not None:
        await _send_stats(bot, message.chat.id, session, membership, clock, locale)


async def stats_picked(query: CallbackQuery, callback_data: EnterpriseCallback, bot: Bot,
                       session: AsyncSession, allowed_memberships: list[Membership],
                       clock: Clock, locale: str) -> None:
    membership = await picked_enterprise(query, callback_data, allowed_memberships)
    if membership is not None:
        await query.answer()
        await _send_stats(bot, query.from_user.id, session, membership, clock, locale)


async def _send_stats(bot: Bot, chat_id: int, session: AsyncSession, membership: Membership,
                      clock: Clock, locale: str) -> None:
    team_id = membership.team_id if membership.role in (Role.WORKER, Role.TEAM_LEAD) else None
    figures = await service.stats(session, membership.enterprise_id, clock.now(), team_id)
    await bot.send_message(chat_id, ui.stats_text(figures, locale))


def build_router() -> Router:
    router = private_router("suggestions")
    flow = StateFilter(SuggestFlow.area, SuggestFlow.anonymity)
    router.message.register(start, Command("suggest"), flags=WRITE)
    router.message.register(review_queue, Command("review"), flags=REVIEW)
    router.message.register(show_stats, Command("stats"), flags=SUGGEST)
    router.message.register(receive_content, SuggestFlow.content, flags=WRITE)
    router.message.register(add_more, flow, flags=WRITE)
    router.message.register(
        reviewer_text,
        StateFilter(ReviewFlow.decline_reason, ReviewFlow.question, ReviewFlow.after_photo,
                    ReviewFlow.impact_value, ReviewFlow.due_date),
        flags=REVIEW,
    )
    router.message.register(submitter_answer, ReplyFlow.answer, flags=WRITE)
    router.message.register(media_on_its_own, StateFilter(None),
                            F.photo | F.voice, flags=WRITE)
    router.message.register(more_media_on_its_own, StateFilter(SuggestFlow.media_only),
                            F.photo | F.voice, flags=WRITE)
    router.callback_query.register(suggest_step, SuggestCallback.filter(), flags=WRITE)
    router.callback_query.register(suggest_enterprise,
                                   EnterpriseCallback.filter(F.action == "suggest"), flags=WRITE)
    router.callback_query.register(stats_picked, EnterpriseCallback.filter(F.action == "stats"),
                                   flags=SUGGEST)
    router.callback_query.register(review_action, SuggestionCallback.filter(), flags=WRITE)
    router.callback_query.register(pick, SuggestionPickCallback.filter(), flags=REVIEW)
    return router

