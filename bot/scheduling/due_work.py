"""One scan for everything due, run every minute by the scheduler."""

from __future__ import annotations

import logging

from bot.scheduling.actions import send_action_reminders
from bot.scheduling.checkins import run_checkins
from bot.scheduling.climate import run_pulse_surveys
from bot.scheduling.context import JobContext
from bot.scheduling.digests import send_digests
from bot.scheduling.escalation import escalate_stalls
from bot.scheduling.lessons import send_lesson_waves, send_reminders, send_reviews
from bot.scheduling.maintenance import prune_finished_outbox, prune_processed_updates
from bot.scheduling.selfcheck import open_self_checks
from bot.scheduling.suggestions import release_anonymous_ideas, send_weekly_summaries

log = logging.getLogger(__name__)

JOBS = (
    release_anonymous_ideas, send_lesson_waves, send_reminders, send_reviews,
    send_weekly_summaries, run_checkins,
    send_action_reminders, escalate_stalls, send_digests, run_pulse_surveys, open_self_checks,
    prune_processed_updates, prune_finished_outbox,
)


async def run_due_work(ctx: JobContext) -> None:
    """Each job logs its own failure, and the others go on."""
    for job in JOBS:
        try:
            await job(ctx)
        except Exception:
            log.exception("scheduled job %s failed", job.__name__)
