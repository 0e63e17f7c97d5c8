"""Buttons of lessons read aloud: approving a recording, and listening to a lesson."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData


class RecordingCallback(CallbackData, prefix="rec"):
    action: Literal["ok", "no", "cancel"]
    id: int = 0


class ListenCallback(CallbackData, prefix="lv"):
    key: str  # the lesson's short key, as on the lesson's other buttons
