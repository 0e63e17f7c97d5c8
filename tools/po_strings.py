"""Hand untranslated catalog entries to a translator as JSON, and take the translations back.

    python tools/po_strings.py export LOCALE todo.json   # entries still without a translation
    python tools/po_strings.py import LOCALE done.json   # fill them in (checked placeholders)

Each JSON entry: {"msgid": ..., "msgid_plural": ... (plural entries only), "plural_forms": N,
"msgstr": "..." or a list of N strings}. Placeholders like {name} and HTML tags must be kept;
the import refuses an entry whose placeholders differ from the English.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "bot" / "locales"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _path(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"


def _load(locale: str):  # type: ignore[no-untyped-def]
    with _path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def export(locale: str, target: Path) -> None:
    catalog = _load(locale)
    todo = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            continue
        if isinstance(message.id, tuple):
            todo.append({"msgid": message.id[0], "msgid_plural": message.id[1],
                         "plural_forms": catalog.num_plurals,
                         "msgstr": [""] * catalog.num_plurals})
        else:
            todo.append({"msgid": message.id, "msgstr": ""})
    target.write_text(json.dumps(todo, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{locale}: {len(todo)} entries to translate -> {target}")


def import_(locale: str, source: Path) -> None:
    catalog = _load(locale)
    done = json.loads(source.read_text(encoding="utf-8"))
    problems = 0
    for entry in done:
        key = (entry["msgid"], entry["msgid_plural"]) if "msgid_plural" in entry \
            else entry["msgid"]
        message = catalog.get(key)
        if message is None:
            print(f"not in the catalog: {entry['msgid'][:60]!r}")
            problems += 1
            continue
        strings = entry["msgstr"] if isinstance(entry["msgstr"], list) else [entry["msgstr"]]
        wanted = set(PLACEHOLDER.findall(entry["msgid"]))
        if any(s and set(PLACEHOLDER.findall(s)) - wanted for s in strings) or not all(strings):
            print(f"placeholders or text wrong: {entry['msgid'][:60]!r}")
            problems += 1
            continue
        message.string = tuple(strings) if isinstance(message.id, tuple) else strings[0]
    with _path(locale).open("wb") as handle:
        write_po(handle, catalog, width=76)
    print(f"{locale}: imported {len(done) - problems}, {problems} problem(s)")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    command, locale, file = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    {"export": export, "import": import_}[command](locale, file)
