"""Tests for bot.reference: the real reference data, lookups, paging, search and loader errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.reference import (
    Core,
    Reference,
    ReferenceDataError,
    Sector,
    Territory,
    default_data_dir,
    fold,
)

DEEP_LINK_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

LESSINES_IDS = {
    "les_centre",
    "les_bois_de_lessines",
    "les_deux_acren",
    "les_ghoy",
    "les_ogy",
    "les_ollignies",
    "les_papignies",
    "les_wannebecq",
}

BRUSSELS_COMMUNES = {
    ("Anderlecht", "Anderlecht"),
    ("Auderghem", "Oudergem"),
    ("Berchem-Sainte-Agathe", "Sint-Agatha-Berchem"),
    ("Bruxelles", "Brussel"),
    ("Etterbeek", "Etterbeek"),
    ("Evere", "Evere"),
    ("Forest", "Vorst"),
    ("Ganshoren", "Ganshoren"),
    ("Ixelles", "Elsene"),
    ("Jette", "Jette"),
    ("Koekelberg", "Koekelberg"),
    ("Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek"),
    ("Saint-Gilles", "Sint-Gillis"),
    ("Saint-Josse-ten-Noode", "Sint-Joost-ten-Node"),
    ("Schaerbeek", "Schaarbeek"),
    ("Uccle", "Ukkel"),
    ("Watermael-Boitsfort", "Watermaal-Bosvoorde"),
    ("Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe"),
    ("Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe"),
}


@pytest.fixture(scope="module")
def ref() -> Reference:
    """Load the real reference data once."""
    return Reference.load(default_data_dir())


def all_cores(ref: Reference) -> list[Core]:
    """List every core of every territory."""
    return [core for territory in ref.territories.values() for core in territory.cores]


def ids(cores: list[Core]) -> list[str]:
    """Return the ids of `cores`."""
    return [core.id for core in cores]


# --------------------------------------------------------------------------- real data


def test_default_data_dir_is_repo_data() -> None:
    data_dir = default_data_dir()
    assert data_dir == Path(__file__).resolve().parent.parent / "data"
    assert (data_dir / "sectors.yaml").is_file()
    assert (data_dir / "territories" / "brussels.yaml").is_file()


def test_territories_in_order_with_names(ref: Reference) -> None:
    assert list(ref.territories) == ["brussels", "lessines"]
    brussels = ref.territories["brussels"]
    assert brussels.name("fr") == "Région de Bruxelles-Capitale"
    assert brussels.name("nl") == "Brussels Hoofdstedelijk Gewest"
    assert brussels.name("en") == "Brussels-Capital Region"
    assert brussels.name("de") == "Région de Bruxelles-Capitale"
    lessines = ref.territories["lessines"]
    assert (lessines.name("fr"), lessines.name("nl"), lessines.name("en")) == (
        "Lessines",
        "Lessen",
        "Lessines",
    )


def test_brussels_has_at_least_45_cores_across_all_19_communes(ref: Reference) -> None:
    cores = ref.territories["brussels"].cores
    assert len(cores) >= 45
    assert all(core.id.startswith("bru_") and core.territory == "brussels" for core in cores)
    assert {(core.commune_fr, core.commune_nl) for core in cores} == BRUSSELS_COMMUNES


def test_brussels_known_cores(ref: Reference) -> None:
    expected = {
        "bru_rue_neuve": ("Rue Neuve", "Nieuwstraat", "Bruxelles", "Brussel"),
        "bru_chaussee_d_ixelles": ("Chaussée d'Ixelles", "Elsensesteenweg", "Ixelles", "Elsene"),
        "bru_porte_de_namur": ("Porte de Namur", "Naamsepoort", "Ixelles", "Elsene"),
        "bru_parvis_saint_gilles": (
            "Parvis de Saint-Gilles",
            "Voorplein van Sint-Gillis",
            "Saint-Gilles",
            "Sint-Gillis",
        ),
        "bru_altitude_cent": ("Altitude Cent", "Hoogte Honderd", "Forest", "Vorst"),
        "bru_stockel": ("Stockel", "Stokkel", "Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe"),
    }
    for core_id, names in expected.items():
        core = ref.core(core_id)
        assert core is not None, core_id
        assert (core.name_fr, core.name_nl, core.commune_fr, core.commune_nl) == names


def test_lessines_has_centre_and_exactly_seven_villages(ref: Reference) -> None:
    cores = ref.territories["lessines"].cores
    assert set(ids(list(cores))) == LESSINES_IDS
    assert len(cores) == 8
    centre = ref.core("les_centre")
    assert centre is not None
    assert (centre.name_fr, centre.name_nl) == ("Lessines centre", "Lessen centrum")
    assert all((c.commune_fr, c.commune_nl) == ("Lessines", "Lessen") for c in cores)
    names = {core.id: (core.name_fr, core.name_nl) for core in cores}
    assert names["les_deux_acren"] == ("Deux-Acren", "Twee-Akren")
    assert names["les_ollignies"] == ("Ollignies", "Woelingen")
    assert {name_fr for name_fr, _ in names.values()} == {
        "Lessines centre",
        "Bois-de-Lessines",
        "Deux-Acren",
        "Ghoy",
        "Ogy",
        "Ollignies",
        "Papignies",
        "Wannebecq",
    }


def test_core_ids_unique_short_and_deep_link_safe(ref: Reference) -> None:
    core_ids = ids(all_cores(ref))
    assert len(core_ids) == len(set(core_ids))
    for core_id in core_ids:
        assert re.fullmatch(r"[a-z0-9_]+", core_id), core_id
        assert len(core_id) <= 32, core_id
        assert DEEP_LINK_PAYLOAD.fullmatch(f"core_{core_id}"), core_id


def test_core_names_unique_per_territory(ref: Reference) -> None:
    for territory in ref.territories.values():
        for attr in ("name_fr", "name_nl"):
            folded = [fold(getattr(core, attr)) for core in territory.cores]
            assert len(folded) == len(set(folded)), (territory.id, attr)


def test_sectors(ref: Reference) -> None:
    # What a shopkeeper picks from stays a short list; the needs add a few that are no shop.
    assert 16 <= len(ref.sectors) <= 24
    assert [s.id for s in ref.needs if not s.shop] == ["post_point", "bank_atm"]
    assert ref.needs[-1].id == "other" and ref.need("post_point") is not None
    assert ref.sector("post_point") is None
    sector_ids = [sector.id for sector in ref.sectors]
    assert len(sector_ids) == len(set(sector_ids))
    assert sector_ids[-1] == "other"
    for sector in ref.sectors:
        assert re.fullmatch(r"[a-z0-9_]+", sector.id) and len(sector.id) <= 24
        assert sector.emoji and not any(ch.isascii() for ch in sector.emoji)
        for lang in ("fr", "nl", "en"):
            label = sector.label(lang)
            assert label == label.strip() and 0 < len(label) <= 28, (sector.id, lang)


def test_lookups(ref: Reference) -> None:
    core = ref.core("bru_rue_neuve")
    assert core is not None and core.territory == "brussels"
    assert ref.core("nope") is None
    assert ref.core("") is None
    territory = ref.territory("lessines")
    assert territory is not None and territory.id == "lessines"
    assert ref.territory("paris") is None
    sector = ref.sector("other")
    assert sector is not None and sector.label("en") == "Other"
    assert ref.sector("nope") is None


def test_language_fallbacks(ref: Reference) -> None:
    core = ref.core("bru_chaussee_d_ixelles")
    assert core is not None
    assert core.name("fr") == core.name("en") == core.name("xx") == "Chaussée d'Ixelles"
    assert core.name("nl") == "Elsensesteenweg"
    assert core.commune("nl") == "Elsene"
    assert core.commune("en") == "Ixelles"
    sector = ref.sector("bakery")
    assert sector is not None
    assert sector.label("xx") == sector.fr
    assert sector.label("nl") == sector.nl
    assert sector.label("en") == sector.en


def test_models_are_frozen_and_strict(ref: Reference) -> None:
    core = ref.core("bru_rue_neuve")
    assert core is not None
    with pytest.raises(ValidationError):
        core.name_fr = "Autre"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Sector(id="x", emoji="🥖", fr="a", nl="b", en="c", de="d")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Core(
            id="xyz_rue",
            territory="brussels",
            name_fr="a",
            name_nl="b",
            commune_fr="c",
            commune_nl="d",
        )
    with pytest.raises(ValidationError):
        Sector(id="x", emoji="A", fr="a", nl="b", en="c")
    assert isinstance(ref.territories["brussels"], Territory)


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
@pytest.mark.parametrize("size", [1, 5, 8, 10, 200])
@pytest.mark.parametrize("territory_id", ["brussels", "lessines"])
def test_pagination_covers_every_core_once(
    ref: Reference, territory_id: str, size: int, lang: str
) -> None:
    territory = ref.territories[territory_id]
    first, pages = ref.cores_page(territory_id, 0, size, lang)
    assert pages == max(1, -(-len(territory.cores) // size))
    seen: list[Core] = list(first)
    for page in range(1, pages):
        cores, count = ref.cores_page(territory_id, page, size, lang)
        assert count == pages
        assert 0 < len(cores) <= size
        seen.extend(cores)
    assert sorted(ids(seen)) == sorted(ids(list(territory.cores)))
    assert len(seen) == len(set(ids(seen)))
    keys = [fold(core.name(lang)) for core in seen]
    assert keys == sorted(keys)


def test_pagination_sorts_accent_and_case_insensitively(ref: Reference) -> None:
    cores, _ = ref.cores_page("brussels", 0, 500, "fr")
    names = [core.name_fr for core in cores]
    # "Émile"-style accents and lowercase particles must not sort after "Z".
    assert names.index("Chaussée d'Alsemberg") < names.index("Chaussée de Charleroi")
    assert names.index("Place du Châtelain") < names.index("Place Dumon")
    nl_cores, _ = ref.cores_page("brussels", 0, 500, "nl")
    assert nl_cores[0].name_nl == "Alsembergsesteenweg"


def test_pagination_clamps_page(ref: Reference) -> None:
    first, pages = ref.cores_page("brussels", 0, 10, "fr")
    assert ref.cores_page("brussels", -5, 10, "fr") == (first, pages)
    last, _ = ref.cores_page("brussels", pages - 1, 10, "fr")
    assert ref.cores_page("brussels", pages + 100, 10, "fr") == (last, pages)


def test_pagination_unknown_territory_and_bad_size(ref: Reference) -> None:
    assert ref.cores_page("paris", 0, 10, "fr") == ([], 0)
    with pytest.raises(ValueError):
        ref.cores_page("brussels", 0, 0, "fr")


# --------------------------------------------------------------------------- search


def test_search_ixelles_finds_chaussee_first(ref: Reference) -> None:
    results = ref.search_cores("brussels", "ixelles", "fr")
    assert results[0].id == "bru_chaussee_d_ixelles"
    assert "bru_cimetiere_d_ixelles" in ids(results)
    # Commune matches come after name matches.
    assert all(core.commune_fr == "Ixelles" for core in results)


def test_search_dutch_name(ref: Reference) -> None:
    assert ref.search_cores("brussels", "elsense", "nl")[0].id == "bru_chaussee_d_ixelles"
    assert ref.search_cores(None, "Elsensesteenweg", "fr")[0].id == "bru_chaussee_d_ixelles"
    assert ref.search_cores(None, "naamse poort", "nl")[0].id == "bru_porte_de_namur"
    assert ref.search_cores(None, "stokkel", "nl")[0].id == "bru_stockel"


@pytest.mark.parametrize("query", ["st gilles", "saint-gilles", "sint gillis", "St-Gilles"])
def test_search_saint_gilles(ref: Reference, query: str) -> None:
    expected = {c.id for c in all_cores(ref) if c.commune_fr == "Saint-Gilles"}
    results = ref.search_cores("brussels", query, "fr")
    assert set(ids(results)) == expected
    assert set(ids(results[:2])) == {"bru_parvis_saint_gilles", "bru_barriere_saint_gilles"}


@pytest.mark.parametrize("query", ["acren", "DEUX ACREN", "deux-acren", "twee akren", "Acrèn"])
def test_search_deux_acren(ref: Reference, query: str) -> None:
    results = ref.search_cores("lessines", query, "fr")
    assert results and results[0].id == "les_deux_acren"
    assert ref.search_cores(None, query, "fr")[0].id == "les_deux_acren"


def test_search_ranking_tiers(ref: Reference) -> None:
    # Name starts with the query beats a later word starting with it.
    results = ref.search_cores("brussels", "place", "fr", limit=100)
    assert ids(results)[-1] == "bru_grand_place"
    assert all(core.name_fr.startswith("Place ") for core in results[:-1])
    results = ref.search_cores("brussels", "louise", "fr")
    assert results[0].id == "bru_louise"
    # Prefix of the name > word prefix > substring > commune.
    results = ref.search_cores("brussels", "waterloo", "fr", limit=100)
    assert ids(results)[:2] == ["bru_boulevard_de_waterloo", "bru_chaussee_de_waterloo"]
    results = ref.search_cores("brussels", "chaussee", "fr", limit=100)
    assert results and all(core.name_fr.startswith("Chaussée") for core in results)
    results = ref.search_cores("brussels", "uccle", "fr", limit=100)
    assert results[0].id == "bru_uccle_centre"
    assert {core.commune_fr for core in results} == {"Uccle"}


def test_search_all_words_must_match(ref: Reference) -> None:
    assert ids(ref.search_cores(None, "chaussee wavre", "fr")) == ["bru_chaussee_de_wavre"]
    assert ids(ref.search_cores(None, "chee de wavre", "fr")) == ["bru_chaussee_de_wavre"]
    assert ref.search_cores(None, "chaussee zanzibar", "fr") == []
    # Words may match across name and commune.
    assert ids(ref.search_cores(None, "waterloo saint-gilles", "fr")) == [
        "bru_chaussee_de_waterloo"
    ]


def test_search_ignores_noise(ref: Reference) -> None:
    expected = ref.search_cores(None, "ixelles", "fr")
    noisy_queries = [
        "  IXELLES  ",
        "ixelles 🛍️",
        "🛍️ixelles",
        "ix\u200felles",
        "\u202bixelles\u202c",
        "ixel\x00les",
        "«ixelles»",
    ]
    for noisy in noisy_queries:
        assert ref.search_cores(None, noisy, "fr") == expected, repr(noisy)


@pytest.mark.parametrize("query", ["", "   ", "🛍️", "🛍️👍🏽", "\u200f\u200e", "\x00\x1b", "--!?"])
def test_search_empty_or_noise_only_returns_nothing(ref: Reference, query: str) -> None:
    assert ref.search_cores(None, query, "fr") == []


def test_search_query_trimmed_to_64_chars(ref: Reference) -> None:
    # Only the first 64 characters count: "neuve" falls off the end here.
    cut = ids(ref.search_cores(None, "rue " * 16 + "neuve", "fr", limit=100))
    assert "bru_rue_neuve" in cut and "bru_rue_du_midi" in cut
    long_query = "x" * 64 + "neuve"
    assert ref.search_cores(None, long_query, "fr") == []
    padded = "neuve" + " " * 200
    assert ids(ref.search_cores(None, padded, "fr")) == ["bru_rue_neuve"]


def test_search_scope_and_limit(ref: Reference) -> None:
    assert ref.search_cores("brussels", "acren", "fr") == []
    assert ref.search_cores("paris", "neuve", "fr") == []
    assert len(ref.search_cores(None, "a", "fr", limit=3)) == 3
    assert ref.search_cores(None, "a", "fr", limit=0) == []
    assert len(ref.search_cores(None, "e", "fr")) == 8


def test_search_finds_every_core_by_its_names(ref: Reference) -> None:
    for core in all_cores(ref):
        for lang in ("fr", "nl"):
            results = ref.search_cores(core.territory, core.name(lang), lang)
            assert core in results, (core.id, lang)


# --------------------------------------------------------------------------- loader errors


def core_row(core_id: str, name_fr: str, name_nl: str) -> dict[str, str]:
    """Build one core mapping for a test territory file."""
    return {
        "id": core_id,
        "name_fr": name_fr,
        "name_nl": name_nl,
        "commune_fr": "Ixelles",
        "commune_nl": "Elsene",
    }


def valid_files() -> dict[str, Any]:
    """Return a minimal valid data set as {relative path: YAML data}."""
    return {
        "territories/brussels.yaml": {
            "id": "brussels",
            "name_fr": "Région de Bruxelles-Capitale",
            "name_nl": "Brussels Hoofdstedelijk Gewest",
            "name_en": "Brussels-Capital Region",
            "cores": [
                core_row("bru_flagey", "Place Flagey", "Flageyplein"),
                core_row("bru_matonge", "Matonge", "Matonge"),
            ],
        },
        "territories/lessines.yaml": {
            "id": "lessines",
            "name_fr": "Lessines",
            "name_nl": "Lessen",
            "name_en": "Lessines",
            "cores": [
                {
                    "id": "les_centre",
                    "name_fr": "Lessines centre",
                    "name_nl": "Lessen centrum",
                    "commune_fr": "Lessines",
                    "commune_nl": "Lessen",
                }
            ],
        },
        "sectors.yaml": {
            "sectors": [
                {
                    "id": "bakery",
                    "emoji": "🥖",
                    "fr": "Boulangerie",
                    "nl": "Bakkerij",
                    "en": "Bakery",
                },
                {"id": "other", "emoji": "➕", "fr": "Autre", "nl": "Andere", "en": "Other"},
            ]
        },
    }


def write_files(root: Path, files: dict[str, Any]) -> Path:
    """Write `files` under `root` (dicts as YAML, strings verbatim) and return `root`."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    (root / "territories").mkdir(parents=True, exist_ok=True)
    return root


def load_error(tmp_path: Path, files: dict[str, Any]) -> str:
    """Load `files` from tmp_path, expect ReferenceDataError and return its message."""
    with pytest.raises(ReferenceDataError) as info:
        Reference.load(write_files(tmp_path, files))
    assert isinstance(info.value, ValueError)
    return str(info.value)


def test_minimal_valid_data_loads(tmp_path: Path) -> None:
    ref = Reference.load(write_files(tmp_path, valid_files()))
    assert list(ref.territories) == ["brussels", "lessines"]
    assert [s.id for s in ref.sectors] == ["bakery", "other"]
    core = ref.core("les_centre")
    assert core is not None and core.territory == "lessines"


def test_error_invalid_yaml(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/brussels.yaml"] = "id: brussels\ncores: [unclosed\n"
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "invalid YAML" in message


def test_error_invalid_yaml_in_sectors(tmp_path: Path) -> None:
    files = valid_files()
    files["sectors.yaml"] = "sectors:\n  - {id: bakery\n"
    message = load_error(tmp_path, files)
    assert "sectors.yaml" in message and "invalid YAML" in message


def test_error_top_level_not_mapping(tmp_path: Path) -> None:
    files = valid_files()
    files["sectors.yaml"] = "- just\n- a list\n"
    message = load_error(tmp_path, files)
    assert "sectors.yaml" in message and "mapping" in message


def test_error_missing_field(tmp_path: Path) -> None:
    files = valid_files()
    del files["territories/brussels.yaml"]["cores"][1]["name_nl"]
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "cores[1].name_nl" in message


def test_error_unknown_field(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/lessines.yaml"]["cores"][0]["postcode"] = "7860"
    message = load_error(tmp_path, files)
    assert "lessines.yaml" in message and "postcode" in message


def test_error_bad_core_id(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/brussels.yaml"]["cores"][0]["id"] = "bru_Place-Flagey"
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "cores[0].id" in message


def test_error_sector_label_too_long(tmp_path: Path) -> None:
    files = valid_files()
    files["sectors.yaml"]["sectors"][0]["nl"] = "Bakkerij " * 5
    message = load_error(tmp_path, files)
    assert "sectors.yaml" in message and "sectors[0]" in message and "nl" in message


def test_error_sector_bad_emoji(tmp_path: Path) -> None:
    files = valid_files()
    files["sectors.yaml"]["sectors"][1]["emoji"] = "+"
    message = load_error(tmp_path, files)
    assert "sectors.yaml" in message and "emoji" in message


def test_error_duplicate_core_ids(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/brussels.yaml"]["cores"][1]["id"] = "bru_flagey"
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "duplicate core id 'bru_flagey'" in message


def test_error_duplicate_sector_ids(tmp_path: Path) -> None:
    files = valid_files()
    files["sectors.yaml"]["sectors"][1]["id"] = "bakery"
    message = load_error(tmp_path, files)
    assert "sectors.yaml" in message and "duplicate sector id 'bakery'" in message


def test_error_duplicate_french_name(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/brussels.yaml"]["cores"].append(
        core_row("bru_flagey_bis", "PLACE FLAGÉY", "Flageyplein bis")
    )
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "duplicate name_fr" in message


def test_error_duplicate_dutch_name(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/brussels.yaml"]["cores"].append(
        core_row("bru_other", "Autre place", "Flageyplein")
    )
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "duplicate name_nl" in message


def test_error_core_prefix_mismatch(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/lessines.yaml"]["cores"][0]["id"] = "bru_lessines_centre"
    message = load_error(tmp_path, files)
    assert "lessines.yaml" in message and "must start with 'les_'" in message


def test_error_territory_id_does_not_match_file_name(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/brussels.yaml"]["id"] = "lessines"
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "file name" in message


def test_error_core_territory_field_mismatch(tmp_path: Path) -> None:
    files = valid_files()
    files["territories/brussels.yaml"]["cores"][0]["territory"] = "lessines"
    message = load_error(tmp_path, files)
    assert "brussels.yaml" in message and "territory" in message


def test_error_missing_files(tmp_path: Path) -> None:
    files = valid_files()
    del files["sectors.yaml"]
    message = load_error(tmp_path, files)
    assert "sectors.yaml" in message and "not found" in message
    empty = tmp_path / "empty"
    (empty / "territories").mkdir(parents=True)
    with pytest.raises(ReferenceDataError, match="no territory files"):
        Reference.load(empty)
