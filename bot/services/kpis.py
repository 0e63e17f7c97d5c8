"""KPIs: the SCORE catalogue, an enterprise's chosen indicators with baseline, target and
ProMES contingency, weekly figures, and the comparisons that feed summaries and nudges.

Suggestions received and implemented are computed from suggestion records, never typed.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.numbers import NumberFormatError, get_decimal_symbol, parse_decimal
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.actions import OPEN_STATUSES
from bot.services.daytime import may_go_now
from bot.services.errors import InvalidValue
from bot.services.lessons import is_working_daytime
from bot.services.local_time import local_moment
from bot.services.people import reachable
from bot.services.permissions import Capability, can
from bot.services.promes import Contingency, Indicator, Score, priorities, score
from storage.models import (
    ActionItem,
    CheckinRound,
    Enterprise,
    EnterpriseKpi,
    KpiValue,
    Membership,
    Person,
    Role,
)

if TYPE_CHECKING:
    from bot.content.loader import Curriculum
    from bot.content.schema import Lesson


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    unit: str
    higher_is_better: bool
    low: float
    high: float
    lesson: str  # the lesson (key) that addresses it, suggested in nudges
    threshold: float | None = None  # a value past which a nudge comes at once


CATALOGUE: dict[str, KpiDefinition] = {
    d.key: d
    for d in (
        KpiDefinition("productivity", "units/day", True, 0, 1e7, "m3-01"),
        KpiDefinition("defect_rate", "%", False, 0, 100, "m2-04", threshold=5.0),
        KpiDefinition("on_time_delivery", "%", True, 0, 100, "m2-02", threshold=80.0),
        KpiDefinition("absenteeism", "%", False, 0, 100, "m4-02", threshold=8.0),
        KpiDefinition("turnover", "%", False, 0, 100, "m4-01", threshold=5.0),
        KpiDefinition("accidents", "count", False, 0, 10_000, "m5-01", threshold=1.0),
        KpiDefinition("near_misses", "count", True, 0, 10_000, "m5-01"),
        KpiDefinition("energy", "kWh", False, 0, 1e9, "m3-02"),
        KpiDefinition("water", "m³", False, 0, 1e9, "m3-03"),
        KpiDefinition("material_waste", "kg", False, 0, 1e9, "m3-04"),
        KpiDefinition("cost_savings", "money", True, 0, 1e12, "m3-06"),
    )
}
DEFAULT_KPIS = ("defect_rate", "on_time_delivery", "absenteeism", "productivity")


def week_of(day: date) -> date:
    """The Monday of the week a day falls in: weeks are keyed by their Monday."""
    return day - timedelta(days=day.isoweekday() - 1)


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def propose_contingency(kpi: EnterpriseKpi) -> list[list[float]] | None:
    """Baseline scores 0 (the expected level when the team starts), the target +100, and as
    far the other way -100; clamped to the valid range."""
    if kpi.baseline is None or kpi.target is None or kpi.baseline == kpi.target:
        return None
    worst = kpi.baseline - (kpi.target - kpi.baseline)
    worst = min(max(worst, kpi.low), kpi.high)
    if worst == kpi.baseline:
        return [[kpi.baseline, 0.0], [kpi.target, 100.0]]
    return [[worst, -100.0], [kpi.baseline, 0.0], [kpi.target, 100.0]]


def check_levels(key: str, higher_is_better: bool, baseline: float | None,
                 target: float | None) -> None:
    """A target must improve on the baseline in the KPI's own direction; otherwise the
    proposed contingency would reward getting worse (or there would be none)."""
    if baseline is None or target is None:
        return
    better = "higher" if higher_is_better else "lower"
    side = "above" if higher_is_better else "below"
    if baseline == target:
        raise InvalidValue("target", f"{key}: the target equals the baseline ({baseline:g}), "
                                     f"so there is nothing to improve; choose a target {side} "
                                     "it")
    if (target > baseline) != higher_is_better:
        raise InvalidValue("direction", f"{key}: {better} is better, so the target ({target:g}) "
                                        f"must be {side} the baseline ({baseline:g})")


async def enable_kpi(
    session: AsyncSession, enterprise: Enterprise, key: str, *, baseline: float | None = None,
    target: float | None = None, now: datetime, actor_id: int | None = None,
    actor_label: str = "",
) -> EnterpriseKpi:
    """Track a catalogue KPI (or update its baseline and target)."""
    definition = CATALOGUE.get(key)
    if definition is None:
        raise InvalidValue("kpi", f"unknown KPI {key!r}; known: {', '.join(CATALOGUE)}")
    for label, value in (("baseline", baseline), ("target", target)):
        if value is not None and not definition.low <= value <= definition.high:
            raise InvalidValue(label, f"{label} {value} is outside {definition.low}-"
                                      f"{definition.high}")
    kpi = await session.scalar(select(EnterpriseKpi).where(
        EnterpriseKpi.enterprise_id == enterprise.id, EnterpriseKpi.key == key))
    if kpi is None:
        position = len(await active_kpis(session, enterprise.id))
        kpi = EnterpriseKpi(enterprise_id=enterprise.id, key=key, unit=definition.unit,
                            higher_is_better=definition.higher_is_better, low=definition.low,
                            high=definition.high, position=position, names={})
        session.add(kpi)
    check_levels(key, kpi.higher_is_better, kpi.baseline if baseline is None else baseline,
                 kpi.target if target is None else target)
    # The team's own points stay; only a proposed contingency follows baseline and target.
    proposed_before = kpi.contingency is None or kpi.contingency == propose_contingency(kpi)
    kpi.active = True
    _may_invite_now(enterprise, now)
    if baseline is not None:
        kpi.baseline = baseline
        kpi.baseline_set_at = now
    if target is not None:
        kpi.target = target
    if proposed_before:
        kpi.contingency = propose_contingency(kpi)
    await session.flush()
    audit.record(session, "kpi.set", actor_id=actor_id, actor_label=actor_label,
                 enterprise_id=enterprise.id, subject="kpi", subject_id=kpi.id, key=key,
                 baseline=kpi.baseline, target=kpi.target)
    return kpi


POINT_SEPARATORS = {True: re.compile(r"[;\s]+|,\s+"), False: re.compile(r"[;,\s]+")}


def parse_points(text: str, locale: str = "en") -> list[list[float]]:
    """Contingency points typed as "8:-60; 4:0; 1:80" (value:effectiveness, any order), the
    numbers written the locale's way ("4,5:0" in es). Pairs are parted by ";" or a new line;
    also by "," where the locale does not write decimals with one ("8:-60, 4:0" in en) and
    by ", " where it does."""
    text = re.sub(r"\s*:\s*", ":", text.strip())
    comma = get_decimal_symbol(locale) == ","
    points = []
    for part in POINT_SEPARATORS[comma].split(text):
        if not part:
            continue
        try:
            value, effect = (float(parse_decimal(x.removeprefix("+"), locale=locale,
                                                 strict=True))
                             for x in part.split(":"))
        except (ValueError, NumberFormatError):
            raise InvalidValue("points", f"{part!r} is not value:effectiveness") from None
        points.append([value, effect])
    try:
        Contingency(tuple((v, e) for v, e in points))
    except ValueError as error:
        raise InvalidValue("points", str(error)) from None
    return sorted(points)


async def set_contingency(session: AsyncSession, kpi: EnterpriseKpi, points: list[list[float]],
                          *, actor_id: int | None = None, actor_label: str = "") -> None:
    """The team's own contingency, replacing the one proposed from baseline and target."""
    for value, _effect in points:
        if not kpi.low <= value <= kpi.high:
            raise InvalidValue("points", f"{value} is outside {kpi.low}-{kpi.high}")
    kpi.contingency = points
    audit.record(session, "kpi.contingency", actor_id=actor_id, actor_label=actor_label,
                 enterprise_id=kpi.enterprise_id, subject="kpi", subject_id=kpi.id,
                 points=points)


def _may_invite_now(enterprise: Enterprise, now: datetime) -> None:
    """A tracked KPI may make this week's check-in invitation due (it waits for a KPI)."""
    from bot.services.next_due import look_now  # it reads this module's rules

    look_now(enterprise, now)


async def add_custom_kpi(
    session: AsyncSession, enterprise: Enterprise, *, names: dict[str, str], unit: str,
    higher_is_better: bool, low: float, high: float, baseline: float | None,
    target: float | None, now: datetime, actor_label: str = "",
) -> EnterpriseKpi:
    """An enterprise's own indicator, with its name in every shipped locale."""
    from bot.languages import SUPPORTED_LOCALES

    missing = [locale for locale in SUPPORTED_LOCALES if not names.get(locale, "").strip()]
    if missing:
        raise InvalidValue("names", f"a custom KPI needs a name in {', '.join(missing)}")
    if not low < high:
        raise InvalidValue("range", "the lowest valid value must be below the highest")
    check_levels("this KPI", higher_is_better, baseline, target)
    for label, value in (("baseline", baseline), ("target", target)):
        if value is not None and not low <= value <= high:
            raise InvalidValue(label, f"{label} {value} is outside {low}-{high}")
    existing = await session.scalars(select(EnterpriseKpi.key).where(
        EnterpriseKpi.enterprise_id == enterprise.id, EnterpriseKpi.key.like("custom-%")))
    key = f"custom-{len(list(existing)) + 1}"
    kpi = EnterpriseKpi(
        enterprise_id=enterprise.id, key=key, names={k: v.strip()[:80] for k, v in
                                                     names.items()},
        unit=unit[:20], higher_is_better=higher_is_better, low=low, high=high,
        baseline=baseline, baseline_set_at=now if baseline is not None else None,
        target=target, position=len(await active_kpis(session, enterprise.id)), active=True,
    )
    kpi.contingency = propose_contingency(kpi)
    session.add(kpi)
    _may_invite_now(enterprise, now)
    await session.flush()
    audit.record(session, "kpi.custom", actor_label=actor_label, enterprise_id=enterprise.id,
                 subject="kpi", subject_id=kpi.id, key=key)
    return kpi


async def correct_baseline(session: AsyncSession, kpi: EnterpriseKpi, value: float, *,
                           now: datetime, actor_id: int) -> None:
    """A new baseline. The contingency follows it unless the team has set its own points."""
    check_levels(kpi.key, kpi.higher_is_better, value, kpi.target)
    proposed_before = kpi.contingency == propose_contingency(kpi)
    kpi.baseline, kpi.baseline_set_at = value, now
    if proposed_before:
        kpi.contingency = propose_contingency(kpi)
    audit.record(session, "kpi.baseline", actor_id=actor_id, enterprise_id=kpi.enterprise_id,
                 subject="kpi", subject_id=kpi.id, baseline=value)


async def suggestions_in_week(session: AsyncSession, enterprise_id: int, week: date,
                              timezone: str) -> tuple[int, int]:
    """Suggestions received and implemented in a week, counted from the records."""
    from storage.models import Suggestion

    zone = ZoneInfo(timezone)
    start = datetime.combine(week, time(0), zone)
    end = start + timedelta(days=7)
    received = await session.scalar(select(func.count()).select_from(Suggestion).where(
        Suggestion.enterprise_id == enterprise_id, Suggestion.created_at >= start,
        Suggestion.created_at < end))
    implemented = await session.scalar(select(func.count()).select_from(Suggestion).where(
        Suggestion.enterprise_id == enterprise_id, Suggestion.implemented_at >= start,
        Suggestion.implemented_at < end))
    return received or 0, implemented or 0


async def active_kpis(session: AsyncSession, enterprise_id: int) -> list[EnterpriseKpi]:
    return list(await session.scalars(
        select(EnterpriseKpi)
        .where(EnterpriseKpi.enterprise_id == enterprise_id, EnterpriseKpi.active.is_(True))
        .order_by(EnterpriseKpi.position, EnterpriseKpi.id)
    ))


def parse_value(text: str, locale: str, kpi: EnterpriseKpi) -> float:
    """A number typed the way the person's locale writes it ("12,5" in es, "12.5" in en; a
    trailing % accepted). Raises InvalidValue("number") or InvalidValue("range")."""
    cleaned = text.strip().removesuffix("%").strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned or len(cleaned) > 30:
        raise InvalidValue("number", "not a number")
    try:
        number: Decimal = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError:
        raise InvalidValue("number", f"{text!r} is not a number in {locale}") from None
    if not number.is_finite():
        raise InvalidValue("number", "not a finite number")
    value = float(number)
    if not kpi.low <= value <= kpi.high:
        raise InvalidValue("range", f"{value} is outside {kpi.low}-{kpi.high}")
    return value


async def values_for_week(session: AsyncSession, enterprise_id: int, week: date) -> dict[
    int, KpiValue
]:
    rows = await session.scalars(
        select(KpiValue)
        .join(EnterpriseKpi, EnterpriseKpi.id == KpiValue.enterprise_kpi_id)
        .where(EnterpriseKpi.enterprise_id == enterprise_id, KpiValue.week == week)
    )
    return {row.enterprise_kpi_id: row for row in rows}


def entry_of(row: KpiValue) -> float | str:
    """What a week's row holds: the figure, or the reason it was skipped."""
    return row.value if row.value is not None else row.skipped_reason


async def entries_for_week(session: AsyncSession, enterprise_id: int, week: date) -> dict[
    int, float | str
]:
    """The week's figures (a float) or skip reasons (a str), per KPI id."""
    return {kpi_id: entry_of(row)
            for kpi_id, row in (await values_for_week(session, enterprise_id, week)).items()}


async def save_checkin(
    session: AsyncSession, enterprise: Enterprise, week: date,
    entries: dict[int, float | str], *, person_id: int, now: datetime,
) -> dict[int, float | str]:
    """Store a week's figures (a float) or skip reasons (a str) per KPI id, replacing what
    was there (a correction), and close the week's check-in round. Returns what was there
    before, per KPI id: empty for a first check-in, the corrected entries otherwise."""
    kpis = {k.id: k for k in await active_kpis(session, enterprise.id)}
    existing = await values_for_week(session, enterprise.id, week)
    before = {kpi_id: entry_of(row) for kpi_id, row in existing.items() if kpi_id in entries}
    for kpi_id, entry in entries.items():
        kpi = kpis.get(kpi_id)
        if kpi is None:
            raise InvalidValue("kpi", f"KPI {kpi_id} is not tracked by {enterprise.name}")
        row = existing.get(kpi_id) or KpiValue(enterprise_kpi_id=kpi_id, week=week)
        if isinstance(entry, str):
            row.value, row.skipped_reason = None, entry.strip()[:1000]
        else:
            if not kpi.low <= entry <= kpi.high:
                raise InvalidValue("range", f"{entry} is outside {kpi.low}-{kpi.high}")
            row.value, row.skipped_reason = entry, ""
        row.entered_by_id, row.entered_at = person_id, now
        session.add(row)
    round_ = await session.scalar(select(CheckinRound).where(
        CheckinRound.enterprise_id == enterprise.id, CheckinRound.week == week))
    if round_ is None:
        round_ = CheckinRound(enterprise_id=enterprise.id, week=week, opened_at=now)
        session.add(round_)
    round_.completed_at, round_.completed_by_id = now, person_id
    audit.record(session, "kpi.checkin", actor_id=person_id, enterprise_id=enterprise.id,
                 subject="week", week=week.isoformat(), kpis=len(entries),
                 corrected=bool(before))
    return before


@dataclass(frozen=True)
class Change:
    kpi: EnterpriseKpi
    value: float | None
    last_week: float | None
    baseline: float | None
    skipped: str | None = None  # the reason, when the KPI was skipped that week

    def direction(self, other: float | None) -> int:
        """+1 better, -1 worse, 0 same or unknown, compared with `other`."""
        if self.value is None or other is None or self.value == other:
            return 0
        up = self.value > other
        return 1 if up == self.kpi.higher_is_better else -1


async def history(
    session: AsyncSession, kpi_id: int, weeks: int, until: date
) -> list[tuple[date, float]]:
    rows = await session.execute(
        select(KpiValue.week, KpiValue.value)
        .where(KpiValue.enterprise_kpi_id == kpi_id, KpiValue.value.is_not(None),
               KpiValue.week <= until, KpiValue.week > until - timedelta(weeks=weeks))
        .order_by(KpiValue.week)
    )
    return [(week, value) for week, value in rows if value is not None]


async def changes(session: AsyncSession, enterprise_id: int, week: date) -> list[Change]:
    this = await values_for_week(session, enterprise_id, week)
    last = await values_for_week(session, enterprise_id, week - timedelta(weeks=1))
    return [
        Change(kpi, this[kpi.id].value if kpi.id in this else None,
               last[kpi.id].value if kpi.id in last else None, kpi.baseline,
               skipped=(this[kpi.id].skipped_reason or "")
               if kpi.id in this and this[kpi.id].value is None else None)
        for kpi in await active_kpis(session, enterprise_id)
    ]


async def slipping(session: AsyncSession, enterprise_id: int, week: date) -> list[
    EnterpriseKpi
]:
    """KPIs that moved the wrong way two weeks running, or are past their threshold."""
    result = []
    for kpi in await active_kpis(session, enterprise_id):
        series = dict(await history(session, kpi.id, 3, week))
        values = [series.get(week - timedelta(weeks=n)) for n in (2, 1, 0)]
        known = [v for v in values if v is not None]
        worse_twice = len(known) == len(values) and all(
            (b < a) if kpi.higher_is_better else (b > a)
            for a, b in itertools.pairwise(known)
        )
        definition = CATALOGUE.get(kpi.key)
        current = values[-1]
        past_threshold = bool(
            definition and definition.threshold is not None and current is not None
            and ((current < definition.threshold) if kpi.higher_is_better
                 else (current > definition.threshold))
        )
        if worse_twice or past_threshold:
            result.append(kpi)
    return result


def indicators(kpis: list[EnterpriseKpi]) -> list[Indicator]:
    result = []
    for kpi in kpis:
        if not kpi.contingency:
            continue
        contingency = Contingency(tuple((float(v), float(e)) for v, e in kpi.contingency))
        span = abs((kpi.target or 0) - (kpi.baseline or 0)) or 1.0
        step = span / 10 * (1 if kpi.higher_is_better else -1)
        result.append(Indicator(str(kpi.id), contingency, step))
    return result


async def effectiveness(session: AsyncSession, enterprise_id: int, week: date) -> Score:
    kpis = await active_kpis(session, enterprise_id)
    this = await values_for_week(session, enterprise_id, week)
    values = {str(k): v.value for k, v in this.items() if v.value is not None}
    return score(indicators(kpis), values)


def local_week(now: datetime, timezone: str) -> date:
    """The week (its Monday) `now` falls in, in the enterprise's timezone."""
    return week_of(local_today(now, timezone))


def checkin_due(enterprise: Enterprise, now: datetime) -> date | None:
    """The week whose check-in should be open now: from the check-in day and hour on."""
    today = local_today(now, enterprise.timezone)
    week = week_of(today)
    return week if now >= checkin_opens(enterprise, week) else None


def checkin_opens(enterprise: Enterprise, week: date) -> datetime:
    """When a week's check-in opens (UTC)."""
    day = week + timedelta(days=enterprise.checkin_weekday - 1)
    return local_moment(day, time(enterprise.checkin_hour), enterprise.timezone)


def invitation_may_go(enterprise: Enterprise, week: date, now: datetime) -> bool:
    """The check-in invitation goes at its hour; later than a few minutes, only in working
    daytime."""
    return may_go_now(checkin_opens(enterprise, week), now, enterprise.timezone)


REMIND_AT = time(18, 0)  # same day, end of the working day
NUDGE_AT = time(10, 0)  # next morning


def reminder_due(enterprise: Enterprise, round_: CheckinRound, now: datetime) -> bool:
    at = reminder_at(enterprise, round_.week)
    return (round_.completed_at is None and round_.reminded_at is None and now >= at
            and _working_daytime(enterprise, now))


def reminder_at(enterprise: Enterprise, week: date) -> datetime:
    day = week + timedelta(days=enterprise.checkin_weekday - 1)
    return local_moment(day, REMIND_AT, enterprise.timezone)


def nudge_at(enterprise: Enterprise, week: date) -> datetime:
    day = week + timedelta(days=enterprise.checkin_weekday)
    return local_moment(day, NUDGE_AT, enterprise.timezone)


def _working_daytime(enterprise: Enterprise, now: datetime) -> bool:
    """Reminders and nudges never go at night or on Sunday."""
    return is_working_daytime(now, enterprise.timezone)


def nudge_due(enterprise: Enterprise, round_: CheckinRound, now: datetime) -> bool:
    at = nudge_at(enterprise, round_.week)
    return (round_.completed_at is None and round_.nudged_at is None and now >= at
            and _working_daytime(enterprise, now))


async def reporters(
    session: AsyncSession, enterprise_id: int,
    roles: tuple[Role, ...] = (Role.MANAGER, Role.TEAM_LEAD),
) -> list[Person]:
    """Who is asked for the check-in (managers and team leads) or nudged (managers)."""
    return await reachable(session, roles, enterprise_id=enterprise_id)


async def planners(session: AsyncSession, enterprise_id: int) -> set[int]:
    """Ids of the people who may plan actions in this enterprise."""
    memberships = await session.scalars(
        select(Membership).where(Membership.enterprise_id == enterprise_id))
    return {m.person_id for m in memberships if can(m, Capability.PLAN_ACTIONS)}


@dataclass
class WeekFeedback:
    """What the week's SIMAPRO feedback report says, read from the database once (one
    report goes to the whole enterprise, each in their language)."""

    changes: list[Change]
    score: Score
    slipping: list[tuple[EnterpriseKpi, Lesson]]  # slipping KPIs that have a lesson
    top: EnterpriseKpi | None  # the top priority, when improving it gains anything
    open_actions: list[str]
    suggestions: tuple[int, int] | None


async def week_feedback(session: AsyncSession, enterprise: Enterprise, week: date,
                        curriculum: Curriculum) -> WeekFeedback:
    changes_ = await changes(session, enterprise.id, week)
    score_ = await effectiveness(session, enterprise.id, week)
    active = await active_kpis(session, enterprise.id)
    values = {str(c.kpi.id): c.value for c in changes_ if c.value is not None}
    ranked = priorities(indicators(active), values)
    by_id = {str(k.id): k for k in active}
    top = by_id.get(ranked[0][0]) if ranked and ranked[0][1] > 0 else None
    with_lessons = []
    for kpi in await slipping(session, enterprise.id, week):
        definition = CATALOGUE.get(kpi.key)
        lesson = curriculum.by_key(definition.lesson) if definition else None
        if lesson is not None:
            with_lessons.append((kpi, lesson))
    titles = list(await session.scalars(
        select(ActionItem.title).where(ActionItem.enterprise_id == enterprise.id,
                                       ActionItem.status.in_(OPEN_STATUSES))
        .order_by(ActionItem.due_on)))
    return WeekFeedback(changes_, score_, with_lessons, top, titles,
                        await suggestions_in_week(session, enterprise.id, week,
                                                  enterprise.timezone))


async def effectiveness_history(session: AsyncSession, enterprise_id: int, until: date,
                                weeks: int) -> list[tuple[date, float]]:
    """Overall effectiveness week by week up to `until` (weeks with no scored KPI left
    out): the SIMAPRO picture, 0 being the expected level."""
    points = []
    for n in range(weeks - 1, -1, -1):
        week = until - timedelta(weeks=n)
        scored = await effectiveness(session, enterprise_id, week)
        if scored.per_indicator:
            points.append((week, scored.overall))
    return points


def corrections(active: list[EnterpriseKpi], before: dict[int, float | str],
                entries: dict[int, float | str],
                ) -> list[tuple[EnterpriseKpi, float | str | None, float | str]]:
    """What a correction changed: (KPI, before, now) for each figure that differs."""
    by_id = {k.id: k for k in active}
    return [(by_id[kpi_id], before.get(kpi_id), entry) for kpi_id, entry in entries.items()
            if kpi_id in by_id and before.get(kpi_id) != entry]


async def kpi_by_id(session: AsyncSession, kpi_id: int) -> EnterpriseKpi | None:
    return await session.get(EnterpriseKpi, kpi_id)
