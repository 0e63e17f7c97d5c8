"""/mydata sends a person everything held about them; /forget removes who they are and keeps
anonymous figures and their suggestions' content. Every reference to a person in the schema
has a /forget rule."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.services.privacy import FORGET_RULES, person_references
from storage.models import (
    ActionItem,
    ActionNote,
    LessonDelivery,
    Membership,
    OutboxMessage,
    Person,
    Role,
    Suggestion,
    SuggestionRelay,
)
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest


def test_every_reference_to_a_person_has_a_forget_rule():
    for table, column, nullable in person_references():
        assert nullable or (table.name, column) in FORGET_RULES, f"{table.name}.{column}"


async def test_mydata_then_forget(database_url):
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team)
        ama = await tg.join("Ama Mensah", Role.WORKER, team)
        (stranger_reply,) = await tg.send(tg.person("Yaw"), "/mydata")
        assert "no data about you" in stranger_reply.text

        # Ama does a lesson and sends two suggestions: one named, one anonymous.
        _lesson, quiz = await tg.send(ama, "/lesson")
        await tg.press(ama, quiz, 0)
        for anonymous in (False, True):
            await tg.send(ama, "/suggest")
            (areas,) = await tg.send(ama, f"Idea {'secret' if anonymous else 'open'}")
            (choice,) = await tg.press(ama, areas, "Skip")
            await tg.press(ama, choice, "Send anonymously" if anonymous else "Send with my name")
        async with tg.app.session_factory() as session, session.begin():
            ama_row = await session.scalar(select(Person).where(Person.telegram_id == ama.id))
            item = ActionItem(enterprise_id=enterprise.id, team_id=team.id, title="Sweep",
                              owner_id=ama_row.id, due_on=tg.clock.now().date(),
                              created_at=tg.clock.now(), updated_at=tg.clock.now())
            session.add(item)
            await session.flush()
            session.add(ActionNote(action_id=item.id, author_id=ama_row.id, text="half done"))

        (document,) = await tg.send(ama, "/mydata")
        data = json.loads(document.document)
        assert data["person"]["name"] == "Ama Mensah"
        assert [m["team"] for m in data["memberships"]] == ["Welding"]
        assert len(data["lessons"]) == 1 and data["actions_owned"][0]["title"] == "Sweep"
        assert [s["anonymous"] for s in data["suggestions"]] == [False, True]
        assert data["suggestions"][1]["status"] == "held until the hour"  # no number yet
        assert data["action_notes"][0]["text"] == "half done"

        (question,) = await tg.send(ama, "/forget")
        (kept,) = await tg.press(ama, question, "No, keep me")
        assert "Nothing was changed" in kept.text
        (question,) = await tg.send(ama, "/forget")
        (gone,) = await tg.press(ama, question, "Yes, forget me")
        assert "forgotten you" in gone.text
        await tg.next_hour()  # her anonymous idea goes to the reviewers, sealed by nobody

        async with tg.app.session_factory() as session:
            row = await session.get(Person, ama_row.id)
            assert row.display_name == "" and row.telegram_id < 0 and row.forgotten_at
            assert await session.scalar(select(func.count()).select_from(Membership).where(
                Membership.person_id == ama_row.id)) == 0
            suggestions = list(await session.scalars(select(Suggestion).order_by(Suggestion.id)))
            assert [s.text for s in suggestions] == ["Idea open", "Idea secret"]
            assert all(s.author_id is None and s.anonymous for s in suggestions)
            assert await session.scalar(select(func.count()).select_from(SuggestionRelay)) == 0
            assert await session.scalar(select(func.count()).select_from(ActionNote)) == 0
            assert (await session.get(ActionItem, item.id)).owner_id is None
            assert await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.chat_id == ama.id)) == 0
            # Her lesson still counts for the team, tied to no one.
            assert await session.scalar(select(func.count()).select_from(LessonDelivery)) == 1

        # She is a stranger now: no data, and /start without an invite does not bring her back.
        (after,) = await tg.send(ama, "/mydata")
        assert "no data about you" in after.text
        (team_reply,) = await tg.send(kofi, "/team")
        assert "Ama" not in team_reply.text
