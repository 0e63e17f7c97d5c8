"""Lesson pacing rules, without Telegram: schedule slots in the enterprise's timezone, what
comes next, quiz and review answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.content.loader import load_curriculum
from bot.services import lessons
from storage.models import LessonDelivery, Team

CURRICULUM = load_curriculum()


def team(days: str = "2,4", hour: int = 10, created: datetime | None = None) -> Team:
    return Team(name="T", enterprise_id=1, lesson_weekdays=days, lesson_hour=hour,
                lesson_minute=0, created_at=created or datetime(2026, 1, 1, tzinfo=UTC),
                lessons_sent_for=None, current_module=1)


@pytest.mark.parametrize(
    ("timezone", "now", "expected"),
    [
        # Tuesday 10:00 in Lima is 15:00 UTC.
        ("America/Lima", datetime(2026, 3, 3, 15, 0, tzinfo=UTC),
         datetime(2026, 3, 3, 15, 0, tzinfo=UTC)),
        ("America/Lima", datetime(2026, 3, 3, 14, 59, tzinfo=UTC),
         datetime(2026, 2, 26, 15, 0, tzinfo=UTC)),  # the Thursday before
        # Tuesday 10:00 in Ho Chi Minh City is 03:00 UTC.
        ("Asia/Ho_Chi_Minh", datetime(2026, 3, 3, 3, 0, tzinfo=UTC),
         datetime(2026, 3, 3, 3, 0, tzinfo=UTC)),
        # Across a daylight-saving change (Johannesburg has none; Europe/Paris does).
        ("Europe/Paris", datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
         datetime(2026, 3, 31, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_latest_slot_is_in_the_enterprise_timezone(timezone, now, expected):
    assert lessons.latest_slot(team(), timezone, now) == expected


def test_a_wave_is_due_once_and_not_for_a_team_created_after_the_slot():
    slot = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    fresh = team(created=slot + timedelta(minutes=5))
    assert lessons.wave_due(fresh, "UTC", slot + timedelta(minutes=10)) is None
    old = team()
    assert lessons.wave_due(old, "UTC", slot + timedelta(minutes=1)) == slot
    old.lessons_sent_for = slot
    assert lessons.wave_due(old, "UTC", slot + timedelta(minutes=2)) is None
    # A slot missed by more than the grace period (the bot was down) is not sent late.
    stale = team()
    assert lessons.wave_due(stale, "UTC", slot + timedelta(hours=13)) is None


def test_next_lesson_starts_at_the_team_module_then_catches_up():
    module3 = CURRICULUM.first_of_module(3)
    assert lessons.next_lesson(CURRICULUM, set(), 3) == module3
    everything_from_3 = {lesson.id for lesson in CURRICULUM.lessons if lesson.module >= 3}
    assert lessons.next_lesson(CURRICULUM, everything_from_3, 3) == CURRICULUM.lessons[0]
    assert lessons.next_lesson(CURRICULUM, {lesson.id for lesson in CURRICULUM.lessons}, 1) is None


def delivery() -> LessonDelivery:
    return LessonDelivery(person_id=1, lesson_id=CURRICULUM.lessons[0].id, scheduled=True,
                          sent_at=datetime(2026, 3, 3, tzinfo=UTC), reviews_sent=0,
                          missed_reported=False)


class FakeSession:
    def add(self, _obj: object) -> None:
        pass


def test_a_wrong_answer_comes_back_twice_at_most():
    lesson = CURRICULUM.lessons[0]
    wrong = (lesson.answer + 1) % len(lesson.text["en"].options)
    now = datetime(2026, 3, 3, 10, tzinfo=UTC)
    d = delivery()
    first = lessons.answer_quiz(FakeSession(), d, lesson, wrong, now)  # type: ignore[arg-type]
    assert first.first_time and not first.correct
    assert d.review_due_at == now + lessons.REVIEW_AFTER
    again = lessons.answer_quiz(FakeSession(), d, lesson, lesson.answer, now)  # type: ignore[arg-type]
    assert not again.first_time and d.correct is False  # the first answer counts

    for sent in (1, 2):
        d.review_due_at, d.reviews_sent = None, sent  # the scheduler sent review `sent`
        assert lessons.answer_review(d, lesson, wrong, now).first_time
    assert d.review_due_at is None and d.review_passed is False  # no third time


def test_a_right_review_settles_it():
    lesson = CURRICULUM.lessons[0]
    d = delivery()
    d.reviews_sent = 1
    assert lessons.answer_review(d, lesson, lesson.answer, datetime.now(UTC)).correct
    assert d.review_passed is True
    assert not lessons.answer_review(d, lesson, lesson.answer, datetime.now(UTC)).first_time


def test_daytime_is_local():
    assert lessons.is_daytime(datetime(2026, 3, 3, 4, 0, tzinfo=UTC), "Asia/Ho_Chi_Minh")
    assert not lessons.is_daytime(datetime(2026, 3, 3, 4, 0, tzinfo=UTC), "America/Lima")
