"""The `scorebot` command.

  scorebot start              serve Telegram when BOT_TOKEN is set, else the offline demo
  scorebot run [--webhook]    serve Telegram (long polling, or a webhook server)
  scorebot demo               seed demo data in scorebot-demo.db and open the console
  scorebot console            chat with the bot in the terminal, offline
  scorebot db upgrade|current|revision
  scorebot content check|preview
  scorebot content export --lang zu [-o FILE]   a language's strings and lessons as PO
  scorebot content import FILE [--reviewer NAME] [--native] [--dry-run]
  scorebot export --enterprise ... [--format xlsx|csv] [--lang fr]
  scorebot report [--output DIR]  programme figures by sector and country
  scorebot admin enterprise create|list|set, admin team create, admin invite

A missing or invalid setting, or a database that cannot be opened, ends the program with one
line naming the problem and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from bot.languages import SUPPORTED_LOCALES

if TYPE_CHECKING:
    from bot.config import Settings

# Kept here (not imported from the services and models) so `scorebot --help` and the admin
# commands start quickly; tests/test_cli.py checks they match.
ROLES = ("worker", "team_lead", "manager", "consultant", "admin")
RULES: dict[str, tuple[int, int]] = {
    "lesson_reminder_hours": (1, 168),
    "suggestion_stall_days": (1, 90),
    "action_overdue_stall_days": (1, 90),
    "action_silent_stall_days": (1, 180),
    "escalation_step_days": (1, 30),
    "checkin_weekday": (1, 7),
    "checkin_hour": (6, 20),
}
KPI_KEYS = (
    "productivity", "defect_rate", "on_time_delivery", "absenteeism", "turnover", "accidents",
    "near_misses", "energy", "water", "material_waste", "cost_savings",
)

EXIT_USAGE = 2


class Fatal(Exception):
    """Ends the program with one clear line and exit status 2."""


def fail(message: str) -> NoReturn:
    raise Fatal(message)


def load_settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        settings = Settings()
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]).upper() if item["loc"] else "settings"
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        fail("invalid setting " + "; ".join(problems))
    for key, value in overrides.items():
        if value is not None:
            setattr(settings, key, value)
    return settings


def _database_url_option(value: str) -> str:
    from bot.config import normalize_database_url

    try:
        return normalize_database_url(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _setup_logging(settings: Settings | None, level: str, *, console: bool = False) -> None:
    """JSON lines when serving (LOG_FORMAT), text at the console; secrets never logged."""
    from bot.logs import setup_logging

    secrets = []
    if settings is not None:
        secrets = [value.get_secret_value() for value in (settings.bot_token,
                                                          settings.webhook_secret) if value]
    fmt = "text" if console or settings is None else settings.log_format
    setup_logging(level, fmt, secrets)


class AdminContext:
    """What the admin commands need: the database, the clock and, when asked, the catalogs;
    not the dispatcher, its handlers, the charts or the lessons, so they start quickly."""

    def __init__(self, settings: Settings, engine: Any, session_factory: Any) -> None:
        from bot.clock import SystemClock

        self.settings = settings
        self.engine = engine
        self.session_factory = session_factory
        self.clock = SystemClock()
        self._i18n: Any = None

    @property
    def i18n(self) -> Any:
        if self._i18n is None:
            from bot.i18n import build_i18n

            self._i18n = build_i18n(self.settings.default_locale)
        return self._i18n

    async def close(self) -> None:
        await self.engine.dispose()


async def _build_admin_context(settings: Settings) -> AdminContext:
    from storage.db import create_engine, create_session_factory
    from storage.migrate import upgrade

    engine = create_engine(settings.database_url)
    await upgrade(engine, relay_key=settings.relay_secret())
    return AdminContext(settings, engine, create_session_factory(engine))


async def _open_application(settings: Settings, *, migrate: bool = True, full: bool = True):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import SQLAlchemyError

    from bot.content.loader import ContentError
    from storage.db import safe_url

    try:
        if not full:
            return await _build_admin_context(settings)
        from bot.app import build_application

        return await build_application(settings, migrate=migrate)
    except ContentError as error:
        fail(f"lesson content cannot be used: {error}")
    except (OSError, SQLAlchemyError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        fail(f"cannot open the database DATABASE_URL={safe_url(settings.database_url)}: {reason}")
    except Exception as error:
        # asyncpg raises its own errors for a refused login or an unknown database.
        if type(error).__module__.startswith("asyncpg"):
            fail(
                f"cannot open the database DATABASE_URL={safe_url(settings.database_url)}: "
                f"{error}"
            )
        raise


# --- serving ---------------------------------------------------------------------------------


async def _run(settings: Settings, webhook: bool) -> None:
    from aiogram.exceptions import TelegramUnauthorizedError

    from bot.app import build_bot, run_polling, run_webhook
    from storage.single_process import AlreadyServed, serving_alone

    whatsapp_only = settings.bot_token is None and settings.whatsapp_enabled
    if whatsapp_only and not webhook:
        fail("only WhatsApp is configured: run `scorebot run --webhook` (WhatsApp calls the "
             "bot; there is nothing to poll)")
    if settings.bot_token is None and not whatsapp_only:
        fail("BOT_TOKEN is not set: get one from @BotFather, or run `scorebot demo` to try "
             "the bot offline")
    if webhook and settings.webhook_base_url is None and not whatsapp_only:
        fail("WEBHOOK_BASE_URL is not set: the public https address Telegram should call")
    if webhook and settings.webhook_secret is None and not whatsapp_only:
        fail("WEBHOOK_SECRET is not set: choose a random string of A-Z, a-z, 0-9, _ and -")
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(serving_alone(settings.database_url))
        except AlreadyServed as error:
            fail(f"another scorebot process already serves this SQLite database (lock file "
                 f"{error}); stop it first, or use PostgreSQL to run several processes")
        app = await _open_application(settings)
        bot = build_bot(settings, app=app)
        try:
            await (run_webhook if webhook else run_polling)(app, bot)
        except TelegramUnauthorizedError:
            fail("BOT_TOKEN was refused by Telegram: check it with @BotFather")
        finally:
            await bot.session.close()
            await app.close()


async def _console(settings: Settings, seed: bool, tour: Path | None = None,
                   pace: float = 0.0) -> None:
    from bot.offline.console import run_console
    from bot.offline.demo import DEMO_FILES_DIR, seed_demo

    app = await _open_application(settings)
    try:
        if seed and tour is None:  # the tour makes its factory itself, at its own date
            async with app.session_factory() as session, session.begin():
                await seed_demo(session, app.clock)
        if tour is not None:
            from bot.offline.tour import TourFailed, run_tour

            try:
                await run_tour(app, tour, files_dir=DEMO_FILES_DIR, pace=pace)
            except TourFailed as error:
                fail(f"the tour stopped: {error}")
            print(f"\nThe tour's factory stays in {settings.database_url.split('///')[-1]}: "
                  f"scorebot console --database {settings.database_url} carries on from here.")
            return
        await run_console(app, files_dir=DEMO_FILES_DIR)
    finally:
        await app.close()


def _log_to_file() -> None:
    """The console shares the terminal with the chat: log lines go to a file instead."""
    from bot.offline.demo import DEMO_FILES_DIR

    DEMO_FILES_DIR.mkdir(exist_ok=True)
    root = logging.getLogger()
    handler = logging.FileHandler(DEMO_FILES_DIR / "scorebot.log", encoding="utf-8")
    if root.handlers:
        handler.setFormatter(root.handlers[0].formatter)
        for log_filter in root.handlers[0].filters:
            handler.addFilter(log_filter)
    root.handlers[:] = [handler]


def _demo_settings(args: argparse.Namespace) -> Settings:
    from bot.offline.demo import DEMO_DATABASE_URL, TOUR_DATABASE_URL

    if getattr(args, "tour", False) and not args.database:
        # The tour plays on a fresh factory each time, so it always tells the same story.
        Path(TOUR_DATABASE_URL.split("///")[-1]).unlink(missing_ok=True)
        return load_settings(database_url=TOUR_DATABASE_URL)
    return load_settings(database_url=args.database or DEMO_DATABASE_URL)


# --- admin -----------------------------------------------------------------------------------


async def _with_session(settings: Settings, work: Callable[..., Awaitable[Any]]) -> Any:
    from bot.services.errors import DomainError

    app = await _open_application(settings, full=False)
    try:
        async with app.session_factory() as session, session.begin():
            return await work(session, app)
    except DomainError as error:
        fail(error.detail)
    finally:
        await app.close()


async def _enterprise_create(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.enterprises import create_enterprise

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprise = await create_enterprise(
            session, name=args.name, country=args.country, timezone=args.timezone,
            default_locale=args.locale, sector=args.sector,
        )
        print(f"created enterprise {enterprise.id}: {enterprise.name}")

    await _with_session(settings, work)


async def _enterprise_list(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.enterprises import list_enterprises, teams_of

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprises = await list_enterprises(session)
        if not enterprises:
            print("no enterprises yet: scorebot admin enterprise create --help")
        for enterprise in enterprises:
            print(f"{enterprise.id}\t{enterprise.name}\t{enterprise.country}\t"
                  f"{enterprise.timezone}\t{enterprise.default_locale}\t{enterprise.sector}")
            for team in await teams_of(session, enterprise.id):
                print(f"\tteam {team.id}\t{team.name}")

    await _with_session(settings, work)


async def _enterprise_set(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.enterprises import change_rules, find_enterprise, update_enterprise

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprise = await update_enterprise(
            session, await find_enterprise(session, args.enterprise), name=args.name,
            timezone=args.timezone, default_locale=args.locale, sector=args.sector,
            country=args.country, pulse_workday=args.pulse_day, pulse_hour=args.pulse_hour,
            pulse_every_months=args.pulse_every)
        await change_rules(session, enterprise, {rule: getattr(args, rule) for rule in RULES
                                                 if getattr(args, rule) is not None})
        print(f"{enterprise.name}: timezone {enterprise.timezone}, language "
              f"{enterprise.default_locale}, sector {enterprise.sector!r}, country "
              f"{enterprise.country}, pulse survey on working day {enterprise.pulse_workday} at "
              f"{enterprise.pulse_hour}:00 every {enterprise.pulse_every_months} month(s)")
        for rule in RULES:
            print(f"{rule.replace('_', '-')}: {getattr(enterprise, rule)}")

    await _with_session(settings, work)


async def _team_create(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.enterprises import create_team, find_enterprise

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprise = await find_enterprise(session, args.enterprise)
        team = await create_team(session, enterprise, args.name)
        print(f"created team {team.id}: {team.name} ({enterprise.name})")

    await _with_session(settings, work)


async def _kpi(settings: Settings, args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from bot.services.enterprises import find_enterprise
    from bot.services.errors import NotFound
    from bot.services.kpis import enable_kpi, parse_points, set_contingency
    from storage.models import EnterpriseKpi

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprise = await find_enterprise(session, args.enterprise)
        if args.kpi.startswith("custom-"):
            kpi = await session.scalar(select(EnterpriseKpi).where(
                EnterpriseKpi.enterprise_id == enterprise.id, EnterpriseKpi.key == args.kpi))
            if kpi is None:
                raise NotFound("kpi", f"{enterprise.name} has no KPI {args.kpi}")
        else:
            kpi = await enable_kpi(session, enterprise, args.kpi, baseline=args.baseline,
                                   target=args.target, now=app.clock.now(), actor_label="cli")
        if args.points:
            await set_contingency(session, kpi, parse_points(args.points), actor_label="cli")
        print(f"{enterprise.name} tracks {kpi.key}: baseline {kpi.baseline}, "
              f"target {kpi.target}, contingency {kpi.contingency}")

    await _with_session(settings, work)


async def _custom_kpi(settings: Settings, args: argparse.Namespace) -> None:
    from bot.services.enterprises import find_enterprise
    from bot.services.kpis import add_custom_kpi

    names = {}
    for item in args.name:
        locale, _, name = item.partition("=")
        names[locale.strip()] = name

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprise = await find_enterprise(session, args.enterprise)
        kpi = await add_custom_kpi(
            session, enterprise, names=names, unit=args.unit,
            higher_is_better=not args.lower_is_better, low=args.low, high=args.high,
            baseline=args.baseline, target=args.target, now=app.clock.now(), actor_label="cli")
        print(f"{enterprise.name} tracks its own KPI {kpi.key}: {names.get('en')}")

    await _with_session(settings, work)


async def _bot_username(settings: Settings) -> str | None:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.bot_token is None:
        return None
    from bot.app import build_bot

    bot = build_bot(settings)
    try:
        return (await bot.me()).username
    except Exception as error:  # any failure only costs the printed link
        logging.getLogger(__name__).warning("could not ask Telegram for the bot's name: %s",
                                            error)
        return None
    finally:
        await bot.session.close()


def _poster_path(value: str | None) -> Path:
    """Where the poster will go, checked before anything is created: a .png file in an
    existing folder that we may write to."""
    path = Path(value or ".")
    if value is None:  # the default name holds the invite's id: check the folder only
        if not os.access(path, os.W_OK):
            fail("cannot write the poster here: this folder is not writable; use --qr PATH")
        return path
    if path.suffix.lower() != ".png":
        fail(f"cannot write the poster to {path}: the file name must end in .png")
    if path.is_dir():
        fail(f"cannot write the poster to {path}: it is a folder")
    if not path.parent.is_dir():
        fail(f"cannot write the poster to {path}: there is no folder {path.parent}")
    existed = path.exists()
    try:
        with path.open("ab"):
            pass
    except OSError as error:
        fail(f"cannot write the poster to {path}: {error.strerror or error}")
    if not existed:
        path.unlink()
    return path


async def _invite(settings: Settings, args: argparse.Namespace) -> None:
    from bot.poster import invite_poster
    from bot.presenters import posters
    from bot.services.enterprises import find_enterprise, find_team
    from bot.services.invites import create_invite, deep_link
    from storage.models import Role

    path = _poster_path(args.qr)
    username = await _bot_username(settings)

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprise = await find_enterprise(session, args.enterprise)
        team = await find_team(session, enterprise, args.team) if args.team else None
        invite = await create_invite(
            session, enterprise=enterprise, team=team, role=Role(args.role), clock=app.clock,
            uses=args.uses, days=args.days, actor_label="cli",
        )
        link = deep_link(username, invite.token) if username else None
        if link is None and args.qr is None:
            return invite, link, None
        with app.i18n.speaking(enterprise.default_locale):
            instruction = (posters.scan_instruction() if link
                           else posters.send_instruction())
        image = await asyncio.to_thread(
            invite_poster, enterprise=enterprise.name, team=team.name if team else None,
            instruction=instruction, link=link, command=f"/start {invite.token}",
            locale=enterprise.default_locale)
        poster = path if args.qr else path / f"invite-{invite.id}.png"
        try:  # inside the transaction: a poster that cannot be written leaves no invite
            await asyncio.to_thread(poster.write_bytes, image)
        except OSError as error:
            fail(f"cannot write the poster to {poster}: {error.strerror or error}")
        return invite, link, poster

    invite, link, poster = await _with_session(settings, work)
    print(f"invite token: {invite.token}")
    print(f"role: {invite.role.value}, uses: {invite.remaining_uses}, "
          f"expires: {invite.expires_at:%Y-%m-%d %H:%M} UTC")
    if link is not None:
        print(f"link: {link}")
    else:
        print("the bot's name is unknown, so there is no link and no QR code: set "
              "BOT_USERNAME (the bot's @name from @BotFather) or BOT_TOKEN and run this again; "
              f"meanwhile people can send the bot: /start {invite.token}")
    if poster is not None:
        print(f"poster: {poster}" + ("" if link else
                                     " (no QR code: write the bot's @name on it by hand)"))


async def _export(settings: Settings, args: argparse.Namespace) -> None:
    from bot.presenters import export as ui
    from bot.services.enterprises import find_enterprise
    from bot.services.export import all_tables, to_csv, to_xlsx

    async def work(session, app):  # type: ignore[no-untyped-def]
        enterprise = await find_enterprise(session, args.enterprise)
        with app.i18n.speaking(args.lang):
            words = ui.words(args.lang)
            return enterprise, words, await all_tables(session, enterprise.id, words)

    enterprise, words, tables = await _with_session(settings, work)
    output = Path(args.output)
    await asyncio.to_thread(output.mkdir, parents=True, exist_ok=True)
    if args.format == "xlsx":
        path = output / f"enterprise-{enterprise.id}.xlsx"
        await asyncio.to_thread(path.write_bytes, to_xlsx(tables, words))
        print(f"wrote {path}: " + ", ".join(f"{t.name} {len(t.rows)}" for t in tables))
        return
    for table in tables:
        path = output / f"enterprise-{enterprise.id}-{table.name}.csv"
        await asyncio.to_thread(path.write_text, to_csv(table.columns, table.rows), "utf-8")
        print(f"wrote {path} ({len(table.rows)} rows)")


async def _report(settings: Settings, args: argparse.Namespace) -> None:
    from bot.presenters import programme as ui
    from bot.services.programme import programme_report, table, to_csv, to_text, to_xlsx

    async def work(session, app):  # type: ignore[no-untyped-def]
        report = await programme_report(session, app.clock.now())
        with app.i18n.speaking(args.lang):
            headings, rows = table(report, ui.labels())
            chart = ui.chart(report, args.lang)
            title = ui.labels().group
        return report, headings, rows, chart, title

    report, headings, rows, chart, title = await _with_session(settings, work)
    print(f"programme figures: {report.enterprises} enterprises; medians, shown only for "
          f"groups (and figures) of at least 5 enterprises")
    if rows:
        print(to_text(headings, rows))
    else:
        print("no group has 5 enterprises with figures yet")
    if report.hidden_groups:
        print(f"({report.hidden_groups} sector-and-country groups have fewer than 5 "
              "enterprises and are not shown)")
    output = Path(args.output)
    await asyncio.to_thread(output.mkdir, parents=True, exist_ok=True)
    files = {
        "programme-report.csv": to_csv(headings, rows).encode("utf-8"),
        "programme-report.xlsx": to_xlsx(headings, rows, title),
        "programme-report.png": chart,
    }
    for name, content in files.items():
        await asyncio.to_thread((output / name).write_bytes, content)
        print(f"wrote {output / name}")


# --- database --------------------------------------------------------------------------------


async def _db(settings: Settings, args: argparse.Namespace) -> None:
    from storage.migrate import current_revision, head_revision

    if args.db_command == "revision":
        from storage.migrate import revision

        await asyncio.to_thread(revision, settings.database_url, args.message)
        return
    app = await _open_application(settings, migrate=args.db_command == "upgrade")
    try:
        current = await current_revision(app.engine)
        print(f"database at revision {current or 'none'} (latest: {head_revision()})")
    finally:
        await app.close()


# --- content ---------------------------------------------------------------------------------


async def _content(args: argparse.Namespace) -> None:
    from bot.content.check import check_report, preview
    from bot.content.loader import ContentError

    if args.content_command == "check":
        report, complete = check_report()
        print(report)
        print(await _voice_report())
        if not complete:
            raise SystemExit(1)
        return
    if args.content_command in ("export", "import"):
        await asyncio.to_thread(_content_handoff, args)
        return
    try:
        print(preview(args.lesson, args.lang, args.country))
    except ContentError as error:
        fail(str(error))


def _content_handoff(args: argparse.Namespace) -> None:
    """`content export` and `content import`: see bot/content/handoff.py."""
    from bot.content.handoff import HandoffError, export_po, import_po

    try:
        if args.content_command == "export":
            data = export_po(args.lang)
            output = Path(args.output or f"scorebot-{args.lang}.po")
            output.write_bytes(data)
            print(f"wrote {output}: interface strings and lessons in {args.lang}")
            return
        result = import_po(Path(args.file).read_bytes(), reviewer=args.reviewer,
                           native=args.native, dry_run=args.dry_run)
    except HandoffError as error:
        print(f"import refused, nothing changed:\n{error}", file=sys.stderr)
        raise SystemExit(1) from None
    except OSError as error:
        fail(str(error))
    verb = "would change" if args.dry_run else "changed"
    if not result.changed:
        print("nothing to change")
    for path in result.changed:
        print(f"{verb} {path}")


async def _voice_report() -> str:
    from pydantic import ValidationError

    from bot.config import Settings
    from bot.content.loader import curriculum
    from bot.services.recordings import coverage_report

    try:
        database_url = Settings().database_url
    except ValidationError:
        return "Voice versions: not counted (invalid settings)."
    return await coverage_report(database_url, len(curriculum().lessons), SUPPORTED_LOCALES)


# --- argument parsing ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorebot", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("start", help="serve Telegram if BOT_TOKEN is set, else the demo")
    run = commands.add_parser("run", help="serve Telegram")
    run.add_argument("--webhook", action="store_true", help="run a webhook server instead of "
                     "long polling (needs WEBHOOK_BASE_URL and WEBHOOK_SECRET)")
    for name, text in (("demo", "seed demo data and open the console"),
                       ("console", "chat with the bot in the terminal, offline")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--database", type=_database_url_option,
                         help="database URL (default: the demo database, scorebot-demo.db)")
        if name == "demo":
            sub.add_argument("--tour", action="store_true", help="play two weeks of a demo "
                             "factory with narration, on a fresh database (scorebot-tour.db)")
            sub.add_argument("--script", type=Path, help="the tour to play (default: the "
                             "shipped tour, bot/offline/tour.txt)")
            sub.add_argument("--pace", type=float, help="seconds between the tour's steps "
                             "(default 1 in a terminal, else 0)")

    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="bring the schema up to date")
    db_commands.add_parser("current", help="show the schema revision")
    revision = db_commands.add_parser("revision", help="autogenerate a migration (developers)")
    revision.add_argument("-m", "--message", required=True)

    content = commands.add_parser("content", help="lesson content and translations")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    content_commands.add_parser("check", help="coverage of lessons and catalogs per language")
    show = content_commands.add_parser("preview", help="print a lesson as a person sees it")
    show.add_argument("lesson", help="lesson id or key, e.g. m2-04-five-whys or m2-04")
    show.add_argument("--lang", default="en", choices=SUPPORTED_LOCALES)
    show.add_argument("--country", help="ISO code of the enterprise's country, e.g. PE: "
                      "shows that country's note, if the lesson has one")
    out = content_commands.add_parser(
        "export", help="a language's interface strings and lessons as one PO file")
    out.add_argument("--lang", required=True,
                     choices=[loc for loc in SUPPORTED_LOCALES if loc != "en"])
    out.add_argument("-o", "--output", help="file to write (default scorebot-LANG.po)")
    back = content_commands.add_parser(
        "import", help="take back a reviewed PO file: all entries checked, all or nothing")
    back.add_argument("file")
    back.add_argument("--reviewer", help="record who reviewed it (name, role), dated today")
    back.add_argument("--native", action="store_true",
                      help="the reviewer is a native speaker of the language")
    back.add_argument("--dry-run", action="store_true", help="check and list, write nothing")

    export = commands.add_parser("export", help="impact-monitoring data of an enterprise")
    export.add_argument("--enterprise", required=True, help="id or name")
    export.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    export.add_argument("--output", default=".", help="folder to write to")
    export.add_argument("--lang", default="en", choices=SUPPORTED_LOCALES,
                        help="language of the workbook's headings, sheet and KPI names")

    report = commands.add_parser("report", help="programme figures across enterprises, by "
                                 "sector and country: a table, CSV, XLSX and a chart")
    report.add_argument("--output", default=".", help="folder to write the files to")
    report.add_argument("--lang", default="en", choices=SUPPORTED_LOCALES,
                        help="language of the headings")

    admin = commands.add_parser("admin", help="set up enterprises, teams and invites")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    enterprise = admin_commands.add_parser("enterprise", help="enterprises")
    enterprise_commands = enterprise.add_subparsers(dest="enterprise_command", required=True)
    create = enterprise_commands.add_parser("create", help="create an enterprise")
    create.add_argument("--name", required=True)
    create.add_argument("--country", required=True, help="ISO 3166 code, e.g. GH, VN, PE")
    create.add_argument("--timezone", required=True, help="IANA name, e.g. Africa/Accra")
    create.add_argument("--locale", default="en", choices=SUPPORTED_LOCALES,
                        help="default language")
    create.add_argument("--sector", help="e.g. Garments (may be set later; not empty)")
    enterprise_commands.add_parser("list", help="list enterprises and their teams")
    update = enterprise_commands.add_parser(
        "set", help="change name, timezone, language, sector, country, pulse survey timing, "
        "reminder, stall and check-in rules")
    update.add_argument("--enterprise", required=True, help="id or name")
    update.add_argument("--name", help="a new name")
    update.add_argument("--timezone", help="IANA name, e.g. Africa/Accra")
    update.add_argument("--locale", help=f"default language: {', '.join(SUPPORTED_LOCALES)}")
    update.add_argument("--sector")
    update.add_argument("--country", help="ISO 3166 code")
    update.add_argument("--pulse-day", type=int,
                        help="the n-th working day (Monday to Saturday) of the month (1)")
    update.add_argument("--pulse-hour", type=int, help="hour in the enterprise's timezone (10)")
    update.add_argument("--pulse-every", type=int,
                        help="every how many months (1); 0 turns the pulse survey off")
    for rule in RULES:  # reminder, stall, escalation and check-in rules
        update.add_argument("--" + rule.replace("_", "-"), dest=rule, type=int,
                            metavar=f"{RULES[rule][0]}-{RULES[rule][1]}")

    team = admin_commands.add_parser("team", help="improvement teams")
    team_commands = team.add_subparsers(dest="team_command", required=True)
    team_create = team_commands.add_parser("create", help="create a team")
    team_create.add_argument("--enterprise", required=True, help="id or name")
    team_create.add_argument("--name", required=True)

    kpi = admin_commands.add_parser("kpi", help="track a KPI with its baseline and target")
    kpi.add_argument("--enterprise", required=True, help="id or name")
    kpi.add_argument("--kpi", required=True,
                     help=f"one of {', '.join(KPI_KEYS)}, or an own KPI's key (custom-N)")
    kpi.add_argument("--baseline", type=float, help="the figure at the baseline assessment")
    kpi.add_argument("--target", type=float, help="the figure the team aims for")
    kpi.add_argument("--points", help="the team's ProMES contingency as value:effectiveness "
                     "pairs, e.g. \"8:-60,4:0,1:80\" (default: proposed from baseline and "
                     "target)")
    custom = admin_commands.add_parser("kpi-custom", help="an enterprise's own KPI")
    custom.add_argument("--enterprise", required=True, help="id or name")
    custom.add_argument("--name", action="append", required=True,
                        help="LOCALE=name, once per language (all eight are needed)")
    custom.add_argument("--unit", required=True, help="e.g. %%, kg, pieces")
    custom.add_argument("--lower-is-better", action="store_true")
    custom.add_argument("--low", type=float, default=0.0, help="lowest valid value")
    custom.add_argument("--high", type=float, required=True, help="highest valid value")
    custom.add_argument("--baseline", type=float)
    custom.add_argument("--target", type=float)

    invite = admin_commands.add_parser("invite", help="create an invite link and QR code")
    invite.add_argument("--enterprise", required=True, help="id or name")
    invite.add_argument("--team", help="id or name (needed for worker and team_lead)")
    invite.add_argument("--role", required=True, choices=ROLES)
    invite.add_argument("--uses", type=int, default=1, help="how many people may join with it")
    invite.add_argument("--days", type=int, default=14, help="days until it expires")
    invite.add_argument("--qr", metavar="PATH.png",
                        help="where to write the invite poster, a PNG to print: enterprise, "
                        "team, QR code and what to do, in the enterprise's language (default "
                        "invite-ID.png when the bot's name is known)")
    return parser


def dispatch(args: argparse.Namespace) -> Coroutine[Any, Any, None]:
    command = args.command
    if command == "content":
        return _content(args)
    if command in {"demo", "console"}:
        settings = _demo_settings(args)
        _setup_logging(None, "WARNING")
        _log_to_file()
        tour = None
        if getattr(args, "tour", False) or getattr(args, "script", None):
            from bot.offline.tour import TOUR_SCRIPT

            tour = args.script or TOUR_SCRIPT
        pace = args.pace if getattr(args, "pace", None) is not None else (
            1.0 if sys.stdout.isatty() else 0.0)
        return _console(settings, seed=command == "demo", tour=tour, pace=pace)
    settings = load_settings()
    serving = command == "run" or (command == "start" and settings.bot_token is not None)
    # The console shares the terminal with the log: keep it to warnings there.
    if serving:
        _setup_logging(settings, settings.log_level)
    else:
        _setup_logging(settings, "WARNING", console=True)
    if command == "start":
        if settings.bot_token is None:
            from bot.offline.demo import DEMO_DATABASE_URL

            print("BOT_TOKEN is not set: starting the offline demo console "
                  "(scorebot demo --tour plays a guided tour).", file=sys.stderr)
            _log_to_file()
            return _console(load_settings(database_url=DEMO_DATABASE_URL), seed=True)
        return _run(settings, webhook=False)
    if command == "run":
        return _run(settings, webhook=args.webhook)
    if command == "db":
        return _db(settings, args)
    if command == "export":
        return _export(settings, args)
    if command == "report":
        return _report(settings, args)
    if args.admin_command == "enterprise":
        if args.enterprise_command == "create":
            return _enterprise_create(settings, args)
        if args.enterprise_command == "set":
            return _enterprise_set(settings, args)
        return _enterprise_list(settings, args)
    if args.admin_command == "team":
        return _team_create(settings, args)
    if args.admin_command == "kpi":
        return _kpi(settings, args)
    if args.admin_command == "kpi-custom":
        return _custom_kpi(settings, args)
    return _invite(settings, args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(dispatch(args))
    except Fatal as error:
        print(f"scorebot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
