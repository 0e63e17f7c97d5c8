"""A local fake WhatsApp Cloud API over real HTTP, built like the fake Bot API.

It records every request, refuses what Meta refuses (wrong token; more than 3 reply buttons,
titles over 20, list rows over 10, their titles over 24 or ids repeated, bodies over 1,024,
texts over 4,096, captions over 1,024; a free-form message outside the person's 24-hour
window, 131047; a template or template language it does not know, 132001; a number that is
not on WhatsApp, 131026; beyond the sending limits of bot/limits.py: more than 80 a second,
130429, a message to one person less than 6 s after the last, 131056, both judged on `pace`
when a test sets it (the outbox's virtual sending clock), and a template to a new person
beyond `daily_tier` people in 24 hours, 131048), and posts webhooks to the bot, signed with
the app secret (or forged, for the tests that need it).

    wa = FakeWhatsApp(clock)
    ama = wa.person("233200000001", "Ama")
    replies = await wa.send(ama, "JOIN abc")
    await wa.press(ama, replies[-1], "Español")
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import ClientSession, web

from bot.channels.whatsapp.contacts import WINDOW
from bot.channels.whatsapp.templates import templates
from bot.channels.whatsapp.webhook import signature_of
from bot.clock import Clock
from bot.limits import (
    WA_BUTTON_ID_MAX,
    WA_BUTTON_TITLE_MAX,
    WA_CAPTION_MAX,
    WA_DAILY_TIER,
    WA_INTERACTIVE_BODY_MAX,
    WA_LIST_BUTTON_MAX,
    WA_LIST_ROW_DESCRIPTION_MAX,
    WA_LIST_ROW_TITLE_MAX,
    WA_LIST_ROWS_MAX,
    WA_MESSAGES_PER_SECOND,
    WA_PAIR_INTERVAL_SECONDS,
    WA_REPLY_BUTTONS_MAX,
    WA_TEXT_MAX,
)

TOKEN = "wa-test-token"
PHONE_NUMBER_ID = "1098765"
APP_SECRET = "wa-app-secret"
VERIFY_TOKEN = "wa-verify"


class Refusal(Exception):
    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class WaUser:
    wa_id: str
    name: str


@dataclass
class WaMessage:
    """A message the bot sent, as the person sees it."""

    to: str
    wamid: str
    type: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        content = self.body.get(self.type) or {}
        if self.type == "text":
            return str(content["body"])
        if self.type == "interactive":
            return str(content["body"]["text"])
        if self.type == "template":
            return json.dumps(content)
        return str(content.get("caption") or "")

    def choices(self) -> list[tuple[str, str]]:
        """(title, id) of its reply buttons or list rows, in order."""
        if self.type == "template":
            return [("template", str(c["parameters"][0]["payload"]))
                    for c in self.body["template"]["components"] if c["type"] == "button"]
        if self.type != "interactive":
            return []
        action = self.body["interactive"]["action"]
        if "buttons" in action:
            return [(b["reply"]["title"], b["reply"]["id"]) for b in action["buttons"]]
        return [(row.get("description") or row["title"], row["id"])
                for section in action["sections"] for row in section["rows"]]


@dataclass
class Request:
    path: str
    body: Any
    refused: Refusal | None = None


@dataclass
class FakeWhatsApp:
    clock: Clock
    webhook_url: str = ""
    requests: list[Request] = field(default_factory=list)
    sent: list[WaMessage] = field(default_factory=list)
    last_inbound: dict[str, datetime] = field(default_factory=dict)
    not_on_whatsapp: set[str] = field(default_factory=set)
    media: dict[str, bytes] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)  # webhook answers to status posts
    # The sending limits: throughput and pair rate judged on this clock (seconds) when set;
    # unique people sent a template (a new conversation) in 24 hours of `clock`.
    pace: Callable[[], float] | None = None
    daily_tier: int = WA_DAILY_TIER

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._client: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.approved = {(t["name"], t["language"]) for t in templates()}
        self._paced: deque[float] = deque()  # sends in the last second, on `pace`
        self._last_to: dict[str, float] = {}
        self._conversations: dict[str, datetime] = {}  # wa_id: last template

    # Server ----------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    def add_routes(self, app: web.Application) -> None:
        """The Cloud API's routes (the benchmarks' fake adds its own)."""
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._upload)
        app.router.add_get("/{version}/{media_id}", self._media_url)
        app.router.add_get("/files/{media_id}", self._file)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    @staticmethod
    def _error(refusal: Refusal) -> web.Response:
        return web.json_response({"error": {"message": refusal.message, "type": "OAuthException",
                                            "code": refusal.code}}, status=refusal.status)

    async def _messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        record = Request(request.path, body)
        self.requests.append(record)
        try:
            if not self._authorized(request):
                raise Refusal(190, "Invalid OAuth access token", 401)
            if request.match_info["phone"] != PHONE_NUMBER_ID:
                raise Refusal(100, "Unsupported post request", 400)
            message = self._check(body)
        except Refusal as refusal:
            record.refused = refusal
            return self._error(refusal)
        self.sent.append(message)
        return web.json_response({"messaging_product": "whatsapp",
                                  "contacts": [{"input": message.to, "wa_id": message.to}],
                                  "messages": [{"id": message.wamid}]})

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(Refusal(190, "Invalid OAuth access token", 401))
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField) or form.get("messaging_product") != "whatsapp":
            return self._error(Refusal(100, "Invalid parameter"))
        media_id = f"media{next(self._ids)}"
        self.media[media_id] = upload.file.read()
        self.requests.append(Request(request.path, {"media": media_id}))
        return web.json_response({"id": media_id})

    async def _media_url(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        if not self._authorized(request) or media_id not in self.media:
            return self._error(Refusal(100, "Invalid parameter"))
        return web.json_response({"url": f"{self.base_url}/files/{media_id}", "id": media_id})

    async def _file(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401)
        return web.Response(body=self.media[request.match_info["media_id"]])

    # What Meta refuses -----------------------------------------------------------------------

    def _check(self, body: dict[str, Any]) -> WaMessage:
        if body.get("messaging_product") != "whatsapp":
            raise Refusal(100, "messaging_product is required")
        to, kind = str(body.get("to") or ""), str(body.get("type") or "text")
        if to in self.not_on_whatsapp:
            raise Refusal(131026, "Message undeliverable")
        content = body.get(kind)
        if not isinstance(content, dict):
            raise Refusal(100, f"{kind} object is required")
        self._limits(to, kind)
        if kind == "template":
            self._template(content)
        else:
            opened = self.last_inbound.get(to)
            if opened is None or self.clock.now() - opened >= WINDOW:
                raise Refusal(131047, "Re-engagement message: more than 24 hours have passed "
                                      "since the customer last replied")
            self._free_form(kind, content)
        self._count(to, kind)
        return WaMessage(to, f"wamid.{next(self._ids)}", kind, body)

    def _limits(self, to: str, kind: str) -> None:
        if self.pace is not None:
            now = self.pace()
            while self._paced and self._paced[0] <= now - 1.0:
                self._paced.popleft()
            if len(self._paced) >= WA_MESSAGES_PER_SECOND:
                raise Refusal(130429, "Rate limit hit: too many messages this second")
            last = self._last_to.get(to)
            if last is not None and now - last < WA_PAIR_INTERVAL_SECONDS:
                raise Refusal(131056, "(Business Account, Consumer Account) pair rate limit "
                                      "hit")
        if kind == "template":
            day_ago = self.clock.now() - timedelta(hours=24)
            reached = {who for who, at in self._conversations.items() if at > day_ago}
            if to not in reached and len(reached) >= self.daily_tier:
                raise Refusal(131048, "Spam rate limit hit: the messaging limit of "
                                      "business-initiated conversations is reached")

    def _count(self, to: str, kind: str) -> None:
        if self.pace is not None:
            self._paced.append(self.pace())
            self._last_to[to] = self.pace()
        if kind == "template":
            self._conversations[to] = self.clock.now()

    def _template(self, content: dict[str, Any]) -> None:
        key = (content.get("name"), (content.get("language") or {}).get("code"))
        if key not in self.approved:
            raise Refusal(132001, "Template name does not exist in the translation")

    def _free_form(self, kind: str, content: dict[str, Any]) -> None:
        def limit(value: Any, most: int, what: str, code: int = 100) -> None:
            if not isinstance(value, str) or not value.strip():
                raise Refusal(code, f"{what} is required")
            if len(value) > most:
                raise Refusal(code, f"{what} is too long ({len(value)} > {most})")

        if kind == "text":
            limit(content.get("body"), WA_TEXT_MAX, "text.body")
        elif kind == "interactive":
            limit((content.get("body") or {}).get("text"), WA_INTERACTIVE_BODY_MAX,
                  "interactive.body.text", 131009)
            action = content.get("action") or {}
            if content.get("type") == "button":
                buttons = action.get("buttons") or []
                if not 1 <= len(buttons) <= WA_REPLY_BUTTONS_MAX:
                    raise Refusal(131009, "buttons: between 1 and 3")
                ids = [b["reply"]["id"] for b in buttons]
                titles = [b["reply"]["title"] for b in buttons]
                if len(set(ids)) != len(ids) or len(set(titles)) != len(titles):
                    raise Refusal(131009, "button ids and titles must be unique")
                for button in buttons:
                    limit(button["reply"]["title"], WA_BUTTON_TITLE_MAX, "button title",
                          131009)
                    limit(button["reply"]["id"], WA_BUTTON_ID_MAX, "button id", 131009)
            elif content.get("type") == "list":
                limit(action.get("button"), WA_LIST_BUTTON_MAX, "list button", 131009)
                sections = action.get("sections") or []
                rows = [row for s in sections for row in s.get("rows") or []]
                if not 1 <= len(rows) <= WA_LIST_ROWS_MAX:
                    raise Refusal(131009, "rows: between 1 and 10")
                if len({row.get("id") for row in rows}) != len(rows):
                    raise Refusal(131009, "row ids must be unique across all sections")
                if len(sections) > 1 and not all(s.get("title") for s in sections):
                    raise Refusal(131009, "each section needs a title when there are several")
                for row in rows:
                    limit(row.get("title"), WA_LIST_ROW_TITLE_MAX, "row title", 131009)
                    limit(row.get("id"), 200, "row id", 131009)
                    if len(row.get("description") or "") > WA_LIST_ROW_DESCRIPTION_MAX:
                        raise Refusal(131009, "row description is too long")
            else:
                raise Refusal(131009, "unsupported interactive type")
        elif kind in ("image", "document"):
            if not content.get("id") and not content.get("link"):
                raise Refusal(100, "media id or link is required")
            if len(content.get("caption") or "") > WA_CAPTION_MAX:
                raise Refusal(100, "caption is too long")
        elif kind == "audio":
            if "caption" in content:
                raise Refusal(100, "audio has no caption")
            if not content.get("id") and not content.get("link"):
                raise Refusal(100, "media id or link is required")
        else:
            raise Refusal(100, f"unsupported type {kind}")

    # People and webhooks ---------------------------------------------------------------------

    def person(self, wa_id: str, name: str) -> WaUser:
        return WaUser(wa_id, name)

    def refused(self) -> list[Request]:
        return [r for r in self.requests if r.refused is not None]

    def messages_to(self, user: WaUser) -> list[WaMessage]:
        return [m for m in self.sent if m.to == user.wa_id]

    def notification(self, user: WaUser, message: dict[str, Any]) -> dict[str, Any]:
        return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001", "phone_number_id":
                             PHONE_NUMBER_ID},
                "contacts": [{"profile": {"name": user.name}, "wa_id": user.wa_id}],
                "messages": [{"from": user.wa_id, "id": f"wamid.in{next(self._ids)}",
                              "timestamp": str(int(self.clock.now().timestamp())),
                              **message}]}}]}]}

    async def post(self, body: dict[str, Any] | bytes, *, secret: str | None = APP_SECRET,
                   signature: str | None = None) -> int:
        """POST a notification to the bot's webhook, signed with `secret` (None: unsigned);
        returns the HTTP status."""
        if self._client is None:
            self._client = ClientSession()
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        elif secret is not None:
            headers["X-Hub-Signature-256"] = signature_of(raw, secret)
        async with self._client.post(self.webhook_url, data=raw, headers=headers) as response:
            await response.read()
            return response.status

    async def deliver(self, user: WaUser, message: dict[str, Any]) -> list[WaMessage]:
        """The person sends `message` (opening their window); what the bot sent them
        meanwhile."""
        before = len(self.sent)
        self.last_inbound[user.wa_id] = self.clock.now()
        status = await self.post(self.notification(user, message))
        assert status == 200, status
        return [m for m in self.sent[before:] if m.to == user.wa_id]

    async def send(self, user: WaUser, text: str) -> list[WaMessage]:
        return await self.deliver(user, {"type": "text", "text": {"body": text}})

    async def press(self, user: WaUser, message: WaMessage, choice: str | int) -> list[
        WaMessage
    ]:
        """Press a reply button, pick a list row or tap a template's button."""
        options = message.choices()
        if isinstance(choice, int):
            title, data = options[choice]
        else:
            matches = [(t, d) for t, d in options if choice in t]
            assert matches, f"no choice {choice!r} in {options}"
            title, data = matches[0]
        context = {"from": "15550001", "id": message.wamid}
        if message.type == "template":
            return await self.deliver(user, {"type": "button", "context": context,
                                             "button": {"payload": data, "text": title}})
        kind = message.body["interactive"]["type"]
        reply = "button_reply" if kind == "button" else "list_reply"
        return await self.deliver(user, {"type": "interactive", "context": context,
                                         "interactive": {"type": reply,
                                                         reply: {"id": data, "title": title}}})

    async def press_data(self, user: WaUser, data: str) -> list[WaMessage]:
        """A button id the bot never issued: how a forged press arrives."""
        return await self.deliver(user, {"type": "interactive", "interactive": {
            "type": "button_reply", "button_reply": {"id": data, "title": "x"}}})

    async def send_image(self, user: WaUser, content: bytes, caption: str = "") -> list[
        WaMessage
    ]:
        media_id = f"in-media{next(self._ids)}"
        self.media[media_id] = content
        image = {"id": media_id, "mime_type": "image/jpeg", "sha256": "x"}
        if caption:
            image["caption"] = caption
        return await self.deliver(user, {"type": "image", "image": image})

    async def send_voice(self, user: WaUser, content: bytes) -> list[WaMessage]:
        media_id = f"in-media{next(self._ids)}"
        self.media[media_id] = content
        return await self.deliver(user, {"type": "audio", "audio": {
            "id": media_id, "mime_type": "audio/ogg; codecs=opus", "voice": True}})

    async def status(self, message: WaMessage, status: str, error_code: int | None = None) -> int:
        item: dict[str, Any] = {"id": message.wamid, "status": status,
                                "timestamp": str(int(self.clock.now().timestamp())),
                                "recipient_id": message.to}
        if error_code is not None:
            item["errors"] = [{"code": error_code, "title": "Message undeliverable"}]
        return await self.post({"object": "whatsapp_business_account", "entry": [{
            "id": "WABA", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp", "statuses": [item]}}]}]})
