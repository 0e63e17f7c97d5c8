"""`python -m bench [--quick] [--only updates,outbox,scheduler,memory,startup]` (or `make bench`).

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


async def updates_table(api: FakeApiProcess, tmp: Path, quick: bool) -> str:
    from bench.updates import CONCURRENCY, run_updates

    count = 300 if quick else 1500
    rows, notes = [], []
    for label, url in databases(tmp, "updates.db"):
        for result in await run_updates(api, url, count):
            real, echo = result["real"], result["echo"]
            ratio = real.rate / echo.rate
            ok = ratio >= 0.5 and not result["errors"] and result["checked"] and set(
                real.statuses) == {"200"}
            rows.append([label, result["scenario"], real.updates, f"{real.rate:.0f}",
                         f"{real.percentile(50) * 1000:.1f}", f"{real.percentile(95) * 1000:.1f}",
                         f"{echo.rate:.0f}", f"{ratio:.2f}", verdict(ok)])
            if result["errors"] or not result["checked"]:
                notes.append(f"{label} {result['scenario']}: {result['errors']} errors "
                             f"({result['first_error']}), outcome checked: {result['checked']}")
    notes += [f"{CONCURRENCY} updates in flight; latency = webhook POST until the bot answers "
              "(update handled and committed).",
              "Target: real handlers >= 0.5x the echo bot's updates/s on the same harness."]
    return table("(a) Updates: real handlers vs a bare aiogram echo bot",
                 ["database", "scenario", "updates", "upd/s", "p50 ms", "p95 ms", "echo upd/s",
                  "ratio", "target"], rows, notes)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smaller runs (a couple of minutes); the README figures are full")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run: {','.join(PARTS)}")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
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
            if "outbox" in parts:
                from bench.outbox import outbox_table

                print(await outbox_table(api, tmp, args.quick, databases), flush=True)
        if "scheduler" in parts or "memory" in parts:
            from bench.scheduler import memory_table, scheduler_table

            if "scheduler" in parts:
                print(await scheduler_table(tmp, args.quick, databases), flush=True)
            if "memory" in parts:
                print(await memory_table(tmp, args.quick, databases), flush=True)
    print(f"done in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
