"""Where suggestions and actions meet, as the people in them live it: a suggestion assigned,
its owner told, the action done, the suggestion implemented and nobody reminded after; the
same from the other end; /actions as a list each person can act on; typed due dates; action
titles in each reader's language; forged action buttons refused once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from storage.models import ActionItem, ActionStatus, Role, Suggestion, SuggestionStatus
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

MONDAY_0900_ACCRA = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Accra is on UTC
NAGGING = ("Coming up", "Due today", "Overdue", "stuck", "Rappel", "Bientôt", "En retard",
           "bloquée")


def to(person, messages):  # type: ignore[no-untyped-def]
    return [m for m in messages if m.chat_id == person.id]


async def suggest(tg, person, text, *, anonymous=False):  # type: ignore[no-untyped-def]
    await tg.send(person, "/suggest")
    (areas,) = await tg.send(person, text)
    (anonymity,) = await tg.press(person, areas, -1)  # skip the area
    await tg.press(person, anonymity, 1 if anonymous else 0)


async def nagging_after_due(tg, *people, days=40):  # type: ignore[no-untyped-def]
    """Move the clock day by day (at 09:00) well past the due date, running every job each
    day; return every reminder or escalation sent meanwhile to `people`."""
    found = []
    start = tg.clock.now()
    for day in range(1, days + 1):
        tg.clock.set(start.replace(hour=9, minute=0) + timedelta(days=day))
        sent = await tg.run_scheduled()
        found += [m for m in sent if m.chat_id in {p.id for p in people}
                  and any(word in m.text for word in NAGGING)]
    return found


async def test_assigned_suggestion_owner_told_action_done_implements_it(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team, "en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")
        marie = await tg.join("Marie", Role.WORKER, team, "fr")

        # Kwame sends an idea anonymously; Abena assigns it to Marie, due in a week.
        await suggest(tg, kwame, "Hang the gloves by the press", anonymous=True)
        (card,) = to(abena, await tg.next_hour())
        (who,) = await tg.press(abena, card, "Assign")
        (when,) = await tg.press(abena, who, "Marie")
        (assigned,) = await tg.press(abena, when, 0)
        assert "Marie will take care of it" in assigned.text

        # Marie is told, in French, with the action's buttons.
        sent = await tg.run_scheduled()
        (told,) = to(marie, sent)
        assert "Abena vous a confié une action" in told.text and "S1" in told.text
        assert len(told.button_texts()) == 4
        (under_way,) = to(kwame, sent)
        assert "S1" in under_way.text

        # She finishes it from that message: the suggestion is implemented, Kwame hears it
        # through the relay, the reviewers hear who finished it.
        (well_done,) = await tg.press(marie, told, 0)
        assert well_done.buttons  # the after-photo prompt, with Skip
        sent = await tg.run_scheduled()
        (kwame_told,) = to(kwame, sent)
        assert "S1" in kwame_told.text and "implemented" in kwame_told.text
        for reviewer in (abena, kofi):
            (news,) = to(reviewer, sent)
            assert "Marie finished the action for suggestion S1" in news.text
            assert "Kwame" not in news.text
        async with tg.app.session_factory() as session:
            suggestion = await session.scalar(select(Suggestion))
            item = await session.get(ActionItem, suggestion.action_item_id)
            assert suggestion.status is SuggestionStatus.IMPLEMENTED
            assert item.status is ActionStatus.DONE

        # Weeks pass: no reminder, no "stuck", to anyone.
        assert await nagging_after_due(tg, abena, kofi, kwame, marie) == []
        (nothing,) = await tg.send(marie, "/actions")
        assert nothing.text.startswith("Aucune action en cours")


async def test_suggestion_marked_implemented_closes_its_action(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")
        esi = await tg.join("Esi", Role.WORKER, team, "en")

        await suggest(tg, kwame, "A second bin for offcuts")
        (card,) = to(abena, await tg.run_scheduled())
        (who,) = await tg.press(abena, card, "Assign")
        (when,) = await tg.press(abena, who, "Esi")
        await tg.press(abena, when, 0)
        (told,) = to(esi, await tg.run_scheduled())
        (listed,) = await tg.send(esi, "/actions")
        assert "A second bin for offcuts" in listed.text

        # The manager marks it implemented from the review queue before Esi reports.
        (card,) = [m for m in await tg.send(abena, "/review") if m.buttons]
        await tg.press(abena, card, "Implemented")
        async with tg.app.session_factory() as session:
            item = await session.scalar(select(ActionItem))
            assert item.status is ActionStatus.DONE
        (nothing,) = await tg.send(esi, "/actions")
        assert nothing.text.startswith("No open actions")
        assert await nagging_after_due(tg, abena, kwame, esi) == []
        # Her old buttons now say it is closed, and change nothing.
        await tg.press(esi, told, "In progress")
        assert "closed already" in tg.callback_answers()[-1]["text"]


async def test_actions_is_a_list_each_person_can_act_on(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        enterprise, welding = await enterprise_with_team(tg.app.session_factory,
                                                         clock=tg.clock)
        async with tg.app.session_factory() as session, session.begin():
            from bot.services.enterprises import create_team

            painting = await create_team(session, await session.merge(enterprise), "Painting",
                                         now=tg.clock.now())
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        ama = await tg.join("Ama", Role.WORKER, welding, "en")
        yaw = await tg.join("Yaw", Role.WORKER, painting, "en")

        # The manager plans one action for each team.
        for team_name, owner, title in (("Welding", "Ama", "Fix the compressor hose"),
                                        ("Painting", "Yaw", "Label the paint store")):
            (ask,) = await tg.send(abena, "/action")
            await tg.press(abena, ask, team_name)
            (who,) = await tg.send(abena, title)
            (when,) = await tg.press(abena, who, owner)
            await tg.press(abena, when, 0)

        # Her /actions shows both teams' actions, each with its buttons.
        listing = await tg.send(abena, "/actions")
        assert [m.text.split(" — ")[0] for m in listing] == [
            "Fix the compressor hose", "Label the paint store"]
        assert all(m.button_texts() == ["Done", "In progress", "Need help", "New date"]
                   for m in listing)

        # Ama reports from /actions whenever she wants; the buttons stay for the next time.
        (mine,) = await tg.send(ama, "/actions")
        (prompt,) = await tg.press(ama, mine, "In progress")
        assert "What has been done so far" in prompt.text
        (noted,) = await tg.send(ama, "Hose ordered")
        assert "Noted" in noted.text
        (well_done,) = await tg.press(ama, mine, "Done")
        assert "after-photo" in well_done.text
        async with tg.app.session_factory() as session:
            statuses = {i.title: i.status for i in await session.scalars(select(ActionItem))}
        assert statuses == {"Fix the compressor hose": ActionStatus.DONE,
                            "Label the paint store": ActionStatus.OPEN}
        (left,) = await tg.send(abena, "/actions")
        assert left.text.startswith("Label the paint store")
        assert yaw


async def test_forged_action_buttons_are_refused_once_without_an_error(database_url, caplog):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team, "en")
        (ask,) = await tg.send(kofi, "/action")
        (who,) = await tg.send(kofi, "Sweep the loading bay")
        (when,) = await tg.press(kofi, who, "Kofi")
        await tg.press(kofi, when, 0)
        (mine,) = await tg.send(kofi, "/actions")
        async with tg.app.session_factory() as session:
            action_id = await session.scalar(select(ActionItem.id))

        caplog.set_level(logging.INFO)
        for data in (f"ac:{action_id}:move:99", f"ac:{action_id}:bogus:0"):
            before = len(tg.callback_answers())
            replies = await tg.press_data(kofi, mine, data)
            answers = tg.callback_answers()[before:]
            assert len(answers) == 1 and answers[0]["show_alert"] == "true", data
            assert "not valid any more" in answers[0]["text"]
            assert replies == []
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not tg.telegram.unanswered_queries()
        async with tg.app.session_factory() as session:
            item = await session.get(ActionItem, action_id)
        assert item.due_on.isoformat() == "2026-03-09" and item.status is ActionStatus.OPEN
        assert ask


async def test_due_dates_can_be_typed_in_the_readers_way(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team, "en")
        marie = await tg.join("Marie", Role.WORKER, team, "fr")
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")

        async def due_dates():  # type: ignore[no-untyped-def]
            async with tg.app.session_factory() as session:
                return [i.due_on.isoformat() for i in await session.scalars(
                    select(ActionItem).order_by(ActionItem.id))]

        # /action: the date typed day-first, after a past date and nonsense were refused.
        await tg.send(kofi, "/action")
        (who,) = await tg.send(kofi, "Oil the rollers")
        (when,) = await tg.press(kofi, who, "Marie")
        assert "type one (for example 3/12/26)" in when.text
        (past,) = await tg.send(kofi, "01/01/2026")
        assert "already passed" in past.text
        (nonsense,) = await tg.send(kofi, "next-ish week")
        assert "could not read that date" in nonsense.text and "3/12/26" in nonsense.text
        assert await due_dates() == []
        (planned,) = await tg.send(kofi, "25/11/2026")
        assert "Nov 25, 2026" in planned.text
        assert await due_dates() == ["2026-11-25"]

        # Marie moves it, typing the date the French way.
        (told,) = to(marie, await tg.run_scheduled())
        (choices,) = await tg.press(marie, told, "Nouvelle date")
        assert len(choices.buttons[0]) == 3 and "12/03/2026" in choices.text
        (moved,) = await tg.send(marie, "20.04.2026")
        assert "20 avr. 2026" in moved.text
        assert await due_dates() == ["2026-04-20"]

        # A manager assigning a suggestion types the date too, ISO style.
        await suggest(tg, marie, "Un bac pour les chutes")
        (card,) = to(abena, await tg.run_scheduled())
        (owners,) = await tg.press(abena, card, "Assign")
        (when,) = await tg.press(abena, owners, "Marie")
        (done,) = await tg.send(abena, "2026-05-04")
        assert "Marie will take care of it by May 4, 2026" in done.text
        assert await due_dates() == ["2026-04-20", "2026-05-04"]
        # and the English reader's own short way (month first) is understood.
        (choices,) = await tg.press(kofi, (await tg.send(kofi, "/actions"))[0], "New date")
        (moved,) = await tg.send(kofi, "6/1/26")
        assert "Jun 1, 2026" in moved.text


async def test_french_reader_reads_a_lesson_action_in_french(database_url):
    from bot.content.loader import curriculum

    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team, "en")
        marie = await tg.join("Marie", Role.WORKER, team, "fr")
        first = curriculum().lessons[0]
        _lesson, quiz = await tg.send(kofi, "/lesson")
        _feedback, task = await tg.press(kofi, quiz, first.answer)
        await tg.press(kofi, task, "Make it a team action")

        english = " ".join(first.in_locale("en").task.split())
        french = " ".join(first.in_locale("fr").task.split())
        async with tg.app.session_factory() as session:
            item = await session.scalar(select(ActionItem))
            assert (item.source, item.source_ref) == ("lesson", first.id)
        (listing,) = await tg.send(marie, "/actions")
        assert french[:60] in listing.text and english[:30] not in listing.text
        (own,) = await tg.send(kofi, "/actions")
        assert english[:60] in own.text

        # Handed to Marie, her reminders read French too.
        async with tg.app.session_factory() as session, session.begin():
            from storage.models import Person

            item = await session.scalar(select(ActionItem))
            item.owner_id = (await session.scalar(select(Person).where(
                Person.telegram_id == marie.id))).id
        tg.clock.set(datetime(2026, 3, 7, 9, 0, tzinfo=UTC))
        (coming,) = [m for m in to(marie, await tg.run_scheduled()) if french[:40] in m.text]
        assert english[:30] not in coming.text


def test_self_check_action_titles_follow_the_reader():
    from bot.i18n import build_i18n
    from bot.presenters.actions import title

    item = ActionItem(title="Emergency preparedness: stored in English", source="selfcheck",
                      source_ref="2026-01-01:exits_clear")
    i18n = build_i18n()
    with i18n.speaking("fr"):
        french = title(item, "fr")
    with i18n.speaking("en"):
        english = title(item, "en")
    assert english.startswith("Emergency preparedness: Emergency exits are marked")
    assert french != english and "sorties" in french.lower()


def photo(file_id: str, album: str | None = None) -> dict:
    content: dict = {"photo": [{"file_id": file_id, "file_unique_id": file_id + "u",
                                "width": 640, "height": 480}]}
    if album:
        content["media_group_id"] = album
    return content


async def test_an_album_is_one_suggestion_and_reviewers_get_every_photo(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")

        # Three photos sent together, no /suggest: one question, no "did not understand".
        (question,) = await tg.send(kwame, None, caption="Oil on the floor by press 3",
                                    **photo("P1", "album-1"))
        assert "Is this a suggestion" in question.text
        assert await tg.send(kwame, None, **photo("P2", "album-1")) == []
        assert await tg.send(kwame, None, **photo("P3", "album-1")) == []
        (areas,) = await tg.press(kwame, question, 0)
        (anonymity,) = await tg.press(kwame, areas, -1)
        await tg.press(kwame, anonymity, 0)
        async with tg.app.session_factory() as session:
            from storage.models import SuggestionMedia

            kept = [m.file_id for m in await session.scalars(
                select(SuggestionMedia).order_by(SuggestionMedia.id))]
        assert kept == ["P1", "P2", "P3"]

        # The manager gets the card on the first photo, and the two others.
        to_abena = to(abena, await tg.run_scheduled())
        assert [m.photo for m in to_abena] == [b"P1", b"P2", b"P3"]
        assert "Suggestion S1" in to_abena[0].text and to_abena[0].buttons
        assert "With 3 photos or voice notes" in to_abena[0].text

        # /review shows them too.
        shown = await tg.send(abena, "/review")
        assert [m.photo for m in shown] == [b"P1", b"P2", b"P3"]
        assert "Oil on the floor" in shown[0].text and shown[0].buttons


async def test_one_review_one_message_per_worker(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")
        esi = await tg.join("Esi", Role.WORKER, team, "en")
        for idea, anonymous in (("Label shelves", False), ("Fix the fan", True),
                                ("Sweep at noon", False)):
            await suggest(tg, kwame, idea, anonymous=anonymous)
        await suggest(tg, esi, "A bench at the gate")
        await tg.next_hour()

        cards = await tg.send(abena, "/review")
        assert len(cards) == 4
        sent = await tg.run_scheduled()
        (to_kwame,) = to(kwame, sent)
        # The anonymous idea got its number when the hour released it, after Esi's.
        assert to_kwame.text == "Your suggestions S1, S2, and S4 are being reviewed."
        (to_esi,) = to(esi, sent)
        assert to_esi.text == "Your suggestion S3 is being reviewed."
        assert not [m for m in to(abena, sent)]
        # Accepting from a card updates that card in place.
        (accepted,) = await tg.press(abena, cards[1], "Accept")
        assert accepted.edited and accepted.message_id == cards[1].message_id
        assert "accepted" in accepted.text


async def test_long_questions_and_answers_arrive_and_accepting_keeps_the_answer(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=enterprise, language="en")
        kwame = await tg.join("Kwame", Role.WORKER, team, "en")
        await suggest(tg, kwame, "Shade over the yard", anonymous=True)
        (card,) = to(abena, await tg.next_hour())

        # A 4,090-character question reaches Kwame, cut to fit with the template.
        await tg.press(abena, card, "Ask a question")
        question = "Where exactly & how big? " + "q" * 4065
        assert len(question) == 4090
        (sent,) = await tg.send(abena, question)
        assert "has been sent" in sent.text
        (relayed,) = to(kwame, await tg.run_scheduled())
        assert relayed.text.startswith("A question about your suggestion S1:\n\nWhere exactly & "
                                       "how big? qqq")
        assert len(relayed.text) <= 4096 and relayed.text.endswith("Tap “Answer” to reply.")

        # His 4,096-character answer reaches Abena the same way.
        await tg.press(kwame, relayed, "Answer")
        answer = "a" * 4096
        (thanks,) = await tg.send(kwame, answer)
        assert "passed on" in thanks.text
        (answered,) = to(abena, await tg.run_scheduled())
        assert answered.text.startswith("Answer about suggestion S1:\n\naaaa")
        assert len(answered.text) <= 4096 and answered.text.endswith("a…")

        # Accepting from the answer leaves the answer as it was, and brings a fresh card.
        (new_card,) = await tg.press(abena, answered, "Accept")
        assert new_card.message_id != answered.message_id and not new_card.edited
        assert "Suggestion S1" in new_card.text and "accepted" in new_card.text
        kept = tg.telegram._messages[(abena.id, answered.message_id)]
        assert kept.text == answered.text and not kept.edited
        # From the card itself, the card is updated in place.
        (same,) = await tg.press(abena, new_card, "Implemented")
        assert "Marked as implemented" in same.text and same.message_id == new_card.message_id


def test_typed_dates_read_in_each_locale():
    from datetime import date

    from bot.dates import parse_day

    day = date(2026, 11, 25)
    for locale in ("en", "es", "fr", "hi", "id", "vi", "zh_Hans", "zu"):
        for text in ("25/11/2026", "25.11.2026", "2026-11-25", " 25/11/2026 "):
            assert parse_day(text, locale) == day, (locale, text)
        for text in ("", "soon", "31/02/2026", "2026-13-01", "9999-01-01", "25/11", "1" * 30):
            assert parse_day(text, locale) is None, (locale, text)
    assert parse_day("11/25/26", "en") == day  # English writes the month first
    assert parse_day("03/04/2026", "en") == date(2026, 3, 4)
    assert parse_day("03/04/2026", "fr") == date(2026, 4, 3)
    assert parse_day("2026/11/25", "zh_Hans") == day
