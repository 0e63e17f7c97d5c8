"""The weekly digest: every Monday from 08:00 in the enterprise's timezone, one compact
message per enterprise to each group that follows it. A link records the week it was last
sent, in the transaction that queues it, so a digest is never sent twice. Only
links whose next digest moment has come are read (`group_chat_links.next_digest_at`), and the
next one is stored with what is queued."""

from __future__ import annotations

from functools import partial

from bot.notify import notify_group
from bot.presenters import health as health_ui
from bot.scheduling.context import JobContext
from bot.services import groups
from bot.services.health import health_of
from bot.services.next_due import next_digest_at


async def send_digests(ctx: JobContext) -> int:
    now = ctx.clock.now()
    sent = 0
    async with ctx.session_factory() as session, session.begin():
        for link, group, enterprise in await groups.links_due(session, now):
            week = groups.digest_due(link, enterprise, now)
            if week is not None:
                health = await health_of(session, enterprise, now)
                notify_group(session, ctx.i18n, group, kind="digest", now=now,
                             enterprise=enterprise,
                             render=partial(health_ui.digest, health))
                link.last_digest_week = week
                sent += 1
            link.next_digest_at = next_digest_at(link, enterprise, now)
    return sent
