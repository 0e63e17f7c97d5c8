"""KPI charts as PNG images (matplotlib, Agg backend: no display needed).

Figures are built with the object API, never pyplot's global state, so charts can be drawn
from any task at the same time. Labels come translated from the caller.

Charts are read on phones: one column of panels, drawn at a phone's width (`PHONE_WIDTH`
inches) so that point sizes are what the reader sees; no text under 9 pt, legends 10 pt.
Headings too long for the width are made smaller, then wrapped, never cut off.

Fonts: DejaVu (matplotlib's own) has no Chinese or Devanagari glyphs. Those come from a
fallback list per locale (`fonts_for`), from fonts installed on the machine (Debian:
fonts-wqy-microhei and fonts-lohit-deva, see README "Setup"). matplotlib caches its list of
fonts; fonts installed after that cache was written are picked up here.

Drawing a chart takes a tenth of a second or more of CPU. `drawn` does it on one thread of
its own (matplotlib's font and text caches are not made for several threads at once), so the
event loop goes on answering other people's taps meanwhile, and remembers the last pictures
by what they show: on a Monday, the managers and leads of an enterprise asking for the same
week's chart get the one already drawn."""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

# Fonts for the scripts DejaVu lacks, the Debian ones first, then other systems' own.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
             "PingFang SC", "Microsoft YaHei")
DEVANAGARI_FONTS = ("Lohit Devanagari", "Noto Sans Devanagari", "Kohinoor Devanagari",
                    "Nirmala UI")
FONT_PACKAGES = ("fonts-wqy-microhei", "fonts-lohit-deva")
# File names of those fonts, to find them when matplotlib's cached font list predates them.
_FONT_FILES = ("wqy-microhei", "notosanscjk", "notosanssc", "lohit-devanagari",
               "lohit_hi", "notosansdevanagari")
_SCRIPT_FONTS = {"zh": CJK_FONTS, "hi": DEVANAGARI_FONTS}

PHONE_WIDTH = 3.2  # inches: a phone screen's width, where 1 pt on the chart is 1 pt seen
DPI = 300  # 960 pixels wide: sharp on a phone, small enough to send
LEGEND_PT = 10
TICK_PT = 9
TITLE_PT = 11
HEADING_PT = 12
MIN_HEADING_PT = 9

GOOD = "#1b7f3b"
LINE = "#1f4e79"
BASELINE = "#8a8a8a"


def _installed_fonts() -> set[str]:
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    if names.isdisjoint(CJK_FONTS) or names.isdisjoint(DEVANAGARI_FONTS):
        known = {entry.fname for entry in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            lowered = Path(path).name.lower()
            if path not in known and any(part in lowered for part in _FONT_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable font file
                    continue
        names = {entry.name for entry in font_manager.fontManager.ttflist}
    return names


_INSTALLED = _installed_fonts()
# Its only complaint while drawing is that a Chinese or Hindi font has no bold face (a
# regular one is used): not worth a line in the log for every chart.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def fonts_for(locale: str) -> list[str]:
    """The font fallback list for labels in `locale`: DejaVu first (Latin letters and
    digits), then the locale's own script, then the other scripts (names typed in another
    language), each only if installed. matplotlib takes each glyph from the first font in
    the list that has it."""
    own = _SCRIPT_FONTS.get(locale.split("_")[0], ())
    order = ["DejaVu Sans", *own, *CJK_FONTS, *DEVANAGARI_FONTS]
    return [name for index, name in enumerate(order)
            if name in _INSTALLED and name not in order[:index]] or ["DejaVu Sans"]


def missing_font_packages() -> list[str]:
    """Debian packages still needed for Chinese and Hindi labels (empty when covered)."""
    missing = []
    if _INSTALLED.isdisjoint(CJK_FONTS):
        missing.append(FONT_PACKAGES[0])
    if _INSTALLED.isdisjoint(DEVANAGARI_FONTS):
        missing.append(FONT_PACKAGES[1])
    return missing


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
    locale: str = "en",
) -> bytes:
    """One small chart per KPI, one under the other: the trend with baseline and target
    lines. Dates and numbers on the axes are written by the caller's functions (Babel, per
    locale)."""
    return png(small_multiples_figure(
        series, heading=heading, baseline_label=baseline_label, target_label=target_label,
        date_label=date_label, number_label=number_label, locale=locale))


def small_multiples_figure(
    series: list[Series], *, heading: str, baseline_label: str, target_label: str,
    date_label: Callable[[date], str], number_label: Callable[[float], str] = "{:g}".format,
    locale: str = "en",
) -> Figure:
    """`small_multiples` as a matplotlib Figure (to look at its parts)."""
    shown = series or [Series("–", [])]
    return _grid(len(shown), 2.3, heading, locale, lambda index, axes: _panel(
        axes, shown[index], baseline_label, target_label, date_label, number_label,
        fonts_for(locale)))


_DRAWER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")
_DRAWN: OrderedDict[Hashable, bytes] = OrderedDict()
DRAWN_KEPT = 64  # pictures remembered (a phone-width chart is 30-120 KB)


async def drawn(key: Hashable, draw: Callable[[], bytes]) -> bytes:
    """`draw()` run on the chart thread, or the picture it made last time for `key`. The key
    must hold everything the picture shows (figures, labels, locale), so that a changed
    figure is a new key and nothing stale is ever sent."""
    found = _DRAWN.get(key)
    if found is not None:
        _DRAWN.move_to_end(key)
        return found
    context = contextvars.copy_context()  # the update's locale, for anything translated
    picture = await asyncio.get_running_loop().run_in_executor(_DRAWER, context.run, draw)
    _DRAWN[key] = picture
    while len(_DRAWN) > DRAWN_KEPT:
        _DRAWN.popitem(last=False)
    return picture


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _grid(count: int, panel_height: float, heading: str, locale: str,
          draw: Callable[[int, Any], None]) -> Figure:
    """`count` panels in one column, each drawn by `draw(index, axes)`, under a heading that
    fits the width."""
    fonts = fonts_for(locale)
    figure = Figure(figsize=(PHONE_WIDTH, panel_height * count + 0.7), dpi=DPI,
                    layout="constrained")
    FigureCanvasAgg(figure)
    # parse_math=False: a name with "$" in it is a name, not a formula.
    title = figure.suptitle(heading, fontsize=HEADING_PT, fontweight="bold", family=fonts,
                            parse_math=False)
    fit_text(title, figure, 0.94, MIN_HEADING_PT)
    for index in range(count):
        axes = figure.add_subplot(count, 1, index + 1)
        draw(index, axes)
        fit_text(axes.title, figure, 0.9, TICK_PT)
    return figure


def fit_text(text: Any, figure: Figure, share: float, smallest: float) -> None:
    """Make `text` fit `share` of the figure's width: smaller, down to `smallest` points,
    then on several lines (between words, or between characters in Chinese)."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas has it; the base class does not say so
    room = figure.bbox.width * share

    def width() -> float:
        return float(text.get_window_extent(renderer).width)

    size = text.get_fontsize()
    while width() > room and size > smallest:
        size -= 1
        text.set_fontsize(size)
    if width() <= room:
        return
    whole = text.get_text()
    spaced = " " in whole.strip()
    parts = whole.split(" ") if spaced else list(whole)
    joiner = " " if spaced else ""
    lines: list[str] = []
    line = ""
    for part in parts:
        candidate = f"{line}{joiner}{part}" if line else part
        text.set_text(candidate)
        if line and width() > room:
            lines.append(line)
            line = part
        else:
            line = candidate
    lines.append(line)
    text.set_text("\n".join(lines))


def _panel(axes: Axes, item: Series, baseline_label: str, target_label: str,
           date_label: Callable[[date], str], number_label: Callable[[float], str],
           fonts: list[str]) -> None:
    axes.set_title(item.title, fontsize=TITLE_PT, family=fonts, parse_math=False)
    if item.points:
        xs = list(range(len(item.points)))
        axes.plot(xs, [value for _, value in item.points], marker="o", color=LINE,
                  linewidth=2)
        step = max(1, (len(xs) + 3) // 4)  # at most four dates: they must be readable
        axes.set_xticks(xs[::step], [date_label(day) for day, _ in item.points][::step],
                        fontsize=TICK_PT, family=fonts)
    if item.baseline is not None:
        axes.axhline(item.baseline, color=BASELINE, linestyle="--", linewidth=1,
                     label=baseline_label)
    if item.target is not None:
        axes.axhline(item.target, color=GOOD, linestyle=":", linewidth=1.5, label=target_label)
    if item.baseline is not None or item.target is not None:
        axes.legend(loc="best", prop={"family": fonts, "size": LEGEND_PT})
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: number_label(value)))
    axes.tick_params(axis="both", labelsize=TICK_PT)
    axes.grid(alpha=0.3)


def bar_panels(panels: list[tuple[str, list[tuple[str, float]]]], *, heading: str,
               number_label: Callable[[float], str] = "{:g}".format,
               locale: str = "en") -> bytes:
    """One small horizontal bar chart per figure (e.g. per group of enterprises), one under
    the other; a panel with no bars says so with a dash."""
    panels = panels or [("–", [])]
    fonts = fonts_for(locale)
    most = max(len(bars) for _title, bars in panels)

    def draw(index: int, axes: Any) -> None:
        title, bars = panels[index]
        axes.set_title(title, fontsize=TITLE_PT, family=fonts, parse_math=False)
        values = [value for _label, value in bars]
        positions = list(range(len(bars)))
        axes.barh(positions, values, color=[GOOD if v >= 0 else BASELINE for v in values])
        axes.set_yticks(positions, [label for label, _value in bars], fontsize=TICK_PT,
                        family=fonts)
        axes.invert_yaxis()
        for position, value in zip(positions, values, strict=True):
            axes.annotate(number_label(value), (value, position), fontsize=TICK_PT,
                          xytext=(3, 0), textcoords="offset points", va="center")
        axes.axvline(0, color=BASELINE, linewidth=0.8)
        axes.tick_params(axis="x", labelsize=TICK_PT)
        axes.grid(alpha=0.3, axis="x")

    return png(_grid(len(panels), 1.0 + 0.3 * most, heading, locale, draw))
