"""Action reminders: two days before the due date, on it, and once overdue; in daytime, on
working days (Monday to Saturday), never to someone who paused."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.presenters import actions as ui
from bot.presenters.lessons import as_json
from bot.scheduling.context import JobContext
from bot.services import actions, lessons
from bot.services.outbox import enqueue
from bot.services.people import locale_outside_update

SUNDAY = 7


async def send_action_reminders(ctx: JobContext) -> int:
    now = ctx.clock.now()
    sent = 0
    async with ctx.session_factory() as session, session.begin():
        for item, owner, enterprise in await actions.open_with_owners(session):
            local = now.astimezone(ZoneInfo(enterprise.timezone))
            if local.isoweekday() == SUNDAY or not lessons.is_daytime(now, enterprise.timezone):
                continue
            stage = actions.reminder_stage_due(item, local.date())
            if not stage:
                continue
            item.reminder_stage = stage
            locale = locale_outside_update(owner, enterprise.default_locale, ctx.default_locale)
            with ctx.i18n.speaking(locale):
                text = ui.reminder(item, stage, locale)
                markup = ui.reminder_keyboard(item)
            enqueue(session, chat_id=owner.telegram_id, person_id=owner.id,
                    kind=f"action_reminder_{stage}", text=text, reply_markup=as_json(markup),
                    now=now)
            sent += 1
    return sent
