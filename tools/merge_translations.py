"""Merge translated lesson sections into the lesson files.
Usage: python tools/merge_translations.py LOCALE DIR
DIR holds <lesson id>.toml files with only [text.LOCALE] (checked first with
tools/check_translation.py). An existing section for LOCALE is replaced."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bot.content.loader import LESSONS_DIR, load_lesson

locale, directory = sys.argv[1], Path(sys.argv[2])
for path in sorted(LESSONS_DIR.glob("*.toml")):
    staged = directory / path.name
    if not staged.exists():
        sys.exit(f"missing {staged}")
    text = path.read_text(encoding="utf-8")
    # Drop an existing section for this locale (up to the next [text.*] table or the end).
    text = re.sub(rf"\n\[text\.{re.escape(locale)}\]\n.*?(?=\n\[text\.|\Z)", "", text,
                  flags=re.S)
    section = staged.read_text(encoding="utf-8").strip()
    path.write_text(text.rstrip("\n") + "\n\n" + section + "\n", encoding="utf-8")
    load_lesson(path)  # fails loudly if the merge broke the file
print(f"merged {locale}")
