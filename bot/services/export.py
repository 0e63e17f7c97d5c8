"""Impact-monitoring data for a programme: one table per subject (KPIs, effectiveness per
week, suggestions, action items, lesson progress, escalations), as rows of typed values
(dates and times in the enterprise's timezone, numbers as numbers), written as CSV files or
one XLSX workbook a consultant can open and read: headings and sheet names in the reader's
language, real date cells, bold frozen headings, columns wide enough to read.

Anonymity holds here too (bot/services/anonymity.py): a suggestion's author column is
filled only for named ones; an anonymous suggestion shows the ISO week instead of its times,
and its team only when the team has at least K people; an escalation about an anonymous
suggestion shows weeks, not times, too (a stall is detected a fixed time after the
suggestion was sent). Lesson progress is counted per team and lesson, not per person: the
programme needs completion, not anyone's quiz marks."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services import anonymity, kpis
from storage.models import (
    ActionItem,
    ActionNote,
    Enterprise,
    EnterpriseKpi,
    EscalationEvent,
    KpiValue,
    LessonDelivery,
    Person,
    Stall,
    StallKind,
    Suggestion,
    Team,
)

Value = str | float | int | date | datetime | None
Row = dict[str, Value]

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Words:
    """What the reader reads instead of codes: headings, sheet names, KPI names and coded
    values (statuses, areas, yes/no), in their language. The default is the codes."""

    headings: Mapping[str, str] = field(default_factory=dict)
    titles: Mapping[str, str] = field(default_factory=dict)
    kpi_name: Callable[[EnterpriseKpi], str] = lambda kpi: kpi.key
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def value(self, column: str, code: str) -> str:
        return self.values.get(column, {}).get(code, code)


class _Clock:
    """Times as the enterprise reads them: local, without a timezone (spreadsheets have
    none), or an ISO week where a time could narrow an anonymous person down."""

    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)

    def local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.zone).replace(tzinfo=None) if moment else None

    def week(self, moment: datetime | None) -> str | None:
        return anonymity.iso_week(moment, self.timezone) if moment else None


SUGGESTION_COLUMNS = (
    "reference", "team", "author", "anonymous", "area", "status", "created_at",
    "first_response_at", "implemented_at", "money_saved", "hours_saved", "defects_avoided",
    "impact_note", "decline_reason", "duplicate_of", "text",
)  # fmt: skip


async def suggestion_rows(session: AsyncSession, enterprise_id: int,
                          clock: _Clock | None = None, words: Words | None = None) -> list[Row]:
    words = words or Words()
    if clock is None:
        enterprise = await session.get(Enterprise, enterprise_id)
        clock = _Clock(enterprise.timezone if enterprise else "UTC")
    author = aliased(Person)
    rows = (await session.execute(
        select(Suggestion, Team.name, author.display_name)
        .outerjoin(Team, Team.id == Suggestion.team_id)
        # The author comes from author_id alone, which anonymous suggestions do not have.
        .outerjoin(author, author.id == Suggestion.author_id)
        .where(Suggestion.enterprise_id == enterprise_id)
        .order_by(Suggestion.id)
    )).all()
    sizes = await anonymity.team_sizes(
        session, {s.team_id for s, _t, _a in rows if s.anonymous and s.team_id is not None})
    table: list[Row] = []
    for suggestion, team_name, author_name in rows:
        anonymous = suggestion.anonymous
        when = clock.week if anonymous else clock.local
        team_shown = not anonymous or anonymity.team_is_shown(
            sizes.get(suggestion.team_id, 0) if suggestion.team_id else 0)
        table.append({
            "reference": suggestion.reference,
            "team": (team_name or "") if team_shown else "",
            "author": "" if anonymous else (author_name or ""),
            "anonymous": words.value("anonymous", "yes" if anonymous else "no"),
            "area": words.value("area", suggestion.area.value) if suggestion.area else "",
            "status": words.value("status", suggestion.status.value),
            "created_at": when(suggestion.created_at),
            "first_response_at": when(suggestion.first_response_at),
            "implemented_at": when(suggestion.implemented_at),
            "money_saved": suggestion.money_saved,
            "hours_saved": suggestion.hours_saved,
            "defects_avoided": suggestion.defects_avoided,
            "impact_note": suggestion.impact_note,
            "decline_reason": suggestion.decline_reason,
            "duplicate_of": f"S{suggestion.duplicate_of_id}" if suggestion.duplicate_of_id
            else "",
            "text": suggestion.text,
        })
    return table


KPI_COLUMNS = ("week", "kpi", "unit", "value", "skipped_reason", "baseline", "target", "key")


async def kpi_rows(session: AsyncSession, enterprise_id: int, words: Words) -> list[Row]:
    rows = await session.execute(
        select(KpiValue, EnterpriseKpi)
        .join(EnterpriseKpi, EnterpriseKpi.id == KpiValue.enterprise_kpi_id)
        .where(EnterpriseKpi.enterprise_id == enterprise_id)
        .order_by(KpiValue.week, EnterpriseKpi.position, EnterpriseKpi.id)
    )
    return [{
        "week": value.week, "kpi": words.kpi_name(kpi), "unit": kpi.unit, "value": value.value,
        "skipped_reason": value.skipped_reason, "baseline": kpi.baseline,
        "target": kpi.target, "key": kpi.key,
    } for value, kpi in rows]


EFFECTIVENESS_COLUMNS = ("enterprise", "iso_week", "effectiveness", "percent_of_maximum")


async def effectiveness_rows(session: AsyncSession, enterprise: Enterprise) -> list[Row]:
    """The ProMES score of every week with KPI figures: the sum of the KPIs' effectiveness,
    and that sum as a percent of the most the KPIs could score."""
    weeks = await session.scalars(
        select(KpiValue.week).distinct()
        .join(EnterpriseKpi, EnterpriseKpi.id == KpiValue.enterprise_kpi_id)
        .where(EnterpriseKpi.enterprise_id == enterprise.id)
        .order_by(KpiValue.week)
    )
    table: list[Row] = []
    for week in list(weeks):
        score = await kpis.effectiveness(session, enterprise.id, week)
        if not score.per_indicator:
            continue
        year, number, _day = week.isocalendar()
        percent = score.percent_of_maximum
        table.append({
            "enterprise": enterprise.name, "iso_week": f"{year}-W{number:02d}",
            "effectiveness": round(score.overall, 1),
            "percent_of_maximum": round(percent, 1) if percent is not None else None,
        })
    return table


ACTION_COLUMNS = (
    "id", "team", "title", "owner", "status", "source", "source_ref", "due_on", "created_at",
    "done_at", "notes", "photos",
)  # fmt: skip


async def action_rows(session: AsyncSession, enterprise_id: int, clock: _Clock,
                      words: Words) -> list[Row]:
    notes = (select(ActionNote.action_id, func.count().label("notes"),
                    func.count(ActionNote.photo_file_id).label("photos"))
             .group_by(ActionNote.action_id).subquery())
    rows = await session.execute(
        select(ActionItem, Team.name, Person.display_name, notes.c.notes, notes.c.photos)
        .outerjoin(Team, Team.id == ActionItem.team_id)
        .outerjoin(Person, Person.id == ActionItem.owner_id)
        .outerjoin(notes, notes.c.action_id == ActionItem.id)
        .where(ActionItem.enterprise_id == enterprise_id)
        .order_by(ActionItem.id)
    )
    return [{
        "id": item.id, "team": team or "", "title": item.title, "owner": owner or "",
        "status": words.value("action_status", item.status.value), "source": item.source,
        "source_ref": item.source_ref, "due_on": item.due_on,
        "created_at": clock.local(item.created_at), "done_at": clock.local(item.done_at),
        "notes": note_count or 0, "photos": photo_count or 0,
    } for item, team, owner, note_count, photo_count in rows]


LESSON_COLUMNS = ("team", "lesson", "delivered", "opened", "answered", "correct_first_time")


async def lesson_rows(session: AsyncSession, enterprise_id: int) -> list[Row]:
    rows = await session.execute(
        select(Team.name, LessonDelivery.lesson_id, func.count(),
               func.count(LessonDelivery.opened_at), func.count(LessonDelivery.answered_at),
               func.count().filter(LessonDelivery.correct.is_(True)))
        .join(Team, Team.id == LessonDelivery.team_id)
        .where(Team.enterprise_id == enterprise_id)
        .group_by(Team.name, LessonDelivery.lesson_id)
        .order_by(Team.name, LessonDelivery.lesson_id)
    )
    return [dict(zip(LESSON_COLUMNS, (team, lesson, *counts), strict=True))
            for team, lesson, *counts in rows]


ESCALATION_COLUMNS = (
    "stall", "kind", "subject", "reason", "detected_at", "status", "resolved_at", "event",
    "event_at", "level", "by",
)  # fmt: skip


async def escalation_rows(session: AsyncSession, enterprise: Enterprise, clock: _Clock,
                          words: Words) -> list[Row]:
    """Every stall with its history, one row per event. The subject is named: the action's
    title, the suggestion's reference (never its author or team), the team (or enterprise)
    that missed its check-ins."""
    rows = await session.execute(
        select(Stall, EscalationEvent, Person.display_name, ActionItem.title, Suggestion.id,
               Suggestion.anonymous, Team.name)
        .join(EscalationEvent, EscalationEvent.stall_id == Stall.id)
        .outerjoin(Person, Person.id == EscalationEvent.actor_id)
        .outerjoin(ActionItem, and_(Stall.kind == StallKind.ACTION,
                                    ActionItem.id == Stall.subject_id))
        .outerjoin(Suggestion, and_(Stall.kind == StallKind.SUGGESTION,
                                    Suggestion.id == Stall.subject_id))
        .outerjoin(Team, Team.id == Stall.team_id)
        .where(Stall.enterprise_id == enterprise.id)
        .order_by(Stall.id, EscalationEvent.id)
    )
    table: list[Row] = []
    for stall, event, actor, title, suggestion_id, anonymous, team in rows:
        if stall.kind is StallKind.ACTION:
            subject = title or ""
        elif stall.kind is StallKind.SUGGESTION:
            subject = f"S{suggestion_id}" if suggestion_id else ""
        else:
            subject = team or enterprise.name
        when = clock.week if anonymous else clock.local
        table.append({
            "stall": stall.id, "kind": words.value("kind", stall.kind.value),
            "subject": subject, "reason": stall.reason, "detected_at": when(stall.detected_at),
            "status": words.value("stall_status", stall.status.value),
            "resolved_at": when(stall.resolved_at), "event": event.event,
            "event_at": when(event.at), "level": event.level, "by": actor or "",
        })
    return table


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[Row]


async def all_tables(session: AsyncSession, enterprise_id: int,
                     words: Words | None = None) -> list[Table]:
    words = words or Words()
    enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None:
        return []
    clock = _Clock(enterprise.timezone)
    return [
        Table("kpis", KPI_COLUMNS, await kpi_rows(session, enterprise_id, words)),
        Table("effectiveness", EFFECTIVENESS_COLUMNS,
              await effectiveness_rows(session, enterprise)),
        Table("suggestions", SUGGESTION_COLUMNS,
              await suggestion_rows(session, enterprise_id, clock, words)),
        Table("actions", ACTION_COLUMNS,
              await action_rows(session, enterprise_id, clock, words)),
        Table("lessons", LESSON_COLUMNS, await lesson_rows(session, enterprise_id)),
        Table("escalations", ESCALATION_COLUMNS,
              await escalation_rows(session, enterprise, clock, words)),
    ]


MIN_WIDTH, MAX_WIDTH = 8, 60


def to_xlsx(tables: Iterable[Table], words: Words | None = None) -> bytes:
    """One workbook, one sheet per table: bold headings in the reader's language, frozen;
    dates and times as date cells; columns as wide as their content (within limits)."""
    words = words or Words()
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(words.titles.get(table.name, table.name)))
        headings = [words.headings.get(column, column) for column in table.columns]
        sheet.append(headings)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        widths = [len(heading) for heading in headings]
        for row in table.rows:
            values = [_cell(row[column]) for column in table.columns]
            sheet.append(values)
            for index, value in enumerate(values):
                widths[index] = max(widths[index], _width(value))
        for column_index in range(1, len(table.columns) + 1):
            letter = get_column_letter(column_index)
            sheet.column_dimensions[letter].width = min(
                MAX_WIDTH, max(MIN_WIDTH, widths[column_index - 1] + 2))
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column_index,
                                          max_col=column_index):
                if isinstance(cell.value, datetime):
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(cell.value, date):
                    cell.number_format = DATE_FORMAT
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    return _SHEET_FORBIDDEN.sub(" ", title).strip()[:31] or "sheet"


def _width(value: object) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0) if value else 0


def _cell(value: Value) -> Value:
    """Numbers and dates as themselves, so a spreadsheet can sum and sort them; text that a
    spreadsheet would run as a formula is quoted."""
    if value is None:
        return None
    if isinstance(value, str):
        return defused(value)
    return value


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def defused(value: str) -> str:
    """Text a spreadsheet would run as a formula (a title starting with "=") is quoted."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not NUMBER.fullmatch(value) \
        else value


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(columns: Iterable[str], rows: Iterable[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({key: defused(_text(value)) for key, value in row.items()}
                     for row in rows)
    return buffer.getvalue()
