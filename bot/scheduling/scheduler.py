"""APScheduler wiring: a due-work scan every minute and the outbox sender every few seconds.
Jobs never overlap themselves (max_instances=1) and a late run is not repeated (coalesce)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduling.context import JobContext
from bot.scheduling.due_work import run_due_work
from bot.scheduling.outbox_sender import OutboxSender

DUE_WORK_SECONDS = 60
OUTBOX_SECONDS = 2


def build_scheduler(
    ctx: JobContext,
    bot: Bot,
    *,
    due_work_seconds: float = DUE_WORK_SECONDS,
    outbox_seconds: float = OUTBOX_SECONDS,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
    # Triggers run on the wall clock; the jobs read "now" from ctx.clock for their rules.
    scheduler.add_job(run_due_work, "interval", seconds=due_work_seconds, args=[ctx],
                      id="due-work", next_run_time=datetime.now(UTC), **common)
    sender = OutboxSender(ctx.session_factory, bot, ctx.clock)
    scheduler.add_job(sender.send_pending, "interval", seconds=outbox_seconds, id="outbox",
                      **common)
    return scheduler
