"""The pulse survey and the Working Climate Index as people read them."""

from __future__ import annotations

from datetime import date

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.i18n import _
from bot.keyboards.callbacks import PulseCallback
from bot.services.climate import MIN_ANSWERS, Climate
from storage.models import PulseRound


def statement_text(key: str) -> str:
    texts = {
        "listened": _("My ideas are listened to."),
        "cooperation": _("Managers and workers work well together."),
        "safe": _("I feel safe at work."),
        "measured": _("I know how my work is measured."),
        "training": _("I get the training I need."),
        "fair_pay": _("My pay and working hours are fair."),
        "respect": _("I am treated with respect."),
    }
    return texts.get(key, key)


def scale() -> list[tuple[int, str]]:
    """The answers, best first, with a face for those who read little."""
    return [
        (5, "😀 " + _("Strongly agree")),
        (4, "🙂 " + _("Agree")),
        (3, "😐 " + _("Not sure")),
        (2, "🙁 " + _("Disagree")),
        (1, "😞 " + _("Strongly disagree")),
    ]


def month_name(month: date, locale: str) -> str:
    return fmt.month(month, locale)


def _number(value: float, locale: str) -> str:
    return fmt.number(value, locale, digits=0)


def question(pulse: PulseRound, given: str, locale: str, *, team: str = "",
             reminder: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """The next statement after the answers `given`, with one big button per answer. The first
    statement comes with a word on what the survey is and that it is anonymous."""
    index = len(given)
    lines = []
    if index == 0:
        month = month_name(pulse.month, locale)
        if reminder:
            lines.append(_("A reminder: the team pulse for {month} closes soon. Your answers "
                           "are anonymous.").format(month=month))
        else:
            lines.append(_("<b>Team pulse for {month}</b>\nHow is work in {team}? {count} "
                           "short statements, about a minute. Your answers are anonymous: "
                           "nobody can see who answered what.").format(
                month=month, team=html.quote(team), count=len(pulse.statements)))
        lines.append("")
    lines.append(_("<b>{number}/{total}</b> {statement}\nHow much do you agree?").format(
        number=index + 1, total=len(pulse.statements),
        statement=statement_text(pulse.statements[index])))
    builder = InlineKeyboardBuilder()
    for score, label in scale():
        builder.button(text=label,
                       callback_data=PulseCallback(round_id=pulse.id, given=given, score=score))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def thanks() -> str:
    return _("Thank you! Your answers are counted without your name. The results come when "
             "the survey closes, if at least {count} people answered.").format(count=MIN_ANSWERS)


def _trend(climate: Climate, previous: Climate | None, locale: str) -> str:
    if previous is None or not previous.shown or climate.overall is None:
        return ""
    assert previous.overall is not None
    change = round(climate.overall) - round(previous.overall)
    arrow = "↑" if change > 0 else "↓" if change < 0 else "→"
    return " " + _("({arrow} {change} since {month})").format(
        arrow=arrow, change=_number(abs(change), locale),
        month=month_name(previous.round.month, locale))


def report(team: str, climate: Climate | None, previous: Climate | None, locale: str) -> str:
    """A team's latest Working Climate Index, per statement and overall, with the trend; or
    why it is not shown."""
    if climate is None:
        return _("<b>{team}</b>: no pulse survey has closed yet.").format(team=html.quote(team))
    month = month_name(climate.round.month, locale)
    if not climate.shown:
        return _("<b>{team}, {month}</b>: not enough answers to keep them anonymous "
                 "({count} of the {needed} needed).").format(
            team=html.quote(team), month=month, count=climate.answers, needed=MIN_ANSWERS)
    assert climate.overall is not None
    lines = [
        _("<b>Working Climate Index, {team}, {month}</b>: {index}/100{trend}").format(
            team=html.quote(team), month=month, index=_number(climate.overall, locale),
            trend=_trend(climate, previous, locale)),
    ]
    before = previous.statements if previous is not None and previous.shown else {}
    for key, value in climate.statements.items():
        mark = ""
        if key in before:
            change = round(value) - round(before[key])
            mark = " ↑" if change > 0 else " ↓" if change < 0 else ""
        lines.append(f"• {statement_text(key)} {_number(value, locale)}{mark}")
    lines.append(_("Answers: {count}. 0 means everyone strongly disagrees, 100 that everyone "
                   "strongly agrees.").format(count=climate.answers))
    return "\n".join(lines)


def closed_notice(team: str, climate: Climate, previous: Climate | None, locale: str) -> str:
    return _("The team pulse for {month} has closed.").format(
        month=month_name(climate.round.month, locale)) + "\n\n" + report(
        team, climate, previous, locale)

