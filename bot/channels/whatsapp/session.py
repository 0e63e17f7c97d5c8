"""The aiogram session that speaks both channels: Bot API calls to a WhatsApp chat become
Cloud API requests (rules in render.py), every other call goes to Telegram unchanged.

Answers come back as the Bot API would give them, through aiogram's own response checks, so
a refusal surfaces as the same exception the outbox already handles: an undeliverable
number (131026) or a closed window (131047) as TelegramForbiddenError (like a 403), the
throughput and pair-rate limits (130429, 131056) as TelegramRetryAfter (like a 429)."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import html
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, InputFile
from aiohttp import ClientError, ClientSession, FormData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.whatsapp import contacts, render
from bot.channels.whatsapp.ids import contact_id_of, is_whatsapp_chat, message_id_of
from bot.channels.whatsapp.templates import HELD_PAYLOAD, choose
from bot.clock import Clock
from bot.i18n import CatalogI18n
from bot.languages import match_locale
from bot.limits import WA_PAIR_INTERVAL_SECONDS
from bot.services.outbox import sending_kind

log = logging.getLogger(__name__)

GRAPH_VERSION = "v21.0"
UNDELIVERABLE = {131026, 131047}  # not a WhatsApp user; outside the window
SLOW_DOWN = {130429: 1, 131056: WA_PAIR_INTERVAL_SECONDS, 80007: 60}

# While the webhook handles one update, numbered menus sent are collected here and written
# once the update's own transaction has committed (a second connection writing meanwhile
# would wait on SQLite's lock). Outside an update (the outbox) they are written at once.
pending_choices: contextvars.ContextVar[dict[int, list[str] | None] | None] = (
    contextvars.ContextVar("whatsapp_pending_choices", default=None))


# The contacts and languages of the WhatsApp chats of the outbox batch being sent, read in one
# query (`ChannelSession.ahead`). Only a contact whose window is open is taken from here; a
# closed window is read again at the moment of sending (the person may have just written).
_ahead: contextvars.ContextVar[dict[int, contacts.Known] | None] = contextvars.ContextVar(
    "whatsapp_read_ahead", default=None)

# A contact read again just before its message goes (`window_closed`), for that send.
_reread: contextvars.ContextVar[dict[int, contacts.Contact]] = contextvars.ContextVar(
    "whatsapp_reread")


class CloudApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


class CloudApi:
    """Plain JSON over aiohttp to the Graph API (or a local stand-in at WHATSAPP_API_BASE)."""

    def __init__(self, base: str, phone_number_id: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.phone_number_id = phone_number_id
        self._token = token
        self._client: ClientSession | None = None

    def _http(self) -> ClientSession:
        if self._client is None or self._client.closed:
            self._client = ClientSession(headers={"Authorization": f"Bearer {self._token}"})
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def _answer(self, response: Any) -> dict[str, Any]:
        try:
            body: dict[str, Any] = await response.json(content_type=None)
        except ValueError:
            body = {}
        if response.status >= 400 or "error" in body:
            error = body.get("error") or {}
            raise CloudApiError(response.status, int(error.get("code") or 0),
                                str(error.get("message") or response.reason))
        return body

    async def send(self, to: str, body: dict[str, Any]) -> str:
        """Send one message; its wamid."""
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                   **body}
        async with self._http().post(
            f"{self.base}/{GRAPH_VERSION}/{self.phone_number_id}/messages", json=payload
        ) as response:
            answer = await self._answer(response)
        return str(answer["messages"][0]["id"])

    async def upload(self, content: bytes, mime: str, filename: str) -> str:
        form = FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", content, filename=filename, content_type=mime)
        async with self._http().post(
            f"{self.base}/{GRAPH_VERSION}/{self.phone_number_id}/media", data=form
        ) as response:
            return str((await self._answer(response))["id"])

    async def download(self, media_id: str) -> bytes:
        async with self._http().get(f"{self.base}/{GRAPH_VERSION}/{media_id}") as response:
            url = (await self._answer(response))["url"]
        async with self._http().get(url) as response:
            if response.status >= 400:
                raise CloudApiError(response.status, 0, "media download failed")
            return await response.read()


_MEDIA = {"sendPhoto": ("image", "photo", "image/jpeg", "photo.jpg"),
          "sendVoice": ("audio", "voice", "audio/ogg", "voice.ogg"),
          "sendDocument": ("document", "document", "application/octet-stream", "file")}
_SILENT = {"editMessageReplyMarkup", "deleteMessage", "sendChatAction", "setMyCommands",
           "deleteMyCommands", "pinChatMessage", "unpinChatMessage"}  # fmt: skip


class ChannelSession(BaseSession):
    """Routes each call by its chat: WhatsApp chats to the Cloud API, the rest to Telegram
    (`telegram`; None when only WhatsApp is configured)."""

    def __init__(self, telegram: BaseSession | None, cloud: CloudApi,
                 session_factory: async_sessionmaker[AsyncSession], clock: Clock,
                 i18n: CatalogI18n, default_locale: str, username: str = "scorebot") -> None:
        super().__init__()
        self.telegram = telegram
        self.cloud = cloud
        self.session_factory = session_factory
        self.clock = clock
        self.i18n = i18n
        self.default_locale = default_locale
        self.username = username

    async def close(self) -> None:
        await self.cloud.close()
        if self.telegram is not None:
            await self.telegram.close()

    @asynccontextmanager
    async def ahead(self, chat_ids: list[int]) -> AsyncIterator[None]:
        """While sending a batch of outbox messages: their WhatsApp contacts and people's
        languages read once for the batch instead of once or twice per message."""
        chats = [chat for chat in chat_ids if is_whatsapp_chat(chat)]
        known = await contacts.read_ahead(self.session_factory, chats) if chats else None
        token, again = _ahead.set(known), _reread.set({})
        try:
            yield
        finally:
            _reread.reset(again)
            _ahead.reset(token)

    def _known(self, chat_id: int, now: datetime) -> contacts.Known | None:
        """The contact read ahead for this batch, if its window is still open now."""
        known = (_ahead.get() or {}).get(chat_id)
        return known if known is not None and known.contact.window_open(now) else None

    async def _contact(self, chat_id: int, *, fresh: bool = False) -> contacts.Contact | None:
        """The contact of a WhatsApp chat: from the batch's read while its window is open,
        else read now (and kept, for the send that follows a `fresh` read)."""
        known = self._known(chat_id, self.clock.now())
        if known is not None:
            return known.contact
        read = _ahead.get()
        if read is not None and not fresh and (got := _reread.get().pop(chat_id, None)):
            return got
        contact = await contacts.by_chat(self.session_factory, chat_id)
        if read is not None and fresh and contact is not None:
            _reread.get()[chat_id] = contact
        return contact

    async def _set_choices(self, contact: contacts.Contact, choices: list[str] | None) -> None:
        await contacts.set_choices(self.session_factory, {contact.id: choices})
        read = _ahead.get()
        if read is not None and (known := read.get(contact.chat_id)) is not None:
            read[contact.chat_id] = dataclasses.replace(
                known, contact=dataclasses.replace(known.contact, choices=choices))

    async def window_closed(self, chat_id: int) -> bool:
        """Whether a message to this WhatsApp chat would go now as a template (the person's
        24-hour window is closed): the outbox counts it against the daily tier."""
        contact = await self._contact(chat_id, fresh=True)
        return contact is not None and not contact.window_open(self.clock.now())

    # Routing -----------------------------------------------------------------------------

    @staticmethod
    def _whatsapp_chat(method: TelegramMethod[Any]) -> int | None:
        chat_id = getattr(method, "chat_id", None)
        if is_whatsapp_chat(chat_id):
            return int(chat_id)  # type: ignore[arg-type]  # aiogram's ChatIdUnion may be a str
        scope = getattr(method, "scope", None)
        if is_whatsapp_chat(getattr(scope, "chat_id", None)):
            return int(scope.chat_id)  # type: ignore[union-attr]  # every method routed here names a chat
        query_id = getattr(method, "callback_query_id", None)
        if isinstance(query_id, str) and query_id.startswith("wa:"):
            return int(query_id.split(":")[1])
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        chat_id = self._whatsapp_chat(method)
        if chat_id is not None:
            return await self._whatsapp(bot, method, chat_id)
        if self.telegram is None:
            return self._answer(bot, method, self._without_telegram(method))
        await self._bring_whatsapp_media(bot, method)
        return await self.telegram.make_request(bot, method, timeout)

    def _without_telegram(self, method: TelegramMethod[Any]) -> Any:
        if method.__api_method__ == "getMe":
            return {"id": 1, "is_bot": True, "first_name": "SCORE", "username": self.username}
        return True  # menus and webhooks: there is no Telegram to tell

    async def _bring_whatsapp_media(self, bot: Bot, method: TelegramMethod[Any]) -> None:
        """A photo or voice note a WhatsApp person sent ("wa:<media id>"), on its way to a
        Telegram chat: fetched from the Cloud API and uploaded to Telegram."""
        spec = _MEDIA.get(method.__api_method__)
        if spec is None:
            return
        value = getattr(method, spec[1], None)
        if isinstance(value, str) and value.startswith("wa:"):
            content = await self.cloud.download(value.removeprefix("wa:"))
            setattr(method, spec[1], BufferedInputFile(content, filename=spec[3]))

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
        chunk_size: int = 65536, raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        if self.telegram is None:
            raise RuntimeError("no Telegram to download from")
        async for chunk in self.telegram.stream_content(url, headers, timeout, chunk_size,
                                                        raise_for_status):
            yield chunk

    # WhatsApp ------------------------------------------------------------------------------

    def _answer(self, bot: Bot, method: TelegramMethod[TelegramType], result: Any,
                status: int = HTTPStatus.OK, description: str = "",
                retry_after: int | None = None) -> TelegramType:
        if status == HTTPStatus.OK:
            body: dict[str, Any] = {"ok": True, "result": result}
        else:
            body = {"ok": False, "error_code": status, "description": description}
            if retry_after:
                body["parameters"] = {"retry_after": retry_after}
        response = self.check_response(bot=bot, method=method, status_code=status,
                                       content=json.dumps(body))
        return response.result  # type: ignore[return-value]  # the method's own result type

    async def _wording(self, chat_id: int) -> render.Wording:
        locale = await self._locale(chat_id)
        translations = self.i18n.locales.get(locale) if locale != "en" else None
        _ = translations.gettext if translations else (lambda text: text)
        return render.Wording(
            choose=_("Choose"), answer_with_number=_("Answer with the number of your choice."),
            # TRANSLATORS: the button that opens the main menu on WhatsApp; 20 characters at most
            menu=_("Menu"),
            no_such_choice=_("There is no choice {number}. Please answer with a number from "
                             "1 to {count}."))

    async def no_such_choice(self, contact: contacts.Contact, number: int) -> None:
        """Tell a person who typed a number that is not on the numbered menu they answer
        which numbers there are. They have just written, so their window is open; the menu
        stays pending for their next try."""
        wording = await self._wording(contact.chat_id)
        text = wording.no_such_choice.format(number=number, count=len(contact.choices or []))
        for body in render.message(html.escape(text, quote=False), None, wording).bodies:
            await self.cloud.send(contact.wa_id, body)

    async def _locale(self, chat_id: int) -> str:
        known = (_ahead.get() or {}).get(chat_id)
        chosen, seen = ((known.locale, known.seen) if known is not None else
                        await contacts.locale_hint(self.session_factory, chat_id))
        return chosen or match_locale(seen) or self.default_locale

    async def _medium(self, bot: Bot, value: Any, mime: str, filename: str) -> dict[str, Any]:
        if isinstance(value, str) and value.startswith("wa:"):
            return {"id": value.removeprefix("wa:")}
        if isinstance(value, InputFile):
            content = getattr(value, "data", None)
            if content is None:
                content = await asyncio.to_thread(Path(value.path).read_bytes)  # type: ignore[attr-defined]  # FSInputFile has a path
            filename = value.filename or filename
        else:  # a Telegram file id: fetched from Telegram, uploaded to WhatsApp
            content = (await bot.download(str(value))).read()  # type: ignore[union-attr]  # download returns a buffer when no destination
        if not isinstance(content, bytes):
            raise CloudApiError(0, 0, "a file to upload had no content")
        return {"id": await self.cloud.upload(content, mime, filename)}

    async def _render(self, bot: Bot, method: TelegramMethod[Any], chat_id: int) -> (
            render.Rendered | None):
        name = method.__api_method__
        markup = getattr(method, "reply_markup", None)
        markup_dict = markup.model_dump(exclude_none=True) if markup is not None else None
        if name in ("sendMessage", "editMessageText"):
            return render.message(str(getattr(method, "text", "")), markup_dict,
                                  await self._wording(chat_id))
        if name in _MEDIA:
            kind, field, mime, filename = _MEDIA[name]
            medium = await self._medium(bot, getattr(method, field), mime, filename)
            if kind == "document" and "id" in medium:
                medium["filename"] = getattr(getattr(method, field), "filename", None) or filename
            return render.media(kind, medium, getattr(method, "caption", None) or "",
                                markup_dict, await self._wording(chat_id))
        if name == "answerCallbackQuery":
            text = getattr(method, "text", None)
            return render.message(text, None, await self._wording(chat_id)) if text else None
        if name in _SILENT:
            return None
        raise _Refused(HTTPStatus.BAD_REQUEST, f"Bad Request: {name} is not available on "
                                               "WhatsApp")

    async def _whatsapp(self, bot: Bot, method: TelegramMethod[TelegramType],
                        chat_id: int) -> TelegramType:
        try:
            contact = await self._contact(chat_id)
            if contact is None:
                raise _Refused(HTTPStatus.BAD_REQUEST, "Bad Request: chat not found")
            rendered = await self._render(bot, method, chat_id)
            if rendered is None:
                return self._answer(bot, method, True)
            now = self.clock.now()
            wamid = await self._deliver(contact, rendered, now)
        except _Refused as refused:
            return self._answer(bot, method, None, refused.status, refused.description,
                                refused.retry_after)
        except CloudApiError as error:
            log.warning("whatsapp refused %s: %s", method.__api_method__, error.code)
            if error.code in UNDELIVERABLE:
                return self._answer(bot, method, None, HTTPStatus.FORBIDDEN,
                                    f"Forbidden: WhatsApp error {error.code}")
            if error.code in SLOW_DOWN:
                return self._answer(bot, method, None, HTTPStatus.TOO_MANY_REQUESTS,
                                    f"Too Many Requests: WhatsApp error {error.code}",
                                    SLOW_DOWN[error.code])
            status = error.status if error.status >= 500 else HTTPStatus.BAD_REQUEST
            return self._answer(bot, method, None, status,
                                f"Bad Request: WhatsApp error {error.code}")
        except ClientError as error:
            raise TelegramNetworkError(method=method, message=str(error)) from error
        if method.__api_method__ == "answerCallbackQuery":
            return self._answer(bot, method, True)
        message: dict[str, Any] = {"message_id": message_id_of(wamid), "date": int(time.time()),
                                   "chat": {"id": chat_id, "type": "private"}}
        if getattr(method, "text", None):
            message["text"] = method.text  # type: ignore[attr-defined]  # only text methods come here
        return self._answer(bot, method, message)

    async def _deliver(self, contact: contacts.Contact, rendered: render.Rendered,
                       now: datetime) -> str:
        """Send the bodies in order (their last wamid), or hold them behind a template when
        the person's 24-hour window is closed."""
        if not contact.window_open(now):
            first = await contacts.hold(self.session_factory, contact.id, rendered.bodies, now)
            if rendered.choices is not None:
                await self._set_choices(contact, rendered.choices)
            if not first:
                return f"held:{contact.id}:{now.timestamp()}"
            locale = await self._locale(contact.chat_id)
            preview = render.preview_of(_first_text(rendered.bodies)) or "SCORE"
            name, language = choose(sending_kind.get(), locale)  # by the outbox row's kind
            wamid = await self.cloud.send(contact.wa_id, render.template(
                name, language, preview, HELD_PAYLOAD))
            await contacts.opened_conversation(self.session_factory, contact.id, now)
            return wamid
        wamid = ""
        for body in rendered.bodies:
            wamid = await self.cloud.send(contact.wa_id, body)
        collected = pending_choices.get()
        if collected is not None:
            collected[contact.id] = rendered.choices
        elif rendered.choices is not None or contact.choices is not None:
            await self._set_choices(contact, rendered.choices)
        return wamid


def _first_text(bodies: list[dict[str, Any]]) -> str:
    for body in bodies:
        if body["type"] == "text":
            return str(body["text"]["body"])
        if body["type"] == "interactive":
            return str(body["interactive"]["body"]["text"])
        caption = body.get(body["type"], {}).get("caption")
        if caption:
            return str(caption)
    return ""


class _Refused(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


__all__ = ["ChannelSession", "CloudApi", "CloudApiError", "contact_id_of", "pending_choices"]
