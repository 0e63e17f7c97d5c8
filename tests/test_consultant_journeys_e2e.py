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


GROUP = -1007654321
TUESDAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


async def stalled_action_at_the_consultant(tg: BotUnderTest, name: str = "Kumasi Metal Works"):  # type: ignore[no-untyped-def]
    """An enterprise whose consultant Esi follows it from a linked group, and an action that
    has climbed to the team lead and is due at the consultant's level."""
    from datetime import date, timedelta

    from storage.models import ActionItem, Person, Stall, StallKind

    enterprise, team = await enterprise_with_team(tg.app.session_factory, name, "Cutting",
                                                  clock=tg.clock)
    ama = await tg.join("Ama", Role.WORKER, team)
    esi = await tg.join("Esi", Role.CONSULTANT, enterprise=enterprise)
    tg.telegram.add_group(GROUP, "SCORE Ghana coaching")
    import re

    (codes,) = await tg.send(esi, "/link")
    code = re.search(r"/link ([A-Z0-9]{8})", codes.text).group(1)
    linked = await tg.send_in_group(esi, GROUP, f"/link {code}")
    async with tg.app.session_factory() as session, session.begin():
        owner = await session.scalar(select(Person).where(Person.telegram_id == ama.id))
        item = ActionItem(enterprise_id=enterprise.id, team_id=team.id,
                          title="Mark the walkways", owner_id=owner.id,
                          due_on=date(2026, 2, 20), created_at=tg.clock.now() - timedelta(
                              days=30), updated_at=tg.clock.now() - timedelta(days=20))
        session.add(item)
        await session.flush()
        session.add(Stall(enterprise_id=enterprise.id, team_id=team.id, kind=StallKind.ACTION,
                          subject_id=item.id, reason="overdue", open_key=f"action:{item.id}",
                          detected_at=tg.clock.now() - timedelta(days=10), level=2,
                          escalated_at=tg.clock.now() - timedelta(days=5)))
    return enterprise, ama, esi, linked


async def test_i_will_call_answers_the_groups_copy_too(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(TUESDAY)) as tg:
        _enterprise, _ama, esi, _linked = await stalled_action_at_the_consultant(tg)
        sent = await tg.run_scheduled()
        direct = next(m for m in sent if m.chat_id == esi.id and "Stalled" in m.text)
        in_group = next(m for m in sent if m.chat_id == GROUP and "Stalled" in m.text)
        assert "I will call" in in_group.button_texts()

        (edited,) = await tg.press(esi, direct, "I will call")
        assert "Esi will call." in edited.text and edited.buttons == []
        group_now = tg.telegram.messages_to(GROUP)[-1]
        assert group_now.message_id == in_group.message_id and group_now.edited
        assert "Mark the walkways" in group_now.text and "Esi will call." in group_now.text
        assert group_now.buttons == []


async def test_a_linked_group_has_one_language_chosen_at_link(database_url):

    async with BotUnderTest(database_url, clock=FakeClock(TUESDAY)) as tg:
        enterprise, ama, esi, linked = await stalled_action_at_the_consultant(
            tg, "R&D <Tools> Ltd")
        (reply,) = linked
        assert "R&amp;D &lt;Tools&gt; Ltd" in reply.html
        assert reply.button_texts()[:3] == ["✓ English", "Español", "Français"]
        (chosen,) = await tg.press(esi, reply, "Español")
        assert "Español" in chosen.text and chosen.buttons == []

        # Whoever writes there, the group is answered in Spanish: a French-speaking worker
        # too, and the consultant's alert comes in Spanish.
        pierre = tg.person("Pierre", "fr")
        await tg.send(pierre, "/start " + (await invite(tg.app.session_factory, enterprise,
                                                        None, Role.MANAGER, tg.clock)).token)
        (status,) = await tg.send_in_group(pierre, GROUP, "/status")
        assert "Personas: 3" in status.text
        alert = next(m for m in await tg.run_scheduled() if m.chat_id == GROUP)
        assert "Sin avance" in alert.text

        # Only those who follow the group's enterprises may change it, even by a forged button.
        (refused,) = await tg.send_in_group(ama, GROUP, "/language")
        assert "consultant" in refused.text or "consultor" in refused.text
        assert await tg.press_data(ama, reply, "gl:fr") == []
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        (menu,) = await tg.send_in_group(esi, GROUP, "/language")
        assert "✓ Español" in menu.button_texts()
        await tg.press(esi, menu, "Français")
        (status,) = await tg.send_in_group(pierre, GROUP, "/status")
        assert "Personnes\xa0: 3" in status.text


async def test_the_health_card_lists_what_is_stuck_with_a_way_to_each(database_url):
    from datetime import date, timedelta

    from storage.models import ActionItem, Person

    async with BotUnderTest(database_url, clock=FakeClock(TUESDAY)) as tg:
        enterprise, ama, esi, _linked = await stalled_action_at_the_consultant(tg)
        async with tg.app.session_factory() as session, session.begin():
            owner = await session.scalar(select(Person).where(Person.telegram_id == ama.id))
            session.add(ActionItem(enterprise_id=enterprise.id, title="Fix the <fan>",
                                   owner_id=owner.id, due_on=date(2026, 3, 8),
                                   created_at=tg.clock.now() - timedelta(days=5),
                                   updated_at=tg.clock.now()))
        await tg.run_scheduled()  # the stall reaches the consultant
        fresh, _team = await enterprise_with_team(tg.app.session_factory, "Fresh Start Co",
                                                  clock=tg.clock)
        await tg.send(esi, "/start " + (await invite(tg.app.session_factory, fresh, None,
                                                     Role.CONSULTANT, tg.clock)).token)

        # An enterprise that never entered a figure is "not started", not green.
        (overview,) = await tg.send(esi, "/teams")
        assert "⚪ Fresh Start Co · not started" in overview.text
        assert "🟢" not in overview.text
        (card,) = await tg.press(esi, overview, "🔴 Kumasi Metal Works")
        assert "Overdue:" in card.text
        assert "“Mark the walkways”, Ama: due 2/20/26, 18 days late" in card.text
        assert "“Fix the <fan>”, Ama: due 3/8/26, 2 days late" in card.text
        assert card.button_texts() == ["⚠️ Mark the walkways", "⏰ Fix the <fan>",
                                       "« All enterprises"]

        # The stalled action opens with the consultant's answers; the overdue one with its facts.
        (alert,) = await tg.press(esi, card, "⚠️ Mark the walkways")
        assert "I will call" in alert.button_texts()
        (action,) = await tg.press(esi, card, "⏰ Fix the <fan>")
        assert "Fix the &lt;fan&gt;" in action.html and "2 days late" in action.text
        (back,) = await tg.press(esi, card, "« All enterprises")
        assert "Fresh Start Co" in back.text

        (fresh_card,) = await tg.press(esi, back, "⚪ Fresh Start Co")
        assert "not started" in fresh_card.text
        assert "no KPI figures yet" in fresh_card.text


async def test_a_programme_admins_help_says_what_they_can_really_do(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY), admin_ids=[4242]) as tg:
        admin = tg.person("Programme", user_id=4242)
        enterprises = await three_enterprises(tg, tg.person("Nadia"))
        # A consultant role in one enterprise only: /teams lists that one.
        await tg.send(admin, "/start " + (await invite(tg.app.session_factory, enterprises[0],
                                                       None, Role.CONSULTANT, tg.clock)).token)
        (help_text,) = await tg.send(admin, "/help")
        assert "act in every enterprise" not in help_text.text
        assert "invite people into any enterprise (/invite)" in help_text.text
        assert "To follow an enterprise" in help_text.text
        assert "Your role at Accra Garments: SCORE consultant." in help_text.text
        (teams,) = await tg.send(admin, "/teams")
        assert "Accra Garments" in teams.text and "Tema Foods" not in teams.text
        (invite_menu,) = await tg.send(admin, "/invite")
        assert invite_menu.button_texts() == list(NAMES)


async def test_a_worker_in_two_enterprises_says_which_one_a_suggestion_is_for(database_url):
    from storage.models import Suggestion

    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY)) as tg:
        kofi = tg.person("Kofi")
        companies = []
        for name in NAMES[:2]:
            enterprise, team = await enterprise_with_team(tg.app.session_factory, name,
                                                          "Line 1", clock=tg.clock)
            await tg.send(kofi, "/start " + (await invite(tg.app.session_factory, enterprise,
                                                          team, Role.WORKER, tg.clock)).token)
            companies.append(enterprise)
        await tg.send(kofi, "/suggest")
        (areas,) = await tg.send(kofi, "A second fire extinguisher near the kiln")
        (anonymity,) = await tg.press(kofi, areas, "Skip")
        (which,) = await tg.press(kofi, anonymity, "Send with my name")
        assert which.text == "Which enterprise?" and which.button_texts() == list(NAMES[:2])
        await tg.press(kofi, which, "R&D <Tools> Ltd")
        async with tg.app.session_factory() as session:
            (stored,) = list(await session.scalars(select(Suggestion)))
        assert stored.enterprise_id == companies[1].id

        (which,) = await tg.send(kofi, "/stats")
        assert which.button_texts() == list(NAMES[:2])
        (stats,) = await tg.press(kofi, which, "R&D <Tools> Ltd")
        assert "Ideas per person: 1\n" in stats.text  # the first enterprise has none
