"""The dashboard's SVG charts: inline-ready, labelled, escaped, CSP-safe and byte-stable."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bot.features.dashboard.charts import (
    Series,
    Tile,
    bars,
    draw_bars,
    draw_small_multiples,
    small_multiples,
    tile_map,
)
from bot.shared.charts import draw_off_loop

ROOT = Path(__file__).resolve().parents[3]
NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
WEEKS = tuple(f"S{week}" for week in range(14, 26))
FACTORS = (
    "Loyers & locaux",
    "Travaux 🚧",
    "Mobilité, parking",
    "Concurrence",
    "Fréquentation",
    "Administration, taxes",
    "Coûts, trésorerie",
    "Sécurité, image",
    "Personnel",
    "Numérique",
    "Isolement",
    "Charge de travail, santé",
)
HIDDEN = "masqué (< 5)"
# Markup, both quotes, an ampersand, right-to-left text, an emoji, a mathtext trigger and a
# control character XML cannot carry.
NASTY = '<b>"Loyers" & l\'été</b> مرحبا 🚧 $x^2$\x00'
NASTY_SHOWN = NASTY.replace("\x00", "")


def sample_series() -> tuple[tuple[Series, ...], tuple[Series, ...]]:
    """Return a place's and its territory's weekly people for the 12 factors."""
    place = tuple(
        Series(
            label, tuple(None if (i + w) % 5 == 0 else 5 + (i * 7 + w * 3) % 30 for w in range(12))
        )
        for i, label in enumerate(FACTORS)
    )
    territory = tuple(
        Series(label, tuple(8 + (i * 5 + w * 11) % 35 for w in range(12)))
        for i, label in enumerate(FACTORS)
    )
    return place, territory


def sample_rows() -> tuple[tuple[str, int | None, int | None], ...]:
    """Return the 12 factors with current and previous people, some hidden, one zero."""
    return tuple(
        (label, None if i == 2 else 6 + i * 3, 0 if i == 4 else None if i == 7 else 30 - i)
        for i, label in enumerate(FACTORS)
    )


def sample_tiles() -> tuple[Tile, ...]:
    """Return a small map: shown, hidden (with a value that must not leak), no data."""
    return (
        Tile("commune:brussels:Jette", "Jette", 0, 1, 12, "/d/compare?cores=a&b=1", True),
        Tile("commune:brussels:Bruxelles", "Bruxelles", 1, 1, 48, "/d/core/bru_x", True),
        Tile("commune:brussels:Evere", "Evere", 0, 2, 4242, "/d/core/bru_y", False),
        Tile("commune:brussels:Forest", "Forest", 2, 1, None, None, True, "Forest (Vorst)"),
        Tile("commune:brussels:Uccle", "Uccle", 2, 2, 30, "/d/core/bru_z", True),
        Tile(
            "commune:brussels:Woluwe-Saint-Pierre",
            "Woluwe-St-Pierre",
            1,
            2,
            5,
            "/d/x",
            True,
            "Woluwe-Saint-Pierre",
        ),
    )


def sample_charts() -> dict[str, str]:
    """Draw one chart of each kind from the samples."""
    place, territory = sample_series()
    return {
        "small_multiples": small_multiples(
            "Rue Neuve, 12 semaines",
            "Personnes par facteur et par semaine",
            WEEKS,
            place,
            territory,
            HIDDEN,
            place_label="Rue Neuve",
            reference_label="Bruxelles",
        ),
        "bars": bars(
            "Facteurs",
            "Ces 4 semaines et les 4 précédentes",
            sample_rows(),
            "Ces 4",
            "Avant",
            HIDDEN,
        ),
        "tile_map": tile_map(
            "Carte", "Personnes par commune", sample_tiles(), "Loyers", HIDDEN, "pas de données"
        ),
    }


# Matplotlib lays text out with DejaVu Sans, which has no emoji nor Arabic (the browser has).
pytestmark = pytest.mark.filterwarnings("ignore:Glyph .* missing from font")


@pytest.fixture(scope="module")
def charts() -> dict[str, str]:
    """Draw the sample charts once for the module."""
    return sample_charts()


def parse(svg: str) -> ET.Element:
    """Parse an inline SVG as XML (it must be well-formed)."""
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    """Return the content of every <text> element."""
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_the_same_data_gives_the_same_bytes_in_one_process(charts: dict[str, str]) -> None:
    assert sample_charts() == charts


def test_the_same_data_gives_the_same_bytes_in_another_process(charts: dict[str, str]) -> None:
    script = (
        "import hashlib\n"
        "from tests.features.dashboard.test_charts import sample_charts\n"
        "for kind, svg in sorted(sample_charts().items()):\n"
        "    print(kind, hashlib.sha256(svg.encode()).hexdigest())\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "random", "PATH": "/usr/bin:/bin"},
        timeout=120,
    ).stdout.split()
    expected = [
        item
        for kind, svg in sorted(charts.items())
        for item in (kind, hashlib.sha256(svg.encode()).hexdigest())
    ]
    assert found == expected


@pytest.mark.parametrize("kind", ["small_multiples", "bars", "tile_map"])
def test_a_chart_is_an_inline_svg_named_by_its_title_and_desc(
    charts: dict[str, str], kind: str
) -> None:
    svg = charts[kind]
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == ("group" if kind == "tile_map" else "img")
    title, desc = list(root)[:2]
    assert title.tag == f"{SVG}title" and desc.tag == f"{SVG}desc"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert title.text and desc.text
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", ""))
    assert root.get("height") is None


@pytest.mark.parametrize("kind", ["small_multiples", "bars", "tile_map"])
def test_a_chart_has_no_css_the_content_security_policy_would_block(
    charts: dict[str, str], kind: str
) -> None:
    root = parse(charts[kind])
    assert not list(root.iter(f"{SVG}style"))
    assert all(element.get("style") is None for element in root.iter())
    assert not list(root.iter(f"{SVG}metadata"))
    assert "<script" not in charts[kind]


def test_ids_are_unique_within_and_across_charts_and_every_reference_resolves(
    charts: dict[str, str],
) -> None:
    seen: set[str] = set()
    for svg in charts.values():
        root = parse(svg)
        ids = [element.get("id") for element in root.iter() if element.get("id")]
        assert len(ids) == len(set(ids))
        assert not seen & set(ids)
        seen.update(str(i) for i in ids)
        referred = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg)
        assert {a or b for a, b in referred} <= set(ids)
    # The same chart twice on one page: `uid` keeps the ids apart.
    one = bars("t", "d", sample_rows(), "a", "b", HIDDEN)
    two = bars("t", "d", sample_rows(), "a", "b", HIDDEN, uid="second")
    assert parse(one).get("aria-labelledby") != parse(two).get("aria-labelledby")


def test_a_hidden_count_is_drawn_unlike_a_zero_in_the_bars() -> None:
    zero = parse(bars("t", "d", (("Loyers", 0, 0),), "Now", "Before", HIDDEN))
    hidden = parse(bars("t", "d", (("Loyers", None, None),), "Now", "Before", HIDDEN))
    assert HIDDEN not in texts(zero)
    assert "0" in texts(zero)
    assert texts(hidden).count(HIDDEN) == 3  # the two marks and the legend
    assert not list(zero.iter(f"{SVG}pattern"))
    assert list(hidden.iter(f"{SVG}pattern"))


def test_a_hidden_week_is_drawn_unlike_a_zero_in_the_small_multiples() -> None:
    weeks = ("S1", "S2", "S3")
    zero = small_multiples("t", "d", weeks, (Series("Loyers", (3, 0, 4)),), None, HIDDEN)
    hidden = small_multiples("t", "d", weeks, (Series("Loyers", (3, None, 4)),), None, HIDDEN)
    assert zero != hidden
    assert not list(parse(zero).iter(f"{SVG}pattern"))
    patterns = list(parse(hidden).iter(f"{SVG}pattern"))
    assert len(patterns) == 1
    hatch = f"url(#{patterns[0].get('id')})"
    assert [e for e in parse(hidden).iter() if e.get("fill") == hatch]
    assert HIDDEN in texts(parse(hidden))


def test_the_small_multiples_draw_one_panel_per_series_with_a_legend(
    charts: dict[str, str],
) -> None:
    shown = texts(parse(charts["small_multiples"]))
    assert all(label in shown for label in FACTORS)
    assert {"Rue Neuve", "Bruxelles", HIDDEN} <= set(shown)
    assert {"S17", "S21", "S25"} <= set(shown)


@pytest.mark.parametrize("kind", ["small_multiples", "bars", "tile_map"])
def test_text_is_escaped_and_kept_as_text(kind: str) -> None:
    if kind == "small_multiples":
        svg = small_multiples(NASTY, NASTY, ("S1", NASTY), (Series(NASTY, (1, 2)),), None, NASTY)
    elif kind == "bars":
        svg = bars(NASTY, NASTY, ((NASTY, 3, None),), NASTY, NASTY, NASTY)
    else:
        tiles = (Tile(NASTY, NASTY, 0, 0, None, "/d?a=1&b=<2>", False, NASTY + "!"),)
        svg = tile_map(NASTY, NASTY, tiles, NASTY, NASTY, NASTY)
    root = parse(svg)
    assert root.findtext("svg:title", namespaces=NS) == NASTY_SHOWN
    assert root.findtext("svg:desc", namespaces=NS) == NASTY_SHOWN
    assert "<b>" not in svg
    if kind == "tile_map":
        link = root.find("svg:a", NS)
        assert link is not None
        assert link.get("href") == "/d?a=1&b=<2>"
        # Named by what it shows: no aria-label or <title> to hide its text from voice control.
        assert link.get("aria-label") is None and link.find("svg:title", NS) is None
        text = "".join(t.text or "" for t in link.iter(f"{SVG}text")).replace(" ", "")
        assert text.startswith(NASTY_SHOWN.replace(" ", ""))
    else:
        # Labels may be wrapped over lines: the words come back unchanged, `$` included.
        words = " ".join(texts(root)).split()
        for word in NASTY_SHOWN.split():
            assert word in words


def test_map_tiles_link_with_an_accessible_name_starting_with_their_label(
    charts: dict[str, str],
) -> None:
    root = parse(charts["tile_map"])
    links = {str(a.get("data-key")): a for a in root.iter(f"{SVG}a")}
    tiles = {t.key: t for t in sample_tiles()}
    assert set(links) == {t.key for t in tiles.values() if t.href}
    def shown(link: Any) -> str:
        return " ".join(t.text or "" for t in link.iter(f"{SVG}text"))

    for key, link in links.items():
        assert link.get("href") == tiles[key].href
        # Its accessible name is its text: the label first, then the value or a note.
        assert link.get("aria-label") is None
        assert shown(link).replace(" ", "").startswith(tiles[key].label.replace(" ", ""))
    assert shown(links["commune:brussels:Bruxelles"]) == "Bruxelles 48"
    assert shown(links["commune:brussels:Evere"]) == f"Evere {HIDDEN}"
    unlinked = [g for g in root.iter(f"{SVG}g") if g.get("data-key")]
    assert [g.get("aria-label") for g in unlinked] == ["Forest: pas de données"]
    assert unlinked[0].get("role") == "img"
    # A hidden tile never tells its value, wherever it might hide.
    assert "4242" not in charts["tile_map"]


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of #rrggbb, computed here independently of the module."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def tile_fills(root: ET.Element, fill: str) -> list[str]:
    """Return a tile's background colours: its fill, or every colour of its pattern."""
    match = re.fullmatch(r"url\(#(.+)\)", fill)
    if match is None:
        return [fill]
    pattern = next(p for p in root.iter(f"{SVG}pattern") if p.get("id") == match[1])
    return [str(shape.get("fill")) for shape in pattern]


def test_map_text_contrasts_with_its_tile_over_4_5_to_1() -> None:
    shaded = [
        Tile(f"t{v}", f"Tile {v}", v // 12, v % 12 // 2, v, f"/t/{v}", True)
        for v in range(0, 60, 2)
    ]
    tiles = (
        *shaded,
        Tile("hidden", "Hidden", 6, 0, None, "/h", False),
        Tile("empty", "Empty", 6, 1, None, "/e", True),
    )
    root = parse(tile_map("t", "d", tiles, "legend", HIDDEN, "no data"))
    checked = 0
    for tile in root.iter(f"{SVG}a"):
        rect = tile.find("svg:rect", NS)
        assert rect is not None
        backgrounds = tile_fills(root, str(rect.get("fill")))
        for text in tile.iter(f"{SVG}text"):
            for background in backgrounds:
                assert contrast(str(text.get("fill")), background) >= 4.5, (text.text, background)
                checked += 1
    assert checked >= 2 * len(tiles)
    # Five classes: the shades really differ from one another.
    fills = {rect.get("fill") for rect in root.iter(f"{SVG}rect") if rect.get("rx")}
    assert len({f for f in fills if f and f.startswith("#")}) >= 5


def test_map_tiles_are_placed_on_their_grid_cells() -> None:
    root = parse(tile_map("t", "d", sample_tiles(), "legend", HIDDEN, "none"))
    places: dict[str, tuple[float, float]] = {}
    for tile in root.iter():
        if tile.get("data-key"):
            rect = tile.find("svg:rect", NS)
            assert rect is not None
            places[str(tile.get("data-key"))] = (float(rect.get("x", 0)), float(rect.get("y", 0)))
    jette, brussels = places["commune:brussels:Jette"], places["commune:brussels:Bruxelles"]
    uccle = places["commune:brussels:Uccle"]
    assert jette[0] == brussels[0] and jette[1] < brussels[1]
    assert uccle[0] > brussels[0] and uccle[1] > brussels[1]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="one a week"):
        small_multiples("t", "d", ("S1", "S2"), (Series("a", (1,)),), None, HIDDEN)
    with pytest.raises(ValueError, match="one series per series"):
        small_multiples("t", "d", ("S1",), (Series("a", (1,)),), (), HIDDEN)
    with pytest.raises(ValueError, match="distinct"):
        tile_map("t", "d", (Tile("a", "a", 0, 0, 1, None, True),) * 2, "l", "h", "n")
    with pytest.raises(ValueError, match="refused link"):
        tile_map("t", "d", (Tile("a", "a", 0, 0, 1, " JavaScript:alert(1)", True),), "l", "h", "n")
    with pytest.raises(ValueError):
        bars("t", "d", (), "a", "b", HIDDEN)


async def test_the_async_wrappers_draw_in_the_drawing_thread() -> None:
    place, territory = sample_series()
    assert await draw_off_loop(lambda: threading.current_thread().name) != (
        threading.current_thread().name
    )
    assert (await draw_off_loop(threading.current_thread)).name.startswith("charts")
    drawn = await draw_small_multiples("t", "d", WEEKS, place, territory, HIDDEN, place_label="p")
    assert drawn == small_multiples("t", "d", WEEKS, place, territory, HIDDEN, place_label="p")
    assert await draw_bars("t", "d", sample_rows(), "a", "b", HIDDEN) == bars(
        "t", "d", sample_rows(), "a", "b", HIDDEN
    )
