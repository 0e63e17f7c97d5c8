"""Property-based hostile input over the WhatsApp webhook: real HTTP POSTs to the real aiohttp
webhook server, the fake Cloud API answering the bot, per database backend.

What comes: forged, missing or malformed `X-Hub-Signature-256` headers and signatures of
another body; bodies larger than the server accepts (declared or chunked); bytes that are not
JSON and JSON of every wrong shape; message kinds the bot does not know (sticker, location,
contacts, reaction, order, system, unsupported, ephemeral...); button and list replies whose
ids were never issued to the person (random, issued to other people or in another enterprise,
over 256 characters); statuses of messages never sent; messages from numbers never invited;
huge texts and odd Unicode from a known person.

Whatever comes: every POST is answered without a 5xx (a bad signature is refused with 403,
an oversized body with 413), nothing is logged at ERROR, and nothing refused, forged or
unknown writes a row (every table counted before and after; the record of handled updates
aside). A known person who presses a button never issued to them is told, in their language,
that it is not valid any more.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from bot.channels.whatsapp.webhook import MAX_BODY, signature_of
from bot.i18n import build_i18n
from storage.models import Base, Person, Role
from tests.conftest import BACKENDS, ErrorLog, fresh_postgres_url
from tests.factories import enterprise_with_team
from tests.fakes import whatsapp_cloud as wa_cloud
from tests.fakes.harness import BotUnderTest
from tests.fakes.whatsapp_cloud import WaUser

EXAMPLES = int(os.environ.get("WA_HOSTILE_EXAMPLES", "200"))
REFUSED_BUTTON = "Sorry, this button is not valid any more. Send /help to start again."
KOFI_LOCALE = "es"
STRANGERS = ["233209990001", "27829990002", "849990003", "1", "0" * 20]
UNKNOWN_KINDS: dict[str, dict[str, Any]] = {
    "sticker": {"sticker": {"id": "st1", "mime_type": "image/webp", "animated": False}},
    "location": {"location": {"latitude": 5.6, "longitude": -0.19, "name": "Tema"}},
    "contacts": {"contacts": [{"name": {"formatted_name": "Ama"},
                               "phones": [{"phone": "+233200000000"}]}]},
    "reaction": {"reaction": {"message_id": "wamid.never", "emoji": "👍"}},
    "order": {"order": {"catalog_id": "1", "product_items": [{"product_retailer_id": "x",
                                                               "quantity": 1}]}},
    "system": {"system": {"body": "Number changed", "new_wa_id": "233200000009",
                          "type": "user_changed_number"}},
    "unsupported": {"errors": [{"code": 131051, "title": "Message type unknown"}]},
    "ephemeral": {},
    "video": {"video": {"id": "v1", "mime_type": "video/mp4"}},
    "request_welcome": {},
    "nfm_reply": {},
    "": {},
}
HEADERS_FORGED = st.one_of(
    st.just(None),  # no header at all
    st.just(""),
    st.just("sha256="),
    st.text(max_size=80).map(lambda t: "".join(c for c in t if c.isprintable())),
    st.binary(min_size=32, max_size=32).map(lambda b: "sha256=" + b.hex()),
    st.binary(min_size=20, max_size=20).map(lambda b: "sha1=" + b.hex()),
)
odd_text = st.one_of(
    st.text(min_size=1, max_size=200),
    st.text(alphabet=st.characters(categories=["Cf", "Mn", "Zs", "Nd", "No", "So", "Co"]),
            min_size=1, max_size=60),
    st.just("x" * 70_000),
    st.just("😀" * 5000),
    st.just("\u202e\u200b\ufeff" * 100),
    st.sampled_from(["²", "١٢", "٣", " 7 ", "999", "0", "-1", "JOIN", "join 💥",
                     "JOIN ../../etc/passwd", "/start", "/start x" * 50, "\x00", "<b>"]),
)
json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(
        ["entry", "changes", "value", "messages", "statuses", "contacts", "from", "id",
         "type", "text", "body", "interactive", "button_reply", "list_reply", "errors",
         "recipient_id", "status", "code", "wa_id", "profile", "timestamp", "context",
         "image", "audio", "document", "button", "payload"]) | st.text(max_size=8),
        children, max_size=4),
    max_leaves=12,
)


@dataclass
class World:
    tg: BotUnderTest
    kofi: WaUser
    ama: WaUser
    ben: WaUser
    others_ids: list[str]  # button ids the bot issued to others and never to Kofi
    expected_refusal: str
    client: ClientSession
    ids: Any = field(default_factory=lambda: itertools.count(1))
    checked: dict[str, int] = field(default_factory=dict)


def _choices_to(world_tg: BotUnderTest, user: WaUser) -> set[str]:
    assert world_tg.wa is not None
    return {data for message in world_tg.wa.messages_to(user) for _t, data in message.choices()}


async def _open(database_url: str) -> World:
    tg = BotUnderTest(database_url, whatsapp=True)
    await tg.__aenter__()
    assert tg.wa is not None
    factory = tg.app.session_factory
    kumasi, welding = await enterprise_with_team(factory)
    other, _assembly = await enterprise_with_team(factory, "Durban Textiles", "Cutting",
                                                  country="ZA", timezone="Africa/Johannesburg")
    await tg.join("Abena", Role.MANAGER, enterprise=kumasi)
    kofi = await tg.wa_join("Kofi", Role.WORKER, welding, wa_id="233201000001")
    ama = await tg.wa_join("Ama", Role.TEAM_LEAD, welding, wa_id="233201000002")
    ben = await tg.wa_join("Ben", Role.MANAGER, enterprise=other, wa_id="27821000003")
    for person, texts in ((ama, ["/help", "/team"]), (ben, ["/help", "/team", "/invite"]),
                          (kofi, ["/help"])):
        for text in texts:
            await tg.wa.send(person, text)
    async with factory() as session, session.begin():
        await session.execute(update(Person).where(Person.display_name == "Kofi")
                              .values(locale=KOFI_LOCALE))
    issued = _choices_to(tg, ama) | _choices_to(tg, ben)
    for message in tg.telegram.sent:
        issued |= {button.get("callback_data", "") for row in (message.buttons or [])
                   for button in row} - {""}
    others = sorted(data for data in issued - _choices_to(tg, kofi)
                    if not data.startswith("wa:say:"))  # a menu row is its label typed
    spanish = build_i18n().locales[KOFI_LOCALE].gettext(REFUSED_BUTTON)
    assert spanish != REFUSED_BUTTON
    return World(tg, kofi, ama, ben, others, spanish, ClientSession())


async def _close(world: World) -> None:
    await world.client.close()
    await world.tg.__aexit__(None, None, None)


async def _rows(world: World) -> dict[str, int]:
    async with world.tg.app.session_factory() as session:
        return {table.name: await session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables
                if table.name != "processed_updates"}


def _notification(world: World, sender: str, message: dict[str, Any],
                  name: str = "X") -> dict[str, Any]:
    """A notification of `message` from `sender`, who has thereby opened their window."""
    assert world.tg.wa is not None
    world.tg.wa.last_inbound[sender] = world.tg.clock.now()
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001",
                         "phone_number_id": wa_cloud.PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [{"from": sender, "id": f"wamid.hostile{next(world.ids)}",
                          "timestamp": str(int(world.tg.clock.now().timestamp())),
                          **message}]}}]}]}


async def _stream(raw: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), 64 * 1024):
        yield raw[start:start + 64 * 1024]


async def _post(world: World, raw: bytes, signature: str | None, *,
                chunked: bool = False) -> int:
    assert world.tg.wa is not None
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    data: Any = _stream(raw) if chunked else raw
    async with world.client.post(world.tg.wa.webhook_url, data=data,
                                 headers=headers) as response:
        await response.read()
        return response.status


def _signed(raw: bytes) -> str:
    return signature_of(raw, wa_cloud.APP_SECRET)


# What comes: (category, details) -------------------------------------------------------------

senders = st.sampled_from(["kofi", "ama", "ben", *STRANGERS])
known_or_stranger = st.sampled_from(["kofi", *STRANGERS])
forged_button_ids = st.one_of(
    st.text(min_size=1, max_size=64),
    st.text(min_size=257, max_size=400),
    st.just("x" * 300),
    st.builds(lambda p, n: f"{p}:{n}", st.sampled_from(
        ["lang", "inv", "ls", "qz", "rv", "sc", "la", "sg", "sr", "sp", "ck", "kp", "ac",
         "pu", "lc", "pv", "cmd", "es", "en", "pa"]),
        st.lists(st.one_of(st.integers(-5, 60).map(str), st.sampled_from(
            ["accept", "owner", "done", "yes", "skip", "m1-01", "manager", "9" * 30])),
            min_size=1, max_size=3).map(":".join)),
)
inputs = st.one_of(
    st.tuples(st.just("forged"), senders, HEADERS_FORGED, st.booleans()),
    st.tuples(st.just("oversized"), st.integers(MAX_BODY + 1, MAX_BODY + 64 * 1024), st.booleans(),
              st.booleans()),
    st.tuples(st.just("malformed"), st.one_of(
        st.binary(max_size=200),
        st.integers(1, 100_000).map(lambda depth: b"[" * depth + b"]" * depth),
        json_junk.map(lambda value: json.dumps(value).encode()),
        st.builds(lambda entry: json.dumps({"entry": entry}).encode(), json_junk),
        st.builds(lambda change: json.dumps({"entry": [{"changes": [change]}]}).encode(),
                  json_junk),
        st.builds(lambda value: json.dumps({"entry": [{"changes": [{"value": value}]}]})
                  .encode(), json_junk))),
    st.tuples(st.just("shape"), senders, st.sampled_from(
        ["text", "interactive", "button", "image", "audio", "document", "context", "from",
         "timestamp", "id"]), json_junk),
    st.tuples(st.just("unknown"), senders, st.sampled_from(sorted(UNKNOWN_KINDS))),
    st.tuples(st.just("button"), st.sampled_from(["button_reply", "list_reply", "template"]),
              st.one_of(forged_button_ids, st.just("others"))),
    st.tuples(st.just("status"), st.sampled_from(["sent", "delivered", "read", "failed",
                                                  "deleted", "", "x" * 40]),
              st.sampled_from([None, 131026, 131047, 131000, 0, "x"]),
              st.sampled_from(["233201000001", *STRANGERS, ""])),
    st.tuples(st.just("stranger"), st.sampled_from(STRANGERS), odd_text),
    st.tuples(st.just("text"), st.just("kofi"), odd_text),
)


def _wa_id(world: World, who: str) -> str:
    people = {"kofi": world.kofi, "ama": world.ama, "ben": world.ben}
    return people[who].wa_id if who in people else who


async def _one(world: World, spec: tuple[Any, ...]) -> None:
    """POST one hostile input and check what must hold for it."""
    wa = world.tg.wa
    assert wa is not None
    kind = spec[0]
    world.checked[kind] = world.checked.get(kind, 0) + 1
    before_rows = await _rows(world)
    before_sent = len(wa.sent)
    stores_nothing = True
    if kind == "forged":
        _kind, who, header, other_body = spec
        raw = json.dumps(_notification(world, _wa_id(world, who), {
            "type": "text", "text": {"body": "/help"}})).encode()
        if other_body:  # a true signature, of another body
            header = _signed(raw + b" ")
        assert await _post(world, raw, header) == 403
        assert wa.sent[before_sent:] == []
    elif kind == "oversized":
        _kind, size, signed, chunked = spec
        raw = b'{"entry": [' + b" " * size + b"]}"
        assert await _post(world, raw, _signed(raw) if signed else None,
                           chunked=chunked) == 413
    elif kind == "malformed":
        raw = spec[1]
        assert await _post(world, raw, _signed(raw)) in (200, 400)
    elif kind == "shape":
        _kind, who, key, junk = spec
        message: dict[str, Any] = {"type": key if key in (
            "text", "interactive", "button", "image", "audio", "document") else "text",
            "text": {"body": "hello"}, key: junk}
        raw = json.dumps(_notification(world, _wa_id(world, who), message)).encode()
        assert await _post(world, raw, _signed(raw)) in (200, 400)
        stores_nothing = who not in ("kofi", "ama", "ben")
    elif kind == "unknown":
        _kind, who, unknown = spec
        raw = json.dumps(_notification(world, _wa_id(world, who), {
            "type": unknown, **UNKNOWN_KINDS[unknown]})).encode()
        assert await _post(world, raw, _signed(raw)) == 200
    elif kind == "button":
        _kind, reply, data = spec
        if data == "others":
            data = world.others_ids[world.checked[kind] % len(world.others_ids)]
        if reply == "template":
            message = {"type": "button", "context": {"id": "wamid.never-sent"},
                       "button": {"payload": data, "text": "Show me"}}
        else:
            message = {"type": "interactive", "context": {"id": "wamid.never-sent"},
                       "interactive": {"type": reply, reply: {"id": data, "title": "x"}}}
        raw = json.dumps(_notification(world, world.kofi.wa_id, message)).encode()
        assert await _post(world, raw, _signed(raw)) == 200
        answers = [m.text for m in wa.sent[before_sent:] if m.to == world.kofi.wa_id]
        assert answers, f"no answer to a button {data!r:.80}"
        if ":" not in data:  # no handler claims it: the fallback's refusal, in Spanish
            assert any(world.expected_refusal in text for text in answers), answers
    elif kind == "status":
        _kind, status, code, recipient = spec
        item: dict[str, Any] = {"id": f"wamid.never-sent-{next(world.ids)}", "status": status,
                                "timestamp": "1", "recipient_id": recipient}
        if code is not None:
            item["errors"] = [{"code": code, "title": "x"}]
        if code == 131026 and recipient == world.kofi.wa_id:
            item["errors"] = [{"code": 131000, "title": "x"}]  # that one would be true news
        raw = json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [{
            "value": {"messaging_product": "whatsapp", "statuses": [item]}}]}]}).encode()
        assert await _post(world, raw, _signed(raw)) == 200
        assert wa.sent[before_sent:] == []
    elif kind == "stranger":
        _kind, who, text = spec
        raw = json.dumps(_notification(world, who, {"type": "text", "text": {"body": text}})
                         ).encode()
        assert await _post(world, raw, _signed(raw)) == 200
    else:  # a known person's own text: legitimate, it may store what it says
        _kind, who, text = spec
        raw = json.dumps(_notification(world, _wa_id(world, who), {
            "type": "text", "text": {"body": text}}, name="Kofi")).encode()
        assert await _post(world, raw, _signed(raw)) == 200
        stores_nothing = False
    if stores_nothing:
        after = await _rows(world)
        assert after == before_rows, {name: (before_rows[name], count) for name, count in
                                      after.items() if count != before_rows[name]}
    assert wa.refused() == [], [r.refused for r in wa.refused()][:3]


def hostile(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    world = loop.run_until_complete(_open(database_url))
    assert world.others_ids, "the setup issued no buttons to others"
    try:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(inputs)
        def property_holds(spec: tuple[Any, ...]) -> None:
            loop.run_until_complete(_one(world, spec))
            assert errors.lines == [], errors.lines[:5]

        property_holds()
    finally:
        logging.getLogger().removeHandler(errors)
        loop.run_until_complete(_close(world))
        loop.close()
    logging.getLogger(__name__).info("tried %s", world.checked)
    # Every category was tried.
    assert set(world.checked) == {"forged", "oversized", "malformed", "shape", "unknown",
                                  "button", "status", "stranger", "text"}, world.checked


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")


@pytest.mark.parametrize("backend", BACKENDS)  # PostgreSQL when TEST_DATABASE_URL is set
def test_hostile_input_over_the_whatsapp_webhook(backend: str, tmp_path) -> None:
    hostile(fresh_postgres_url() if backend == "postgresql"
            else f"sqlite+aiosqlite:///{tmp_path / 'hostile.db'}")
