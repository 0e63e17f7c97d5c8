"""Completeness checks for the gettext catalogs, shared by the tests and `tools/`."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES_DIR
from bot.languages import SUPPORTED_LOCALES

_PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
_TAG = re.compile(r"</?[a-z-]+[^>]*>")
_COMMAND = re.compile(r"(?<![\w/])/[a-z_]+")


def _marks(text: str) -> tuple[list[str], list[str], list[str]]:
    return (
        sorted(_PLACEHOLDER.findall(text)),
        sorted(_TAG.findall(text)),
        sorted(_COMMAND.findall(text)),
    )


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_problems(locales: list[str] | None = None) -> list[str]:
    """Every untranslated or fuzzy entry, and every translation whose {placeholders}, HTML
    tags or /commands differ from its source, in the shipped locales (English is the
    source)."""
    problems: list[str] = []
    template_ids = _template_ids()
    for locale in locales or [loc for loc in SUPPORTED_LOCALES if loc != "en"]:
        path = catalog_path(locale)
        if not path.exists():
            problems.append(f"{locale}: no catalog at {path}")
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        seen = set()
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            seen.add(key)
            label = f"{locale}: {key[:60]!r}"
            if message.fuzzy:
                problems.append(f"{label}: fuzzy")
            sources = [message.id] if isinstance(message.id, str) else list(message.id or ())
            translations = (
                [message.string] if isinstance(message.string, str) else list(message.string or ())
            )
            if not all(translations):
                problems.append(f"{label}: untranslated")
                continue
            expected = _marks(sources[-1])
            for translation in translations:
                placeholders, tags, commands = _marks(translation)
                # A singular form may leave out the {count} its plural needs ("once").
                if set(placeholders) - set(expected[0]) or (
                    len(sources) == 1 and placeholders != expected[0]
                ):
                    problems.append(f"{label}: placeholders {placeholders} != {expected[0]}")
                if tags != expected[1]:
                    problems.append(f"{label}: HTML tags {tags} != {expected[1]}")
                if commands != expected[2]:
                    problems.append(f"{label}: commands {commands} != {expected[2]}")
        missing = template_ids - seen
        problems += [f"{locale}: {key[:60]!r}: missing from catalog" for key in sorted(missing)]
    return problems


def _template_ids() -> set[str]:
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        template = read_po(handle)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
