"""The shape of a lesson file, validated on load and in tests.

    id = "m1-01-improvement-team"      # stable: progress is stored against it
    module = 1                          # SCORE module 1-5
    order = 1                           # position within the module
    answer = 2                          # index of the right quiz option, the same in every locale
    image = ""                          # optional file under bot/content/images

    [text.en]
    title = "..."
    body = "..."                        # with title and key practice: one phone screen
    key_practice = "..."
    question = "..."
    options = ["...", "...", "..."]     # 2-4 answers
    feedback = ["...", "...", "..."]    # one per option, shown after it is chosen
    task = "..."                        # "apply it this week"

    sources = ["..."]                   # where the advice and any figures come from

    [review.zu]                         # who last reviewed a locale's text, and when
    reviewed_by = "..."
    reviewed_on = 2026-11-29
    native = false                      # true only for a native speaker of the language
    needs_native_speaker = true         # optional: not fit for workers until one has read it

    [notes.PE]                          # a country note (ISO 3166-1 code), shown under the
    source = "..."                      # lesson to people whose enterprise is in that country;
    text.en = "..."                     # the law it states, named; one text per locale
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.languages import SUPPORTED_LOCALES

# What one lesson message may hold, as sent: title, body and key practice together.
LESSON_MESSAGE_MAX = 900
QUESTION_MAX = 300
OPTION_MAX = 60  # a button label that still reads on a small screen
FEEDBACK_MAX = 400
TASK_MAX = 400
TITLE_MAX = 80
NOTE_MAX = 350  # a country note, sent as its own short message under the lesson

MODULES = (1, 2, 3, 4, 5)
_ID = re.compile(r"^m[1-5]-\d{2}-[a-z0-9-]{3,40}$")


class LessonText(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=TITLE_MAX)
    body: str = Field(min_length=50)
    key_practice: str = Field(min_length=10, max_length=250)
    question: str = Field(min_length=10, max_length=QUESTION_MAX)
    options: list[str] = Field(min_length=2, max_length=4)
    feedback: list[str] = Field(min_length=2, max_length=4)
    task: str = Field(min_length=10, max_length=TASK_MAX)

    @field_validator("options")
    @classmethod
    def _options(cls, options: list[str]) -> list[str]:
        for option in options:
            if not 1 <= len(option.strip()) <= OPTION_MAX:
                raise ValueError(f"each option needs 1-{OPTION_MAX} characters: {option!r}")
        if len({o.strip().lower() for o in options}) != len(options):
            raise ValueError("options must differ")
        return [o.strip() for o in options]

    @field_validator("feedback")
    @classmethod
    def _feedback(cls, feedback: list[str]) -> list[str]:
        for text in feedback:
            if not 5 <= len(text.strip()) <= FEEDBACK_MAX:
                raise ValueError(f"each feedback needs 5-{FEEDBACK_MAX} characters")
        return [f.strip() for f in feedback]

    @model_validator(mode="after")
    def _one_feedback_per_option(self) -> LessonText:
        if len(self.feedback) != len(self.options):
            raise ValueError("give exactly one feedback per option")
        for field in ("title", "body", "key_practice", "question", "task"):
            if "<" in getattr(self, field) or ">" in getattr(self, field):
                raise ValueError(f"{field}: plain text only, no < or >")
        return self


class Review(BaseModel):
    """Who last reviewed a text in one language, and whether they speak it natively."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reviewed_by: str = Field(min_length=3, max_length=200)
    reviewed_on: date
    native: bool  # reviewed by a native speaker of the language
    needs_native_speaker: bool = False  # not fit for workers until a native speaker has read it


class CountryNote(BaseModel):
    """What the law of one country adds to a lesson, with the law named."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=10)
    text: dict[str, str]

    @field_validator("text")
    @classmethod
    def _text(cls, text: dict[str, str]) -> dict[str, str]:
        unknown = set(text) - set(SUPPORTED_LOCALES)
        if unknown:
            raise ValueError(f"unknown locales {sorted(unknown)}")
        if "en" not in text:
            raise ValueError("English text is required")
        for locale, value in text.items():
            if not 20 <= len(value.strip()) <= NOTE_MAX:
                raise ValueError(f"{locale}: a note needs 20-{NOTE_MAX} characters")
            if "<" in value or ">" in value:
                raise ValueError(f"{locale}: plain text only, no < or >")
        return {locale: value.strip() for locale, value in text.items()}


_COUNTRY = re.compile(r"^[A-Z]{2}$")


class Lesson(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    module: int
    order: int = Field(ge=1, le=99)
    answer: int = Field(ge=0, le=3)
    image: str = ""
    sources: list[str] = []
    text: dict[str, LessonText]
    review: dict[str, Review] = {}
    notes: dict[str, CountryNote] = {}

    @field_validator("notes")
    @classmethod
    def _notes(cls, notes: dict[str, CountryNote]) -> dict[str, CountryNote]:
        for country in notes:
            if not _COUNTRY.match(country):
                raise ValueError(f"notes: {country!r} is not an ISO 3166-1 country code like PE")
        return notes

    @property
    def country_notes(self) -> dict[str, dict[str, str]]:
        """Country code -> locale -> note."""
        return {country: note.text for country, note in self.notes.items()}

    def note_for(self, country: str, locale: str) -> str | None:
        """The note for people in `country`, in `locale` (English if not translated yet)."""
        note = self.notes.get((country or "").upper())
        if note is None:
            return None
        return note.text.get(locale) or note.text["en"]

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("id must look like m1-01-short-name")
        return value

    @field_validator("module")
    @classmethod
    def _module(cls, value: int) -> int:
        if value not in MODULES:
            raise ValueError("module must be 1 to 5")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Lesson:
        if not self.id.startswith(f"m{self.module}-{self.order:02d}-"):
            raise ValueError(f"id {self.id!r} must start with m{self.module}-{self.order:02d}-")
        unknown = set(self.text) - set(SUPPORTED_LOCALES)
        if unknown:
            raise ValueError(f"unknown locales {sorted(unknown)}")
        if "en" not in self.text:
            raise ValueError("English text is required")
        counts = {locale: len(t.options) for locale, t in self.text.items()}
        if len(set(counts.values())) != 1:
            raise ValueError(f"every locale needs the same number of options: {counts}")
        if self.answer >= counts["en"]:
            raise ValueError("answer points past the last option")
        unknown = set(self.review) - set(SUPPORTED_LOCALES)
        if unknown:
            raise ValueError(f"review: unknown locales {sorted(unknown)}")
        return self

    @property
    def key(self) -> str:
        """A short stable key for buttons (callback data has 64 bytes): "m2-03"."""
        return self.id[:5]

    def missing_locales(self) -> list[str]:
        return [locale for locale in SUPPORTED_LOCALES if locale not in self.text]

    def in_locale(self, locale: str) -> LessonText:
        """The lesson in `locale`, falling back to English for a locale it lacks."""
        return self.text.get(locale) or self.text["en"]
