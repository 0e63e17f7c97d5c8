"""WhatsApp as a second channel of the same conversations.

One conversation code, two channels: handlers, services and presenters do not know which
channel a person is on. This adapter translates at the edges:

- webhook.py: Cloud API notifications (GET handshake, signed POSTs) -> the aiogram Updates the
  Dispatcher already handles (a text, "JOIN <token>" as "/start <token>", a photo, a voice
  note, a document, a button press as a callback query whose data is the button id).
- session.py: the Bot's session; Bot API calls to a WhatsApp chat -> Cloud API requests (plain
  JSON over aiohttp), everything else -> Telegram. Errors come back as Bot API errors.
- render.py: WhatsApp's rules, one each (buttons, lists, numbered menus, HTML, lengths, no edits).
- contacts.py, ids.py: a WhatsApp person is chat id WA_CHAT_ID_BASE + their contact row; the
  24-hour window; messages held behind an approved template (templates.json) until the tap.
See the README, "WhatsApp: one conversation code, two channels".
"""
