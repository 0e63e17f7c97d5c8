"""The quarterly labour-standards self-check opens on the pulse day of each quarter's first
month: its managers and worker representative are invited (managers are asked to choose a
representative if there is none). Once per quarter (SelfCheckRound); daytime, working days,
never to someone who paused. Only enterprises whose next self-check moment has come are read
(`enterprises.next_selfcheck_at`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify import notify
from bot.presenters import selfcheck as ui
from bot.scheduling.climate import awake
from bot.scheduling.context import JobContext
from bot.services import climate, selfcheck
from bot.services.kpis import reporters
from bot.services.next_due import enterprises_due, next_selfcheck_at
from storage.models import Enterprise, Person, Role, SelfCheckRound


async def open_self_checks(ctx: JobContext) -> int:
    now = ctx.clock.now()
    queued = 0
    async with ctx.session_factory() as session, session.begin():
        for enterprise in await enterprises_due(session, Enterprise.next_selfcheck_at, now):
            opened = await selfcheck.round_for(session, enterprise, now, create=False) is not None
            if not opened and _opens_now(enterprise, now):
                queued += await _open(ctx, session, enterprise)
                opened = True
            enterprise.next_selfcheck_at = next_selfcheck_at(enterprise, opened, now)
    return queued


def _opens_now(enterprise: Enterprise, now: datetime) -> bool:
    month = climate.month_of(now.astimezone(ZoneInfo(enterprise.timezone)).date())
    if month.month not in selfcheck.QUARTER_MONTHS or not awake(enterprise, now):
        return False
    slot = climate.pulse_slot(enterprise, month)
    return slot <= now and enterprise.created_at <= slot - climate.SETTLE_IN


async def _open(ctx: JobContext, session: AsyncSession, enterprise: Enterprise) -> int:
    now = ctx.clock.now()
    queued = 0
    check = await selfcheck.round_for(session, enterprise, now)
    assert check is not None
    people = [(p, selfcheck.MANAGER) for p in
              await reporters(session, enterprise.id, (Role.MANAGER,))]
    rep = (await session.get(Person, enterprise.worker_rep_id)
           if enterprise.worker_rep_id else None)
    if rep is not None:
        people.append((rep, selfcheck.WORKER))
    for person, side in people:
        if person.paused:
            continue
        choose = side == selfcheck.MANAGER and rep is None

        def render(_locale: str, side: str = side, choose: bool = choose,
                   name: str = enterprise.name, check: SelfCheckRound = check,
                   ) -> tuple[str, InlineKeyboardMarkup]:
            text = ui.invitation(name, check.quarter, side)
            if choose:
                text += "\n\n" + ui.no_representative()
            return text, ui.start_keyboard(check, can_choose_rep=choose)

        notify(session, ctx.i18n, person, kind="selfcheck_invite", now=now,
               enterprise=enterprise, render=render)
        queued += 1
    return queued
