"""An enterprise's health as a consultant reads it: in /teams, /status in a group, and the
weekly digest. Compact, so a digest for several enterprises stays readable on a phone."""

from __future__ import annotations

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.i18n import _
from bot.keyboards.callbacks import EnterpriseCallback, HealthItemCallback
from bot.presenters.escalation import topic
from bot.services.escalation import Subject
from bot.services.health import AMBER, GREEN, NOT_STARTED, Health, Overdue
from storage.models import StallKind

STALLS_SHOWN = 5


def colour_name(colour: str) -> str:
    return ({GREEN: _("green"), AMBER: _("amber"), NOT_STARTED: _("not started")}.get(colour)
            or _("red"))


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
        "not_started": _("no KPI figures yet: the weekly check-in has not started"),
    }[code]


def _stall_line(subject: Subject, locale: str) -> str:
    stall = subject.stall
    return "• " + _("{what}: since {date}, level {level} of 3").format(
        what=topic(subject), date=fmt.day(stall.detected_at, locale, style="short"),
        level=stall.level)


def _overdue_line(overdue: Overdue, locale: str) -> str:
    return "• " + _("“{title}”, {owner}: due {date}, {days} day late",
                    "“{title}”, {owner}: due {date}, {days} days late",
                    overdue.days_late).format(
        title=html.quote(overdue.item.title), owner=html.quote(overdue.owner_name or "—"),
        date=fmt.day(overdue.item.due_on, locale, style="short"),
        days=overdue.days_late)


def card(health: Health, locale: str) -> list[str]:
    lines = [f"{health.dot} <b>{html.quote(health.enterprise.name)}</b> · "
             + colour_name(health.colour)]
    if health.reasons:
        lines.append(_("Why: {reasons}").format(
            reasons="; ".join(_reason(code) for code in health.reasons)))
    lines.append(_("People: {count}").format(count=fmt.number(health.members, locale)))
    completion = (fmt.percent(health.lesson_completion, locale)
                  if health.lesson_completion is not None else "—")
    lines.append(_("Lessons this week: {answered} of {sent} answered; completion {percent}")
                 .format(answered=health.lessons_answered, sent=health.lessons_sent,
                         percent=completion))
    if health.last_checkin_week is None:
        lines.append(_("Check-in: none yet"))
    else:
        lines.append(_("Check-in: last for the week of {date}").format(
            date=fmt.day(health.last_checkin_week, locale)))
    if health.missed_checkins:
        lines.append(_("Check-ins missed: {count}").format(count=health.missed_checkins))
    if health.effectiveness is not None:
        text = _("Effectiveness: {percent} of maximum").format(
            percent=fmt.percent(health.effectiveness / 100, locale))
        if health.effectiveness_change is not None:
            text += " (" + fmt.change(health.effectiveness_change, locale) + ")"
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
    if health.overdue:
        lines.append(_("Overdue:"))
        lines += [_overdue_line(overdue, locale) for overdue in health.overdue]
    return lines


def _button_label(subject: Subject) -> str:
    if subject.item is not None:
        return "⚠️ " + subject.item.title
    if subject.suggestion is not None:
        return "⚠️ " + _("Suggestion {reference}").format(reference=subject.suggestion.reference)
    return "⚠️ " + _("Check-in missed")


def card_keyboard(health: Health) -> InlineKeyboardMarkup:
    """Under the details of one enterprise: a button to each stalled or overdue item, to the
    KPI figures when check-ins are missing, and back to the list."""
    builder = InlineKeyboardBuilder()
    stalled_actions = set()
    for subject in health.stalls[:STALLS_SHOWN]:
        if subject.item is not None:
            stalled_actions.add(subject.item.id)
        builder.button(text=_button_label(subject)[:60],
                       callback_data=HealthItemCallback(kind="stall", id=subject.stall.id))
    for overdue in health.overdue:
        if overdue.item.id not in stalled_actions:
            builder.button(text=("⏰ " + overdue.item.title)[:60],
                           callback_data=HealthItemCallback(kind="action", id=overdue.item.id))
    if health.missed_checkins and not any(s.stall.kind is StallKind.CHECKIN
                                          for s in health.stalls):
        builder.button(text="📊 " + _("KPI figures"),
                       callback_data=EnterpriseCallback(action="kpi", id=health.enterprise.id))
    builder.button(text=_("« All enterprises"),
                   callback_data=EnterpriseCallback(action="teams", id=health.enterprise.id))
    builder.adjust(1)
    return builder.as_markup()


def overdue_action(overdue: Overdue, team_name: str, locale: str) -> str:
    """One overdue action, opened from the health card."""
    lines = [_("Action: “{title}”").format(title=html.quote(overdue.item.title))]
    if team_name:
        lines.append(html.quote(team_name))
    lines.append(_overdue_line(overdue, locale).removeprefix("• "))
    lines.append(_("It is not stalled yet: its owner is reminded, then the team lead."))
    return "\n".join(lines)


def overview(healths: list[Health]) -> tuple[str, InlineKeyboardMarkup]:
    """/teams: one line per enterprise, most troubled first, each a button to its details."""
    order = {"red": 0, "amber": 1, "not_started": 2, "green": 3}
    ranked = sorted(healths, key=lambda h: (order[h.colour], h.enterprise.name.lower()))
    lines = [_("<b>Your enterprises</b>")]
    builder = InlineKeyboardBuilder()
    for health in ranked:
        line = f"{health.dot} {html.quote(health.enterprise.name)}"
        if health.colour == NOT_STARTED:
            line += " · " + colour_name(health.colour)
        lines.append(line)
        builder.button(text=f"{health.dot} {health.enterprise.name}"[:60],
                       callback_data=EnterpriseCallback(action="health",
                                                        id=health.enterprise.id))
    builder.adjust(1)
    lines.append(_("Tap one for its details."))
    return "\n".join(lines), builder.as_markup()


def digest(health: Health, locale: str) -> str:
    return "\n".join([_("📋 <b>Weekly digest</b>"), *card(health, locale)])
