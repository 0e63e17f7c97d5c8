"""Suggestions end to end: a worker's anonymous photo idea in Indonesian reaches the manager
with no trace of who sent it, questions and answers travel through the bot, and the worker
hears of every step. The export keeps the secret too."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.logs import ContextFilter
from bot.services import suggestions as service
from bot.services.errors import InvalidValue
from bot.services.export import SUGGESTION_COLUMNS, suggestion_rows, to_csv
from storage.models import AuditEvent, Person, Suggestion, SuggestionStatus
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest


def photo(file_id: str) -> dict:
    return {"photo": [{"file_id": file_id, "file_unique_id": file_id + "u", "width": 640,
                       "height": 480}]}


async def test_anonymous_photo_suggestion_in_indonesian_never_left_in_silence(
    database_url, caplog
):
    from storage.models import Role

    caplog.set_level(logging.INFO)  # what a production bot logs (LOG_LEVEL=INFO)
    caplog.handler.addFilter(ContextFilter())  # each record gets the update's log fields
    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(
            tg.app.session_factory, "Surabaya Auto Parts", "Stamping", country="ID",
            timezone="Asia/Jakarta", locale="id", clock=tg.clock)
        sari = await tg.join("Sari", Role.MANAGER, enterprise=enterprise, language="en")
        budi = await tg.join("Budi", Role.WORKER, team, "id")

        # Budi sends a photo on its own: is it a suggestion? Yes; area; anonymously.
        (question,) = await tg.send(budi, None, caption="Pasang rak untuk cetakan di dekat "
                                    "mesin press", **photo("PHOTO-BEFORE"))
        assert question.text.startswith("Apakah")
        (areas,) = await tg.press(budi, question, 0)
        (anonymity,) = await tg.press(budi, areas, 4)  # safety and health
        (received,) = await tg.press(budi, anonymity, 1)  # anonymously
        assert "S1" not in received.text and received.text.startswith("Terima kasih")

        # At the top of the hour the manager gets the card with the photo and nothing that
        # names Budi; Budi hears its number.
        released = await tg.next_hour()
        assert [m.text for m in released if m.chat_id == budi.id] == [
            "Saran anonim Anda sekarang sudah di tangan peninjau, dengan nomor S1."]
        to_sari = [m for m in released if m.chat_id == sari.id]
        (card,) = to_sari
        assert card.photo == b"PHOTO-BEFORE"
        assert "anonymous" in card.text and "Budi" not in card.text
        replies = await tg.send(sari, "/review")
        assert "Budi" not in replies[0].text
        (under_review,) = [m for m in await tg.run_scheduled() if m.chat_id == budi.id]
        assert under_review.text == "Saran Anda S1 sedang ditinjau."

        # She asks a question; it reaches Budi, who answers through the bot.
        await tg.press(sari, replies[0], "Ask a question")
        await tg.send(sari, "How many racks would we need?")
        (relayed,) = [m for m in await tg.run_scheduled() if m.chat_id == budi.id]
        assert "How many racks" in relayed.text
        (answer_prompt,) = await tg.press(budi, relayed, 0)
        assert answer_prompt.text == "Tulis jawaban Anda:"
        await tg.send(budi, "Dua rak, satu per mesin.")
        (answer,) = [m for m in await tg.run_scheduled() if m.chat_id == sari.id]
        assert "Dua rak" in answer.text and "Budi" not in answer.text

        # She accepts it, and later marks it implemented with an after-photo and its impact.
        (card,) = await tg.press(sari, answer, "Accept")
        assert "accepted" in card.text and "Budi" not in card.text
        (accepted,) = [m for m in await tg.run_scheduled() if m.chat_id == budi.id]
        assert "S1" in accepted.text and "diterima" in accepted.text
        (ask_photo,) = await tg.press(sari, card, "Implemented")
        assert ask_photo.text.startswith("Marked as implemented. Send an after-photo")
        (impact,) = await tg.send(sari, None, **photo("PHOTO-AFTER"))
        assert impact.text == "After-photo saved. What did it bring?"
        (ask_money,) = await tg.press(sari, impact, "Money saved")
        assert ask_money.text == "How much money does it save per month? Send a number."
        (recorded,) = await tg.send(sari, "1,250")
        assert recorded.text == "Thank you: the impact is recorded."
        (done,) = [m for m in await tg.run_scheduled() if m.chat_id == budi.id]
        assert "S1" in done.text and "diterapkan" in done.text

        async with tg.app.session_factory() as session:
            suggestion = await session.scalar(select(Suggestion))
            assert suggestion.status is SuggestionStatus.IMPLEMENTED
            assert suggestion.author_id is None and suggestion.money_saved == 1250
            audit_actors = {e.actor_id for e in await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "suggestion.submit"))}
            budi_row = await session.scalar(select(Person).where(Person.telegram_id == budi.id))
            rows = await suggestion_rows(session, enterprise.id)
        assert audit_actors == {None}
        exported = to_csv(SUGGESTION_COLUMNS, rows)
        assert rows[0]["author"] == "" and rows[0]["anonymous"] == "yes"
        assert "Budi" not in exported and str(budi_row.id) not in rows[0].values()

        # Nothing Sari received, and no log line, names Budi.
        assert not [m for m in tg.telegram.messages_to(sari.id) if "Budi" in m.text]
        assert not [r for r in caplog.records
                    if "Budi" in r.getMessage() or f"user={budi.id}" in r.getMessage()]
        # Structured fields carry person ids, but never next to a suggestion of his.
        held = [r for r in caplog.records if "anonymous suggestion held" in r.getMessage()]
        assert held and all("update_id" in r.context for r in held)
        # Its number appears first in the release, from the scheduler: no update, no person.
        released = [r for r in caplog.records if "anonymous suggestions released" in r.getMessage()]
        assert released and all("update_id" not in r.context and "person_id" not in r.context
                                for r in released)
        assert not [r for r in caplog.records if "suggestion" in r.getMessage().lower()
                    and r.context.get("person_id") == budi_row.id]


async def test_a_decline_needs_a_reason(database_url):
    from storage.models import Role

    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")

        await tg.send(kwame, "/suggest")
        (areas,) = await tg.send(kwame, "Paint walkways yellow")
        (anonymity,) = await tg.press(kwame, areas, "Skip")
        (received,) = await tg.press(kwame, anonymity, "Send with my name")
        assert "S1" in received.text
        (card,) = [m for m in await tg.run_scheduled() if m.chat_id == abena.id]
        assert "From: Kwame" in card.text

        (prompt,) = await tg.press(abena, card, "Decline")
        assert "Why" in prompt.text
        sticker = {"sticker": {"file_id": "s", "file_unique_id": "su", "width": 1,
                               "height": 1, "is_animated": False, "is_video": False,
                               "type": "regular"}}
        (again,) = await tg.send(abena, None, **sticker)
        assert "as text" in again.text
        async with tg.app.session_factory() as session:
            assert (await session.scalar(select(Suggestion))).status is SuggestionStatus.NEW
        await tg.send(abena, "We repaint next year with the new floor")
        (told,) = [m for m in await tg.run_scheduled() if m.chat_id == kwame.id]
        assert "We repaint next year" in told.text

        # The rule holds below the bot too.
        async with tg.app.session_factory() as session:
            other = Suggestion(enterprise_id=enterprise.id, text="x",
                               status=SuggestionStatus.NEW, created_at=tg.clock.now(),
                               updated_at=tg.clock.now())
            reviewer = await session.scalar(select(Person))
            with pytest.raises(InvalidValue, match="reason"):
                await service.change_status(session, other, SuggestionStatus.DECLINED,
                                            reviewer=reviewer, now=tg.clock.now(), reason="  ")


async def test_workers_cannot_review_or_answer_for_others(database_url):
    from bot.keyboards.callbacks import SubmitterAnswerCallback, SuggestionCallback
    from storage.models import Role

    async with BotUnderTest(database_url) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")
        esi = await tg.join("Esi", Role.WORKER, team, "en")
        await tg.send(kwame, "/suggest")
        (areas,) = await tg.send(kwame, "Label the shelves")
        (anonymity,) = await tg.press(kwame, areas, "Skip")
        await tg.press(kwame, anonymity, "Send anonymously")
        await tg.next_hour()

        presses = [SuggestionCallback(id=1, action="accept").pack(),
                   SuggestionCallback(id=1, action="implemented").pack(),
                   SubmitterAnswerCallback(id=1).pack(),
                   "sr:1:answer"]  # the submitter's Answer as sent before its own factory
        for data in presses:
            await tg.press_data(esi, areas, data)
            assert tg.callback_answers()[-1]["show_alert"] == "true", data
            assert "Write your answer" not in tg.messages_for(esi)[-1].text, data
        replies = await tg.send(esi, "/review")
        assert "role does not allow" in replies[0].text
        async with tg.app.session_factory() as session:
            assert (await session.scalar(select(Suggestion))).status is SuggestionStatus.NEW


async def test_stats_and_weekly_recognition_thank_only_named_contributors(database_url):
    from datetime import UTC, datetime, timedelta

    from bot.clock import FakeClock
    from storage.models import Role

    monday_morning = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Accra is on UTC
    async with BotUnderTest(database_url, clock=FakeClock(monday_morning - timedelta(days=3))
                            ) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")
        esi = await tg.join("Esi", Role.WORKER, team, "en")
        for person, choice in ((kwame, "Send with my name"), (esi, "Send anonymously")):
            await tg.send(person, "/suggest")
            (areas,) = await tg.send(person, f"Idea from {person.name}")
            (anonymity,) = await tg.press(person, areas, "Skip")
            await tg.press(person, anonymity, choice)
        await tg.next_hour()

        # A team of two: Esi's anonymous idea moves no figure (k = 5), or Kwame would know.
        stats = (await tg.send(kwame, "/stats"))[0].text
        assert "Participation: 50% of members made a suggestion" in stats
        assert "Toyota" in stats

        tg.clock.set(monday_morning)
        sent = await tg.run_scheduled()
        weekly = [m for m in sent if "This week" in m.text]
        assert {m.chat_id for m in weekly} == {kwame.id, esi.id}
        assert all("1 idea came in" in m.text and "Thank you, Kwame!" in m.text
                   for m in weekly)
        assert not [m for m in weekly if "Esi" in m.text]
        assert not [m for m in await tg.run_scheduled() if "This week" in m.text]


async def test_a_reviewers_refused_button_is_logged_with_the_reviewer(database_url, caplog):
    """Reviewer buttons carry the review capability and are not a private flow (only the
    submitter's Answer is): a forged one is refused and the line names the reviewer."""
    from bot.keyboards.callbacks import SuggestionCallback
    from storage.models import Role

    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(ContextFilter())
    async with BotUnderTest(database_url) as tg:
        enterprise, _team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise)
        async with tg.app.session_factory() as session:
            abena_id = await session.scalar(select(Person.id).where(
                Person.telegram_id == abena.id))
        anchor = (await tg.send(abena, "/review"))[-1]
        caplog.clear()
        await tg.press_data(abena, anchor, SuggestionCallback(id=999, action="accept").pack())
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        (refused,) = [r for r in caplog.records if "button refused" in r.getMessage()]
        assert refused.context.get("person_id") == abena_id
        assert "sr:999:accept" in refused.getMessage()
