"""With REDIS_URL set, conversation state lives in Redis (shared by several bot processes)."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.app import build_storage
from bot.config import Settings
from storage.models import Role
from tests.factories import enterprise_with_team, invite
from tests.fakes.harness import BotUnderTest


async def test_fsm_state_is_kept_in_redis(redis_url):
    storage = build_storage(Settings(redis_url=redis_url))
    assert isinstance(storage, RedisStorage)
    key = StorageKey(bot_id=1, chat_id=99_001, user_id=99_001)
    try:
        await storage.set_state(key, "checkin:value")
        await storage.set_data(key, {"kpi": "defects", "value": 12.5})
        again = build_storage(Settings(redis_url=redis_url))  # another process would see it
        assert await again.get_state(key) == "checkin:value"
        assert await again.get_data(key) == {"kpi": "defects", "value": 12.5}
        await again.close()
    finally:
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        await storage.close()


async def test_the_bot_serves_with_redis_storage(database_url, redis_url):
    async with BotUnderTest(database_url, redis_url=redis_url) as tg:
        assert isinstance(tg.app.dispatcher.storage, RedisStorage)
        enterprise, team = await enterprise_with_team(tg.app.session_factory)
        token = (await invite(tg.app.session_factory, enterprise, team, Role.WORKER,
                              tg.clock)).token
        replies = await tg.send(tg.person("Yaw", "en"), f"/start {token}")
        assert "You have joined" in replies[0].text
