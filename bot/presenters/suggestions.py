"""Suggestions as people read them. Reviewer views never name an anonymous submitter: the
author shown comes only from `Suggestion.author_id` (None when anonymous)."""

from __future__ import annotations

from datetime import date

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.i18n import _
from bot.keyboards.callbacks import (
    ImpactCallback,
    ImpactKind,
    SubmitterAnswerCallback,
    SuggestCallback,
    SuggestionCallback,
    SuggestionPickCallback,
)
from bot.services.suggestions import BENCHMARK_TOYOTA, BENCHMARK_WEAK, Stats
from storage.models import Person, Suggestion, SuggestionArea, SuggestionStatus

TEXT_SHOWN = 1500  # of a suggestion's text in a review card (a message holds 4096)


def area_name(area: SuggestionArea | None) -> str:
    names = {
        SuggestionArea.COOPERATION: _("Workplace cooperation"),
        SuggestionArea.QUALITY: _("Quality"),
        SuggestionArea.CLEANER_PRODUCTION: _("Cleaner production"),
        SuggestionArea.PEOPLE: _("People and work organisation"),
        SuggestionArea.SAFETY: _("Safety and health"),
    }
    return names[area] if area else _("No area chosen")


def status_name(status: SuggestionStatus) -> str:
    names = {
        SuggestionStatus.NEW: _("new"),
        SuggestionStatus.UNDER_REVIEW: _("under review"),
        SuggestionStatus.ACCEPTED: _("accepted"),
        SuggestionStatus.DECLINED: _("declined"),
        SuggestionStatus.DUPLICATE: _("duplicate"),
        SuggestionStatus.IN_PROGRESS: _("in progress"),
        SuggestionStatus.IMPLEMENTED: _("implemented"),
    }
    return names[status]


def ask_content() -> str:
    return _("What is your idea? Write it, send a photo, or record a voice note. "
             "Short is fine.")


def area_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for area in SuggestionArea:
        builder.button(text=area_name(area), callback_data=SuggestCallback(step="area",
                                                                           value=area))
    builder.button(text=_("Skip"), callback_data=SuggestCallback(step="area", value="none"))
    builder.adjust(1)
    return builder.as_markup()


def anonymity_question(small_team: bool, has_photo: bool, has_voice: bool) -> str:
    """The choice between name and anonymity, with what anonymity cannot hide."""
    lines = [_("Send it with your name, or anonymously? Anonymous ideas still get answers: "
               "nobody will see who sent it.")]
    if small_team:
        lines.append(_("Your team has fewer than 5 people, so your team is not named, but "
                       "your manager may still guess who sent an anonymous idea."))
    if has_photo:
        lines.append(_("Faces and name tags in a photo can show who took it."))
    if has_voice:
        lines.append(_("Voice notes are sent only with your name: a voice can be recognised."))
    return "\n\n".join(lines)


def voice_not_anonymous() -> str:
    return _("A voice note is never passed on anonymously: your manager would hear your voice. "
             "Type your idea instead (your voice notes are left out), or send it with your "
             "name.")


def voice_not_anonymous_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Type it instead"), callback_data=SuggestCallback(step="retype"))
    builder.button(text=_("Send with my name"),
                   callback_data=SuggestCallback(step="anonymous", value="no"))
    builder.button(text=_("Cancel"), callback_data=SuggestCallback(step="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def anonymity_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Send with my name"),
                   callback_data=SuggestCallback(step="anonymous", value="no"))
    builder.button(text=_("Send anonymously"),
                   callback_data=SuggestCallback(step="anonymous", value="yes"))
    builder.button(text=_("Cancel"), callback_data=SuggestCallback(step="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def is_this_a_suggestion_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, it is a suggestion"),
                   callback_data=SuggestCallback(step="start_with_media"))
    builder.button(text=_("No"), callback_data=SuggestCallback(step="cancel"))
    return builder.as_markup()


def received(suggestion: Suggestion) -> str:
    return "\n\n".join([
        _("Thank you! Your suggestion {reference} has been received.").format(
            reference=suggestion.reference),
        _("You will hear from me at every step.")])


def held() -> str:
    """An anonymous idea, received and waiting for the hour (no number yet)."""
    return "\n\n".join([
        _("Thank you! Your anonymous suggestion has been received."),
        _("It reaches the reviewers at the top of the hour, together with the other anonymous "
          "suggestions of this hour, so that neither its time nor its number tells who sent it. "
          "Reviewers will not see your name, but their answers and questions will reach you "
          "here."),
        _("You will hear from me at every step, starting with its number.")])


def released(suggestion: Suggestion) -> str:
    """To the sender of an anonymous idea, when it reaches the reviewers."""
    return _("Your anonymous suggestion is with the reviewers now, as {reference}.").format(
        reference=suggestion.reference)


def card_heading(suggestion: Suggestion) -> str:
    """How a card begins, as plain text: tells a card from other messages about it."""
    heading = _("<b>Suggestion {reference}</b> · {status}").format(
        reference=suggestion.reference, status="")
    return heading.replace("<b>", "").replace("</b>", "").split("·")[0].rstrip()


def under_review(suggestions: list[Suggestion], locale: str) -> str:
    """To a submitter whose several suggestions one review moved on."""
    references = fmt.listing([s.reference for s in suggestions], locale)
    return _("Your suggestions {references} are being reviewed.").format(
        references=references)


def card(suggestion: Suggestion, author_name: str | None, team_name: str | None,
         similar: list[tuple[Suggestion, float]], locale: str) -> str:
    """The suggestion as a reviewer sees it."""
    text = suggestion.text
    if len(text) > TEXT_SHOWN:
        text = text[:TEXT_SHOWN] + "…"
    who = author_name if author_name and not suggestion.anonymous else _("anonymous")
    lines = [
        _("<b>Suggestion {reference}</b> · {status}").format(
            reference=suggestion.reference, status=status_name(suggestion.status)),
        _("From: {who}").format(who=html.quote(who)) + (
            f" · {html.quote(team_name)}" if team_name else ""),
        _("Area: {area}").format(area=area_name(suggestion.area)),
        _("Sent on {date}").format(date=fmt.day(suggestion.created_at, locale)),
    ]
    if text:
        lines += ["", html.quote(text)]
    media = [m.kind for m in suggestion.media if m.stage == "before"]
    if media:
        lines.append(_("With {count} photo or voice note", "With {count} photos or voice notes",
                       len(media)).format(count=len(media)))
    if similar:
        lines += ["", _("Similar open suggestions:")]
        lines += [f"• {s.reference}: {html.quote(s.text[:80])}" for s, _score in similar]
    return "\n".join(lines)


def review_keyboard(suggestion: Suggestion) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()

    def button(text: str, action: str) -> None:
        builder.button(text=text, callback_data=SuggestionCallback(id=suggestion.id,
                                                                   action=action))

    status = suggestion.status
    if status in (SuggestionStatus.NEW, SuggestionStatus.UNDER_REVIEW):
        button(_("Accept"), "accept")
        button(_("Decline"), "decline")
        button(_("Duplicate"), "duplicate")
    if status in (SuggestionStatus.NEW, SuggestionStatus.UNDER_REVIEW, SuggestionStatus.ACCEPTED):
        button(_("Assign"), "assign")
    if status in (SuggestionStatus.ACCEPTED, SuggestionStatus.IN_PROGRESS):
        button(_("Implemented"), "implemented")
    button(_("Ask a question"), "ask")
    builder.adjust(3, 2, 1)
    return builder.as_markup()


def to_submitter(suggestion: Suggestion, locale: str) -> str:
    """What the submitter is told when their suggestion changes state."""
    ref = suggestion.reference
    status = suggestion.status
    if status is SuggestionStatus.UNDER_REVIEW:
        return _("Your suggestion {reference} is being reviewed.").format(reference=ref)
    if status is SuggestionStatus.ACCEPTED:
        return _("Good news: your suggestion {reference} has been accepted!").format(
            reference=ref)
    if status is SuggestionStatus.DECLINED:
        return _("Your suggestion {reference} was not taken up. The reason: {reason}\n\n"
                 "Thank you for it all the same: every idea helps us see the workplace "
                 "better.").format(reference=ref,
                                   reason=html.quote(suggestion.decline_reason))
    if status is SuggestionStatus.DUPLICATE:
        return _("Your suggestion {reference} is the same idea as {original}, which is "
                 "already being handled. Thank you: two people seeing it makes it more "
                 "important.").format(reference=ref, original=f"S{suggestion.duplicate_of_id}")
    if status is SuggestionStatus.IN_PROGRESS:
        return _("Your suggestion {reference} is being put into practice.").format(
            reference=ref)
    if status is SuggestionStatus.IMPLEMENTED:
        return _("Your suggestion {reference} has been implemented. Thank you for making "
                 "work better!").format(reference=ref)
    return _("Your suggestion {reference} is now: {status}.").format(
        reference=ref, status=status_name(status))


def in_progress_detail(owner_name: str, due: str) -> str:
    return _("{owner} will take care of it by {date}.").format(owner=html.quote(owner_name),
                                                               date=due)


def in_progress(owner_name: str, due: date, locale: str) -> str:
    return in_progress_detail(owner_name, fmt.day(due, locale))


def implemented_by_action(suggestion: Suggestion, owner_name: str) -> str:
    """To the reviewers: the action made from the suggestion is done."""
    return _("{name} finished the action for suggestion {reference}: it is now "
             "implemented.").format(name=html.quote(owner_name),
                                    reference=suggestion.reference)


def impact_keyboard(suggestion_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    kinds: tuple[tuple[str, ImpactKind], ...] = (
        (_("Money saved"), "money"), (_("Hours saved"), "hours"),
        (_("Defects avoided"), "defects"), (_("Safer work"), "safety"), (_("Skip"), "skip"))
    for label, kind in kinds:
        builder.button(text=label, callback_data=ImpactCallback(id=suggestion_id, kind=kind))
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def impact_prompt(kind: ImpactKind) -> str:
    prompts = {
        "money": _("How much money does it save per month? Send a number."),
        "hours": _("How many hours does it save per month? Send a number."),
        "defects": _("How many defects does it avoid per month? Send a number."),
        "safety": _("In a few words: what is safer now?"),
    }
    return prompts[kind]


def cancel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Cancel"), callback_data=SuggestCallback(step="cancel"))
    return builder.as_markup()


def decline_prompt() -> str:
    return _("Why is it declined? The person who sent it will read your reason.")


def question_prompt() -> str:
    return _("Write your question. It goes to the person who sent the suggestion; "
             "their answer comes back to you.")


def after_photo_prompt() -> str:
    """Asked once a reviewer marks a suggestion implemented; Skip goes to its impact."""
    return _("Marked as implemented. Send an after-photo (SCORE's favourite evidence), "
             "or tap Skip.")


def after_photo_keyboard(suggestion_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=SuggestionCallback(id=suggestion_id,
                                                                    action="impact_menu"))
    return builder.as_markup()


def originals_keyboard(suggestion: Suggestion,
                       originals: list[Suggestion]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for original in originals:
        builder.button(text=f"{original.reference}: {original.text[:40]}",
                       callback_data=SuggestionPickCallback(id=suggestion.id, kind="dup",
                                                            value=original.id))
    builder.adjust(1)
    return builder.as_markup()


def owners_keyboard(suggestion: Suggestion, people: list[Person]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for candidate in people:
        builder.button(text=candidate.display_name or "?",
                       callback_data=SuggestionPickCallback(id=suggestion.id, kind="owner",
                                                            value=candidate.id))
    builder.adjust(2)
    return builder.as_markup()


def due_keyboard(suggestion: Suggestion, choices: list[tuple[int, date]],
                 locale: str) -> InlineKeyboardMarkup:
    """A button per due date on offer: (days from today, the date) pairs."""
    builder = InlineKeyboardBuilder()
    for days, due in choices:
        builder.button(text=fmt.day(due, locale),
                       callback_data=SuggestionPickCallback(id=suggestion.id, kind="due",
                                                            value=days))
    return builder.as_markup()


def no_longer_possible(suggestion: Suggestion) -> str:
    return _("That is no longer possible: the suggestion is {status}.").format(
        status=status_name(suggestion.status))


def question_to_submitter(suggestion: Suggestion, question: str) -> str:
    """`question` comes HTML-escaped (see bot.limits.fit_text)."""
    return _("A question about your suggestion {reference}:\n\n{question}\n\n"
             "Tap “Answer” to reply.").format(reference=suggestion.reference,
                                              question=question)


def answer_keyboard(suggestion_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Answer"),
                   callback_data=SubmitterAnswerCallback(id=suggestion_id))
    return builder.as_markup()


def answer_to_reviewer(suggestion: Suggestion, answer: str) -> str:
    """`answer` comes HTML-escaped (see bot.limits.fit_text)."""
    return _("Answer about suggestion {reference}:\n\n{answer}").format(
        reference=suggestion.reference, answer=answer)


def stats_text(stats: Stats, locale: str) -> str:
    def number(value: float) -> str:
        return fmt.number(value, locale, digits=1)

    rate = stats.implementation_rate
    median = stats.median_days_to_answer
    lines = [
        _("<b>Suggestions, last 12 months</b>"),
        _("Ideas per person: {value}").format(value=number(stats.ideas_per_person_year)),
        _("Implemented per person: {value}").format(
            value=number(stats.implemented_per_person_year)),
        _("Participation: {value} of members made a suggestion").format(
            value=fmt.percent(stats.participation, locale)),
        _("Implementation rate: {value}").format(
            value=fmt.percent(rate, locale) if rate is not None else "–"),
        _("Median time to a first answer: {value} days").format(
            value=number(median) if median is not None else "–"),
        "",
        _("For comparison: Toyota implements about {good} ideas per person each year; a weak "
          "scheme about {weak}.").format(good=BENCHMARK_TOYOTA, weak=BENCHMARK_WEAK),
    ]
    return "\n".join(lines)


def weekly_recognition(came_in: int, implemented: int, names: list[str]) -> str:
    lines = [
        _("This week: {count} idea came in", "This week: {count} ideas came in",
          came_in).format(count=came_in)
        + " · "
        + _("{count} implemented", "{count} implemented", implemented).format(
            count=implemented),
    ]
    if names:
        lines.append(_("Thank you, {names}!").format(
            names=", ".join(html.quote(n) for n in names)))
    lines.append(_("Every idea counts: send yours with /suggest."))
    return "\n".join(lines)
