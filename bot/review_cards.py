"""The card each reviewer gets for a new idea, with its photos and the similar open ideas they
may see: queued by the handler that stores a named idea and by the job that releases the hour's
anonymous ones (bot/scheduling/suggestions.py)."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import CatalogI18n
from bot.notify import notify
from bot.presenters import suggestions as ui
from bot.services import suggestions as service
from storage.models import Enterprise, Suggestion


async def tell_reviewers(session: AsyncSession, i18n: CatalogI18n, suggestion: Suggestion,
                         enterprise: Enterprise, now: datetime) -> None:
    origin = await service.origin_of(session, suggestion)
    await session.refresh(suggestion, ["media"])
    media = service.before_media(suggestion)
    for reviewer, seen_as in await service.reviewers_with_memberships(session, suggestion):
        similar = await service.similar_open(session, suggestion, viewer=seen_as)

        def render(locale: str, similar: list[tuple[Suggestion, float]] = similar,
                   ) -> tuple[str, InlineKeyboardMarkup]:
            return (ui.card(suggestion, origin.author_name, origin.place, similar, locale),
                    ui.review_keyboard(suggestion))

        notify(session, i18n, reviewer, kind="suggestion_new", now=now,
               enterprise=enterprise, render=render, media=media)
