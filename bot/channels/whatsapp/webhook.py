"""The WhatsApp webhook: Meta's verification handshake (GET), and signed POSTs turned into
the Telegram updates the Dispatcher already handles.

- GET: answers `hub.challenge` when `hub.mode` is "subscribe" and `hub.verify_token` is
  WHATSAPP_VERIFY_TOKEN; 403 otherwise.
- POST: refused (403) unless `X-Hub-Signature-256` is the HMAC-SHA256 of the raw body with
  WHATSAPP_APP_SECRET; 400 when the body is not a WhatsApp notification. Nothing is written
  before both checks pass.
- A message opens the person's 24-hour window, brings what was held for them while it was
  closed, and becomes one update: a text (a command when it starts with "/"; "JOIN <token>"
  is "/start <token>"), a photo, a voice note, a document, or a button press (a reply
  button, a list row, or a number answering a numbered menu) as a callback query whose data
  is the button's id; a main-menu row (render.SAY + its label) arrives as its label typed,
  as Telegram's reply keyboard sends it. A number outside the numbered menu it answers is
  told which numbers there are, by the adapter, in the person's language; the menu stays.
  Other kinds become a message without content, which the bot answers as it answers a
  sticker on Telegram.
- Statuses (sent, delivered, read, failed) are recorded; a failure 131026 (not a WhatsApp
  user) marks the person as Telegram's 403 does.
The update is handled before the answer, so Meta retries one whose handling failed; a retry
keeps its update id (derived from the message id) and is handled once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.whatsapp import contacts
from bot.channels.whatsapp.ids import chat_id_of, message_id_of, update_id_of
from bot.channels.whatsapp.render import SAY
from bot.channels.whatsapp.session import ChannelSession, pending_choices
from bot.channels.whatsapp.templates import HELD_PAYLOAD
from bot.clock import Clock
from bot.limits import CALLBACK_DATA_MAX_BYTES

log = logging.getLogger(__name__)

MENU_LABEL_MAX = 64  # longer than any menu label (bot.keyboards.menu reads none longer)
MAX_BODY = 256 * 1024  # Meta's notifications are small; a larger body is refused
_JOIN = re.compile(r"^\s*join\s+(\S+)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(\d{1,3})\s*\.?\s*$")
_WA_ID = re.compile(r"^[0-9]{1,20}$")  # a WhatsApp id is a phone number's digits
_LISTS = ("statuses", "messages", "contacts")


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison of a header or query value (any Unicode) with a secret."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def _dict(value: Any) -> dict[str, Any]:
    """A part of a notification that should be an object: itself, or {} when it is not."""
    return value if isinstance(value, dict) else {}


def _changes(raw: bytes) -> list[dict[str, Any]]:
    """The `value` of every change of a notification; ValueError when the body is not one
    (not JSON, or JSON of another shape)."""
    body = json.loads(raw)
    if not isinstance(body, dict) or not isinstance(body.get("entry") or [], list):
        raise ValueError("not a notification")
    changes = []
    for entry in body.get("entry") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes") or [], list):
            raise ValueError("an entry without a list of changes")
        for change in entry.get("changes") or []:
            value = change.get("value") or {} if isinstance(change, dict) else None
            if not isinstance(value, dict) or not all(
                    isinstance(value.get(name) or [], list) for name in _LISTS):
                raise ValueError("a change without a value")
            changes.append(value)
    return changes


def signature_of(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _text_message(text: str) -> dict[str, Any]:
    join = _JOIN.match(text)
    if join:
        text = f"/start {join.group(1)}"
    message: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message


def number_not_on_menu(item: dict[str, Any], contact: contacts.Contact) -> int | None:
    """The number a person typed when a numbered menu waits and the number is not on it."""
    if item.get("type") != "text" or not contact.choices:
        return None
    number = _NUMBER.match(str(_dict(item.get("text")).get("body") or ""))
    if number is None or 1 <= int(number.group(1)) <= len(contact.choices):
        return None
    return int(number.group(1))


def to_update(item: dict[str, Any], contact: contacts.Contact, name: str) -> dict[str, Any] | None:
    """One Cloud API message -> one Telegram update (as JSON); None for a tap on the
    "show me" button of the held-message template (handled by the adapter alone)."""
    chat_id = contact.chat_id
    user = {"id": chat_id, "is_bot": False, "first_name": (name or "WhatsApp")[:64]}
    chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
    wamid = str(item.get("id") or "")
    kind = item.get("type")
    context_id = str(_dict(item.get("context")).get("id") or "")
    data: str | None = None
    if kind == "interactive":
        interactive = _dict(item.get("interactive"))
        reply = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        data = str(reply.get("id") or "") or None
    elif kind == "button":
        payload = str(_dict(item.get("button")).get("payload") or "")
        if payload == HELD_PAYLOAD:
            return None
        data = payload or None
    elif kind == "text" and contact.choices:
        number = _NUMBER.match(str(_dict(item.get("text")).get("body") or ""))
        if number and 1 <= int(number.group(1)) <= len(contact.choices):
            data = contact.choices[int(number.group(1)) - 1]
    said = data[len(SAY):] if data is not None and data.startswith(SAY) else None
    if said is not None:
        data = None  # a main-menu row: its label, typed
    if data is not None and len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        data = "?"  # longer than any button the bot issues: a forgery, not to be logged
    update_id = update_id_of(wamid or json.dumps(item, sort_keys=True))
    if data is not None:
        pressed = {"message_id": message_id_of(context_id or wamid), "date": 0, "chat": chat,
                   "text": ""}
        return {"update_id": update_id, "callback_query": {
            "id": f"wa:{chat_id}:{wamid[-40:]}", "from": user, "chat_instance": str(chat_id),
            "data": data, "message": pressed}}
    stamp = str(item.get("timestamp") or "0")
    message: dict[str, Any] = {"message_id": message_id_of(wamid),
                               "date": int(stamp) if stamp.isascii() and stamp.isdigit() else 0,
                               "chat": chat, "from": user}
    if said is not None:
        message["text"] = said[:MENU_LABEL_MAX] or "?"
    elif kind == "text":
        message.update(_text_message(str(_dict(item.get("text")).get("body") or "")))
    elif kind == "image":
        image = _dict(item.get("image"))
        message["photo"] = [{"file_id": f"wa:{image.get('id')}",
                             "file_unique_id": str(image.get("id")), "width": 0, "height": 0}]
        if image.get("caption"):
            message["caption"] = str(image["caption"])
    elif kind == "audio":
        audio = _dict(item.get("audio"))
        message["voice"] = {"file_id": f"wa:{audio.get('id')}",
                            "file_unique_id": str(audio.get("id")), "duration": 0}
    elif kind == "document":
        document = _dict(item.get("document"))
        message["document"] = {"file_id": f"wa:{document.get('id')}",
                               "file_unique_id": str(document.get("id"))}
        if document.get("caption"):
            message["caption"] = str(document["caption"])
    return {"update_id": update_id, "message": message}


class WhatsAppWebhook:
    def __init__(self, *, dispatcher: Dispatcher, bot: Bot, app_secret: str, verify_token: str,
                 session_factory: async_sessionmaker[AsyncSession], clock: Clock,
                 data: dict[str, Any] | None = None) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.session_factory = session_factory
        self.clock = clock
        self.data = data or {}

    def register(self, app: web.Application, path: str) -> None:
        app.router.add_get(path, self.verify)
        app.router.add_post(path, self.receive)

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("hub.mode") == "subscribe" and self.verify_token
                and _same(query.get("hub.verify_token", ""), self.verify_token)):
            return web.Response(text=query.get("hub.challenge", ""))
        log.warning("whatsapp webhook: a verification with a wrong token was refused")
        return web.Response(status=403, text="Forbidden")

    async def receive(self, request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413, text="Payload Too Large")
        raw = b""
        while len(raw) <= MAX_BODY:  # a read may return less than asked (a chunked body)
            chunk = await request.content.read(MAX_BODY + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
        if len(raw) > MAX_BODY:
            return web.Response(status=413, text="Payload Too Large")
        given = request.headers.get("X-Hub-Signature-256", "")
        if not self.app_secret or not _same(given, signature_of(raw, self.app_secret)):
            log.warning("whatsapp webhook: refused a POST without a valid signature "
                        "(%s bytes)", len(raw))
            return web.Response(status=403, text="Forbidden")
        try:
            changes = _changes(raw)
        except (ValueError, RecursionError) as error:  # not JSON, or nested beyond reading
            log.warning("whatsapp webhook: refused a body that is not a notification (%s)",
                        type(error).__name__)
            return web.Response(status=400, text="Bad Request")
        for value in changes:
            await self._statuses(value.get("statuses") or [])
            names = {str(c.get("wa_id")): str(_dict(c.get("profile")).get("name") or "")
                     for c in value.get("contacts") or [] if isinstance(c, dict)}
            for item in value.get("messages") or []:
                if not isinstance(item, dict) or not _WA_ID.match(str(item.get("from") or "")):
                    log.warning("whatsapp webhook: skipped a message without a sender")
                    continue
                await self._message(item, names.get(str(item["from"]), ""))
        return web.Response(text="OK")

    async def _statuses(self, statuses: list[Any]) -> None:
        for status in statuses:
            if not isinstance(status, dict) or not status.get("recipient_id"):
                continue
            errors = status.get("errors")
            codes = {error.get("code") for error in errors if isinstance(error, dict)} if (
                isinstance(errors, list)) else set()
            await contacts.record_status(
                self.session_factory, str(status["recipient_id"]), str(status.get("status")),
                self.clock.now(), undeliverable=131026 in codes)

    async def handle(self, item: dict[str, Any], name: str) -> None:
        """One Cloud API message from `name`, already checked (the offline console hands its
        WhatsApp person's messages here)."""
        await self._message(item, name)

    async def _message(self, item: dict[str, Any], name: str) -> None:
        contact, held = await contacts.inbound(self.session_factory, str(item["from"]),
                                               self.clock.now())
        session = self.bot.session
        if held and isinstance(session, ChannelSession):
            for body in held:
                await session.cloud.send(contact.wa_id, body)
        number = number_not_on_menu(item, contact)
        if number is not None and isinstance(session, ChannelSession):
            await session.no_such_choice(contact, number)
            return
        update_json = to_update(item, contact, name)
        if update_json is None:
            return
        try:
            update = Update.model_validate(update_json, context={"bot": self.bot})
        except ValidationError:
            log.warning("whatsapp webhook: a message of kind %r could not become an update",
                        str(item.get("type"))[:20])
            return
        collected: dict[int, list[str] | None] = {}
        token = pending_choices.set(collected)
        try:
            await self.dispatcher.feed_update(self.bot, update, **self.data)
        finally:
            pending_choices.reset(token)
        await contacts.set_choices(self.session_factory, collected)
        await contacts.drop_if_nobody(self.session_factory, contact.id)


__all__ = ["WhatsAppWebhook", "chat_id_of", "signature_of", "to_update"]
