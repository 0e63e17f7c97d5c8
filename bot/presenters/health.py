"""An enterprise's health as a consultant reads it: in /teams, /status in a group, and the
weekly digest. Compact, so a digest for several enterprises stays readable on a phone."""

from __future__ import annotations

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from bot.i18n import _
from bot.keyboards.callbacks import EnterpriseCallback
from bot.presenters.escalation import topic
from bot.services.escalation import Subject
from bot.services.health import AMBER, GREEN, Health

STALLS_SHOWN = 5


def colour_name(colour: str) -> str:
    return {GREEN: _("green"), AMBER: _("amber")}.get(colour) or _("red")


def _reason(code: str) -> str:
    return {
        "escalated": _("a stall has reached the consultant"),
        "checkins_missed": _("check-ins missed two weeks running"),
        "effectiveness_fell": _("effectiveness fell sharply"),
        "stalled": _("something is stalled"),
        "overdue": _("actions overdue"),
        "checkin_missed": _("last check-in missing"),
        "slipping": _("a KPI is slipping"),
        "effectiveness_dipped": _("effectiveness dipped"),
    }[code]


def _stall_line(subject: Subject, locale: str) -> str:
    stall = subject.stall
    return "• " + _("{what}: since {date}, level {level} of 3").format(
        what=topic(subject), date=format_date(stall.detected_at, format="short", locale=locale),
        level=stall.level)


def card(health: Health, locale: str) -> list[str]:
    lines = [f"{health.dot} <b>{html.quote(health.enterprise.name)}</b> · "
             + colour_name(health.colour)]
    if health.reasons:
        lines.append(_("Why: {reasons}").format(
            reasons="; ".join(_reason(code) for code in health.reasons)))
    lines.append(_("People: {count}").format(count=format_decimal(health.members, locale=locale)))
    completion = (format_percent(health.lesson_completion, locale=locale)
                  if health.lesson_completion is not None else "—")
    lines.append(_("Lessons this week: {answered} of {sent} answered; completion {percent}")
                 .format(answered=health.lessons_answered, sent=health.lessons_sent,
                         percent=completion))
    if health.last_checkin_week is None:
        lines.append(_("Check-in: none yet"))
    else:
        lines.append(_("Check-in: last for the week of {date}").format(
            date=format_date(health.last_checkin_week, format="medium", locale=locale)))
    if health.missed_checkins:
        lines.append(_("Check-ins missed: {count}").format(count=health.missed_checkins))
    if health.effectiveness is not None:
        text = _("Effectiveness: {percent} of maximum").format(
            percent=format_percent(health.effectiveness / 100, locale=locale))
        if health.effectiveness_change is not None:
            text += " (" + format_decimal(round(health.effectiveness_change, 1),
                                          format="+#,##0.#;-#", locale=locale) + ")"
        lines.append(text)
    if health.slipping:
        lines.append(_("KPIs slipping: {count}").format(count=health.slipping))
    lines.append(_("Suggestions this week: {received} in, {implemented} implemented").format(
        received=health.suggestions_in, implemented=health.suggestions_implemented))
    lines.append(_("Actions: {open} open, {overdue} overdue, {done} done this week").format(
        open=health.open_actions, overdue=health.overdue_actions, done=health.actions_done))
    if health.stalls:
        lines.append(_("Stalled:"))
        lines += [_stall_line(stall, locale) for stall in health.stalls[:STALLS_SHOWN]]
    return lines


def overview(healths: list[Health]) -> tuple[str, InlineKeyboardMarkup]:
    """/teams: one line per enterprise, most troubled first, each a button to its details."""
    order = {"red": 0, "amber": 1, "green": 2}
    ranked = sorted(healths, key=lambda h: (order[h.colour], h.enterprise.name.lower()))
    lines = [_("<b>Your enterprises</b>")]
    builder = InlineKeyboardBuilder()
    for health in ranked:
        lines.append(f"{health.dot} {html.quote(health.enterprise.name)}")
        builder.button(text=f"{health.dot} {health.enterprise.name}"[:60],
                       callback_data=EnterpriseCallback(action="health",
                                                        id=health.enterprise.id))
    builder.adjust(1)
    lines.append(_("Tap one for its details."))
    return "\n".join(lines), builder.as_markup()


def digest(health: Health, locale: str) -> str:
    return "\n".join([_("📋 <b>Weekly digest</b>"), *card(health, locale)])
