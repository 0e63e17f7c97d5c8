"""Report catalog entries that are untranslated, fuzzy, or whose placeholders differ from the
source. Usage: python tools/check_catalogs.py [locale ...]   (exit 1 on any problem)"""

from __future__ import annotations

import sys

from bot.i18n_check import catalog_problems

problems = catalog_problems(sys.argv[1:] or None)
for problem in problems:
    print(problem)
print(f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
