"""Lessons read aloud by people: a consultant or an admin records a lesson in a language; a
second person (another consultant, or an admin) approves it; then workers of that language
can listen to it. Kept by Telegram file id, with who recorded and who approved.

A recording reads one part of a lesson: "lesson" (its text) or "quiz" (its quiz question and
answers, heard with "▶️ Listen" under the question)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from storage.models import Enterprise, LessonRecording, Membership, Person, Role

RECORDING_ROLES = frozenset({Role.CONSULTANT, Role.ADMIN})

Part = Literal["lesson", "quiz"]
PARTS: tuple[Part, ...] = ("lesson", "quiz")


def may_record(memberships: Iterable[Membership], programme_admin: bool = False) -> bool:
    return programme_admin or any(m.role in RECORDING_ROLES for m in memberships)


def may_approve(recording: LessonRecording, person: Person, memberships: Iterable[Membership],
                programme_admin: bool = False) -> bool:
    """A second consultant, or an admin: never the person who recorded it."""
    return recording.recorded_by_id != person.id and may_record(memberships, programme_admin)


def record(session: AsyncSession, *, lesson_id: str, locale: str, file_id: str, by: Person,
           now: datetime, part: Part = "lesson") -> LessonRecording:
    recording = LessonRecording(lesson_id=lesson_id, locale=locale, file_id=file_id,
                                part=part, recorded_by_id=by.id, recorded_at=now)
    session.add(recording)
    return recording


def approve(session: AsyncSession, recording: LessonRecording, by: Person,
            now: datetime) -> None:
    recording.approved_by_id = by.id
    recording.approved_at = now
    audit.record(session, "recording.approve", actor_id=by.id, enterprise_id=None,
                 subject="lesson_recording", subject_id=recording.id,
                 lesson=recording.lesson_id, locale=recording.locale, part=recording.part)


async def reject(session: AsyncSession, recording: LessonRecording) -> None:
    await session.delete(recording)


async def pending(session: AsyncSession, limit: int = 10) -> list[LessonRecording]:
    """Recordings waiting for a second person, oldest first."""
    return list(await session.scalars(
        select(LessonRecording).where(LessonRecording.approved_at.is_(None))
        .order_by(LessonRecording.recorded_at, LessonRecording.id).limit(limit)))


async def approved_voice(session: AsyncSession, lesson_id: str, locale: str,
                         part: Part = "lesson") -> LessonRecording | None:
    """The recording workers of `locale` hear for this lesson (or its quiz): the latest
    approved one."""
    return await session.scalar(
        select(LessonRecording)
        .where(LessonRecording.lesson_id == lesson_id, LessonRecording.locale == locale,
               LessonRecording.part == part, LessonRecording.approved_at.is_not(None))
        .order_by(LessonRecording.approved_at.desc(), LessonRecording.id.desc()).limit(1))


async def voice_coverage(session: AsyncSession, part: Part = "lesson") -> Counter[str]:
    """How many lessons have an approved voice version (of `part`), per locale."""
    rows = await session.execute(
        select(LessonRecording.locale, LessonRecording.lesson_id)
        .where(LessonRecording.approved_at.is_not(None), LessonRecording.part == part)
        .distinct())
    return Counter(locale for locale, _lesson in rows)


async def coverage_report(database_url: str, lesson_count: int, locales: Iterable[str]) -> str:
    """`scorebot content check`'s lines on voice versions and pictures: per language, how many
    lessons workers can listen to, how many quiz questions, and how many lessons have an
    approved picture (pictures have no language: the same count in every row; each shows in
    the enterprises it was attached for). Reads the database only if there is one (a missing
    SQLite file is not created)."""
    import asyncio
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from bot.services.pictures import picture_coverage
    from storage.db import create_engine, create_session_factory

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not await asyncio.to_thread(
            Path(url.database).exists):
        return "Voice versions: no database yet, so none."
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            counts = await voice_coverage(session)
            quizzes = await voice_coverage(session, "quiz")
            pictured = await picture_coverage(session)
    except Exception as error:  # an unmigrated or unreachable database: say so, go on
        reason = str(getattr(error, "orig", None) or error).splitlines()[0][:120]
        return f"Voice versions: not counted (the database could not be read: {reason})."
    finally:
        await engine.dispose()
    lines = ["Voice versions and pictures (approved), lessons per language:"]
    lines += [f"  {locale:8} {counts.get(locale, 0)} of {lesson_count} voice, "
              f"{quizzes.get(locale, 0)} of {lesson_count} quiz read aloud, "
              f"{pictured} of {lesson_count} with a picture" for locale in locales]
    return "\n".join(lines)


async def get(session: AsyncSession, recording_id: int) -> LessonRecording | None:
    return await session.get(LessonRecording, recording_id)


async def recorder_of(session: AsyncSession, recording: LessonRecording) -> Person | None:
    if recording.recorded_by_id is None:
        return None
    return await session.get(Person, recording.recorded_by_id)


async def approvers(session: AsyncSession, recorder: Person,
                     memberships: list[Membership]) -> list[tuple[Person, Enterprise]]:
    """The other consultants and admins of the recorder's enterprises, each once."""
    enterprise_ids = {m.enterprise_id for m in memberships}
    rows = await session.execute(
        select(Person, Enterprise).join(Membership, Membership.person_id == Person.id)
        .join(Enterprise, Enterprise.id == Membership.enterprise_id)
        .where(Membership.enterprise_id.in_(enterprise_ids),
               Membership.role.in_(RECORDING_ROLES), Person.id != recorder.id)
        .order_by(Person.id))
    seen: dict[int, tuple[Person, Enterprise]] = {}
    for approver, enterprise in rows:
        seen.setdefault(approver.id, (approver, enterprise))
    return list(seen.values())
