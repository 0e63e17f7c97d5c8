"""Lessons read aloud by people: a consultant or an admin records a lesson in a language; a
second person (another consultant, or an admin) approves it; then workers of that language
can listen to it. Kept by Telegram file id, with who recorded and who approved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from storage.models import LessonRecording, Membership, Person, Role

RECORDING_ROLES = frozenset({Role.CONSULTANT, Role.ADMIN})


def may_record(memberships: Iterable[Membership], programme_admin: bool = False) -> bool:
    return programme_admin or any(m.role in RECORDING_ROLES for m in memberships)


def may_approve(recording: LessonRecording, person: Person, memberships: Iterable[Membership],
                programme_admin: bool = False) -> bool:
    """A second consultant, or an admin: never the person who recorded it."""
    return recording.recorded_by_id != person.id and may_record(memberships, programme_admin)


def record(session: AsyncSession, *, lesson_id: str, locale: str, file_id: str, by: Person,
           now: datetime) -> LessonRecording:
    recording = LessonRecording(lesson_id=lesson_id, locale=locale, file_id=file_id,
                                recorded_by_id=by.id, recorded_at=now)
    session.add(recording)
    return recording


def approve(session: AsyncSession, recording: LessonRecording, by: Person,
            now: datetime) -> None:
    recording.approved_by_id = by.id
    recording.approved_at = now
    audit.record(session, "recording.approve", actor_id=by.id, enterprise_id=None,
                 subject="lesson_recording", subject_id=recording.id,
                 lesson=recording.lesson_id, locale=recording.locale)


async def reject(session: AsyncSession, recording: LessonRecording) -> None:
    await session.delete(recording)


async def pending(session: AsyncSession, limit: int = 10) -> list[LessonRecording]:
    """Recordings waiting for a second person, oldest first."""
    return list(await session.scalars(
        select(LessonRecording).where(LessonRecording.approved_at.is_(None))
        .order_by(LessonRecording.recorded_at, LessonRecording.id).limit(limit)))


async def approved_voice(session: AsyncSession, lesson_id: str,
                         locale: str) -> LessonRecording | None:
    """The recording workers of `locale` hear for this lesson: the latest approved one."""
    return await session.scalar(
        select(LessonRecording)
        .where(LessonRecording.lesson_id == lesson_id, LessonRecording.locale == locale,
               LessonRecording.approved_at.is_not(None))
        .order_by(LessonRecording.approved_at.desc(), LessonRecording.id.desc()).limit(1))


async def voice_coverage(session: AsyncSession) -> Counter[str]:
    """How many lessons have an approved voice version, per locale."""
    rows = await session.execute(
        select(LessonRecording.locale, LessonRecording.lesson_id)
        .where(LessonRecording.approved_at.is_not(None)).distinct())
    return Counter(locale for locale, _lesson in rows)
