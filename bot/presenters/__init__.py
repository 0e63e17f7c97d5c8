"""What a person reads: the text and buttons of each feature, rendered in the current locale.
Handlers reply with them and scheduled jobs put them in the outbox, so both read the same."""
