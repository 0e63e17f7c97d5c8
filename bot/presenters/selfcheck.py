"""The labour-standards self-check as people read it: the checklist one item at a time,
status over the quarters, and proposed actions for the manager."""

from __future__ import annotations

from datetime import date

from aiogram import html
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.keyboards.callbacks import SelfCheckCallback
from bot.services.selfcheck import GROUP_OF, ITEMS, MANAGER, Status
from storage.models import ActionItem, Person, SelfCheckRound


def group_name(key: str) -> str:
    names = {
        "wages": _("Minimum wage and piece rates"),
        "overtime": _("Overtime pay"),
        "leave": _("Paid leave"),
        "wage_info": _("Wage information and deductions"),
        "contracts": _("Contracts"),
        "hours": _("Regular hours"),
        "osh": _("Safety and health management"),
        "emergency": _("Emergency preparedness"),
        "health": _("Health services and first aid"),
        "protection": _("Worker protection"),
        "dialogue": _("Dialogue"),
        "disputes": _("Discipline and disputes"),
    }
    return names.get(key, key)


def action_title(item: str) -> str:
    """The action a self-check item proposes, in the current language."""
    return f"{group_name(GROUP_OF[item])}: {item_text(item)}"


def item_text(key: str) -> str:
    texts = {
        "minimum_wage": _("Everyone is paid at least the legal minimum wage."),
        "piece_rates": _("Piece-rate workers earn at least the minimum wage for normal hours."),
        "overtime_rate": _("Overtime is paid at the legal overtime rate."),
        "overtime_voluntary": _("Overtime is voluntary."),
        "annual_leave": _("Workers get their paid annual leave."),
        "sick_leave": _("Sick leave and public holidays are paid as the law says."),
        "payslips": _("Every worker gets a payslip showing hours, pay and deductions."),
        "deductions": _("No money is deducted from pay unless the law allows it."),
        "written_contract": _("Every worker has a written contract."),
        "contract_explained": _("Workers understand what their contract says."),
        "hours_limit": _("Regular working hours stay within the legal limit."),
        "weekly_rest": _("Every worker gets at least one day off a week."),
        "risks_checked": _("Risks at work are checked and a safety committee meets."),
        "ppe_free": _("Workers get the protective equipment they need, free of charge."),
        "exits_clear": _("Emergency exits are marked and never blocked or locked."),
        "drills": _("Fire drills are held and everyone knows what to do."),
        "first_aid": _("A stocked first-aid kit and a trained first-aider are on every "
                       "shift."),
        "water_toilets": _("Clean drinking water and toilets are always available."),
        "no_child_forced": _("There is no child labour and no forced labour."),
        "no_harassment": _("Nobody is harassed or treated unfairly."),
        "free_representatives": _("Workers choose their own representatives freely."),
        "regular_meetings": _("Managers and worker representatives meet regularly."),
        "written_rules": _("Disciplinary rules are written down and fair."),
        "grievances": _("Workers can raise a complaint safely and get an answer."),
    }
    return texts.get(key, key)


def quarter_name(quarter: date) -> str:
    return _("Q{number} {year}").format(number=(quarter.month - 1) // 3 + 1, year=quarter.year)


def question(check: SelfCheckRound, index: int, side: str) -> tuple[str, InlineKeyboardMarkup]:
    item = ITEMS[index]
    heading = (_("<b>Labour-standards self-check, {quarter}</b> (management side)")
               if side == MANAGER else
               _("<b>Labour-standards self-check, {quarter}</b> (workers' side)"))
    text = "\n".join([
        heading.format(quarter=quarter_name(check.quarter)),
        f"<i>{group_name(GROUP_OF[item])}</i>",
        "",
        _("<b>{number}/{total}</b> {item}").format(number=index + 1, total=len(ITEMS),
                                                     item=item_text(item)),
    ])
    builder = InlineKeyboardBuilder()
    for label, value in ((_("Yes"), "yes"), (_("No"), "no"), (_("Not sure"), "unsure")):
        builder.button(text=label, callback_data=SelfCheckCallback(
            action="answer", id=check.id, item=index, value=value))
    builder.adjust(3)
    return text, builder.as_markup()


def invitation(enterprise: str, quarter: date, side: str) -> str:
    if side == MANAGER:
        return _("Time for the quarterly labour-standards self-check of {enterprise} "
                 "({quarter}). You answer for the management side, the worker "
                 "representative for the workers; where you differ, actions are "
                 "proposed.").format(enterprise=html.quote(enterprise),
                                     quarter=quarter_name(quarter))
    return _("Time for the quarterly labour-standards self-check of {enterprise} "
             "({quarter}). As the worker representative, you answer for the workers. "
             "Answer as things really are.").format(enterprise=html.quote(enterprise),
                                                   quarter=quarter_name(quarter))


def start_keyboard(check: SelfCheckRound, *, can_choose_rep: bool = False,
                   can_answer: bool = True) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if can_answer:
        builder.button(text=_("Answer the checklist"),
                       callback_data=SelfCheckCallback(action="start", id=check.id))
    if can_choose_rep:
        builder.button(text=_("Choose the worker representative"),
                       callback_data=SelfCheckCallback(action="rep", id=check.enterprise_id))
    builder.adjust(1)
    return builder.as_markup()


def no_representative() -> str:
    return _("No worker representative has been chosen yet: choose one so the workers' side "
             "can answer.")


def representative_keyboard(enterprise_id: int, people: list[Person]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for person in people:
        builder.button(text=person.display_name or "?",
                       callback_data=SelfCheckCallback(action="setrep", id=person.id,
                                                       item=0, value=str(enterprise_id)))
    builder.adjust(2)
    return builder.as_markup()


def side_done(waiting: bool) -> str:
    if waiting:
        return _("Thank you, your side is done. The results come once the other side has "
                 "answered too.")
    return _("Thank you, both sides have answered. The points to act on go to the managers.")


_MARKS = {"ok": "✅", "act": "⚠️", "unsure": "❔", "open": "–"}


def status(enterprise: str, history: list[Status]) -> str:
    """The latest quarter's status per group, and how it changed over the quarters."""
    if not history:
        return _("<b>{enterprise}</b>: no self-check yet.").format(
            enterprise=html.quote(enterprise))
    # Groups of the latest complete quarter (the one being answered says little yet).
    latest = next((entry for entry in history if entry.complete), history[0])
    total = len(ITEMS)
    lines = [_("<b>Labour-standards self-check, {enterprise}</b>").format(
        enterprise=html.quote(enterprise))]
    for entry in history:
        if entry.complete:
            lines.append(_("{quarter}: {ok} of {total} in order, {act} to act on, {unsure} "
                           "not sure").format(quarter=quarter_name(entry.round.quarter),
                                              ok=entry.in_order, total=total,
                                              act=entry.to_act_on, unsure=entry.unsure))
        else:
            lines.append(_("{quarter}: under way; management {manager} of {total}, workers "
                           "{worker} of {total} answered").format(
                quarter=quarter_name(entry.round.quarter), manager=entry.manager_answered,
                worker=entry.worker_answered, total=total))
    lines += ["", _("By group, {quarter}:").format(quarter=quarter_name(latest.round.quarter))]
    lines += [f"{_MARKS[mark]} {group_name(group)}" for group, mark in latest.groups.items()]
    lines.append(_("✅ both say yes · ⚠️ to act on · ❔ not sure · – not answered yet"))
    return "\n".join(lines)


def proposed_notice(enterprise: str, items: list[ActionItem]) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("The labour-standards self-check of {enterprise} is complete. Where the two "
               "sides differ or say no, these actions are proposed. Take each on (it becomes "
               "yours, with reminders) or mark it not needed:").format(
        enterprise=html.quote(enterprise))]
    builder = InlineKeyboardBuilder()
    for number, item in enumerate(items, start=1):
        key = item.source_ref.rpartition(":")[2]
        title = action_title(key) if key in GROUP_OF else item.title
        lines.append(f"{number}. {html.quote(title)}")
        builder.button(text=_("Take on {number}").format(number=number),
                       callback_data=SelfCheckCallback(action="take", id=item.id))
        builder.button(text=_("Not needed {number}").format(number=number),
                       callback_data=SelfCheckCallback(action="drop", id=item.id))
    builder.adjust(2)
    return "\n".join(lines), builder.as_markup()


def all_in_order(enterprise: str) -> str:
    return _("The labour-standards self-check of {enterprise} is complete: both sides agree "
             "everything is in order.").format(enterprise=html.quote(enterprise))
