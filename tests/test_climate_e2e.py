"""The monthly pulse survey and the Working Climate Index, end to end with a fake clock: six
workers answer in three languages and the team's index appears with the right value; a month
with four answers shows nothing; one reminder at most; forged buttons are refused; nothing
ties a person to their answers, in the database or in the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from bot.clock import FakeClock
from bot.keyboards.callbacks import PulseCallback
from storage.models import (
    AuditEvent,
    PulseBallot,
    PulseParticipant,
    PulseRound,
    PulseTally,
    Role,
)
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest

BEFORE_APRIL = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Accra is on UTC
APRIL_PULSE = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)  # Wednesday: the first working day
APRIL_CLOSE = datetime(2026, 4, 8, 10, 0, tzinfo=UTC)
MAY_PULSE = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # Friday
MAY_REMINDER = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
MAY_CLOSE = datetime(2026, 5, 8, 10, 0, tzinfo=UTC)

WORKERS = [("Ama", "en", 5), ("Kojo", "en", 4), ("Lucía", "es", 4), ("Pedro", "es", 3),
           ("Aminata", "fr", 5), ("Jean", "fr", 3)]


def pulse_messages(messages, user):  # type: ignore[no-untyped-def]
    return [m for m in messages if m.chat_id == user.id
            and any(b.get("callback_data", "").startswith("pu:") for row in m.buttons
                    for b in row)]


async def answer_survey(tg, user, message, scores):  # type: ignore[no-untyped-def]
    """Press one answer per statement; the buttons run from 5 (strongly agree) down to 1."""
    current = message
    for score in scores:
        (current,) = await tg.press(user, current, 5 - score)
        assert current.edited and current.message_id == message.message_id
    return current


async def test_six_workers_in_three_languages_make_the_index_four_show_nothing(
        database_url, caplog):
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    async with BotUnderTest(database_url, clock=FakeClock(BEFORE_APRIL)) as tg:
        factory = tg.app.session_factory
        enterprise, team = await enterprise_with_team(factory, clock=tg.clock)
        worker_token = (await invite(factory, enterprise, team, Role.WORKER, tg.clock,
                                     uses=10)).token
        manager_token = (await invite(factory, enterprise, None, Role.MANAGER, tg.clock)).token
        workers = [(tg.person(name, lang), score) for name, lang, score in WORKERS]
        for user, _score in workers:
            await tg.send(user, f"/start {worker_token}")
        efua = tg.person("Efua", "en")
        await tg.send(efua, f"/start {manager_token}")
        assert pulse_messages(await tg.run_scheduled(), workers[0][0]) == []

        tg.clock.set(APRIL_PULSE)
        sent = await tg.run_scheduled()
        assert pulse_messages(sent, efua) == []  # managers are not asked
        firsts = {}
        for user, _score in workers:
            (first,) = pulse_messages(sent, user)
            firsts[user.id] = first
        assert "anonymous" in firsts[workers[0][0].id].text
        assert "1/7" in firsts[workers[0][0].id].text
        assert "anónimas" in firsts[workers[2][0].id].text
        assert "anonymes" in firsts[workers[4][0].id].text
        assert firsts[workers[0][0].id].button_texts()[0] == "😀 Strongly agree"

        # Each answers the first six statements with their score, the seventh with 1.
        for user, score in workers:
            last = await answer_survey(tg, user, firsts[user.id], [score] * 6 + [1])
            assert last.buttons == []
        assert "Thank you" in last.text or "Merci" in last.text

        # Still open: nothing is shown yet, even with six answers.
        (before_close,) = await tg.send(efua, "/climate")
        assert "/100" not in before_close.text

        # An old button pressed again counts nothing twice.
        await tg.press(workers[0][0], firsts[workers[0][0].id], 0)
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        assert pulse_messages(await tg.run_scheduled(), workers[0][0]) == []

        tg.clock.set(APRIL_CLOSE)
        sent = await tg.run_scheduled()
        (notice,) = [m for m in sent if m.chat_id == efua.id]
        # Six statements at (4 - 1) * 25 = 75 on average, one at 0: (6 * 75 + 0) / 7 = 64.
        assert "Working Climate Index" in notice.text and "64/100" in notice.text
        assert "My ideas are listened to. 75" in notice.text
        assert "I am treated with respect. 0" in notice.text
        (spanish,) = [m for m in sent if m.chat_id == workers[2][0].id]
        assert "64/100" in spanish.text and "Índice" in spanish.text
        (shown,) = await tg.send(workers[0][0], "/climate")
        assert "64/100" in shown.text

        # May: only four answer; the other two get one reminder, once.
        tg.clock.set(MAY_PULSE)
        sent = await tg.run_scheduled()
        for user, score in workers[:4]:
            (first,) = pulse_messages(sent, user)
            await answer_survey(tg, user, first, [score] * 7)
        tg.clock.set(MAY_REMINDER)
        sent = await tg.run_scheduled()
        reminded = {user.id for user, _ in workers if pulse_messages(sent, user)}
        assert reminded == {workers[4][0].id, workers[5][0].id}
        assert "rappel" in pulse_messages(sent, workers[4][0])[0].text
        again = await tg.run_scheduled()
        assert all(not pulse_messages(again, user) for user, _ in workers)

        tg.clock.set(MAY_CLOSE)
        sent = await tg.run_scheduled()
        (notice,) = [m for m in sent if m.chat_id == efua.id]
        assert "not enough answers to keep them anonymous" in notice.text
        assert "/100" not in notice.text
        (shown,) = await tg.send(efua, "/climate")
        assert "not enough answers" in shown.text and "/100" not in shown.text

        async with factory() as session:
            rounds = list(await session.scalars(select(PulseRound).order_by(PulseRound.id)))
            participants = list(await session.scalars(select(PulseParticipant)))
            tallies = list(await session.scalars(select(PulseTally)))
            ballots = list(await session.scalars(select(PulseBallot)))
            audit = list(await session.scalars(select(AuditEvent)))
        assert ballots == []  # counted at close, then gone
        assert [r.closed_at is not None for r in rounds] == [True, True]
        assert len(participants) == 10
        assert sum(t.count for t in tallies if t.round_id == rounds[0].id) == 6 * 7

    # Nothing stored beside an answer names a person or a time that could.
    columns = {c.key for c in sa_inspect(PulseTally).columns}
    assert columns == {"id", "round_id", "statement", "score", "count"}
    assert {c.key for c in sa_inspect(PulseParticipant).columns} == {"round_id", "person_id"}
    assert not any("pulse" in event.action for event in audit)
    # Nor does any log line carry the answers.
    assert not any("pu:" in record.getMessage() for record in caplog.records)


async def test_forged_pulse_buttons_are_refused_and_count_nothing(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(BEFORE_APRIL)) as tg:
        factory = tg.app.session_factory
        enterprise, team = await enterprise_with_team(factory, clock=tg.clock)
        other, other_team = await enterprise_with_team(factory, "Other", "X", clock=tg.clock)
        tg.clock.set(APRIL_PULSE)
        ama_token = (await invite(factory, enterprise, team, Role.WORKER, tg.clock)).token
        yaw_token = (await invite(factory, other, other_team, Role.WORKER, tg.clock)).token
        ama, yaw = tg.person("Ama"), tg.person("Yaw")
        await tg.send(ama, f"/start {ama_token}")
        (welcome, *_rest) = await tg.send(yaw, f"/start {yaw_token}")
        sent = await tg.run_scheduled()
        (first,) = pulse_messages(sent, ama)
        round_id = PulseCallback.unpack(first.button(0)["callback_data"]).round_id
        forged = [
            PulseCallback(round_id=round_id, given="555555", score=5).pack(),  # not his team
            f"pu:{round_id}:9:5",  # not a score
            f"pu:{round_id}:5555555555:5",  # too many answers
            "pu:2147483648::5",
        ]
        for data in forged:
            await tg.press_data(yaw, welcome, data)
            assert tg.callback_answers()[-1]["show_alert"] == "true"
        # Ama's last answer with eight given digits is refused too: the round has seven.
        await tg.press_data(ama, first, PulseCallback(round_id=round_id, given="5555555",
                                                      score=5).pack())
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        async with factory() as session:
            assert list(await session.scalars(select(PulseParticipant))) == []
            assert list(await session.scalars(select(PulseBallot))) == []
            assert all(t.count == 0 for t in await session.scalars(select(PulseTally)))
