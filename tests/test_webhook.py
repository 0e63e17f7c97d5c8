"""Webhook mode: the bot registers its webhook with a secret token, handles updates Telegram
posts, and refuses requests without the right X-Telegram-Bot-Api-Secret-Token header."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.app import build_webhook_app
from storage.models import Role
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest


async def test_webhook_checks_the_secret_and_serves_updates(database_url, unused_tcp_port):
    secret = "s3cret-Token_value"
    async with BotUnderTest(
        database_url,
        webhook_base_url=f"http://127.0.0.1:{unused_tcp_port}",
        webhook_secret=secret,
        webhook_path="/tg/hook",
    ) as tg:
        enterprise, team = await enterprise_with_team(tg.app.session_factory)
        token = (await invite(tg.app.session_factory, enterprise, team, Role.WORKER,
                              tg.clock)).token
        runner = web.AppRunner(build_webhook_app(tg.app, tg.bot))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
        await site.start()
        try:
            assert tg.telegram.webhook == {
                "url": f"http://127.0.0.1:{unused_tcp_port}/tg/hook", "secret_token": secret,
            }
            assert tg.telegram.menu(language="es") == [
                "start", "help", "language", "mydata", "forget"]
            kojo = tg.person("Kojo", "en")

            forged = tg.telegram.message_update(kojo.id, f"/start {token}")
            assert await tg.server.post_to_webhook(forged, secret=None) == 401
            assert await tg.server.post_to_webhook(forged, secret="wrong") == 401
            assert tg.telegram.messages_to(kojo.id) == []

            # A body far beyond any real update is refused before it is parsed.
            huge = tg.telegram.message_update(kojo.id, "x" * (2 * 1024 * 1024))
            assert await tg.server.post_to_webhook(huge) == 413
            assert tg.telegram.messages_to(kojo.id) == []

            update = tg.telegram.message_update(kojo.id, f"/start {token}")
            assert await tg.server.post_to_webhook(update) == 200
            (reply,) = tg.telegram.messages_to(kojo.id)
            assert "You have joined Kumasi Metal Works" in reply.text

            # Telegram retries an update it thinks was lost: it is handled once.
            suggestion = tg.telegram.message_update(kojo.id, "/suggest")
            assert await tg.server.post_to_webhook(suggestion) == 200
            assert await tg.server.post_to_webhook(suggestion) == 200
            assert len(tg.telegram.messages_to(kojo.id)) == 2
        finally:
            await runner.cleanup()


async def test_a_body_that_is_not_an_update_gets_400_and_one_warning(
    database_url, unused_tcp_port, caplog
):
    secret = "s3cret-Token_value"
    async with BotUnderTest(
        database_url,
        webhook_base_url=f"http://127.0.0.1:{unused_tcp_port}",
        webhook_secret=secret,
        webhook_path="/tg/hook",
    ) as tg:
        runner = web.AppRunner(build_webhook_app(tg.app, tg.bot))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
        await site.start()
        try:
            caplog.clear()
            with caplog.at_level(logging.WARNING):
                assert await tg.server.post_to_webhook(b'{"update_id": 1, "mess') == 400
            warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(warnings) == 1, [r.getMessage() for r in warnings]
            assert warnings[0].levelno == logging.WARNING
            assert "mess" not in warnings[0].getMessage()
            assert warnings[0].exc_info is None

            # Valid JSON that is no update (a list; an object without update_id) too.
            assert await tg.server.post_to_webhook(b"[1, 2]") == 400
            assert await tg.server.post_to_webhook({"message": "hello"}) == 400
            # Without the secret a broken body is still refused as unauthorized first.
            assert await tg.server.post_to_webhook(b"{", secret=None) == 401
        finally:
            await runner.cleanup()
