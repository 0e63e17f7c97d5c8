"""Nothing is confirmed before it is committed. The database fails at the last tap of
/suggest and at the check-in's Save: the person is told, in their language, that nothing was
saved, nothing is stored, and the same button works once the database is back. Telegram fails
the confirmation itself: the suggestion stays stored and the person is told later."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from bot.clock import FakeClock
from storage.models import KpiValue, OutboxMessage, Role, Suggestion
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest
from tests.test_kpis_e2e import FRIDAY_1400_LIMA
from tests.test_kpis_e2e import setup as checkin_setup

NOTHING_SAVED = {"en": "Sorry, something went wrong on our side and nothing was saved.",
                 "es": "Perdón, algo falló"}


@contextmanager
def disk_full(tg: BotUnderTest):  # type: ignore[no-untyped-def]
    """Every commit fails while inside, as on a full disk."""
    def refuse(connection):  # type: ignore[no-untyped-def]
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    engine = tg.app.engine.sync_engine
    event.listen(engine, "commit", refuse)
    try:
        yield
    finally:
        event.remove(engine, "commit", refuse)


async def count(tg: BotUnderTest, model) -> int:  # type: ignore[no-untyped-def]
    async with tg.app.session_factory() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def suggestion_ready_to_send(tg: BotUnderTest):  # type: ignore[no-untyped-def]
    enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
    abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
    kwame = await tg.join("Kwame", Role.WORKER, team)
    await tg.send(kwame, "/suggest")
    (areas,) = await tg.send(kwame, "Paint walkways yellow")
    (anonymity,) = await tg.press(kwame, areas, "Skip")
    return abena, kwame, anonymity


async def test_suggest_commit_fails_the_worker_is_told_and_tries_again(database_url):
    async with BotUnderTest(database_url) as tg:
        abena, kwame, anonymity = await suggestion_ready_to_send(tg)
        with disk_full(tg):
            shown = await tg.press(kwame, anonymity, "Send with my name")
        assert not any("received" in m.text for m in shown)  # never "received"
        assert tg.callback_answers()[-1]["text"].startswith(NOTHING_SAVED["en"])
        assert await count(tg, Suggestion) == 0
        assert await count(tg, OutboxMessage) == 0  # the manager is not told of nothing

        # The draft was kept: the same button sends it once the database is back.
        (received,) = await tg.press(kwame, anonymity, "Send with my name")
        assert "has been received" in received.text  # its number: PostgreSQL may skip one
        assert await count(tg, Suggestion) == 1
        (card,) = [m for m in await tg.run_scheduled() if m.chat_id == abena.id]
        assert "Paint walkways yellow" in card.text


async def test_checkin_save_commit_fails_the_manager_is_told_and_saves_again(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(FRIDAY_1400_LIMA - timedelta(
            days=3))) as tg:
        _enterprise, _team, rosa = await checkin_setup(tg)
        tg.clock.set(FRIDAY_1400_LIMA)
        (invitation,) = [m for m in await tg.run_scheduled() if m.chat_id == rosa.id]
        await tg.press(rosa, invitation, 0)
        await tg.send(rosa, "12,5")
        (summary,) = await tg.send(rosa, "96 %")
        with disk_full(tg):
            shown = await tg.press(rosa, summary, 0)  # save
        assert shown == []
        assert tg.callback_answers()[-1]["text"].startswith(NOTHING_SAVED["es"])
        assert await count(tg, KpiValue) == 0

        report, chart = await tg.press(rosa, summary, 0)  # save again: the answers were kept
        assert "12,5 %" in report.text and chart.photo is not None
        assert await count(tg, KpiValue) == 2


@pytest.mark.parametrize("kind", ["json_5xx", "403", "429"])
async def test_the_confirmation_fails_the_suggestion_is_stored_and_told_later(
    database_url, kind
):
    async with BotUnderTest(database_url) as tg:
        abena, kwame, anonymity = await suggestion_ready_to_send(tg)
        tg.server.inject(kind, times=2, methods=frozenset(
            {"answerCallbackQuery", "editMessageText", "sendMessage"}))
        shown = await tg.press(kwame, anonymity, "Send with my name")
        assert not any("S1" in m.text for m in shown)  # Telegram took nothing
        assert await count(tg, Suggestion) == 1  # stored all the same

        delivered = await tg.run_scheduled()
        (told,) = [m for m in delivered if m.chat_id == kwame.id]
        assert "S1" in told.text
        (card,) = [m for m in delivered if m.chat_id == abena.id]
        assert "Paint walkways yellow" in card.text
        # The draft is gone: the button is refused, nothing is sent twice.
        await tg.press(kwame, anonymity, "Send with my name")
        assert await count(tg, Suggestion) == 1


async def test_when_the_button_can_no_longer_be_answered_the_apology_is_a_new_message(
    database_url
):
    """The commit failed slowly: the button's query is too old for an alert, so the person
    gets a message, in her language, saying nothing was saved."""
    async with BotUnderTest(database_url) as tg:
        rosa = tg.person("Rosa", "es-PE")
        menu = (await tg.send(rosa, "/language"))[0]
        tg.server.inject("old_query", methods=frozenset({"answerCallbackQuery"}))
        with disk_full(tg):
            shown = await tg.press(rosa, menu, "Français")
        assert shown[-1].text.startswith(NOTHING_SAVED["es"])


async def test_a_reviewer_is_told_done_only_once_the_acceptance_is_stored(database_url):
    from storage.models import SuggestionStatus

    async with BotUnderTest(database_url) as tg:
        abena, kwame, anonymity = await suggestion_ready_to_send(tg)
        await tg.press(kwame, anonymity, "Send anonymously")
        (card,) = [m for m in await tg.next_hour() if m.chat_id == abena.id]
        with disk_full(tg):
            await tg.press(abena, card, "Accept")
        answer = tg.callback_answers()[-1]
        assert "Done" not in (answer.get("text") or "")
        assert "nothing was saved" in (answer.get("text") or "")
        async with tg.app.session_factory() as session:
            stored = await session.scalar(select(Suggestion))
        assert stored is not None and stored.status is SuggestionStatus.NEW
        assert [m for m in await tg.run_scheduled() if m.chat_id == kwame.id] == []

        # The database is back: the same button works, and the worker hears of it.
        await tg.press(abena, card, "Accept")
        assert "Done" in tg.callback_answers()[-1]["text"]
        (told,) = [m for m in await tg.run_scheduled() if m.chat_id == kwame.id]
        assert "accepted" in told.text


async def test_well_done_only_once_the_action_is_stored_as_done(database_url):
    from datetime import date

    from storage.models import ActionItem, ActionStatus, Person

    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kwame = await tg.join("Kwame", Role.WORKER, team)
        async with tg.app.session_factory() as session, session.begin():
            owner = await session.scalar(select(Person).where(Person.telegram_id == kwame.id))
            session.add(ActionItem(enterprise_id=enterprise.id, team_id=team.id,
                                   title="Mark the walkways", owner_id=owner.id,
                                   due_on=date(2026, 3, 20), created_at=tg.clock.now(),
                                   updated_at=tg.clock.now()))
        listed = await tg.send(kwame, "/actions")
        (action,) = [m for m in listed if m.buttons]
        with disk_full(tg):
            shown = await tg.press(kwame, action, "Done")
        assert not any("Well done" in m.text for m in shown)
        async with tg.app.session_factory() as session:
            item = await session.scalar(select(ActionItem))
        assert item.status is not ActionStatus.DONE
        shown = await tg.press(kwame, action, "Done")  # the database is back
        assert any("Well done" in m.text for m in shown)
