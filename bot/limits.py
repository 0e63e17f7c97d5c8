"""Telegram's documented limits, named once and used everywhere instead of magic numbers."""

MESSAGE_TEXT_MAX = 4096  # characters after entity parsing
CAPTION_MAX = 1024
CALLBACK_DATA_MAX_BYTES = 64  # UTF-8 bytes, not characters
CALLBACK_ANSWER_MAX = 200
COMMANDS_MAX = 100
COMMAND_DESCRIPTION_MAX = 256
DEEP_LINK_PAYLOAD_MAX = 64
