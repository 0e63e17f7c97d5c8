"""What the bot says around the main menu: greetings, the menu's prompt, near-miss commands,
and ideas with no words in them."""

from __future__ import annotations

from aiogram import html

from bot.i18n import _


def greeting(name: str) -> str:
    return _("Hello, {name}! 👋 Tap a button below.").format(name=html.quote(name))


def menu_prompt() -> str:
    return _("Tap a button below. 👇")


def not_understood() -> str:
    return _("Sorry, I did not understand that. Tap a button below, or send /help.")


def did_you_mean(name: str) -> str:
    return _("Did you mean /{command}?").format(command=name)


def unknown_command() -> str:
    return _("I do not know that command. Send /help to see what you can do.")


def tell_me_more() -> str:
    return _("Tell me a bit more? Write your idea in a few words, or send a photo or a voice "
             "note.")
