"""Buttons of lessons read aloud and lesson pictures: approving a recording or a picture, and
listening to a lesson or its quiz question."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

from bot.keyboards.callbacks import LessonKey


class RecordingCallback(CallbackData, prefix="rec"):
    action: Literal["ok", "no", "cancel"]
    id: int = 0


class ListenCallback(CallbackData, prefix="lv"):
    key: str  # the lesson's short key, as on the lesson's other buttons


class QuizListenCallback(CallbackData, prefix="lq"):
    """"▶️ Listen" under a quiz question: its recording in the reader's language."""

    key: LessonKey


class PictureCallback(CallbackData, prefix="pic"):
    """Approving or rejecting a lesson picture, or cancelling /picture."""

    action: Literal["ok", "no", "cancel"]
    id: int = 0
