"""Late work waits for daytime: the bot is down from Tuesday 03:00 to Wednesday 03:00 in
Paris, so Tuesday's 16:00 lesson wave is 11 hours late when it comes back; it goes out at
07:00, not in the night. A check-in reminder missed in the evening waits for the morning
too, and the rules hold across a weekend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.clock import FakeClock
from bot.services import daytime
from storage.models import Role, Team
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest
from tests.test_kpis_e2e import FRIDAY_1400_LIMA
from tests.test_kpis_e2e import setup as checkin_setup

PARIS = ZoneInfo("Europe/Paris")
LIMA = ZoneInfo("America/Lima")


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


async def test_a_wave_late_by_a_night_goes_out_at_seven_not_at_three(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(paris(2, 10))) as tg:  # Monday
        _enterprise, team = await enterprise_with_team(
            tg.app.session_factory, "Atelier Lyonnais", "Couture", country="FR",
            timezone="Europe/Paris", locale="fr", clock=tg.clock)
        async with tg.app.session_factory() as session, session.begin():
            await session.execute(update(Team).where(Team.id == team.id).values(
                lesson_weekdays="2", lesson_hour=16, lesson_minute=0))  # Tuesdays 16:00
        marie = await tg.join("Marie", Role.WORKER, team, "fr")
        before = len(tg.telegram.messages_to(marie.id))

        tg.clock.set(paris(3, 3))  # Tuesday 03:00: the bot goes down
        await tg.run_scheduled()
        tg.clock.set(paris(4, 3))  # Wednesday 03:00: back, 11 h after the 16:00 slot
        assert await tg.run_scheduled() == []
        tg.clock.set(paris(4, 6, 59))
        assert await tg.run_scheduled() == []
        tg.clock.set(paris(4, 7))
        (teaser,) = [m for m in await tg.run_scheduled() if m.chat_id == marie.id]
        assert len(tg.telegram.messages_to(marie.id)) == before + 1
        assert teaser.text


async def test_a_missed_evening_reminder_waits_for_the_morning(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY_1400_LIMA - timedelta(
            days=3))) as tg:
        _enterprise, _team, rosa = await checkin_setup(tg)
        tg.clock.set(FRIDAY_1400_LIMA)
        (invitation,) = [m for m in await tg.run_scheduled() if m.chat_id == rosa.id]
        saturday = FRIDAY_1400_LIMA.astimezone(LIMA).date() + timedelta(days=1)
        # Down from Friday 17:00 to Saturday 03:00: the 18:00 reminder is late, at night.
        tg.clock.set(datetime.combine(saturday, datetime.min.time(), LIMA) + timedelta(hours=3))
        assert [m for m in await tg.run_scheduled() if m.chat_id == rosa.id] == []
        tg.clock.set(datetime.combine(saturday, datetime.min.time(), LIMA) + timedelta(hours=7))
        (reminder,) = [m for m in await tg.run_scheduled() if m.chat_id == rosa.id]
        assert reminder.text != invitation.text


def test_late_work_is_held_to_the_next_working_morning():
    saturday_night = datetime(2026, 3, 7, 22, 30, tzinfo=PARIS)
    monday_morning = datetime(2026, 3, 9, 7, 0, tzinfo=PARIS)
    assert daytime.next_working_daytime(saturday_night, "Europe/Paris") == monday_morning
    due = datetime(2026, 3, 7, 20, 0, tzinfo=PARIS)
    assert daytime.may_go_now(due, due + timedelta(minutes=5), "Europe/Paris")  # on time
    assert not daytime.may_go_now(due, saturday_night, "Europe/Paris")
    assert not daytime.may_go_now(due, datetime(2026, 3, 8, 12, 0, tzinfo=PARIS),
                                  "Europe/Paris")  # Sunday noon
    assert daytime.may_go_now(due, monday_morning, "Europe/Paris")
    # A 12-hour grace that ends at night lasts until the next working morning.
    assert daytime.within_grace(due, monday_morning, "Europe/Paris", timedelta(hours=12))
    assert not daytime.within_grace(due, monday_morning + timedelta(hours=2), "Europe/Paris",
                                    timedelta(hours=12))
    assert datetime(2026, 3, 9, 6, 0, tzinfo=UTC) == monday_morning  # 07:00 Paris is 06:00 UTC
