"""`scorebot demo --tour`: plays a script of console lines (bot/offline/tour.txt) against the
real bot, with narration, on a fresh demo factory.

The script is plain text a reader can follow and edit:

    # a note for the reader of the script (not shown)
    ## narration, shown to the viewer as a heading
    start 2026-11-30 07:00     where the tour's clock begins (UTC), before the demo is made
    expect REGEX               the last step's output must match; (?P<name>...) keeps a value
    anything else              a console line, as typed at the console; {name} is a kept value
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.app import Application
from bot.clock import FakeClock
from bot.offline.console import Console, OffsetClock
from bot.offline.demo import seed_demo

TOUR_SCRIPT = Path(__file__).with_name("tour.txt")


class TourFailed(Exception):
    """The bot did not answer as the script expects."""


async def run_tour(app: Application, script: Path, *, files_dir: Path | None = None,
                   pace: float = 0.0, write: Callable[[str], None] = print) -> Console:
    """Play `script`; returns the console, still open (the caller closes it)."""
    lines = (await asyncio.to_thread(script.read_text, "utf-8")).splitlines()
    first = next((line.strip() for line in lines if line.strip()
                  and not line.lstrip().startswith("#")), "")
    if first.startswith("start "):
        start = datetime.fromisoformat(first.removeprefix("start ").strip())
        start = start.replace(tzinfo=start.tzinfo or UTC)
    else:
        start = app.clock.now().replace(second=0, microsecond=0)
    # The tour's time stands still between its steps, so it tells the same story each time.
    clock = OffsetClock(FakeClock(start))
    app.clock = clock
    app.dispatcher["clock"] = clock
    async with app.session_factory() as session, session.begin():
        await seed_demo(session, clock)
    step_output: list[str] = []

    def shown(text: str) -> None:
        step_output.append(text)
        write(text)

    console = await Console.open(app, write=shown, files_dir=files_dir)
    kept: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("start "):
            continue
        if line.startswith("##"):
            write("")
            write("=== " + line.lstrip("#").strip())
            if pace:
                await asyncio.sleep(pace)
            continue
        if line.startswith("#"):
            continue
        if line.startswith("expect "):
            pattern = re.sub(r"\{(\w+)\}", lambda m: re.escape(kept[m.group(1)])
                             if m.group(1) in kept else m.group(0),
                             line.removeprefix("expect ").strip())
            found = re.search(pattern, "\n".join(step_output))
            if found is None:
                raise TourFailed(f"{script.name} line {number}: expected {pattern!r}")
            kept.update({k: v for k, v in found.groupdict().items() if v is not None})
            continue
        line = re.sub(r"\{(\w+)\}", lambda m: kept.get(m.group(1), m.group(0)), line)
        who = console.current.name if console.current else ""
        if console.chat is not None and console.current is not None:
            who += f" in {console.groups[console.chat].title}"
        write(f"{who}> {line}")
        step_output.clear()
        if not await console.handle_line(line):
            break
        if pace and not line.startswith(":as"):
            await asyncio.sleep(pace / 2)
    return console
