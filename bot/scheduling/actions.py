"""Action reminders: two days before the due date, on it, and once overdue; in daytime, on
working days (Monday to Saturday), never to someone who paused."""

from __future__ import annotations

from functools import partial

from bot.notify import notify
from bot.presenters import actions as ui
from bot.scheduling.context import JobContext
from bot.services import actions, lessons


async def send_action_reminders(ctx: JobContext) -> int:
    now = ctx.clock.now()
    sent = 0
    async with ctx.session_factory() as session, session.begin():
        for item, owner, enterprise in await actions.open_with_owners(session):
            if not lessons.is_working_daytime(now, enterprise.timezone):
                continue
            stage = actions.reminder_stage_due(item, actions.local_date(now, enterprise.timezone))
            if not stage:
                continue
            item.reminder_stage = stage
            notify(session, ctx.i18n, owner, kind=f"action_reminder_{stage}", now=now,
                   enterprise=enterprise, render=partial(ui.reminder_with_buttons, item, stage))
            sent += 1
    return sent
