"""A consultant's journeys across several enterprises: every command that acts on one
enterprise asks which, and acts on the one chosen."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import FakeClock
from bot.services import kpis
from storage.models import Enterprise, EnterpriseKpi, Role
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest

FRIDAY = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
NAMES = ("Accra Garments", "R&D <Tools> Ltd", "Tema Foods")


async def three_enterprises(tg: BotUnderTest, consultant):  # type: ignore[no-untyped-def]
    enterprises = []
    for name in NAMES:
        enterprise, _team = await enterprise_with_team(tg.app.session_factory, name, "Line 1",
                                                       clock=tg.clock)
        async with tg.app.session_factory() as session, session.begin():
            ent = await session.get(Enterprise, enterprise.id)
            await kpis.enable_kpi(session, ent, "defect_rate", baseline=8.0, target=2.0,
                                  now=tg.clock.now())
        token = (await invite(tg.app.session_factory, enterprise, None, Role.CONSULTANT,
                              tg.clock)).token
        await tg.send(consultant, f"/start {token}")
        enterprises.append(enterprise)
    return enterprises


async def defect_rate_of(tg: BotUnderTest, enterprise_id: int) -> EnterpriseKpi:
    async with tg.app.session_factory() as session:
        return await session.scalar(select(EnterpriseKpi).where(
            EnterpriseKpi.enterprise_id == enterprise_id, EnterpriseKpi.key == "defect_rate"))


async def test_a_consultant_with_three_enterprises_works_on_the_second(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY)) as tg:
        nadia = tg.person("Nadia")
        first, second, third = await three_enterprises(tg, nadia)

        # /kpi: which enterprise? Then the second one's report.
        (which,) = await tg.send(nadia, "/kpi")
        assert which.text == "Which enterprise?"
        assert which.button_texts() == list(NAMES)
        report, chart = await tg.press(nadia, which, "R&D <Tools> Ltd")
        assert "Defect rate" in report.text and chart.photo is not None

        # /baseline on the second enterprise changes only its KPI.
        (which,) = await tg.send(nadia, "/baseline")
        (menu,) = await tg.press(nadia, which, 1)
        (prompt,) = await tg.press(nadia, menu, "Defect rate")
        assert "8 %" in prompt.text
        (done,) = await tg.send(nadia, "7.5")
        assert "7.5 %" in done.text
        assert (await defect_rate_of(tg, second.id)).baseline == 7.5
        assert (await defect_rate_of(tg, first.id)).baseline == 8.0
        assert (await defect_rate_of(tg, third.id)).baseline == 8.0

        # /points on the second enterprise, too.
        (which,) = await tg.send(nadia, "/points")
        (menu,) = await tg.press(nadia, which, "R&D <Tools> Ltd")
        (prompt,) = await tg.press(nadia, menu, "Defect rate")
        await tg.send(nadia, "8:-60; 4:0; 1:80")
        assert (await defect_rate_of(tg, second.id)).contingency == [
            [1.0, 80.0], [4.0, 0.0], [8.0, -60.0]]
        assert (await defect_rate_of(tg, first.id)).contingency == [
            [14.0, -100.0], [8.0, 0.0], [2.0, 100.0]]


async def test_a_forged_enterprise_button_is_refused(database_url):
    from bot.keyboards.callbacks import EnterpriseCallback

    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY)) as tg:
        nadia = tg.person("Nadia")
        await three_enterprises(tg, nadia)
        other, _team = await enterprise_with_team(tg.app.session_factory, "Not hers",
                                                  clock=tg.clock)
        (which,) = await tg.send(nadia, "/kpi")
        replies = await tg.press_data(nadia, which,
                                      EnterpriseCallback(action="kpi", id=other.id).pack())
        assert replies == []
        assert tg.callback_answers()[-1]["show_alert"] == "true"
