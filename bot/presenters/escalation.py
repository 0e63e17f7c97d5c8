"""Stall messages: to the owner, the team lead and the consultant, and what the consultant's
answer looks like. Suggestions are named by reference only, never by who wrote them."""

from __future__ import annotations

from datetime import date, datetime

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.i18n import _, current_locale
from bot.keyboards.callbacks import EscalationCallback
from bot.notify import Rendered
from bot.presenters import actions as action_ui
from bot.services import escalation
from storage.models import Membership, StallKind


def _day(day: date, locale: str) -> str:
    return fmt.day(day, locale)


def _reason(subject: escalation.Subject, now: datetime) -> str:
    days = subject.days_stuck(now)
    if subject.stall.reason == "overdue":
        return _("{days} day late.", "{days} days late.", days).format(days=days)
    if subject.stall.reason == "silent":
        return _("No update for {days} day.", "No update for {days} days.", days).format(
            days=days)
    if subject.stall.reason == "unreviewed":
        return _("Waiting {days} day for a first answer.",
                 "Waiting {days} days for a first answer.", days).format(days=days)
    return _("The weekly KPI check-in was missed two weeks running.")


def topic(subject: escalation.Subject) -> str:
    """A few words naming the subject."""
    if subject.item is not None:
        return _("the action “{title}”").format(
            title=html.quote(action_ui.title(subject.item, current_locale())))
    if subject.suggestion is not None:
        return _("suggestion {reference}").format(reference=subject.suggestion.reference)
    return _("the weekly KPI check-in")


def to_enterprise(subject: escalation.Subject, level: int, now: datetime,
                  locale: str) -> Rendered:
    """Levels 1 and 2: the owner, then the team lead or managers, inside the enterprise."""
    stall, item = subject.stall, subject.item
    next_up = (_("If nothing moves, your team lead will be told.") if level == escalation.OWNER
               else _("If nothing moves, your SCORE consultant will be told."))
    if item is not None:
        if level == escalation.OWNER:
            head = _("The action “{title}” is stuck (due {date}).").format(
                title=html.quote(action_ui.title(item, locale)), date=_day(item.due_on, locale))
        else:
            head = _("A stuck action in {team}: “{title}”, owner {owner}, due {date}.").format(
                team=html.quote(subject.team_name or subject.enterprise.name),
                title=html.quote(action_ui.title(item, locale)),
                owner=html.quote(subject.owner_name or "—"),
                date=_day(item.due_on, locale))
        text = "\n".join((head, _reason(subject, now), next_up))
        return text, action_ui.reminder_keyboard(item)
    if stall.kind is StallKind.SUGGESTION:
        head = _("{topic} has had no answer yet. Send /review to answer it: someone is "
                 "waiting to hear.").format(topic=_("Suggestion {reference}").format(
                     reference=subject.suggestion.reference if subject.suggestion else ""))
    else:
        head = _("Send /checkin: it takes two minutes, and the team's figures depend on it.")
    return "\n".join((_reason(subject, now), head, next_up))


def to_consultant(subject: escalation.Subject, now: datetime, locale: str, *,
                  again: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """Level 3, by direct message and in the consultant's groups, with their answers."""
    where = html.quote(subject.enterprise.name)
    if subject.team_name:
        where += " · " + html.quote(subject.team_name)
    lines = [("⏰ " + _("Still stalled after your snooze.")) if again else "⚠️ " + _("Stalled"),
             f"<b>{where}</b>"]
    if subject.item is not None:
        lines.append(_("Action: “{title}”").format(
            title=html.quote(action_ui.title(subject.item, locale))))
        lines.append(_("Owner: {owner} · due {date}").format(
            owner=html.quote(subject.owner_name or "—"),
            date=_day(subject.item.due_on, locale)))
    elif subject.suggestion is not None:
        lines.append(_("Suggestion {reference}").format(
            reference=subject.suggestion.reference))
    lines.append(_reason(subject, now))
    if subject.stall.level == escalation.CONSULTANT and not again:
        lines.append(_("The people in the enterprise were told first; nothing has moved."))
    return "\n".join(lines), consultant_keyboard(subject)


def consultant_keyboard(subject: escalation.Subject) -> InlineKeyboardMarkup:
    labels = {"ack": _("Acknowledge"), "call": _("I will call"), "owner": _("Reassign"),
              "date": _("New date"), "snooze": _("Snooze 7 days")}
    builder = InlineKeyboardBuilder()
    for action in escalation.CONSULTANT_ACTIONS[subject.stall.kind]:
        builder.button(text=labels[action],
                       callback_data=EscalationCallback(id=subject.stall.id, action=action))
    builder.adjust(2)
    return builder.as_markup()


def owner_keyboard(subject: escalation.Subject, members: list[Membership]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for member in members:
        builder.button(text=member.person.display_name[:40],
                       callback_data=EscalationCallback(id=subject.stall.id, action="pick_owner",
                                                        value=member.person_id))
    builder.adjust(2)
    return builder.as_markup()


def date_keyboard(subject: escalation.Subject, today: date, locale: str) -> InlineKeyboardMarkup:
    return action_ui.date_choices(
        today, locale,
        lambda days: EscalationCallback(id=subject.stall.id, action="pick_date", value=days))


def outcome(event: str, name: str, locale: str, subject: escalation.Subject) -> str:
    """One line under the alert saying what was done, by whom."""
    name = html.quote(name)
    if event == "ack":
        return "✓ " + _("Acknowledged by {name}.").format(name=name)
    if event == "call":
        return "📞 " + _("{name} will call.").format(name=name)
    if event == "snooze":
        return "💤 " + _("Snoozed for 7 days by {name}.").format(name=name)
    if event == "pick_owner":
        return "👤 " + _("Reassigned to {owner} by {name}.").format(
            owner=html.quote(subject.owner_name), name=name)
    assert subject.item is not None
    return "📅 " + _("New date {date}, set by {name}.").format(
        date=_day(subject.item.due_on, locale), name=name)


def will_call(name: str, subject: escalation.Subject) -> str:
    return _("{name}, your SCORE consultant, will call you about {topic}.").format(
        name=html.quote(name), topic=topic(subject))


def taken_over(name: str, subject: escalation.Subject, locale: str) -> Rendered:
    assert subject.item is not None
    return _("{name} asked you to take over the action “{title}”, due {date}.").format(
        name=html.quote(name), title=html.quote(action_ui.title(subject.item, locale)),
        date=_day(subject.item.due_on, locale)), action_ui.reminder_keyboard(subject.item)


def date_moved(name: str, subject: escalation.Subject, locale: str) -> str:
    assert subject.item is not None
    return _("New date for the action “{title}”: {date} (set by {name}).").format(
        title=html.quote(action_ui.title(subject.item, locale)),
        date=_day(subject.item.due_on, locale),
        name=html.quote(name))
