"""Draw charts as PNG bytes with matplotlib's Agg backend (no display, safe off the loop)."""

from __future__ import annotations

import asyncio
import io
import textwrap
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import ParamSpec, TypeVar

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# Matplotlib does not promise thread safety: every chart is drawn here, one at a time.
_DRAWING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")

_P = ParamSpec("_P")
_T = TypeVar("_T")

CURRENT_COLOUR = "#1f6f8b"
PREVIOUS_COLOUR = "#b8c7cf"
SUPPRESSED_COLOUR = "#888888"
LABEL_WIDTH = 26


@dataclass(frozen=True)
class BarRow:
    """One factor in a panel; None values are suppressed (fewer than the threshold)."""

    label: str
    current: int | None
    previous: int | None
    arrow: str = ""


@dataclass(frozen=True)
class Panel:
    """One place's bars."""

    title: str
    rows: tuple[BarRow, ...]


@dataclass(frozen=True)
class BarChart:
    """A side-by-side bar chart: one panel per place, same factors in the same order."""

    title: str
    panels: tuple[Panel, ...]
    current_label: str
    previous_label: str
    suppressed_label: str


def plain(text: str) -> str:
    """Drop emoji and other pictographs: the chart font has none, they would print as boxes."""
    kept = (
        c
        for c in text
        if unicodedata.category(c) != "So" and c not in "\ufe0f\u200d" and ord(c) < 0x1F000
    )
    return " ".join("".join(kept).split())


def render_png(chart: BarChart, *, dpi: int = 100) -> bytes:
    """Render the chart as a PNG image and return its bytes."""
    rows = max((len(p.rows) for p in chart.panels), default=1)
    # The object API (no pyplot) keeps no global state, so renders may run in threads.
    figure = Figure(figsize=(4.2 * len(chart.panels) + 2.2, 0.42 * rows + 1.6), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(chart.panels), sharey=True, squeeze=False)[0]
    height = 0.38
    for index, (ax, panel) in enumerate(zip(axes, chart.panels, strict=True)):
        positions = list(range(len(panel.rows)))
        current = [r.current or 0 for r in panel.rows]
        previous = [r.previous or 0 for r in panel.rows]
        if chart.previous_label:
            ax.barh(
                [p + height / 2 for p in positions],
                previous,
                height,
                color=PREVIOUS_COLOUR,
                label=chart.previous_label,
            )
        ax.barh(
            [p - height / 2 for p in positions],
            current,
            height,
            color=CURRENT_COLOUR,
            label=chart.current_label,
        )
        top = max([*current, *previous, 1])
        for position, row in zip(positions, panel.rows, strict=True):
            if row.current is None:
                text, colour, x = chart.suppressed_label, SUPPRESSED_COLOUR, 0.0
            else:
                text, colour, x = f"{row.current} {row.arrow}".strip(), "black", row.current
            ax.text(
                x + top * 0.02, position - height / 2, text, va="center", fontsize=8, color=colour
            )
        ax.set_xlim(0, top * 1.3)
        ax.set_title(plain(panel.title), fontsize=10)
        ax.tick_params(axis="x", labelsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if index == 0:
            ax.set_yticks(positions)
            ax.set_yticklabels(
                [textwrap.fill(plain(r.label), LABEL_WIDTH) for r in panel.rows], fontsize=7.5
            )
    # The y axis is shared: inverting it once puts the first row on top in every panel.
    axes[0].invert_yaxis()
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(
        handles[::-1], labels[::-1], loc="lower center", ncol=2, fontsize=8, frameon=False
    )
    figure.suptitle(plain(chart.title), fontsize=11)
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def draw(chart: BarChart) -> bytes:
    """Render a chart off the event loop (~150 ms of CPU), identical charts only once."""
    return await asyncio.get_running_loop().run_in_executor(_DRAWING, _cached_png, chart)


@lru_cache(maxsize=256)
def _cached_png(chart: BarChart) -> bytes:
    # People of one core and role mostly see the same numbers: draw each distinct chart once.
    return render_png(chart)


async def draw_off_loop(fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run a drawing function in the one drawing thread, off the event loop."""
    call = partial(fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_DRAWING, call)
