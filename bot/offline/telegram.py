"""An emulated Telegram Bot API, for the offline console and the tests.

It keeps chats and messages in memory, hands out updates, records every call, and rejects
what Telegram rejects (text over 4096 characters, captions over 1024, callback data over 64
bytes, malformed HTML, unknown methods, unknown chats, people who blocked the bot). The
console calls it in-process (`bot.offline.session`); the tests serve it over real HTTP
(`tests/fakes/bot_api_server.py`).

Parameters arrive as aiogram sends them in a form: strings, with JSON for nested values.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.limits import (
    CALLBACK_ANSWER_MAX,
    CALLBACK_DATA_MAX_BYTES,
    CAPTION_MAX,
    COMMAND_DESCRIPTION_MAX,
    COMMANDS_MAX,
    MESSAGE_TEXT_MAX,
)


class BotApiError(Exception):
    """An error answer, as Telegram gives it: HTTP status, description, parameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {description}")


# --- Telegram's HTML subset -------------------------------------------------------------

_ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "blockquote", "tg-emoji",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(text: str) -> str:
    """Check `text` the way Telegram's HTML parse mode does and return the plain text.
    Raises BotApiError on what Telegram refuses."""
    plain: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            offset = len(text[:i].encode("utf-8"))
            if match is None:
                raise _bad(f"can't parse entities: unexpected < at byte offset {offset}")
            closing, name, _attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _ALLOWED_TAGS:
                raise _bad(
                    f'can\'t parse entities: unsupported start tag "{name}" at byte offset '
                    f"{offset}"
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise _bad(
                        f'can\'t parse entities: unexpected end tag "{name}" at byte offset '
                        f"{offset}"
                    )
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                plain.append("&")  # a lone ampersand is taken as text
                i += 1
                continue
            body = match.group(1)
            if body.startswith("#x"):
                plain.append(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                plain.append(chr(int(body[1:])))
            elif body in _NAMED_ENTITIES:
                plain.append(_NAMED_ENTITIES[body])
            else:
                raise _bad(f'can\'t parse entities: unsupported HTML entity "&{body};"')
            i = match.end()
        else:
            plain.append(char)
            i += 1
    if stack:
        raise _bad(
            "can't parse entities: can't find end tag corresponding to start tag "
            f'"{stack[-1]}"'
        )
    return "".join(plain)


def telegram_length(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# --- the emulated server ----------------------------------------------------------------


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    error: BotApiError | None = None


@dataclass
class Event:
    """Something a person sees happen in a chat: a message sent or edited, a message deleted,
    or the answer to their button press (a toast, or an alert when `alert`)."""

    kind: str  # "message", "edit", "delete" or "answer"
    chat_id: int
    message: SentMessage | None = None
    message_id: int | None = None
    text: str = ""
    alert: bool = False


@dataclass
class SentMessage:
    """A message the bot sent (or edited), as a person would see it."""

    chat_id: int
    message_id: int
    text: str  # plain text, after HTML parsing
    html: str
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    photo: bytes | None = None
    edited: bool = False
    voice: bytes | None = None
    document: bytes | None = None
    keyboard: list[list[str]] | None = None  # a reply keyboard's labels, when one came with it
    filename: str | None = None  # a document's name, as the bot gave it

    @property
    def content(self) -> bytes | None:
        """The photo, voice note or document carried, if any."""
        return next((c for c in (self.photo, self.voice, self.document) if c is not None), None)

    def button_texts(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def button(self, text_or_index: str | int) -> dict[str, Any]:
        flat = [button for row in self.buttons for button in row]
        if isinstance(text_or_index, int):
            return flat[text_or_index]
        matches = [b for b in flat if text_or_index in b["text"]]
        if not matches:
            raise LookupError(f"no button {text_or_index!r} in {self.button_texts()}")
        return matches[0]


_JSON_FIELDS = {
    "reply_markup", "commands", "scope", "entities", "caption_entities", "allowed_updates",
    "link_preview_options", "reply_parameters",
}  # fmt: skip


def _decode(params: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and key in _JSON_FIELDS:
            try:
                value = json.loads(value)
            except ValueError:
                raise _bad(f"can't parse {key} JSON object") from None
        decoded[key] = value
    return decoded


def _int(params: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = params.get(key)
    if value in (None, ""):
        if required:
            raise _bad(f"{key} is empty")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"invalid {key} specified") from None


class FakeTelegram:
    """The state of an emulated Telegram, seen from one bot."""

    def __init__(self, token: str = "42:TEST", username: str = "scorebot_demo_bot") -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.calls: list[Call] = []
        self.sent: list[SentMessage] = []
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}  # a group that became a supergroup: old -> new id
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.failures: dict[str, list[BotApiError]] = {}
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._pending: list[dict[str, Any]] = []
        self._open_queries: dict[str, int] = {}
        self._callback_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self.confirmed_offset = 0
        self.events: list[Event] = []  # what people saw happen, in order
        self.files: dict[str, bytes] = {}  # file id -> content, of files sent either way
        self.upload_names: dict[str, str] = {}  # attachment -> file name, for the next call
        self.now: Callable[[], float] = time.time  # the date stamped on messages
        self._file_ids = itertools.count(1)
        self.closing = False  # set when shutting down: long polls return at once
        self._changed = asyncio.Condition()

    # People, chats and updates -----------------------------------------------------------

    def add_user(
        self, user_id: int, first_name: str, language_code: str | None = "en",
        last_name: str | None = None,
    ) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def add_group(self, chat_id: int, title: str) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.chats[chat_id] = chat
        return chat

    def migrate_group(self, old_chat_id: int, new_chat_id: int) -> None:
        """The group becomes a supergroup with a new id: sending to the old id is refused
        with `migrate_to_chat_id`, as Telegram does."""
        chat = self.chats[old_chat_id]
        self.chats[old_chat_id] = {**chat, "type": "group"}
        self.chats[new_chat_id] = {**chat, "id": new_chat_id, "type": "supergroup"}
        self.migrated[old_chat_id] = new_chat_id

    def message_update(
        self, user_id: int, text: str | None = None, *, chat_id: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An update carrying a message from a person (text, or any other content in extra)."""
        user = self.users[user_id]
        chat = self.chats[chat_id if chat_id is not None else user_id]
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(self.now()),
            "chat": chat,
            "from": user,
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(command)}
                ]
        return self._update(message=message)

    def callback_update(self, user_id: int, message: SentMessage, data: str) -> dict[str, Any]:
        """An update for a button press on a message the bot sent."""
        query_id = str(next(self._callback_ids))
        self._open_queries[query_id] = user_id
        return self._update(
            callback_query={
                "id": query_id,
                "from": self.users[user_id],
                "chat_instance": str(message.chat_id),
                "data": data,
                "message": self._message_json(message),
            }
        )

    def upload(self, kind: str, content: bytes) -> str:
        """Keep a file a person sends, as Telegram does; returns its file id."""
        file_id = f"{kind}-upload-{next(self._file_ids)}"
        self.files[file_id] = content
        return file_id

    def bot_added_update(self, user_id: int, chat_id: int) -> dict[str, Any]:
        """An update telling the bot that `user_id` added it to the group `chat_id`."""
        me = self._me()
        return self._update(my_chat_member={
            "chat": self.chats[chat_id], "from": self.users[user_id], "date": int(self.now()),
            "old_chat_member": {"status": "left", "user": me},
            "new_chat_member": {"status": "member", "user": me},
        })

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        """The message as the Bot API shows it (to reply to it, for instance)."""
        return self._message_json(message)

    def continue_update_ids(self, after: int) -> None:
        """Number the next updates after `after`, as Telegram does across a bot's restarts
        (the bot skips update ids it has handled before)."""
        self._update_ids = itertools.count(after + 1)

    def _update(self, **content: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **content}

    async def enqueue(self, update: dict[str, Any]) -> None:
        async with self._changed:
            self._pending.append(update)
            self._changed.notify_all()

    async def get_updates(self, offset: int, limit: int, timeout: float) -> list[dict[str, Any]]:
        async with self._changed:
            if offset:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._changed.notify_all()
            if not self._pending and timeout > 0 and not self.closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._pending) or self.closing),
                        timeout,
                    )
            return self._pending[:limit]

    async def release_pollers(self) -> None:
        """End every waiting long poll now, so a bot stopping does not wait for its timeout."""
        async with self._changed:
            self.closing = True
            self._changed.notify_all()

    async def wait_confirmed(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the bot asked for updates past `update_id`: with updates handled one at
        a time, it has then finished handling it."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.confirmed_offset > update_id), timeout
            )

    def fail_next(self, method: str, error: BotApiError) -> None:
        """Answer the next call of `method` with this error (429, 403, 500...)."""
        self.failures.setdefault(method, []).append(error)

    # Calls ----------------------------------------------------------------------------------

    def handle(
        self, method: str, params: dict[str, Any], files: dict[str, bytes] | None = None
    ) -> Any:
        """Answer one Bot API call: the result, or BotApiError."""
        call = Call(method, dict(params), time.monotonic())
        self.calls.append(call)
        try:
            if self.failures.get(method):
                raise self.failures[method].pop(0)
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise BotApiError(404, "Not Found: method not found")
            return handler(_decode(params), files or {})
        except BotApiError as error:
            call.error = error
            raise

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int(params, "chat_id")
        assert chat_id is not None
        if chat_id in self.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            raise BotApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                              {"migrate_to_chat_id": self.migrated[chat_id]})
        chat = self.chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id, "is_bot": True, "first_name": "SCORE coach",
            "username": self.username, "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }  # fmt: skip

    def _buttons(self, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
        markup = params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        for row in rows:
            for button in row:
                if not button.get("text"):
                    raise _bad("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= (
                    CALLBACK_DATA_MAX_BYTES
                ):
                    raise _bad("BUTTON_DATA_INVALID")
        return rows

    def _keyboard(self, params: dict[str, Any]) -> list[list[str]] | None:
        """The labels of a reply keyboard (the buttons under the message box), or None."""
        markup = params.get("reply_markup") or {}
        if "keyboard" not in markup:
            return None
        rows = [[b["text"] if isinstance(b, dict) else b for b in row]
                for row in markup["keyboard"]]
        if not rows or any(not row for row in rows) or any(
                not label for row in rows for label in row):
            raise _bad("keyboard buttons must have text")
        return rows

    def _message_json(self, message: SentMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(self.now()),
            "chat": self.chats[message.chat_id],
            "from": self._me(),
        }
        if message.photo is not None:
            body["photo"] = [{"file_id": f"photo{message.message_id}",
                              "file_unique_id": f"u{message.message_id}",
                              "width": 512, "height": 512}]
            if message.text:
                body["caption"] = message.text
        elif message.voice is not None:
            body["voice"] = {"file_id": f"voice{message.message_id}",
                             "file_unique_id": f"v{message.message_id}", "duration": 5}
            if message.text:
                body["caption"] = message.text
        elif message.document is not None:
            body["document"] = {"file_id": f"document{message.message_id}",
                                "file_unique_id": f"d{message.message_id}"}
            if message.text:
                body["caption"] = message.text
        else:
            body["text"] = message.text
        if message.buttons:
            body["reply_markup"] = {"inline_keyboard": message.buttons}
        if message.edited:
            body["edit_date"] = int(self.now())
        return body

    def _text(self, params: dict[str, Any], key: str, limit: int, *, required: bool) -> tuple[
        str, str
    ]:
        raw = params.get(key) or ""
        plain = parse_html(raw) if params.get("parse_mode", "").upper() == "HTML" else raw
        if required and not plain.strip():
            raise _bad("message text is empty")
        if telegram_length(plain) > limit:
            raise _bad("message is too long" if key == "text" else "message caption is too long")
        return plain, raw

    def _store(self, message: SentMessage) -> dict[str, Any]:
        self.sent.append(message)
        self._messages[(message.chat_id, message.message_id)] = message
        self.events.append(Event("edit" if message.edited else "message", message.chat_id,
                                 message, message.message_id))
        body = self._message_json(message)
        for kind in ("photo", "voice", "document"):
            content = getattr(message, kind)
            if content is not None:
                self.files[f"{kind}{message.message_id}"] = content
        return body

    def _content(self, params: dict[str, Any], files: dict[str, bytes], key: str) -> bytes:
        """A file in the request (attach://...), or one sent before, by its file id."""
        value = params.get(key) or ""
        if value.startswith("attach://"):
            return files.get(value.removeprefix("attach://"), b"")
        return self.files.get(value, value.encode())

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The message as it is now: None once deleted."""
        return self._messages.get((chat_id, message_id))

    def _m_getme(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return self._me()

    def _m_sendmessage(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat(params)
        plain, raw = self._text(params, "text", MESSAGE_TEXT_MAX, required=True)
        buttons = self._buttons(params)
        return self._store(
            SentMessage(chat["id"], next(self._message_ids), plain, raw, buttons,
                        keyboard=self._keyboard(params))
        )

    def _m_sendphoto(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat(params)
        plain, raw = self._text(params, "caption", CAPTION_MAX, required=False)
        content = self._content(params, files, "photo")
        if not content:
            raise _bad("there is no photo in the request")
        buttons = self._buttons(params)
        return self._store(
            SentMessage(chat["id"], next(self._message_ids), plain, raw, buttons, photo=content)
        )

    def _m_sendvoice(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat(params)
        plain, raw = self._text(params, "caption", CAPTION_MAX, required=False)
        content = self._content(params, files, "voice")
        if not content:
            raise _bad("there is no voice in the request")
        return self._store(SentMessage(chat["id"], next(self._message_ids), plain, raw,
                                       self._buttons(params), voice=content,
                                       keyboard=self._keyboard(params)))

    def _m_senddocument(self, params: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat = self._chat(params)
        plain, raw = self._text(params, "caption", CAPTION_MAX, required=False)
        content = self._content(params, files, "document")
        if not content:
            raise _bad("there is no document in the request")
        name = self.upload_names.get((params.get("document") or "").removeprefix("attach://"))
        return self._store(SentMessage(chat["id"], next(self._message_ids), plain, raw,
                                       self._buttons(params), document=content, filename=name))

    def _edit_target(self, params: dict[str, Any]) -> SentMessage:
        chat = self._chat(params)
        message_id = _int(params, "message_id")
        message = self._messages.get((chat["id"], message_id or 0))
        if message is None:
            raise _bad("message to edit not found")
        return message

    def _m_editmessagetext(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        if message.photo is not None or message.voice is not None:
            raise _bad("there is no text in the message to edit")
        plain, raw = self._text(params, "text", MESSAGE_TEXT_MAX, required=True)
        buttons = self._buttons(params)
        if plain == message.text and buttons == message.buttons:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        edited = SentMessage(message.chat_id, message.message_id, plain, raw, buttons,
                             edited=True)
        return self._store(edited)

    def _m_editmessagereplymarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._edit_target(params)
        buttons = self._buttons(params)
        edited = SentMessage(message.chat_id, message.message_id, message.text, message.html,
                             buttons, photo=message.photo, edited=True, voice=message.voice,
                             document=message.document, filename=message.filename)
        return self._store(edited)

    def _m_deletemessage(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        message = self._edit_target(params)
        del self._messages[(message.chat_id, message.message_id)]
        self.events.append(Event("delete", message.chat_id, message_id=message.message_id))
        return True

    def _m_answercallbackquery(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = params.get("callback_query_id", "")
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text") or "") > CALLBACK_ANSWER_MAX:
            raise _bad("MESSAGE_TOO_LONG")
        user_id = self._open_queries.pop(query_id)
        if params.get("text"):
            alert = str(params.get("show_alert", "")).lower() in {"true", "1"}
            self.events.append(Event("answer", user_id, text=params["text"], alert=alert))
        return True

    def unanswered_queries(self) -> list[str]:
        return list(self._open_queries)

    def _m_setmycommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        commands = params.get("commands") or []
        if len(commands) > COMMANDS_MAX:
            raise _bad("too many commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= COMMAND_DESCRIPTION_MAX:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("invalid language code specified")
        scope = params.get("scope") or {"type": "default"}
        self.commands[(json.dumps(scope, sort_keys=True), language)] = commands
        return True

    def _m_deletemycommands(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        scope = params.get("scope") or {"type": "default"}
        self.commands.pop((json.dumps(scope, sort_keys=True), params.get("language_code") or ""),
                          None)
        return True

    def menu(self, chat_id: int | None = None, language: str = "") -> list[str]:
        """The command names a person sees in their menu (chat scope, else default)."""
        if chat_id is not None:
            key = (json.dumps({"type": "chat", "chat_id": chat_id}, sort_keys=True), "")
            if key in self.commands:
                return [c["command"] for c in self.commands[key]]
        default = json.dumps({"type": "default"}, sort_keys=True)
        chosen = self.commands.get((default, language), self.commands.get((default, ""), []))
        return [c["command"] for c in chosen]

    def _m_sendchataction(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._chat(params)
        return True

    def _m_setwebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        url = params.get("url") or ""
        if not url.startswith(("https://", "http://")):
            raise _bad("bad webhook: an HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": params.get("secret_token") or None}
        return True

    def _m_deletewebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        self.webhook = None
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._pending)}

    def _m_close(self, params: dict[str, Any], files: dict[str, bytes]) -> bool:
        return True
