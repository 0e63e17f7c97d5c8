"""The WhatsApp webhook refuses what is not Meta's and changes nothing for it; the adapter's
rules for what WhatsApp cannot show (a fourth button, a long label, HTML, long text)."""

from __future__ import annotations

import json

from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.channels.whatsapp import render
from bot.channels.whatsapp.contacts import Contact
from bot.channels.whatsapp.ids import chat_id_of
from bot.channels.whatsapp.webhook import number_not_on_menu, to_update
from bot.limits import WA_INTERACTIVE_BODY_MAX, WA_TEXT_MAX
from storage.models import Person, ProcessedUpdate, Role, WhatsAppContact
from tests.factories import enterprise_with_team
from tests.fakes import whatsapp_cloud as wa_cloud
from tests.fakes.harness import BotUnderTest

WORDING = render.Wording(choose="Choose", answer_with_number="Answer with a number.")


async def _rows(tg: BotUnderTest) -> tuple[int, int, int]:
    async with tg.app.session_factory() as session:
        return (await session.scalar(select(func.count()).select_from(WhatsAppContact)),
                await session.scalar(select(func.count()).select_from(ProcessedUpdate)),
                await session.scalar(select(func.count()).select_from(Person)))


async def test_handshake_signature_and_hostile_bodies(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        wa = tg.wa
        assert wa is not None
        async with ClientSession() as client:
            ok = {"hub.mode": "subscribe", "hub.verify_token": wa_cloud.VERIFY_TOKEN,
                  "hub.challenge": "1158201444"}
            async with client.get(wa.webhook_url, params=ok) as response:
                assert response.status == 200 and await response.text() == "1158201444"
            async with client.get(wa.webhook_url, params={**ok, "hub.verify_token": "x"}) as r:
                assert r.status == 403
            async with client.get(wa.webhook_url, params={**ok, "hub.verify_token": "é"}) as r:
                assert r.status == 403  # not ASCII: refused, not a 500

        kofi = wa.person("233201111111", "Kofi")
        hello = wa.notification(kofi, {"type": "text", "text": {"body": "/help"}})
        # Unsigned, signed with another secret, or a signature of another body: refused.
        assert await wa.post(hello, secret=None) == 403
        assert await wa.post(hello, secret="not-the-secret") == 403
        assert await wa.post(hello, signature="sha256=" + "0" * 64) == 403
        # Not JSON, not a notification, too large: refused.
        assert await wa.post(b"{not json") == 400
        assert await wa.post(b'{"entry": [{"changes": ["x"]}]}') == 400
        assert await wa.post(b"x" * (300 * 1024)) == 413
        assert await _rows(tg) == (0, 0, 0)
        assert wa.sent == []

        # A kind of message the bot does not know, and a button id never issued: no error,
        # a polite answer at most, nothing joined.
        await wa.deliver(kofi, {"type": "sticker", "sticker": {"id": "s1",
                                                              "mime_type": "image/webp"}})
        await wa.deliver(kofi, {"type": "reaction", "reaction": {"message_id": "wamid.x",
                                                                 "emoji": "👍"}})
        await wa.press_data(kofi, "inv:999:manager")
        await wa.press_data(kofi, "x" * 300)
        contacts, _, people = await _rows(tg)
        assert people == 0 and contacts == 0  # nobody stands behind the number: not kept
        assert wa.refused() == []


async def test_a_retried_notification_is_handled_once(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        wa = tg.wa
        assert wa is not None
        _, welding = await enterprise_with_team(tg.app.session_factory)
        kofi = await tg.wa_join("Kofi", Role.WORKER, welding)
        notification = wa.notification(kofi, {"type": "text", "text": {"body": "/help"}})
        before = len(wa.sent)
        assert await wa.post(notification) == 200
        once = len(wa.sent) - before
        assert once >= 1
        assert await wa.post(notification) == 200  # Meta delivers it again
        assert len(wa.sent) - before == once


def test_buttons_lists_and_numbered_menus():
    def markup(*labels: str) -> dict:
        return {"inline_keyboard": [[{"text": label, "callback_data": f"d{n}"}]
                                    for n, label in enumerate(labels)]}

    three = render.message("<b>Pick</b> one", markup("Yes", "No", "Later"), WORDING)
    (body,) = three.bodies
    assert body["interactive"]["type"] == "button"
    assert body["interactive"]["body"]["text"] == "*Pick* one"
    four = render.message("Pick", markup("a", "b", "c", "d"), WORDING)
    assert four.bodies[0]["interactive"]["type"] == "list"
    # A label over 20 characters: a list whose row carries it whole.
    long = render.message("Pick", markup("Yes", "The workers themselves"), WORDING)
    rows = long.bodies[0]["interactive"]["action"]["sections"][0]["rows"]
    assert rows[1]["title"] == "The workers themselves"
    # Over 24 characters: the row is titled by its number, the label is its description.
    longer = render.message("Pick", markup("Yes", "Ask the team lead to decide it"), WORDING)
    rows = longer.bodies[0]["interactive"]["action"]["sections"][0]["rows"]
    assert rows[1] == {"id": "d1", "title": "2", "description": "Ask the team lead to decide it"}
    # More than ten: numbered text, and the number answers it.
    eleven = render.message("Pick", markup(*[f"option {n}" for n in range(1, 12)]), WORDING)
    (text,) = eleven.bodies
    assert text["type"] == "text" and "11. option 11" in text["text"]["body"]
    assert eleven.choices == [f"d{n}" for n in range(11)]
    contact = Contact(7, "2332", None, eleven.choices)
    update = to_update({"from": "2332", "id": "wamid.1", "type": "text",
                        "text": {"body": "11"}}, contact, "Kofi")
    assert update is not None and update["callback_query"]["data"] == "d10"
    assert update["callback_query"]["from"]["id"] == chat_id_of(7)
    update = to_update({"from": "2332", "id": "wamid.2", "type": "text",
                        "text": {"body": "12"}}, contact, "Kofi")
    assert update is not None and update["message"]["text"] == "12"


def test_html_lengths_and_edits():
    assert render.to_whatsapp('<b>Title </b><i>x</i> &lt;3 <a href="https://e.org">site</a>'
                              ) == "*Title* _x_ <3 site (https://e.org)"
    # A body too long for an interactive message: the text goes first, the buttons after.
    paragraphs = "\n\n".join(["word " * 150] * 3)
    rendered = render.message(paragraphs, {"inline_keyboard": [[{"text": "OK",
                                                                 "callback_data": "ok"}]]},
                              WORDING)
    assert [b["type"] for b in rendered.bodies] == ["text", "interactive"]
    assert len(rendered.bodies[1]["interactive"]["body"]["text"]) <= WA_INTERACTIVE_BODY_MAX
    assert all(len(b["text"]["body"]) <= WA_TEXT_MAX for b in render.message(
        "\n".join(["line " * 100] * 20), None, WORDING).bodies)
    # A caption over 1,024 characters follows the photo as text.
    photo = render.media("image", {"id": "m1"}, "c" * 1500, None, WORDING)
    assert [b["type"] for b in photo.bodies] == ["image", "text"]
    assert "caption" not in photo.bodies[0]["image"]
    json.dumps(photo.bodies)


def test_the_main_menu_is_a_list_or_numbered_and_a_press_is_its_label_typed():
    keyboard = {"keyboard": [[{"text": "📘 Lesson"}, {"text": "💡 Idea"}], [{"text": "❓ Help"}]],
                "resize_keyboard": True, "is_persistent": True}
    (body,) = render.message("Welcome", keyboard, WORDING).bodies
    # Even three labels are a list: the menu is never mistaken for the message's answers.
    assert body["interactive"]["type"] == "list"
    assert body["interactive"]["action"]["button"] == "Menu"
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert [(row["id"], row["title"]) for row in rows] == [
        ("wa:say:📘 Lesson", "📘 Lesson"), ("wa:say:💡 Idea", "💡 Idea"),
        ("wa:say:❓ Help", "❓ Help")]
    contact = Contact(7, "2332", None, None)
    update = to_update({"from": "2332", "id": "wamid.3", "type": "interactive", "interactive": {
        "type": "list_reply", "list_reply": {"id": "wa:say:📘 Lesson", "title": "📘 Lesson"}}},
        contact, "Ama")
    assert update is not None and update["message"]["text"] == "📘 Lesson"

    # Eleven labels: numbered text, and a number is the label typed.
    many = {"keyboard": [[{"text": f"Item {n}"}] for n in range(1, 12)]}
    rendered = render.message("Welcome", many, WORDING)
    (text,) = rendered.bodies
    assert text["type"] == "text" and "11. Item 11" in text["text"]["body"]
    contact = Contact(7, "2332", None, rendered.choices)
    update = to_update({"from": "2332", "id": "wamid.4", "type": "text",
                        "text": {"body": "11"}}, contact, "Ama")
    assert update is not None and update["message"]["text"] == "Item 11"
    assert number_not_on_menu({"type": "text", "text": {"body": "12"}}, contact) == 12
    assert number_not_on_menu({"type": "text", "text": {"body": "11"}}, contact) is None


async def test_the_fake_refuses_a_list_whose_rows_repeat_an_id(database_url):
    async with BotUnderTest(database_url, whatsapp=True) as tg:
        wa = tg.wa
        assert wa is not None
        _, welding = await enterprise_with_team(tg.app.session_factory)
        kofi = await tg.wa_join("Kofi", Role.WORKER, welding)
        rows = [{"id": "same", "title": "One"}, {"id": "same", "title": "Two"}]
        body = {"messaging_product": "whatsapp", "to": kofi.wa_id, "type": "interactive",
                "interactive": {"type": "list", "body": {"text": "Pick"},
                                "action": {"button": "Choose", "sections": [{"rows": rows}]}}}
        url = f"{wa.base_url}/v21.0/{wa_cloud.PHONE_NUMBER_ID}/messages"
        headers = {"Authorization": f"Bearer {wa_cloud.TOKEN}"}
        async with ClientSession() as client:
            async with client.post(url, json=body, headers=headers) as response:
                assert response.status == 400
                assert (await response.json())["error"]["code"] == 131009
            rows[1]["id"] = "other"
            async with client.post(url, json=body, headers=headers) as response:
                assert response.status == 200
