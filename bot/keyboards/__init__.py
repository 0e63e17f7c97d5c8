"""Inline keyboards and the CallbackData factories behind their buttons."""
