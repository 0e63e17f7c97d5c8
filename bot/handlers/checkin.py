"""The weekly KPI check-in, one figure at a time, and /kpi with its chart.

A handler per button and per step; the check-in under way is a typed draft (`CheckinDraft`)
kept in the conversation state.

```mermaid
stateDiagram-v2
    [*] --> answering: Start (/checkin, or the scheduled invitation), Correct last week
    [*] --> already_in: Start, this week's figures in already
    already_in --> answering: Correct them (redo)
    already_in --> [*]: Keep them
    answering --> answering: a figure (the next KPI)
    answering --> skip_reason: Skip
    skip_reason --> answering: the reason (the next KPI)
    answering --> confirming: the last KPI answered
    confirming --> [*]: Save (the report to everyone, with the chart)
    confirming --> answering: Start again
```
Cancel ends any step, saving nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot.charts import Series, drawn, small_multiples
from bot.clock import Clock
from bot.content.loader import Curriculum
from bot.deps import Deps
from bot.handlers.common import (
    ask_enterprise,
    picked_enterprise,
    private_router,
    refuse_button,
    replace_message,
)
from bot.i18n import _
from bot.keyboards.callbacks import (
    CheckinCallback,
    EnterpriseCallback,
    KpiAction,
    KpiCallback,
)
from bot.notify import Rendered, notify
from bot.presenters import kpis as ui
from bot.replies import UpdateTransaction
from bot.services import kpis
from bot.services.errors import InvalidValue
from bot.services.permissions import (
    Capability,
    can,
    membership_in,
    memberships_with,
    single_enterprise,
)
from storage.models import Enterprise, EnterpriseKpi, Membership, Person, Role

REPORT = {"capability": Capability.REPORT_KPIS}
SEE = {"capability": Capability.SEE_KPIS}
CHART_WEEKS = 12


class CheckinFlow(StatesGroup):
    answering = State()
    skip_reason = State()
    confirming = State()


class BaselineFlow(StatesGroup):
    value = State()
    points = State()


def _reporting(memberships: list[Membership], enterprise_id: int) -> Membership | None:
    return membership_in(memberships_with(memberships, Capability.REPORT_KPIS), enterprise_id)


async def offer(message: Message, session: AsyncSession, allowed_memberships: list[Membership],
                clock: Clock, bot: Bot, locale: str) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "checkin")
    if membership is not None:
        await _offer(bot, message.chat.id, session, membership.enterprise, clock, locale)


async def offer_picked(query: CallbackQuery, callback_data: EnterpriseCallback, bot: Bot,
                       session: AsyncSession, allowed_memberships: list[Membership],
                       clock: Clock, locale: str) -> None:
    membership = await picked_enterprise(query, callback_data, allowed_memberships)
    if membership is not None:
        await query.answer()
        await _offer(bot, query.from_user.id, session, membership.enterprise, clock, locale)


async def _offer(bot: Bot, chat_id: int, session: AsyncSession, enterprise: Enterprise,
                 clock: Clock, locale: str, query: CallbackQuery | None = None) -> None:
    """Invite to this week's check-in; when its figures are in already, show them and ask
    whether to correct them (in place of the pressed message, from a button)."""
    active = await kpis.active_kpis(session, enterprise.id)
    if not active:
        await bot.send_message(chat_id, _no_kpis_text())
        return
    week = kpis.week_of(kpis.local_today(clock.now(), enterprise.timezone))
    recorded = await kpis.entries_for_week(session, enterprise.id, week)
    if recorded:
        text = ui.already_in([(k, recorded[k.id]) for k in active if k.id in recorded], week,
                             locale)
        markup = ui.already_in_keyboard(enterprise.id)
    else:
        text = ui.invitation(enterprise.name, len(active))
        markup = ui.start_keyboard(correct_last_week=True, enterprise_id=enterprise.id)
    if query is not None:
        await replace_message(bot, query, text, markup)
    else:
        await bot.send_message(chat_id, text, reply_markup=markup)


@dataclass
class CheckinDraft:
    """A check-in under way, kept in the conversation state (the same keys as before it was
    typed, so a check-in begun before a deploy carries on)."""

    enterprise: int
    week: date
    queue: list[int]  # the KPIs asked, in order
    index: int = 0  # the one asked now
    entries: dict[int, float | str] = field(default_factory=dict)  # a figure or a skip reason
    last_week: bool = False
    recorded: dict[int, float | str] = field(default_factory=dict)  # what the week held

    @property
    def asked(self) -> int:
        return self.queue[self.index]

    @classmethod
    async def of(cls, state: FSMContext) -> CheckinDraft | None:
        data = await state.get_data()
        if "week" not in data:
            return None
        return cls(int(data.get("enterprise", 0)), date.fromisoformat(data["week"]),
                   list(data["queue"]), int(data["index"]),
                   {int(k): v for k, v in data["entries"].items()}, bool(data.get("last_week")),
                   {int(k): v for k, v in data.get("recorded", {}).items()})

    async def keep(self, state: FSMContext) -> None:
        await state.set_data({
            "enterprise": self.enterprise, "week": self.week.isoformat(), "queue": self.queue,
            "index": self.index, "entries": {str(k): v for k, v in self.entries.items()},
            "last_week": self.last_week,
            "recorded": {str(k): v for k, v in self.recorded.items()}})


async def _ask(bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession,
               draft: CheckinDraft, locale: str) -> None:
    """The next KPI's question, or the summary to save once every KPI is answered."""
    active = {k.id: k for k in await kpis.active_kpis(session, draft.enterprise)}
    if draft.index >= len(draft.queue):
        await state.set_state(CheckinFlow.confirming)
        rows = [(active[k], v) for k, v in draft.entries.items() if k in active]
        await bot.send_message(chat_id, ui.summary(rows, draft.week, locale, draft.recorded),
                               reply_markup=ui.confirm_keyboard())
        return
    previous = await kpis.values_for_week(session, draft.enterprise,
                                          draft.week - timedelta(weeks=1))
    before = previous.get(draft.asked)
    await state.set_state(CheckinFlow.answering)
    await bot.send_message(
        chat_id,
        ui.question(active[draft.asked], draft.index + 1, len(draft.queue),
                    before.value if before else None, locale, last_week=draft.last_week,
                    recorded=draft.recorded.get(draft.asked)),
        reply_markup=ui.question_keyboard(draft.asked),
    )


async def _begin(query: CallbackQuery, state: FSMContext, session: AsyncSession,
                 enterprise: Enterprise, week: date, deps: Deps, bot: Bot,
                 locale: str) -> None:
    """A check-in of `week` from its first KPI (the week's figures, if any, shown beside)."""
    queue = [k.id for k in await kpis.active_kpis(session, enterprise.id)]
    if not queue:
        await refuse_button(query, "check-in without KPIs")
        return
    draft = CheckinDraft(enterprise.id, week, queue,
                         last_week=week < _this_week(enterprise, deps),
                         recorded=await kpis.entries_for_week(session, enterprise.id, week))
    await draft.keep(state)
    await query.answer()
    await _ask(bot, query.from_user.id, state, session, draft, locale)


def _this_week(enterprise: Enterprise, deps: Deps) -> date:
    return kpis.week_of(kpis.local_today(deps.clock.now(), enterprise.timezone))


async def _invited_to(query: CallbackQuery, callback_data: CheckinCallback,
                      memberships: list[Membership], bot: Bot) -> Membership | None:
    """The enterprise an invitation's button is for: the one it names, else the only one the
    person reports for; else None, after asking which (or refusing the button)."""
    if callback_data.enterprise_id:
        membership = _reporting(memberships, callback_data.enterprise_id)
    else:
        reporting = memberships_with(memberships, Capability.REPORT_KPIS)
        membership = single_enterprise(reporting)
        if membership is None and reporting:
            await query.answer()
            await ask_enterprise(bot, query.from_user.id, reporting, "checkin")
            return None
    if membership is None:
        await refuse_button(query, "check-in button without the capability")
    return membership


async def _under_way(query: CallbackQuery, callback_data: CheckinCallback,
                     state: FSMContext, memberships: list[Membership]) -> Membership | None:
    """The enterprise of a button pressed during a check-in: the one it names, else the
    one under way; None (the button refused) when the person does not report for it."""
    enterprise_id = callback_data.enterprise_id or int(
        (await state.get_data()).get("enterprise", 0))
    membership = _reporting(memberships, enterprise_id)
    if membership is None:
        await refuse_button(query, "check-in button without the capability")
    return membership


async def start(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
                session: AsyncSession, memberships: list[Membership], deps: Deps, bot: Bot,
                locale: str) -> None:
    """This week's check-in; when its figures are in already, the offer to correct them."""
    membership = await _invited_to(query, callback_data, memberships, bot)
    if membership is None:
        return
    enterprise, week = membership.enterprise, _this_week(membership.enterprise, deps)
    if await kpis.values_for_week(session, enterprise.id, week):
        await query.answer()
        await _offer(bot, query.from_user.id, session, enterprise, deps.clock, locale, query)
        return
    await _begin(query, state, session, enterprise, week, deps, bot, locale)


async def correct_last_week(query: CallbackQuery, callback_data: CheckinCallback,
                            state: FSMContext, session: AsyncSession,
                            memberships: list[Membership], deps: Deps, bot: Bot,
                            locale: str) -> None:
    membership = await _invited_to(query, callback_data, memberships, bot)
    if membership is not None:
        enterprise = membership.enterprise
        await _begin(query, state, session, enterprise,
                     _this_week(enterprise, deps) - timedelta(weeks=1), deps, bot, locale)


async def redo(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
               session: AsyncSession, memberships: list[Membership], deps: Deps, bot: Bot,
               locale: str) -> None:
    """Correct this week's figures, already in."""
    membership = await _under_way(query, callback_data, state, memberships)
    if membership is not None:
        enterprise = membership.enterprise
        await _begin(query, state, session, enterprise, _this_week(enterprise, deps), deps,
                     bot, locale)


async def restart(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
                  session: AsyncSession, memberships: list[Membership], deps: Deps, bot: Bot,
                  locale: str) -> None:
    """Start again: the same week, from its first KPI."""
    membership = await _under_way(query, callback_data, state, memberships)
    if membership is None:
        return
    draft = await CheckinDraft.of(state)
    if draft is None or draft.enterprise != membership.enterprise_id:
        await refuse_button(query, "restart without a check-in")
        return
    await _begin(query, state, session, membership.enterprise, draft.week, deps, bot, locale)


async def cancel(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
                 memberships: list[Membership], bot: Bot) -> None:
    if await _under_way(query, callback_data, state, memberships) is not None:
        await state.clear()
        await query.answer()
        await replace_message(bot, query, _("Cancelled. Nothing was saved."))


async def keep(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
               memberships: list[Membership], bot: Bot) -> None:
    """Leave this week's figures as they are."""
    if await _under_way(query, callback_data, state, memberships) is not None:
        await state.clear()
        await query.answer()
        await replace_message(bot, query, _("Nothing changed: the figures stay as they are."))


async def _draft_of(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
                    memberships: list[Membership]) -> tuple[CheckinDraft, Membership] | None:
    """The check-in under way that a button acts on, or None (the button refused)."""
    membership = await _under_way(query, callback_data, state, memberships)
    if membership is None:
        return None
    draft = await CheckinDraft.of(state)
    if draft is None or draft.enterprise != membership.enterprise_id:
        await refuse_button(query, f"check-in {callback_data.action} with no check-in under "
                                   "way")
        return None
    return draft, membership


async def skip(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
               memberships: list[Membership], bot: Bot) -> None:
    """Skip the KPI asked: why?"""
    found = await _draft_of(query, callback_data, state, memberships)
    if found is None:
        return
    draft, _membership = found
    if callback_data.kpi_id != draft.asked:
        await refuse_button(query, "check-in skip of a KPI not asked")
        return
    await state.set_state(CheckinFlow.skip_reason)
    await query.answer()
    await bot.send_message(query.from_user.id, _("Why is it skipped this week? A few words "
                                                 "are enough."))


async def stale(query: CallbackQuery, callback_data: CheckinCallback,
                state: FSMContext) -> None:
    """A check-in button out of its step (an old message): refused."""
    await refuse_button(query, f"check-in {callback_data.action} in state "
                               f"{await state.get_state()}")


async def _asked_kpi(message: Message, state: FSMContext, session: AsyncSession,
                     memberships: list[Membership],
                     ) -> tuple[CheckinDraft, EnterpriseKpi] | None:
    """The draft and the KPI being asked, or None (the check-in ended) when the person no
    longer reports for the enterprise or the KPI is no longer tracked."""
    draft = await CheckinDraft.of(state)
    membership = _reporting(memberships, draft.enterprise) if draft else None
    if draft is None or membership is None:
        await state.clear()
        return None
    active = {k.id: k for k in await kpis.active_kpis(session, membership.enterprise_id)}
    kpi = active.get(draft.asked)
    if kpi is None:
        await state.clear()
        await message.answer(_("This KPI is no longer tracked. Please start again."))
        return None
    return draft, kpi


async def _answered(message: Message, state: FSMContext, session: AsyncSession,
                    draft: CheckinDraft, entry: float | str, bot: Bot, locale: str) -> None:
    draft.entries[draft.asked] = entry
    draft.index += 1
    await draft.keep(state)
    await _ask(bot, message.chat.id, state, session, draft, locale)


async def figure(message: Message, state: FSMContext, session: AsyncSession,
                 memberships: list[Membership], bot: Bot, locale: str) -> None:
    """The asked KPI's figure, in the reader's number format and within its range."""
    found = await _asked_kpi(message, state, session, memberships)
    if found is None:
        return
    draft, kpi = found
    try:
        entry = kpis.parse_value((message.text or "").strip(), locale, kpi)
    except InvalidValue as error:
        await message.answer(ui.out_of_range(kpi, locale) if error.code == "range"
                             else ui.not_a_number(kpi, fmt.number(12.5, locale)))
        return
    await _answered(message, state, session, draft, entry, bot, locale)


async def skip_reason(message: Message, state: FSMContext, session: AsyncSession,
                      memberships: list[Membership], bot: Bot, locale: str) -> None:
    found = await _asked_kpi(message, state, session, memberships)
    if found is None:
        return
    draft, _kpi = found
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        await message.answer(_("Please write the reason as text."))
        return
    await _answered(message, state, session, draft, text[:1000], bot, locale)


async def save(query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
               session: AsyncSession, person: Person, memberships: list[Membership],
               bot: Bot, deps: Deps, locale: str, tx: UpdateTransaction) -> None:
    """Save: stored and committed, the others told, and only then the report shown."""
    found = await _draft_of(query, callback_data, state, memberships)
    if found is None:
        return
    draft, membership = found
    enterprise = membership.enterprise
    try:
        before = await kpis.save_checkin(session, enterprise, draft.week, draft.entries,
                                         person_id=person.id, now=deps.clock.now())
    except InvalidValue:
        await state.clear()
        await refuse_button(query, "check-in entries no longer valid")
        return
    corrected = draft.week if before else None
    report = await _report(session, enterprise, draft.week, deps.curriculum, corrected)
    planners = await kpis.planners(session, enterprise.id)
    await _tell_others(session, enterprise, draft, before, person, report, planners, deps)
    png = await chart(session, enterprise, draft.week, locale)
    await tx.commit()  # the answers stay in the conversation, and the person is told, if not
    await state.clear()
    text, markup = report(locale, person.id in planners)
    await tx.tell(text, query=query, markup=markup,
                  toast=_("Corrected. Thank you!") if corrected else _("Saved. Thank you!"))
    with contextlib.suppress(TelegramAPIError):  # the report above says it all
        await bot.send_photo(query.from_user.id, BufferedInputFile(png, filename="kpis.png"))


Report = Callable[[str, bool], tuple[str, InlineKeyboardMarkup | None]]


async def _report(session: AsyncSession, enterprise: Enterprise, week: date,
                  curriculum: Curriculum, corrected: date | None) -> Report:
    """The week's report in any locale; those who plan actions (`planner`) get a button
    under each slipping KPI to plan one."""
    text = await week_report(session, enterprise, week, curriculum, corrected=corrected)
    slipping = await kpis.slipping(session, enterprise.id, week)

    def render(locale: str, planner: bool) -> tuple[str, InlineKeyboardMarkup | None]:
        markup = ui.plan_keyboard(slipping, locale) if planner and slipping else None
        return text(locale), markup

    return render


def _for(report: Report, planner: bool) -> Callable[[str], Rendered]:
    return lambda locale: report(locale, planner)


async def _tell_others(session: AsyncSession, enterprise: Enterprise, draft: CheckinDraft,
                       before: dict[int, float | str], person: Person, report: Report,
                       planners: set[int], deps: Deps) -> None:
    """The whole enterprise gets the report (SIMAPRO feeds results back to everyone); after
    a correction, only what changed, and that it was corrected."""
    others = [other for other in await kpis.reporters(session, enterprise.id, tuple(Role))
              if other.id != person.id]
    if not before:
        for other in others:
            notify(session, deps.i18n, other, kind="kpi_report", now=deps.clock.now(),
                   enterprise=enterprise,
                   render=_for(report, other.id in planners))
        return
    changed = kpis.corrections(await kpis.active_kpis(session, enterprise.id), before,
                               draft.entries)
    score = await kpis.effectiveness(session, enterprise.id, draft.week)
    for other in others if changed else []:
        notify(session, deps.i18n, other, kind="kpi_correction", now=deps.clock.now(),
               enterprise=enterprise,
               render=lambda loc: ui.corrected_notice(person.display_name, draft.week,
                                                      changed, score, loc))


async def week_report(session: AsyncSession, enterprise: Enterprise, week: date,
                      curriculum: Curriculum, corrected: date | None = None,
                      ) -> Callable[[str], str]:
    """The week's SIMAPRO feedback report, read from the database once and returned as a
    function that writes it in any locale (one report goes to the whole enterprise)."""
    feedback = await kpis.week_feedback(session, enterprise, week, curriculum)

    def render(locale: str) -> str:
        titled = [(kpi, lesson.in_locale(locale).title) for kpi, lesson in feedback.slipping]
        return ui.week_report(feedback.changes, feedback.score, locale, titled, feedback.top,
                              feedback.open_actions, feedback.suggestions,
                              corrected=corrected)

    return render


async def chart(session: AsyncSession, enterprise: Enterprise, until: date,
                locale: str, only: int | None = None) -> bytes:
    """All the enterprise's KPIs as small multiples, or only one of them."""
    series = [
        Series(ui.kpi_name(kpi, locale), await kpis.history(session, kpi.id, CHART_WEEKS, until),
               kpi.baseline, kpi.target)
        for kpi in await kpis.active_kpis(session, enterprise.id)
        if only is None or kpi.id == only
    ]
    if only is None:
        # The SIMAPRO picture: overall effectiveness week by week, 0 being the expected level.
        points = await kpis.effectiveness_history(session, enterprise.id, until, CHART_WEEKS)
        if points:
            series.append(Series(_("Effectiveness"), points, baseline=0.0))
    heading = _("{enterprise}: weekly figures").format(enterprise=enterprise.name)
    baseline, target = _("baseline"), _("target")
    shown = tuple((s.title, tuple(s.points), s.baseline, s.target) for s in series)
    return await drawn(("kpis", locale, heading, baseline, target, shown), lambda: small_multiples(
        series, heading=heading, baseline_label=baseline, target_label=target,
        date_label=lambda day: fmt.day(day, locale, style="d MMM"),
        number_label=lambda value: fmt.number(value, locale, digits=2)))


async def show_kpis(message: Message, session: AsyncSession,
                    allowed_memberships: list[Membership], clock: Clock, bot: Bot,
                    locale: str, curriculum: Curriculum) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "kpi")
    if membership is not None:
        await _show_kpis(bot, message.chat.id, session, membership.enterprise, clock, locale,
                         curriculum)


async def _show_kpis(bot: Bot, chat_id: int, session: AsyncSession, enterprise: Enterprise,
                     clock: Clock, locale: str, curriculum: Curriculum) -> None:
    if not await kpis.active_kpis(session, enterprise.id):
        await bot.send_message(chat_id, _no_kpis_text())
        return
    week = kpis.week_of(kpis.local_today(clock.now(), enterprise.timezone))
    if not await kpis.values_for_week(session, enterprise.id, week):
        week -= timedelta(weeks=1)
    await bot.send_message(chat_id,
                           (await week_report(session, enterprise, week, curriculum))(locale))
    active = await kpis.active_kpis(session, enterprise.id)
    await bot.send_photo(chat_id, BufferedInputFile(
        await chart(session, enterprise, week, locale), filename="kpis.png"),
        reply_markup=ui.kpi_keyboard(active, "chart", locale) if len(active) > 1 else None)


async def kpi_enterprise_picked(query: CallbackQuery, callback_data: EnterpriseCallback,
                                bot: Bot, session: AsyncSession,
                                allowed_memberships: list[Membership], deps: Deps,
                                locale: str) -> None:
    """The enterprise chosen for /kpi."""
    membership = await picked_enterprise(query, callback_data, allowed_memberships)
    if membership is not None:
        await query.answer()
        await _show_kpis(bot, query.from_user.id, session, membership.enterprise, deps.clock,
                         locale, deps.curriculum)


async def baseline_enterprise_picked(query: CallbackQuery, callback_data: EnterpriseCallback,
                                     bot: Bot, session: AsyncSession,
                                     allowed_memberships: list[Membership],
                                     locale: str) -> None:
    """The enterprise chosen for /baseline."""
    await _kpi_menu_in(query, callback_data, allowed_memberships, bot, session, locale,
                       "baseline", _("Which KPI's baseline do you want to correct?"))


async def points_enterprise_picked(query: CallbackQuery, callback_data: EnterpriseCallback,
                                   bot: Bot, session: AsyncSession,
                                   allowed_memberships: list[Membership],
                                   locale: str) -> None:
    """The enterprise chosen for /points."""
    await _kpi_menu_in(query, callback_data, allowed_memberships, bot, session, locale,
                       "points", _("Which KPI's effectiveness points do you want to change?"))


async def _kpi_menu_in(query: CallbackQuery, callback_data: EnterpriseCallback,
                       allowed_memberships: list[Membership], bot: Bot,
                       session: AsyncSession, locale: str, action: KpiAction,
                       question: str) -> None:
    membership = await picked_enterprise(query, callback_data, allowed_memberships)
    if membership is not None:
        await query.answer()
        await _kpi_menu(bot, query.from_user.id, session, membership.enterprise_id, locale,
                        action, question)


async def _picked_kpi(query: CallbackQuery, callback_data: KpiCallback, session: AsyncSession,
                      memberships: list[Membership],
                      capability: Capability) -> tuple[EnterpriseKpi, Enterprise] | None:
    """The KPI a button names and its enterprise, if the person may do this with it; None
    (the button refused) otherwise."""
    kpi = await kpis.kpi_by_id(session, callback_data.kpi_id)
    membership = membership_in(memberships, kpi.enterprise_id) if kpi else None
    if kpi is None or membership is None or not can(membership, capability):
        await refuse_button(query, "KPI outside the person's enterprise or role")
        return None
    await query.answer()
    return kpi, membership.enterprise


async def kpi_chart(query: CallbackQuery, callback_data: KpiCallback, session: AsyncSession,
                    memberships: list[Membership], deps: Deps, bot: Bot, locale: str) -> None:
    """A KPI picked under /kpi's chart: its own chart."""
    found = await _picked_kpi(query, callback_data, session, memberships, Capability.SEE_KPIS)
    if found is None:
        return
    kpi, enterprise = found
    week = kpis.week_of(kpis.local_today(deps.clock.now(), enterprise.timezone))
    await bot.send_photo(query.from_user.id, BufferedInputFile(
        await chart(session, enterprise, week, locale, only=kpi.id), filename="kpi.png"))


async def ask_points(query: CallbackQuery, callback_data: KpiCallback, state: FSMContext,
                     session: AsyncSession, memberships: list[Membership], bot: Bot,
                     locale: str) -> None:
    """A KPI picked under /points: its points now, and the new ones asked."""
    found = await _picked_kpi(query, callback_data, session, memberships,
                              Capability.SET_BASELINES)
    if found is None:
        return
    kpi, _enterprise = found
    await state.set_data({"kpi": kpi.id})
    await state.set_state(BaselineFlow.points)
    await bot.send_message(query.from_user.id, _(
        "Effectiveness points for {name} now: {points}\n\nType the new points as "
        "value:effectiveness pairs from -100 to 100, the expected level at 0, for example "
        "{example}").format(name=html.quote(ui.kpi_name(kpi, locale)),
                            points=_points_text(kpi.contingency, locale),
                            example=_points_text([[8, -60], [4.5, 0], [1, 80]], locale)))


async def ask_baseline(query: CallbackQuery, callback_data: KpiCallback, state: FSMContext,
                       session: AsyncSession, memberships: list[Membership], bot: Bot,
                       locale: str) -> None:
    """A KPI picked under /baseline: the new baseline asked."""
    found = await _picked_kpi(query, callback_data, session, memberships,
                              Capability.SET_BASELINES)
    if found is None:
        return
    kpi, _enterprise = found
    await state.set_data({"kpi": kpi.id})
    await state.set_state(BaselineFlow.value)
    await bot.send_message(query.from_user.id, _(
        "New baseline for {name} (now {value})? Type the number.").format(
        name=html.quote(ui.kpi_name(kpi, locale)), value=ui.figure(kpi.baseline, kpi, locale)))


def _no_kpis_text() -> str:
    return _("Your enterprise tracks no KPIs yet. Your SCORE consultant or administrator "
             "chooses them with its baseline.")


async def _kpi_menu(bot: Bot, chat_id: int, session: AsyncSession, enterprise_id: int,
                    locale: str, action: str, question: str) -> None:
    """Ask which KPI to work on, with a button per tracked KPI."""
    active = await kpis.active_kpis(session, enterprise_id)
    if not active:
        await bot.send_message(chat_id, _no_kpis_text())
        return
    await bot.send_message(chat_id, question,
                           reply_markup=ui.kpi_keyboard(active, action, locale))


async def _kpi_being_set(message: Message, state: FSMContext, session: AsyncSession,
                         memberships: list[Membership]) -> EnterpriseKpi | None:
    """The KPI a consultant picked, re-checked against their role now; None (and the
    conversation ended with a refusal) when they may no longer change it."""
    kpi = await kpis.kpi_by_id(session, int((await state.get_data()).get("kpi", 0)))
    membership = membership_in(memberships, kpi.enterprise_id) if kpi else None
    if kpi is None or membership is None or not can(membership, Capability.SET_BASELINES):
        await state.clear()
        await message.answer(_("Sorry, your role does not allow that. Send /help to see what "
                               "you can do."))
        return None
    return kpi


def _points_text(points: list[list[float]] | None, locale: str) -> str:
    """Points as "8:-60; 4,5:0" in the reader's number format (";" parts the pairs, since
    some locales write decimals with a comma)."""
    def number(x: float) -> str:
        return fmt.number(x, locale, digits=4, grouping=False)

    return "; ".join(f"{number(value)}:{number(effect)}" for value, effect in points or []) or "–"


async def choose_contingency(message: Message, session: AsyncSession, bot: Bot,
                             allowed_memberships: list[Membership], locale: str) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "points")
    if membership is not None:
        await _kpi_menu(bot, message.chat.id, session, membership.enterprise_id, locale,
                        "points", _("Which KPI's effectiveness points do you want to change?"))


async def new_contingency(message: Message, state: FSMContext, session: AsyncSession,
                          person: Person, memberships: list[Membership], locale: str,
                          tx: UpdateTransaction) -> None:
    kpi = await _kpi_being_set(message, state, session, memberships)
    if kpi is None:
        return
    try:
        points = kpis.parse_points(message.text or "", locale)
        await kpis.set_contingency(session, kpi, points, actor_id=person.id)
    except InvalidValue:
        await message.answer(_("I could not use those points. Type at least two "
                               "value:effectiveness pairs, effectiveness from -100 to 100, "
                               "for example {example}").format(
            example=_points_text([[8, -60], [4.5, 0], [1, 80]], locale)))
        return
    await tx.commit()
    await state.clear()
    await tx.tell(_("Effectiveness points for {name} saved: {points}").format(
        name=html.quote(ui.kpi_name(kpi, locale)), points=_points_text(points, locale)),
        chat_id=message.chat.id)


async def choose_baseline(message: Message, session: AsyncSession, bot: Bot,
                          allowed_memberships: list[Membership], locale: str) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "baseline")
    if membership is not None:
        await _kpi_menu(bot, message.chat.id, session, membership.enterprise_id, locale,
                        "baseline", _("Which KPI's baseline do you want to correct?"))


async def new_baseline(message: Message, state: FSMContext, session: AsyncSession,
                       person: Person, memberships: list[Membership], clock: Clock,
                       locale: str, tx: UpdateTransaction) -> None:
    kpi = await _kpi_being_set(message, state, session, memberships)
    if kpi is None:
        return
    try:
        value = kpis.parse_value(message.text or "", locale, kpi)
    except InvalidValue as error:
        await message.answer(ui.out_of_range(kpi, locale) if error.code == "range"
                             else ui.not_a_number(kpi, fmt.number(12.5, locale)))
        return
    try:
        await kpis.correct_baseline(session, kpi, value, now=clock.now(), actor_id=person.id)
    except InvalidValue:
        await message.answer(ui.baseline_against_target(kpi, locale))
        return
    await tx.commit()
    await state.clear()
    await tx.tell(_("Baseline of {name} set to {value}.").format(
        name=html.quote(ui.kpi_name(kpi, locale)), value=ui.figure(value, kpi, locale)),
        chat_id=message.chat.id)


def build_router() -> Router:
    router = private_router("checkin")
    baselines = {"capability": Capability.SET_BASELINES}
    typed = router.message.register
    typed(offer, Command("checkin"), flags=REPORT)
    typed(show_kpis, Command("kpi"), flags=SEE)
    typed(figure, CheckinFlow.answering, flags=REPORT)
    typed(skip_reason, CheckinFlow.skip_reason, flags=REPORT)
    typed(choose_baseline, Command("baseline"), flags=baselines)
    typed(new_baseline, BaselineFlow.value, flags=baselines)
    typed(choose_contingency, Command("points"), flags=baselines)
    typed(new_contingency, BaselineFlow.points, flags=baselines)
    button = router.callback_query.register
    for action, handler in (("start", start), ("correct", correct_last_week), ("redo", redo),
                            ("restart", restart), ("cancel", cancel), ("keep", keep)):
        button(handler, CheckinCallback.filter(F.action == action), flags=REPORT)
    button(skip, CheckinCallback.filter(F.action == "skip"), CheckinFlow.answering,
           flags=REPORT)
    button(save, CheckinCallback.filter(F.action == "save"), CheckinFlow.confirming,
           flags=REPORT)
    button(stale, CheckinCallback.filter(), flags=REPORT)
    button(kpi_chart, KpiCallback.filter(F.action == "chart"), flags=SEE)
    button(ask_baseline, KpiCallback.filter(F.action == "baseline"), flags=SEE)
    button(ask_points, KpiCallback.filter(F.action == "points"), flags=SEE)
    # "Which enterprise?" answered, for a person who has several.
    button(offer_picked, EnterpriseCallback.filter(F.action == "checkin"), flags=REPORT)
    button(kpi_enterprise_picked, EnterpriseCallback.filter(F.action == "kpi"), flags=SEE)
    button(baseline_enterprise_picked, EnterpriseCallback.filter(F.action == "baseline"),
           flags=baselines)
    button(points_enterprise_picked, EnterpriseCallback.filter(F.action == "points"),
           flags=baselines)
    return router
