"""The languages the bot ships, and how Telegram's language codes map onto them."""

from __future__ import annotations

# Locale id (Babel / gettext folder name) -> the language's own name, shown on buttons.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "vi": "Tiếng Việt",
    "id": "Bahasa Indonesia",
    "zh_Hans": "简体中文",
    "hi": "हिन्दी",
    "zu": "isiZulu",
}

SUPPORTED_LOCALES: tuple[str, ...] = tuple(LANGUAGES)


def match_locale(code: str | None) -> str | None:
    """Map a Telegram `language_code` (IETF tag such as "es-PE", "zh-hans", "pt-br")
    to a shipped locale, or None when we do not ship that language."""
    if not code:
        return None
    tag = code.replace("_", "-").lower()
    if tag.startswith("zh"):
        # Traditional Chinese readers are better served by English than by the wrong script.
        return None if any(t in tag for t in ("hant", "-tw", "-hk", "-mo")) else "zh_Hans"
    base = tag.split("-", 1)[0]
    if base == "in":  # the old ISO code for Indonesian, still sent by some phones
        base = "id"
    return base if base in LANGUAGES else None


def telegram_language_code(locale: str) -> str:
    """The two-letter ISO 639-1 code Telegram expects in setMyCommands."""
    return locale.split("_", 1)[0]



def validate_locale_id(locale: str) -> str:
    if locale not in LANGUAGES:
        raise ValueError(f"unsupported locale {locale!r}")
    return locale
