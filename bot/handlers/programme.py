"""/report: programme figures across enterprises, by sector and country, for programme
administrators (ADMIN_IDS): a message per group, the chart, and the table as CSV and XLSX."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.handlers.common import pack_messages, private_router
from bot.presenters import programme as ui
from bot.services.permissions import Capability
from bot.services.programme import programme_report, table, to_csv, to_xlsx


async def show_report(message: Message, session: AsyncSession, clock: Clock, bot: Bot,
                      locale: str) -> None:
    report = await programme_report(session, clock.now())
    for text in pack_messages(ui.messages(report, locale)):
        await message.answer(text)
    if not report.rows:
        return
    headings, rows = table(report, ui.labels())
    await bot.send_photo(message.chat.id, BufferedInputFile(ui.chart(report, locale),
                                                            filename="programme.png"))
    await bot.send_document(message.chat.id, BufferedInputFile(
        to_csv(headings, rows).encode("utf-8"), filename="programme-report.csv"))
    await bot.send_document(message.chat.id, BufferedInputFile(
        to_xlsx(headings, rows, ui.labels().group), filename="programme-report.xlsx"))


def build_router() -> Router:
    router = private_router("programme")
    router.message.register(show_report, Command("report"),
                            flags={"capability": Capability.SEE_PROGRAMME})
    return router
