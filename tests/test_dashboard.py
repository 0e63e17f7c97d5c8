"""/dashboard and the web dashboard (a Telegram Mini App) over HTTP: who gets in (initData
signed by Telegram, one-time browser links), who sees what, and an answer to a stall given
on the page showing in the chat. The same pages in a real browser: test_dashboard_browser.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import aiohttp
from sqlalchemy import select

from bot.clock import FakeClock
from bot.services import kpis
from bot.web import auth
from storage.models import (
    ActionItem,
    Enterprise,
    KpiValue,
    Person,
    Role,
    Stall,
    StallKind,
    StallStatus,
    Suggestion,
    SuggestionStatus,
    Team,
)
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import TOKEN, BotUnderTest, TgUser
from tests.fakes.webapp import DashboardServer, free_port, init_data

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Accra is on UTC


@dataclass
class World:
    nadia: TgUser  # consultant of all three
    kofi: TgUser  # manager of Tema Foods only
    red: Enterprise  # a stall has reached the consultant
    amber: Enterprise  # an action is overdue
    green: Enterprise  # figures coming in, nothing wrong
    stall_id: int


async def _join(tg: BotUnderTest, user: TgUser, enterprise: Enterprise, role: Role) -> None:
    token = (await invite(tg.app.session_factory, enterprise, None, role, tg.clock)).token
    await tg.send(user, f"/start {token}")


async def enterprise_with_kpi(tg: BotUnderTest, name: str) -> Enterprise:
    """An enterprise in Ghana with a team, Line 1, whose defect rate fell from a baseline of
    8 % to 3 % over four weeks."""
    made, _team = await enterprise_with_team(tg.app.session_factory, name, "Line 1",
                                             clock=tg.clock)
    async with tg.app.session_factory() as session, session.begin():
        enterprise = await session.get(Enterprise, made.id)
        kpi = await kpis.enable_kpi(session, enterprise, "defect_rate", baseline=8.0,
                                    target=2.0, now=tg.clock.now())
        await session.flush()
        for weeks_ago, value in ((3, 4.8), (2, 4.2), (1, 3.5), (0, 3.0)):
            session.add(KpiValue(enterprise_kpi_id=kpi.id, value=value,
                                 week=date(2026, 3, 2) - timedelta(weeks=weeks_ago)))
    return made


async def world(tg: BotUnderTest) -> World:
    """Nadia, a consultant of three enterprises (red, amber, green), and Kofi, a manager of
    the amber one. The red one's stall reaches Nadia as an alert with its buttons."""
    made = {name: await enterprise_with_kpi(tg, name)
            for name in ("Kumasi Metal Works", "Accra Garments", "Tema Foods")}
    green, red, amber = made["Kumasi Metal Works"], made["Accra Garments"], made["Tema Foods"]
    nadia, kofi = tg.person("Nadia"), tg.person("Kofi")
    for enterprise in (green, red, amber):
        await _join(tg, nadia, enterprise, Role.CONSULTANT)
    await _join(tg, kofi, amber, Role.MANAGER)
    async with tg.app.session_factory() as session, session.begin():
        # After the invites (which merge the enterprises as they were made).
        for enterprise, sector in ((green, "Metal"), (red, "Garments"), (amber, "Food")):
            (await session.get(Enterprise, enterprise.id)).sector = sector
    async with tg.app.session_factory() as session, session.begin():
        kofi_id = (await session.scalar(select(Person).where(
            Person.telegram_id == kofi.id))).id
        late = ActionItem(enterprise_id=red.id, title="Mark the walkways", owner_id=None,
                          due_on=date(2026, 2, 20), created_at=MONDAY - timedelta(days=20),
                          updated_at=MONDAY - timedelta(days=20))
        overdue = ActionItem(enterprise_id=amber.id, title="Fix the fire door",
                             owner_id=kofi_id, due_on=date(2026, 3, 1),
                             created_at=MONDAY - timedelta(days=5), updated_at=MONDAY)
        session.add_all([late, overdue])
        await session.flush()
        stall = Stall(enterprise_id=red.id, kind=StallKind.ACTION, subject_id=late.id,
                      reason="overdue", level=2, detected_at=MONDAY - timedelta(days=6),
                      escalated_at=MONDAY - timedelta(days=3), open_key=f"action:{late.id}")
        session.add(stall)
        await session.flush()
        stall_id = stall.id
    await tg.run_scheduled()  # the stall climbs to the consultant: Nadia gets the alert
    return World(nadia, kofi, red, amber, green, stall_id)


def browser() -> aiohttp.ClientSession:
    """An HTTP client that keeps cookies, as a browser does (127.0.0.1 included)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def alert_in_chat(tg: BotUnderTest, user: TgUser):  # type: ignore[no-untyped-def]
    return next(m for m in reversed(tg.messages_for(user)) if "Mark the walkways" in m.text)


async def signed_in(http: aiohttp.ClientSession, base: str, user: TgUser,
                    when: datetime) -> int:
    async with http.post(f"{base}/dashboard/auth", data=init_data(user, when)) as response:
        return response.status


async def test_dashboard_opens_a_mini_app_and_a_one_time_link(database_url):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        (reply,) = await tg.send(w.nadia, "/dashboard")
        opener, link = reply.button(0), reply.button(1)
        assert opener["web_app"]["url"] == f"http://127.0.0.1:{port}/dashboard/app"
        assert link["url"].startswith(f"http://127.0.0.1:{port}/dashboard/login?t=")
        async with DashboardServer(tg, port) as server, browser() as http:
            # The Mini App's first page is tiny and asks for nothing outside the server.
            async with http.get(opener["web_app"]["url"]) as response:
                first = await response.text()
            assert response.status == 200 and len(first.encode()) < 150_000
            assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", first)

            # The browser link works once, and gives a session for the pages.
            async with http.get(link["url"], allow_redirects=False) as response:
                assert response.status == 303
                assert response.headers["Location"] == "/dashboard/"
            async with http.get(f"{server.base}/dashboard/") as response:
                page = await response.text()
            assert response.status == 200 and "Accra Garments" in page
            async with browser() as stranger, stranger.get(link["url"]) as again:
                assert again.status == 401
                assert "/dashboard" in await again.text()

            # A new link expires after ten minutes.
            (reply,) = await tg.send(w.nadia, "/dashboard")
            tg.clock.advance(timedelta(minutes=11))
            async with browser() as late, late.get(reply.button(1)["url"]) as r:
                assert r.status == 401
            # A link whose signature was changed is refused too.
            (reply,) = await tg.send(w.nadia, "/dashboard")
            token = parse_qs(urlparse(reply.button(1)["url"]).query)["t"][0]
            forged = token.replace(str(w.nadia.id), str(w.kofi.id), 1)
            async with browser() as other, other.get(
                    f"{server.base}/dashboard/login", params={"t": forged}) as response:
                assert response.status == 401


async def test_workers_and_team_leads_have_no_dashboard(database_url):
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url="https://bot.example.org") as tg:
        _enterprise, team = await enterprise_with_team(tg.app.session_factory, clock=tg.clock)
        ama = await tg.join("Ama", Role.WORKER, team)
        (reply,) = await tg.send(ama, "/dashboard")
        assert "does not allow" in reply.text and not reply.buttons


async def test_init_data_forged_or_older_than_an_hour_gets_401(database_url):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        async with DashboardServer(tg, port) as server:
            now = tg.clock.now()
            async with browser() as http:
                assert await signed_in(http, server.base, w.nadia,
                                       now - timedelta(minutes=61)) == 401
                forged = init_data(w.nadia, now, token="654321:another-bots-token")
                async with http.post(f"{server.base}/dashboard/auth", data=forged) as r:
                    assert r.status == 401
                tampered = init_data(w.kofi, now).replace(str(w.kofi.id), str(w.nadia.id))
                async with http.post(f"{server.base}/dashboard/auth", data=tampered) as r:
                    assert r.status == 401
                async with http.post(f"{server.base}/dashboard/auth", data="") as r:
                    assert r.status == 401
                async with http.get(f"{server.base}/dashboard/") as r:
                    assert r.status == 401  # no session was given
                assert await signed_in(http, server.base, w.nadia,
                                       now - timedelta(minutes=59)) == 204
                async with http.get(f"{server.base}/dashboard/") as r:
                    assert r.status == 200
                # The session lasts an hour too.
                tg.clock.advance(auth.SESSION_MAX_AGE + timedelta(seconds=1))
                async with http.get(f"{server.base}/dashboard/") as r:
                    assert r.status == 401


async def test_a_manager_sees_only_their_enterprise(database_url):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        async with DashboardServer(tg, port) as server, browser() as http:
            assert await signed_in(http, server.base, w.kofi, tg.clock.now()) == 204
            async with http.get(f"{server.base}/dashboard/") as r:
                page = await r.text()
            assert "Tema Foods" in page and "Accra Garments" not in page
            async with http.get(f"{server.base}/dashboard/e/{w.amber.id}") as r:
                assert r.status == 200 and "Defect rate" in await r.text()
            for other in (w.red.id, w.green.id, 999999):
                async with http.get(f"{server.base}/dashboard/e/{other}") as r:
                    assert r.status == 403
                    assert "Accra Garments" not in await r.text()
            # Kofi sees the red enterprise's stall nowhere, and cannot answer it.
            async with http.get(f"{server.base}/dashboard/stalls") as r:
                page = await r.text()
            assert "Fix the fire door" in page and "Mark the walkways" not in page
            async with http.post(f"{server.base}/dashboard/stalls/{w.stall_id}",
                                 data={"action": "snooze", "csrf": "x"}) as r:
                assert r.status == 403
            async with http.get(f"{server.base}/dashboard/programme") as r:
                assert r.status == 403
        async with tg.app.session_factory() as session:
            assert (await session.get(Stall, w.stall_id)).status is StallStatus.OPEN


async def test_a_stall_snoozed_on_the_page_shows_snoozed_in_the_chat(database_url):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        alert = alert_in_chat(tg, w.nadia)
        assert "Snooze 7 days" in alert.button_texts()
        async with DashboardServer(tg, port) as server, browser() as http:
            assert await signed_in(http, server.base, w.nadia, tg.clock.now()) == 204
            async with http.get(f"{server.base}/dashboard/stalls") as r:
                page = await r.text()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            assert history(page, w.stall_id) == ["Mar 2, 2026: Raised to the SCORE consultant."]
            assert [re.search(r'value="(\w+)"', form).group(1) for form in re.findall(
                r'<input type="hidden" name="action" (value="\w+")', page)] == [
                "ack", "call", "date", "snooze"]
            # A form without the page's token is refused (another site posting for Nadia).
            async with http.post(f"{server.base}/dashboard/stalls/{w.stall_id}",
                                 data={"action": "snooze", "csrf": "forged"}) as r:
                assert r.status == 403
            async with http.post(f"{server.base}/dashboard/stalls/{w.stall_id}",
                                 data={"action": "snooze", "csrf": csrf}) as r:
                page = await r.text()
            assert history(page, w.stall_id) == [
                "Mar 2, 2026: Raised to the SCORE consultant.",
                "Mar 2, 2026: Snoozed for 7 days by Nadia."]
            # Answered: the page offers no answer any more, as the chat's alert has no
            # buttons; a second answer posted anyway changes nothing.
            card = re.search(rf'id="stall-{w.stall_id}">(.*?)</div>', page, re.S).group(1)
            assert 'name="action"' not in card
            async with http.post(f"{server.base}/dashboard/stalls/{w.stall_id}",
                                 data={"action": "ack", "csrf": csrf}) as r:
                assert r.status == 200 and "Acknowledged by" not in await r.text()
        edited = alert_in_chat(tg, w.nadia)
        assert edited.edited and "Snoozed for 7 days by Nadia" in edited.text
        assert edited.buttons == []
        async with tg.app.session_factory() as session:
            assert (await session.get(Stall, w.stall_id)).status is StallStatus.SNOOZED


def history(page: str, stall_id: int) -> list[str]:
    """The history lines under a stall on the stalls page."""
    card = re.search(rf'<div class="card red" id="stall-{stall_id}">(.*?)</div>', page,
                     re.S).group(1)
    found = re.search(r'<ul class="history hint">(.*?)</ul>', card)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


async def _climate_round(tg: BotUnderTest, team_id: int, month: date, answers: int) -> None:
    """A closed pulse round of `answers` people, everyone agreeing (4 of 5) with everything."""
    from bot.services.climate import STATEMENTS
    from storage.models import Membership, PulseParticipant, PulseRound, PulseTally

    async with tg.app.session_factory() as session, session.begin():
        opened = datetime(month.year, month.month, 2, 10, tzinfo=UTC)
        pulse = PulseRound(team_id=team_id, month=month, statements=list(STATEMENTS),
                           opened_at=opened, reminder_due_at=opened + timedelta(days=3),
                           closes_at=opened + timedelta(days=7),
                           closed_at=opened + timedelta(days=7))
        session.add(pulse)
        await session.flush()
        for n in range(answers):
            person = Person(telegram_id=900_000 + month.month * 100 + n,
                            display_name=f"Worker {n}")
            session.add(person)
            await session.flush()
            enterprise_id = (await session.get(Team, team_id)).enterprise_id
            session.add(Membership(person_id=person.id, enterprise_id=enterprise_id,
                                   role=Role.WORKER, team_id=team_id))
            session.add(PulseParticipant(round_id=pulse.id, person_id=person.id))
        session.add_all(PulseTally(round_id=pulse.id, statement=statement, score=4,
                                   count=answers) for statement in STATEMENTS)


async def test_the_enterprise_page_keeps_anonymity_and_the_climate_threshold(database_url):
    """k = 5: in an enterprise under five people an anonymous idea moves no figure; the
    Working Climate Index shows only with five answers or more."""
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        async with tg.app.session_factory() as session:
            team = await session.scalar(select(Team).where(Team.enterprise_id == w.green.id))

        async def enterprise_page() -> str:
            async with http.get(f"{server.base}/dashboard/e/{w.green.id}") as response:
                assert response.status == 200
                return await response.text()

        def suggestions_block(page: str) -> str:
            return re.search(r"<b>Suggestions, last 12 months</b>.*?</div>", page).group(0)

        async with DashboardServer(tg, port) as server, browser() as http:
            assert await signed_in(http, server.base, w.nadia, tg.clock.now()) == 204
            before = await enterprise_page()
            assert "<svg" in before and "polyline" in before  # the KPI chart
            async with tg.app.session_factory() as session, session.begin():
                session.add(Suggestion(
                    enterprise_id=w.green.id, team_id=team.id, anonymous=True, text="Fans",
                    status=SuggestionStatus.IMPLEMENTED,
                    created_at=MONDAY - timedelta(days=9),
                    first_response_at=MONDAY - timedelta(days=8),
                    implemented_at=MONDAY - timedelta(days=2),
                    updated_at=MONDAY - timedelta(days=2)))
            after = await enterprise_page()
            assert suggestions_block(after) == suggestions_block(before)
            assert funnel_table(after) == funnel_table(before)
            assert funnel_table(after)["Came in"] == ["0"]  # Line 1 (nobody) has no column

            await _climate_round(tg, team.id, date(2026, 1, 1), answers=4)
            page = await enterprise_page()
            assert "not enough answers to keep them anonymous (4 of the 5 needed)" in page
            assert "Working Climate Index, Line 1" not in page
            await _climate_round(tg, team.id, date(2026, 2, 1), answers=5)
            page = await enterprise_page()
            assert "Working Climate Index, Line 1, February 2026</b>: 75/100" in page


async def test_a_browser_link_is_spent_for_every_process_with_redis(database_url, redis_url):
    """With REDIS_URL the link's nonce is in Redis: spent in one process, refused in another."""
    from bot.app import build_storage
    from bot.config import Settings

    port = free_port()
    async with BotUnderTest(database_url, redis_url=redis_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        (reply,) = await tg.send(w.nadia, "/dashboard")
        token = parse_qs(urlparse(reply.button(1)["url"]).query)["t"][0]
        other_process = build_storage(Settings(redis_url=redis_url))
        try:
            assert await auth.spend_link_token(other_process, TOKEN, tg.bot.id, token,
                                               tg.clock.now()) == w.nadia.id
        finally:
            await other_process.close()
        async with DashboardServer(tg, port) as server, browser() as http, http.get(
                f"{server.base}/dashboard/login", params={"t": token}) as response:
            assert response.status == 401


async def test_the_webhook_server_serves_the_dashboard(database_url):
    from bot.app import build_application, build_bot, build_webhook_app
    from bot.config import Settings

    settings = Settings(bot_token=TOKEN, database_url=database_url, webhook_secret="s3cret",
                        webhook_base_url="https://bot.example.org")
    assert settings.dashboard_url == "https://bot.example.org/dashboard"
    app = await build_application(settings)
    bot = build_bot(settings, app=app)
    try:
        routes = {route.resource.canonical for route in build_webhook_app(app, bot).router.routes()
                  if route.resource is not None}
    finally:
        await bot.session.close()
        await app.close()
    assert {"/telegram/webhook", "/dashboard/app", "/dashboard/auth", "/dashboard/",
            "/dashboard/e/{id}", "/dashboard/stalls"} <= routes


def test_the_dashboard_address_must_be_https():
    import pytest
    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError, match="only over https"):
        Settings(web_base_url="http://bot.example.org")
    assert Settings(web_base_url="https://bot.example.org/").dashboard_url == (
        "https://bot.example.org/dashboard")
    assert Settings(_env_file=None, webhook_base_url=None).dashboard_url is None


async def test_a_programme_administrator_sees_the_programme_figures(database_url):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY), admin_ids=[4242],
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        olu = tg.person("Olu", user_id=4242)  # in ADMIN_IDS, a member of no enterprise
        (reply,) = await tg.send(olu, "/dashboard")
        assert reply.button(0)["web_app"]["url"].endswith("/dashboard/app")
        async with DashboardServer(tg, port) as server, browser() as http:
            assert await signed_in(http, server.base, olu, tg.clock.now()) == 204
            async with http.get(f"{server.base}/dashboard/") as r:
                page = await r.text()  # no enterprise of their own: the programme figures
            assert str(r.url).endswith("/dashboard/programme")
            assert "Programme figures" in page and "No group has 5 enterprises" in page
            # Five enterprises in Ghana: a card for the country, with their median figures.
            for name in ("Takoradi Cocoa", "Tamale Shea"):
                await enterprise_with_kpi(tg, name)
            async with http.get(f"{server.base}/dashboard/programme") as r:
                page = await r.text()
            (card,) = re.findall(r'<div class="card programme">(.*?)</div>', page)
            assert card.startswith("<h2>all sectors · Ghana</h2>")
            assert "Enterprises: 5" in card
            assert ('<tr><td>Defect rate: % better than baseline</td><td class="n">62.5</td></tr>'
                    in card)
            async with http.get(f"{server.base}/dashboard/e/{w.red.id}") as r:
                assert r.status == 403


async def _people(tg: BotUnderTest, enterprise_id: int, team_id: int | None, count: int,
                  first: int) -> list[int]:
    """`count` workers in the team (or in no team), added as the invites would."""
    from storage.models import Membership

    ids = []
    async with tg.app.session_factory() as session, session.begin():
        for n in range(count):
            person = Person(telegram_id=800_000 + first + n, display_name=f"Worker {first + n}")
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, enterprise_id=enterprise_id,
                                   role=Role.WORKER, team_id=team_id))
            ids.append(person.id)
    return ids


def funnel_table(page: str) -> dict[str, list[str]]:
    """The suggestion funnel as {row: [whole enterprise, team columns...]}, header first."""
    table = re.search(r'<table id="funnel">(.*?)</table>', page).group(1)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table):
        cells = re.findall(r"<t[hd]>(.*?)</t[hd]>", row)
        rows[cells[0]] = cells[1:]
    return rows


@dataclass
class Lively:
    line_id: int  # Line 1: six workers
    boiler_id: int  # the boiler room: two workers


async def lively(tg: BotUnderTest, enterprise_id: int) -> Lively:
    """Line 1 gets six workers, lessons (4 sent, 3 opened, 2 completed) and two ideas of the
    last year (one named and accepted, one anonymous and implemented) besides an older one; a
    boiler room of two workers; a complete self-check for Q1 2026 with one item to act on."""
    from bot.services.selfcheck import ITEMS, MANAGER, WORKER
    from storage.models import LessonDelivery, SelfCheckAnswer, SelfCheckRound

    async with tg.app.session_factory() as session, session.begin():
        line = await session.scalar(select(Team).where(Team.enterprise_id == enterprise_id))
        boiler = Team(enterprise_id=enterprise_id, name="Boiler room")
        session.add(boiler)
        await session.flush()
        line_id, boiler_id = line.id, boiler.id
    line_people = await _people(tg, enterprise_id, line_id, 6, first=0)
    await _people(tg, enterprise_id, boiler_id, 2, first=10)
    async with tg.app.session_factory() as session, session.begin():
        for n, person_id in enumerate(line_people[:4]):
            session.add(LessonDelivery(
                person_id=person_id, team_id=line_id, lesson_id="m1-l1",
                sent_at=MONDAY - timedelta(days=7),
                opened_at=MONDAY - timedelta(days=6) if n < 3 else None,
                answered_at=MONDAY - timedelta(days=6) if n < 2 else None))
        session.add_all([
            Suggestion(enterprise_id=enterprise_id, team_id=line_id, author_id=line_people[0],
                       text="Shelves", status=SuggestionStatus.ACCEPTED,
                       created_at=MONDAY - timedelta(days=10),
                       first_response_at=MONDAY - timedelta(days=8),
                       updated_at=MONDAY - timedelta(days=8)),
            Suggestion(enterprise_id=enterprise_id, team_id=line_id, anonymous=True,
                       text="Fans", status=SuggestionStatus.IMPLEMENTED,
                       created_at=MONDAY - timedelta(days=10),
                       first_response_at=MONDAY - timedelta(days=9),
                       implemented_at=MONDAY - timedelta(days=2),
                       updated_at=MONDAY - timedelta(days=2)),
            Suggestion(enterprise_id=enterprise_id, team_id=line_id, author_id=line_people[1],
                       text="Old idea", status=SuggestionStatus.IMPLEMENTED,
                       created_at=MONDAY - timedelta(days=400),
                       updated_at=MONDAY - timedelta(days=300)),  # over a year ago
        ])
        check = SelfCheckRound(enterprise_id=enterprise_id, quarter=date(2026, 1, 1),
                               opened_at=MONDAY - timedelta(days=50),
                               completed_at=MONDAY - timedelta(days=40))
        session.add(check)
        await session.flush()
        session.add_all(SelfCheckAnswer(round_id=check.id, item=item, side=side,
                                        answer="no" if item == ITEMS[0] else "yes",
                                        answered_at=MONDAY - timedelta(days=40))
                        for item in ITEMS for side in (MANAGER, WORKER))

    return Lively(line_id, boiler_id)


async def test_one_enterprise_shows_priorities_lessons_the_funnel_and_the_self_check(
        database_url):
    """The enterprise page's figures: the improvement priorities of the weekly report, lesson
    completion per team, the suggestion funnel per team of five or more (k = 5), and the
    latest labour-standards self-check."""
    from bot.services.selfcheck import ITEMS

    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        made = await lively(tg, w.green.id)
        boiler_id = made.boiler_id
        async with DashboardServer(tg, port) as server, browser() as http:
            assert await signed_in(http, server.base, w.nadia, tg.clock.now()) == 204

            async def enterprise_page() -> str:
                async with http.get(f"{server.base}/dashboard/e/{w.green.id}") as response:
                    assert response.status == 200
                    return await response.text()

            page = await enterprise_page()
            # The priorities: the defect rate's next step (a tenth of baseline to target).
            priorities = re.search(r'<ol id="priorities">(.*?)</ol>', page).group(1)
            assert "Defect rate: from 3 % to 2.4 %" in priorities
            # Lessons per team: Line 1 was sent 4, opened 3, completed 2; the boiler room none.
            lessons = re.search(r'<table id="lessons">(.*?)</table>', page).group(1)
            assert "<td>Line 1</td><td>4</td><td>3</td><td>2 (50%)</td>" in lessons
            assert "<td>Boiler room</td><td>0</td><td>0</td><td>0</td>" in lessons
            # The funnel: Line 1 (six people) has its own column, anonymous idea included;
            # the boiler room (two people) has none.
            funnel = funnel_table(page)
            assert funnel[""] == ["Whole enterprise", "Line 1"]
            assert funnel["Came in"] == ["2", "2"]
            assert funnel["Answered"] == ["2", "2"]
            assert funnel["Accepted"] == ["2", "2"]
            assert funnel["Implemented"] == ["1", "1"]
            assert funnel["Median days to a first answer"] == ["1.5", "1.5"]
            assert "Teams of fewer than 5 people have no column of their own" in page
            # The latest self-check, as /selfcheck says it.
            assert (f"Q1 2026: {len(ITEMS) - 1} of {len(ITEMS)} in order, 1 to act on, "
                    "0 not sure") in page

            # An anonymous idea from the boiler room moves no figure: outside Line 1 there
            # are three people (the boiler room and Nadia).
            async with tg.app.session_factory() as session, session.begin():
                session.add(Suggestion(enterprise_id=w.green.id, team_id=boiler_id,
                                       anonymous=True, text="Heat", created_at=MONDAY,
                                       updated_at=MONDAY))
            assert funnel_table(await enterprise_page()) == funnel
            # With five people outside Line 1, it counts for the whole enterprise only.
            await _people(tg, w.green.id, None, 2, first=20)
            funnel = funnel_table(await enterprise_page())
            assert funnel["Came in"] == ["3", "2"] and funnel["Answered"] == ["2", "2"]
            assert "Worker 10" not in await enterprise_page()


async def test_in_polling_mode_a_web_server_beside_the_bot_serves_the_dashboard(tmp_path):
    """`scorebot run` (long polling) with WEB_BASE_URL starts the dashboard's server beside
    the polling: the real process, the fake Bot API, /dashboard in the chat, then the page."""
    import asyncio
    import os
    import sys

    from bot.offline.telegram import FakeTelegram
    from tests.fakes.bot_api_server import FakeBotApiServer
    from tests.fakes.processes import BotProcess, until

    class PollingProcess(BotProcess):
        async def start(self) -> None:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            self._reader = asyncio.create_task(self._read())

    telegram = FakeTelegram(token=TOKEN, username="scorebot_test_bot")
    api = FakeBotApiServer(telegram)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "BOT_TOKEN": TOKEN,
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'polling.db'}",
           "TELEGRAM_API_BASE": await api.start(), "WEB_BASE_URL": f"http://127.0.0.1:{port}",
           "WEBHOOK_HOST": "127.0.0.1", "ADMIN_IDS": "4242", "LOG_LEVEL": "INFO",
           "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"}
    process = PollingProcess("polling", env, port)
    del process.env["WEBHOOK_BASE_URL"]  # long polling: no webhook at all
    try:
        await process.start()
        await until(lambda: process.said(f"dashboard served on 127.0.0.1:{port}"),
                    "the dashboard's server is up", [process], 60)
        olu = telegram.add_user(4242, "Olu")
        await telegram.enqueue(telegram.message_update(olu["id"], "/dashboard"))
        await until(lambda: any(m.buttons for m in telegram.messages_to(olu["id"])),
                    "/dashboard is answered by polling", [process], 60)
        reply = next(m for m in telegram.messages_to(olu["id"]) if m.buttons)
        mini_app = reply.button(0)["web_app"]["url"]
        assert mini_app == f"http://127.0.0.1:{port}/dashboard/app"
        async with browser() as http:
            async with http.get(mini_app) as response:
                assert response.status == 200 and "tgWebAppData" in await response.text()
            user = TgUser(olu["id"], "Olu", "en")
            async with http.post(f"http://127.0.0.1:{port}/dashboard/auth",
                                 data=init_data(user, datetime.now(UTC))) as response:
                assert response.status == 204
            async with http.get(f"http://127.0.0.1:{port}/dashboard/") as response:
                page = await response.text()
            assert str(response.url).endswith("/dashboard/programme")
            assert "<h1>Programme figures</h1>" in page
    finally:
        await process.stop()
        await api.stop()
