"""Work the bot does on its own: jobs that scan the database for what is due (lessons,
reminders, reviews) and the outbox sender. The database is the source of truth for what is
due, so a restart loses nothing and sends nothing twice; every job is idempotent."""
