"""Impact-monitoring data for a programme: one table per subject, as rows of plain values.
Anonymity holds here too: a suggestion's author column is filled only for named ones."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Person, Suggestion, Team

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


def to_csv(columns: Iterable[str], rows: Iterable[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
