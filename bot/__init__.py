"""scorebot: a Telegram bot that coaches SME improvement teams through the ILO SCORE programme."""

__version__ = "0.1.0"
