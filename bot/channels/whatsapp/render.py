"""Bot API calls -> WhatsApp Cloud API message bodies: the rules of the adapter, one each.

Everything here is pure: a Bot API method name and its parameters (as aiogram sends them)
in, a list of Cloud API message bodies out (without `to`), and the choices a numbered menu
asks for. Limits come from bot.limits.

1. HTML becomes WhatsApp's formatting: <b> *bold*, <i> _italic_, <s> ~strike~, <code> and
   <pre> monospace; a link keeps its text and shows its address after it; other tags go,
   entities are decoded. Markers never enclose the spaces at their edges.
2. Buttons. Link buttons become "label: address" lines under the text. Choice buttons:
   at most 3 whose labels fit 20 characters -> reply buttons; at most 10 whose labels fit 24
   -> a list message, one row per label; at most 10 whose labels fit 72 -> a list message whose
   rows are titled by their number and carry the whole label as the row's description; more,
   or longer -> numbered text ("1. label"), answered with a number. A label is never cut.
   The main menu (Telegram's persistent reply keyboard, which WhatsApp cannot show) is
   always a list, opened by a "Menu" button, or numbered text: its choices' ids are the
   label after SAY ("wa:say:📘 Lesson"), and a press arrives as that label typed, which is
   what a reply keyboard's button sends on Telegram.
3. Lengths. An interactive body is at most 1,024 characters: the text before the paragraphs
   that fit goes first as a text message. A text over 4,096 goes as several, split between
   paragraphs (or lines). A caption over 1,024 goes as a text message after the medium.
4. No edits: editMessageText sends the new text as a new message; editMessageReplyMarkup and
   deleteMessage send nothing (old buttons stay pressable, and the handlers already refuse a
   stale press politely).
5. answerCallbackQuery: WhatsApp has no toast, so a text the bot would flash becomes a short
   text message; an answer without text sends nothing.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.limits import (
    WA_BUTTON_ID_MAX,
    WA_BUTTON_TITLE_MAX,
    WA_CAPTION_MAX,
    WA_INTERACTIVE_BODY_MAX,
    WA_LIST_BUTTON_MAX,
    WA_LIST_ROW_DESCRIPTION_MAX,
    WA_LIST_ROW_TITLE_MAX,
    WA_LIST_ROWS_MAX,
    WA_REPLY_BUTTONS_MAX,
    WA_TEXT_MAX,
)

# --- 1. HTML -> WhatsApp formatting ------------------------------------------------------

_MARKERS = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "strike": "~",
            "del": "~", "code": "`", "pre": "```"}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""")


def to_whatsapp(text: str) -> str:
    """Telegram HTML -> WhatsApp's formatted text (rule 1)."""
    out: list[str] = []
    stack: list[tuple[str, int, str]] = []  # (tag, index in out where it opened, href)
    position = 0
    for match in _TAG.finditer(text):
        out.append(html.unescape(text[position:match.start()]))
        position = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            found = _HREF.search(match.group(3) or "")
            stack.append((name, len(out), html.unescape(found.group(1)) if found else ""))
            continue
        while stack and stack[-1][0] != name:
            stack.pop()
        if not stack:
            continue
        _, start, href = stack.pop()
        inner = "".join(out[start:])
        del out[start:]
        out.append(_wrap(name, inner, href))
    out.append(html.unescape(text[position:]))
    return "".join(out)


def _wrap(name: str, inner: str, href: str) -> str:
    if name == "a":
        return inner if not href or href == inner.strip() else f"{inner} ({href})"
    marker = _MARKERS.get(name)
    core = inner.strip()
    if marker is None or not core:
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()):]
    return f"{lead}{marker}{core}{marker}{trail}"


# --- 2 and 3. Messages -------------------------------------------------------------------


@dataclass
class Rendered:
    """What one Bot API call becomes: Cloud API bodies (without `to`), in order, and the
    choices of a numbered menu (None when no number is asked for)."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    choices: list[str] | None = None


@dataclass(frozen=True)
class Wording:
    """The few words the adapter itself says, in the reader's language."""

    choose: str  # the label of the button that opens a list (≤ 20)
    answer_with_number: str  # under a numbered menu
    menu: str = "Menu"  # the label of the button that opens the main menu (≤ 20)
    # A number typed that is not on the numbered menu: {number}, {count}.
    no_such_choice: str = ("There is no choice {number}. Please answer with a number from 1 "
                           "to {count}.")


# The id of a main-menu choice: SAY + the label; pressed, it arrives as the label typed.
SAY = "wa:say:"


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut between paragraphs, else lines,
    else words; never inside a word unless one word alone passes the limit."""
    if len(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        parts = text.split(separator)
        if len(parts) > 1:
            break
    pieces: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if len(part) > limit:
            pieces.extend(split_text(part, limit) if separator != " " else
                          [part[i:i + limit] for i in range(0, len(part), limit)])
            current = ""
        else:
            current = part
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()]


def _text_bodies(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"body": piece, "preview_url": False}}
            for piece in split_text(text, WA_TEXT_MAX)]


def _body_and_before(text: str) -> tuple[list[dict[str, Any]], str]:
    """Rule 3 for interactive messages: the last paragraphs that fit the body, and text
    messages for what comes before."""
    if len(text) <= WA_INTERACTIVE_BODY_MAX:
        return [], text
    paragraphs = text.split("\n\n")
    tail: list[str] = []
    while paragraphs and len("\n\n".join([paragraphs[-1], *tail])) <= WA_INTERACTIVE_BODY_MAX:
        tail.insert(0, paragraphs.pop())
    if not tail:  # one long paragraph: all of it before, its last piece as the body
        pieces = split_text(text, WA_INTERACTIVE_BODY_MAX)
        return _text_bodies("\n\n".join(pieces[:-1])), pieces[-1]
    return _text_bodies("\n\n".join(paragraphs)), "\n\n".join(tail)


def buttons_of(markup: dict[str, Any] | None) -> tuple[list[tuple[str, str]], list[tuple[str,
                                                                                        str]]]:
    """(choice buttons as (label, callback data), link buttons as (label, url)). The buttons
    of a reply keyboard (the main menu) are choices whose data is SAY + their label."""
    choices: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    for row in (markup or {}).get("keyboard") or []:
        for button in row:
            label = button.get("text") if isinstance(button, dict) else str(button)
            if label:
                choices.append((label, SAY + label))
    for row in (markup or {}).get("inline_keyboard") or []:
        for button in row:
            label = button.get("text") or ""
            if button.get("callback_data"):
                choices.append((label, button["callback_data"]))
            elif button.get("url"):
                links.append((label, button["url"]))
    return choices, links


def message(text: str, markup: dict[str, Any] | None, wording: Wording) -> Rendered:
    """A text (Telegram HTML) with its inline keyboard, as WhatsApp messages (rules 1-3)."""
    body = to_whatsapp(text).strip()
    choices, links = buttons_of(markup)
    if links:
        body = "\n".join([body, "", *(f"{label}: {url}" for label, url in links)]).strip()
    if not choices:
        return Rendered(_text_bodies(body))
    labels = [label for label, _ in choices]
    menu = bool((markup or {}).get("keyboard"))
    fits = all(len(data) <= WA_BUTTON_ID_MAX for _, data in choices)
    if not menu and fits and len(choices) <= WA_REPLY_BUTTONS_MAX and all(
            len(label) <= WA_BUTTON_TITLE_MAX for label in labels):
        before, body = _body_and_before(body)
        buttons = [{"type": "reply", "reply": {"id": data, "title": label}}
                   for label, data in choices]
        return Rendered([*before, {"type": "interactive", "interactive": {
            "type": "button", "body": {"text": body}, "action": {"buttons": buttons}}}])
    if len(choices) <= WA_LIST_ROWS_MAX and all(len(data) <= 200 for _, data in choices):
        if all(len(label) <= WA_LIST_ROW_TITLE_MAX for label in labels):
            rows = [{"id": data, "title": label} for label, data in choices]
        elif all(len(label) <= WA_LIST_ROW_DESCRIPTION_MAX for label in labels):
            rows = [{"id": data, "title": str(number), "description": label}
                    for number, (label, data) in enumerate(choices, 1)]
        else:
            rows = []
        if rows:
            before, body = _body_and_before(body)
            return Rendered([*before, {"type": "interactive", "interactive": {
                "type": "list", "body": {"text": body},
                "action": {"button": (wording.menu if menu else wording.choose)[
                    :WA_LIST_BUTTON_MAX],
                           "sections": [{"rows": rows}]}}}])
    lines = "\n".join(f"{number}. {label}" for number, label in enumerate(labels, 1))
    numbered = f"{body}\n\n{lines}\n\n{wording.answer_with_number}"
    return Rendered(_text_bodies(numbered), choices=[data for _, data in choices])


def media(kind: str, medium: dict[str, Any], caption: str, markup: dict[str, Any] | None,
          wording: Wording) -> Rendered:
    """A photo, voice note or document (`medium` is {"id": ...} or {"link": ...}) with its
    caption and buttons. A voice note has no caption on WhatsApp; a caption too long, or
    buttons, follow in a message of their own (rule 3)."""
    caption = to_whatsapp(caption).strip()
    choices, _ = buttons_of(markup)
    content = dict(medium)
    follow = ""
    if caption and kind != "audio" and len(caption) <= WA_CAPTION_MAX and not choices:
        content["caption"] = caption
    else:
        follow = caption
    rendered = Rendered([{"type": kind, kind: content}])
    if follow or choices:
        more = message(html.escape(follow, quote=False) if follow else "⬆️", markup, wording)
        rendered.bodies.extend(more.bodies)
        rendered.choices = more.choices
    return rendered


def template(name: str, language: str, preview: str, payload: str) -> dict[str, Any]:
    """A template message: {{1}} is `preview`, its quick-reply button carries `payload`."""
    return {"type": "template", "template": {
        "name": name, "language": {"code": language},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": preview}]},
            {"type": "button", "sub_type": "quick_reply", "index": "0",
             "parameters": [{"type": "payload", "payload": payload}]},
        ]}}


def preview_of(text: str, limit: int = 60) -> str:
    """The first line of a message, plain, whole words, for a template's {{1}}."""
    plain = re.sub(r"[*_~`]", "", to_whatsapp(text)).strip()
    first = next((line.strip() for line in plain.splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first
    cut = first[:limit - 1].rsplit(" ", 1)[0]
    return cut + "…"

