"""Check-in journeys: the same week checked in twice (a correction, said as such), a skipped
KPI left out of the week's score and named, and last week corrected as last week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.services import kpis
from storage.models import Enterprise, EnterpriseKpi, KpiValue, Role
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest

# Friday 6 March 2026, 14:00 in Accra (UTC).
FRIDAY = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)


async def setup(tg: BotUnderTest, name: str = "Kumasi Metal Works"):  # type: ignore[no-untyped-def]
    enterprise, team = await enterprise_with_team(tg.app.session_factory, name, "Welding",
                                                  clock=tg.clock)
    async with tg.app.session_factory() as session, session.begin():
        ent = await session.get(Enterprise, enterprise.id)
        await kpis.enable_kpi(session, ent, "defect_rate", baseline=8.0, target=2.0,
                              now=tg.clock.now())
        await kpis.enable_kpi(session, ent, "on_time_delivery", baseline=80.0, target=95.0,
                              now=tg.clock.now())
    ama = tg.person("Ama")
    await tg.send(ama, "/start " + (await invite(tg.app.session_factory, enterprise, None,
                                                 Role.MANAGER, tg.clock)).token)
    kofi = tg.person("Kofi")
    await tg.send(kofi, "/start " + (await invite(tg.app.session_factory, enterprise, team,
                                                  Role.WORKER, tg.clock)).token)
    return enterprise, ama, kofi


async def test_a_second_check_in_in_the_same_week_is_a_correction(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY)) as tg:
        _enterprise, ama, kofi = await setup(tg)
        (invitation,) = await tg.send(ama, "/checkin")
        await tg.press(ama, invitation, "Start the check-in")
        await tg.send(ama, "12.5")
        (summary,) = await tg.send(ama, "96")
        report, _chart = await tg.press(ama, summary, "Save")
        assert "This week's figures" in report.text
        (to_kofi,) = [m for m in await tg.run_scheduled() if m.chat_id == kofi.id]
        assert "12.5 %" in to_kofi.text

        # The same week again: the figures are shown, and the question is whether to correct.
        (again,) = await tg.send(ama, "/checkin")
        assert "in already" in again.text
        assert "12.5 %" in again.text and "96 %" in again.text
        assert again.button_texts() == ["Correct them", "Correct last week",
                                        "Leave them as they are"]
        (question,) = await tg.press(ama, again, "Correct them")
        assert "this week" in question.text and "Recorded now: 12.5 %" in question.text
        (second,) = await tg.send(ama, "10")
        assert "Recorded now: 96 %" in second.text
        (summary,) = await tg.send(ama, "96")
        assert "12.5 % → 10 %" in summary.text
        report, _chart = await tg.press(ama, summary, "Save")
        assert tg.callback_answers()[-1]["text"] == "Corrected. Thank you!"
        assert "Corrected figures for the week of" in report.text

        # The team hears of the correction once: what changed, not the whole report again.
        (notice,) = [m for m in await tg.run_scheduled() if m.chat_id == kofi.id]
        assert "Ama corrected the figures" in notice.text
        assert "12.5 % → 10 %" in notice.text and "96 %" not in notice.text
        async with tg.app.session_factory() as session:
            values = sorted(await session.scalars(select(KpiValue.value)))
        assert values == [10.0, 96.0]

        # Leaving them as they are changes nothing and tells nobody.
        (third,) = await tg.send(ama, "/checkin")
        (kept,) = await tg.press(ama, third, "Leave them as they are")
        assert "Nothing changed" in kept.text and kept.buttons == []
        assert [m for m in await tg.run_scheduled() if m.chat_id == kofi.id] == []


async def test_a_skipped_kpi_is_left_out_of_the_score_and_named(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY)) as tg:
        enterprise, ama, _kofi = await setup(tg)
        (invitation,) = await tg.send(ama, "/checkin")
        await tg.press(ama, invitation, "Start the check-in")
        (second,) = await tg.send(ama, "3")  # defect rate 3 %: +83.3 on its own
        (why,) = await tg.press(ama, second, "Skip")
        assert "Why is it skipped" in why.text
        (summary,) = await tg.send(ama, "the delivery log is lost")
        report, _chart = await tg.press(ama, summary, "Save")
        assert "On-time delivery: skipped: the delivery log is lost" in report.text
        assert "Effectiveness: 83.3 points, 83% of the maximum" in report.text
        assert "left out of the score: On-time delivery" in report.text
        async with tg.app.session_factory() as session:
            score = await kpis.effectiveness(session, enterprise.id,
                                             kpis.week_of(FRIDAY.date()))
        assert list(score.per_indicator.values()) == [score.overall]
        assert round(score.overall, 1) == 83.3


async def test_correcting_last_week_asks_about_last_week_and_shows_the_figure(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY)) as tg:
        _enterprise, ama, _kofi = await setup(tg, "R&D <Tools> Ltd")
        async with tg.app.session_factory() as session, session.begin():
            from bot.languages import SUPPORTED_LOCALES

            custom = await kpis.add_custom_kpi(
                session, await session.get(Enterprise, _enterprise.id),
                names={loc: "Scrap <bins>" for loc in SUPPORTED_LOCALES}, unit="<kg>",
                higher_is_better=False, low=0, high=1000, baseline=None, target=None,
                now=tg.clock.now())
        (invitation,) = await tg.send(ama, "/checkin")
        assert "R&amp;D &lt;Tools&gt; Ltd" in invitation.html
        await tg.press(ama, invitation, "Start the check-in")
        await tg.send(ama, "12.5")
        (third,) = await tg.send(ama, "96")
        assert "<b>Scrap &lt;bins&gt;</b> this week (&lt;kg&gt;)?" in third.html
        (summary,) = await tg.send(ama, "40")
        report, _chart = await tg.press(ama, summary, "Save")
        assert "Scrap &lt;bins&gt;: 40" in report.html
        (kpi_report, _chart) = await tg.send(ama, "/kpi")
        assert "Scrap &lt;bins&gt;" in kpi_report.html

        tg.clock.set(FRIDAY + timedelta(days=7))
        (invitation,) = await tg.send(ama, "/checkin")
        (question,) = await tg.press(ama, invitation, "Correct last week")
        assert "Defect rate last week (%)?" in question.text
        assert "this week" not in question.text
        assert "Recorded now: 12.5 %" in question.text
        await tg.send(ama, "11")
        await tg.send(ama, "96")
        (summary,) = await tg.send(ama, "40")
        assert "12.5 % → 11 %" in summary.text
        await tg.press(ama, summary, "Save")
        async with tg.app.session_factory() as session:
            stored = dict((await session.execute(
                select(EnterpriseKpi.key, KpiValue.value).join(
                    KpiValue, KpiValue.enterprise_kpi_id == EnterpriseKpi.id))).all())
        assert stored == {"defect_rate": 11.0, "on_time_delivery": 96.0, custom.key: 40.0}
