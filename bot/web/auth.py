"""Who is looking at the dashboard, proven three ways, all tied to the bot token:

- Telegram's `initData`, which Telegram signs with a key derived from the bot token when it
  opens the Mini App; refused when forged or older than `INIT_DATA_MAX_AGE`;
- a one-time link `/dashboard` gives for a desktop browser: signed, valid `LINK_MAX_AGE`, and
  spent on first use (its nonce is kept in the dispatcher's storage: Redis when several
  processes serve the bot);
- then a session cookie the server signs itself, valid as long as the `initData` would be.

Nothing here is stored in the database and nothing names a person but their Telegram id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.utils.web_app import safe_parse_webapp_init_data

INIT_DATA_MAX_AGE = timedelta(hours=1)
SESSION_MAX_AGE = INIT_DATA_MAX_AGE
LINK_MAX_AGE = timedelta(minutes=10)
COOKIE = "scorebot_dashboard"
# The link's nonce is kept under the person's private-chat key with this thread id, apart from
# their conversation (which has none): aiogram's Redis key builder refuses other destinies
# unless configured for them, and keys with a thread id are its own.
_LINK_THREAD = 2**31 - 17


class Refused(Exception):
    """The proof is forged, expired or already spent."""


def _key(bot_token: str, purpose: str) -> bytes:
    return hmac.new(bot_token.encode(), f"scorebot-dashboard:{purpose}".encode(),
                    hashlib.sha256).digest()


def _sign(bot_token: str, purpose: str, payload: str) -> str:
    mac = hmac.new(_key(bot_token, purpose), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def _open(bot_token: str, purpose: str, token: str) -> list[str]:
    payload, _dot, signature = token.rpartition("~")
    if not payload or not hmac.compare_digest(_sign(bot_token, purpose, payload), signature):
        raise Refused("bad signature")
    return payload.split(".")


def telegram_id_from_init_data(bot_token: str, init_data: str, now: datetime) -> int:
    """The Telegram user id `initData` was signed for, or Refused."""
    try:
        data = safe_parse_webapp_init_data(bot_token, init_data)
    except ValueError:
        raise Refused("initData is not signed with this bot's token") from None
    if data.user is None:
        raise Refused("initData names no user")
    age = now - data.auth_date
    if age > INIT_DATA_MAX_AGE or age < -timedelta(minutes=5):
        raise Refused("initData is too old")
    return data.user.id


@dataclass(frozen=True)
class Session:
    telegram_id: int
    expires: int  # Unix seconds

    def csrf(self, bot_token: str) -> str:
        """The value every form must send back, so another site cannot post for the person."""
        return _sign(bot_token, "csrf", f"{self.telegram_id}.{self.expires}")


def new_session(bot_token: str, telegram_id: int, now: datetime) -> tuple[Session, str]:
    session = Session(telegram_id, int((now + SESSION_MAX_AGE).timestamp()))
    payload = f"{telegram_id}.{session.expires}"
    return session, f"{payload}~{_sign(bot_token, 'session', payload)}"


def read_session(bot_token: str, cookie: str | None, now: datetime) -> Session:
    if not cookie:
        raise Refused("no session")
    try:
        telegram_id, expires = (int(part) for part in _open(bot_token, "session", cookie))
    except ValueError:
        raise Refused("malformed session") from None
    if now.timestamp() > expires:
        raise Refused("session expired")
    return Session(telegram_id, expires)


def _link_key(bot_id: int, telegram_id: int) -> StorageKey:
    return StorageKey(bot_id=bot_id, chat_id=telegram_id, user_id=telegram_id,
                      thread_id=_LINK_THREAD)


async def new_link_token(storage: BaseStorage, bot_token: str, bot_id: int, telegram_id: int,
                         now: datetime) -> str:
    """A token for a one-time browser link; any earlier unused link of the person lapses."""
    nonce = secrets.token_urlsafe(12).replace(".", "_").replace("~", "_")
    expires = int((now + LINK_MAX_AGE).timestamp())
    await storage.set_data(_link_key(bot_id, telegram_id), {"nonce": nonce, "expires": expires})
    payload = f"{telegram_id}.{expires}.{nonce}"
    return f"{payload}~{_sign(bot_token, 'link', payload)}"


async def spend_link_token(storage: BaseStorage, bot_token: str, bot_id: int, token: str,
                           now: datetime) -> int:
    """The Telegram id the link was made for; the link works only once."""
    try:
        telegram_id_text, expires_text, nonce = _open(bot_token, "link", token)
        telegram_id, expires = int(telegram_id_text), int(expires_text)
    except ValueError:
        raise Refused("malformed link") from None
    if now.timestamp() > expires:
        raise Refused("link expired")
    key = _link_key(bot_id, telegram_id)
    kept = await storage.get_data(key)
    if kept.get("nonce") != nonce:
        raise Refused("link already used")
    await storage.set_data(key, {})
    return telegram_id
