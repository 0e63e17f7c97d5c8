"""A stalled action climbs the ladder with a fake clock: the owner, then the team lead, then the
consultant by direct message and in their group chat, each exactly once, across restarts.
The consultant answers from the group and from the direct chat; the history is kept; the group
gets its weekly digest once and /status on demand."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import FakeClock
from bot.services import escalation
from storage.models import (
    ActionItem,
    CheckinRound,
    EscalationEvent,
    Person,
    Role,
    Stall,
    StallKind,
    StallStatus,
    Suggestion,
    SuggestionArea,
)
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Accra is on UTC
GROUP = -1001234567


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


async def _people(tg: BotUnderTest):  # type: ignore[no-untyped-def]
    enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock,
                                                  team_name="Cutting")
    kofi = await tg.join("Kofi", Role.TEAM_LEAD, team)
    ama = await tg.join("Ama", Role.WORKER, team)
    esi = await tg.join("Esi", Role.CONSULTANT, enterprise=enterprise)
    return enterprise, team, kofi, ama, esi


async def _person_id(tg: BotUnderTest, user) -> int:  # type: ignore[no-untyped-def]
    async with tg.app.session_factory() as session:
        return (await session.scalar(select(Person).where(Person.telegram_id == user.id))).id


async def test_a_stalled_action_climbs_the_ladder_once_per_level_across_restarts(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY)) as tg:
        enterprise, team, kofi, ama, esi = await _people(tg)
        tg.telegram.add_group(GROUP, "SCORE Ghana coaching")

        # Esi gets a code in private and links her group with it; the group follows Kumasi.
        (codes,) = await tg.send(esi, "/link")
        code = re.search(r"/link ([A-Z0-9]{8})", codes.text).group(1)
        (refused,) = await tg.send_in_group(kofi, GROUP, f"/link {code}")  # not Kofi's code
        assert "does not work" in refused.text
        (linked,) = await tg.send_in_group(esi, GROUP, f"/link {code}")
        assert "now follows Kumasi Metal Works" in linked.text
        (again,) = await tg.send_in_group(esi, GROUP, f"/link {code}")  # used up
        assert "does not work" in again.text

        async with tg.app.session_factory() as session, session.begin():
            item = ActionItem(enterprise_id=enterprise.id, team_id=team.id,
                              title="Mark the walkways", owner_id=await _person_id(tg, ama),
                              due_on=date(2026, 3, 4), created_at=MONDAY, updated_at=MONDAY)
            session.add(item)
        sent: list = []

        async def tick(when: datetime) -> None:
            tg.clock.set(when)
            sent.extend(await tg.run_scheduled())

        def stall_messages(chat_id: int) -> list[str]:
            return [m.text for m in sent if m.chat_id == chat_id and "Weekly digest" not in m.text
                    and ("stuck" in m.text or "Stalled" in m.text)]

        await tick(at(6))  # two days late: not yet stalled (three days by default)
        assert stall_messages(ama.id) == []
        await tick(at(7))  # Saturday, three days late: the owner hears first
        assert len(stall_messages(ama.id)) == 1 and "3 days late" in stall_messages(ama.id)[0]
        assert stall_messages(kofi.id) == []
        await tick(at(7, 10))
        await tg.restart()  # nothing in memory carries the ladder
        await tick(at(8))  # Sunday: no escalations
        assert stall_messages(kofi.id) == []
        await tick(at(9))  # Monday, two days on: the team lead
        (to_lead,) = stall_messages(kofi.id)
        assert "A stuck action in Cutting" in to_lead and "owner Ama" in to_lead
        await tg.restart()
        await tick(at(10))
        assert stall_messages(esi.id) == []
        await tick(at(11))  # two more days: the consultant, directly and in the group
        await tick(at(11, 10))
        await tg.restart()
        await tick(at(12))
        await tick(at(14))

        counts = Counter((m.chat_id, m.text) for m in sent)
        assert all(n == 1 for n in counts.values()), counts.most_common(3)
        assert [len(stall_messages(chat)) for chat in (ama.id, kofi.id, esi.id, GROUP)] == [
            1, 1, 1, 1]
        alert = next(m for m in sent if m.chat_id == GROUP and m.text.startswith("⚠️"))
        assert "Mark the walkways" in alert.text and "Owner: Ama" in alert.text
        assert alert.button_texts() == [
            "Acknowledge", "I will call", "Reassign", "New date", "Snooze 7 days"]

        # A worker in the group cannot answer for the consultant.
        await tg.press(ama, alert, "Acknowledge")
        assert tg.callback_answers()[-1]["show_alert"]
        # Esi will call: the owner and the team lead hear it; the group's card says so.
        (edited,) = await tg.press(esi, alert, "I will call")
        assert "Esi will call." in edited.text and edited.button_texts() == []
        told = [m for m in await tg.run_scheduled() if "will call you" in m.text]
        assert sorted(m.chat_id for m in told) == sorted([ama.id, kofi.id])

        # From her direct chat she gives a new date; the stall is resolved and Ama told.
        direct = next(m for m in sent if m.chat_id == esi.id and "Stalled" in m.text)
        (choices,) = await tg.press(esi, direct, "New date")
        (moved,) = await tg.press(esi, choices, 1)  # a week on
        assert "New date Mar 21, 2026, set by Esi" in moved.text
        (news,) = [m for m in await tg.run_scheduled() if m.chat_id == ama.id]
        assert "New date for the action “Mark the walkways”: Mar 21, 2026" in news.text
        await tg.press(esi, direct, "Snooze 7 days")
        assert "resolved already" in tg.callback_answers()[-1]["text"]

        async with tg.app.session_factory() as session:
            stall = await session.scalar(select(Stall))
            events = list(await session.scalars(
                select(EscalationEvent.event).order_by(EscalationEvent.id)))
        assert stall.status is StallStatus.RESOLVED and stall.level == escalation.CONSULTANT
        assert events == ["detected", "escalated", "escalated", "escalated", "will_call",
                          "new_date", "resolved"]

        # Monday 16th, 08:00: the weekly digest, once; /status any time.
        tg.clock.set(datetime(2026, 3, 16, 7, 59, tzinfo=UTC))
        assert [m for m in await tg.run_scheduled() if m.chat_id == GROUP] == []
        tg.clock.set(datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
        (digest,) = [m for m in await tg.run_scheduled() if m.chat_id == GROUP]
        assert "Weekly digest" in digest.text and "Kumasi Metal Works" in digest.text
        assert [m for m in await tg.run_scheduled() if m.chat_id == GROUP] == []
        (status,) = await tg.send_in_group(kofi, GROUP, "/status")
        assert "Kumasi Metal Works" in status.text and "Actions: 1 open" in status.text

        # /teams for the consultant: one enterprise, a colour, and its details on a tap.
        (overview,) = await tg.send(esi, "/teams")
        assert "Kumasi Metal Works" in overview.text
        (details,) = await tg.press(esi, overview, "Kumasi")
        assert "People: 3" in details.text
        (workers_try,) = await tg.send(ama, "/teams")
        assert "does not allow" in workers_try.text

        # The export has every table, the escalation history among them.
        (document,) = await tg.send(esi, "/export")
        workbook = load_workbook(io.BytesIO(document.document))
        assert workbook.sheetnames == ["KPIs", "Effectiveness per week", "Suggestions",
                                       "Actions", "Lessons", "Escalations"]
        assert workbook["Escalations"].max_row == 1 + len(events)

        # Removed from the group, the bot stops following there.
        await tg.deliver(tg.telegram._update(my_chat_member={
            "chat": tg.telegram.chats[GROUP], "from": tg.telegram.users[esi.id], "date": 0,
            "old_chat_member": {"status": "member", "user": tg.telegram._me()},
            "new_chat_member": {"status": "left", "user": tg.telegram._me()}}), GROUP)
        (nothing,) = await tg.send_in_group(esi, GROUP, "/status")
        assert "follows no enterprise" in nothing.text


async def test_unanswered_suggestions_and_missed_checkins_stall_too(session_factory, clock):
    from bot.services.enterprises import create_enterprise

    async with session_factory() as session, session.begin():
        enterprise = await create_enterprise(session, name="Lima Textiles", country="PE",
                                             timezone="America/Lima", default_locale="es",
                                             now=clock.now())
        session.add(Suggestion(enterprise_id=enterprise.id, text="Más luz en la bodega",
                               area=SuggestionArea.QUALITY, created_at=at(2),
                               updated_at=at(2)))
        session.add(CheckinRound(enterprise_id=enterprise.id, week=date(2026, 3, 2),
                                 opened_at=at(6), nudged_at=at(7)))
    async with session_factory() as session, session.begin():
        # Six days without an answer, one check-in missed: not yet.
        assert await escalation.sync(session, at(8)) == []
        session.add(CheckinRound(enterprise_id=enterprise.id, week=date(2026, 3, 9),
                                 opened_at=at(13), nudged_at=at(14)))
    async with session_factory() as session, session.begin():
        stalls = await escalation.sync(session, at(14, 20))
        assert sorted(s.kind for s in stalls) == [StallKind.CHECKIN, StallKind.SUGGESTION]
    async with session_factory() as session, session.begin():
        # The stalls are the same ones on the next scan, not new ones.
        again = await escalation.sync(session, at(15, 20))
        assert sorted(s.id for s in again) == sorted(s.id for s in stalls)
        # A check-in done resolves that stall.
        round_ = await session.scalar(select(CheckinRound).where(
            CheckinRound.week == date(2026, 3, 9)))
        round_.completed_at = at(16)
    async with session_factory() as session, session.begin():
        left = await escalation.sync(session, at(16, 20))
        assert [s.kind for s in left] == [StallKind.SUGGESTION]
