"""APScheduler wiring: a due-work scan every minute and the outbox sender every few seconds.
Jobs never overlap themselves (max_instances=1) and a late run is not repeated (coalesce).

Every process sends from the outbox (rows are claimed, so never twice); the due-work scan
runs in one process at a time (`bot.scheduling.leader`), added and removed as that process
gains or loses the lead."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import SystemClock
from bot.scheduling.context import JobContext
from bot.scheduling.due_work import run_due_work
from bot.scheduling.outbox_sender import OutboxSender
from bot.scheduling.rate_limit import Limiter

DUE_WORK_SECONDS = 60
OUTBOX_SECONDS = 2
DUE_WORK_JOB = "due-work"
_COMMON: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}


def build_scheduler(
    ctx: JobContext,
    bot: Bot,
    *,
    due_work_seconds: float = DUE_WORK_SECONDS,
    outbox_seconds: float = OUTBOX_SECONDS,
    limiter: Limiter | None = None,
    due_work: bool = True,
    sender: OutboxSender | None = None,
) -> AsyncIOScheduler:
    """The outbox sender, and the due-work scan unless `due_work` is False (it is then added
    by `add_due_work` when this process takes the lead)."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    if due_work:
        add_due_work(scheduler, ctx, due_work_seconds)
    sender = sender or OutboxSender(ctx.session_factory, bot, ctx.clock, limiter)
    scheduler.add_job(sender.send_pending, "interval", seconds=outbox_seconds, id="outbox",
                      **_COMMON)
    return scheduler


def add_due_work(
    scheduler: AsyncIOScheduler, ctx: JobContext, seconds: float = DUE_WORK_SECONDS
) -> None:
    # Triggers run on the wall clock; the jobs read "now" from ctx.clock for their rules.
    scheduler.add_job(run_due_work, "interval", seconds=seconds, args=[ctx], id=DUE_WORK_JOB,
                      next_run_time=SystemClock().now(), replace_existing=True, **_COMMON)


def remove_due_work(scheduler: AsyncIOScheduler) -> None:
    if scheduler.get_job(DUE_WORK_JOB) is not None:
        scheduler.remove_job(DUE_WORK_JOB)
