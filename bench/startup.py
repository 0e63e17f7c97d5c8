"""(e) Start-up: how long `scorebot --help` and one admin command take to start and finish,
against a bare `python -c pass` measured in the same run (the ratio is what stays comparable
from one machine to another). The issue's target: each under a second."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import table, verdict

TARGET_SECONDS = 1.0


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def measure(tmp: Path, repeats: int) -> list[tuple[str, float]]:
    """Median wall-clock seconds of each command, runs interleaved so they share the
    machine's state."""
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'startup.db'}"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "scorebot --help": [sys.executable, "-m", "bot", "--help"],
        "scorebot admin enterprise list": [sys.executable, "-m", "bot", "admin", "enterprise",
                                           "list"],
    }
    _timed(commands["scorebot admin enterprise list"], env, tmp)  # creates the schema once
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            times[name].append(_timed(command, env, tmp))
    return [(name, statistics.median(values)) for name, values in times.items()]


def startup_table(tmp: Path, quick: bool) -> str:
    results = measure(tmp, 3 if quick else 9)
    bare = results[0][1]
    rows = [[name, f"{seconds * 1000:.0f}", f"{seconds / bare:.1f}",
             "-" if name.startswith("python") else verdict(seconds < TARGET_SECONDS)]
            for name, seconds in results]
    notes = ["Median of the runs; each command in a fresh process, the admin command on a "
             "SQLite database already at the newest schema.",
             f"Target: under {TARGET_SECONDS:.0f} s each; the ratio is against `python -c pass`."]
    return table("(e) Start-up of the command line", ["command", "ms", "x python -c pass",
                                                      "target"], rows, notes)
