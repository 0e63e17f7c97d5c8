"""Every string a person reads is translated in every shipped locale."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.commands import COMMANDS
from bot.i18n import LOCALES_DIR, build_i18n, format_date, format_number
from bot.i18n_check import catalog_problems
from bot.languages import SUPPORTED_LOCALES, match_locale


def test_every_catalog_is_complete_and_keeps_placeholders():
    assert catalog_problems() == []


def test_the_template_holds_every_string_in_the_code():
    """Fails when code gained a string that `make i18n` has not yet put into the catalogs."""
    source_dir = Path(__file__).parent.parent / "bot"
    extracted = {
        (message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(source_dir), keywords={"_": None, "__": None}
        )
    }
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert extracted - template == set(), "run `make i18n` and translate the new entries"
    assert template - extracted == set(), "run `make i18n` to drop entries no longer used"


@pytest.mark.parametrize("locale", [loc for loc in SUPPORTED_LOCALES if loc != "en"])
def test_menus_are_translated(locale):
    i18n = build_i18n()
    with i18n.speaking("en"):
        english = [str(spec.description) for spec in COMMANDS]
    with i18n.speaking(locale):
        translated = [str(spec.description) for spec in COMMANDS]
    assert all(a != b for a, b in zip(english, translated, strict=True)), locale
    assert all(1 <= len(text) <= 256 for text in translated)


def test_fuzzy_entries_are_never_shown(tmp_path):
    po = tmp_path / "xx" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  '#, fuzzy\nmsgid "Hello"\nmsgstr "Guess"\n\nmsgid "Bye"\nmsgstr "Ciao"\n',
                  encoding="utf-8")
    from bot.i18n import CatalogI18n

    i18n = CatalogI18n(path=tmp_path, default_locale="en")
    assert i18n.gettext("Hello", locale="xx") == "Hello"
    assert i18n.gettext("Bye", locale="xx") == "Ciao"
    assert read_po(io.BytesIO(po.read_bytes()))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("es-PE", "es"), ("es", "es"), ("fr-CI", "fr"), ("vi", "vi"), ("in", "id"),
        ("id-ID", "id"), ("zh-hans", "zh_Hans"), ("zh", "zh_Hans"), ("zh-TW", None),
        ("zh-hant", None), ("hi", "hi"), ("zu", "zu"), ("pt-br", None), ("", None), (None, None),
    ],
)
def test_telegram_language_codes_map_to_shipped_locales(code, expected):
    assert match_locale(code) == expected


def test_dates_and_numbers_follow_the_locale():
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert format_date(moment, "en", "UTC") == "Mar 1, 2026"
    assert format_date(moment, "vi", "Asia/Ho_Chi_Minh") == "2 thg 3, 2026"  # next day there
    assert format_number(12.5, "es") == "12,5"
    assert format_number(1234.5, "en") == "1,234.5"
