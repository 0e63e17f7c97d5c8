"""Translations and locale-aware formatting.

Catalogs live as `.po` files in `bot/locales/<locale>/LC_MESSAGES/messages.po`; they are
compiled in memory when the bot starts, so a checkout never runs with stale `.mo` files and
no build step is needed. Text is marked with `_()` (aiogram's gettext, bound to the locale of
the update being handled) or `__()` (lazy, for module-level text such as command menus).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import formatting

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

__all__ = ["LOCALES_DIR", "CatalogI18n", "_", "__", "current_locale", "format_date",
           "format_number"]


class CatalogI18n(I18n):
    """aiogram's I18n, loading `.po` catalogs directly instead of pre-compiled `.mo` files."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale)
            buffer = io.BytesIO()
            # Fuzzy entries are guesses awaiting review: never show them to people.
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            translations[locale] = gettext.GNUTranslations(buffer)
        return translations

    @contextmanager
    def context(self) -> Iterator[CatalogI18n]:
        # aiogram's gettext looks the instance up on the I18n class itself; a subclass would
        # otherwise register itself under its own, separate context variable.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)

    @contextmanager
    def speaking(self, locale: str) -> Iterator[None]:
        """Translate in `locale` outside an update (scheduler jobs, the command line)."""
        with self.context(), self.use_locale(locale):
            yield


def current_locale() -> str:
    """The locale `_()` translates into right now ("en" outside any update or job)."""
    i18n = I18n.get_current(no_error=True)
    return i18n.current_locale if i18n is not None else "en"


def build_i18n(default_locale: str = "en") -> CatalogI18n:
    return CatalogI18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def format_date(moment: datetime, locale: str, timezone: str = "UTC") -> str:
    """A date as people of `locale` write it, in the enterprise's timezone (bot.formatting)."""
    return formatting.day(moment, locale, timezone)


def format_datetime(moment: datetime, locale: str, timezone: str = "UTC") -> str:
    return formatting.moment(moment, locale, timezone)


def format_number(value: float, locale: str) -> str:
    return formatting.number(value, locale)
