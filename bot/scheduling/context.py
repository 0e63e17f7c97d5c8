from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.loader import Curriculum
from bot.i18n import CatalogI18n


@dataclass(frozen=True)
class JobContext:
    """What scheduled jobs need: storage, time, language (with the bot's default locale, which
    `notify()` falls back on), content and the relay key (anonymous ideas are released to their
    reviewers by a job, `Settings.relay_secret`). No Telegram. Handlers get the same in
    `bot.deps.Deps`."""

    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    i18n: CatalogI18n
    curriculum: Curriculum
    relay_key: bytes
