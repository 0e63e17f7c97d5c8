"""Problems a person or an operator can cause; callers turn them into a friendly answer."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. `code` is stable for callers; `detail` is English, for logs
    and the command line (the bot shows its own translated text for each code)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class NotFound(DomainError):
    pass


class NotAllowed(DomainError):
    pass


class InvalidValue(DomainError):
    pass
