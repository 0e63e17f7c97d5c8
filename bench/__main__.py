"""`python -m bench [--quick] [--only updates,outbox,scheduler,memory,startup]` (or `make bench`);
`--growth` for how the cost of a tap grows (1, 8, 32 in flight; up to 100,000 people),
`--profile` for where the time of one quiz answer goes (needs `pip install -e ".[bench]"`).

SQLite always (a database in a temporary directory). PostgreSQL and Redis when
BENCH_DATABASE_URL (emptied!) and BENCH_REDIS_URL are set. See README "Performance".
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

from bench.harness import FakeApiProcess, table, verdict

PARTS = ("updates", "outbox", "scheduler", "memory", "startup")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def databases(tmp: Path, name: str) -> list[tuple[str, str]]:
    found = [("SQLite", f"sqlite+aiosqlite:///{tmp / name}")]
    if url := os.environ.get("BENCH_DATABASE_URL"):
        from bot.config import normalize_database_url

        found.append(("PostgreSQL", normalize_database_url(url)))
    return found


# Targets of issue 17: the bot's own work costs no more than the Bot API calls it must
# make, and a tap is answered within a tenth of a second (PostgreSQL: 60 ms) at 8 in flight.
PER_CALL_TARGET = 0.5
P95_TARGET_MS = {"SQLite": 100.0, "PostgreSQL": 60.0}


def per_call_ratio(result: dict) -> float:  # type: ignore[type-arg]  # a bench result
    """updates/s x Bot API calls per update / echo updates/s (the echo makes one an update)."""
    real, echo = result["real"], result["echo"]
    return real.rate * real.calls_per_update / (echo.rate * max(echo.calls_per_update, 1.0))


def _sound(result: dict) -> bool:  # type: ignore[type-arg]  # a bench result
    return (not result["errors"] and result.get("checked", True)
            and set(result["real"].statuses) == {"200"})


async def updates_table(api: FakeApiProcess, tmp: Path, quick: bool) -> str:
    from bench.updates import CONCURRENCY, run_updates

    count = 300 if quick else 1500
    rows, notes = [], []
    for label, url in databases(tmp, "updates.db"):
        for result in await run_updates(api, url, count):
            real, echo = result["real"], result["echo"]
            per_call = per_call_ratio(result)
            p95 = real.percentile(95) * 1000
            sound = _sound(result)
            rows.append([label, result["scenario"], real.updates, f"{real.rate:.0f}",
                         f"{real.percentile(50) * 1000:.1f}", f"{p95:.1f}",
                         f"{echo.rate:.0f}", f"{echo.percentile(95) * 1000:.1f}",
                         f"{real.rate / echo.rate:.2f}", f"{real.calls_per_update:.1f}",
                         f"{per_call:.2f}", verdict(sound and per_call >= PER_CALL_TARGET),
                         verdict(sound and p95 <= P95_TARGET_MS[label])])
            if not sound:
                notes.append(f"{label} {result['scenario']}: {result['errors']} errors "
                             f"({result['first_error']}), outcome checked: "
                             f"{result.get('checked')}")
    notes += [f"{CONCURRENCY} updates in flight; latency = webhook POST until the bot answers "
              "(update handled and committed). Calls = Bot API calls per update, counted at "
              "the fake Bot API; the echo bot makes one.",
              "ratio = upd/s / echo upd/s; per call = upd/s x calls / echo upd/s. Targets: "
              f"per call >= {PER_CALL_TARGET}; p95 <= "
              + ", ".join(f"{ms:.0f} ms on {db}" for db, ms in P95_TARGET_MS.items()) + "."]
    return table("(a) Updates: real handlers vs a bare aiogram echo bot",
                 ["database", "scenario", "updates", "upd/s", "p50 ms", "p95 ms", "echo upd/s",
                  "echo p95", "ratio", "calls", "per call", "target", "p95 target"],
                 rows, notes)


GROWTH_IN_FLIGHT = (1, 8, 32)
GROWTH_PEOPLE = (1_000, 10_000, 100_000)


async def growth_table(api: FakeApiProcess, tmp: Path, quick: bool) -> str:
    """How the cost of a quiz answer grows: 8 in flight against 1 and 32 (with the people
    of the data set at its smallest), then 1,000, 10,000 and 100,000 people at 8 in flight."""
    from bench.updates import CONCURRENCY, run_updates

    count = 300 if quick else 1000
    runs = [(n, GROWTH_PEOPLE[0]) for n in GROWTH_IN_FLIGHT] + [
        (CONCURRENCY, people) for people in GROWTH_PEOPLE[1:]]
    rows: dict[str, list[list[object]]] = {}
    for n, (in_flight, people) in enumerate(runs):
        for label, url in databases(tmp, f"growth-{n}.db"):  # a fresh database each run
            (result,) = await run_updates(api, url, count, scenarios=("quiz answer",),
                                          concurrency=in_flight, people=people)
            real, echo = result["real"], result["echo"]
            rows.setdefault(label, []).append([
                label, in_flight, f"{_people(count, people):,}", f"{real.rate:.0f}",
                f"{real.percentile(50) * 1000:.1f}", f"{real.percentile(95) * 1000:.1f}",
                f"{echo.rate:.0f}", f"{echo.percentile(95) * 1000:.1f}",
                f"{per_call_ratio(result):.2f}",
                "ok" if _sound(result) else f"{result['errors']} errors"])
    notes = [f"{count} quiz answers a run, each run on a fresh database; the echo bot answers "
             "the same updates at the same number in flight.",
             "At 32 in flight the latency is mostly queueing for the CPU: one process, one "
             "event loop, on cores shared with the fake Bot API."]
    return table("(a') Growth: a quiz answer at 1, 8 and 32 in flight, and with 10x and 100x "
                 "the people",
                 ["database", "in flight", "people", "upd/s", "p50 ms", "p95 ms", "echo upd/s",
                  "echo p95", "per call", "outcome"],
                 [row for label_rows in rows.values() for row in label_rows], notes)


def _people(updates: int, people: int) -> int:
    """The people a run's data set really holds (bench.updates._prepare)."""
    from bench.dataset import PEOPLE_PER_ENTERPRISE

    return max(updates // 2 + 1, people // PEOPLE_PER_ENTERPRISE) * PEOPLE_PER_ENTERPRISE


async def profile_text(api: FakeApiProcess, tmp: Path, quick: bool) -> str:
    from bench.updates import profile_quiz

    out = []
    for label, url in databases(tmp, "profile.db"):
        out.append(f"Profile of a quiz answer, {label}\n"
                   + await profile_quiz(api, url, 120 if quick else 520))
    return "\n".join(out)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smaller runs (a couple of minutes); the README figures are full")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated parts to run: {','.join(PARTS)} (default: all; "
                             "none with --growth or --profile)")
    parser.add_argument("--growth", action="store_true",
                        help="how a quiz answer's cost grows with updates in flight and people")
    parser.add_argument("--profile", action="store_true",
                        help="profile quiz answers with pyinstrument (the [bench] extra)")
    args = parser.parse_args(argv)
    only = args.only if args.only is not None else (
        "" if args.growth or args.profile else ",".join(PARTS))
    parts = [p.strip() for p in only.split(",") if p.strip()]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiogram").setLevel(logging.CRITICAL)  # refusals are counted, not shown
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped" while a wave drains
    print(f"scorebot benchmarks ({'quick' if args.quick else 'full'}) on {machine()}\n",
          flush=True)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scorebot-bench-") as directory:
        tmp = Path(directory)
        if "startup" in parts:
            from bench.startup import startup_table

            print(startup_table(tmp, args.quick), flush=True)
        async with FakeApiProcess() as api:
            if "updates" in parts:
                print(await updates_table(api, tmp, args.quick), flush=True)
            if args.growth:
                print(await growth_table(api, tmp, args.quick), flush=True)
            if args.profile:
                print(await profile_text(api, tmp, args.quick), flush=True)
            if "outbox" in parts:
                from bench.outbox import outbox_table

                print(await outbox_table(api, tmp, args.quick, databases), flush=True)
                from bench.outbox_whatsapp import whatsapp_outbox_table

                print(await whatsapp_outbox_table(tmp, args.quick, databases), flush=True)
        if "scheduler" in parts or "memory" in parts:
            from bench.scheduler import memory_table, scheduler_table

            if "scheduler" in parts:
                print(await scheduler_table(tmp, args.quick, databases), flush=True)
            if "memory" in parts:
                print(await memory_table(tmp, args.quick, databases), flush=True)
    print(f"done in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
