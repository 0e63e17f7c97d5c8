"""Merge translated lesson sections into the lesson files.
Usage: python tools/merge_translations.py LOCALE DIR
DIR holds <lesson id>.toml files with only [text.LOCALE] (checked first with
tools/check_translation.py). An existing section for LOCALE is replaced; sources, review
records and country notes are kept. (For a translator's review, prefer
`scorebot content export --lang LOCALE` and `import`: see README, Translations.)"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from bot.content.files import read_raw, write_raw
from bot.content.loader import LESSONS_DIR

locale, directory = sys.argv[1], Path(sys.argv[2])
for path in sorted(LESSONS_DIR.glob("*.toml")):
    staged = directory / path.name
    if not staged.exists():
        sys.exit(f"missing {staged}")
    raw, comment = read_raw(path)
    raw["text"][locale] = tomllib.loads(staged.read_text(encoding="utf-8"))["text"][locale]
    write_raw(path, raw, comment)  # fails loudly, leaving the file as it was, if it breaks
print(f"merged {locale}")
