"""Pictures in lessons: a consultant or an admin attaches a photo from the factory floor (a 5S
board, a guarded machine) to a lesson, for the enterprises they follow; a second person of
those enterprises (another consultant, or an admin) approves it; then the lesson comes to
those enterprises' workers as the photo with the text. Kept by Telegram file id, with who
attached and who approved it, and the enterprises fixed when it was attached."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.recordings import RECORDING_ROLES
from storage.models import (
    Enterprise,
    LessonPicture,
    LessonPictureEnterprise,
    Membership,
    Person,
)


async def attach(session: AsyncSession, *, lesson_id: str, file_id: str, by: Person,
                 enterprise_ids: Iterable[int], now: datetime) -> LessonPicture:
    picture = LessonPicture(lesson_id=lesson_id, file_id=file_id, attached_by_id=by.id,
                            attached_at=now)
    session.add(picture)
    await session.flush()
    for enterprise_id in sorted(set(enterprise_ids)):
        session.add(LessonPictureEnterprise(picture_id=picture.id, enterprise_id=enterprise_id))
    return picture


def following(memberships: Iterable[Membership]) -> list[int]:
    """The enterprises in which a person may attach and approve pictures."""
    return sorted({m.enterprise_id for m in memberships if m.role in RECORDING_ROLES})


async def enterprises_of(session: AsyncSession, picture: LessonPicture) -> list[int]:
    return list(await session.scalars(
        select(LessonPictureEnterprise.enterprise_id)
        .where(LessonPictureEnterprise.picture_id == picture.id)
        .order_by(LessonPictureEnterprise.enterprise_id)))


async def enterprise_names(session: AsyncSession, picture: LessonPicture) -> list[str]:
    return list(await session.scalars(
        select(Enterprise.name)
        .join(LessonPictureEnterprise, LessonPictureEnterprise.enterprise_id == Enterprise.id)
        .where(LessonPictureEnterprise.picture_id == picture.id).order_by(Enterprise.name)))


async def may_approve(session: AsyncSession, picture: LessonPicture, person: Person,
                      memberships: Iterable[Membership]) -> bool:
    """A second consultant or admin of one of the picture's enterprises; never the person
    who attached it."""
    if picture.attached_by_id == person.id:
        return False
    return bool(set(following(memberships)) & set(await enterprises_of(session, picture)))


def approve(session: AsyncSession, picture: LessonPicture, by: Person, now: datetime) -> None:
    picture.approved_by_id = by.id
    picture.approved_at = now
    audit.record(session, "picture.approve", actor_id=by.id, enterprise_id=None,
                 subject="lesson_picture", subject_id=picture.id, lesson=picture.lesson_id)


async def reject(session: AsyncSession, picture: LessonPicture) -> None:
    await session.delete(picture)


async def get(session: AsyncSession, picture_id: int) -> LessonPicture | None:
    return await session.get(LessonPicture, picture_id)


async def attacher_of(session: AsyncSession, picture: LessonPicture) -> Person | None:
    if picture.attached_by_id is None:
        return None
    return await session.get(Person, picture.attached_by_id)


async def pending_for(session: AsyncSession, person: Person, memberships: Iterable[Membership],
                      limit: int = 10) -> list[LessonPicture]:
    """Pictures of the person's enterprises waiting for a second person, oldest first (not
    their own)."""
    enterprise_ids = following(memberships)
    ids = select(LessonPictureEnterprise.picture_id).where(
        LessonPictureEnterprise.enterprise_id.in_(enterprise_ids))
    return list(await session.scalars(
        select(LessonPicture)
        .where(LessonPicture.approved_at.is_(None), LessonPicture.id.in_(ids),
               (LessonPicture.attached_by_id.is_(None))
               | (LessonPicture.attached_by_id != person.id))
        .order_by(LessonPicture.attached_at, LessonPicture.id).limit(limit)))


async def approved_picture(session: AsyncSession, lesson_id: str,
                           person_id: int) -> LessonPicture | None:
    """The picture this person sees with the lesson: the latest approved one attached for
    one of their enterprises."""
    theirs = select(Membership.enterprise_id).where(Membership.person_id == person_id)
    shown = select(LessonPictureEnterprise.picture_id).where(
        LessonPictureEnterprise.enterprise_id.in_(theirs.scalar_subquery()))
    return await session.scalar(
        select(LessonPicture)
        .where(LessonPicture.lesson_id == lesson_id, LessonPicture.approved_at.is_not(None),
               LessonPicture.id.in_(shown.scalar_subquery()))
        .order_by(LessonPicture.approved_at.desc(), LessonPicture.id.desc()).limit(1))


async def approvers(session: AsyncSession, attacher: Person,
                    enterprise_ids: Iterable[int]) -> list[tuple[Person, Enterprise]]:
    """The other consultants and admins of the picture's enterprises, each once."""
    rows = await session.execute(
        select(Person, Enterprise).join(Membership, Membership.person_id == Person.id)
        .join(Enterprise, Enterprise.id == Membership.enterprise_id)
        .where(Membership.enterprise_id.in_(list(enterprise_ids)),
               Membership.role.in_(RECORDING_ROLES), Person.id != attacher.id)
        .order_by(Person.id))
    seen: dict[int, tuple[Person, Enterprise]] = {}
    for approver, enterprise in rows:
        seen.setdefault(approver.id, (approver, enterprise))
    return list(seen.values())


async def picture_coverage(session: AsyncSession) -> int:
    """How many lessons have an approved picture in at least one enterprise."""
    return len(set(await session.scalars(
        select(LessonPicture.lesson_id).where(LessonPicture.approved_at.is_not(None)))))
