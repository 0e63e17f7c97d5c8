"""The offline console drives the real dispatcher and handlers with no token and no network."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_application
from bot.clock import FakeClock
from bot.config import Settings
from bot.offline.console import Console
from bot.offline.demo import DEMO_INVITE_TOKEN, seed_demo
from storage.models import ActionItem, Person, Team

MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 07:00 in Accra, which is on UTC


@pytest.fixture
async def console(database_url, tmp_path):
    app = await build_application(Settings(database_url=database_url),
                                  clock=FakeClock(MONDAY))
    async with app.session_factory() as session, session.begin():
        assert await seed_demo(session, app.clock)
    async with app.session_factory() as session, session.begin():
        assert not await seed_demo(session, app.clock)  # idempotent
    output: list[str] = []
    console = await Console.open(app, write=output.append, files_dir=tmp_path / "files")
    console.output = output  # type: ignore[attr-defined]
    yield console
    await console.close()
    await app.close()


async def type_lines(console: Console, *lines: str) -> str:
    console.output.clear()  # type: ignore[attr-defined]
    for line in lines:
        assert await console.handle_line(line)
    return "\n".join(console.output)  # type: ignore[attr-defined]


async def test_newcomer_joins_reads_help_and_switches_language(console):
    assert "Ama Mensah" in console.banner()
    shown = await type_lines(console, ":new vi", f"/start {DEMO_INVITE_TOKEN}")
    assert "Accra Garments Ltd" in shown
    assert "Chào mừng Newcomer" in shown

    shown = await type_lines(console, "/help")
    assert "/team" in shown and "/language" in shown

    shown = await type_lines(console, "/language")
    assert re.search(r"\[:\d+\.1\] English", shown)
    shown = await type_lines(console, ":3")  # Français
    assert re.search(r"bot #\d+ edited:", shown)
    shown = await type_lines(console, "/help")
    assert "Voici ce que je peux faire pour vous" in shown
    assert shown != await type_lines(console, ":as 1", "/help")


async def test_manager_creates_an_invite_by_pressing_numbers(console):
    shown = await type_lines(console, ":as 3", "/invite", ":1", ":1")
    assert "https://t.me/scorebot_demo_bot?start=" in shown
    assert "[photo" in shown


async def test_console_mistakes_are_explained(console):
    assert "Pick who you are first" in await type_lines(console, "hello")
    assert "Choose a number" in await type_lines(console, ":as 99")
    assert "no message with buttons" in await type_lines(console, ":as 1", ":4")
    assert "Unknown console command" in await type_lines(console, ":fly")
    assert not await console.handle_line(":quit")


@pytest.mark.parametrize("language", ["en", "es", "fr", "vi", "id", "zh", "hi", "zu"])
async def test_a_worker_reads_a_lesson_and_answers_its_quiz(console, language):
    from bot.content.loader import curriculum
    from bot.languages import match_locale

    lesson = curriculum().lessons[0]
    text = lesson.in_locale(match_locale(language) or "en")
    await type_lines(console, f":new {language}", f"/start {DEMO_INVITE_TOKEN}")
    shown = await type_lines(console, "/lesson")
    assert text.title in shown and text.options[0] in shown
    shown = await type_lines(console, f":{lesson.answer + 1}")
    assert "✅" in shown and text.feedback[lesson.answer][:30] in shown
    assert text.task[:30] in shown


async def test_a_suggestion_reaches_the_manager_in_the_console(console):
    shown = await type_lines(console, ":as 1", "/suggest", "Put a mat at the cutting table",
                             ":6", ":1")  # skip the area, send with my name
    # The demo's other factories have suggestions of their own: read the new reference.
    reference = re.search(r"suggestion (S\d+) has been received", shown).group(1)
    shown = await type_lines(console, ":as 3")  # Efua, the manager, reads French
    assert reference in shown and "Ama Mensah" in shown and "Put a mat" in shown
    shown = await type_lines(console, ":as 1")
    assert reference not in shown  # nothing new for Ama yet


async def test_the_demo_has_kpi_history_to_chart(console):
    shown = await type_lines(console, ":as 2", "/kpi")  # Kofi, team lead in Accra
    assert "[photo" in shown
    assert "3.6 %" in shown and "6 %" in shown  # this week's defect rate and its baseline


def read(path: str) -> bytes:
    return Path(path).read_bytes()


def numbers(shown: str, text: str) -> int:
    """The number on screen of the (last) message that contains `text`."""
    found = re.findall(r"bot #(\d+)[^\n]*?[>:] (?:\[[^\]]*\] )?" + re.escape(text), shown)
    assert found, shown
    return int(found[-1])


async def test_time_moves_forward_and_what_is_due_arrives_with_its_local_time(console):
    shown = await type_lines(console, ":as 1", ":who")
    assert "Console time: Mon 30 Nov 2026 07:00 Accra" in shown
    assert "Say how far" in await type_lines(console, ":advance soon")
    assert "console's past" in await type_lines(console, ":at 2026-11-29 10:00")
    shown = await type_lines(console, ":advance 2h")
    assert "It is now Mon 30 Nov 2026 09:00 Accra." in shown
    # Tuesday 10:00 is the demo teams' lesson time; the scheduled scan sends it then.
    shown = await type_lines(console, ":at 2026-12-01 10:30")
    assert re.search(r"bot #\d+ \(Tue 01 Dec 10:00 Accra\)> New lesson: ", shown), shown
    # What reaches others is announced in one line, in their own local time.
    assert "Tue 01 Dec 10:00 Accra → Kofi Boateng" in shown
    assert re.search(r"Tue 01 Dec 10:00 Ho Chi Minh → Nguyễn Văn An: Bài học mới", shown)
    shown = await type_lines(console, ":who")
    assert "Console time: Tue 01 Dec 2026 10:30 Accra (1 d 3 h 30 min ahead" in shown
    shown = await type_lines(console, ":as 2")  # Kofi reads his lesson in full
    assert "New lesson: Your Enterprise Improvement Team" in shown
    shown = await type_lines(console, ":advance 3d 4h")
    assert re.search(r"\(Fri 04 Dec 14:00 Accra\)> Time for the weekly check-in", shown)
    assert "It is now Fri 04 Dec 2026 14:30 Accra." in shown


async def test_a_group_is_linked_asks_status_and_receives_the_overdue_action(console):
    async with console.app.session_factory() as session, session.begin():
        ama = await session.scalar(select(Person).where(Person.telegram_id == 1001))
        team = await session.scalar(select(Team).where(Team.name == "Cutting room"))
        session.add(ActionItem(enterprise_id=team.enterprise_id, team_id=team.id,
                               title="Mark the walkways", owner_id=ama.id,
                               due_on=date(2026, 12, 2), created_at=MONDAY, updated_at=MONDAY))
    shown = await type_lines(console, ":as 6", "/link")  # Lucía, the consultant
    code = re.search(r"Accra Garments Ltd: /link ([A-Z0-9]{8})", shown).group(1)
    shown = await type_lines(console, ":group SCORE coaches")
    assert "created the group SCORE coaches" in shown
    # Privacy mode: the bot reads only commands and replies in groups.
    assert "does not see this" in await type_lines(console, "good morning everyone")
    shown = await type_lines(console, f"/link {code}", ":press English")
    assert "[SCORE coaches] bot #" in shown and "now follows Accra Garments Ltd" in shown
    shown = await type_lines(console, "/status")
    assert re.search(r"\[SCORE coaches\] bot #\d+> 🟢 Accra Garments Ltd", shown)
    assert "Efua" not in await type_lines(console, ":add 99")  # a wrong number is explained
    assert "Added to SCORE coaches: Efua Owusu" in await type_lines(console, ":add 3")

    # Two weeks on, the late action has climbed the ladder up to the consultant's group.
    shown = await type_lines(console, ":advance 10d")
    alert = numbers(shown, "⚠️ Stalled")
    assert re.search(
        rf"\[SCORE coaches\] bot #{alert} \(\w\w\w \d\d Dec \d\d:00 Accra\)> ⚠️ Stalled", shown)
    assert "Mark the walkways" in shown and "📋 Weekly digest" in shown
    # Ama is not in the group: she cannot press its buttons.
    assert "be in the group" in await type_lines(console, ":as 1", f":{alert}.1")
    shown = await type_lines(console, ":as 6", ":group SCORE coaches", f":{alert}.2")
    assert f"[SCORE coaches] bot #{alert} edited: ⚠️ Stalled" in shown
    assert "📞 Lucía Quispe will call." in shown


async def test_photos_voice_notes_stickers_and_files_reach_the_bot(console, tmp_path):
    shown = await type_lines(console, ":as 1", "/suggest", ":photo")
    assert "(you send the photo sample-photo.png)" in shown
    assert "Which area is it about?" in shown
    await type_lines(console, ":press Skip", ":press with my name")
    shown = await type_lines(console, ":as 2")  # Kofi, the team lead, reviews it
    photo = re.search(r"\[photo: ([^\]]+)\] Suggestion S\d+ · new", shown)
    assert photo and "From: Ama Mensah" in shown
    assert read(photo.group(1)).startswith(b"\x89PNG")
    shown = await type_lines(console, ":as 1", "/suggest", ":voice")
    assert "(you send a voice note" in shown and "Which area is it about?" in shown
    shown = await type_lines(console, ":press Quality", ":press anonymously")
    assert "A voice note is never passed on anonymously" in shown
    await type_lines(console, ":press with my name")
    shown = await type_lines(console, ":as 2")
    assert re.search(r"\[voice note: [^\]]+\.ogg\] Suggestion S\d+ · new", shown)
    assert "No such file" in await type_lines(console, ":document nowhere.pdf")
    (tmp_path / "plan.txt").write_text("the plan")
    shown = await type_lines(console, ":sticker", f":document {tmp_path / 'plan.txt'}")
    assert "(you send a sticker" in shown and "(you send the file plan.txt)" in shown
    assert shown.count("bot #") == 2  # the bot answers each


async def test_toasts_alerts_edits_and_deletions_are_shown_and_old_buttons_work(console):
    shown = await type_lines(console, ":as 1", "/suggest", "Put a mat at the cutting table",
                             ":press Skip", ":press with my name")
    reference = re.search(r"suggestion (S\d+) has been received", shown).group(1)
    shown = await type_lines(console, ":as 3")  # Efua reviews in French
    card = numbers(shown, f"Suggestion {reference}")
    shown = await type_lines(console, f":{card}.1")  # Accepter
    assert "bot toast> C’est fait" in shown
    assert f"bot #{card} edited:" in shown
    # Efua leaves and comes back: the buttons of the earlier message still work.
    shown = await type_lines(console, ":as 1", ":as 3", f":{card}.1")  # Attribuer
    assert "Qui va la mettre en œuvre" in shown
    assert "Choose a button from 1 to 3" in await type_lines(console, f":{card}.9")
    assert "There is no message #999" in await type_lines(console, ":999.1")
    shown = await type_lines(console, ":as 2")  # Kofi got the card before Efua accepted it
    kofi_card = numbers(shown, f"Suggestion {reference}")
    shown = await type_lines(console, f":{kofi_card}.1")  # Accept, once more
    assert "bot alert>" in shown
    assert f"Message #{kofi_card} is in Kofi Boateng" in await type_lines(
        console, ":as 1", f":{kofi_card}.1")
    # A message the bot deletes is shown as deleted.
    await console.bot.delete_message(chat_id=1002, message_id=console._by_number[kofi_card][1])
    shown = await type_lines(console, ":as 2")
    assert f"bot deleted #{kofi_card}" in shown
    assert f"Message #{kofi_card} was deleted" in await type_lines(console, f":{kofi_card}.1")


async def test_charts_workbooks_and_data_files_are_written_to_the_files_folder(console, tmp_path):
    shown = await type_lines(console, ":as 2", "/kpi")
    chart = re.search(r"\[photo: ([^\]]+\.png)\]", shown)
    assert chart, shown
    assert Path(chart.group(1)).parent == tmp_path / "files"
    assert read(chart.group(1)).startswith(b"\x89PNG")
    shown = await type_lines(console, "/mydata")
    data = re.search(r"\[file: ([^\]]+\.json)\]", shown)
    assert data, shown
    assert "Kofi Boateng" in read(data.group(1)).decode("utf-8")
    assert "Files the bot sends" in console.banner() and str(tmp_path / "files") in (
        console.banner())


async def test_ids_are_never_reused_and_the_forgotten_are_not_listed(console):
    from bot.services import privacy

    await type_lines(console, ":new en", f"/start {DEMO_INVITE_TOKEN}")
    first = console.current.telegram_id
    async with console.app.session_factory() as session, session.begin():
        ama = await session.scalar(select(Person).where(Person.telegram_id == 1001))
        await privacy.forget(session, ama, console.clock.now(),
                             console.app.settings.relay_secret())
    again = await Console.open(console.app, write=console.write)  # the console restarted
    try:
        assert "(not joined, -)" not in again.banner()
        assert "Ama Mensah" not in again.banner()
        again.current = None
        assert await again.handle_line(":new en")
        assert again.current.telegram_id > first
        assert await again.handle_line(f"/start {DEMO_INVITE_TOKEN}")
        assert "Welcome, Newcomer" in console.output[-1]  # type: ignore[attr-defined]
        assert "already" not in console.output[-1]  # type: ignore[attr-defined]
    finally:
        await again.close()


async def test_the_guided_tour_plays_to_its_end(database_url, tmp_path):
    from bot.offline.tour import TOUR_SCRIPT, run_tour

    app = await build_application(Settings(database_url=database_url))
    output: list[str] = []
    console = await run_tour(app, TOUR_SCRIPT, files_dir=tmp_path / "files",
                             write=output.append)
    try:
        shown = "\n".join(output)
        assert "=== End of the tour" in shown
        assert "Indice de climat de travail, Cutting room" in shown
        assert "[SCORE coaches] bot #" in shown and "⚠️ Stalled" in shown
        assert any(p.suffix == ".png" for p in (tmp_path / "files").iterdir())
    finally:
        await console.close()
        await app.close()


async def test_a_tour_that_goes_wrong_says_where(database_url, tmp_path):
    from bot.offline.tour import TourFailed, run_tour

    script = tmp_path / "tour.txt"
    script.write_text("start 2026-11-30 07:00\n## Hello\n:as 1\n/help\n"
                      "expect (?P<cmd>/suggest)\n{cmd}\nexpect Nothing like this\n")
    app = await build_application(Settings(database_url=database_url))
    output: list[str] = []
    try:
        with pytest.raises(TourFailed, match="line 7"):
            await run_tour(app, script, write=output.append)
        assert "=== Hello" in output and "Ama Mensah> /suggest" in output
    finally:
        await app.close()


async def test_a_newcomer_on_whatsapp_sees_the_bot_as_whatsapp_shows_it(console):
    shown = await type_lines(console, ":new vi --whatsapp")
    assert "on WhatsApp (+84" in shown
    # The welcome comes as WhatsApp renders it: *bold*, no HTML, and the main menu as a
    # list opened by its button, its rows pressed by number.
    shown = await type_lines(console, f"JOIN {DEMO_INVITE_TOKEN}")
    assert "[WhatsApp]>" in shown and "<b>" not in shown
    assert "≡ Menu" in shown and "📘 Lesson" in shown
    shown = await type_lines(console, "/language")
    assert "≡ Choose" in shown and "Tiếng Việt" in shown
    shown = await type_lines(console, ":press Tiếng Việt")
    assert "Menu" in shown and "📘" in shown
    lesson_row = re.search(r"\[:(\d+\.\d+)\] 📘", shown)
    assert lesson_row is not None
    shown = await type_lines(console, f":{lesson_row.group(1)}")
    assert "[WhatsApp]>" in shown and "Học phần 1" in shown
    assert re.search(r"\n\*[^*\n]+\*\n", shown) and "<b>" not in shown  # *bold* title
    # It is a WhatsApp person in :who, and WhatsApp has no groups.
    assert ", WhatsApp)  <- you" in await type_lines(console, ":who")
    assert "no bot groups" in await type_lines(console, ":group Floor")
