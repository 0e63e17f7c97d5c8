"""The console's WhatsApp: a person in the console may be on WhatsApp (`:new vi --whatsapp`).

Nothing is rendered twice. The real adapter (bot/channels/whatsapp) runs between the console
and an in-process stand-in for the Cloud API: what the person types becomes a Cloud API
message handed to the webhook's own handling (so "JOIN <token>", numbered menus, list rows
and the 24-hour window all work as they do with Meta), and what the bot sends goes through
the ChannelSession and render.py into Cloud API bodies, which `InProcessCloud` keeps. The
console only prints those bodies as a phone would show them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from bot.channels.whatsapp.session import CloudApi
from bot.channels.whatsapp.templates import templates


@dataclass
class WaSent:
    """One Cloud API message the bot sent."""

    to: str
    wamid: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body.get("type") or "text")

    def choices(self) -> list[tuple[str, str]]:
        """(what the person sees, the id a press sends): reply buttons, list rows, or the
        quick-reply button of a template."""
        content = self.body.get(self.kind) or {}
        if self.kind == "template":
            return [(_template_button(content), str(c["parameters"][0]["payload"]))
                    for c in content.get("components") or [] if c.get("type") == "button"]
        if self.kind != "interactive":
            return []
        action = content.get("action") or {}
        if "buttons" in action:
            return [(b["reply"]["title"], b["reply"]["id"]) for b in action["buttons"]]
        return [(row.get("description") or row["title"], row["id"])
                for section in action.get("sections") or [] for row in section["rows"]]

    def text(self) -> str:
        """The words on screen: a text's body, an interactive body, a caption, or a
        template's approved text with its {{1}} filled in."""
        content = self.body.get(self.kind) or {}
        if self.kind == "text":
            return str(content.get("body") or "")
        if self.kind == "interactive":
            return str((content.get("body") or {}).get("text") or "")
        if self.kind == "template":
            return _template_text(content)
        return str(content.get("caption") or "")

    def list_button(self) -> str | None:
        if self.kind != "interactive" or self.body["interactive"].get("type") != "list":
            return None
        return str(self.body["interactive"]["action"].get("button") or "")


def _approved(content: dict[str, Any]) -> dict[str, Any]:
    code = (content.get("language") or {}).get("code")
    return next((t for t in templates() if t["name"] == content.get("name")
                 and t["language"] == code), {})


def _template_text(content: dict[str, Any]) -> str:
    body = str(_approved(content).get("body") or content.get("name") or "")
    for component in content.get("components") or []:
        if component.get("type") == "body":
            for number, parameter in enumerate(component.get("parameters") or [], 1):
                body = body.replace("{{" + str(number) + "}}", str(parameter.get("text") or ""))
    return body


def _template_button(content: dict[str, Any]) -> str:
    return str(_approved(content).get("button") or "Show it")


class InProcessCloud(CloudApi):
    """The Cloud API, in memory: it keeps what is sent and the media uploaded."""

    def __init__(self) -> None:
        super().__init__("offline://whatsapp", "console", "offline")
        self.sent: list[WaSent] = []
        self.media: dict[str, bytes] = {}
        self._ids = itertools.count(1)

    async def close(self) -> None:
        return None

    async def send(self, to: str, body: dict[str, Any]) -> str:
        wamid = f"wamid.console{next(self._ids)}"
        self.sent.append(WaSent(to, wamid, body))
        return wamid

    async def upload(self, content: bytes, mime: str, filename: str) -> str:
        return self.keep(content)

    async def download(self, media_id: str) -> bytes:
        return self.media[media_id]

    def keep(self, content: bytes) -> str:
        media_id = f"media{next(self._ids)}"
        self.media[media_id] = content
        return media_id

    def new_wamid(self) -> str:
        return f"wamid.in{next(self._ids)}"
