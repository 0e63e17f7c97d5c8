"""Housekeeping: forget the ids of updates handled long ago (Telegram retries a webhook for
hours, not days)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.scheduling.context import JobContext
from storage.models import ProcessedUpdate

KEEP_UPDATE_IDS = timedelta(days=3)


async def prune_processed_updates(ctx: JobContext) -> None:
    async with ctx.session_factory() as session, session.begin():
        await session.execute(delete(ProcessedUpdate).where(
            ProcessedUpdate.handled_at < ctx.clock.now() - KEEP_UPDATE_IDS))
