"""A worker who chooses anonymity cannot be narrowed down: not by the team on a card, not by a
count that moves in a small team, not by their voice, not by a log line or a database error,
not by the database's own row versions, and not after /forget. k = 5 (bot/services/anonymity)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import String, Text, event, func, select, text
from sqlalchemy import inspect as sa_inspect

from bot.clock import FakeClock
from bot.logs import ContextFilter, keep_values_out_of_logs
from storage.models import (
    Base,
    HeldSuggestion,
    Person,
    PulseBallot,
    PulseParticipant,
    Role,
    Suggestion,
    SuggestionMedia,
    SuggestionRelay,
)
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest, TgUser

MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Accra is on UTC


async def suggest(tg: BotUnderTest, person: TgUser, idea: str, choice: str) -> str:
    """Write an idea by text, skip the area, then choose; returns the anonymity question."""
    await tg.send(person, "/suggest")
    (areas,) = await tg.send(person, idea)
    (question,) = await tg.press(person, areas, "Skip")
    await tg.press(person, question, choice)
    return question.text


def voice(file_id: str) -> dict:
    return {"voice": {"file_id": file_id, "file_unique_id": file_id + "u", "duration": 4}}


def photo(file_id: str) -> dict:
    return {"photo": [{"file_id": file_id, "file_unique_id": file_id + "u", "width": 640,
                       "height": 480}]}


async def test_an_anonymous_idea_reaches_the_reviewers_at_the_hour_after_the_named_ones(
        database_url):
    """Neither the moment a card arrives nor its number places an anonymous idea between the
    named ones: it waits for the top of the hour and is numbered then."""
    async with BotUnderTest(database_url) as tg:  # 08:00
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        kwame = await tg.join("Kwame", team=team)
        esi = await tg.join("Esi", team=team)
        ama = await tg.join("Ama", team=team)

        tg.clock.advance(timedelta(minutes=10))
        await suggest(tg, esi, "Cover the drain by the press", "Send anonymously")
        assert "anonymous suggestion has been received" in tg.messages_for(esi)[-1].text
        assert "S1" not in tg.messages_for(esi)[-1].text
        assert not [m for m in await tg.run_scheduled() if m.chat_id == abena.id]
        tg.clock.advance(timedelta(minutes=5))
        await suggest(tg, ama, "Oil the hinges", "Send anonymously")
        await tg.send(ama, "/forget")
        await tg.press(ama, tg.messages_for(ama)[-1], "Yes, forget me")  # before the hour
        tg.clock.advance(timedelta(minutes=20))
        await suggest(tg, kwame, "Label the shelves", "Send with my name")
        (named,) = [m for m in await tg.run_scheduled() if m.chat_id == abena.id]
        assert "S1" in named.text and "Kwame" in named.text

        released = await tg.next_hour()  # 09:00
        cards = [m for m in released if m.chat_id == abena.id]
        assert sorted(m.text.split(" ·")[0] for m in cards) == ["Suggestion S2", "Suggestion S3"]
        assert all("anonymous" in m.text and "Esi" not in m.text for m in cards)
        (told,) = [m.text for m in released if m.chat_id == esi.id and "anonymous" in m.text]
        number = told.rsplit(" ", 1)[-1].rstrip(".")
        assert told == f"Your anonymous suggestion is with the reviewers now, as {number}."
        assert not [m for m in released if m.chat_id == ama.id and "anonymous" in m.text]
        async with tg.app.session_factory() as session:
            rows = (await session.scalars(select(Suggestion).order_by(Suggestion.id))).all()
            assert [s.anonymous for s in rows] == [False, True, True]
            assert {s.created_at for s in rows[1:]} == {tg.clock.now()}  # the hour, not 08:10
            assert await session.scalar(select(func.count()).select_from(HeldSuggestion)) == 0
            relays = await session.scalar(select(func.count()).select_from(SuggestionRelay))
            assert relays == 2  # Kwame's and Esi's; Ama's went with her

        # The relay works as before: the manager asks, Esi answers, nobody is named.
        card = next(m for m in cards if m.text.startswith(f"Suggestion {number} "))
        await tg.press(abena, card, "Ask a question")
        await tg.send(abena, "Which press?")
        (asked,) = [m for m in await tg.run_scheduled() if m.chat_id == esi.id]
        assert "Which press?" in asked.text


async def test_a_team_under_five_is_never_named_beside_an_anonymous_idea(database_url):
    async with BotUnderTest(database_url) as tg:
        factory = tg.app.session_factory
        enterprise, boiler = await enterprise_with_team(factory, "Kumasi Metal Works",
                                                        "Boiler room", clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        kofi = await tg.join("Kofi", team=boiler)

        # Kofi is the only one in the boiler room: he is told before he sends it.
        question = await suggest(tg, kofi, "Insulate the steam pipes", "Send anonymously")
        assert "fewer than 5 people" in question and "may still guess" in question
        (card,) = [m for m in await tg.next_hour() if m.chat_id == abena.id]
        assert "anonymous · Kumasi Metal Works" in card.text
        assert "Boiler room" not in card.text
        (listed,) = await tg.send(abena, "/review")
        assert "Boiler room" not in listed.text and "Kofi" not in listed.text

        # A team of six is big enough to hide in: its name is shown, and nobody is warned.
        async with factory() as session, session.begin():
            from bot.services.enterprises import create_team
            welding = await create_team(session, await session.merge(enterprise), "Welding",
                                        now=tg.clock.now())
        welders = [await tg.join(f"Welder {n}", team=welding) for n in range(6)]
        question = await suggest(tg, welders[0], "Shade over the welding bay",
                                 "Send anonymously")
        assert "fewer than 5" not in question
        (card,) = [m for m in await tg.next_hour() if m.chat_id == abena.id]
        assert "anonymous · Welding" in card.text and "Welder" not in card.text


async def test_in_a_team_of_two_no_figure_moves_when_the_other_sends_anonymously(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY - timedelta(days=3))) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        kwame = await tg.join("Kwame", team=team)
        esi = await tg.join("Esi", team=team)
        await suggest(tg, kwame, "Label the shelves", "Send with my name")
        await tg.run_scheduled()
        kwame_before = (await tg.send(kwame, "/stats"))[0].text
        abena_before = (await tg.send(abena, "/stats"))[0].text
        assert "Participation: 50%" in kwame_before

        await suggest(tg, esi, "Move the grinder away from the door", "Send anonymously")
        await tg.next_hour()
        assert (await tg.send(kwame, "/stats"))[0].text == kwame_before
        assert (await tg.send(abena, "/stats"))[0].text == abena_before

        # Monday's thanks cannot be split into "Kwame's plus the rest".
        tg.clock.set(MONDAY)
        weekly = [m for m in await tg.run_scheduled() if "This week" in m.text]
        assert weekly and all("1 idea came in" in m.text and "Thank you, Kwame!" in m.text
                              for m in weekly)


async def test_an_anonymous_voice_note_is_never_passed_on(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        kofi = await tg.join("Kofi", team=team)

        (is_it,) = await tg.send(kofi, None, **voice("VOICE-OF-KOFI"))
        (areas,) = await tg.press(kofi, is_it, 0)
        (question,) = await tg.press(kofi, areas, "Skip")
        assert "only with your name" in question.text
        (refused,) = await tg.press(kofi, question, "Send anonymously")
        assert "never passed on anonymously" in refused.text
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(Suggestion)) == 0

        # He types it instead; the recording stays on his phone.
        (typed,) = await tg.press(kofi, refused, "Type it instead")
        (areas,) = await tg.send(kofi, "Fix the leaking valve in bay 2")
        (question,) = await tg.press(kofi, areas, "Skip")
        assert "only with your name" not in question.text
        (received,) = await tg.press(kofi, question, "Send anonymously")
        assert "anonymous suggestion has been received" in received.text and typed.text
        released = await tg.next_hour()
        to_abena = [m for m in released if m.chat_id == abena.id]
        assert [m.text for m in released if m.chat_id == kofi.id] == [
            "Your anonymous suggestion is with the reviewers now, as S1."]
        assert to_abena and not tg.telegram.calls_of("sendVoice")
        async with tg.app.session_factory() as session:
            suggestion = await session.scalar(select(Suggestion))
            assert suggestion.anonymous and suggestion.author_id is None
            assert await session.scalar(select(func.count()).select_from(SuggestionMedia)) == 0

        # A photo stays, with a reminder of what a photo can show.
        (is_it,) = await tg.send(kofi, None, caption="Guard here", **photo("PHOTO-1"))
        (areas,) = await tg.press(kofi, is_it, 0)
        (question,) = await tg.press(kofi, areas, "Skip")
        assert "Faces and name tags" in question.text


def _private_lines(caplog, telegram_id: int, person_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Log lines that could tie the person to what they did."""
    found = []
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        context = getattr(record, "context", {})
        if (str(telegram_id) in line or "sg:" in line or "pu:" in line
                or context.get("person_id") == person_id):
            found.append(f"{record.name}: {line} {context}")
    return found


async def test_no_log_line_ties_a_person_to_an_anonymous_act(database_url, caplog):
    keep_values_out_of_logs()  # as `scorebot run` does, whatever LOG_LEVEL says
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        esi = await tg.join("Esi", team=team)
        async with tg.app.session_factory() as session:
            esi_id = await session.scalar(select(Person.id).where(Person.telegram_id == esi.id))

        caplog.set_level(logging.DEBUG)
        caplog.handler.addFilter(ContextFilter())
        await tg.send(esi, "/suggest")
        (areas,) = await tg.send(esi, "Cover the drain")
        (question,) = await tg.press(esi, areas, "Skip")
        await tg.press(esi, question, "Send anonymously")
        await tg.press(esi, question, "Send anonymously")  # a double tap: refused
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        assert any("anonymous suggestion held" in r.getMessage() for r in caplog.records)
        assert any("button refused" in r.getMessage() for r in caplog.records)
        assert _private_lines(caplog, esi.id, esi_id) == []

        # The manager asks; Esi starts to answer, then sends a command instead.
        caplog.set_level(logging.WARNING)
        (card,) = [m for m in await tg.next_hour() if m.chat_id == abena.id]
        await tg.press(abena, card, "Ask a question")
        await tg.send(abena, "Which drain?")
        (relayed,) = [m for m in await tg.run_scheduled() if m.chat_id == esi.id]
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        await tg.press(esi, relayed, 0)
        await tg.send(esi, "/help")
        assert any("leaves the unfinished step" in r.getMessage() for r in caplog.records)
        assert _private_lines(caplog, esi.id, esi_id) == []


def _fail_writes_to(engine, table: str) -> None:  # type: ignore[no-untyped-def]
    """The database refuses the next writes to `table` with a real error of its own."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def broken(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO " + table.upper()):
            statement = statement.replace(table, "no_such_table", 1)
        return statement, parameters


async def test_a_database_error_in_a_private_flow_logs_no_person_and_no_values(
    database_url, caplog
):
    from tests.test_climate_e2e import APRIL_PULSE, BEFORE_APRIL, answer_survey, pulse_messages

    async with BotUnderTest(database_url, clock=FakeClock(BEFORE_APRIL)) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        kojo = await tg.join("Kojo", team=team)
        tg.clock.set(APRIL_PULSE)
        (first,) = pulse_messages(await tg.run_scheduled(), kojo)
        caplog.set_level(logging.INFO)
        caplog.handler.addFilter(ContextFilter())

        _fail_writes_to(tg.app.engine, "pulse_ballots")
        last = await answer_survey(tg, kojo, first, [2, 3, 4, 5, 1, 2])
        await tg.press(kojo, last, 5 - 4)  # the seventh answer: the ballot cannot be written
        assert "went wrong" in tg.callback_answers()[-1]["text"]
        _fail_writes_to(tg.app.engine, "held_suggestions")
        await tg.send(kojo, "/suggest")
        (areas,) = await tg.send(kojo, "Secret idea text")
        (question,) = await tg.press(kojo, areas, "Skip")
        await tg.press(kojo, question, "Send anonymously")
        assert "went wrong" in tg.callback_answers()[-1]["text"]

        failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(failures) == 2
        for record in failures:
            line = record.getMessage() + (record.exc_text or "")
            assert "private flow" in line and ("OperationalError" in line
                                               or "ProgrammingError" in line)
            assert str(kojo.id) not in line and "Secret idea" not in line
            assert "2, 3, 4" not in line and "2345124" not in line and "[parameters" not in line
            assert "person_id" not in getattr(record, "context", {})
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(PulseBallot)) == 0
            assert await session.scalar(
                select(func.count()).select_from(PulseParticipant)) == 0


async def test_after_a_round_closes_no_row_version_ties_a_count_to_a_participant(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("xmin is PostgreSQL's")
    from tests.test_climate_e2e import (
        APRIL_CLOSE,
        APRIL_PULSE,
        BEFORE_APRIL,
        answer_survey,
        pulse_messages,
    )

    async with BotUnderTest(database_url, clock=FakeClock(BEFORE_APRIL)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        workers = [await tg.join(f"Worker {n}", team=team) for n in range(5)]
        tg.clock.set(APRIL_PULSE)
        sent = await tg.run_scheduled()
        for n, worker in enumerate(workers):
            (first,) = pulse_messages(sent, worker)
            await answer_survey(tg, worker, first, [n + 1] * 7)
        async with tg.app.session_factory() as session:
            # While the round is open, the ballots wait (README says what can be seen then).
            assert await session.scalar(select(func.count()).select_from(PulseBallot)) == 5
        tg.clock.set(APRIL_CLOSE)
        await tg.run_scheduled()
        async with tg.app.engine.connect() as connection:
            who = set(await connection.scalars(
                text("SELECT xmin::text FROM pulse_participants")))
            counts = set(await connection.scalars(
                text("SELECT xmin::text FROM pulse_tallies WHERE count > 0")))
            ballots = await connection.scalar(text("SELECT count(*) FROM pulse_ballots"))
        assert len(who) == 5 and len(counts) == 1  # every count written by the closing
        assert who.isdisjoint(counts) and ballots == 0


async def test_forget_leaves_no_name_or_telegram_id_in_any_text(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY - timedelta(days=3))) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        kwame = tg.person("Kwame Mensah")
        token = (await invite(tg.app.session_factory, enterprise, team, Role.WORKER,
                              tg.clock)).token
        await tg.send(kwame, f"/start {token}")
        await suggest(tg, kwame, "Label the shelves", "Send with my name")
        await suggest(tg, kwame, "Fix the fan", "Send anonymously")
        await tg.next_hour()  # his cards reach Abena; his receipts reach him
        (card, *_rest) = await tg.send(abena, "/review")
        await tg.press(abena, card, "Accept")
        tg.clock.set(MONDAY)
        await tg.run_scheduled()  # "Thank you, Kwame Mensah!" delivered
        await suggest(tg, kwame, "Paint the floor lines", "Send with my name")  # not sent yet

        (question,) = await tg.send(kwame, "/forget")
        await tg.press(kwame, question, "Yes, forget me")

        found = []
        async with tg.app.session_factory() as session:
            for table in Base.metadata.sorted_tables:
                for column in table.columns:
                    if not isinstance(column.type, String | Text) and column.type.__class__ \
                            .__name__ != "JSON":
                        continue
                    for needle in ("Kwame", str(kwame.id)):
                        hits = await session.scalar(
                            select(func.count()).select_from(table).where(
                                func.cast(column, Text).contains(needle)))
                        if hits:
                            found.append(f"{table.name}.{column.name} has {needle}")
            numbers = [
                f"{table.name}.{column.name}"
                for table in Base.metadata.sorted_tables for column in table.columns
                if column.type.python_type is int and not column.primary_key
                and not column.foreign_keys
                and await session.scalar(select(func.count()).select_from(table)
                                         .where(column == kwame.id))
            ]
        assert found == [] and numbers == []
        assert sa_inspect(Suggestion)  # the suggestions themselves stay, nameless


async def test_a_team_lead_sees_no_suggestion_of_another_team(database_url):
    async with BotUnderTest(database_url) as tg:
        factory = tg.app.session_factory
        enterprise, team_a = await enterprise_with_team(factory, "Kumasi Metal Works",
                                                        "Assembly", clock=tg.clock)
        async with factory() as session, session.begin():
            from bot.services.enterprises import create_team
            team_b = await create_team(session, await session.merge(enterprise), "Paint shop",
                                       now=tg.clock.now())
        lead_a = await tg.join("Lead A", Role.TEAM_LEAD, team_a)
        worker_a = await tg.join("Worker A", team=team_a)
        worker_b = await tg.join("Worker B", team=team_b)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)

        await suggest(tg, worker_b, "Paint booth filters need changing weekly", "Send anonymously")
        await tg.next_hour()
        await suggest(tg, worker_a, "Paint booth filters need changing weekly too",
                      "Send anonymously")
        sent = await tg.next_hour()
        (to_lead,) = [m for m in sent if m.chat_id == lead_a.id]
        (to_abena,) = [m for m in sent if m.chat_id == abena.id]
        assert "S1" not in to_lead.text and "Similar" not in to_lead.text
        assert "S1" in to_abena.text  # the manager reviews both teams

        # The Duplicate picker offers nothing from the paint shop either.
        await tg.press(lead_a, to_lead, "Duplicate")
        assert "No similar open suggestion" in tg.callback_answers()[-1]["text"]
        replies = await tg.send(lead_a, "/review")
        assert all("S1" not in m.text and "booth filters need changing weekly\n" not in m.text
                   for m in replies)
