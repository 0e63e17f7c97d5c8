"""(a) Updates: the real handlers against a bare aiogram echo bot, on the same harness.

The fake Bot API runs in another process and plays Telegram: it POSTs each update to the
bot's webhook (8 at a time) and times it until the bot answers, which the bot does once the
update is handled and committed. Three real conversations, each from its own people:
- a quiz answer (a button): the answer is saved, the message edited, the task sent;
- a KPI value typed during a check-in: parsed in the person's locale, kept in the
  conversation state, the next KPI asked with last week's figure;
- the text of a suggestion: kept in the draft, the area asked.
The echo bot answers every text with the same text and every button with an answer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, Message
from sqlalchemy import event, func, insert, select

from bench.dataset import FIRST_PERSON, PEOPLE_PER_ENTERPRISE, fresh_database, seed, telegram_id
from bench.harness import ErrorCount, FakeApiProcess, Run, WebhookServer, bot_token, drive
from bot.app import build_application, build_bot
from bot.clock import FakeClock
from bot.config import Settings
from bot.content.loader import curriculum
from bot.handlers.checkin import CheckinFlow
from bot.handlers.suggestions import SuggestFlow
from bot.keyboards.callbacks import QuizCallback
from bot.services.suggestions import Draft
from storage.models import EnterpriseKpi, LessonDelivery

CONCURRENCY = 8
NOW = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # a Friday afternoon: check-in time
SCENARIOS = ("quiz answer", "KPI value in a check-in", "text suggestion")


def echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dp.callback_query()
    async def answer(query: CallbackQuery) -> None:
        await query.answer()

    return dp


async def _prepare(url: str, updates: int, people: int = 0) -> tuple[Any, list[int], list[int]]:
    """The data: enough enterprises for `updates` check-ins (two reporters each), or for
    `people` if more; returns the engine, the workers and the reporters (Telegram ids)."""
    enterprises = max(updates // 2 + 1, people // PEOPLE_PER_ENTERPRISE)
    engine = await fresh_database(url)
    await seed(engine, enterprises, lessons_done=0)
    workers = [telegram_id(e, n) for e in range(1, enterprises + 1)
               for n in range(2, PEOPLE_PER_ENTERPRISE)]
    reporters = [telegram_id(e, n) for e in range(1, enterprises + 1) for n in (0, 1)]
    lesson = curriculum().lessons[0]
    async with engine.begin() as connection:
        await connection.execute(insert(LessonDelivery.__table__), [
            {"person_id": w - FIRST_PERSON + 1, "team_id": (w - FIRST_PERSON)
             // PEOPLE_PER_ENTERPRISE + 1, "lesson_id": lesson.id, "scheduled": True,
             "sent_at": NOW - timedelta(hours=3), "reviews_sent": 0, "missed_reported": False}
            for w in workers[:updates]])
    return engine, workers, reporters


async def _states(dp: Dispatcher, bot: Bot, engine, reporters: list[int],  # type: ignore[no-untyped-def]
                  writers: list[int]) -> None:
    """Reporters in the middle of a check-in, writers in the middle of a suggestion."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(
            EnterpriseKpi.enterprise_id, EnterpriseKpi.id).order_by(EnterpriseKpi.position)
        )).all()
    queues: dict[int, list[int]] = {}
    for enterprise_id, kpi_id in rows:
        queues.setdefault(enterprise_id, []).append(kpi_id)
    week = (NOW.date() - timedelta(days=NOW.isoweekday() - 1)).isoformat()
    for user in reporters:
        enterprise = (user - FIRST_PERSON) // PEOPLE_PER_ENTERPRISE + 1
        key = StorageKey(bot_id=bot.id, chat_id=user, user_id=user)
        await dp.storage.set_state(key, CheckinFlow.answering.state)
        await dp.storage.set_data(key, {"week": week, "queue": queues[enterprise], "index": 0,
                                        "entries": {}, "enterprise": enterprise})
    for user in writers:
        key = StorageKey(bot_id=bot.id, chat_id=user, user_id=user)
        await dp.storage.set_state(key, SuggestFlow.content.state)
        await dp.storage.set_data(key, {"draft": Draft().as_state()})


def _specs(workers: list[int], reporters: list[int], updates: int) -> dict[str, list[dict]]:
    key = curriculum().lessons[0].key
    writers = workers[updates:2 * updates]
    return {
        "quiz answer": [{"kind": "callback", "user": w,
                         "data": QuizCallback(key=key, option=n % 2).pack()}
                        for n, w in enumerate(workers[:updates])],
        "KPI value in a check-in": [{"kind": "message", "user": r, "text": f"{4 + n % 5}.5"}
                                    for n, r in enumerate(reporters[:updates])],
        "text suggestion": [{"kind": "message", "user": w, "text":
                             f"Put the glue pots on a shelf by station {n}, we walk too much"}
                            for n, w in enumerate(writers)],
    }


async def run_updates(api: FakeApiProcess, url: str, updates: int, *,
                      scenarios: tuple[str, ...] = SCENARIOS, concurrency: int = CONCURRENCY,
                      people: int = 0) -> list[dict[str, Any]]:
    """One database: each scenario through the real bot, then the echo bot on the same
    updates. Returns one result per scenario."""
    engine, workers, reporters = await _prepare(url, updates, people)
    await api.add_users(workers + reporters)
    settings = Settings(bot_token=bot_token(), database_url=url, telegram_api_base=api.url)
    app = await build_application(settings, clock=FakeClock(NOW), migrate=False)
    bot = build_bot(settings)
    specs = _specs(workers, reporters, updates)
    await _states(app.dispatcher, bot, engine, reporters[:updates],
                  [s["user"] for s in specs["text suggestion"]])
    results: dict[str, dict[str, Any]] = {}
    try:
        async with WebhookServer(app.dispatcher, bot) as real, \
                WebhookServer(echo_dispatcher(), bot) as echo:
            await _warm_up(api, real, echo, workers, updates)
            for scenario in scenarios:
                with ErrorCount() as errors:
                    measured: Run = await drive(api, real, specs[scenario], concurrency)
                baseline = await drive(api, echo, specs[scenario], concurrency)
                results[scenario] = {"scenario": scenario, "real": measured, "echo": baseline,
                                     "errors": errors.count, "first_error": errors.first,
                                     "concurrency": concurrency}
        if "quiz answer" in results:
            async with app.session_factory() as session:
                answered = await session.scalar(select(func.count()).select_from(
                    LessonDelivery).where(LessonDelivery.answered_at.is_not(None)))
            results["quiz answer"]["checked"] = answered == updates
        if "KPI value in a check-in" in results:
            key = StorageKey(bot_id=bot.id, chat_id=reporters[0], user_id=reporters[0])
            results["KPI value in a check-in"]["checked"] = (
                await app.dispatcher.storage.get_data(key))["index"] == 1
        if "text suggestion" in results:
            writer = specs["text suggestion"][0]["user"]
            key = StorageKey(bot_id=bot.id, chat_id=writer, user_id=writer)
            results["text suggestion"]["checked"] = (await app.dispatcher.storage.get_state(key)
                                                     == SuggestFlow.area.state)
    finally:
        await bot.session.close()
        await app.close()
        await engine.dispose()
    return list(results.values())


async def _warm_up(api: FakeApiProcess, real: WebhookServer, echo: WebhookServer,
                   workers: list[int], updates: int) -> None:
    """Both bots answer a few updates first (aiogram builds its response models on the first
    call of each Bot API method): quiz answers from people outside the measured ones, whose
    lessons were not delivered (refused), and texts from people in no conversation."""
    spare = workers[2 * updates:2 * updates + 20] or workers[-20:]
    key = curriculum().lessons[0].key
    warm = [{"kind": "callback", "user": w, "data": QuizCallback(key=key, option=0).pack()}
            for w in spare]
    logging.disable(logging.WARNING)  # the refusals are expected
    try:
        await drive(api, real, warm, 4)
        await drive(api, echo, warm, 4)
        await drive(api, echo, [{"kind": "message", "user": w, "text": "hi"} for w in spare], 4)
    finally:
        logging.disable(logging.NOTSET)


async def profile_quiz(api: FakeApiProcess, url: str, updates: int) -> str:
    """Quiz answers one at a time under pyinstrument (its async mode charges each await to
    the line that awaited it): where the time of one tap goes, in this process."""
    from pyinstrument import Profiler

    engine, workers, reporters = await _prepare(url, updates)
    await api.add_users(workers + reporters)
    settings = Settings(bot_token=bot_token(), database_url=url, telegram_api_base=api.url)
    app = await build_application(settings, clock=FakeClock(NOW), migrate=False)
    bot = build_bot(settings)
    specs = _specs(workers, reporters, updates)["quiz answer"]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement.split(maxsplit=1)[0].upper())

    try:
        async with WebhookServer(app.dispatcher, bot) as real:
            await drive(api, real, specs[:20], 1)  # warm up
            event.listen(app.engine.sync_engine, "before_cursor_execute", count)
            profiler = Profiler(async_mode="enabled", interval=0.0005)
            profiler.start()
            run = await drive(api, real, specs[20:], 1)
            profiler.stop()
    finally:
        await bot.session.close()
        await app.close()
        await engine.dispose()
    kinds = {kind: statements.count(kind) / run.updates for kind in sorted(set(statements))}
    head = (f"{run.updates} quiz answers, 1 in flight: {run.elapsed / run.updates * 1000:.1f} ms "
            f"each, {run.calls_per_update:.1f} Bot API calls and "
            f"{len(statements) / run.updates:.1f} SQL statements per update ("
            + ", ".join(f"{k} {v:.1f}" for k, v in kinds.items()) + ")")
    return head + "\n" + profiler.output_text(unicode=False, color=False)
