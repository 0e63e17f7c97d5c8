"""Invite posters: an A4 page for a notice board, with the enterprise and team names, the QR
code of the invite link and one line telling people what to do, in the enterprise's language.

Drawn with matplotlib like the charts, so Chinese and Hindi text get the same fonts
(bot.charts.fonts_for). Without the link (the bot's name unknown) the poster shows the
message to send instead of a QR code, with a space to write the bot's name in."""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.constants
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.charts import fit_text, fonts_for, png

A4 = (8.27, 11.69)  # inches, portrait
DPI = 150


def qr_matrix(link: str) -> list[list[bool]]:
    """The QR code of `link` as rows of dark (True) and light modules, quiet zone included."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(link)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def invite_poster(*, enterprise: str, team: str | None, instruction: str, link: str | None,
                  command: str, locale: str) -> bytes:
    """The poster as PNG. `instruction` is already in the enterprise's language; `command`
    (/start TOKEN) is shown large when there is no `link` to make a QR code of."""
    fonts = fonts_for(locale)
    figure = Figure(figsize=A4, dpi=DPI)
    FigureCanvasAgg(figure)

    def line(y: float, text: str, size: float, smallest: float, **style: Any) -> None:
        artist = figure.text(0.5, y, text, ha="center", va="top", fontsize=size,
                             family=style.pop("family", fonts), parse_math=False, **style)
        fit_text(artist, figure, 0.88, smallest)

    line(0.95, enterprise, 34, 18, fontweight="bold")
    if team:
        line(0.875, team, 26, 16)
    if link is not None:
        axes = figure.add_axes((0.17, 0.33, 0.66, 0.66 * A4[0] / A4[1]))
        axes.imshow(qr_matrix(link), cmap="gray_r", interpolation="nearest")
        axes.set_axis_off()
        line(0.3, instruction, 22, 16)
        line(0.14, link, 14, 9, family=["DejaVu Sans Mono"])
    else:
        line(0.78, instruction, 22, 16)
        line(0.6, command, 40, 16, family=["DejaVu Sans Mono"], fontweight="bold")
        line(0.42, "Telegram: @____________________", 28, 16,
             family=["DejaVu Sans Mono"])
    return png(figure)
