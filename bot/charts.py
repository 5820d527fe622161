"""Charts as PNG bytes, drawn with matplotlib's Agg canvas (no pyplot, no GUI, no global state), so a
chart can be rendered in a worker thread: `await asyncio.to_thread(daily_diamonds_chart, days)`."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BAR_COLOUR = "#9b59b6"


@dataclass(frozen=True)
class ChartImage:
    png: bytes
    bars: int  # bars drawn (one per day), read from the axes before saving


def daily_diamonds_chart(days: Sequence[tuple[date, int]], title: str = "Diamonds per day") -> ChartImage:
    """A bar per (day, diamonds) pair, in order; days without gifts are zero-height bars."""
    figure = Figure(figsize=(8, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(days)))
    container = axes.bar(positions, [value for _, value in days], color=BAR_COLOUR, width=0.8)
    step = max(1, len(days) // 10)
    axes.set_xticks(positions[::step], [day.strftime("%d %b") for day, _ in days][::step], fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("diamonds")
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_ylim(bottom=0)
    figure.tight_layout()
    bars = len(container.patches)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return ChartImage(buffer.getvalue(), bars)
