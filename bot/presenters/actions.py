"""Action items as people read them: reminders with one-tap answers, and confirmations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from aiogram import html
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.content.loader import curriculum
from bot.i18n import _
from bot.keyboards.callbacks import ActionCallback
from bot.presenters.selfcheck import action_title
from bot.services.actions import NEW_DATE_CHOICES, TITLE_MAX
from bot.services.selfcheck import GROUP_OF
from storage.models import ActionItem


def _day(day: date, locale: str) -> str:
    return fmt.day(day, locale)


def title(item: ActionItem, locale: str) -> str:
    """The action's title in the reader's language (not HTML-escaped). An action made from a
    lesson task or a self-check item is rendered from what it came from; one typed by a
    person, as they typed it."""
    if item.source == "lesson":
        lesson = curriculum().get(item.source_ref)
        if lesson is not None:
            return " ".join(lesson.in_locale(locale).task.split())[:TITLE_MAX]
    elif item.source == "selfcheck":
        key = item.source_ref.rpartition(":")[2]
        if key in GROUP_OF:
            return action_title(key)
    return item.title


def reminder(item: ActionItem, stage: int, locale: str) -> str:
    title_, due = html.quote(title(item, locale)), _day(item.due_on, locale)
    if stage == 1:
        return _("Coming up: “{title}” is due on {date}. How is it going?").format(
            title=title_, date=due)
    if stage == 2:
        return _("Due today: “{title}”. Is it done?").format(title=title_)
    return _("Overdue since {date}: “{title}”. What is the news?").format(title=title_,
                                                                          date=due)


def reminder_with_buttons(item: ActionItem, stage: int,
                          locale: str) -> tuple[str, InlineKeyboardMarkup]:
    return reminder(item, stage, locale), reminder_keyboard(item)


def reminder_keyboard(item: ActionItem) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, action in ((_("Done"), "done"), (_("In progress"), "progress"),
                         (_("Need help"), "help"), (_("New date"), "date")):
        builder.button(text=text, callback_data=ActionCallback(id=item.id, action=action))
    builder.adjust(2, 2)
    return builder.as_markup()


def date_choices(today: date, locale: str,
                 button: Callable[[int], CallbackData]) -> InlineKeyboardMarkup:
    """The new dates one may pick for an action, as buttons carrying `button(days)`."""
    builder = InlineKeyboardBuilder()
    for days in NEW_DATE_CHOICES:
        builder.button(text=_day(today + timedelta(days=days), locale), callback_data=button(days))
    builder.adjust(3)
    return builder.as_markup()


def new_date_keyboard(item: ActionItem, today: date, locale: str) -> InlineKeyboardMarkup:
    return date_choices(today, locale,
                        lambda days: ActionCallback(id=item.id, action="move", value=days))


def skip_keyboard(item: ActionItem) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=ActionCallback(id=item.id, action="skip"))
    return builder.as_markup()


def help_request(name: str, item: ActionItem, locale: str) -> str:
    return _("{name} asks for help with the action “{title}” (due {date}). A quick word or "
             "a hand would keep it moving.").format(name=html.quote(name),
                                                    title=html.quote(title(item, locale)),
                                                    date=_day(item.due_on, locale))


def planned(item: ActionItem, owner_name: str, locale: str) -> str:
    return _("Planned: “{title}”. Owner: {owner}, due {date}. Reminders will follow.").format(
        title=html.quote(title(item, locale)), owner=html.quote(owner_name),
        date=_day(item.due_on, locale))


def assigned(by: str, item: ActionItem, locale: str) -> str:
    return _("{name} gave you an action: “{title}”, due {date}. Tap an answer when there is "
             "news.").format(name=html.quote(by), title=html.quote(title(item, locale)),
                             date=_day(item.due_on, locale))


def listed(item: ActionItem, locale: str) -> str:
    """One action in a list: its title, owner and due date."""
    owner = item.owner.display_name if item.owner else "–"
    return _("{title} — {owner}, due {date}").format(
        title=html.quote(title(item, locale)), owner=html.quote(owner),
        date=_day(item.due_on, locale))


def date_prompt(today: date, locale: str) -> str:
    """Asking for a due date: the buttons below, or one typed in the reader's own way."""
    return _("By when? Tap a date, or type one (for example {example}).").format(
        example=fmt.day(today + timedelta(days=10), locale, style="short"))
