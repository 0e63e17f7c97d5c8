"""Suggestions by phone: writing one (text, photos, voice notes; anonymous if wished), the
submitter's answers to a reviewer's questions, and /stats. Reviewing is in
bot.handlers.review.

Writing is a private flow (bot.middlewares.private_flow): no line logged while it runs says
who is writing. The draft (`services.suggestions.Draft`) is kept in the conversation state
(in Redis when REDIS_URL is set) until the suggestion is stored.

```mermaid
stateDiagram-v2
    [*] --> content: /suggest
    [*] --> media_only: a photo or voice note on its own
    media_only --> area: "Yes, it is a suggestion"
    content --> area: text, a photo or a voice note
    area --> anonymity: an area, or Skip
    anonymity --> content: "Type it instead" (the voice notes left out)
    anonymity --> enterprise: name or anonymous, by someone in several enterprises
    anonymity --> [*]: name or anonymous: sent to the reviewers
    enterprise --> [*]: the enterprise picked: sent
    [*] --> answer: Answer, under a reviewer's question
    answer --> [*]: the answer typed (relayed to the reviewer)
```
Cancel ends any step; more photos or text while the area or anonymity is asked join the draft.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.deps import Deps
from bot.handlers.common import (
    ask_enterprise,
    picked_enterprise,
    private_router,
    refuse_button,
    replace_message,
)
from bot.i18n import _
from bot.keyboards.builders import enterprise_keyboard
from bot.keyboards.callbacks import (
    EnterpriseCallback,
    LegacySubmitterAnswerCallback,
    SubmitterAnswerCallback,
    SuggestCallback,
)
from bot.limits import fit_text
from bot.notify import notify
from bot.presenters import suggestions as ui
from bot.presenters.menu import tell_me_more
from bot.replies import UpdateTransaction
from bot.review_cards import tell_reviewers
from bot.services import suggestions as service
from bot.services.errors import InvalidValue
from bot.services.permissions import (
    Capability,
    single_enterprise,
)
from bot.services.wording import has_words
from storage.models import (
    Membership,
    Person,
    Role,
    SuggestionArea,
)

log = logging.getLogger(__name__)

SUGGEST = {"capability": Capability.SUGGEST}
# The submitter's own steps: logged without their person id (see bot.logs).
WRITE = {"capability": Capability.SUGGEST, "unlogged_person": True}
AREA_CHOICES = {*SuggestionArea, "none"}


class SuggestFlow(StatesGroup):
    content = State()
    media_only = State()  # a photo or voice arrived on its own: is it a suggestion?
    area = State()
    anonymity = State()
    enterprise = State()  # a person in several enterprises: which one it is for


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


# --- writing a suggestion -------------------------------------------------------------------


async def start(message: Message, state: FSMContext) -> None:
    await state.set_state(SuggestFlow.content)
    await state.set_data({"draft": service.Draft().as_state()})
    await message.answer(ui.ask_content(), reply_markup=ui.cancel_keyboard())


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
        await message.answer(tell_me_more(), reply_markup=ui.cancel_keyboard())  # "👍", "ok"
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


async def _draft(query: CallbackQuery, state: FSMContext) -> service.Draft | None:
    """The suggestion being written, or None (the button refused) when there is none."""
    data = await state.get_data()
    if "draft" not in data:
        await refuse_button(query, "suggestion step with no draft")
        return None
    return service.Draft.from_state(data["draft"])


async def cancel(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await query.answer()
    await replace_message(bot, query, _("Cancelled. Nothing was sent."))


async def start_with_media(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    """"Yes, it is a suggestion" under a photo or voice note sent on its own."""
    if await _draft(query, state) is None:
        return
    await state.set_state(SuggestFlow.area)
    await query.answer()
    await replace_message(bot, query, _("Which area is it about?"), ui.area_keyboard())


async def pick_area(query: CallbackQuery, callback_data: SuggestCallback, state: FSMContext,
                    session: AsyncSession, allowed_memberships: list[Membership],
                    bot: Bot) -> None:
    """An area (or Skip); then: with your name, or anonymously?"""
    draft = await _draft(query, state)
    if draft is None:
        return
    area = callback_data.value
    draft.area = area.value if isinstance(area, SuggestionArea) else None
    await state.update_data(draft=draft.as_state())
    await state.set_state(SuggestFlow.anonymity)
    await query.answer()
    small_team = await service.any_team_small(session, allowed_memberships)
    await replace_message(
        bot, query, ui.anonymity_question(small_team, draft.has_photo, draft.has_voice),
        ui.anonymity_keyboard(),
    )


async def retype(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    """"Type it instead" of an anonymous voice note: the voice notes are left out."""
    draft = await _draft(query, state)
    if draft is None:
        return
    draft.drop_voice()
    await state.update_data(draft=draft.as_state())
    await state.set_state(SuggestFlow.content)
    await query.answer()
    await replace_message(bot, query, _("Type your idea in a few words. Your voice notes "
                                        "will not be sent."), ui.cancel_keyboard())


async def choose_anonymity(
    query: CallbackQuery, callback_data: SuggestCallback, state: FSMContext,
    session: AsyncSession, person: Person, allowed_memberships: list[Membership], bot: Bot,
    deps: Deps, tx: UpdateTransaction,
) -> None:
    """With the name or anonymously: sent, unless the enterprise must be chosen first."""
    draft = await _draft(query, state)
    if draft is None:
        return
    draft.anonymous = callback_data.value == "yes"
    if draft.anonymous and draft.has_voice:
        await query.answer()
        await replace_message(bot, query, ui.voice_not_anonymous(),
                              ui.voice_not_anonymous_keyboard())
        return
    membership = single_enterprise(allowed_memberships)
    if membership is not None:
        await _submit(query, state, session, person, membership, draft, deps, tx)
        return
    await state.update_data(draft=draft.as_state())
    await state.set_state(SuggestFlow.enterprise)
    await query.answer()
    await replace_message(bot, query, _("Which enterprise?"), enterprise_keyboard(
        allowed_memberships, lambda m: EnterpriseCallback(action="suggest", id=m.enterprise_id)))


async def stale_step(query: CallbackQuery, callback_data: SuggestCallback,
                     state: FSMContext) -> None:
    """A button of the flow pressed out of its step (an old message): refused."""
    await refuse_button(query, f"suggestion step {callback_data.step} in state "
                               f"{await state.get_state()}")


async def stale_enterprise(query: CallbackQuery) -> None:
    """"Which enterprise?" answered with no suggestion waiting for it (an old message)."""
    await refuse_button(query, "suggestion enterprise with no draft")


async def suggest_enterprise(
    query: CallbackQuery, callback_data: EnterpriseCallback, state: FSMContext,
    session: AsyncSession, person: Person, allowed_memberships: list[Membership], deps: Deps,
    tx: UpdateTransaction,
) -> None:
    """The enterprise a suggestion is for, chosen by someone who belongs to several."""
    draft = await _draft(query, state)
    membership = await picked_enterprise(query, callback_data, allowed_memberships) \
        if draft is not None else None
    if draft is not None and membership is not None:
        await _submit(query, state, session, person, membership, draft, deps, tx)


async def _submit(query: CallbackQuery, state: FSMContext, session: AsyncSession,
                  person: Person, membership: Membership, draft: service.Draft, deps: Deps,
                  tx: UpdateTransaction) -> None:
    """Store a named suggestion and tell its reviewers, or hold an anonymous one for the hour;
    commit, and only then clear the draft and say it was received (if the commit fails, the
    draft stays and the person is told)."""
    if draft.anonymous:
        await service.hold(session, person=person, membership=membership, draft=draft,
                           now=deps.clock.now(), relay_key=deps.relay_key)
        await tx.commit()
        await state.clear()
        log.info("anonymous suggestion held for the hour")  # no id: it has none yet
        await tx.tell(ui.held(), query=query)
        return
    suggestion = await service.submit(session, person=person, membership=membership,
                                      draft=draft, now=deps.clock.now(),
                                      relay_key=deps.relay_key)
    await tell_reviewers(session, deps.i18n, suggestion, membership.enterprise,
                         deps.clock.now())
    await tx.commit()
    await state.clear()
    log.info("suggestion %s submitted", suggestion.id)
    await tx.tell(ui.received(suggestion), query=query)


# --- the submitter's answers ----------------------------------------------------------------


async def start_answer(query: CallbackQuery,
                       callback_data: SubmitterAnswerCallback | LegacySubmitterAnswerCallback,
                       state: FSMContext, session: AsyncSession, person: Person,
                       bot: Bot, deps: Deps) -> None:
    """Answer, under a reviewer's question: only its submitter may."""
    submitter = await service.submitter_of(session, callback_data.id, deps.relay_key)
    if submitter is None or submitter.id != person.id:
        await refuse_button(query, "answer to a suggestion the person did not send")
        return
    await state.set_state(ReplyFlow.answer)
    await state.set_data({"suggestion": callback_data.id})
    await query.answer()
    await bot.send_message(query.from_user.id, _("Write your answer:"),
                           reply_markup=ui.cancel_keyboard())


async def submitter_answer(message: Message, state: FSMContext, session: AsyncSession,
                           person: Person, deps: Deps, tx: UpdateTransaction) -> None:
    """The answer goes to the reviewer who asked (or every reviewer), never with a name."""
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(_("Please write your answer as text, or tap Cancel."))
        return
    suggestion_id = int((await state.get_data()).get("suggestion", 0))
    suggestion = await service.get(session, suggestion_id)
    submitter = (await service.submitter_of(session, suggestion_id, deps.relay_key)
                 if suggestion else None)
    if suggestion is None or submitter is None or submitter.id != person.id:
        await state.clear()
        await message.answer(_("Sorry, this suggestion is not yours to answer."))
        return
    service.answer(session, suggestion, text, deps.clock.now())
    asker = await service.last_asker(session, suggestion.id)
    recipients = [asker] if asker else await service.reviewers_for(session, suggestion)
    enterprise = await service.enterprise_of(session, suggestion)
    for reviewer in recipients:
        notify(session, deps.i18n, reviewer, kind="suggestion_answer", now=deps.clock.now(),
               enterprise=enterprise,
               render=lambda _locale: (
                   fit_text(lambda quoted: ui.answer_to_reviewer(suggestion, quoted), text),
                   ui.review_keyboard(suggestion)))
    await tx.commit()  # the answer stays in the conversation, and they are told, if not
    await state.clear()
    await tx.tell(_("Thank you, your answer has been passed on."), chat_id=message.chat.id)


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
    router.message.register(show_stats, Command("stats"), flags=SUGGEST)
    router.message.register(receive_content, SuggestFlow.content, flags=WRITE)
    router.message.register(add_more, flow, flags=WRITE)
    router.message.register(submitter_answer, ReplyFlow.answer, flags=WRITE)
    router.message.register(media_on_its_own, StateFilter(None),
                            F.photo | F.voice, flags=WRITE)
    router.message.register(more_media_on_its_own, StateFilter(SuggestFlow.media_only),
                            F.photo | F.voice, flags=WRITE)
    step = router.callback_query.register
    step(cancel, SuggestCallback.filter(F.step == "cancel"), flags=WRITE)
    step(start_with_media, SuggestCallback.filter(F.step == "start_with_media"),
         SuggestFlow.media_only, flags=WRITE)
    step(pick_area, SuggestCallback.filter((F.step == "area") & F.value.in_(AREA_CHOICES)),
         SuggestFlow.area, flags=WRITE)
    step(retype, SuggestCallback.filter(F.step == "retype"), SuggestFlow.anonymity,
         flags=WRITE)
    step(choose_anonymity,
         SuggestCallback.filter((F.step == "anonymous") & F.value.in_({"yes", "no"})),
         SuggestFlow.anonymity, flags=WRITE)
    step(stale_step, SuggestCallback.filter(), flags=WRITE)
    step(suggest_enterprise, EnterpriseCallback.filter(F.action == "suggest"),
         SuggestFlow.enterprise, flags=WRITE)
    step(stale_enterprise, EnterpriseCallback.filter(F.action == "suggest"), flags=WRITE)
    step(stats_picked, EnterpriseCallback.filter(F.action == "stats"), flags=SUGGEST)
    # The submitter's Answer under a reviewer's question (and the same button sent before it
    # had its own factory).
    step(start_answer, SubmitterAnswerCallback.filter(), flags=WRITE)
    step(start_answer, LegacySubmitterAnswerCallback.filter(), flags=WRITE)
    return router
