"""The words of an invite poster, in the language of the enterprise it is printed for."""

from __future__ import annotations

from bot.i18n import _


def scan_instruction() -> str:
    return _("Scan this code with your phone's camera, then press Start in Telegram to join.")


def send_instruction() -> str:
    return _("To join, open our bot in Telegram (its name is written below) and send it this "
             "message:")
