"""KPI trend charts as SVG drawn on the server.

Why SVG from the server rather than a chart script or the bot's PNG: a panel is about 1-2 KB
of text (a PNG from matplotlib is 30-60 KB, a chart library 60-200 KB of script to download
and run on a cheap phone); it scales to any width without blur; it takes the Telegram theme's
colours through CSS variables; and it is accessible: each panel is an image named by its
heading, with the figures themselves in a table beside it for screen readers and for anyone
who wants the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape

WIDTH, HEIGHT = 320, 130
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 22


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def trend(series: list[tuple[date, float]], baseline: float | None, target: float | None, *,
          labelled_by: str, number: Callable[[float], str], day: Callable[[date], str]) -> str:
    """One KPI's weekly values as a line, with its baseline (dashed) and target (dotted)."""
    values = [v for _w, v in series] + [v for v in (baseline, target) if v is not None]
    if not values:
        return ""
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    def x(index: int) -> float:
        return LEFT + (plot_w * index / (len(series) - 1) if len(series) > 1 else plot_w / 2)

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="{escape(labelled_by)}" preserveAspectRatio="xMidYMid meet">',
             f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
             f'y2="{TOP + plot_h}"/>']
    for value, css in ((baseline, "baseline"), (target, "target")):
        if value is not None:
            parts.append(f'<line class="{css}" x1="{LEFT}" y1="{_fmt(y(value))}" '
                         f'x2="{WIDTH - RIGHT}" y2="{_fmt(y(value))}"/>')
            parts.append(f'<text class="{css}-label" x="{LEFT - 4}" y="{_fmt(y(value) + 4)}" '
                         f'text-anchor="end">{escape(number(value))}</text>')
    if series:
        points = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, (_w, v) in enumerate(series))
        if len(series) > 1:
            parts.append(f'<polyline class="line" points="{points}"/>')
        parts += [f'<circle class="dot" cx="{_fmt(x(i))}" cy="{_fmt(y(v))}" r="3"/>'
                  for i, (_w, v) in enumerate(series)]
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}">{escape(day(series[0][0]))}</text>')
        if len(series) > 1:
            parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end">'
                         f'{escape(day(series[-1][0]))}</text>')
    parts.append("</svg>")
    return "".join(parts)
