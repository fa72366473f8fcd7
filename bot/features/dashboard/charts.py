"""Draw the dashboard's charts and tile maps as SVG to inline in its pages, byte-stable.

Every chart is an ``<svg>`` element without XML declaration or DOCTYPE, whose first children
are its ``<title>`` and ``<desc>`` (named by ``aria-labelledby`` and ``aria-describedby``),
scaled by its ``viewBox`` to the width of its container. The pages pass every word shown (no
text is written here) and follow each chart with its data table.

The two charts are drawn by matplotlib, then rewritten: matplotlib styles every element with a
``style`` attribute and one ``<style>`` element, which the dashboard's Content-Security-Policy
(``style-src 'self'``) makes the browser ignore, so they become presentation attributes; its
group ids (``figure_1``, ``axes_1``...) would clash between two charts of one page, so only the
ids something refers to are kept, renamed from a hash of the chart's content.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import textwrap
import unicodedata
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from io import StringIO
from typing import Any

import matplotlib
import matplotlib.style
from markupsafe import escape
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from bot.shared.charts import CURRENT_COLOUR, draw_off_loop

logger = logging.getLogger(__name__)

SVG_NS = "http://www.w3.org/2000/svg"
# DejaVu Sans is the font matplotlib lays the text out with; Verdana has nearly its widths.
FONT_FAMILY = "'DejaVu Sans', Verdana, Geneva, sans-serif"

# Colours of graphics keep 3:1 against the white background (WCAG 1.4.11), text 4.5:1.
PLACE_COLOUR = CURRENT_COLOUR
REFERENCE_COLOUR = "#b35806"
PREVIOUS_FACE = "#ffffff"
PREVIOUS_EDGE = "#4d5d66"
HIDDEN_FACE = "#ececec"
HIDDEN_HATCH = "#767676"
MUTED_TEXT = "#595959"
GRID_COLOUR = "#dddddd"
AXIS_COLOUR = "#595959"
# A sequential scale, light to dark (ColorBrewer "Blues"; its fourth class one step darker,
# so that white text on it keeps 5:1 instead of black text at 4.8:1).
MAP_SCALE = ("#eff3ff", "#bdd7e7", "#6baed6", "#2171b5", "#08519c")
MAP_TEXT_DARK = "#000000"
MAP_TEXT_LIGHT = "#ffffff"
MAP_EDGE = "#4d4d4d"
MAP_NO_DATA = "#ffffff"

# Matplotlib lays text out with DejaVu Sans, which has no emoji and no Arabic: the browser
# draws them (the text stays text), the warnings are noise.
warnings.filterwarnings(
    "ignore", r"Glyph \d+ .*missing from", UserWarning, r"bot\.features\.dashboard\.charts"
)


@dataclass(frozen=True)
class Series:
    """One line of figures, one value a week; None is a value hidden (fewer than k people)."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Tile:
    """One square of a tile map; `shown` False hides the value (fewer than k people).

    A shown tile without value has no data. `name` (the full name, when `label` is short) is
    the tile's description and tooltip; its accessible name starts with the visible label.
    """

    key: str
    label: str
    row: int
    col: int
    value: int | None
    href: str | None
    shown: bool
    name: str = ""


# --------------------------------------------------------------------------- text


def _xml_text(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/F)."""
    return "".join(
        c
        for c in text
        if c in "\t\n\r"
        or (c >= " " and not ("\ud800" <= c <= "\udfff") and c not in "\ufffe\uffff")
    )


def _mpl(text: str) -> str:
    """Prepare caller text for matplotlib: XML-safe, and a `$` never starts mathtext."""
    return _xml_text(text).replace("$", r"\$")


def _one_line(text: str) -> str:
    """Collapse whitespace, for an attribute."""
    return " ".join(_xml_text(text).split())


def _esc(text: str) -> str:
    """Escape text for an element or a double-quoted attribute."""
    return str(escape(_xml_text(text)))


def _digest(*parts: object) -> str:
    """Return a short id prefix derived from the content (stable across processes)."""
    return "c" + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:10]


def _wrap(text: str, width: int, lines: int) -> str:
    """Wrap a label into at most `lines` lines of about `width` characters."""
    return "\n".join(
        textwrap.wrap(" ".join(text.split()), width, max_lines=lines, placeholder="…") or [""]
    )


# --------------------------------------------------------------------------- SVG rewriting

_PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linejoin",
        "stroke-linecap",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-miterlimit",
        "opacity",
        "clip-path",
        "font-size",
        "font-family",
        "font-weight",
        "font-style",
        "font-variant",
        "font-stretch",
        "text-anchor",
        "dominant-baseline",
    }
)
_GEOMETRY = frozenset(
    {"d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "transform"}
)
_NUMBER = re.compile(r"-?\d+\.\d+")
_REFERENCE = re.compile(r"url\(#([^)]+)\)")
_NO_ROTATION = re.compile(r"^rotate\(-?0 [^)]*\)$")
_TEXT_ELEMENTS = frozenset({"text", "tspan", "title", "desc"})
_ROUNDED = _GEOMETRY | {"stroke-width", "stroke-dasharray", "stroke-dashoffset", "font-size"}


def _round(match: re.Match[str]) -> str:
    """Round one decimal number to two places (0.01 pt is far below a pixel)."""
    text = f"{float(match.group()):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _local(name: str) -> str:
    """Drop the namespace of an ElementTree tag or attribute name."""
    return name.rsplit("}", 1)[-1]


def _refs(element: ET.Element) -> Iterator[str]:
    """Yield the ids an element's attributes refer to."""
    for key, value in element.attrib.items():
        if _local(key) == "href" and value.startswith("#"):
            yield value[1:]
        else:
            yield from _REFERENCE.findall(value)


def _declarations(style: str) -> Iterator[tuple[str, str]]:
    """Split a CSS declaration list into (property, value) pairs."""
    for item in style.split(";"):
        name, _, value = item.partition(":")
        if name.strip() and value.strip():
            yield name.strip(), value.strip()


def _attributes(element: ET.Element, ids: dict[str, str]) -> dict[str, str]:
    """Return an element's attributes as presentation attributes, ids renamed, rounded."""
    out: dict[str, str] = {}
    for key, value in element.attrib.items():
        name = _local(key)
        if name == "style":
            for prop, prop_value in _declarations(value):
                if prop == "font-family" and prop_value == "'DejaVu Sans'":
                    continue  # inherited from the root, with fallbacks
                if prop in _PRESENTATION:
                    out[prop] = prop_value
                else:
                    logger.debug("chart: CSS property %s dropped", prop)
            continue
        if name == "id":
            if value in ids:
                out["id"] = ids[value]
            continue
        if name == "transform" and _NO_ROTATION.match(value):
            continue
        out[name] = value
    for name, value in out.items():
        if name in _ROUNDED:
            out[name] = _NUMBER.sub(_round, " ".join(value.split()))
        elif name == "href" and value.startswith("#"):
            out[name] = "#" + ids.get(value[1:], value[1:])
        elif "url(#" in value:
            out[name] = _REFERENCE.sub(lambda m: f"url(#{ids.get(m[1], m[1])})", value)
    return out


def _write(element: ET.Element, ids: dict[str, str], out: list[str]) -> None:
    """Serialise an element (no namespaces, no indentation), unwrapping bare groups."""
    tag = _local(element.tag)
    if tag in {"metadata", "style"}:
        return
    attributes = _attributes(element, ids)
    children = list(element)
    if tag == "g" and not attributes:
        for child in children:
            _write(child, ids, out)
        return
    if tag == "defs" and not any(_local(c.tag) not in {"style"} for c in children):
        return
    text = element.text if tag in _TEXT_ELEMENTS else None
    attrs = "".join(f' {name}="{_esc(value)}"' for name, value in attributes.items())
    if not children and not text:
        out.append(f"<{tag}{attrs}/>")
        return
    out.append(f"<{tag}{attrs}>")
    if text:
        out.append(_esc(text))
    for child in children:
        _write(child, ids, out)
        if tag in _TEXT_ELEMENTS and child.tail:
            out.append(_esc(child.tail))
    out.append(f"</{tag}>")


def _root(
    prefix: str, title: str, desc: str, width: float, height: float, role: str, kind: str
) -> str:
    """Return the opening tag of a chart and its title and description."""
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {_fmt(width)} {_fmt(height)}" width="100%"'
        f' role="{role}" aria-labelledby="{prefix}-t" aria-describedby="{prefix}-d"'
        f' class="chart chart-{kind}" font-family="{FONT_FAMILY}"'
        ' stroke-linejoin="round" stroke-linecap="butt">'
        f'<title id="{prefix}-t">{_esc(title)}</title><desc id="{prefix}-d">{_esc(desc)}</desc>'
    )


def _fmt(number: float) -> str:
    """Format a coordinate with at most two decimals."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _finish(raw: str, prefix: str, title: str, desc: str, kind: str) -> str:
    """Rewrite matplotlib's SVG document into an inline, labelled, CSP-safe chart."""
    document = ET.fromstring(raw)
    referenced: set[str] = set()
    for element in document.iter():
        referenced.update(_refs(element))
    ids: dict[str, str] = {}
    for element in document.iter():
        old = element.get("id")
        if old in referenced and old not in ids:
            ids[old] = f"{prefix}-{len(ids)}"
    _, _, width, height = (float(v) for v in document.attrib["viewBox"].split())
    out = [_root(prefix, title, desc, width, height, "img", kind)]
    for child in document:
        _write(child, ids, out)
    out.append("</svg>")
    return "".join(out)


def _render(figure: Figure) -> str:
    """Save a figure as an SVG document (no date, so the same figure gives the same bytes)."""
    buffer = StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _drawing(draw: Callable[[], str]) -> str:
    """Run a drawing with the chart settings only, whatever the process' matplotlibrc says."""
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {
                # Text stays text: smaller, and drawn by the browser's fonts (emoji too).
                "svg.fonttype": "none",
                "svg.hashsalt": "echoppe-dashboard",
                "font.family": ["DejaVu Sans"],
                "font.size": 8.0,
                "hatch.linewidth": 1.0,
            }
        ),
    ):
        return draw()


# --------------------------------------------------------------------------- small multiples


def small_multiples(
    title: str,
    desc: str,
    weeks: tuple[str, ...],
    series: tuple[Series, ...],
    reference: tuple[Series, ...] | None,
    hidden_label: str,
    *,
    place_label: str = "",
    reference_label: str = "",
    columns: int = 3,
    uid: str = "",
) -> str:
    """Draw one small panel per series (a place's people a week), its reference beside it.

    Every panel has the same scale; the reference (the territory, in the same order as
    `series`) is a line on that scale, so pass figures comparable to the place's. Hidden
    weeks are hatched over the panel's height, never drawn as zero. `uid` tells apart two
    identical charts of one page. Blocking (about 0.1 s of CPU) and, like all of matplotlib,
    not thread-safe: from the event loop, await `draw_small_multiples`.
    """
    if not series:
        raise ValueError("small_multiples needs at least one series")
    if reference is not None and len(reference) != len(series):
        raise ValueError("reference must have one series per series")
    for item in (*series, *(reference or ())):
        if len(item.values) != len(weeks):
            raise ValueError(f"series {item.label!r}: {len(item.values)} values, not one a week")
    prefix = _digest(
        "small_multiples", title, desc, weeks, series, reference, hidden_label,
        place_label, reference_label, columns, uid,
    )  # fmt: skip

    def draw() -> str:
        figure = _small_multiples_figure(
            weeks, series, reference, hidden_label, place_label, reference_label, columns
        )
        return _finish(_render(figure), prefix, title, desc, "multiples")

    return _drawing(draw)


def _small_multiples_figure(
    weeks: tuple[str, ...],
    series: tuple[Series, ...],
    reference: tuple[Series, ...] | None,
    hidden_label: str,
    place_label: str,
    reference_label: str,
    columns: int,
) -> Figure:
    """Lay out and draw the panels (sizes in inches, fixed: no costly automatic layout)."""
    count = len(series)
    cols = max(1, min(columns, count))
    rows = math.ceil(count / cols)
    panel_w = 8.6 / cols - 0.3
    panel_h, gap_w, gap_h = 1.25, 0.3, 0.62
    left, right, top, bottom = 0.42, 0.12, 0.62, 0.3
    width = left + right + cols * panel_w + (cols - 1) * gap_w
    height = top + bottom + rows * panel_h + (rows - 1) * gap_h
    figure, ax = _canvas(width, height)
    references = reference or ()
    values = [v for s in (*series, *references) for v in s.values if v is not None]
    highest = max([*values, 1.0])
    ceiling = highest * 1.12
    levels = _levels(highest, ceiling, 3)
    # Label the last week and every fourth before it: 12 labels would not fit a panel.
    ticks = sorted(range(len(weeks) - 1, -1, -4)) if len(weeks) > 4 else range(len(weeks))
    any_hidden = False
    for index, place in enumerate(series):
        row, col = divmod(index, cols)
        panel = _Panel(
            left + col * (panel_w + gap_w),
            bottom + (rows - 1 - row) * (panel_h + gap_h),
            panel_w / (len(weeks) + 0.2),
            panel_h / ceiling,
            0.6,
        )
        right_end = len(weeks) - 0.4
        for level in levels[1:]:
            ax.plot(*panel.line((-0.6, level), (right_end, level)), **_GRID_LINE)
        # One path for the bars of a panel, one for its hidden weeks: far fewer elements (and
        # less time) than a patch per bar.
        shown = [(i - 0.36, 0.0, 0.72, v) for i, v in enumerate(place.values) if v is not None]
        hidden = [(i - 0.42, 0.0, 0.84, ceiling) for i, v in enumerate(place.values) if v is None]
        if shown:
            ax.add_patch(PathPatch(panel.boxes(shown), facecolor=PLACE_COLOUR, linewidth=0))
        if hidden:
            any_hidden = True
            ax.add_patch(PathPatch(panel.boxes(hidden), linewidth=0, **_HIDDEN))
        if index < len(references):
            line = [math.nan if v is None else v for v in references[index].values]
            ax.plot(*panel.points(line), **_REFERENCE_LINE)
        ax.plot(*panel.line((-0.6, 0), (right_end, 0)), **_AXIS_LINE)
        x, y = panel.at(-0.6, ceiling)
        ax.text(x, y + 0.06, _mpl(_wrap(place.label, 34, 2)), fontsize=8.5)
        if col == 0:
            for level in levels:
                x, y = panel.at(-0.8, level)
                ax.text(x, y, f"{level:g}", ha="right", va="center", **_SCALE_TEXT)
        if index + cols >= count:
            for week in ticks:
                x, y = panel.at(week, 0)
                ax.text(x, y - 0.05, _mpl(weeks[week]), ha="center", va="top", **_SCALE_TEXT)
    handles: list[Artist] = []
    if place_label:
        handles.append(Patch(facecolor=PLACE_COLOUR, label=_mpl(place_label)))
    if references and reference_label:
        handles.append(Line2D([], [], label=_mpl(reference_label), **_REFERENCE_LINE))
    if any_hidden:
        handles.append(_hidden_patch(hidden_label))
    _legend_on_top(figure, handles, left / width, 1 - 0.04 / height)
    return figure


@dataclass(frozen=True)
class _Panel:
    """Map a panel's data (week index, value) to the figure's inches."""

    left: float
    bottom: float
    per_week: float
    per_unit: float
    margin: float

    def at(self, week: float, value: float) -> tuple[float, float]:
        """Return the point of a week and value."""
        return (
            self.left + (week + self.margin) * self.per_week,
            self.bottom + value * self.per_unit,
        )

    def line(
        self, start: tuple[float, float], end: tuple[float, float]
    ) -> tuple[list[float], ...]:
        """Return the x and y lists of a segment, for `Axes.plot`."""
        (x0, y0), (x1, y1) = self.at(*start), self.at(*end)
        return [x0, x1], [y0, y1]

    def points(self, values: list[float]) -> tuple[list[float], ...]:
        """Return the x and y lists of one value a week (NaN breaks the line)."""
        xs, ys = zip(*(self.at(week, v) for week, v in enumerate(values)), strict=True)
        return list(xs), list(ys)

    def boxes(self, boxes: list[tuple[float, float, float, float]]) -> Path:
        """Return one path of rectangles given in data units as (x, y, width, height)."""
        return _boxes(
            [(*self.at(x, y), w * self.per_week, h * self.per_unit) for x, y, w, h in boxes]
        )


_SCALE_TEXT: dict[str, Any] = {"fontsize": 7, "color": "#333333"}
_HIDDEN: dict[str, Any] = {"facecolor": HIDDEN_FACE, "edgecolor": HIDDEN_HATCH, "hatch": "////"}
# Grid lines under the bars (matplotlib draws lines over patches by default).
_GRID_LINE: dict[str, Any] = {"color": GRID_COLOUR, "linewidth": 0.5, "zorder": 0.5}
_AXIS_LINE: dict[str, Any] = {"color": AXIS_COLOUR, "linewidth": 0.8}
_REFERENCE_LINE: dict[str, Any] = {
    "color": REFERENCE_COLOUR,
    "linewidth": 1.4,
    "marker": "o",
    "markersize": 2.4,
}


def _canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """Return a figure and one axes over all of it, in inches, without any axis drawn.

    Matplotlib's axes and their ticks take most of a drawing's time: one plain axes, with
    the few lines and labels a chart needs drawn as such, is several times faster.
    """
    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    return figure, ax


def _figure(
    width: float, height: float, left: float, right: float, top: float, bottom: float
) -> Figure:
    """Return an empty figure with its margins given in inches."""
    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    figure.subplots_adjust(
        left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height
    )
    return figure


def _levels(highest: float, ceiling: float, bins: int) -> list[float]:
    """Return round values for the grid lines of a scale starting at 0."""
    found = MaxNLocator(nbins=bins, integer=True).tick_values(0, highest)
    return [float(v) for v in found if 0 <= v <= ceiling]


def _legend_on_top(figure: Figure, handles: list[Artist], x: float, y: float) -> None:
    """Put the legend in one row above the plot, from its left edge."""
    if handles:
        figure.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(x, y),
            ncol=len(handles),
            frameon=False,
            fontsize=8,
            handlelength=1.6,
            columnspacing=1.6,
            borderaxespad=0,
        )


def _boxes(boxes: list[tuple[float, float, float, float]]) -> Path:
    """Return one path made of rectangles given as (x, y, width, height)."""
    vertices = [
        corner
        for x, y, w, h in boxes
        for corner in ((x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y))
    ]
    return Path(vertices, list(_BOX_CODES) * len(boxes))


_BOX_CODES = (Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY)


def _hidden_patch(hidden_label: str) -> Patch:
    """Return the legend key of a hidden value."""
    return Patch(linewidth=0.6, label=_mpl(hidden_label), **_HIDDEN)


# --------------------------------------------------------------------------- bars


def bars(
    title: str,
    desc: str,
    rows: tuple[tuple[str, int | None, int | None], ...],
    current_label: str,
    previous_label: str,
    hidden_label: str,
    *,
    uid: str = "",
) -> str:
    """Draw horizontal bars, the current period over the previous one, for each row.

    A row is (label, current, previous); None is a hidden count, drawn as a small hatched
    mark with `hidden_label` beside it, never as a zero bar. An empty `previous_label`
    leaves the previous period out. Blocking and not thread-safe: from the event loop, await
    `draw_bars`.
    """
    if not rows:
        raise ValueError("bars needs at least one row")
    prefix = _digest("bars", title, desc, rows, current_label, previous_label, hidden_label, uid)

    def draw() -> str:
        figure = _bars_figure(rows, current_label, previous_label, hidden_label)
        return _finish(_render(figure), prefix, title, desc, "bars")

    return _drawing(draw)


def _bars_figure(
    rows: tuple[tuple[str, int | None, int | None], ...],
    current_label: str,
    previous_label: str,
    hidden_label: str,
) -> Figure:
    """Lay out and draw the bars (sizes in inches, the label column estimated)."""
    with_previous = bool(previous_label)
    labels = [_mpl(_wrap(label, 30, 2)) for label, _, _ in rows]
    label_w = min(3.0, max(_text_inches(label, 8) for label in labels) + 0.12)
    row_h = 0.46 if with_previous else 0.3
    left, right, top, bottom = label_w + 0.1, 0.2, 0.42, 0.3
    width = 7.6
    height = top + bottom + row_h * len(rows)
    figure = _figure(width, height, left, right, top, bottom)
    ax = figure.add_subplot()
    ax.set_axis_off()  # see the small multiples: lines and labels of our own, much faster
    counts = [v for _, c, p in rows for v in (c, p if with_previous else None) if v is not None]
    highest = float(max([*counts, 1]))
    end = highest * 1.18
    below = len(rows) - 0.5
    ax.set_xlim(0, end)
    ax.set_ylim(below, -0.5)
    levels = _levels(highest, end, 5)
    for level in levels[1:]:
        ax.plot([level, level], [-0.5, below], **_GRID_LINE)
    for level in levels:
        ax.text(level, below + 0.1, f"{level:g}", ha="center", va="top", **_SCALE_TEXT)
    thick = 0.36 if with_previous else 0.62
    gap = highest * 0.015
    mark = highest * 0.018
    any_hidden = False
    current_boxes: list[tuple[float, float, float, float]] = []
    previous_boxes: list[tuple[float, float, float, float]] = []
    hidden_boxes: list[tuple[float, float, float, float]] = []
    for position, ((_, current, previous), label) in enumerate(zip(rows, labels, strict=True)):
        ax.text(-gap, position, label, ha="right", va="center", fontsize=8, color="#333333")
        here = [(current, position - thick / 2 if with_previous else position, True)]
        if with_previous:
            here.append((previous, position + thick / 2, False))
        for value, y, is_current in here:
            size = 7.5 if is_current else 6.5
            if value is None:
                any_hidden = True
                hidden_boxes.append((0.0, y - thick * 0.42, mark, thick * 0.84))
                text, colour, x = hidden_label, MUTED_TEXT, mark + gap
            else:
                boxes = current_boxes if is_current else previous_boxes
                boxes.append((0.0, y - thick / 2, float(value), thick))
                text, x = str(value), value + gap
                colour = "#000000" if is_current else MUTED_TEXT
            style = "italic" if value is None else "normal"
            ax.text(x, y, _mpl(text), va="center", fontsize=size, color=colour, fontstyle=style)
    if current_boxes:
        ax.add_patch(PathPatch(_boxes(current_boxes), facecolor=PLACE_COLOUR, linewidth=0))
    if previous_boxes:
        ax.add_patch(PathPatch(_boxes(previous_boxes), **_PREVIOUS))
    if hidden_boxes:
        ax.add_patch(PathPatch(_boxes(hidden_boxes), linewidth=0.6, **_HIDDEN))
    ax.plot([0, 0], [-0.5, below], **_AXIS_LINE)
    handles: list[Artist] = [Patch(facecolor=PLACE_COLOUR, label=_mpl(current_label))]
    if with_previous:
        handles.append(Patch(label=_mpl(previous_label), **_PREVIOUS))
    if any_hidden:
        handles.append(_hidden_patch(hidden_label))
    _legend_on_top(figure, handles, left / width, 1 - 0.06 / height)
    return figure


_PREVIOUS: dict[str, Any] = {
    "facecolor": PREVIOUS_FACE,
    "edgecolor": PREVIOUS_EDGE,
    "linewidth": 0.8,
}


def _text_inches(text: str, size: float) -> float:
    """Estimate the width of the widest line of a text, in inches."""
    return max(_text_width(line, size) for line in text.split("\n")) / 72


# --------------------------------------------------------------------------- tile map

# The map is written by hand rather than by matplotlib: it needs real links (`<a href>` with an
# accessible name, which `Artist.set_url` cannot give), text at known places to pick its
# colour for contrast, one hatch pattern, and nothing else, so it stays a few kilobytes.
_TILE = 100.0
_GAP = 6.0
_PAD = 2.0
_LABEL_SIZE = 12.0
_VALUE_SIZE = 22.0
_NOTE_SIZE = 11.0
_LEGEND_SIZE = 12.0
_SWATCH = 16.0


def relative_luminance(colour: str) -> float:
    """Return the WCAG relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_colour(fill: str) -> str:
    """Return black or white, whichever contrasts more with a fill (always over 4.5:1)."""
    dark = contrast_ratio(fill, MAP_TEXT_DARK)
    return MAP_TEXT_DARK if dark >= contrast_ratio(fill, MAP_TEXT_LIGHT) else MAP_TEXT_LIGHT


def _char_width(char: str) -> float:
    """Estimate a character's advance in ems (DejaVu Sans-like proportions)."""
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0.0
    if unicodedata.east_asian_width(char) in {"W", "F"}:
        return 1.0
    if char in "il.,:;'|!" or char == " ":
        return 0.32
    if char.isupper() or char in "mwMW":
        return 0.74
    return 0.6


def _text_width(text: str, size: float) -> float:
    """Estimate the width of a line of text at a font size, in user units."""
    return sum(_char_width(c) for c in text) * size


def _split_words(text: str) -> list[str]:
    """Split a place name where a line may break: after hyphens and at spaces."""
    pieces: list[str] = []
    for word in text.split():
        parts = word.split("-")
        pieces.extend(f"{part}-" for part in parts[:-1])
        pieces.append(parts[-1] + " ")
    return [p for p in pieces if p.strip()]


def _lines(text: str, size: float, width: float, most: int) -> list[str]:
    """Break text into at most `most` lines no wider than `width`, if it can."""
    lines: list[str] = []
    for piece in _split_words(text):
        if lines and _text_width((lines[-1] + piece).rstrip(), size) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    lines = [line.rstrip() for line in lines]
    if len(lines) > most:
        lines = [*lines[: most - 1], "".join(lines[most - 1 :])]
    return lines or [""]


def _fit(text: str, size: float, width: float, most: int) -> tuple[list[str], float]:
    """Break text into lines, making the font smaller until the widest line fits."""
    lines = _lines(text, size, width, most)
    widest = max(_text_width(line, size) for line in lines)
    if widest > width:
        size = max(7.0, math.floor(size * width / widest * 2) / 2)
    return lines, size


def _classes(values: list[int]) -> list[tuple[int, int, str]]:
    """Split the shown values into up to five equal classes, each with its colour."""
    if not values:
        return []
    low, high = min(values), max(values)
    step = max(1, math.ceil((high - low + 1) / len(MAP_SCALE)))
    bounds = [(lo, min(lo + step - 1, high)) for lo in range(low, high + 1, step)]
    last = len(MAP_SCALE) - 1
    spread = [
        round(i * last / (len(bounds) - 1)) if len(bounds) > 1 else 2 for i in range(len(bounds))
    ]
    return [(lo, hi, MAP_SCALE[i]) for (lo, hi), i in zip(bounds, spread, strict=True)]


def _safe_href(href: str) -> str:
    """Refuse link targets that would run code (the pages give paths of the dashboard)."""
    scheme = "".join(c for c in href if c.isprintable() and not c.isspace()).lower()
    if scheme.startswith(("javascript:", "data:", "vbscript:")):
        raise ValueError(f"refused link target {href!r}")
    return href


def tile_map(
    title: str,
    desc: str,
    tiles: tuple[Tile, ...],
    legend_title: str,
    hidden_label: str,
    no_data_label: str,
    *,
    uid: str = "",
) -> str:
    """Draw a grid cartogram: one square per place, shaded by its value, linking to it.

    Shown values fall into up to five equal classes of a light-to-dark scale, labelled in
    black or white, whichever contrasts more; hidden tiles are hatched grey with
    `hidden_label` (their value, if any, is never written); tiles with no data are white with
    a dashed edge and `no_data_label`. A tile with an `href` is a link whose accessible name
    is its label and value. Cheap (pure text): no need to draw it off the event loop.
    """
    if not tiles:
        raise ValueError("tile_map needs at least one tile")
    cells = {(t.row, t.col) for t in tiles}
    if len(cells) != len(tiles) or min(min(cell) for cell in cells) < 0:
        raise ValueError("tiles need distinct, non-negative grid positions")
    prefix = _digest(
        "tile_map", title, desc, tiles, legend_title, hidden_label, no_data_label, uid
    )
    hatch = f"{prefix}-h"
    shown = [t.value for t in tiles if t.shown and t.value is not None]
    classes = _classes(shown)
    rows = max(t.row for t in tiles) + 1
    cols = max(t.col for t in tiles) + 1
    width = 2 * _PAD + cols * (_TILE + _GAP) - _GAP
    body: list[str] = [
        f'<defs><pattern id="{hatch}" width="8" height="8" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{HIDDEN_FACE}"/>'
        f'<rect width="3" height="8" fill="#c4c4c4"/></pattern></defs>'
    ]
    for tile in sorted(tiles, key=lambda t: (t.row, t.col)):
        body.append(_tile(tile, classes, hatch, hidden_label, no_data_label))
    legend_top = _PAD + rows * (_TILE + _GAP) + 6
    legend, legend_bottom = _legend(
        legend_top, width, legend_title, classes, hatch, hidden_label, no_data_label, tiles
    )
    body.append(legend)
    head = _root(prefix, title, desc, width, legend_bottom + _PAD, "group", "map")
    return head + "".join(body) + "</svg>"


def _tile(
    tile: Tile,
    classes: list[tuple[int, int, str]],
    hatch: str,
    hidden_label: str,
    no_data_label: str,
) -> str:
    """Write one tile: its square, label and value, in a link when it has one."""
    x = _PAD + tile.col * (_TILE + _GAP)
    y = _PAD + tile.row * (_TILE + _GAP)
    edge = f'stroke="{MAP_EDGE}" stroke-width="1"'
    if not tile.shown:
        state, fill, ink, note = "hidden", f"url(#{hatch})", MAP_TEXT_DARK, hidden_label
    elif tile.value is None:
        state, fill, ink, note = "empty", MAP_NO_DATA, MAP_TEXT_DARK, no_data_label
        edge += ' stroke-dasharray="4 3"'
    else:
        fill = next(c for lo, hi, c in classes if lo <= tile.value <= hi)
        state, ink, note = "shown", text_colour(fill), str(tile.value)
    label = _one_line(tile.label)
    name = _one_line(tile.name)
    parts = [
        f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(_TILE)}" height="{_fmt(_TILE)}"'
        f' rx="4" fill="{fill}" {edge}/>'
    ]
    lines, size = _fit(label, _LABEL_SIZE, _TILE - 10, 3)
    centre = _fmt(x + _TILE / 2)
    for number, line in enumerate(lines):
        baseline = y + 8 + size + number * size * 1.15
        parts.append(
            f'<text x="{centre}" y="{_fmt(baseline)}" font-size="{_fmt(size)}"'
            f' text-anchor="middle" fill="{ink}">{_esc(line)}</text>'
        )
    if state == "shown":
        parts.append(
            f'<text x="{centre}" y="{_fmt(y + _TILE - 12)}" font-size="{_fmt(_VALUE_SIZE)}"'
            f' font-weight="bold" text-anchor="middle" fill="{ink}">{_esc(note)}</text>'
        )
    else:
        note_lines, note_size = _fit(_one_line(note), _NOTE_SIZE, _TILE - 12, 2)
        for number, line in enumerate(reversed(note_lines)):
            baseline = y + _TILE - 10 - number * note_size * 1.15
            parts.append(
                f'<text x="{centre}" y="{_fmt(baseline)}" font-size="{_fmt(note_size)}"'
                f' font-style="italic" text-anchor="middle" fill="{ink}">{_esc(line)}</text>'
            )
    common = f'class="tile tile-{state}" data-key="{_esc(tile.key)}"'
    if tile.href is None:
        accessible = _esc(f"{label}: {_one_line(note)}")
        described = f"<title>{_esc(name)}</title>" if name and name != label else ""
        return f'<g role="img" {common} aria-label="{accessible}">{described}{"".join(parts)}</g>'
    # A link is named by what it shows (its label and value), so that someone using voice
    # control can say what they see: an aria-label or a <title> would replace that text.
    href = _esc(_safe_href(tile.href))
    return f'<a href="{href}" {common}>{"".join(parts)}</a>'


def _legend(
    top: float,
    width: float,
    legend_title: str,
    classes: list[tuple[int, int, str]],
    hatch: str,
    hidden_label: str,
    no_data_label: str,
    tiles: Iterable[Tile],
) -> tuple[str, float]:
    """Write the legend (hidden from screen readers: each tile says its own value)."""
    tiles = tuple(tiles)
    keys: list[tuple[str, str, str]] = [
        (f"{lo}–{hi}" if hi != lo else str(lo), colour, "") for lo, hi, colour in classes
    ]
    if any(not t.shown for t in tiles):
        keys.append((hidden_label, f"url(#{hatch})", ""))
    if any(t.shown and t.value is None for t in tiles):
        keys.append((no_data_label, MAP_NO_DATA, ' stroke-dasharray="3 2"'))
    title_lines, title_size = _fit(_one_line(legend_title), _LEGEND_SIZE, width - 2 * _PAD, 3)
    parts = ['<g class="legend" aria-hidden="true">']
    y = top
    for line in title_lines:
        y += title_size * 1.2
        parts.append(
            f'<text x="{_fmt(_PAD)}" y="{_fmt(y)}" font-size="{_fmt(title_size)}"'
            f' font-weight="bold">{_esc(line)}</text>'
        )
    y += 6
    x = _PAD
    for text, fill, dash in keys:
        text = _one_line(text)
        item = _SWATCH + 5 + _text_width(text, _LEGEND_SIZE) + 14
        if x > _PAD and x + item > width:
            x, y = _PAD, y + _SWATCH + 8
        parts.append(
            f'<rect x="{_fmt(x + 0.5)}" y="{_fmt(y + 0.5)}" width="{_fmt(_SWATCH)}"'
            f' height="{_fmt(_SWATCH)}" fill="{fill}" stroke="{MAP_EDGE}"{dash}/>'
            f'<text x="{_fmt(x + _SWATCH + 5)}" y="{_fmt(y + _SWATCH - 3)}"'
            f' font-size="{_fmt(_LEGEND_SIZE)}">{_esc(text)}</text>'
        )
        x += item
    parts.append("</g>")
    return "".join(parts), y + _SWATCH + 2


# --------------------------------------------------------------------------- off the loop

# Views mostly show frozen figures: the same chart is asked for again and again.
_small_multiples_cached = lru_cache(maxsize=64)(small_multiples)
_bars_cached = lru_cache(maxsize=128)(bars)


async def draw_small_multiples(
    title: str,
    desc: str,
    weeks: tuple[str, ...],
    series: tuple[Series, ...],
    reference: tuple[Series, ...] | None,
    hidden_label: str,
    *,
    place_label: str = "",
    reference_label: str = "",
    columns: int = 3,
    uid: str = "",
) -> str:
    """Draw small multiples in the drawing thread (each distinct chart once)."""
    return await draw_off_loop(
        _small_multiples_cached,
        title,
        desc,
        weeks,
        series,
        reference,
        hidden_label,
        place_label=place_label,
        reference_label=reference_label,
        columns=columns,
        uid=uid,
    )


async def draw_bars(
    title: str,
    desc: str,
    rows: tuple[tuple[str, int | None, int | None], ...],
    current_label: str,
    previous_label: str,
    hidden_label: str,
    *,
    uid: str = "",
) -> str:
    """Draw bars in the drawing thread (each distinct chart once)."""
    return await draw_off_loop(
        _bars_cached, title, desc, rows, current_label, previous_label, hidden_label, uid=uid
    )
