"""Domain rules. Nothing here imports aiogram: services take a database session and plain
values, and return plain results, so they are tested without Telegram and shared by the bot,
the command line and the scheduler."""
