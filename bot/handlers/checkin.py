"""The weekly KPI check-in, one figure at a time, and /kpi with its chart.

    /checkin or the scheduled invitation -> a question per KPI (number, or Skip with a
    reason) -> summary -> Save -> the week's report with the chart; other managers get it too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, timedelta

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import Series, small_multiples
from bot.clock import Clock
from bot.content.loader import Curriculum
from bot.handlers.common import (
    ask_enterprise,
    picked_enterprise,
    private_router,
    refuse_button,
    replace_message,
)
from bot.i18n import _
from bot.keyboards.callbacks import CheckinCallback, EnterpriseCallback, KpiCallback
from bot.notify import notify
from bot.presenters import kpis as ui
from bot.replies import UpdateTransaction
from bot.services import kpis
from bot.services.actions import OPEN_STATUSES
from bot.services.errors import InvalidValue
from bot.services.permissions import (
    Capability,
    can,
    membership_in,
    memberships_with,
    single_enterprise,
)
from bot.services.promes import priorities
from storage.models import ActionItem, Enterprise, EnterpriseKpi, Membership, Person, Role

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


async def _ask(bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession,
               enterprise_id: int, locale: str) -> None:
    data = await state.get_data()
    queue: list[int] = data["queue"]
    index: int = data["index"]
    week = date.fromisoformat(data["week"])
    recorded = {int(k): v for k, v in data.get("recorded", {}).items()}
    if index >= len(queue):
        await state.set_state(CheckinFlow.confirming)
        active = {k.id: k for k in await kpis.active_kpis(session, enterprise_id)}
        rows = [(active[int(k)], v) for k, v in data["entries"].items() if int(k) in active]
        await bot.send_message(chat_id, ui.summary(rows, week, locale, recorded),
                               reply_markup=ui.confirm_keyboard())
        return
    kpi_id = queue[index]
    active = {k.id: k for k in await kpis.active_kpis(session, enterprise_id)}
    previous = await kpis.values_for_week(session, enterprise_id, week - timedelta(weeks=1))
    before = previous.get(kpi_id)
    await state.set_state(CheckinFlow.answering)
    await bot.send_message(
        chat_id,
        ui.question(active[kpi_id], index + 1, len(queue), before.value if before else None,
                    locale, last_week=bool(data.get("last_week")),
                    recorded=recorded.get(kpi_id)),
        reply_markup=ui.question_keyboard(kpi_id),
    )


async def checkin_button(
    query: CallbackQuery, callback_data: CheckinCallback, state: FSMContext,
    session: AsyncSession, person: Person, memberships: list[Membership], clock: Clock,
    bot: Bot, locale: str, settings, i18n, curriculum: Curriculum,  # type: ignore[no-untyped-def]
    tx: UpdateTransaction,
) -> None:
    action = callback_data.action
    data = await state.get_data()
    reporting = memberships_with(memberships, Capability.REPORT_KPIS)
    if callback_data.enterprise_id:
        membership = _reporting(memberships, callback_data.enterprise_id)
    elif action in ("start", "correct"):
        # An invitation that does not name its enterprise: the only one, or ask which.
        membership = single_enterprise(reporting)
        if membership is None and reporting:
            await query.answer()
            await ask_enterprise(bot, query.from_user.id, reporting, "checkin")
            return
    else:
        membership = _reporting(memberships, int(data.get("enterprise", 0)))
    if membership is None:
        await refuse_button(query, "check-in button without the capability")
        return
    enterprise = membership.enterprise
    current = await state.get_state()
    if action == "cancel":
        await state.clear()
        await query.answer()
        await replace_message(bot, query, _("Cancelled. Nothing was saved."))
        return
    if action == "keep":
        await state.clear()
        await query.answer()
        await replace_message(bot, query, _("Nothing changed: the figures stay as they are."))
        return
    this_week = kpis.week_of(kpis.local_today(clock.now(), enterprise.timezone))
    if action == "start" and await kpis.values_for_week(session, enterprise.id, this_week):
        await query.answer()
        await _offer(bot, query.from_user.id, session, enterprise, clock, locale, query)
        return
    if action in ("start", "redo", "correct", "restart"):
        if action == "restart":
            if "week" not in data or data.get("enterprise") != enterprise.id:
                await refuse_button(query, "restart without a check-in")
                return
            week = date.fromisoformat(data["week"])
        else:
            week = this_week - timedelta(weeks=1) if action == "correct" else this_week
        queue = [k.id for k in await kpis.active_kpis(session, enterprise.id)]
        if not queue:
            await refuse_button(query, "check-in without KPIs")
            return
        recorded = await kpis.entries_for_week(session, enterprise.id, week)
        await state.set_data({"week": week.isoformat(), "queue": queue, "index": 0,
                              "entries": {}, "enterprise": enterprise.id,
                              "last_week": week < this_week,
                              "recorded": {str(k): v for k, v in recorded.items()}})
        await query.answer()
        await _ask(bot, query.from_user.id, state, session, enterprise.id, locale)
        return
    if data.get("enterprise") != enterprise.id:
        await refuse_button(query, f"check-in {action} with no check-in under way")
        return
    if action == "skip" and current == CheckinFlow.answering.state and (
        callback_data.kpi_id == data["queue"][data["index"]]
    ):
        await state.set_state(CheckinFlow.skip_reason)
        await query.answer()
        await bot.send_message(query.from_user.id, _("Why is it skipped this week? A few "
                                                     "words are enough."))
        return
    if action == "save" and current == CheckinFlow.confirming.state:
        await _save(query, state, session, person, enterprise, clock, bot, locale, settings,
                    i18n, curriculum, tx)
        return
    await refuse_button(query, f"check-in {action} in state {current}")


async def answer(message: Message, state: FSMContext, session: AsyncSession,
                 memberships: list[Membership], bot: Bot, locale: str) -> None:
    data = await state.get_data()
    membership = _reporting(memberships, int(data.get("enterprise", 0)))
    if membership is None:
        await state.clear()
        return
    kpi_id = data["queue"][data["index"]]
    active = {k.id: k for k in await kpis.active_kpis(session, membership.enterprise_id)}
    kpi = active.get(kpi_id)
    if kpi is None:
        await state.clear()
        await message.answer(_("This KPI is no longer tracked. Please start again."))
        return
    current = await state.get_state()
    text = (message.text or "").strip()
    if current == CheckinFlow.skip_reason.state:
        if not text or text.startswith("/"):
            await message.answer(_("Please write the reason as text."))
            return
        entry: float | str = text[:1000]
    else:
        try:
            entry = kpis.parse_value(text, locale, kpi)
        except InvalidValue as error:
            example = format_decimal(12.5, locale=locale)
            await message.answer(ui.out_of_range(kpi, locale) if error.code == "range"
                                 else ui.not_a_number(kpi, example))
            return
    entries = dict(data["entries"])
    entries[str(kpi_id)] = entry
    await state.update_data(entries=entries, index=data["index"] + 1)
    await _ask(bot, message.chat.id, state, session, membership.enterprise_id, locale)


async def _save(query: CallbackQuery, state: FSMContext, session: AsyncSession, person: Person,
                enterprise: Enterprise, clock: Clock, bot: Bot, locale: str, settings, i18n,  # type: ignore[no-untyped-def]
                curriculum: Curriculum, tx: UpdateTransaction) -> None:
    data = await state.get_data()
    week = date.fromisoformat(data["week"])
    entries = {int(k): v for k, v in data["entries"].items()}
    try:
        before = await kpis.save_checkin(session, enterprise, week, entries,
                                         person_id=person.id, now=clock.now())
    except InvalidValue:
        await state.clear()
        await refuse_button(query, "check-in entries no longer valid")
        return
    corrected = week if before else None
    report = await week_report(session, enterprise, week, curriculum, corrected=corrected)
    # Those who plan actions get a button under each slipping KPI to plan one.
    slipping = await kpis.slipping(session, enterprise.id, week)
    planners = await kpis.planners(session, enterprise.id)

    def render(other_locale: str, planner: bool) -> tuple[str, InlineKeyboardMarkup | None]:
        markup = ui.plan_keyboard(slipping, other_locale) if planner and slipping else None
        return report(other_locale), markup

    others = [other for other in await kpis.reporters(session, enterprise.id, tuple(Role))
              if other.id != person.id]
    if corrected:
        # A correction: the others hear only what changed, and that it was corrected.
        active = {k.id: k for k in await kpis.active_kpis(session, enterprise.id)}
        changed = [(active[kpi_id], before.get(kpi_id), entry)
                   for kpi_id, entry in entries.items()
                   if kpi_id in active and before.get(kpi_id) != entry]
        score = await kpis.effectiveness(session, enterprise.id, week)
        for other in others if changed else []:
            notify(session, i18n, other, kind="kpi_correction", now=clock.now(),
                   enterprise=enterprise, default_locale=settings.default_locale,
                   render=lambda loc: ui.corrected_notice(person.display_name, week, changed,
                                                          score, loc))
    else:
        # The whole enterprise gets the report: SIMAPRO feeds results back to everyone.
        for other in others:
            notify(session, i18n, other, kind="kpi_report", now=clock.now(),
                   enterprise=enterprise, default_locale=settings.default_locale,
                   render=lambda loc, planner=other.id in planners: render(loc, planner))
    png = await chart(session, enterprise, week, locale)
    await tx.commit()  # the answers stay in the conversation, and the person is told, if not
    await state.clear()
    text, markup = render(locale, person.id in planners)
    await tx.tell(text, query=query, markup=markup,
                  toast=_("Corrected. Thank you!") if corrected else _("Saved. Thank you!"))
    with contextlib.suppress(TelegramAPIError):  # the report above says it all
        await bot.send_photo(query.from_user.id, BufferedInputFile(png, filename="kpis.png"))


async def week_report(session: AsyncSession, enterprise: Enterprise, week: date,
                      curriculum: Curriculum, corrected: date | None = None,
                      ) -> Callable[[str], str]:
    """The week's SIMAPRO feedback report, read from the database once and returned as a
    function that writes it in any locale (one report goes to the whole enterprise)."""
    changes = await kpis.changes(session, enterprise.id, week)
    score = await kpis.effectiveness(session, enterprise.id, week)
    active = await kpis.active_kpis(session, enterprise.id)
    values = {str(c.kpi.id): c.value for c in changes if c.value is not None}
    ranked = priorities(kpis.indicators(active), values)
    by_id = {str(k.id): k for k in active}
    top = by_id.get(ranked[0][0]) if ranked and ranked[0][1] > 0 else None
    slipping = []
    for kpi in await kpis.slipping(session, enterprise.id, week):
        definition = kpis.CATALOGUE.get(kpi.key)
        lesson = curriculum.by_key(definition.lesson) if definition else None
        if lesson is not None:
            slipping.append((kpi, lesson))
    actions = list(await session.scalars(
        select(ActionItem.title).where(ActionItem.enterprise_id == enterprise.id,
                                       ActionItem.status.in_(OPEN_STATUSES))
        .order_by(ActionItem.due_on)))
    suggestions = await kpis.suggestions_in_week(session, enterprise.id, week,
                                                 enterprise.timezone)

    def render(locale: str) -> str:
        titled = [(kpi, lesson.in_locale(locale).title) for kpi, lesson in slipping]
        return ui.week_report(changes, score, locale, titled, top, actions, suggestions,
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
        weeks = [until - timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]
        scores = [(week, await kpis.effectiveness(session, enterprise.id, week))
                  for week in weeks]
        points = [(week, s.overall) for week, s in scores if s.per_indicator]
        if points:
            series.append(Series(_("Effectiveness"), points, baseline=0.0))
    return small_multiples(
        series, heading=_("{enterprise}: weekly figures").format(enterprise=enterprise.name),
        baseline_label=_("baseline"), target_label=_("target"),
        date_label=lambda day: format_date(day, format="d MMM", locale=locale),
        number_label=lambda value: format_decimal(round(value, 2), locale=locale))


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


async def enterprise_picked(query: CallbackQuery, callback_data: EnterpriseCallback, bot: Bot,
                            session: AsyncSession, allowed_memberships: list[Membership],
                            clock: Clock, locale: str, curriculum: Curriculum) -> None:
    """The enterprise chosen for /kpi, /baseline or /points."""
    membership = await picked_enterprise(query, callback_data, allowed_memberships)
    if membership is None:
        return
    await query.answer()
    chat_id = query.from_user.id
    if callback_data.action == "kpi":
        await _show_kpis(bot, chat_id, session, membership.enterprise, clock, locale,
                         curriculum)
    elif callback_data.action == "baseline":
        await _kpi_menu(bot, chat_id, session, membership.enterprise_id, locale, "baseline",
                        _("Which KPI's baseline do you want to correct?"))
    else:
        await _kpi_menu(bot, chat_id, session, membership.enterprise_id, locale, "points",
                        _("Which KPI's effectiveness points do you want to change?"))


async def kpi_button(
    query: CallbackQuery, callback_data: KpiCallback, state: FSMContext, session: AsyncSession,
    memberships: list[Membership], clock: Clock, bot: Bot, locale: str,
) -> None:
    """A KPI picked from a keyboard: its own chart, or (consultants) its baseline."""
    kpi = await session.get(EnterpriseKpi, callback_data.kpi_id)
    membership = membership_in(memberships, kpi.enterprise_id) if kpi else None
    capability = (Capability.SEE_KPIS if callback_data.action == "chart"
                  else Capability.SET_BASELINES)
    if kpi is None or membership is None or not can(membership, capability) or (
            callback_data.action not in ("chart", "baseline", "points")):
        await refuse_button(query, "KPI outside the person's enterprise or role")
        return
    await query.answer()
    enterprise = membership.enterprise
    if callback_data.action == "chart":
        week = kpis.week_of(kpis.local_today(clock.now(), enterprise.timezone))
        await bot.send_photo(query.from_user.id, BufferedInputFile(
            await chart(session, enterprise, week, locale, only=kpi.id), filename="kpi.png"))
        return
    await state.set_data({"kpi": kpi.id})
    if callback_data.action == "points":
        await state.set_state(BaselineFlow.points)
        await bot.send_message(query.from_user.id, _(
            "Effectiveness points for {name} now: {points}\n\nType the new points as "
            "value:effectiveness pairs from -100 to 100, the expected level at 0, for example "
            "{example}").format(name=html.quote(ui.kpi_name(kpi, locale)),
                                points=_points_text(kpi.contingency, locale),
                                example=_points_text([[8, -60], [4.5, 0], [1, 80]], locale)))
        return
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
    kpi = await session.get(EnterpriseKpi, int((await state.get_data()).get("kpi", 0)))
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
        return format_decimal(round(x, 4), locale=locale, group_separator=False)

    return "; ".join(f"{number(value)}:{number(effect)}" for value, effect in points or []) or "–"


async def choose_contingency(message: Message, session: AsyncSession, bot: Bot,
                             allowed_memberships: list[Membership], locale: str) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "points")
    if membership is not None:
        await _kpi_menu(bot, message.chat.id, session, membership.enterprise_id, locale,
                        "points", _("Which KPI's effectiveness points do you want to change?"))


async def new_contingency(message: Message, state: FSMContext, session: AsyncSession,
                          person: Person, memberships: list[Membership], locale: str) -> None:
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
    await state.clear()
    await message.answer(_("Effectiveness points for {name} saved: {points}").format(
        name=html.quote(ui.kpi_name(kpi, locale)), points=_points_text(points, locale)))


async def choose_baseline(message: Message, session: AsyncSession, bot: Bot,
                          allowed_memberships: list[Membership], locale: str) -> None:
    membership = await ask_enterprise(bot, message.chat.id, allowed_memberships, "baseline")
    if membership is not None:
        await _kpi_menu(bot, message.chat.id, session, membership.enterprise_id, locale,
                        "baseline", _("Which KPI's baseline do you want to correct?"))


async def new_baseline(message: Message, state: FSMContext, session: AsyncSession,
                       person: Person, memberships: list[Membership], clock: Clock,
                       locale: str) -> None:
    kpi = await _kpi_being_set(message, state, session, memberships)
    if kpi is None:
        return
    try:
        value = kpis.parse_value(message.text or "", locale, kpi)
    except InvalidValue as error:
        await message.answer(ui.out_of_range(kpi, locale) if error.code == "range"
                             else ui.not_a_number(kpi, format_decimal(12.5, locale=locale)))
        return
    try:
        await kpis.correct_baseline(session, kpi, value, now=clock.now(), actor_id=person.id)
    except InvalidValue:
        await message.answer(ui.baseline_against_target(kpi, locale))
        return
    await state.clear()
    await message.answer(_("Baseline of {name} set to {value}.").format(
        name=html.quote(ui.kpi_name(kpi, locale)), value=ui.figure(value, kpi, locale)))


def build_router() -> Router:
    router = private_router("checkin")
    router.message.register(offer, Command("checkin"), flags=REPORT)
    router.message.register(show_kpis, Command("kpi"), flags=SEE)
    router.message.register(answer, StateFilter(CheckinFlow.answering, CheckinFlow.skip_reason),
                            flags=REPORT)
    router.callback_query.register(checkin_button, CheckinCallback.filter(), flags=REPORT)
    router.message.register(choose_baseline, Command("baseline"),
                            flags={"capability": Capability.SET_BASELINES})
    router.message.register(new_baseline, BaselineFlow.value,
                            flags={"capability": Capability.SET_BASELINES})
    router.message.register(choose_contingency, Command("points"),
                            flags={"capability": Capability.SET_BASELINES})
    router.message.register(new_contingency, BaselineFlow.points,
                            flags={"capability": Capability.SET_BASELINES})
    router.callback_query.register(kpi_button, KpiCallback.filter(), flags=SEE)
    # "Which enterprise?" answered, for a person who has several.
    router.callback_query.register(offer_picked, EnterpriseCallback.filter(F.action == "checkin"),
                                   flags=REPORT)
    router.callback_query.register(enterprise_picked,
                                   EnterpriseCallback.filter(F.action == "kpi"), flags=SEE)
    router.callback_query.register(
        enterprise_picked, EnterpriseCallback.filter(F.action.in_({"baseline", "points"})),
        flags={"capability": Capability.SET_BASELINES})
    return router
