"""Running the bot with no token and no network: an emulated Bot API, an in-process aiogram
session that talks to it, the terminal console, and the demo data."""
