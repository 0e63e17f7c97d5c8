"""Lessons: what comes next for whom, when a team's lessons are due, quiz answers and reviews,
and progress. No Telegram here: the scheduler and the handlers render and send.

Pacing rules:
- each team has lesson days and a time in its enterprise's timezone (default Tue, Thu 10:00);
  at that moment every active member gets their next lesson;
- a lesson not opened within the enterprise's reminder hours gets one reminder, no more,
  and never at night;
- someone who misses three scheduled lessons in a row is pointed out to the team lead once;
- a quiz answered wrongly comes back as a review three days later, twice at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Curriculum
from bot.content.schema import Lesson
from bot.services import audit, pictures, recordings
from bot.services.planner import few
from storage.models import Enterprise, LessonDelivery, Membership, Person, Team

REVIEW_AFTER = timedelta(days=3)
MAX_REVIEWS = 2
MISSED_IN_A_ROW = 3
# Reminders and scheduled messages wait for daytime in the enterprise's timezone.
DAY_STARTS = time(7, 0)
DAY_ENDS = time(21, 0)
# A wave missed by more than this (the bot was down) is skipped rather than sent late.
WAVE_GRACE = timedelta(hours=12)


def is_daytime(moment: datetime, timezone: str) -> bool:
    local = moment.astimezone(ZoneInfo(timezone)).time()
    return DAY_STARTS <= local < DAY_ENDS


SUNDAY = 7


def is_working_daytime(moment: datetime, timezone: str) -> bool:
    """Daytime on a working day (Monday to Saturday): when reminders and escalations go out."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.isoweekday() != SUNDAY and is_daytime(moment, timezone)


def latest_slot(team: Team, timezone: str, now: datetime) -> datetime | None:
    """The most recent scheduled lesson moment at or before `now`, in UTC."""
    from bot.services.local_time import local_moment

    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    days = team.weekdays
    if not days:
        return None
    for back in range(8):
        day = today - timedelta(days=back)
        if day.isoweekday() not in days:
            continue
        moment = local_moment(day, time(team.lesson_hour, team.lesson_minute), zone)
        if moment <= now:
            return moment
    return None


def wave_due(team: Team, timezone: str, now: datetime) -> datetime | None:
    """The slot whose lessons should go out now, or None. A late wave waits for daytime on
    a working day (`bot.services.daytime`), and is skipped once past its grace."""
    from bot.services.daytime import may_go_now, within_grace

    slot = latest_slot(team, timezone, now)
    if slot is None or not within_grace(slot, now, timezone, WAVE_GRACE):
        return None
    already = team.lessons_sent_for or team.created_at
    if slot <= already or not may_go_now(slot, now, timezone):
        return None
    return slot


async def countries_of(session: AsyncSession, person_id: int) -> list[str]:
    """The countries (ISO codes) of the enterprises a person belongs to: where a lesson's
    country notes apply to them."""
    rows = await session.scalars(
        select(Enterprise.country)
        .join(Membership, Membership.enterprise_id == Enterprise.id)
        .where(Membership.person_id == person_id)
        .distinct()
    )
    return sorted({country.upper() for country in rows if country})


async def delivered_ids(session: AsyncSession, person_id: int) -> set[str]:
    rows = await session.scalars(
        select(LessonDelivery.lesson_id).where(LessonDelivery.person_id == person_id)
    )
    return set(rows)


def next_lesson(curriculum: Curriculum, done: set[str], start_module: int) -> Lesson | None:
    """The first lesson not yet given, from the team's current module on; earlier modules'
    lessons come after, so a newcomer catches up once the team's modules are done."""
    ordered = [lesson for lesson in curriculum.lessons if lesson.module >= start_module] + [
        lesson for lesson in curriculum.lessons if lesson.module < start_module
    ]
    return next((lesson for lesson in ordered if lesson.id not in done), None)


async def next_lesson_for(
    session: AsyncSession, curriculum: Curriculum, person: Person, team: Team | None
) -> Lesson | None:
    done = await delivered_ids(session, person.id)
    # Carry on from the furthest lesson the person has had (lessons since removed from the
    # curriculum do not count); a newcomer starts at the team's module.
    known = [curriculum.index(lesson_id) for lesson_id in done if curriculum.get(lesson_id)]
    newcomer_start = team.current_module if team else 1
    start = curriculum.lessons[max(known)].module if known else newcomer_start
    return next_lesson(curriculum, done, start)


def record_delivery(
    session: AsyncSession,
    person: Person,
    lesson: Lesson,
    team: Team | None,
    now: datetime,
    *,
    scheduled: bool,
) -> LessonDelivery:
    delivery = LessonDelivery(
        person_id=person.id,
        team_id=team.id if team else None,
        lesson_id=lesson.id,
        scheduled=scheduled,
        sent_at=now,
        opened_at=None if scheduled else now,
    )
    session.add(delivery)
    return delivery


async def team_members_to_teach(session: AsyncSession, team: Team) -> list[Person]:
    """Members who get lessons: every member of the team not paused and not blocking us."""
    return list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.team_id == team.id,
                Person.paused.is_(False),
                Person.blocked_bot.is_(False),
            )
            .order_by(Person.id)
        )
    )


async def find_delivery(
    session: AsyncSession, person_id: int, lesson_id: str
) -> LessonDelivery | None:
    return await session.scalar(
        select(LessonDelivery).where(
            LessonDelivery.person_id == person_id, LessonDelivery.lesson_id == lesson_id
        )
    )


def mark_opened(delivery: LessonDelivery, now: datetime) -> bool:
    """Returns True the first time the lesson is opened."""
    if delivery.opened_at is not None:
        return False
    delivery.opened_at = now
    return True


@dataclass(frozen=True)
class Answer:
    correct: bool
    first_time: bool  # False when the person had answered before (the first answer counts)


def answer_quiz(
    session: AsyncSession, delivery: LessonDelivery, lesson: Lesson, option: int, now: datetime
) -> Answer:
    correct = option == lesson.answer
    if delivery.answered_at is not None:
        return Answer(correct, first_time=False)
    delivery.opened_at = delivery.opened_at or now
    delivery.answered_at = now
    delivery.chosen_option = option
    delivery.correct = correct
    if not correct:
        delivery.review_due_at = now + REVIEW_AFTER
    audit.record(session, "lesson.answer", actor_id=delivery.person_id, subject="lesson",
                 lesson=lesson.id, correct=correct)
    return Answer(correct, first_time=True)


def answer_review(delivery: LessonDelivery, lesson: Lesson, option: int, now: datetime) -> Answer:
    """A review answer. Wrong again: back once more, unless it has come back twice."""
    correct = option == lesson.answer
    if delivery.review_passed is not None or delivery.review_due_at is not None:
        return Answer(correct, first_time=False)  # already settled, or not asked yet
    if correct:
        delivery.review_passed = True
    elif delivery.reviews_sent < MAX_REVIEWS:
        delivery.review_due_at = now + REVIEW_AFTER
    else:
        delivery.review_passed = False
    return Answer(correct, first_time=True)


async def due_reminders(session: AsyncSession, now: datetime) -> list[
    tuple[LessonDelivery, Person, Enterprise]
]:
    """Scheduled lessons unopened past their enterprise's reminder hours, not yet reminded."""
    rows = await session.execute(
        select(LessonDelivery, Person, Enterprise)
        .join(Person, Person.id == LessonDelivery.person_id)
        .join(Team, Team.id == LessonDelivery.team_id)
        .join(Enterprise, Enterprise.id == Team.enterprise_id)
        .where(
            LessonDelivery.scheduled.is_(True),
            LessonDelivery.opened_at.is_(None),
            LessonDelivery.reminded_at.is_(None),
            # Coarse pre-filter (no enterprise waits less than an hour); exact hours below.
            LessonDelivery.sent_at <= now - timedelta(hours=1),
            Person.paused.is_(False),
            Person.blocked_bot.is_(False),
        )
        # Claimed: a second scan running at the same time skips these rows, and sees them
        # reminded once this one commits (PostgreSQL; SQLite has one process).
        .with_for_update(of=LessonDelivery, skip_locked=True)
    )
    # Sorted here, not in SQL: with ORDER BY id, SQLite reads every delivery in id order
    # instead of the few unopened ones through ix_lesson_deliveries_due_reminder.
    return sorted(
        (
            (delivery, person, enterprise)
            for delivery, person, enterprise in rows
            if delivery.sent_at <= now - timedelta(hours=enterprise.lesson_reminder_hours)
        ),
        key=lambda row: row[0].id,
    )


async def due_reviews(session: AsyncSession, now: datetime) -> list[
    tuple[LessonDelivery, Person, Enterprise | None]
]:
    rows = await session.execute(
        select(LessonDelivery, Person, Enterprise)
        .join(Person, Person.id == LessonDelivery.person_id)
        .outerjoin(Team, Team.id == LessonDelivery.team_id)
        .outerjoin(Enterprise, Enterprise.id == Team.enterprise_id)
        .where(
            LessonDelivery.review_due_at.is_not(None),
            few(session, LessonDelivery.review_due_at <= now),
            Person.paused.is_(False),
            Person.blocked_bot.is_(False),
        )
    )
    # Sorted here, not in SQL, and the due range marked as holding few rows (`few`): else
    # SQLite reads every person and looks their deliveries up, at 100,000 people a fifth of
    # a second each minute.
    return sorted(rows, key=lambda row: row[0].id)


async def missed_streak(session: AsyncSession, person_id: int) -> list[LessonDelivery]:
    """The person's last three scheduled lessons when all were missed (never opened) and not
    yet reported; else an empty list."""
    last = list(
        await session.scalars(
            select(LessonDelivery)
            .where(LessonDelivery.person_id == person_id, LessonDelivery.scheduled.is_(True))
            .order_by(LessonDelivery.sent_at.desc(), LessonDelivery.id.desc())
            .limit(MISSED_IN_A_ROW)
        )
    )
    if len(last) < MISSED_IN_A_ROW:
        return []
    if any(d.opened_at is not None or d.missed_reported for d in last):
        return []
    return last


# --- progress ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    opened_by_module: dict[int, int]
    total_by_module: dict[int, int]
    answered: int
    correct: int
    streak: int  # scheduled lessons opened in a row, most recent first

    @property
    def opened(self) -> int:
        return sum(self.opened_by_module.values())

    @property
    def score(self) -> float | None:
        return self.correct / self.answered if self.answered else None


async def person_progress(
    session: AsyncSession, curriculum: Curriculum, person_id: int
) -> Progress:
    deliveries = list(
        await session.scalars(
            select(LessonDelivery)
            .where(LessonDelivery.person_id == person_id)
            .order_by(LessonDelivery.sent_at.desc(), LessonDelivery.id.desc())
        )
    )
    return _progress(curriculum, deliveries)


def _progress(curriculum: Curriculum, deliveries: list[LessonDelivery]) -> Progress:
    totals = {m: len(curriculum.module_lessons(m)) for m in range(1, 6)}
    opened = dict.fromkeys(totals, 0)
    for delivery in deliveries:
        lesson = curriculum.get(delivery.lesson_id)
        if lesson is not None and delivery.opened_at is not None:
            opened[lesson.module] += 1
    streak = 0
    for delivery in (d for d in deliveries if d.scheduled):
        if delivery.opened_at is None:
            break
        streak += 1
    answered = [d for d in deliveries if d.answered_at is not None]
    return Progress(opened, totals, len(answered), sum(1 for d in answered if d.correct),
                    streak)


@dataclass(frozen=True)
class MemberProgress:
    person: Person
    progress: Progress
    missed_in_a_row: bool


async def team_progress(
    session: AsyncSession, curriculum: Curriculum, team_id: int
) -> list[MemberProgress]:
    members = list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.team_id == team_id)
            .order_by(Person.display_name)
        )
    )
    deliveries = list(
        await session.scalars(
            select(LessonDelivery)
            .where(LessonDelivery.person_id.in_([m.id for m in members]))
            .order_by(LessonDelivery.sent_at.desc(), LessonDelivery.id.desc())
        )
    )
    by_person: dict[int, list[LessonDelivery]] = {m.id: [] for m in members}
    for delivery in deliveries:
        by_person[delivery.person_id].append(delivery)
    result = []
    for member in members:
        own = by_person[member.id]
        scheduled = [d for d in own if d.scheduled][:MISSED_IN_A_ROW]
        missed = len(scheduled) == MISSED_IN_A_ROW and all(d.opened_at is None for d in scheduled)
        result.append(MemberProgress(member, _progress(curriculum, own), missed))
    return result



@dataclass(frozen=True)
class LessonMedia:
    """What comes with a lesson for one person (Telegram file ids): its approved voice and
    quiz recordings in their language, the approved picture for their enterprises, and
    whether they chose to hear lessons first."""

    voice: str | None
    quiz_voice: str | None
    picture: str | None
    voice_first: bool


async def media_for(session: AsyncSession, lesson: Lesson, person: Person,
                    locale: str) -> LessonMedia:
    voice = await recordings.approved_voice(session, lesson.id, locale)
    quiz_voice = await recordings.approved_voice(session, lesson.id, locale, "quiz")
    picture = await pictures.approved_picture(session, lesson.id, person.id)
    return LessonMedia(voice.file_id if voice else None,
                       quiz_voice.file_id if quiz_voice else None,
                       picture.file_id if picture else None, person.voice_first)


async def latest_unopened(session: AsyncSession, person_id: int) -> LessonDelivery | None:
    """The lesson last sent to the person that they have not opened yet."""
    return await session.scalar(
        select(LessonDelivery)
        .where(LessonDelivery.person_id == person_id, LessonDelivery.opened_at.is_(None))
        .order_by(LessonDelivery.sent_at.desc())
        .limit(1)
    )
