"""Loading and checking the lesson files."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from bot.content.schema import LESSON_MESSAGE_MAX, Lesson

LESSONS_DIR = Path(__file__).parent / "lessons"


class ContentError(Exception):
    """A lesson file that cannot be used; the message names the file and the problem."""


def load_lesson(path: Path) -> Lesson:
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
        return Lesson.model_validate(raw)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path.name}: not valid TOML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise ContentError(f"{path.name}: {problems}") from None


@dataclass(frozen=True)
class Curriculum:
    """All lessons in the order they are taught: module by module, by order within it."""

    lessons: tuple[Lesson, ...]
    _by_id: dict[str, Lesson] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {lesson.id: lesson for lesson in self.lessons})

    def get(self, lesson_id: str) -> Lesson | None:
        return self._by_id.get(lesson_id)

    def by_key(self, key: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.key == key), None)

    def index(self, lesson_id: str) -> int:
        return next(i for i, lesson in enumerate(self.lessons) if lesson.id == lesson_id)

    def module_lessons(self, module: int) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.module == module]

    def first_of_module(self, module: int) -> Lesson | None:
        lessons = self.module_lessons(module)
        return lessons[0] if lessons else None

    def __len__(self) -> int:
        return len(self.lessons)


def load_curriculum(directory: Path = LESSONS_DIR) -> Curriculum:
    lessons = [load_lesson(path) for path in sorted(directory.glob("*.toml"))]
    seen: dict[tuple[int, int], str] = {}
    ids: set[str] = set()
    for lesson in lessons:
        key = (lesson.module, lesson.order)
        if key in seen:
            raise ContentError(f"{lesson.id} and {seen[key]} share module {key[0]} order {key[1]}")
        if lesson.id in ids:
            raise ContentError(f"two lessons have the id {lesson.id}")
        seen[key] = lesson.id
        ids.add(lesson.id)
    return Curriculum(tuple(sorted(lessons, key=lambda lesson: (lesson.module, lesson.order))))


@lru_cache(maxsize=1)
def curriculum() -> Curriculum:
    """The shipped curriculum, loaded once per process."""
    return load_curriculum()


def length_problems(lessons: Iterable[Lesson],
                    render: Callable[[Lesson, str], str]) -> list[str]:
    """Lessons whose message, as `render(lesson, locale)` sends it, is over the limit."""
    problems = []
    for lesson in lessons:
        for locale in lesson.text:
            length = len(render(lesson, locale))
            if length > LESSON_MESSAGE_MAX:
                problems.append(
                    f"{lesson.id} [{locale}]: {length} characters as sent, "
                    f"at most {LESSON_MESSAGE_MAX}"
                )
    return problems
