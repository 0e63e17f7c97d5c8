"""What handlers need besides the update: one frozen object, injected by the dispatcher as
`deps` (aiogram passes whatever the dispatcher holds to the handlers that name it).

    async def accept(query: CallbackQuery, ..., deps: Deps) -> None:
        now = deps.clock.now()
        notify(session, deps.i18n, reviewer, ...)

Scheduled jobs get the same things in `bot.scheduling.context.JobContext`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.content.loader import Curriculum
from bot.i18n import CatalogI18n


@dataclass(frozen=True)
class Deps:
    settings: Settings
    clock: Clock
    i18n: CatalogI18n
    curriculum: Curriculum
    # Seals who sent each suggestion (bot.services.anonymity.seal); from Settings.relay_secret.
    relay_key: bytes
