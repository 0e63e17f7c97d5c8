"""Programme-wide figures for programme managers (Productivity Ecosystems): comparable
enterprise results, by sector and country, never for a group small enough to point at one
enterprise. No Telegram here.

Per enterprise:
- each catalogue KPI's change since its baseline, in percent of the baseline, signed so that
  positive is better (a falling defect rate counts as a gain);
- implemented suggestions per worker per year (the last 365 days, or since the enterprise
  joined if later, at least 30 days; workers = members of its teams);
- lesson completion: the share of lessons given whose quiz was answered;
- the Working Climate Index: the mean of its teams' latest closed rounds that could be shown;
- self-check status: the share of checklist items both sides say are in order, in its latest
  complete self-check.

Groups: each sector and country, each sector, each country, and the whole programme, each
shown only with at least MIN_ENTERPRISES enterprises (a group with the same enterprises as one
already listed is listed once). Within a group, a figure is the median over the enterprises
that have it, and is shown only when at least MIN_ENTERPRISES have it.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import climate, export, selfcheck
from bot.services.kpis import CATALOGUE
from storage.models import (
    Enterprise,
    EnterpriseKpi,
    KpiValue,
    LessonDelivery,
    Membership,
    Role,
    SelfCheckRound,
    Suggestion,
    SuggestionStatus,
    Team,
)

MIN_ENTERPRISES = 5
YEAR = timedelta(days=365)
MIN_PERIOD = timedelta(days=30)
# The figures besides the KPIs, in the order they are shown.
FIGURES = ("suggestions", "lessons", "climate", "selfcheck")


@dataclass
class EnterpriseFigures:
    enterprise: Enterprise
    kpis: dict[str, float] = field(default_factory=dict)  # key -> % better than baseline
    figures: dict[str, float] = field(default_factory=dict)  # FIGURES key -> value


async def _kpi_changes(session: AsyncSession, enterprise_id: int) -> dict[str, float]:
    changes: dict[str, float] = {}
    for kpi in await session.scalars(select(EnterpriseKpi).where(
            EnterpriseKpi.enterprise_id == enterprise_id, EnterpriseKpi.active.is_(True),
            EnterpriseKpi.key.in_(list(CATALOGUE)))):
        if not kpi.baseline:
            continue
        latest = await session.scalar(
            select(KpiValue.value).where(KpiValue.enterprise_kpi_id == kpi.id,
                                         KpiValue.value.is_not(None))
            .order_by(KpiValue.week.desc()).limit(1))
        if latest is None:
            continue
        change = (latest - kpi.baseline) / abs(kpi.baseline) * 100
        changes[kpi.key] = change if kpi.higher_is_better else -change
    return changes


async def _suggestions_per_worker_year(session: AsyncSession, enterprise: Enterprise,
                                       now: datetime) -> float | None:
    workers = await session.scalar(select(func.count()).select_from(Membership).where(
        Membership.enterprise_id == enterprise.id,
        Membership.role.in_((Role.WORKER, Role.TEAM_LEAD)))) or 0
    if not workers:
        return None
    period = max(min(YEAR, now - enterprise.created_at), MIN_PERIOD)
    implemented = await session.scalar(select(func.count()).select_from(Suggestion).where(
        Suggestion.enterprise_id == enterprise.id,
        Suggestion.status == SuggestionStatus.IMPLEMENTED,
        Suggestion.implemented_at >= now - period)) or 0
    return implemented / workers * (YEAR / period)


async def _lesson_completion(session: AsyncSession, enterprise_id: int) -> float | None:
    given, answered = (await session.execute(
        select(func.count(), func.count(LessonDelivery.answered_at))
        .join(Team, Team.id == LessonDelivery.team_id)
        .where(Team.enterprise_id == enterprise_id))).one()
    return answered / given * 100 if given else None


async def _climate(session: AsyncSession, enterprise_id: int) -> float | None:
    values = []
    for team in await session.scalars(select(Team).where(Team.enterprise_id == enterprise_id)):
        latest, _previous = await climate.team_climate(session, team.id)
        if latest is not None and latest.overall is not None:
            values.append(latest.overall)
    return sum(values) / len(values) if values else None


async def _selfcheck(session: AsyncSession, enterprise_id: int) -> float | None:
    check = await session.scalar(
        select(SelfCheckRound).where(SelfCheckRound.enterprise_id == enterprise_id,
                                     SelfCheckRound.completed_at.is_not(None))
        .order_by(SelfCheckRound.quarter.desc()).limit(1))
    if check is None:
        return None
    status = selfcheck.status_of(check, await selfcheck.answers_of(session, check.id))
    return status.in_order / len(selfcheck.ITEMS) * 100


async def enterprise_figures(session: AsyncSession, enterprise: Enterprise,
                             now: datetime) -> EnterpriseFigures:
    found = EnterpriseFigures(enterprise, await _kpi_changes(session, enterprise.id))
    for key, value in (
        ("suggestions", await _suggestions_per_worker_year(session, enterprise, now)),
        ("lessons", await _lesson_completion(session, enterprise.id)),
        ("climate", await _climate(session, enterprise.id)),
        ("selfcheck", await _selfcheck(session, enterprise.id)),
    ):
        if value is not None:
            found.figures[key] = value
    return found


@dataclass(frozen=True)
class GroupRow:
    sector: str  # "" for every sector
    country: str  # "" for every country
    enterprises: int
    kpis: dict[str, float | None]
    figures: dict[str, float | None]


@dataclass(frozen=True)
class ProgrammeReport:
    rows: list[GroupRow]
    kpi_keys: list[str]  # KPIs with a figure in at least one row, in catalogue order
    enterprises: int
    hidden_groups: int  # sector-and-country groups left out for having too few enterprises


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if len(values) >= MIN_ENTERPRISES else None


def _row(sector: str, country: str, members: list[EnterpriseFigures]) -> GroupRow:
    return GroupRow(
        sector, country, len(members),
        {key: _median([m.kpis[key] for m in members if key in m.kpis]) for key in CATALOGUE},
        {key: _median([m.figures[key] for m in members if key in m.figures])
         for key in FIGURES},
    )


def group(figures: list[EnterpriseFigures]) -> ProgrammeReport:
    candidates: list[tuple[str, str, list[EnterpriseFigures]]] = []
    pairs = sorted({(f.enterprise.sector, f.enterprise.country) for f in figures})
    for sector, country in pairs:
        candidates.append((sector, country, [f for f in figures if (
            f.enterprise.sector, f.enterprise.country) == (sector, country)]))
    for sector in sorted({s for s, _c in pairs}):
        candidates.append((sector, "", [f for f in figures if f.enterprise.sector == sector]))
    for country in sorted({c for _s, c in pairs}):
        candidates.append(("", country, [f for f in figures if f.enterprise.country == country]))
    candidates.append(("", "", list(figures)))
    rows, seen = [], set()
    for sector, country, members in candidates:
        ids = frozenset(m.enterprise.id for m in members)
        if len(members) < MIN_ENTERPRISES or ids in seen:
            continue
        seen.add(ids)
        rows.append(_row(sector, country, members))
    hidden = sum(1 for sector, country, members in candidates[:len(pairs)]
                 if len(members) < MIN_ENTERPRISES)
    keys = [key for key in CATALOGUE if any(row.kpis[key] is not None for row in rows)]
    return ProgrammeReport(rows, keys, len(figures), hidden)


async def programme_report(session: AsyncSession, now: datetime) -> ProgrammeReport:
    enterprises = list(await session.scalars(select(Enterprise).order_by(Enterprise.id)))
    return group([await enterprise_figures(session, e, now) for e in enterprises])


# --- as a table, CSV and XLSX ----------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """Column headings and group names in the reader's language (the caller translates)."""

    group: str
    enterprises: str
    every_sector: str
    every_country: str
    kpi: Callable[[str], str]  # KPI key -> "Defect rate, % better than baseline"
    figures: dict[str, str]  # FIGURES key -> heading


def table(report: ProgrammeReport, labels: Labels) -> tuple[list[str], list[list[object]]]:
    """Headings and rows (numbers rounded to one decimal, None where not shown)."""
    headings = [labels.group, labels.enterprises,
                *(labels.kpi(key) for key in report.kpi_keys),
                *(labels.figures[key] for key in FIGURES)]
    rows: list[list[object]] = []
    for row in report.rows:
        name = f"{row.sector or labels.every_sector}, {row.country or labels.every_country}"
        values = [row.kpis[key] for key in report.kpi_keys] + [row.figures[key] for key in
                                                                FIGURES]
        rows.append([name, row.enterprises,
                     *(None if value is None else round(value, 1) for value in values)])
    return headings, rows


def to_text(headings: list[str], rows: list[list[object]]) -> str:
    """A plain fixed-width table for a terminal."""
    cells = [headings] + [["–" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(str(line[i])) for line in cells) for i in range(len(headings))]
    lines = []
    for number, line in enumerate(cells):
        lines.append("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                               for i, (v, w) in enumerate(zip(line, widths, strict=True))))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_csv(headings: list[str], rows: list[list[object]]) -> str:
    return export.to_csv(headings, [
        {h: "" if v is None else str(v) for h, v in zip(headings, row, strict=True)}
        for row in rows])


def to_xlsx(headings: list[str], rows: list[list[object]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, heading in enumerate(headings, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(
            12, min(40, len(heading) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
