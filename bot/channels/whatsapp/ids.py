"""The WhatsApp id space: Telegram-compatible chat ids for people on WhatsApp.

Telegram user ids are positive and below 2**52; group ids are negative. A WhatsApp person is
known to the rest of the bot by WA_CHAT_ID_BASE + their `whatsapp_contacts` row id: positive,
far above any Telegram id and within BigInteger, so `people.telegram_id`, `outbox.chat_id` and
every handler keep working unchanged, and the channel of a chat is read off its id."""

from __future__ import annotations

import hashlib

WA_CHAT_ID_BASE = 8_000_000_000_000_000_000  # 8e18 < 2**63
# Update ids of WhatsApp updates, so the duplicate-update check never confuses them with
# Telegram's (which count up from small numbers): a retried webhook keeps its update id.
WA_UPDATE_ID_BASE = 2**62


def is_whatsapp_chat(chat_id: int | str | None) -> bool:
    try:
        return int(chat_id) >= WA_CHAT_ID_BASE  # type: ignore[arg-type]  # aiogram's ChatIdUnion may be a str
    except (TypeError, ValueError):
        return False


def chat_id_of(contact_id: int) -> int:
    return WA_CHAT_ID_BASE + contact_id


def contact_id_of(chat_id: int) -> int:
    return int(chat_id) - WA_CHAT_ID_BASE


def _digest(value: str, bits: int) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big") % (1 << bits)


def message_id_of(wamid: str) -> int:
    """The Telegram-style message id of a WhatsApp message (wamid), the same when the bot
    sends it and when a button on it is pressed."""
    return _digest(wamid, 31) + 1


def update_id_of(key: str) -> int:
    return WA_UPDATE_ID_BASE + _digest(key, 60)
