"""SQLite serves one bot process. A second `scorebot run` (or `start`) on the same database
file would send from the same outbox with limits of its own and free the first one's claims;
so a serving process holds an exclusive lock on a file beside the database
(`scorebot.db.lock`), and a second one stops at once with one clear line.

The lock belongs to the process: the kernel lets it go when the process ends, however it
ends (even SIGKILL), so a crash never leaves a stale lock behind. Holding it is also what
lets a starting process free the outbox claims left in the database: they can only be its
own crashed predecessor's. PostgreSQL needs none of this: several processes share the work
there (`bot.scheduling.leader`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no lock
    fcntl = None  # type: ignore[assignment]  # checked before use: no lock on Windows


class AlreadyServed(Exception):
    """Another live process serves this SQLite database."""


def lock_path(database_url: str) -> Path | None:
    """The lock file of a SQLite database file; None for PostgreSQL or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = Path(url.database)
    return database.with_name(database.name + ".lock")


@contextmanager
def serving_alone(database_url: str) -> Iterator[None]:
    """Hold the database's lock file while inside; AlreadyServed if another process does."""
    path = lock_path(database_url)
    if path is None or fcntl is None:
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise AlreadyServed(str(path)) from None
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)
