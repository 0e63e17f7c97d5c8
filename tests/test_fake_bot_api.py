"""The fake Bot API refuses what Telegram refuses, so tests catch what production would."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.keyboards.callbacks import (
    ALL_FACTORIES,
    ActionCallback,
    CheckinCallback,
    EnterpriseCallback,
    EscalationCallback,
    GroupLanguageCallback,
    HealthItemCallback,
    ImpactCallback,
    InviteCallback,
    KpiCallback,
    LanguageCallback,
    LegacySubmitterAnswerCallback,
    LessonActionCallback,
    LessonCallback,
    PlanCallback,
    PrivacyCallback,
    PulseCallback,
    QuizCallback,
    ReviewCallback,
    ScheduleCallback,
    SelfCheckCallback,
    SubmitterAnswerCallback,
    SuggestCallback,
    SuggestionCallback,
    SuggestionPickCallback,
)
from bot.limits import CALLBACK_DATA_MAX_BYTES
from bot.offline.telegram import BotApiError, FakeTelegram, parse_html
from tests.fakes.bot_api_server import FakeBotApiServer
from tests.fakes.harness import TOKEN


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("<b>bold</b> &amp; <i>it</i>", "bold & it"),
        ('<a href="https://x.org">link</a>', "link"),
        ("5 &lt; 6 &#33; &#x41;", "5 < 6 ! A"),
        ("Tom & Jerry", "Tom & Jerry"),
        ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st"),
    ],
)
def test_valid_html_is_parsed(html, plain):
    assert parse_html(html) == plain


@pytest.mark.parametrize(
    "html", ["<b>open", "a < b", "<div>x</div>", "<b><i>x</b></i>", "</b>", "&nbsp;", "<script>"]
)
def test_malformed_html_is_refused(html):
    with pytest.raises(BotApiError, match="can't parse entities"):
        parse_html(html)


@pytest.fixture
async def bot():
    telegram = FakeTelegram(token=TOKEN)
    telegram.add_user(7, "Ama")
    server = FakeBotApiServer(telegram)
    await server.start()
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    bot.telegram = telegram  # type: ignore[attr-defined]
    yield bot
    await session.close()
    await server.stop()


async def test_limits_are_enforced_over_http(bot):
    await bot.send_message(7, "x" * 4096)
    await bot.send_message(7, "<b>" + "x" * 4096 + "</b>")  # tags do not count
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(7, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(7, "😀" * 2049)  # UTF-16: two units each
    with pytest.raises(TelegramBadRequest, match="text is empty"):
        await bot.send_message(7, "<b></b>")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(7, "Name: <Kofi>")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(7, "x", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="b", callback_data="é" * 33)]]))
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(8, "who?")


async def test_errors_arrive_as_aiogram_exceptions(bot):
    bot.telegram.fail_next("sendMessage", BotApiError(
        429, "Too Many Requests: retry after 3", {"retry_after": 3}))
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(7, "hi")
    assert error.value.retry_after == 3
    bot.telegram.blocked.add(7)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(7, "hi")


async def test_unknown_methods_and_tokens_are_refused(bot):
    from aiogram.exceptions import TelegramNotFound
    from aiogram.methods import GetMe

    class NoSuchMethod(GetMe):
        __api_method__ = "noSuchMethod"

    with pytest.raises(TelegramNotFound):
        await bot(NoSuchMethod())


def test_every_button_factory_fits_in_64_bytes_with_the_largest_values():
    biggest = 2**31 - 1  # the largest id a button may carry (DbId)
    samples = [
        LanguageCallback(code="zh_Hans"),
        GroupLanguageCallback(code="zh_Hans"),
        InviteCallback(enterprise_id=biggest, role="consultant", team_id=biggest),
        LessonCallback(key="m5-99"),
        QuizCallback(key="m5-99", option=3),
        ReviewCallback(key="m5-99", option=3),
        ScheduleCallback(team_id=biggest, action="hour", value=-1),
        LessonActionCallback(key="m5-99"),
        SuggestCallback(step="start_with_media", value="cleaner_production"),
        SuggestionCallback(id=biggest, action="impact_menu"),
        ImpactCallback(id=biggest, kind="defects"),
        SubmitterAnswerCallback(id=biggest),
        LegacySubmitterAnswerCallback(id=biggest, action="answer"),
        SuggestionPickCallback(id=biggest, kind="owner", value=biggest),
        CheckinCallback(action="restart", kpi_id=biggest, enterprise_id=biggest),
        KpiCallback(action="baseline", kpi_id=biggest),
        ActionCallback(id=biggest, action="progress", value=14),
        PlanCallback(step="owner", value=biggest),
        EscalationCallback(id=biggest, action="snooze", value=biggest),
        EnterpriseCallback(action="baseline", id=biggest),
        HealthItemCallback(kind="action", id=biggest),
        PulseCallback(round_id=biggest, given="5555555", score=5),
        SelfCheckCallback(action="answer", id=biggest, item=366, value="unsure"),
        PrivacyCallback(action="forget"),
    ]
    assert {type(s) for s in samples} == set(ALL_FACTORIES)
    for sample in samples:
        assert len(sample.pack().encode()) <= CALLBACK_DATA_MAX_BYTES
