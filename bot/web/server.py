"""The dashboard's routes on the bot's own aiohttp server (the webhook server, or in polling
mode a server started beside it). Every page is drawn on the server from the same services
and presenters as the chat, in the person's language, for the enterprises their memberships
let them follow (Capability.DASHBOARD); nothing is read from anywhere else.

    GET  /dashboard/app           the Mini App's first page: hands Telegram's initData over
    POST /dashboard/auth          initData -> a session cookie, or 401
    GET  /dashboard/login?t=...   the one-time browser link -> a session cookie, or 401
    GET  /dashboard/              the enterprises by health colour, worst first
    GET  /dashboard/e/{id}        one enterprise
    GET  /dashboard/stalls        everything stalled or overdue, with the consultant's answers
    POST /dashboard/stalls/{id}   an answer (acknowledge, will call, new date, snooze)
    GET  /dashboard/programme     programme figures (programme administrators)
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from html import escape
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from aiohttp import web
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_percent
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot.i18n import _
from bot.keyboards.callbacks import EscalationCallback
from bot.presenters import climate as climate_ui
from bot.presenters import escalation as escalation_ui
from bot.presenters import health as health_ui
from bot.presenters import kpis as kpi_ui
from bot.presenters import programme as programme_ui
from bot.presenters import selfcheck as selfcheck_ui
from bot.presenters import suggestions as suggestion_ui
from bot.services import (
    actions,
    anonymity,
    climate,
    escalation,
    figures,
    kpis,
    selfcheck,
    suggestions,
)
from bot.services.enterprises import teams_of
from bot.services.health import Health, health_of
from bot.services.people import load_person, resolve_locale
from bot.services.permissions import Capability, membership_in, memberships_with
from bot.services.programme import ProgrammeReport, programme_report
from bot.services.programme import table as programme_table
from bot.web import answers, auth
from bot.web.layout import not_allowed_page, page, plain_marks, refused_page, telegram_html
from bot.web.svg import trend
from storage.models import EscalationEvent, Membership, Person, Stall, Team

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


def your_enterprises() -> str:
    """The chat's heading of /teams, as plain text."""
    return re.sub(r"<[^>]+>", "", _("<b>Your enterprises</b>"))


def dot(colour: str) -> str:
    """The health colour as a dot drawn by CSS (an emoji needs a font a phone may lack); the
    colour's name is always written beside it."""
    return f'<span class="dot-{colour}" aria-hidden="true"></span>'


def tag(name: str, text: str) -> str:
    """An element holding plain text (escaped)."""
    return f"<{name}>{escape(text)}</{name}>"

ROOT = "/dashboard"
DASHBOARD = web.AppKey("dashboard", object)
ORDER = {"red": 0, "amber": 1, "not_started": 2, "green": 3}
KPI_WEEKS = 12
EFFECTIVENESS_WEEKS = 8
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                      "script-src 'unsafe-inline'; img-src 'self' data:; "
                                      "connect-src 'self'; form-action 'self'; "
                                      "frame-ancestors https://web.telegram.org https://*.telegram.org"}


@dataclass
class Viewer:
    person: Person | None
    memberships: list[Membership]  # those that open the dashboard
    programme_admin: bool
    locale: str
    session: auth.Session


class Dashboard:
    def __init__(self, application: Application, bot: Bot) -> None:
        self.app = application
        self.bot = bot
        settings = application.settings
        assert settings.bot_token is not None
        self.token = settings.bot_token.get_secret_value()
        self.secure = (settings.dashboard_url or "").startswith("https://")

    # --- plumbing ------------------------------------------------------------------------

    def html(self, text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html",
                            charset="utf-8", headers=HEADERS)

    def with_cookie(self, response: web.StreamResponse, telegram_id: int) -> None:
        _session, value = auth.new_session(self.token, telegram_id, self.app.clock.now())
        response.set_cookie(auth.COOKIE, value, path=ROOT, httponly=True, secure=self.secure,
                            samesite="None" if self.secure else "Lax",
                            max_age=int(auth.SESSION_MAX_AGE.total_seconds()))

    async def viewer(self, request: web.Request, db: AsyncSession) -> Viewer:
        settings = self.app.settings
        try:
            session = auth.read_session(self.token, request.cookies.get(auth.COOKIE),
                                        self.app.clock.now())
        except auth.Refused:
            raise web.HTTPUnauthorized(text=self.with_i18n(settings.default_locale,
                                                           refused_page),
                                       content_type="text/html", headers=HEADERS) from None
        person = await load_person(db, session.telegram_id)
        memberships = memberships_with(person.memberships if person else [],
                                       Capability.DASHBOARD)
        programme_admin = session.telegram_id in settings.admin_ids
        locale = resolve_locale(person, person.telegram_language if person else None,
                                settings.default_locale)
        if not memberships and not programme_admin:
            raise web.HTTPForbidden(text=self.with_i18n(locale, not_allowed_page),
                                    content_type="text/html", headers=HEADERS)
        return Viewer(person, memberships, programme_admin, locale, session)

    def with_i18n(self, locale: str, render: Callable[[str], str]) -> str:
        with self.app.i18n.speaking(locale):
            return render(locale)

    def nav(self, viewer: Viewer) -> list[tuple[str, str]]:
        links = [(f"{ROOT}/", escape(your_enterprises()))] if viewer.memberships else []
        if viewer.memberships:
            links.append((f"{ROOT}/stalls", escape(_("Stalled and overdue"))))
        if viewer.programme_admin:
            links.append((f"{ROOT}/programme", escape(_("Programme figures"))))
        return links

    # --- signing in ------------------------------------------------------------------------

    async def app_page(self, request: web.Request) -> web.Response:
        """The Mini App's address: a few lines of script post Telegram's initData (it is in
        the address's #fragment, which never reaches a server by itself)."""
        def render(locale: str) -> str:
            refused = escape(_("This page has expired or the link was already used. Send "
                               "/dashboard in the chat to open it again."))
            script = (
                "(function(){var h=new URLSearchParams(location.hash.slice(1)),"
                "p=h.get('tgWebAppThemeParams');if(p)try{sessionStorage.setItem('tgTheme',p)}"
                "catch(x){}fetch('" + ROOT + "/auth',{method:'POST',credentials:'same-origin',"
                "headers:{'Content-Type':'text/plain'},body:h.get('tgWebAppData')||''})"
                ".then(function(r){if(r.ok)location.replace('" + ROOT + "/');else "
                "document.getElementById('m').hidden=false})})();")
            return page("SCORE", f'<p id="m" hidden>{refused}</p><script>{script}</script>',
                        locale, back=False)
        return self.html(self.with_i18n(self.app.settings.default_locale, render))

    async def sign_in(self, request: web.Request) -> web.Response:
        init_data = (await request.text())[:8192]
        try:
            telegram_id = auth.telegram_id_from_init_data(self.token, init_data,
                                                          self.app.clock.now())
        except auth.Refused as refused:
            log.warning("dashboard: initData refused (%s)", refused)
            return web.Response(status=401, text="Unauthorized", headers=HEADERS)
        response = web.Response(status=204, headers=HEADERS)
        self.with_cookie(response, telegram_id)
        return response

    async def link(self, request: web.Request) -> web.Response:
        try:
            telegram_id = await auth.spend_link_token(
                self.app.dispatcher.storage, self.token, self.bot.id,
                request.query.get("t", ""), self.app.clock.now())
        except auth.Refused as refused:
            log.warning("dashboard: browser link refused (%s)", refused)
            return self.html(self.with_i18n(self.app.settings.default_locale, refused_page),
                             status=401)
        response = web.HTTPSeeOther(f"{ROOT}/", headers=HEADERS)
        self.with_cookie(response, telegram_id)
        raise response

    # --- the enterprises -------------------------------------------------------------------

    async def enterprises(self, request: web.Request) -> web.Response:
        async with self.app.session_factory() as db:
            viewer = await self.viewer(request, db)
            if not viewer.memberships:
                raise web.HTTPSeeOther(f"{ROOT}/programme")
            now = self.app.clock.now()
            healths = [await health_of(db, m.enterprise, now) for m in viewer.memberships]
        country, sector = request.query.get("country", ""), request.query.get("sector", "")
        with self.app.i18n.speaking(viewer.locale):
            return self.html(page(your_enterprises(), self.list_body(
                healths, viewer.locale, country, sector), viewer.locale, back=False,
                nav=self.nav(viewer)))

    def list_body(self, healths: list[Health], locale: str, country: str, sector: str) -> str:
        territories = Locale.parse(locale).territories
        countries = sorted({h.enterprise.country for h in healths})
        sectors = sorted({h.enterprise.sector for h in healths if h.enterprise.sector})

        def select(name: str, everything: str, options: list[tuple[str, str]], chosen: str) -> str:
            items = [f'<option value="">{escape(everything)}</option>'] + [
                f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
                f"{escape(label)}</option>" for value, label in options]
            return (f'<select name="{name}" aria-label="{escape(everything)}">'
                    f'{"".join(items)}</select>')

        form = ('<form method="get" action="' + ROOT + '/">'
                + select("country", _("all countries"),
                         [(c, territories.get(c, c)) for c in countries], country)
                + select("sector", _("all sectors"), [(s, s) for s in sectors], sector)
                + tag("button", _("Show")) + "</form>")
        shown = [h for h in healths if (not country or h.enterprise.country == country)
                 and (not sector or h.enterprise.sector == sector)]
        shown.sort(key=lambda h: (ORDER[h.colour], -len(h.reasons), h.enterprise.name.lower()))
        cards = []
        for health in shown:
            lines = health_ui.card(health, locale)
            why = f"<p>{lines[1]}</p>" if health.reasons else ""
            place = " · ".join(filter(None, [territories.get(health.enterprise.country,
                                                             health.enterprise.country),
                                             health.enterprise.sector]))
            cards.append(
                f'<div class="card {health.colour}" data-enterprise="{health.enterprise.id}">'
                f'<p><a href="{ROOT}/e/{health.enterprise.id}"><b>{dot(health.colour)}'
                f"{escape(health.enterprise.name)}</b></a> · "
                f"{escape(health_ui.colour_name(health.colour))}</p>{why}"
                f'<p class="hint">{escape(place)}</p></div>')
        return "<h1>" + _("<b>Your enterprises</b>") + "</h1>" + form + "".join(cards)

    async def enterprise(self, request: web.Request) -> web.Response:
        try:
            enterprise_id = int(request.match_info["id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        async with self.app.session_factory() as db:
            viewer = await self.viewer(request, db)
            membership = membership_in(viewer.memberships, enterprise_id)
            if membership is None:
                log.warning("dashboard: enterprise page outside what the person follows")
                return self.html(self.with_i18n(viewer.locale, not_allowed_page), status=403)
            with self.app.i18n.speaking(viewer.locale):
                body = await self.enterprise_body(db, membership, viewer.locale)
                return self.html(page(membership.enterprise.name, body, viewer.locale,
                                      nav=self.nav(viewer)))

    async def enterprise_body(self, db: AsyncSession, membership: Membership,
                              locale: str) -> str:
        enterprise, now = membership.enterprise, self.app.clock.now()
        health = await health_of(db, enterprise, now)
        parts = [f"<h1>{dot(health.colour)}{escape(enterprise.name)}</h1>",
                 f'<div class="card {health.colour}"><p>'
                 + telegram_html("\n".join(health_ui.card(health, locale)[1:])) + "</p></div>"]
        # KPI trends against baseline and target.
        latest = health.last_checkin_week or kpis.week_of(kpis.local_today(now,
                                                                           enterprise.timezone))
        parts.append(tag("h2", _("KPI figures")))
        parts.append('<p class="legend hint">' + tag("span", "— " + _("Baseline"))
                     + '<span style="color:#2c9b4d">' + escape("··· " + _("Target"))
                     + "</span></p>")
        def day(value: date) -> str:
            return format_date(value, format="short", locale=locale)

        for kpi in await kpis.active_kpis(db, enterprise.id):
            series = await kpis.history(db, kpi.id, KPI_WEEKS, latest)
            name = kpi_ui.kpi_name(kpi, locale)
            anchor = f"kpi-{kpi.id}"
            rows = "".join(f"<tr><td>{escape(day(week))}</td>"
                           f"<td>{escape(kpi_ui.figure(value, kpi, locale))}</td></tr>"
                           for week, value in series)
            parts.append(
                f'<figure class="kpi" id="f{anchor}"><h3 id="{anchor}">{escape(name)}</h3>'
                + trend(series, kpi.baseline, kpi.target, labelled_by=anchor,
                        number=partial(kpi_ui.figure, kpi=kpi, locale=locale), day=day)
                + "<details>" + tag("summary", _("Week")) + f"<table>{rows}</table>"
                  "</details></figure>")
        # Effectiveness week by week.
        weeks = [latest - timedelta(weeks=n) for n in range(EFFECTIVENESS_WEEKS - 1, -1, -1)]
        effect_rows: list[str] = []
        for week in weeks:
            percent = (await kpis.effectiveness(db, enterprise.id, week)).percent_of_maximum
            if percent is None:
                continue
            width = min(abs(percent), 100)
            effect_rows.append(f"<tr><td>{escape(day(week))}</td><td>"
                               f"{escape(format_percent(percent / 100, locale=locale))}</td>"
                               f'<td style="width:50%"><div class="bar'
                               f'{" neg" if percent < 0 else ""}"'
                               f' style="width:{width:.0f}%"></div></td></tr>')
        parts.append(tag("h2", _("Effectiveness per week")))
        parts.append(f"<table>{''.join(effect_rows)}</table>" if effect_rows else "<p>–</p>")
        # The suggestion funnel (the same figures as /stats; k = 5 applied by the service).
        figures = await suggestions.stats(db, enterprise.id, now)
        parts.append('<div class="card"><p>'
                     + telegram_html(suggestion_ui.stats_text(figures, locale)) + "</p></div>")
        teams = await teams_of(db, enterprise.id)
        parts.append(await self.priorities_block(db, enterprise.id, latest, locale))
        parts.append(await self.lessons_block(db, teams, locale))
        parts.append(await self.funnel_block(db, enterprise.id, teams, locale))
        # The Working Climate Index per team, only with five answers or more.
        parts.append(tag("h2", _("Working Climate Index")))
        for team in teams:
            latest_climate, previous = await climate.team_climate(db, team.id)
            parts.append("<p>" + telegram_html(climate_ui.report(team.name, latest_climate,
                                                                  previous, locale)) + "</p>")
        # The latest labour-standards self-check, as /selfcheck shows it.
        parts.append('<div class="card" id="selfcheck"><p>' + telegram_html(selfcheck_ui.status(
            enterprise.name, await selfcheck.history(db, enterprise.id))) + "</p></div>")
        return "".join(parts)

    async def priorities_block(self, db: AsyncSession, enterprise_id: int, week: date,
                               locale: str) -> str:
        """The KPIs in the order of the weekly feedback report's top priority."""
        ranked = await figures.improvement_priorities(db, enterprise_id, week)
        items = "".join(
            "<li>" + escape(_("{kpi}: from {now} to {next}").format(
                kpi=kpi_ui.kpi_name(p.kpi, locale), now=kpi_ui.figure(p.value, p.kpi, locale),
                next=kpi_ui.figure(p.next_value, p.kpi, locale))) + "</li>" for p in ranked)
        return (tag("h2", _("Improvement priorities")) + '<p class="hint">'
                + escape(_("Where a realistic next step gains the most effectiveness, first "
                           "(as in the weekly feedback report).")) + "</p>"
                + (f'<ol id="priorities">{items}</ol>' if items
                   else tag("p", _("No KPI figures this week to rank yet."))))

    async def lessons_block(self, db: AsyncSession, teams: list[Team], locale: str) -> str:
        """Lessons sent to each team, opened and completed (the quiz answered)."""
        rows = []
        for row in await figures.lessons_by_team(db, teams):
            done = fmt.number(row.completed, locale)
            if row.completion is not None:
                done += f" ({fmt.percent(row.completion, locale)})"
            rows.append(f"<tr><td>{escape(row.team.name)}</td>"
                        f"<td>{escape(fmt.number(row.sent, locale))}</td>"
                        f"<td>{escape(fmt.number(row.opened, locale))}</td>"
                        f"<td>{escape(done)}</td></tr>")
        head = "".join(tag("th", text) for text in (_("Team"), _("Lessons sent"), _("Opened"),
                                                    _("Completed")))
        return (tag("h2", _("Lesson completion per team"))
                + (f'<div class="wide"><table id="lessons"><tr>{head}</tr>{"".join(rows)}'
                   "</table></div>" if rows
                   else "<p>–</p>"))

    async def funnel_block(self, db: AsyncSession, enterprise_id: int, teams: list[Team],
                           locale: str) -> str:
        """Ideas in, answered, accepted and implemented, and the median days to a first
        answer: the enterprise and each team of five people or more (k = 5 in the service)."""
        funnels = await figures.suggestion_funnels(db, enterprise_id, teams,
                                                   self.app.clock.now())
        columns = [(_("Whole enterprise"), funnels.enterprise)] + [
            (row.team.name, row.funnel) for row in funnels.teams]

        def median(value: float | None) -> str:
            return fmt.number(value, locale, digits=1) if value is not None else "–"

        stages: list[tuple[str, Callable[[figures.Funnel], str]]] = [
            (_("Came in"), lambda f: fmt.number(f.came_in, locale)),
            (_("Answered"), lambda f: fmt.number(f.answered, locale)),
            (_("Accepted"), lambda f: fmt.number(f.accepted, locale)),
            (_("Implemented"), lambda f: fmt.number(f.implemented, locale)),
            (_("Median days to a first answer"), lambda f: median(f.median_days_to_answer)),
        ]
        head = "<tr><th></th>" + "".join(tag("th", name) for name, _f in columns) + "</tr>"
        body = "".join("<tr>" + tag("th", label) + "".join(
            tag("td", shown(funnel)) for _n, funnel in columns) + "</tr>"
            for label, shown in stages)
        note = ""
        if funnels.teams_not_shown:
            note = '<p class="hint">' + escape(_(
                "Teams of fewer than {k} people have no column of their own: their ideas count "
                "for the whole enterprise only, so that no anonymous idea can be traced to "
                "them.").format(k=anonymity.K)) + "</p>"
        return (tag("h2", _("Suggestions, last 12 months: from idea to result"))
                + f'<div class="wide"><table id="funnel">{head}{body}</table></div>' + note)

    # --- stalled and overdue ---------------------------------------------------------------

    async def stalls(self, request: web.Request) -> web.Response:
        async with self.app.session_factory() as db:
            viewer = await self.viewer(request, db)
            now = self.app.clock.now()
            with self.app.i18n.speaking(viewer.locale):
                blocks = []
                for membership in viewer.memberships:
                    health = await health_of(db, membership.enterprise, now)
                    blocks.append(await self.stall_block(db, viewer, membership, health))
                nothing = tag("p", _("Nothing is stalled or overdue."))
                body = tag("h1", _("Stalled and overdue")) + ("".join(blocks) or nothing)
                return self.html(page(_("Stalled and overdue"), body, viewer.locale,
                                      nav=self.nav(viewer)))

    async def stall_block(self, db: AsyncSession, viewer: Viewer, membership: Membership,
                          health: Health) -> str:
        locale, now = viewer.locale, self.app.clock.now()
        stalled_items = {s.item.id for s in health.stalls if s.item is not None}
        overdue = [o for o in health.overdue if o.item.id not in stalled_items]
        if not health.stalls and not overdue:
            return ""
        parts = [f"<h2>{dot(health.colour)}<a href=\"{ROOT}/e/{membership.enterprise_id}\">"
                 f"{escape(membership.enterprise.name)}</a></h2>"]
        csrf = viewer.session.csrf(self.token)
        for subject in health.stalls:
            stall = subject.stall
            text, keyboard = escalation_ui.to_consultant(subject, now, locale)
            events = await figures.stall_history(db, stall.id)
            history = self.history(events, subject, locale)
            forms = ""
            if escalation.may_handle(membership, stall) and answers.open_to_answer(
                    stall, [event for event, _actor in events]):
                forms = self.answer_forms(stall, keyboard, csrf, subject, locale)
            parts.append(f'<div class="card red" id="stall-{stall.id}"><p>'
                         + telegram_html(text) + "</p>" + history + forms + "</div>")
        for item in overdue:
            team = await db.get(Team, item.item.team_id) if item.item.team_id else None
            parts.append('<div class="card amber"><p>' + telegram_html(
                health_ui.overdue_action(item, team.name if team else "", locale))
                + "</p></div>")
        return "".join(parts)

    def history(self, events: list[tuple[EscalationEvent, Person | None]],
                subject: escalation.Subject, locale: str) -> str:
        """The stall's escalation history, oldest first: noticed, raised level by level,
        and every answer with who gave it, in the words of the alert's own lines."""
        answers_ = {"acknowledged": "ack", "will_call": "call", "snoozed": "snooze",
                    "reassigned": "pick_owner"}
        raised = {escalation.OWNER: _("Raised to the people responsible."),
                  escalation.LEAD: _("Raised to the team lead or the managers."),
                  escalation.CONSULTANT: _("Raised to the SCORE consultant.")}
        lines = []
        for event, actor in events:
            name = actor.display_name if actor else "—"
            if event.event in answers_:
                text = plain_marks(escalation_ui.outcome(answers_[event.event], name, locale,
                                                         subject))
            elif event.event == "new_date" and "due_on" in event.details:
                text = _("New date {date}, set by {name}.").format(
                    date=escape(fmt.day(date.fromisoformat(event.details["due_on"]), locale)),
                    name=escape(name))
            elif event.event == "detected":
                text = escape(_("Noticed: nothing has moved."))
            elif event.event == "escalated" and event.level in raised:
                text = escape(raised[event.level])
            elif event.event == "snooze_ended":
                text = escape(_("The snooze is over."))
            else:
                continue
            when = fmt.day(event.at, locale, subject.enterprise.timezone)
            lines.append(f"<li>{escape(when)}: {text}</li>")
        return f'<ul class="history hint">{"".join(lines)}</ul>' if lines else ""

    def answer_forms(self, stall: Stall, keyboard: InlineKeyboardMarkup, csrf: str,
                     subject: escalation.Subject, locale: str) -> str:
        labels: dict[str, str] = {}
        for row in keyboard.inline_keyboard:
            for button in row:
                data = EscalationCallback.unpack(button.callback_data or "")
                labels[data.action] = button.text
        hidden = f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        action = f"{ROOT}/stalls/{stall.id}"
        forms = []
        for name in answers.offered(stall):
            if name == "date":
                today = actions.local_date(self.app.clock.now(), subject.enterprise.timezone)
                options = "".join(
                    f'<option value="{days}">' + escape(format_date(
                        today + timedelta(days=days), format="medium", locale=locale))
                    + "</option>" for days in actions.NEW_DATE_CHOICES)
                forms.append(f'<form method="post" action="{action}">{hidden}'
                             '<input type="hidden" name="action" value="date">'
                             f'<select name="days" aria-label="{escape(labels[name])}">'
                             f"{options}</select><button>{escape(labels[name])}</button></form>")
            else:
                forms.append(f'<form method="post" action="{action}">{hidden}'
                             f'<input type="hidden" name="action" value="{name}">'
                             f'<button name="do" value="{name}">{escape(labels[name])}'
                             "</button></form>")
        return "".join(forms)

    async def answer(self, request: web.Request) -> web.Response:
        try:
            stall_id = int(request.match_info["id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        form = await request.post()
        now = self.app.clock.now()
        async with self.app.session_factory() as db:
            viewer = await self.viewer(request, db)
            stall = await db.get(Stall, stall_id)
            membership = membership_in(viewer.memberships, stall.enterprise_id) if stall else None
            if (stall is None or viewer.person is None
                    or not hmac.compare_digest(str(form.get("csrf", "")),
                                               viewer.session.csrf(self.token))
                    or not escalation.may_handle(membership, stall)):
                log.warning("dashboard: stall answer refused")
                return self.html(self.with_i18n(viewer.locale, not_allowed_page), status=403)
            try:
                days = int(str(form.get("days") or 0))
            except ValueError:
                days = 0
            if not answers.open_to_answer(stall, [e for e, _actor in await figures.stall_history(
                    db, stall.id)]):
                # Answered already (here or in a chat) since the alert: as a chat's buttons
                # are gone once someone answers, the page shows what was done instead.
                raise web.HTTPSeeOther(f"{ROOT}/stalls#stall-{stall_id}", headers=HEADERS)
            event = await answers.answer(db, stall, str(form.get("action", "")), days,
                                         viewer.person, now, self.app.i18n)
            await db.commit()  # stored (and its messages queued) before any chat is edited
            if event is not None:
                await answers.show_everywhere(self.bot, db, stall, event, viewer.person, now,
                                              self.app.i18n)
        raise web.HTTPSeeOther(f"{ROOT}/stalls#stall-{stall_id}", headers=HEADERS)

    # --- programme figures ----------------------------------------------------------------

    async def programme(self, request: web.Request) -> web.Response:
        async with self.app.session_factory() as db:
            viewer = await self.viewer(request, db)
            if not viewer.programme_admin:
                return self.html(self.with_i18n(viewer.locale, not_allowed_page), status=403)
            report = await programme_report(db, self.app.clock.now())
        with self.app.i18n.speaking(viewer.locale):
            body = tag("h1", _("Programme figures")) + self.programme_body(report,
                                                                            viewer.locale)
            return self.html(page(_("Programme figures"), body, viewer.locale,
                                  nav=self.nav(viewer)))

    def programme_body(self, report: ProgrammeReport, locale: str) -> str:
        """The figures of `scorebot report`: a card per group (a sector in a country, a
        sector, a country, the programme), with the same rule of five enterprises."""
        headings, rows = programme_table(report, programme_ui.labels())
        territories = Locale.parse(locale).territories
        parts = ["<p>" + telegram_html(programme_ui.heading(report)) + "</p>"]
        for group, row in zip(report.rows, rows, strict=True):
            name = " · ".join((group.sector or _("all sectors"),
                               territories.get(group.country, group.country)
                               if group.country else _("all countries")))
            figures_ = "".join(
                "<tr>" + tag("td", heading) + '<td class="n">' + escape(fmt.number(
                    value, locale) if isinstance(value, int | float) else "–") + "</td></tr>"
                for heading, value in zip(headings[2:], row[2:], strict=True))
            parts.append(f'<div class="card programme"><h2>{escape(name)}</h2>'
                         f'<p class="hint">{escape(headings[1])}: {group.enterprises}</p>'
                         f"<table>{figures_}</table></div>")
        if not rows:
            parts.append(tag("p", programme_ui.nothing_to_show()))
        return "".join(parts)


def setup_dashboard(web_app: web.Application, application: Application, bot: Bot) -> None:
    """Add the dashboard's routes to an aiohttp application (needs BOT_TOKEN)."""
    dashboard = Dashboard(application, bot)
    web_app[DASHBOARD] = dashboard
    web_app.router.add_get(f"{ROOT}/app", dashboard.app_page)
    web_app.router.add_post(f"{ROOT}/auth", dashboard.sign_in)
    web_app.router.add_get(f"{ROOT}/login", dashboard.link)
    web_app.router.add_get(f"{ROOT}/", dashboard.enterprises)
    web_app.router.add_get(f"{ROOT}/e/{{id}}", dashboard.enterprise)
    web_app.router.add_get(f"{ROOT}/stalls", dashboard.stalls)
    web_app.router.add_post(f"{ROOT}/stalls/{{id}}", dashboard.answer)
    web_app.router.add_get(f"{ROOT}/programme", dashboard.programme)


def build_dashboard_app(application: Application, bot: Bot) -> web.Application:
    """A web application serving only the dashboard (polling mode, and tests)."""
    web_app = web.Application(client_max_size=64 * 1024)
    setup_dashboard(web_app, application, bot)
    return web_app
