"""The tile maps' layout: every commune and core on one tile, roughly where it is on a map."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from bot.features.dashboard.charts import Tile, tile_map
from bot.features.dashboard.tiles import (
    BRUSSELS_COMMUNES,
    TilePlace,
    load_layout,
    tiles_for,
    tiles_path,
)
from bot.reference import Reference, ReferenceDataError

SVG = "{http://www.w3.org/2000/svg}"


def by_key(places: tuple[TilePlace, ...]) -> dict[str, TilePlace]:
    """Index tiles by key."""
    return {place.key: place for place in places}


def test_every_commune_of_brussels_yaml_has_a_tile(reference: Reference) -> None:
    brussels = reference.territory("brussels")
    assert brussels is not None
    tiled = {place.name_fr for place in tiles_for("brussels", reference)}
    assert {core.commune_fr for core in brussels.cores} <= tiled


def test_brussels_has_its_19_communes_each_once(reference: Reference) -> None:
    places = tiles_for("brussels", reference)
    assert len(places) == 19
    assert {place.name_fr for place in places} == BRUSSELS_COMMUNES
    assert {place.key for place in places} == {
        f"commune:brussels:{commune}" for commune in BRUSSELS_COMMUNES
    }
    assert len({(place.row, place.col) for place in places}) == 19


def test_a_commune_tile_links_to_the_cores_of_that_commune(reference: Reference) -> None:
    places = by_key(tiles_for("brussels", reference))
    ixelles = places["commune:brussels:Ixelles"]
    assert ixelles.name("nl") == "Elsene" and ixelles.label("fr") == "Ixelles"
    assert "bru_flagey" in ixelles.core_ids and "bru_rue_neuve" not in ixelles.core_ids
    cores = [core_id for place in places.values() for core_id in place.core_ids]
    brussels = reference.territory("brussels")
    assert brussels is not None
    assert sorted(cores) == sorted(core.id for core in brussels.cores)
    for place in places.values():
        for core_id in place.core_ids:
            core = reference.core(core_id)
            assert core is not None and core.commune_fr == place.name_fr
            assert core.commune_nl == place.name_nl


def test_lessines_has_its_centre_and_seven_villages_each_linking_to_its_core(
    reference: Reference,
) -> None:
    lessines = reference.territory("lessines")
    assert lessines is not None
    places = tiles_for("lessines", reference)
    assert len(places) == len(lessines.cores) == 8
    assert {place.key for place in places} == {f"core:{core.id}" for core in lessines.cores}
    for place in places:
        assert place.core_ids == (place.key.removeprefix("core:"),)
    centre = by_key(places)["core:les_centre"]
    assert centre.name("fr") == "Lessines centre" and centre.label("nl") == "Lessen"
    assert len({(place.row, place.col) for place in places}) == 8


def test_tiles_sit_roughly_where_the_places_are(reference: Reference) -> None:
    def cell(places: dict[str, TilePlace], key: str) -> tuple[int, int]:
        return places[key].row, places[key].col

    brussels = by_key(tiles_for("brussels", reference))
    row, col = cell(brussels, "commune:brussels:Bruxelles")
    rows = [place.row for place in brussels.values()]
    cols = [place.col for place in brussels.values()]
    assert min(rows) < row < max(rows) and min(cols) < col < max(cols)
    assert cell(brussels, "commune:brussels:Uccle")[0] > row  # south
    evere = cell(brussels, "commune:brussels:Evere")
    assert evere[0] < row and evere[1] > col  # north-east
    assert cell(brussels, "commune:brussels:Anderlecht")[1] < col  # west
    assert cell(brussels, "commune:brussels:Woluwe-Saint-Pierre")[1] == max(cols)  # east
    lessines = by_key(tiles_for("lessines", reference))
    row, col = cell(lessines, "core:les_centre")
    assert cell(lessines, "core:les_deux_acren")[0] < row  # north
    assert cell(lessines, "core:les_papignies")[0] > row  # south
    assert cell(lessines, "core:les_ogy")[1] < col  # west


def test_tiles_come_north_west_first_and_an_unknown_territory_has_none(
    reference: Reference,
) -> None:
    places = tiles_for("brussels", reference)
    assert [(p.row, p.col) for p in places] == sorted((p.row, p.col) for p in places)
    assert tiles_for("atlantis", reference) == ()


def test_labels_are_short_enough_for_a_tile() -> None:
    for entries in load_layout().values():
        for entry in entries:
            for label in (entry.label_fr, entry.label_nl):
                assert len(label) <= 20, label


def test_the_brussels_map_draws_every_commune_once_with_a_link(reference: Reference) -> None:
    places = tiles_for("brussels", reference)
    tiles = tuple(
        Tile(
            p.key,
            p.label("nl"),
            p.row,
            p.col,
            5 + i,
            f"/dashboard/compare?cores={','.join(p.core_ids)}",
            True,
            p.name("nl"),
        )
        for i, p in enumerate(places)
    )
    root = ET.fromstring(tile_map("Kaart", "Per gemeente", tiles, "Mensen", "verborgen", "geen"))
    keys = [a.get("data-key") for a in root.iter(f"{SVG}a")]
    assert sorted(str(k) for k in keys) == sorted(p.key for p in places)
    # Each link reads as its tile shows it: the short label, then the value.
    shown = {
        "".join(t.text or "" for t in a.iter(f"{SVG}text")).replace(" ", "")
        for a in root.iter(f"{SVG}a")
    }
    woluwe = next(p for p in places if p.name("nl") == "Sint-Lambrechts-Woluwe")
    assert any(text.startswith(woluwe.label("nl").replace(" ", "")) for text in shown)


# --------------------------------------------------------------------------- validation


def write_layout(tmp_path: Path, change: dict[str, object], name: str = "tiles") -> Path:
    """Write a copy of the real layout with some territories replaced (layouts are cached by
    path: one name per layout)."""
    data = yaml.safe_load(tiles_path().read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def real(territory: str) -> list[dict[str, object]]:
    """Return a territory's entries of the real layout."""
    entries: list[dict[str, object]] = yaml.safe_load(tiles_path().read_text(encoding="utf-8"))[
        territory
    ]
    return entries


def test_two_tiles_on_one_cell_are_refused(tmp_path: Path) -> None:
    entries = real("lessines")
    entries[1] = {**entries[1], "row": entries[0]["row"], "col": entries[0]["col"]}
    with pytest.raises(ReferenceDataError, match="share row"):
        load_layout(write_layout(tmp_path, {"lessines": entries}))


def test_a_missing_or_repeated_brussels_commune_is_refused(tmp_path: Path) -> None:
    entries = real("brussels")
    with pytest.raises(ReferenceDataError, match=r"missing \['Uccle'\]"):
        load_layout(
            write_layout(
                tmp_path, {"brussels": [e for e in entries if e["commune_fr"] != "Uccle"]}
            )
        )
    repeated = [*entries, {**entries[0], "row": 9, "col": 9}]
    with pytest.raises(ReferenceDataError, match="twice"):
        load_layout(write_layout(tmp_path, {"brussels": repeated}, "repeated"))


def test_a_core_on_no_tile_or_unknown_is_refused(tmp_path: Path, reference: Reference) -> None:
    entries = real("lessines")
    missing = write_layout(tmp_path, {"lessines": entries[1:]})
    with pytest.raises(ReferenceDataError, match="cores on no tile"):
        tiles_for("lessines", reference, path=missing)
    unknown = write_layout(
        tmp_path,
        {"lessines": [*entries, {**entries[0], "core": "les_nowhere", "row": 9}]},
        "unknown",
    )
    with pytest.raises(ReferenceDataError, match="unknown core"):
        tiles_for("lessines", reference, path=unknown)


def test_a_commune_spelt_otherwise_in_dutch_is_refused(
    tmp_path: Path, reference: Reference
) -> None:
    entries = [
        {**e, "commune_nl": "Elsenee"} if e["commune_fr"] == "Ixelles" else e
        for e in real("brussels")
    ]
    with pytest.raises(ReferenceDataError, match="in Dutch"):
        tiles_for("brussels", reference, path=write_layout(tmp_path, {"brussels": entries}))


def test_a_tile_that_is_neither_core_nor_commune_is_refused(tmp_path: Path) -> None:
    entries = real("lessines")
    entries[0] = {**entries[0], "commune_fr": "Lessines", "commune_nl": "Lessen"}
    with pytest.raises(ReferenceDataError, match="either core"):
        load_layout(write_layout(tmp_path, {"lessines": entries}))
