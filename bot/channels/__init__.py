"""Channels other than Telegram, each an adapter under the same conversation code."""
