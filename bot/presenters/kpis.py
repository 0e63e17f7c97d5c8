"""KPIs as people read them: names, figures in the person's number format, arrows, the
check-in conversation, summaries, nudges and the weekly feedback report."""

from __future__ import annotations

from datetime import date

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import formatting as fmt
from bot.i18n import _
from bot.keyboards.callbacks import CheckinCallback, KpiCallback, PlanCallback
from bot.services.kpis import Change
from bot.services.promes import Score
from storage.models import EnterpriseKpi


def kpi_name(kpi: EnterpriseKpi, locale: str) -> str:
    names = {
        "productivity": _("Productivity"),
        "defect_rate": _("Defect rate"),
        "on_time_delivery": _("On-time delivery"),
        "absenteeism": _("Absenteeism"),
        "turnover": _("Labour turnover"),
        "accidents": _("Accidents"),
        "near_misses": _("Near misses reported"),
        "energy": _("Energy use"),
        "water": _("Water use"),
        "material_waste": _("Material waste"),
        "cost_savings": _("Cost savings"),
    }
    if kpi.key in names:
        return names[kpi.key]
    return kpi.names.get(locale) or kpi.names.get("en") or kpi.key


def unit_label(kpi: EnterpriseKpi) -> str:
    units = {
        "%": "%",
        "units/day": _("units a day"),
        "count": _("count"),
        "kWh": "kWh",
        "m³": "m³",
        "kg": "kg",
        "money": _("money"),
    }
    return units.get(kpi.unit, kpi.unit)


def figure(value: float | None, kpi: EnterpriseKpi, locale: str) -> str:
    if value is None:
        return "–"
    number = fmt.number(value, locale, digits=2)
    return f"{number} %" if kpi.unit == "%" else number


def trend(change: Change) -> str:
    """↑ or ↓ for where the figure moved since last week, ✅ or ⚠️ for whether that is good."""
    if change.value is None or change.last_week is None:
        return ""
    if change.value == change.last_week:
        return "→"
    moved = "↑" if change.value > change.last_week else "↓"
    return moved + (" ✅" if change.direction(change.last_week) > 0 else " ⚠️")


def entry_text(entry: float | str | None, kpi: EnterpriseKpi, locale: str) -> str:
    """A week's entry as read back: the figure, or "skipped" with the reason."""
    if isinstance(entry, str):
        return (_("skipped: {reason}").format(reason=html.quote(entry)) if entry
                else _("skipped"))
    return figure(entry, kpi, locale)


def question(kpi: EnterpriseKpi, position: int, total: int, week_before: float | None,
             locale: str, *, last_week: bool = False,
             recorded: float | str | None = None) -> str:
    """One KPI's question. `last_week` when correcting last week's figures; `recorded` is
    what is stored for that week now (a correction shows it), `week_before` the figure of the
    week before the one being entered."""
    name, unit = html.quote(kpi_name(kpi, locale)), html.quote(unit_label(kpi))
    lines = [
        _("Question {number} of {total}").format(number=position, total=total),
        _("<b>{name}</b> last week ({unit})?").format(name=name, unit=unit) if last_week
        else _("<b>{name}</b> this week ({unit})?").format(name=name, unit=unit),
    ]
    if recorded is not None:
        lines.append(_("Recorded now: {value}").format(
            value=entry_text(recorded, kpi, locale)))
    if week_before is not None:
        lines.append((_("The week before: {value}") if last_week else _("Last week: {value}"))
                     .format(value=figure(week_before, kpi, locale)))
    lines.append(_("Type the number, or tap Skip."))
    return "\n".join(lines)


def question_keyboard(kpi_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip"), callback_data=CheckinCallback(action="skip", kpi_id=kpi_id))
    builder.button(text=_("Cancel"), callback_data=CheckinCallback(action="cancel"))
    return builder.as_markup()


def not_a_number(kpi: EnterpriseKpi, example: str) -> str:
    return _("That is not a number I can read. Please type only the figure, for example "
             "{example}.").format(example=example)


def out_of_range(kpi: EnterpriseKpi, locale: str) -> str:
    return _("That is outside what {name} can be ({low} to {high}). Please check it and type "
             "it again.").format(name=html.quote(kpi_name(kpi, locale)),
                                 low=figure(kpi.low, kpi, locale),
                                 high=figure(kpi.high, kpi, locale))


def baseline_against_target(kpi: EnterpriseKpi, locale: str) -> str:
    """A baseline that would leave nothing to improve, or reward getting worse."""
    text = (_("{name}: higher is better, so the baseline must be below the target ({target}). "
              "Please type another figure.") if kpi.higher_is_better
            else _("{name}: lower is better, so the baseline must be above the target "
                   "({target}). Please type another figure."))
    return text.format(name=html.quote(kpi_name(kpi, locale)),
                       target=figure(kpi.target, kpi, locale))


def summary(rows: list[tuple[EnterpriseKpi, float | str]], week: date, locale: str,
            recorded: dict[int, float | str] | None = None) -> str:
    """The entries before saving; in a correction, each changed one as "old → new"."""
    recorded = recorded or {}
    title = (_("<b>Correction of the week of {date}</b>") if recorded
             else _("<b>Check-in for the week of {date}</b>"))
    lines = [title.format(date=fmt.day(week, locale))]
    for kpi, entry in rows:
        shown = entry_text(entry, kpi, locale)
        if kpi.id in recorded and recorded[kpi.id] != entry:
            shown = f"{entry_text(recorded[kpi.id], kpi, locale)} → {shown}"
        lines.append(f"• {html.quote(kpi_name(kpi, locale))}: {shown}")
    lines.append("")
    lines.append(_("Is this right?"))
    return "\n".join(lines)


def already_in(rows: list[tuple[EnterpriseKpi, float | str]], week: date,
               locale: str) -> str:
    """A second /checkin in the same week: the figures that are in, and the question."""
    lines = [_("The figures for the week of {date} are in already:").format(
        date=fmt.day(week, locale))]
    lines += [f"• {html.quote(kpi_name(kpi, locale))}: {entry_text(entry, kpi, locale)}"
              for kpi, entry in rows]
    lines += ["", _("Do you want to correct them?")]
    return "\n".join(lines)


def already_in_keyboard(enterprise_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Correct them"),
                   callback_data=CheckinCallback(action="redo", enterprise_id=enterprise_id))
    builder.button(text=_("Correct last week"),
                   callback_data=CheckinCallback(action="correct", enterprise_id=enterprise_id))
    builder.button(text=_("Leave them as they are"),
                   callback_data=CheckinCallback(action="keep", enterprise_id=enterprise_id))
    builder.adjust(1)
    return builder.as_markup()


def corrected_notice(name: str, week: date,
                     changed: list[tuple[EnterpriseKpi, float | str | None, float | str]],
                     effectiveness: Score, locale: str) -> str:
    """To the rest of the enterprise when someone corrects a week's figures: only what
    changed, and the effectiveness it now makes."""
    lines = ["✏️ " + _("{name} corrected the figures for the week of {date}:").format(
        name=html.quote(name), date=fmt.day(week, locale))]
    for kpi, old, new in changed:
        lines.append(f"• {html.quote(kpi_name(kpi, locale))}: "
                     f"{entry_text(old, kpi, locale)} → {entry_text(new, kpi, locale)}")
    line = _effectiveness_line(effectiveness, locale)
    if line:
        lines += ["", line]
    return "\n".join(lines)


def confirm_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Save"), callback_data=CheckinCallback(action="save"))
    builder.button(text=_("Start again"), callback_data=CheckinCallback(action="restart"))
    builder.button(text=_("Cancel"), callback_data=CheckinCallback(action="cancel"))
    builder.adjust(2, 1)
    return builder.as_markup()


def kpi_keyboard(kpis: list[EnterpriseKpi], action: str, locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kpi in kpis:
        builder.button(text=kpi_name(kpi, locale),
                       callback_data=KpiCallback(action=action, kpi_id=kpi.id))
    builder.adjust(2)
    return builder.as_markup()


def start_keyboard(correct_last_week: bool = False,
                   enterprise_id: int = 0) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Start the check-in"),
                   callback_data=CheckinCallback(action="start", enterprise_id=enterprise_id))
    if correct_last_week:
        builder.button(text=_("Correct last week"),
                       callback_data=CheckinCallback(action="correct",
                                                     enterprise_id=enterprise_id))
    builder.adjust(1)
    return builder.as_markup()


def invitation(enterprise_name: str, count: int) -> str:
    return _("Time for the weekly check-in of {enterprise}: {count} figure, two minutes.",
             "Time for the weekly check-in of {enterprise}: {count} figures, two minutes.",
             count).format(enterprise=html.quote(enterprise_name), count=count)


def reminder(enterprise_name: str) -> str:
    return _("Reminder: the weekly check-in of {enterprise} is still open. It takes two "
             "minutes.").format(enterprise=html.quote(enterprise_name))


def manager_nudge(enterprise_name: str) -> str:
    return _("The weekly check-in of {enterprise} was not done yesterday. Without figures the "
             "team cannot see its progress: could you do it, or ask who can?").format(
        enterprise=html.quote(enterprise_name))


def _effectiveness_line(effectiveness: Score, locale: str) -> str:
    percent = effectiveness.percent_of_maximum
    if percent is None:
        return ""
    return _("Effectiveness: {score} points, {percent} of the maximum").format(
        score=fmt.number(effectiveness.overall, locale, digits=1),
        percent=fmt.percent(percent / 100, locale))


def week_report(changes: list[Change], effectiveness: Score, locale: str,
                slipping: list[tuple[EnterpriseKpi, str]], priority: EnterpriseKpi | None,
                open_actions: list[str], suggestions: tuple[int, int] | None = None,
                corrected: date | None = None) -> str:
    """The SIMAPRO feedback message: each KPI against last week and baseline, the
    effectiveness score (skipped KPIs left out, and named), the top priority, slipping KPIs
    with a lesson, and open actions. `corrected`: the week whose figures were corrected."""
    if corrected is not None:
        lines = [_("<b>Corrected figures for the week of {date}</b>").format(
            date=fmt.day(corrected, locale))]
    else:
        lines = [_("<b>This week's figures</b>")]
    for change in changes:
        name = html.quote(kpi_name(change.kpi, locale))
        if change.value is None:
            shown = entry_text(change.skipped, change.kpi, locale) if (
                change.skipped is not None) else "–"
            lines.append(f"• {name}: {shown}")
            continue
        lines.append(
            "• " + _("{name}: {value} {arrow} (last week {last}, baseline {baseline})").format(
                name=name, value=figure(change.value, change.kpi, locale),
                arrow=trend(change),
                last=figure(change.last_week, change.kpi, locale),
                baseline=figure(change.baseline, change.kpi, locale)))
    line = _effectiveness_line(effectiveness, locale)
    if line:
        lines += ["", line]
    skipped = [html.quote(kpi_name(c.kpi, locale)) for c in changes if c.skipped is not None]
    if skipped:
        lines.append(_("Skipped this week, so left out of the score: {names}").format(
            names=", ".join(skipped)))
    if priority is not None:
        lines.append(_("Top priority: {name}: the next step there gains the most.").format(
            name=html.quote(kpi_name(priority, locale))))
    for kpi, lesson_title in slipping:
        lines.append("⚠️ " + _("{name} is slipping. The lesson “{lesson}” can help: send "
                               "/lesson.").format(name=html.quote(kpi_name(kpi, locale)),
                                                 lesson=html.quote(lesson_title)))
    if suggestions is not None:
        lines += ["", _("Suggestions this week: {received} received, {implemented} "
                        "implemented.").format(received=suggestions[0],
                                               implemented=suggestions[1])]
    if open_actions:
        lines += ["", _("Open actions agreed last time:")]
        lines += [f"• {html.quote(title)}" for title in open_actions[:10]]
    return "\n".join(lines)


def plan_keyboard(slipping: list[EnterpriseKpi], locale: str) -> InlineKeyboardMarkup:
    """Under the weekly report: plan an action for each slipping KPI."""
    builder = InlineKeyboardBuilder()
    for kpi in slipping[:3]:
        builder.button(text=_("Plan an action: {name}").format(name=kpi_name(kpi, locale))[:60],
                       callback_data=PlanCallback(step="kpi", value=kpi.id))
    builder.adjust(1)
    return builder.as_markup()
