"""Who sent a suggestion is stored only sealed (bot.services.anonymity.seal): no row tied to
an anonymous suggestion names its sender, yet the bot, holding the key, still passes
questions on to them; a database read without the key names nobody; and migration 0017
seals the relays stored before it (and unseals them on the way down)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from bot.services import anonymity, suggestions
from bot.services.privacy import sent_by
from storage.db import create_engine, create_session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import Base, Membership, Person, Role, Suggestion, SuggestionRelay
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

KEY = b"k" * 32


async def test_no_row_about_an_anonymous_idea_names_its_sender(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(
            tg.app.session_factory, "Tema Textiles", "Cutting", clock=tg.clock)
        efua = await tg.join("Efua", Role.MANAGER, enterprise=enterprise)
        kojo = await tg.join("Kojo", team=team)
        await tg.send(kojo, "/suggest")
        (areas,) = await tg.send(kojo, "Mark the walkways in yellow")
        (question,) = await tg.press(kojo, areas, "Skip")
        await tg.press(kojo, question, "Send anonymously")
        (card,) = [m for m in await tg.next_hour() if m.chat_id == efua.id]

        async with tg.app.session_factory() as session:
            sender = await session.scalar(select(Person).where(Person.telegram_id == kojo.id))
            assert sender is not None
            suggestion_id = await session.scalar(select(Suggestion.id))
            # Every row that points at the suggestion: no person column holds Kojo, no value
            # is his person id or his Telegram id.
            for table in Base.metadata.sorted_tables:
                links = [k.parent for k in table.foreign_keys
                         if k.column.table.name == "suggestions"]
                if table.name == "suggestions":
                    rows = (await session.execute(
                        table.select().where(table.c.id == suggestion_id))).mappings().all()
                elif links:
                    rows = (await session.execute(
                        table.select().where(links[0] == suggestion_id))).mappings().all()
                else:
                    continue
                for row in rows:
                    people = {k.parent.name for k in table.foreign_keys
                              if k.column.table.name == "people"}
                    assert all(row[c] != sender.id for c in people), table.name
                    assert kojo.id not in row.values(), table.name
            (relay,) = (await session.scalars(select(SuggestionRelay))).all()
            assert set(SuggestionRelay.__table__.c.keys()) == {"suggestion_id", "seal"}

            # The bot, with its key, finds him; with another key, nobody is found.
            key = tg.app.settings.relay_secret()
            found = await suggestions.submitter_of(session, relay.suggestion_id, key)
            assert found is not None and found.id == sender.id
            assert await suggestions.submitter_of(session, relay.suggestion_id, KEY) is None
            assert await sent_by(session, sender.id, key) == [relay.suggestion_id]

        # And the relay still works: a question reaches Kojo, his answer comes back nameless.
        (listed,) = await tg.send(efua, "/review")
        await tg.press(efua, listed, "Ask a question")
        await tg.send(efua, "Which walkways first?")
        (relayed,) = [m for m in await tg.run_scheduled()
                      if m.chat_id == kojo.id and "Which walkways" in m.text]
        await tg.press(kojo, relayed, 0)
        await tg.send(kojo, "The ones by the cutting tables.")
        (answer,) = [m for m in await tg.run_scheduled() if m.chat_id == efua.id]
        assert "cutting tables" in answer.text and "Kojo" not in answer.text
        assert "Kojo" not in card.text


async def _downgrade(url: str, revision: str, key: bytes) -> None:
    engine = create_engine(url)

    def run(connection) -> None:  # type: ignore[no-untyped-def]  # Alembic's sync connection
        config = alembic_config()
        config.attributes["connection"] = connection
        config.attributes["relay_key"] = key
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
    await engine.dispose()


async def test_migration_0017_seals_the_relays_stored_before_it(database_url, clock):
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    enterprise, team = await enterprise_with_team(factory, clock=clock)
    async with factory() as session, session.begin():
        kwame = Person(telegram_id=777, display_name="Kwame")
        session.add(kwame)
        await session.flush()
        session.add(Membership(person_id=kwame.id, enterprise_id=enterprise.id,
                               team_id=team.id, role=Role.WORKER))
        draft = suggestions.Draft(text="Label the bins")
        membership = Membership(person_id=kwame.id, enterprise_id=enterprise.id,
                                team_id=team.id, role=Role.WORKER)
        idea = await suggestions.submit(session, person=kwame, membership=membership,
                                        draft=draft, now=clock.now(), relay_key=KEY)
        kwame_id, idea_id = kwame.id, idea.id
    await engine.dispose()

    # Down to 0014: the seal becomes the person id again (found with the key) ...
    await _downgrade(database_url, "0014", KEY)
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT suggestion_id, person_id FROM suggestion_relays"))).all()
    assert [tuple(r) for r in rows] == [(idea_id, kwame_id)]
    # ... and up again without the key, a table with rows stops the upgrade at 0017 ...
    below = ScriptDirectory.from_config(alembic_config()).get_revision("0017").down_revision
    await upgrade(engine, str(below), relay_key=None)
    with pytest.raises(RuntimeError, match="relay key"):
        await upgrade(engine)
    # ... and with it, the person id is replaced by the seal.
    await upgrade(engine, relay_key=KEY)
    factory = create_session_factory(engine)
    async with factory() as session:
        (relay,) = (await session.scalars(select(SuggestionRelay))).all()
        assert relay.seal == anonymity.seal(KEY, idea_id, kwame_id)
        found = await suggestions.submitter_of(session, idea_id, KEY)
        assert found is not None and found.id == kwame_id
    await engine.dispose()
