"""Overview, core, compare and map (issue 18): what they show, and what they never give away."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from bot.reference import Reference
from bot.shared.schedule import week_bounds
from tests.features.dashboard.site import LAST_WEEK, TZ, Site, make_site

WEDNESDAY = week_bounds(LAST_WEEK, TZ)[0] + timedelta(days=2, hours=10)


@pytest.fixture
def site(tmp_path: Path, reference: Reference) -> Iterator[Site]:
    yield from make_site(tmp_path, reference)


def _rows(html: str, table: int = 0) -> list[list[str]]:
    bodies = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", bodies[table], re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def _csv(answer_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer_text.lstrip("\ufeff"))))


def test_the_overview_counts_people_per_factor_against_the_period_before(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, WEDNESDAY)
    site.voices("bru_chatelain", "roadworks", 3, WEDNESDAY)
    site.voices("bru_flagey", "roadworks", 5, WEDNESDAY - timedelta(weeks=1))
    site.sign_in(site.partner())
    page = site.client.get("/dashboard/overview?place=territory:brussels")
    roadworks = next(r for r in _rows(page.text) if r[0] == "roadworks")
    assert roadworks[2:] == ["7", "5", "2"]
    csv_rows = _csv(
        site.client.get("/dashboard/overview.csv?place=territory:brussels&table=factors").text
    )
    assert ["roadworks", roadworks[1], "7", "5", "2"] in csv_rows
    # The 4 weeks: 12 distinct people (none raised it twice).
    four = site.client.get("/dashboard/overview?place=territory:brussels&period=4w")
    assert next(r for r in _rows(four.text) if r[0] == "roadworks")[2] == "12"


def test_a_core_next_to_its_territory_never_gives_the_rest_away(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, WEDNESDAY)
    site.voices("bru_chatelain", "roadworks", 1, WEDNESDAY)
    site.sign_in(site.partner())
    overview = site.client.get("/dashboard/overview?place=territory:brussels")
    assert next(r for r in _rows(overview.text) if r[0] == "roadworks")[2] == "5"
    compare = site.client.get("/dashboard/compare?place=territory:brussels&factor=roadworks")
    flagey = next(r for r in _rows(compare.text) if r[0] == "bru_flagey")
    # 5 - 4 = 1 person in Châtelain: Flagey's 4 is hidden in every view.
    assert flagey[3] == "moins de 3"
    core = site.client.get("/dashboard/core?core=bru_flagey")
    assert all(r[3] != "4" for r in _rows(core.text) if r[1] == "roadworks")
    exported = _csv(
        site.client.get(
            "/dashboard/compare.csv?place=territory:brussels&factor=roadworks&table=cores"
        ).text
    )
    assert next(r for r in exported if r[0] == "bru_flagey")[3] == ""
    # Nor through the map's commune tile (Ixelles = Flagey + Châtelain + others).
    page = site.client.get("/dashboard/map?territory=brussels&factor=roadworks")
    areas = {r[0]: r[2] for r in _rows(page.text)}
    assert areas["commune:brussels:Ixelles"] == "5"


def test_a_week_next_to_its_four_weeks_never_gives_the_rest_away(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, WEDNESDAY)
    site.voices("bru_flagey", "roadworks", 1, WEDNESDAY - timedelta(weeks=2))
    site.sign_in(site.partner())
    week = site.client.get("/dashboard/compare?place=territory:brussels&factor=roadworks")
    four = site.client.get(
        "/dashboard/compare?place=territory:brussels&factor=roadworks&period=4w"
    )
    shown_week = next(r for r in _rows(week.text) if r[0] == "bru_flagey")[3]
    shown_four = next(r for r in _rows(four.text) if r[0] == "bru_flagey")[3]
    assert not (shown_week == "4" and shown_four == "5")


def test_only_small_groups_are_announced(site: Site) -> None:
    site.voices("les_ogy", "roadworks", 2, WEDNESDAY)
    site.sign_in(site.partner(territories=("lessines",)))
    page = site.client.get("/dashboard/compare?place=territory:lessines&factor=roadworks")
    assert "chaque groupe compte moins de k personnes" in unescape(page.text)


def test_the_map_has_a_tile_for_every_brussels_commune_and_links_to_cores(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, WEDNESDAY)
    site.sign_in(site.partner())
    page = site.client.get("/dashboard/map?territory=brussels&factor=roadworks")
    assert page.status_code == 200
    assert page.text.count('class="tile ') >= 19 or page.text.count("data-key=") >= 19
    assert "/dashboard/compare?" in page.text
    lessines = site.client.get("/dashboard/map?territory=lessines")
    assert lessines.status_code == 404  # not this partner's territory


def test_a_closed_week_is_frozen_when_people_leave(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, WEDNESDAY)
    site.sign_in(site.partner())
    first = site.client.get("/dashboard/overview?place=territory:brussels")
    site.run(
        site.db.execute,
        "DELETE FROM concern_factors WHERE user_id = ?",
        (site.people["bru_flagey"][0],),
    )
    again = site.client.get("/dashboard/overview?place=territory:brussels")
    assert _rows(first.text) == _rows(again.text)


def test_an_open_week_is_not_a_page(site: Site) -> None:
    site.sign_in(site.partner())
    assert site.client.get("/dashboard/overview?week=2026-W47").status_code == 404
    assert site.client.get("/dashboard/overview?week=2026-W99").status_code == 404
    assert site.client.get("/dashboard/overview?week=nonsense").status_code == 404
    assert site.client.get("/dashboard/overview?period=year").status_code == 404
    assert site.client.get(f"/dashboard/overview?week={LAST_WEEK}").status_code == 200
    assert site.client.get("/dashboard/overview?week=2026-W10").status_code == 200
    # More than a year back: not a page (nobody makes the server count old weeks).
    assert site.client.get("/dashboard/overview?week=2025-W10").status_code == 404


def test_one_factor_next_to_any_difficulty_never_gives_the_rest_away(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, WEDNESDAY)
    site.voices("bru_flagey", "mobility_parking", 1, WEDNESDAY)
    site.sign_in(site.partner())
    rows = {
        r[0]: r[2]
        for r in _rows(site.client.get("/dashboard/overview?place=territory:brussels").text)
    }
    # 5 raised something, 4 roadworks: showing both would say 1 raised something else.
    assert rows["any"] == "5"
    assert rows["roadworks"] == "moins de 3"


def test_a_window_never_differs_by_a_few_from_an_earlier_week_inside_it(site: Site) -> None:
    site.voices("bru_flagey", "roadworks", 4, WEDNESDAY - timedelta(weeks=1))  # W45
    site.voices("bru_flagey", "roadworks", 1, WEDNESDAY)  # W46
    site.voices("bru_flagey", "staff", 6, WEDNESDAY - timedelta(weeks=1))
    site.sign_in(site.partner())
    shown = []
    for query in ("week=2026-W45", "week=2026-W46&period=4w", "week=2026-W46&period=quarter"):
        page = site.client.get(
            f"/dashboard/compare?place=territory:brussels&factor=roadworks&{query}"
        )
        shown.append(next(r for r in _rows(page.text) if r[0] == "bru_flagey")[3])
    # The week W45 alone shows 4: the 4 weeks and the quarter ending in W46 (5) cannot.
    assert shown[0] == "4"
    assert shown[1] != "5" and shown[2] != "5"
