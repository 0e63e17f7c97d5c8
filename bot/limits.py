"""Telegram's and WhatsApp's documented limits, named once and used everywhere instead of magic
numbers. The sending limits are applied by the outbox (bot/scheduling/rate_limit.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

MESSAGE_TEXT_MAX = 4096  # characters after entity parsing
CAPTION_MAX = 1024
MEDIA_GROUP_MAX = 10  # photos in one album
CALLBACK_DATA_MAX_BYTES = 64  # UTF-8 bytes, not characters
CALLBACK_ANSWER_MAX = 200
COMMANDS_MAX = 100
COMMAND_DESCRIPTION_MAX = 256
DEEP_LINK_PAYLOAD_MAX = 64
# Sending (bot/scheduling/rate_limit.py): about 30 messages a second overall, 1 a second to one
# chat, 20 a minute to one group.
TG_MESSAGES_PER_SECOND = 30
TG_CHAT_INTERVAL_SECONDS = 1.0
TG_GROUP_PER_MINUTE = 20


def telegram_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain_text(html_text: str) -> str:
    """What Telegram counts of an HTML message: the text without tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def fit_text(render: Callable[[str], str], text: str, limit: int = MESSAGE_TEXT_MAX) -> str:
    """`render(escaped)` with a person's `text` (HTML-escaped) placed in a template, shortened
    with "…" when the template and the text together would pass Telegram's `limit`."""
    budget = limit - telegram_length(plain_text(render("")))
    if telegram_length(text) > budget:
        cut = text[:max(budget - 1, 0)]
        while cut and telegram_length(cut) > budget - 1:
            cut = cut[:-1]
        text = cut.rstrip() + "…"
    return render(html.escape(text, quote=False))


# --- WhatsApp Cloud API (Meta's documentation), for bot/channels/whatsapp -----------------
WA_REPLY_BUTTONS_MAX = 3  # reply buttons in one interactive message
WA_BUTTON_TITLE_MAX = 20
WA_BUTTON_ID_MAX = 256
WA_LIST_ROWS_MAX = 10  # rows in one list message, all sections together
WA_LIST_ROW_TITLE_MAX = 24
WA_LIST_ROW_DESCRIPTION_MAX = 72
WA_LIST_BUTTON_MAX = 20  # the label of the button that opens the list
WA_LIST_ROW_ID_MAX = 200
WA_HEADER_MAX = 60  # interactive header and footer
WA_INTERACTIVE_BODY_MAX = 1024
WA_TEXT_MAX = 4096
WA_CAPTION_MAX = 1024
WA_WINDOW_HOURS = 24  # the customer-service window after the person's last message
WA_MESSAGES_PER_SECOND = 80  # per business number (error 130429)
WA_PAIR_INTERVAL_SECONDS = 6  # about one message every 6 s to one person (error 131056)
# Business-initiated conversations with unique people per 24 hours, by messaging tier.
WA_DAILY_TIERS = (250, 1_000, 10_000, 100_000)
WA_DAILY_TIER = 1_000  # the default of the setting WHATSAPP_DAILY_CONVERSATIONS
