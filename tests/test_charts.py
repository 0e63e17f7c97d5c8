"""Charts as a reader sees them on a phone: Chinese and Hindi labels drawn with real glyphs
(no "Glyph … missing" warning), a heading that is never cut off, legends of 10 pt or more."""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta

from PIL import Image

from bot import charts

WEEKS = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(8)]


def _chart(title: str, heading: str, baseline: str, target: str, locale: str,
           kpis: int = 2) -> bytes:
    series = [charts.Series(f"{title} {n + 1}", [(week, 4.0 - n * 0.3 + i * 0.1)
                                                   for i, week in enumerate(WEEKS)], 4.0, 2.0)
              for n in range(kpis)]
    return charts.small_multiples(
        series, heading=heading, baseline_label=baseline, target_label=target,
        date_label=lambda day: f"{day.day}/{day.month}", locale=locale)


def _glyph_warnings(draw) -> list[str]:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = draw()
    assert image.startswith(b"\x89PNG")
    return [str(w.message) for w in caught if "missing" in str(w.message).lower()]


def test_chinese_and_hindi_labels_have_their_glyphs():
    assert not charts.missing_font_packages(), (
        "install the chart fonts: apt-get install " + " ".join(charts.FONT_PACKAGES))
    assert _glyph_warnings(lambda: _chart(
        "每小时装箱数", "天津纺织厂：每周数据", "基线", "目标", "zh_Hans")) == []
    assert _glyph_warnings(lambda: _chart(
        "प्रति घंटा पैक बक्से", "जयपुर वस्त्र: साप्ताहिक आंकड़े", "आधार रेखा", "लक्ष्य", "hi")) == []
    # A Hindi reader sees a Chinese enterprise's name too, and the other way round.
    assert _glyph_warnings(lambda: charts.bar_panels(
        [("दोष दर", [("纺织 · CN", 3.5), ("वस्त्र · IN", -1.0)])], heading="कार्यक्रम",
        locale="hi")) == []


def test_the_single_kpi_chart_fits_a_phone_with_its_whole_heading(tmp_path):
    heading = ("Kumasi Metal Works and Fabrication Company Limited, Suame Magazine: "
               "weekly figures")
    figure = charts.small_multiples_figure(
        [charts.Series("Defect rate", [(w, 5.0 - i * 0.4) for i, w in enumerate(WEEKS)],
                       5.0, 2.0)],
        heading=heading, baseline_label="baseline", target_label="target",
        date_label=lambda day: day.strftime("%d %b"))
    assert figure.get_figwidth() <= 3.5  # inches: a phone's width, so points are points
    (axes,) = figure.axes
    assert all(text.get_fontsize() >= 10 for text in axes.get_legend().get_texts())
    assert all(label.get_fontsize() >= 9 for label in axes.get_xticklabels())

    image = charts.png(figure)
    (tmp_path / "single-kpi.png").write_bytes(image)
    picture = Image.open(io.BytesIO(image)).convert("L")
    width, height = picture.size
    # Nothing of the heading touches the left or right edge: it is not cut off.
    band = height // 4
    for x in (0, 1, width - 2, width - 1):
        assert min(picture.getpixel((x, y)) for y in range(band)) > 240, x
    rendered = figure.texts[0]
    box = rendered.get_window_extent(figure.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width and box.y1 <= figure.bbox.height
    assert rendered.get_text().replace("\n", " ") == heading


async def test_charts_are_drawn_off_the_event_loop_and_remembered_by_what_they_show():
    import threading

    drawn_on: list[str] = []

    def draw(label: str) -> bytes:
        drawn_on.append(threading.current_thread().name)
        return charts.png(charts.small_multiples_figure(
            [charts.Series(label, [(date(2026, 3, 2), 4.0), (date(2026, 3, 9), 3.5)])],
            heading="Kumasi Metal Works", baseline_label="baseline", target_label="target",
            date_label=str))

    first = await charts.drawn(("test", "Defect rate", 4.0), lambda: draw("Defect rate"))
    again = await charts.drawn(("test", "Defect rate", 4.0), lambda: draw("Defect rate"))
    other = await charts.drawn(("test", "Defect rate", 3.9), lambda: draw("Defect rate."))
    assert first == again and other != first
    # Drawn twice (the same key once), both times on the chart thread, not the event loop's.
    assert len(drawn_on) == 2 and all(name.startswith("charts") for name in drawn_on)
