"""Action reminders with a fake clock: two days before, on the day and once overdue, with
one-tap answers; help reaches the team lead; a new date starts the reminders again; done
closes it with an after-photo. Nothing is sent twice and nothing on Sundays or at night."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import FakeClock
from bot.content.loader import curriculum
from storage.models import ActionItem, ActionNote, ActionStatus, Role
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest

MONDAY_0900_ACCRA = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Accra is on UTC


async def test_reminders_answers_help_new_date_and_done(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team)
        ama = await tg.join("Ama", Role.WORKER, team)

        # Kofi turns a lesson task into an action due next Monday, then hands it to Ama.
        first = curriculum().lessons[0]
        _lesson, quiz = await tg.send(kofi, "/lesson")
        _feedback, task = await tg.press(kofi, quiz, first.answer)
        await tg.press(kofi, task, "Make it a team action")
        async with tg.app.session_factory() as session, session.begin():
            item = await session.scalar(select(ActionItem))
            from storage.models import Person

            item.owner_id = (await session.scalar(select(Person).where(
                Person.telegram_id == ama.id))).id
            action_id = item.id
        assert item.due_on.isoformat() == "2026-03-09"

        def to(person):  # type: ignore[no-untyped-def]
            return lambda messages: [m for m in messages if m.chat_id == person.id]

        assert to(ama)(await tg.run_scheduled()) == []
        tg.clock.set(datetime(2026, 3, 7, 3, 0, tzinfo=UTC))  # Saturday 03:00: night
        assert to(ama)(await tg.run_scheduled()) == []
        tg.clock.set(datetime(2026, 3, 7, 9, 0, tzinfo=UTC))  # Saturday 09:00: two days before
        (coming,) = to(ama)(await tg.run_scheduled())
        assert "Coming up" in coming.text and coming.button_texts() == [
            "Done", "In progress", "Need help", "New date"]
        assert to(ama)(await tg.run_scheduled()) == []  # not twice

        (prompt,) = await tg.press(ama, coming, "In progress")
        (noted,) = await tg.send(ama, "Bought the paint, marking Tuesday")
        assert "Noted" in noted.text

        tg.clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))  # Monday: the due day
        (due,) = to(ama)(await tg.run_scheduled())
        assert due.text.startswith("Due today")
        (_sent,) = await tg.press(ama, due, "Need help")
        (help_request,) = to(kofi)(await tg.run_scheduled())
        assert "Ama asks for help" in help_request.text

        tg.clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))  # overdue
        (overdue,) = to(ama)(await tg.run_scheduled())
        assert overdue.text.startswith("Overdue since")
        (choices,) = await tg.press(ama, overdue, "New date")
        (moved,) = await tg.press(ama, choices, 0)  # three days on
        assert "Mar 13, 2026" in moved.text
        tg.clock.set(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))  # two days before the new date
        (again,) = to(ama)(await tg.run_scheduled())
        (done,) = await tg.press(ama, again, "Done")
        assert "after-photo" in done.text
        photo = {"photo": [{"file_id": "AFTER", "file_unique_id": "a", "width": 9,
                            "height": 9}]}
        (saved,) = await tg.send(ama, None, **photo)
        assert "After-photo saved" in saved.text

        tg.clock.set(datetime(2026, 3, 13, 9, 0, tzinfo=UTC))
        assert to(ama)(await tg.run_scheduled()) == []  # done: no more reminders
        async with tg.app.session_factory() as session:
            item = await session.get(ActionItem, action_id)
            notes = list(await session.scalars(select(ActionNote)))
        assert item.status is ActionStatus.DONE
        assert [n.photo_file_id for n in notes if n.photo_file_id] == ["AFTER"]
        assert any("Bought the paint" in n.text for n in notes)
        assert prompt.text


async def test_others_cannot_answer_for_the_owner(database_url):
    from bot.keyboards.callbacks import ActionCallback

    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        _other_ent, other_team = await enterprise_with_team(tg.app.session_factory, "Other",
                                                           "X", clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team)
        yaw = await tg.join("Yaw", Role.TEAM_LEAD, other_team)
        first = curriculum().lessons[0]
        _lesson, quiz = await tg.send(kofi, "/lesson")
        _feedback, task = await tg.press(kofi, quiz, first.answer)
        await tg.press(kofi, task, "Make it a team action")
        async with tg.app.session_factory() as session:
            action_id = await session.scalar(select(ActionItem.id))
        await tg.press_data(yaw, task, ActionCallback(id=action_id, action="done").pack())
        assert tg.callback_answers()[-1]["show_alert"] == "true"
        async with tg.app.session_factory() as session:
            assert (await session.get(ActionItem, action_id)).status is ActionStatus.OPEN


async def test_a_team_lead_plans_an_action_by_hand(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY_0900_ACCRA)) as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kofi = await tg.join("Kofi", Role.TEAM_LEAD, team)
        ama = await tg.join("Ama", Role.WORKER, team)

        (refused,) = await tg.send(ama, "/action")  # workers do not plan for the team
        assert "does not allow" in refused.text
        (ask,) = await tg.send(kofi, "/action")
        assert ask.text.startswith("Welding: what needs doing?")
        (again,) = await tg.send(kofi, None, sticker={
            "file_id": "S", "file_unique_id": "s", "type": "regular", "width": 1,
            "height": 1, "is_animated": False, "is_video": False})
        assert "as text" in again.text
        (too_long,) = await tg.send(kofi, "x" * 401)
        assert "under 400 characters" in too_long.text
        (who,) = await tg.send(kofi, "Fix the  leaking   compressor hose")
        assert who.button_texts() == ["Kofi", "Ama", "Cancel"]
        await tg.press_data(kofi, who, "pa:due:7")  # out of order: no owner yet
        assert tg.callback_answers()[-1]["show_alert"]
        (when,) = await tg.press(kofi, who, "Ama")
        assert when.button_texts() == ["Mar 9, 2026", "Mar 16, 2026", "Apr 1, 2026", "Cancel"]
        (planned,) = await tg.press(kofi, when, "Mar 16, 2026")
        assert planned.text == ("Planned: “Fix the leaking compressor hose”. Owner: Ama, due "
                                "Mar 16, 2026. Reminders will follow.")
        (told,) = [m for m in await tg.run_scheduled() if m.chat_id == ama.id]
        assert "Kofi gave you an action" in told.text and "Done" in told.button_texts()
        # Ama starts and keeps a "before" photo with her progress.
        (prompt,) = await tg.press(ama, told, "In progress")
        assert "a photo of how it looks now" in prompt.text
        before = {"photo": [{"file_id": "BEFORE", "file_unique_id": "b", "width": 9,
                             "height": 9}]}
        (kept,) = await tg.send(ama, None, caption="The hose today", **before)
        assert "Photo saved" in kept.text
        async with tg.app.session_factory() as session:
            note = await session.scalar(select(ActionNote))
        assert (note.photo_file_id, note.text) == ("BEFORE", "The hose today")
        async with tg.app.session_factory() as session:
            items = list(await session.scalars(select(ActionItem)))
        assert [(i.title, i.source, i.due_on.isoformat()) for i in items] == [
            ("Fix the leaking compressor hose", "manual", "2026-03-16")]

        # A command in the middle leaves the unfinished plan: it is not taken as its title.
        await tg.send(kofi, "/action")
        (listing,) = await tg.send(kofi, "/actions")
        assert "Fix the leaking compressor hose" in listing.text
        (stray,) = await tg.send(kofi, "Paint the floor")
        assert "Who will do it?" not in stray.text

        # Cancel leaves nothing behind.
        (ask,) = await tg.send(kofi, "/action")
        (cancelled,) = await tg.press(kofi, ask, "Cancel")
        assert "Nothing was saved" in cancelled.text
        async with tg.app.session_factory() as session:
            assert len(list(await session.scalars(select(ActionItem)))) == 1
