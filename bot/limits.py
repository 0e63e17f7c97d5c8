"""Telegram's documented limits, named once and used everywhere instead of magic numbers."""

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
