"""The journeys of the Telegram suites with the person on WhatsApp (the fake Cloud API, signed
webhooks) and the rest of the enterprise on Telegram: ideas reviewed and implemented, an
anonymous idea with a relayed question, an action's reminders, the weekly check-in, the pulse
survey and menus of every size. The same handlers answer both channels; the fake refuses what
Meta refuses, and no test here ever makes it refuse."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Person, Role, Suggestion, SuggestionStatus
from tests.factories import enterprise_with_team
from tests.fakes.harness import BotUnderTest, TgUser
from tests.fakes.whatsapp_cloud import WaMessage, WaUser

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _no_html(messages: list[WaMessage]) -> None:
    for message in messages:
        assert "<b>" not in message.text and "</" not in message.text, message.text


async def scheduled(tg: BotUnderTest, person: TgUser | WaUser, *,
                    next_hour: bool = False) -> list[Any]:
    """One scheduler run (at the next full hour, when anonymous ideas are released, with
    `next_hour`); what reached `person` on their channel."""
    assert tg.wa is not None
    before = len(tg.wa.sent)
    sent = await (tg.next_hour() if next_hour else tg.run_scheduled())
    if isinstance(person, WaUser):
        return [m for m in tg.wa.sent[before:] if m.to == person.wa_id]
    return [m for m in sent if m.chat_id == person.id]


async def wa_person(tg: BotUnderTest, user: WaUser) -> Person:
    from bot.channels.whatsapp.ids import chat_id_of
    from storage.models import WhatsAppContact

    async with tg.app.session_factory() as session:
        contact = await session.scalar(select(WhatsAppContact).where(
            WhatsAppContact.wa_id == user.wa_id))
        assert contact is not None
        person = await session.scalar(select(Person).where(
            Person.telegram_id == chat_id_of(contact.id)))
        assert person is not None
        return person


async def test_text_and_photo_ideas_from_whatsapp_reviewed_on_telegram(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        kumasi, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=kumasi)
        kofi = await tg.wa_join("Kofi", Role.WORKER, welding)

        # A text idea: typed after /suggest, the area skipped, sent with his name.
        (ask,) = await tg.wa.send(kofi, "/suggest")
        assert "idea" in ask.text.lower()
        (areas,) = await tg.wa.send(kofi, "Paint walkway lines around the welding bay")
        assert areas.type == "interactive"
        (question,) = await tg.wa.press(kofi, areas, "Skip")
        (received,) = await tg.wa.press(kofi, question, "with my name")
        assert "S1" in received.text

        (card,) = await scheduled(tg, abena)
        assert "Kofi" in card.text and "walkway" in card.text
        listed = await tg.send(abena, "/review")
        assert "walkway" in listed[0].text
        (under_review,) = await scheduled(tg, kofi)
        assert "S1" in under_review.text and "review" in under_review.text

        (accepted_card,) = await tg.press(abena, card, "Accept")
        assert "accepted" in accepted_card.text
        (accepted,) = await scheduled(tg, kofi)
        assert "S1" in accepted.text and "accepted" in accepted.text
        (ask_photo,) = await tg.press(abena, accepted_card, "Implemented")
        assert "after-photo" in ask_photo.text
        (impact,) = await tg.send(abena, None, photo=[{"file_id": "AFTER",
                                                        "file_unique_id": "after",
                                                        "width": 9, "height": 9}])
        (ask_money,) = await tg.press(abena, impact, "Money saved")
        assert "money" in ask_money.text.lower()
        (recorded,) = await tg.send(abena, "300")
        assert recorded.text == "Thank you: the impact is recorded."
        (implemented,) = await scheduled(tg, kofi)
        assert "S1" in implemented.text and "implemented" in implemented.text

        # A photo idea: the picture on its own, then the same questions.
        (is_it,) = await tg.wa.send_image(kofi, PNG, caption="Guard on the grinder")
        (areas,) = await tg.wa.press(kofi, is_it, 0)
        (question,) = await tg.wa.press(kofi, areas, "Skip")
        (received,) = await tg.wa.press(kofi, question, "with my name")
        assert "S2" in received.text
        (photo_card,) = await scheduled(tg, abena)
        assert photo_card.photo == PNG and "Guard on the grinder" in photo_card.text
        await tg.send(abena, "/review")
        (under_review,) = await scheduled(tg, kofi)
        assert "S2" in under_review.text
        (accepted_card,) = await tg.press(abena, photo_card, "Accept")
        (accepted,) = await scheduled(tg, kofi)
        assert "S2" in accepted.text and "accepted" in accepted.text

        async with tg.app.session_factory() as session:
            statuses = [s.status for s in await session.scalars(
                select(Suggestion).order_by(Suggestion.id))]
        assert statuses == [SuggestionStatus.IMPLEMENTED, SuggestionStatus.ACCEPTED]
        _no_html(tg.wa.messages_to(kofi))
        assert tg.wa.refused() == []


def _identifying(texts: list[str], user: WaUser, person: Person) -> list[str]:
    """Texts that name or number the person."""
    marks = [user.name, user.wa_id, str(person.telegram_id), f"person={person.id}"]
    return [text for text in texts if any(mark in text for mark in marks)]


def _private_lines(caplog: Any, user: WaUser, person: Person) -> list[str]:
    """Log lines that could tie the WhatsApp person to what they did."""
    found = []
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        context = getattr(record, "context", {})
        if (_identifying([line, str(context)], user, person) or "sg:" in line
                or "pu:" in line or context.get("person_id") == person.id):
            found.append(f"{record.name}: {line} {context}")
    return found


async def test_an_anonymous_idea_from_whatsapp_and_its_relayed_question(database_url, caplog):
    import logging

    from bot.logs import ContextFilter, keep_values_out_of_logs

    keep_values_out_of_logs()
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        kumasi, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=kumasi)
        esi = await tg.wa_join("Esi", Role.WORKER, welding, wa_id="233245550199")
        person = await wa_person(tg, esi)

        caplog.set_level(logging.DEBUG)
        caplog.handler.addFilter(ContextFilter())
        await tg.wa.send(esi, "/suggest")
        (areas,) = await tg.wa.send(esi, "Cover the drain by the quench tank")
        (question,) = await tg.wa.press(esi, areas, "Skip")
        assert "fewer than 5 people" in question.text
        (received,) = await tg.wa.press(esi, question, "anonymously")
        assert "anonymous suggestion has been received" in received.text
        await tg.wa.press(esi, question, "anonymously")  # a double tap: refused, politely
        assert any("anonymous suggestion held" in r.getMessage() for r in caplog.records)
        assert _private_lines(caplog, esi, person) == []

        # At the top of the hour the manager sees it with no name, and asks a question; Esi
        # hears its number.
        caplog.set_level(logging.WARNING)
        before = len(tg.wa.sent)
        (card,) = await scheduled(tg, abena, next_hour=True)
        assert [m.text for m in tg.wa.sent[before:] if m.to == esi.wa_id] == [
            "Your anonymous suggestion is with the reviewers now, as S1."]
        assert "anonymous" in card.text
        await tg.press(abena, card, "Ask a question")
        await tg.send(abena, "Which drain do you mean?")
        (relayed,) = await scheduled(tg, esi)
        assert "Which drain" in relayed.text

        # Esi answers on WhatsApp; the answer reaches the manager without naming her.
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        (prompt,) = await tg.wa.press(esi, relayed, 0)
        assert prompt.text
        await tg.wa.send(esi, "The one beside the quench tank.")
        (answer,) = await scheduled(tg, abena)
        assert "quench tank" in answer.text
        assert _private_lines(caplog, esi, person) == []
        (accepted_card,) = await tg.press(abena, answer, "Accept")
        assert "accepted" in accepted_card.text
        (accepted,) = await scheduled(tg, esi)
        assert "S1" in accepted.text and "accepted" in accepted.text

        everything = [m.text for m in tg.messages_for(abena)]
        everything += [str(c.params) for c in tg.telegram.calls
                       if str(c.params.get("chat_id")) == str(abena.id)]
        assert _identifying(everything, esi, person) == []
        async with tg.app.session_factory() as session:
            suggestion = await session.scalar(select(Suggestion))
            assert suggestion is not None and suggestion.author_id is None
        assert tg.wa.refused() == []


async def test_an_anonymous_voice_note_from_whatsapp_is_never_passed_on(database_url):
    from sqlalchemy import func

    from storage.models import SuggestionMedia

    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        kumasi, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        abena = await tg.join("Abena", Role.MANAGER, enterprise=kumasi)
        kofi = await tg.wa_join("Kofi", Role.WORKER, welding)

        (is_it,) = await tg.wa.send_voice(kofi, b"OggS" + bytes(60))
        (areas,) = await tg.wa.press(kofi, is_it, 0)
        (question,) = await tg.wa.press(kofi, areas, "Skip")
        assert "only with your name" in question.text
        (refused,) = await tg.wa.press(kofi, question, "anonymously")
        assert "never passed on anonymously" in refused.text
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(Suggestion)) == 0

        (_typed,) = await tg.wa.press(kofi, refused, "Type it")
        (areas,) = await tg.wa.send(kofi, "Fix the leaking valve in bay 2")
        (question,) = await tg.wa.press(kofi, areas, "Skip")
        (received,) = await tg.wa.press(kofi, question, "anonymously")
        assert "anonymous suggestion has been received" in received.text
        (card,) = await scheduled(tg, abena, next_hour=True)
        assert "Kofi" not in card.text and not tg.telegram.calls_of("sendVoice")
        async with tg.app.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(SuggestionMedia)) == 0
        assert tg.wa.refused() == []


async def test_an_action_owned_on_whatsapp_reminded_through_the_template_and_done(
        database_url):
    from datetime import UTC, datetime

    from bot.clock import FakeClock
    from bot.content.loader import curriculum
    from storage.models import ActionItem, ActionStatus

    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Accra is on UTC
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(monday)) as tg:
        assert tg.wa is not None
        _, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        kwame = await tg.join("Kwame", Role.TEAM_LEAD, welding)
        ama = await tg.wa_join("Ama", Role.WORKER, welding)

        # The team lead turns a lesson task into an action due next Monday, owned by Ama.
        first = curriculum().lessons[0]
        _lesson, quiz = await tg.send(kwame, "/lesson")
        _feedback, task = await tg.press(kwame, quiz, first.answer)
        await tg.press(kwame, task, "Make it a team action")
        owner = await wa_person(tg, ama)
        async with tg.app.session_factory() as session, session.begin():
            item = await session.scalar(select(ActionItem))
            assert item is not None
            item.owner_id = owner.id
            action_id = item.id

        # Saturday 09:00, two days before: Ama has not written for five days, so the
        # reminder waits behind the approved template, and follows her tap.
        tg.clock.set(datetime(2026, 3, 7, 9, 0, tzinfo=UTC))
        (announcement,) = await scheduled(tg, ama)
        assert announcement.type == "template"
        assert "Coming up" in announcement.body["template"]["components"][0]["parameters"][0][
            "text"]
        assert await scheduled(tg, ama) == []  # not twice
        (coming,) = await tg.wa.press(ama, announcement, 0)
        assert "Coming up" in coming.text
        # Four answers: more than three reply buttons, so a list.
        assert coming.body["interactive"]["type"] == "list"
        assert [title for title, _ in coming.choices()] == [
            "Done", "In progress", "Need help", "New date"]

        # She answers at once, while her window is open: in progress, with a note.
        await tg.wa.press(ama, coming, "In progress")
        (noted,) = await tg.wa.send(ama, "Bought the paint")
        assert "Noted" in noted.text

        # Monday, the due day, 48 hours later: the template again, the reminder on the tap.
        tg.clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
        (announcement,) = await scheduled(tg, ama)
        assert announcement.type == "template"
        (due,) = await tg.wa.press(ama, announcement, 0)
        assert "Due today" in due.text
        (done,) = await tg.wa.press(ama, due, "Done")
        assert "after-photo" in done.text
        (saved,) = await tg.wa.send_image(ama, PNG)
        assert "After-photo saved" in saved.text

        tg.clock.set(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
        assert await scheduled(tg, ama) == []  # done: no more reminders
        async with tg.app.session_factory() as session:
            item = await session.get(ActionItem, action_id)
            assert item is not None and item.status is ActionStatus.DONE
        _no_html(tg.wa.messages_to(ama))
        assert tg.wa.refused() == []


async def test_a_team_lead_on_whatsapp_answers_the_weekly_check_in(database_url):
    from datetime import UTC, datetime

    from bot.clock import FakeClock
    from bot.services import kpis
    from storage.models import Enterprise, EnterpriseKpi, KpiValue

    friday_1400 = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # Accra is on UTC
    async with BotUnderTest(database_url, whatsapp=True,
                            clock=FakeClock(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))) as tg:
        assert tg.wa is not None
        kumasi, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        async with tg.app.session_factory() as session, session.begin():
            enterprise = await session.get(Enterprise, kumasi.id)
            assert enterprise is not None
            await kpis.enable_kpi(session, enterprise, "defect_rate", baseline=8.0, target=2.0,
                                  now=tg.clock.now())
            await kpis.enable_kpi(session, enterprise, "on_time_delivery", baseline=80.0,
                                  target=95.0, now=tg.clock.now())
        abena = await tg.join("Abena", Role.MANAGER, enterprise=kumasi)
        yaw = await tg.wa_join("Yaw", Role.TEAM_LEAD, welding)

        # Friday 14:00, 29 hours after Yaw last wrote: the invitation waits behind the
        # template; his tap brings it.
        tg.clock.set(friday_1400)
        (announcement,) = await scheduled(tg, yaw)
        assert announcement.type == "template"
        (invitation,) = await tg.wa.press(yaw, announcement, 0)
        assert "Kumasi Metal Works" in invitation.text and invitation.type == "interactive"

        # The figures are typed; "abc" is asked again; Skip and Save are buttons.
        (first,) = await tg.wa.press(yaw, invitation, 0)
        assert "Defect rate" in first.text
        (again,) = await tg.wa.send(yaw, "abc")
        assert "12.5" in again.text
        (second,) = await tg.wa.send(yaw, "3.5")
        assert [title for title, _ in second.choices()] == ["Skip", "Cancel"]
        (summary,) = await tg.wa.send(yaw, "92 %")
        assert "3.5 %" in summary.text and "92 %" in summary.text
        replies = await tg.wa.press(yaw, summary, 0)  # save
        (chart,) = [m for m in replies if m.type == "image"]
        assert tg.wa.media[chart.body["image"]["id"]].startswith(b"\x89PNG")
        assert any("3.5 %" in m.text for m in replies)

        async with tg.app.session_factory() as session:
            stored = {key: value for key, value in await session.execute(
                select(EnterpriseKpi.key, KpiValue.value).join(
                    KpiValue, KpiValue.enterprise_kpi_id == EnterpriseKpi.id))}
        assert stored == {"defect_rate": 3.5, "on_time_delivery": 92.0}
        # The manager on Telegram gets the report through the outbox.
        to_abena = await scheduled(tg, abena)
        assert any("3.5 %" in m.text for m in to_abena)
        _no_html(tg.wa.messages_to(yaw))
        assert tg.wa.refused() == []


async def test_the_pulse_survey_on_whatsapp_one_statement_per_message(database_url, caplog):
    import logging

    from bot.clock import FakeClock
    from bot.logs import ContextFilter, keep_values_out_of_logs
    from storage.models import PulseBallot, PulseTally
    from tests.factories import invite
    from tests.test_climate_e2e import APRIL_CLOSE, APRIL_PULSE, BEFORE_APRIL, answer_survey

    keep_values_out_of_logs()  # as `scorebot run` does
    async with BotUnderTest(database_url, whatsapp=True, clock=FakeClock(BEFORE_APRIL)) as tg:
        assert tg.wa is not None
        factory = tg.app.session_factory
        kumasi, welding = await enterprise_with_team(factory, clock=tg.clock)
        token = (await invite(factory, kumasi, welding, Role.WORKER, tg.clock, uses=4)).token
        others = [tg.person(name) for name in ("Kojo", "Akua", "Yaa", "Kwesi")]
        for user in others:
            await tg.send(user, f"/start {token}")
        efua = await tg.join("Efua", Role.MANAGER, enterprise=kumasi)
        ama = await tg.wa_join("Ama", Role.WORKER, welding)
        person = await wa_person(tg, ama)

        tg.clock.set(APRIL_PULSE)
        before = len(tg.wa.sent)
        sent = await tg.run_scheduled()
        (announcement,) = [m for m in tg.wa.sent[before:] if m.to == ama.wa_id]
        assert announcement.type == "template"
        caplog.set_level(logging.DEBUG)
        caplog.handler.addFilter(ContextFilter())
        (statement,) = await tg.wa.press(ama, announcement, 0)
        assert "anonymous" in statement.text and "1/7" in statement.text
        # Five answers: a list, its rows the Telegram buttons' labels, whole.
        assert statement.body["interactive"]["type"] == "list"
        assert statement.choices()[0][0] == "😀 Strongly agree"

        # No edits on WhatsApp: each answer brings the next statement as a new message.
        seen, first = [statement.text], statement
        for number in range(2, 8):
            (statement,) = await tg.wa.press(ama, statement, 1)  # agree
            assert f"{number}/7" in statement.text and statement.text not in seen
            seen.append(statement.text)
        (thanks,) = await tg.wa.press(ama, statement, 1)
        assert "Thank you" in thanks.text and thanks.choices() == []
        # An old list pressed again counts nothing twice, and is answered politely.
        (again,) = await tg.wa.press(ama, first, 0)
        assert again.type == "text" and again.text
        assert _private_lines(caplog, ama, person) == []
        caplog.set_level(logging.WARNING)

        for user in others:
            (first,) = [m for m in sent if m.chat_id == user.id and m.buttons]
            await answer_survey(tg, user, first, [4] * 7)

        tg.clock.set(APRIL_CLOSE)
        before = len(tg.wa.sent)
        (notice,) = await scheduled(tg, efua)
        # Five people agreed with every statement: (4 - 1) * 25 = 75.
        assert "Working Climate Index" in notice.text and "75/100" in notice.text
        (told,) = [m for m in tg.wa.sent[before:] if m.to == ama.wa_id]
        assert told.type == "template"
        (index,) = await tg.wa.press(ama, told, 0)
        assert "75/100" in index.text
        async with factory() as session:
            assert list(await session.scalars(select(PulseBallot))) == []
            assert sum(t.count for t in await session.scalars(select(PulseTally))) == 5 * 7
        _no_html(tg.wa.messages_to(ama))
        assert tg.wa.refused() == []


async def test_menus_of_every_size_on_whatsapp_and_buttons_never_issued(database_url):
    from bot.services.enterprises import create_team
    from storage.models import Enterprise

    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        factory = tg.app.session_factory
        kumasi, _ = await enterprise_with_team(factory, clock=tg.clock)
        async with factory() as session, session.begin():
            enterprise = await session.get(Enterprise, kumasi.id)
            assert enterprise is not None
            for number in range(2, 13):
                await create_team(session, enterprise, f"Line {number:02d}", now=tg.clock.now())
        efua = await tg.wa_join("Efua", Role.MANAGER, enterprise=kumasi)

        # Eight languages and "voice first": more than three choices, a list message of nine.
        (picker,) = await tg.wa.send(efua, "/language")
        assert picker.body["interactive"]["type"] == "list" and len(picker.choices()) == 9
        # Three roles: reply buttons.
        (roles,) = await tg.wa.send(efua, "/invite")
        assert roles.body["interactive"]["type"] == "button"
        # Twelve teams: numbered text, answered with a number.
        (teams,) = await tg.wa.press(efua, roles, "worker")
        assert teams.type == "text" and "12. Line 12" in teams.text
        assert "Answer with the number of your choice." in teams.text
        # A number that is not on the menu: told which numbers there are; nothing made.
        (out_of_range,) = await tg.wa.send(efua, "40")
        assert out_of_range.text == "There is no choice 40. Please answer with a number " \
                                    "from 1 to 12."
        (card, *_) = await tg.wa.send(efua, "3")
        assert "wa.me" in card.text and "Line 03" in card.text

        # A button id the bot never issued, or one too long to be ours: a polite answer.
        (forged,) = await tg.wa.press_data(efua, "inv:999:manager")
        assert "not valid any more" in forged.text
        (forged,) = await tg.wa.press_data(efua, "x" * 300)
        assert forged.text
        # The old numbered menu was answered: a number now is just a message again.
        assert [m.text for m in await tg.wa.send(efua, "3")]
        assert tg.wa.refused() == []


async def test_the_main_menu_on_whatsapp_is_a_list_and_opens_the_lesson(database_url):
    from tests.test_menu_e2e import WORKER_MENU

    async with BotUnderTest(database_url, whatsapp=True) as tg:
        assert tg.wa is not None
        _, welding = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.wa_join("Ama", Role.WORKER, welding)

        # Telegram's big buttons under the message box cannot exist on WhatsApp: the welcome
        # carries the menu as a list, opened by "Menu", its rows the same labels.
        welcome = tg.wa.messages_to(ama)[-1]
        assert welcome.text.startswith("Welcome, Ama!")
        assert welcome.body["interactive"]["type"] == "list"
        assert welcome.body["interactive"]["action"]["button"] == "Menu"
        assert [title for title, _ in welcome.choices()] == WORKER_MENU

        # Pressing a row does what the button does on Telegram: the lesson, then its quiz.
        lesson, *_ = await tg.wa.press(ama, welcome, "📘 Lesson")
        assert lesson.text.startswith("_Module 1 · lesson 1_")

        # Later, a greeting brings the menu back; pressing only, she opens the next lesson.
        (menu,) = await tg.wa.send(ama, "hi")
        assert [title for title, _ in menu.choices()] == WORKER_MENU
        lesson, *_ = await tg.wa.press(ama, menu, "📘 Lesson")
        assert lesson.text.startswith("_Module 1 · lesson 2_")

        # In Vietnamese, the menu's button and rows speak Vietnamese, and still work.
        (picker,) = await tg.wa.send(ama, "/language")
        replies = await tg.wa.press(ama, picker, "Tiếng Việt")
        menu = next(m for m in replies if m.type == "interactive"
                    and m.body["interactive"]["type"] == "list")
        assert menu.body["interactive"]["action"]["button"] == "Menu"  # the same word in vi
        help_row = next(title for title, _ in menu.choices() if title.startswith("❓"))
        (answer, *_) = await tg.wa.press(ama, menu, help_row)
        assert "Kumasi Metal Works" in answer.text
        assert tg.wa.refused() == []
