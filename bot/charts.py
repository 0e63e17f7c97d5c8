"""KPI charts as PNG images (matplotlib, Agg backend: no display needed).

Figures are built with the object API, never pyplot's global state, so charts can be drawn
from any task at the same time. Labels come translated from the caller."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

# Fallback fonts for scripts DejaVu lacks (Chinese, Devanagari), used where installed
# (Debian: fonts-noto-cjk, fonts-noto-core). Without them those labels show as boxes.
_WANTED_FONTS = ("DejaVu Sans", "Noto Sans CJK SC", "Noto Sans Devanagari")
_INSTALLED = {entry.name for entry in font_manager.fontManager.ttflist}
FONTS = [name for name in _WANTED_FONTS if name in _INSTALLED] or ["DejaVu Sans"]
GOOD = "#1b7f3b"
LINE = "#1f4e79"
BASELINE = "#8a8a8a"


@dataclass(frozen=True)
class Series:
    title: str
    points: list[tuple[date, float]]
    baseline: float | None = None
    target: float | None = None


def small_multiples(
    series: list[Series],
    *,
    heading: str,
    baseline_label: str,
    target_label: str,
    date_label: Callable[[date], str],
    number_label: Callable[[float], str] = "{:g}".format,
) -> bytes:
    """One small chart per KPI, in two columns: the trend with baseline and target lines.
    Dates and numbers on the axes are written by the caller's functions (Babel, per locale)."""
    return _grid(len(series) or 1, (4.2, 2.6), heading, lambda index, axes: _panel(
        axes, (series or [Series("–", [])])[index], baseline_label, target_label, date_label,
        number_label))


def _grid(count: int, size: tuple[float, float], heading: str,
          draw: Callable[[int, Any], None]) -> bytes:
    """`count` panels in two columns (one if there is one), each drawn by `draw(index, axes)`,
    under a heading, as a PNG."""
    columns = 1 if count == 1 else 2
    rows = (count + columns - 1) // columns
    figure = Figure(figsize=(size[0] * columns, size[1] * rows + 0.6), dpi=100)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A missing font or glyph only costs the look of a label: never fail a chart for it.
        warnings.filterwarnings("ignore", message=".*[Gg]lyph.*missing")
        figure.suptitle(heading, fontsize=12, fontweight="bold", family=FONTS)
        for index in range(count):
            draw(index, figure.add_subplot(rows, columns, index + 1))
        figure.tight_layout()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _panel(axes, item: Series, baseline_label: str, target_label: str,  # type: ignore[no-untyped-def]
           date_label: Callable[[date], str], number_label: Callable[[float], str]) -> None:
    axes.set_title(item.title, fontsize=10, family=FONTS)
    if item.points:
        xs = list(range(len(item.points)))
        axes.plot(xs, [value for _, value in item.points], marker="o", color=LINE,
                  linewidth=2)
        step = max(1, len(xs) // 4)
        axes.set_xticks(xs[::step], [date_label(day) for day, _ in item.points][::step],
                        fontsize=8, family=FONTS)
    if item.baseline is not None:
        axes.axhline(item.baseline, color=BASELINE, linestyle="--", linewidth=1,
                     label=baseline_label)
    if item.target is not None:
        axes.axhline(item.target, color=GOOD, linestyle=":", linewidth=1.5, label=target_label)
    if item.baseline is not None or item.target is not None:
        axes.legend(fontsize=7, loc="best", prop={"family": FONTS, "size": 7})
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: number_label(value)))
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(alpha=0.3)


def bar_panels(panels: list[tuple[str, list[tuple[str, float]]]], *, heading: str,
               number_label: Callable[[float], str] = "{:g}".format) -> bytes:
    """One small horizontal bar chart per figure (e.g. per group of enterprises), in two
    columns; a panel with no bars says so with a dash."""
    panels = panels or [("–", [])]

    def draw(index: int, axes: Any) -> None:
        title, bars = panels[index]
        axes.set_title(title, fontsize=9, family=FONTS)
        values = [value for _label, value in bars]
        positions = list(range(len(bars)))
        axes.barh(positions, values, color=[GOOD if v >= 0 else BASELINE for v in values])
        axes.set_yticks(positions, [label for label, _value in bars], fontsize=8, family=FONTS)
        axes.invert_yaxis()
        for position, value in zip(positions, values, strict=True):
            axes.annotate(number_label(value), (value, position), fontsize=7, xytext=(3, 0),
                          textcoords="offset points", va="center")
        axes.axvline(0, color=BASELINE, linewidth=0.8)
        axes.tick_params(axis="x", labelsize=7)
        axes.grid(alpha=0.3, axis="x")

    return _grid(len(panels), (5.2, 2.4), heading, draw)
