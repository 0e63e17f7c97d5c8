"""Housekeeping: forget the ids of updates handled long ago (Telegram retries a webhook for
hours, not days), and the outbox rows of messages whose fate is settled (sent, failed or
dropped) after KEEP_FINISHED_OUTBOX: a delivered row has no text already, but its addressee,
kind and time would still say who was told what, when."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.scheduling.context import JobContext
from bot.services.outbox import ALERT_KIND
from storage.models import OutboxMessage, OutboxStatus, ProcessedUpdate

KEEP_UPDATE_IDS = timedelta(days=3)
KEEP_FINISHED_OUTBOX = timedelta(days=2)
# Consultants' alerts keep no text either, only their buttons, so that an answer given weeks
# later still takes the buttons off every copy.
KEEP_FINISHED_ALERTS = timedelta(days=60)
FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.DROPPED)


async def prune_processed_updates(ctx: JobContext) -> None:
    async with ctx.session_factory() as session, session.begin():
        await session.execute(delete(ProcessedUpdate).where(
            ProcessedUpdate.handled_at < ctx.clock.now() - KEEP_UPDATE_IDS))


async def prune_finished_outbox(ctx: JobContext) -> None:
    async with ctx.session_factory() as session, session.begin():
        # (status, send_after) is indexed: this reads only the rows it deletes.
        now = ctx.clock.now()
        await session.execute(delete(OutboxMessage).where(
            OutboxMessage.status.in_(FINISHED),
            OutboxMessage.send_after < now - KEEP_FINISHED_OUTBOX,
            (OutboxMessage.kind != ALERT_KIND)
            | (OutboxMessage.send_after < now - KEEP_FINISHED_ALERTS)))
