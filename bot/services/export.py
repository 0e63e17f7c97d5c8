"""Impact-monitoring data for a programme: one table per subject (KPIs, suggestions, action
items, lesson progress, escalations), as rows of plain values, written as CSV files or one
XLSX workbook.

Anonymity holds here too: a suggestion's author column is filled only for named ones. Lesson
progress is counted per team and lesson, not per person: the programme needs completion, not
anyone's quiz marks."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    ActionItem,
    ActionNote,
    EnterpriseKpi,
    EscalationEvent,
    KpiValue,
    LessonDelivery,
    Person,
    Stall,
    Suggestion,
    Team,
)

SUGGESTION_COLUMNS = (
    "reference", "team", "author", "anonymous", "area", "status", "created_at",
    "first_response_at", "implemented_at", "money_saved", "hours_saved", "defects_avoided",
    "impact_note", "decline_reason", "duplicate_of", "text",
)  # fmt: skip


def _iso(value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else (
        "" if value is None else str(value)
    )


async def suggestion_rows(session: AsyncSession, enterprise_id: int) -> list[dict[str, str]]:
    author = aliased(Person)
    rows = await session.execute(
        select(Suggestion, Team.name, author.display_name)
        .outerjoin(Team, Team.id == Suggestion.team_id)
        # The author comes from author_id alone, which anonymous suggestions do not have.
        .outerjoin(author, author.id == Suggestion.author_id)
        .where(Suggestion.enterprise_id == enterprise_id)
        .order_by(Suggestion.id)
    )
    table = []
    for suggestion, team_name, author_name in rows:
        table.append({
            "reference": suggestion.reference,
            "team": team_name or "",
            "author": "" if suggestion.anonymous else (author_name or ""),
            "anonymous": "yes" if suggestion.anonymous else "no",
            "area": suggestion.area.value if suggestion.area else "",
            "status": suggestion.status.value,
            "created_at": _iso(suggestion.created_at),
            "first_response_at": _iso(suggestion.first_response_at),
            "implemented_at": _iso(suggestion.implemented_at),
            "money_saved": _iso(suggestion.money_saved),
            "hours_saved": _iso(suggestion.hours_saved),
            "defects_avoided": _iso(suggestion.defects_avoided),
            "impact_note": suggestion.impact_note,
            "decline_reason": suggestion.decline_reason,
            "duplicate_of": f"S{suggestion.duplicate_of_id}" if suggestion.duplicate_of_id
            else "",
            "text": suggestion.text,
        })
    return table


KPI_COLUMNS = ("week", "kpi", "unit", "value", "skipped_reason", "baseline", "target")


async def kpi_rows(session: AsyncSession, enterprise_id: int) -> list[dict[str, str]]:
    rows = await session.execute(
        select(KpiValue, EnterpriseKpi)
        .join(EnterpriseKpi, EnterpriseKpi.id == KpiValue.enterprise_kpi_id)
        .where(EnterpriseKpi.enterprise_id == enterprise_id)
        .order_by(KpiValue.week, EnterpriseKpi.position, EnterpriseKpi.id)
    )
    return [{
        "week": _iso(value.week), "kpi": kpi.key, "unit": kpi.unit, "value": _iso(value.value),
        "skipped_reason": value.skipped_reason, "baseline": _iso(kpi.baseline),
        "target": _iso(kpi.target),
    } for value, kpi in rows]


ACTION_COLUMNS = (
    "id", "team", "title", "owner", "status", "source", "source_ref", "due_on", "created_at",
    "done_at", "notes", "photos",
)  # fmt: skip


async def action_rows(session: AsyncSession, enterprise_id: int) -> list[dict[str, str]]:
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
        "id": str(item.id), "team": team or "", "title": item.title, "owner": owner or "",
        "status": item.status.value, "source": item.source, "source_ref": item.source_ref,
        "due_on": _iso(item.due_on), "created_at": _iso(item.created_at),
        "done_at": _iso(item.done_at), "notes": str(note_count or 0),
        "photos": str(photo_count or 0),
    } for item, team, owner, note_count, photo_count in rows]


LESSON_COLUMNS = ("team", "lesson", "delivered", "opened", "answered", "correct_first_time")


async def lesson_rows(session: AsyncSession, enterprise_id: int) -> list[dict[str, str]]:
    rows = await session.execute(
        select(Team.name, LessonDelivery.lesson_id, func.count(),
               func.count(LessonDelivery.opened_at), func.count(LessonDelivery.answered_at),
               func.count().filter(LessonDelivery.correct.is_(True)))
        .join(Team, Team.id == LessonDelivery.team_id)
        .where(Team.enterprise_id == enterprise_id)
        .group_by(Team.name, LessonDelivery.lesson_id)
        .order_by(Team.name, LessonDelivery.lesson_id)
    )
    return [dict(zip(LESSON_COLUMNS, (team, lesson, *map(str, counts)), strict=True))
            for team, lesson, *counts in rows]


ESCALATION_COLUMNS = (
    "stall", "kind", "subject", "reason", "detected_at", "status", "resolved_at", "event",
    "event_at", "level", "by",
)  # fmt: skip


async def escalation_rows(session: AsyncSession, enterprise_id: int) -> list[dict[str, str]]:
    """Every stall with its history, one row per event."""
    rows = await session.execute(
        select(Stall, EscalationEvent, Person.display_name)
        .join(EscalationEvent, EscalationEvent.stall_id == Stall.id)
        .outerjoin(Person, Person.id == EscalationEvent.actor_id)
        .where(Stall.enterprise_id == enterprise_id)
        .order_by(Stall.id, EscalationEvent.id)
    )
    return [{
        "stall": str(stall.id), "kind": stall.kind.value, "subject": str(stall.subject_id),
        "reason": stall.reason, "detected_at": _iso(stall.detected_at),
        "status": stall.status.value, "resolved_at": _iso(stall.resolved_at),
        "event": event.event, "event_at": _iso(event.at), "level": str(event.level),
        "by": actor or "",
    } for stall, event, actor in rows]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, str]]


async def all_tables(session: AsyncSession, enterprise_id: int) -> list[Table]:
    return [
        Table("kpis", KPI_COLUMNS, await kpi_rows(session, enterprise_id)),
        Table("suggestions", SUGGESTION_COLUMNS, await suggestion_rows(session, enterprise_id)),
        Table("actions", ACTION_COLUMNS, await action_rows(session, enterprise_id)),
        Table("lessons", LESSON_COLUMNS, await lesson_rows(session, enterprise_id)),
        Table("escalations", ESCALATION_COLUMNS, await escalation_rows(session, enterprise_id)),
    ]


def to_xlsx(tables: Iterable[Table]) -> bytes:
    """One workbook, one sheet per table, header row frozen."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(table.name)
        sheet.freeze_panes = "A2"
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([_cell(row[column]) for column in table.columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _cell(value: str) -> str | float:
    """Numbers as numbers, so a spreadsheet can sum them; text stays text."""
    return float(value) if NUMBER.fullmatch(value) else defused(value)


def defused(value: str) -> str:
    """Text a spreadsheet would run as a formula (a title starting with "=") is quoted."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not NUMBER.fullmatch(value) \
        else value


def to_csv(columns: Iterable[str], rows: Iterable[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({key: defused(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()
