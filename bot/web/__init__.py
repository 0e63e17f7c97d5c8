"""The dashboard: a Telegram Mini App served by the bot\x27s own aiohttp server."""
