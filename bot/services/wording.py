"""Forgiving reading of what people type: greetings, near-miss commands, and ideas with no
words in them. Pure functions over text: no aiogram, no database, nothing stored."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz, process

# Greetings in every shipped language, and the ones people send anyway. Compared after
# `normalize` (case, accents and punctuation dropped; "xin chào!" -> "xin chao").
GREETINGS = frozenset({
    # English
    "hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening", "morning",
    "yo", "greetings", "hi there", "hello there", "start",
    # Spanish
    "hola", "buenas", "buenos dias", "buenas tardes", "buenas noches", "saludos",
    # French
    "bonjour", "salut", "bonsoir", "coucou",
    # Vietnamese
    "xin chao", "chao", "chao ban", "chao anh", "chao chi", "chao em",
    # Indonesian
    "halo", "hai", "selamat pagi", "selamat siang", "selamat sore", "selamat malam", "hallo",
    "assalamualaikum",
    # Simplified Chinese
    "你好", "您好", "嗨", "早上好", "下午好", "晚上好", "哈喽", "你好啊",
    # Hindi
    "नमस्ते", "नमस्कार", "namaste", "namaskar", "राम राम", "हेलो", "हाय",
    # isiZulu
    "sawubona", "sanibonani", "yebo", "unjani", "sawubona baba", "sawubona mama",
    # Portuguese, Arabic and Bengali speakers on the same floors
    "ola", "oi", "bom dia", "marhaba", "salam", "as salamu alaykum", "nomoskar",
})

# Emoji that are a wave or a hello in themselves.
GREETING_EMOJI = frozenset({"👋", "🙋", "🙋‍♀️", "🙋‍♂️", "🤝", "🙏"})

_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower case, accents dropped (Latin letters only: Devanagari and Chinese stay whole),
    punctuation and emoji dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn" and not _is_indic_mark(char):
            continue  # a Latin accent
        if category[0] in "LMN" or char.isspace():
            kept.append(char)
        else:
            kept.append(" ")
    return unicodedata.normalize("NFC", _SPACES.sub(" ", "".join(kept)).strip())


def _is_indic_mark(char: str) -> bool:
    return "DEVANAGARI" in unicodedata.name(char, "")


def is_greeting(text: str | None) -> bool:
    """Whether the whole message is a hello ("Hi!", "xin chào", "sawubona 👋", "你好")."""
    if not text or len(text) > 60:
        return False
    stripped = text.strip()
    if stripped in GREETING_EMOJI:
        return True
    words = normalize(stripped)
    if not words:
        return False
    if words in GREETINGS:
        return True
    # "hello bot", "hi everyone", "hola amigo": a greeting then one more word.
    first, _space, rest = words.partition(" ")
    return first in GREETINGS and len(rest.split()) <= 1 and not rest.isdigit()


# Fewer letters than this and a typed idea says nothing a reviewer could act on.
MIN_LETTERS = 3
MIN_IDEOGRAPHS = 2  # one Chinese character is a syllable; two already make a word


def has_words(text: str | None) -> bool:
    """Whether a typed idea has some words in it: not only emoji, punctuation or digits, and
    more than a couple of letters ("👍", "ok", "..." have none)."""
    if not text:
        return False
    letters = [c for c in text if unicodedata.category(c)[0] in "LM" and not c.isdigit()]
    ideographs = [c for c in letters if "CJK" in unicodedata.name(c, "")]
    if ideographs:
        return len(ideographs) >= MIN_IDEOGRAPHS or len(letters) >= MIN_LETTERS
    return len(letters) >= MIN_LETTERS


# How alike a typed command must be to a real one to be offered ("lesso" ~ "lesson": 91).
NEAR_MISS_SCORE = 75


def closest_command(typed: str, names: Iterable[str]) -> str | None:
    """The command name most like `typed` ("/lesso", "/hlep", "/lessons"), or None when
    nothing is close enough to offer."""
    word = typed.lstrip("/").split("@", 1)[0].split(maxsplit=1)
    if not word:
        return None
    candidates = [name for name in names if name != "start"]
    found = process.extractOne(word[0].casefold(), candidates, scorer=fuzz.ratio,
                               score_cutoff=NEAR_MISS_SCORE)
    return found[0] if found else None
