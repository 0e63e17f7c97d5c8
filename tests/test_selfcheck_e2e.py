"""The quarterly labour-standards self-check end to end: the manager chooses the worker
representative, both answer the checklist, a disagreement and a "no" become proposed action
items the manager takes on or drops, the consultant sees the status over the quarters, and
forged buttons change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import FakeClock
from bot.keyboards.callbacks import SelfCheckCallback
from bot.services.selfcheck import ITEMS
from storage.models import ActionItem, ActionStatus, Person, Role, SelfCheckAnswer
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

SET_UP = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
APRIL_FIRST = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)  # Wednesday, Accra (UTC)
JULY_FIRST = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
YES, NO, UNSURE = 0, 1, 2  # button positions


async def answer_all(tg, user, message, special):  # type: ignore[no-untyped-def]
    current = message
    for index, item in enumerate(ITEMS):
        assert f"{index + 1}/{len(ITEMS)}" in current.text
        (current,) = await tg.press(user, current, special.get(item, YES))
    return current


async def test_a_disagreement_becomes_a_proposed_action(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(SET_UP)) as tg:
        factory = tg.app.session_factory
        enterprise, team = await enterprise_with_team(factory, clock=tg.clock)
        tg.clock.set(APRIL_FIRST)
        efua = await tg.join("Efua", Role.MANAGER, enterprise=enterprise)
        ama = await tg.join("Ama", Role.WORKER, team, "fr")
        kojo = await tg.join("Kojo", Role.WORKER, team)
        lucia = await tg.join("Lucía", Role.CONSULTANT, language="es", enterprise=enterprise)

        # The quarter opens: the manager is asked to choose a representative.
        sent = await tg.run_scheduled()
        (invitation,) = [m for m in sent if m.chat_id == efua.id and "self-check" in m.text]
        assert "No worker representative" in invitation.text
        (choices,) = await tg.press(efua, invitation, "Choose the worker representative")
        assert set(choices.button_texts()) == {"Ama", "Kojo"}
        (chosen,) = await tg.press(efua, choices, "Ama")
        assert "Ama is now the worker representative" in chosen.text

        # Kojo is not the representative: his forged answer is refused.
        (reply,) = await tg.send(kojo, "/selfcheck")
        assert "representative" in reply.text
        check_id = SelfCheckCallback.unpack(invitation.button(0)["callback_data"]).id
        await tg.press_data(kojo, reply, SelfCheckCallback(
            action="answer", id=check_id, item=0, value="no").pack())
        assert tg.callback_answers()[-1]["show_alert"] == "true"

        # The manager: all yes, but not sure about piece rates.
        (first,) = await tg.press(efua, invitation, "Answer the checklist")
        for forged in (SelfCheckCallback(action="answer", id=check_id, item=366,
                                         value="yes").pack(),
                       f"lc:answer:{check_id}:0:maybe"):  # no such answer: does not unpack
            await tg.press_data(efua, first, forged)
            assert tg.callback_answers()[-1]["show_alert"] == "true"
        done = await answer_all(tg, efua, first, {"piece_rates": UNSURE})
        assert "other side" in done.text

        # The representative: not sure about the minimum wage, and overtime is not voluntary.
        sent = await tg.run_scheduled()
        (asked,) = [m for m in sent if m.chat_id == ama.id]
        assert "représentant" in asked.text
        (first,) = await tg.press(ama, asked, 0)
        await answer_all(tg, ama, first, {"minimum_wage": UNSURE, "piece_rates": UNSURE,
                                          "overtime_voluntary": NO})

        async with factory() as session:
            proposed = list(await session.scalars(select(ActionItem).order_by(ActionItem.id)))
            efua_id = await session.scalar(select(Person.id).where(Person.telegram_id ==
                                                                   efua.id))
        assert [(a.source, a.owner_id, a.status) for a in proposed] == [
            ("selfcheck", None, ActionStatus.OPEN)] * 2
        assert "minimum wage" in proposed[0].title and "Overtime" in proposed[1].title

        sent = await tg.run_scheduled()
        (notice,) = [m for m in sent if m.chat_id == efua.id]
        assert "these actions are proposed" in notice.text
        assert notice.button_texts() == ["Take on 1", "Not needed 1", "Take on 2",
                                         "Not needed 2"]
        await tg.press_data(lucia, notice, notice.button("Take on 1")["callback_data"])
        assert tg.callback_answers()[-1]["show_alert"] == "true"  # consultants do not decide
        await tg.press(efua, notice, "Take on 1")
        await tg.press(efua, notice, "Not needed 2")
        await tg.press(efua, notice, "Take on 2")
        assert "decided already" in tg.callback_answers()[-1]["text"]
        async with factory() as session:
            first_action = await session.get(ActionItem, proposed[0].id)
            second_action = await session.get(ActionItem, proposed[1].id)
            answers = list(await session.scalars(select(SelfCheckAnswer)))
        assert first_action.owner_id == efua_id and first_action.status is ActionStatus.OPEN
        assert second_action.status is ActionStatus.DROPPED
        assert len(answers) == 2 * len(ITEMS)  # the forged answers left nothing

        # Next quarter: both are invited; the consultant sees the status over time.
        tg.clock.set(JULY_FIRST)
        sent = await tg.run_scheduled()
        assert {m.chat_id for m in sent if "self-check" in m.text or "autoévaluation"
                in m.text.lower() or "auto-évaluation" in m.text} >= {efua.id, ama.id}
        (status, *_rest) = await tg.send(lucia, "/selfcheck")
        assert "T2 2026: 21 de 24 en orden, 2 por resolver, 1 con dudas" in status.text
        assert "T3 2026" in status.text
        assert "⚠️ Salario mínimo y pago a destajo" in status.text
