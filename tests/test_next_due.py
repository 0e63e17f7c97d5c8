"""Next-due moments: the scan reads only teams, enterprises and group links whose moment has
come, so the moments must be right across daylight-saving changes (a skipped local hour runs
at the first valid moment after it, a repeated one once), move when a schedule or timezone
changes, and survive a restart in the middle of a wave (nothing sent twice, nothing skipped).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

import bot.scheduling.lessons as lesson_job
from bot.clock import FakeClock
from bot.services import enterprises, next_due
from bot.services.lessons import latest_slot
from bot.services.local_time import local_moment
from storage.models import (
    LOOK_NOW,
    CheckinRound,
    Enterprise,
    LessonDelivery,
    OutboxMessage,
    Role,
    Team,
)
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- local times across daylight saving ----------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "day", "at", "expected"),
    [
        # Paris springs forward at 02:00 (to 03:00 CEST) on 29 March 2026: 02:30 is skipped
        # and happens at the jump, 03:00 CEST = 01:00 UTC.
        ("Europe/Paris", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        ("Europe/Paris", date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),
        ("Europe/Paris", date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0)),
        # Paris falls back at 03:00 (to 02:00 CET) on 25 October 2026: 02:30 comes twice,
        # the first (CEST, 00:30 UTC) counts.
        ("Europe/Paris", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        # Santiago springs forward at midnight (to 01:00) on 6 September 2026: 00:30 is
        # skipped, and happens at 01:00 -03 = 04:00 UTC.
        ("America/Santiago", date(2026, 9, 6), time(0, 30), utc(2026, 9, 6, 4, 0)),
        # Santiago falls back at midnight (to 23:00) on 5 April 2026: 23:30 on the 4th comes
        # twice, the first (-03, 02:30 UTC) counts.
        ("America/Santiago", date(2026, 4, 4), time(23, 30), utc(2026, 4, 5, 2, 30)),
        # An ordinary hour is just itself.
        ("America/Santiago", date(2026, 4, 6), time(10, 0), utc(2026, 4, 6, 14, 0)),
    ],
)
def test_a_local_time_is_one_instant(timezone, day, at, expected):
    assert local_moment(day, at, timezone) == expected


def team(days: str = "2,4", hour: int = 10, minute: int = 0,
         sent_for: datetime | None = None) -> Team:
    return Team(name="T", enterprise_id=1, lesson_weekdays=days, lesson_hour=hour,
                lesson_minute=minute, created_at=utc(2026, 1, 1), lessons_sent_for=sent_for)


@pytest.mark.parametrize(
    ("timezone", "hour", "minute", "before", "first", "then"),
    [
        # Sunday lessons at 02:30 in Paris: the skipped one at 01:00 UTC, the next a week
        # later at 02:30 CEST (00:30 UTC).
        ("Europe/Paris", 2, 30, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0),
         utc(2026, 4, 5, 0, 30)),
        # The repeated one at its first occurrence (00:30 UTC), the next at 02:30 CET.
        ("Europe/Paris", 2, 30, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 30),
         utc(2026, 11, 1, 1, 30)),
        # Sunday 00:30 in Santiago, skipped on 6 September: at the jump (04:00 UTC).
        ("America/Santiago", 0, 30, utc(2026, 9, 5, 12, 0), utc(2026, 9, 6, 4, 0),
         utc(2026, 9, 13, 3, 30)),
        # An ordinary 10:00 follows the clock change: 09:00 UTC before, 08:00 after.
        ("Europe/Paris", 10, 0, utc(2026, 3, 22, 12, 0), utc(2026, 3, 29, 8, 0),
         utc(2026, 4, 5, 8, 0)),
    ],
)
def test_the_next_wave_across_a_clock_change(timezone, hour, minute, before, first, then):
    sunday = team("7", hour, minute)
    sunday.lessons_sent_for = latest_slot(sunday, timezone, before)  # the last wave went
    assert next_due.next_lesson_at(sunday, timezone, before) == first
    sunday.lessons_sent_for = first  # the wave went
    assert next_due.next_lesson_at(sunday, timezone, first) == then


def test_a_repeated_hour_is_not_due_again_the_second_time():
    """Santiago, Saturday 23:30 on 4 April 2026 comes twice (02:30 and 03:30 UTC)."""
    saturday = team("6", 23, 30)
    first, second = utc(2026, 4, 5, 2, 30), utc(2026, 4, 5, 3, 30)
    assert next_due.next_lesson_at(saturday, "America/Santiago", first - timedelta(hours=1)) \
        == first
    saturday.lessons_sent_for = first
    assert lesson_rules_due(saturday, "America/Santiago", second) is None
    assert next_due.next_lesson_at(saturday, "America/Santiago", second) == utc(
        2026, 4, 12, 3, 30)  # 23:30 -04 a week later


def lesson_rules_due(team: Team, timezone: str, now: datetime) -> datetime | None:
    from bot.services.lessons import wave_due

    return wave_due(team, timezone, now)


def test_a_late_wave_waits_for_the_morning_then_the_next_slot():
    """Missed at 10:00 (the bot was down), seen at 22:00: not at night; the scan looks again
    at 07:00, when it may go."""
    tuesday = team("2", 10, 0)
    night = utc(2026, 3, 3, 22, 0)  # Accra is UTC
    assert next_due.next_lesson_at(tuesday, "Africa/Accra", night) == utc(2026, 3, 4, 7, 0)
    tuesday.lessons_sent_for = utc(2026, 3, 3, 10, 0)
    assert next_due.next_lesson_at(tuesday, "Africa/Accra", night) == utc(2026, 3, 10, 10, 0)


def test_the_check_in_moves_with_the_clock_and_through_its_steps():
    paris = Enterprise(name="P", country="FR", timezone="Europe/Paris", default_locale="fr",
                       checkin_weekday=5, checkin_hour=14, created_at=utc(2026, 1, 1))
    # Friday 14:00 in Paris: 13:00 UTC before the change, 12:00 after.
    assert next_due.next_checkin_at(paris, None, True, utc(2026, 3, 23)) == utc(
        2026, 3, 27, 13, 0)
    assert next_due.next_checkin_at(paris, None, True, utc(2026, 3, 30)) == utc(
        2026, 4, 3, 12, 0)
    opened = utc(2026, 4, 3, 12, 0)
    round_ = CheckinRound(enterprise_id=1, week=date(2026, 3, 30), opened_at=opened)
    # Invited: the reminder at 18:00 (16:00 UTC), then the nudge next morning at 10:00.
    assert next_due.next_checkin_at(paris, round_, True, opened) == utc(2026, 4, 3, 16, 0)
    round_.reminded_at = utc(2026, 4, 3, 16, 0)
    assert next_due.next_checkin_at(paris, round_, True, round_.reminded_at) == utc(
        2026, 4, 4, 8, 0)
    round_.completed_at = utc(2026, 4, 3, 17, 0)  # done: next week's opening
    assert next_due.next_checkin_at(paris, round_, True, round_.reminded_at) == utc(
        2026, 4, 10, 12, 0)
    # No KPI to ask about: nothing before next week (tracking one looks again at once).
    assert next_due.next_checkin_at(paris, None, False, opened) == utc(2026, 4, 10, 12, 0)


# --- end to end ------------------------------------------------------------------------------


async def _set_lessons(tg: BotUnderTest, team_id: int, days: str, hour: int,
                       minute: int) -> None:
    """A schedule outside what /schedule offers (night hours), stored as a service would."""
    async with tg.app.session_factory() as session, session.begin():
        row = await session.get(Team, team_id)
        enterprise = await session.get(Enterprise, row.enterprise_id)
        row.lesson_weekdays, row.lesson_hour, row.lesson_minute = days, hour, minute
        await next_due.refresh_team(session, row, enterprise, tg.clock.now())


async def _team(tg: BotUnderTest, team_id: int) -> Team:
    async with tg.app.session_factory() as session:
        found = await session.get(Team, team_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("timezone", "days", "hour", "minute", "joined", "first", "again"),
    [
        # Paris, Sunday 02:30 on the night the clock skips it: at 01:00 UTC, not again at
        # 01:30 (what 02:30 CET would have been).
        ("Europe/Paris", "7", 2, 30, utc(2026, 3, 23, 9, 0), utc(2026, 3, 29, 1, 0),
         utc(2026, 3, 29, 1, 30)),
        # Paris, Sunday 02:30 on the night it comes twice: at 00:30 UTC, not at 01:30.
        ("Europe/Paris", "7", 2, 30, utc(2026, 10, 19, 9, 0), utc(2026, 10, 25, 0, 30),
         utc(2026, 10, 25, 1, 30)),
        # Santiago, Sunday 00:30 skipped: at 04:00 UTC.
        ("America/Santiago", "7", 0, 30, utc(2026, 8, 31, 15, 0), utc(2026, 9, 6, 4, 0),
         utc(2026, 9, 6, 4, 30)),
        # Santiago, Saturday 23:30 twice: at 02:30 UTC, not at 03:30.
        ("America/Santiago", "6", 23, 30, utc(2026, 3, 30, 15, 0), utc(2026, 4, 5, 2, 30),
         utc(2026, 4, 5, 3, 30)),
    ],
)
async def test_a_wave_at_a_skipped_or_repeated_hour_goes_once(
        database_url, timezone, days, hour, minute, joined, first, again):
    async with BotUnderTest(database_url, clock=FakeClock(joined)) as tg:
        _enterprise, crew = await enterprise_with_team(
            tg.app.session_factory, "Atelier", "Couture", country="FR", timezone=timezone,
            locale="en", clock=tg.clock)
        marie = await tg.join("Marie", Role.WORKER, crew)
        await _set_lessons(tg, crew.id, days, hour, minute)
        assert (await _team(tg, crew.id)).next_lesson_at == first

        tg.clock.set(first - timedelta(minutes=1))
        assert [m for m in await tg.run_scheduled() if m.chat_id == marie.id] == []
        tg.clock.set(first)
        (lesson,) = [m for m in await tg.run_scheduled() if m.chat_id == marie.id]
        assert "lesson" in lesson.text.lower()
        for moment in (first + timedelta(minutes=1), again, again + timedelta(minutes=1)):
            tg.clock.set(moment)
            assert [m for m in await tg.run_scheduled() if m.chat_id == marie.id
                    and "lesson" in m.text.lower()] == []
        stored = await _team(tg, crew.id)
        assert stored.lessons_sent_for == first
        assert stored.next_lesson_at == next_due.next_slot(stored, timezone, first)
        assert stored.next_lesson_at > again


async def test_a_changed_schedule_moves_the_next_wave(database_url):
    """The team lead moves lessons an hour later on /schedule: the next wave is due at
    11:00, stored in the same transaction, and nothing goes at 10:00."""
    monday = utc(2026, 3, 2, 8, 0)  # Accra is UTC
    async with BotUnderTest(database_url, clock=FakeClock(monday)) as tg:
        _enterprise, crew = await enterprise_with_team(tg.app.session_factory,
                                                       clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, crew)
        ama = await tg.join("Ama", Role.WORKER, crew)
        assert (await _team(tg, crew.id)).next_lesson_at == utc(2026, 3, 3, 10, 0)

        editor = (await tg.send(kofi, "/schedule"))[0]
        await tg.press(kofi, editor, "+ 1")
        assert (await _team(tg, crew.id)).next_lesson_at == utc(2026, 3, 3, 11, 0)

        tg.clock.set(utc(2026, 3, 3, 10, 0))
        assert [m for m in await tg.run_scheduled() if m.chat_id == ama.id] == []
        tg.clock.set(utc(2026, 3, 3, 11, 0))
        assert len([m for m in await tg.run_scheduled() if m.chat_id == ama.id]) == 1

        # The check-in day and hour (`scorebot admin enterprise set`) move its moment too.
        async with tg.app.session_factory() as session, session.begin():
            row = await session.get(Enterprise, crew.enterprise_id)
            assert row.next_checkin_at == utc(2026, 3, 6, 14, 0)  # Friday 14:00
            await enterprises.change_rules(session, row, {"checkin_weekday": 3,
                                                          "checkin_hour": 9},
                                           now=tg.clock.now())
            assert row.next_checkin_at == utc(2026, 3, 4, 9, 0)  # Wednesday 09:00


async def test_a_changed_timezone_moves_every_moment(database_url):
    """The enterprise turns out to be in Ho Chi Minh City, not Accra: its lesson wave, check-in
    and self-check follow the new local time at once."""
    monday = utc(2026, 3, 2, 8, 0)
    async with BotUnderTest(database_url, clock=FakeClock(monday)) as tg:
        enterprise, crew = await enterprise_with_team(tg.app.session_factory,
                                                      clock=tg.clock)
        lan = await tg.join("Lan", Role.WORKER, crew)
        async with tg.app.session_factory() as session, session.begin():
            row = await session.get(Enterprise, enterprise.id)
            before = (row.next_checkin_at, row.next_selfcheck_at)
            await enterprises.update_enterprise(session, row, timezone="Asia/Ho_Chi_Minh",
                                                now=tg.clock.now())
            # Friday 14:00 in Ho Chi Minh City is 07:00 UTC (it was 14:00 in Accra).
            assert row.next_checkin_at == utc(2026, 3, 6, 7, 0)
            assert row.next_selfcheck_at == before[1] - timedelta(hours=7)
        # Tuesday 10:00 there is 03:00 UTC.
        assert (await _team(tg, crew.id)).next_lesson_at == utc(2026, 3, 3, 3, 0)
        tg.clock.set(utc(2026, 3, 3, 3, 0))
        assert len([m for m in await tg.run_scheduled() if m.chat_id == lan.id]) == 1
        tg.clock.set(utc(2026, 3, 3, 10, 0))  # the old time: nothing more
        assert [m for m in await tg.run_scheduled() if m.chat_id == lan.id] == []


async def test_a_row_without_a_moment_is_looked_at_by_the_next_scan(database_url):
    """Rows from before the migration (or written without a moment) are due at once; the
    scan decides with the rules and stores the real moment."""
    monday = utc(2026, 3, 2, 8, 0)
    async with BotUnderTest(database_url, clock=FakeClock(monday)) as tg:
        _enterprise, crew = await enterprise_with_team(tg.app.session_factory,
                                                       clock=tg.clock)
        async with tg.app.session_factory() as session, session.begin():
            row = await session.get(Team, crew.id)
            row.next_lesson_at = row.next_summary_at = row.next_pulse_at = LOOK_NOW
        await tg.run_scheduled()
        stored = await _team(tg, crew.id)
        assert stored.next_lesson_at == utc(2026, 3, 3, 10, 0)
        assert stored.next_summary_at == utc(2026, 3, 2, 9, 0)  # this Monday, 09:00
        assert stored.next_pulse_at is not None and stored.next_pulse_at > monday


TEAMS, WORKERS = 5, 2


async def test_a_restart_in_the_middle_of_a_wave_sends_each_lesson_once(database_url,
                                                                       monkeypatch):
    """Five teams' waves are due at once. The process stops (its task cancelled) while the
    third team's lessons are being queued: the first two teams' waves are committed with
    their next moment, the third's is rolled back whole. After the restart the scan sends
    the third, fourth and fifth, and nobody gets a lesson twice."""
    monday = utc(2026, 3, 2, 8, 0)
    async with BotUnderTest(database_url, clock=FakeClock(monday)) as tg:
        crews = []
        for n in range(TEAMS):
            _enterprise, crew = await enterprise_with_team(
                tg.app.session_factory, f"Factory {n}", "Line", clock=tg.clock)
            crews.append(crew)
            for w in range(WORKERS):
                await tg.join(f"Worker {n}.{w}", Role.WORKER, crew)
        tg.clock.set(utc(2026, 3, 3, 10, 0))

        real_notify, calls = lesson_job.notify, []

        def notify_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 2 * WORKERS + 1:  # the third team's first lesson
                raise asyncio.CancelledError
            return real_notify(*args, **kwargs)

        monkeypatch.setattr(lesson_job, "notify", notify_then_stop)
        with pytest.raises(asyncio.CancelledError):
            await lesson_job.send_lesson_waves(tg.app.jobs)
        monkeypatch.setattr(lesson_job, "notify", real_notify)

        async with tg.app.session_factory() as session:
            sent_for = {t.id: t.lessons_sent_for for t in await session.scalars(select(Team))}
        assert [sent_for[c.id] is not None for c in crews] == [True, True, False, False, False]

        await tg.run_scheduled()  # the restarted process's first scan
        await tg.run_scheduled()  # and the next minute's
        async with tg.app.session_factory() as session:
            per_person = (await session.execute(
                select(LessonDelivery.person_id, func.count()).where(LessonDelivery.scheduled)
                .group_by(LessonDelivery.person_id))).all()
            lessons_queued = await session.scalar(select(func.count()).select_from(
                OutboxMessage).where(OutboxMessage.kind == "lesson"))
            teams = list(await session.scalars(select(Team)))
        assert len(per_person) == TEAMS * WORKERS and {n for _p, n in per_person} == {1}
        assert lessons_queued == TEAMS * WORKERS
        assert all(t.lessons_sent_for == utc(2026, 3, 3, 10, 0) for t in teams)
        assert all(t.next_lesson_at == utc(2026, 3, 5, 10, 0) for t in teams)  # Thursday
