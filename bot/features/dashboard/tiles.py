"""Load the tile maps' layout (``data/tiles.yaml``): a grid square for each commune or core.

The file sits beside ``data/territories/`` rather than in it: the reference loader reads every
``*.yaml`` there as a territory. It is validated when read (positions and keys unique, the 19
communes of Brussels each once) and against the reference data when used (every core of a
territory on some tile, names as spelt in the territory files).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bot.reference import Core, Reference, ReferenceDataError, default_data_dir

logger = logging.getLogger(__name__)

BRUSSELS_COMMUNES: frozenset[str] = frozenset(
    {
        "Anderlecht",
        "Auderghem",
        "Berchem-Sainte-Agathe",
        "Bruxelles",
        "Etterbeek",
        "Evere",
        "Forest",
        "Ganshoren",
        "Ixelles",
        "Jette",
        "Koekelberg",
        "Molenbeek-Saint-Jean",
        "Saint-Gilles",
        "Saint-Josse-ten-Noode",
        "Schaerbeek",
        "Uccle",
        "Watermael-Boitsfort",
        "Woluwe-Saint-Lambert",
        "Woluwe-Saint-Pierre",
    }
)
"""The 19 communes of the Brussels-Capital Region, spelt as ``commune_fr`` in brussels.yaml."""

_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
_Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=24)]
_Cell = Annotated[int, Field(ge=0, le=20)]


class _Entry(BaseModel):
    """One line of the file: a commune or a core, its short labels and its grid cell."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commune_fr: _Name | None = None
    commune_nl: _Name | None = None
    core: Annotated[str, Field(pattern=r"^[a-z]+_[a-z0-9_]+$", max_length=32)] | None = None
    label_fr: _Label
    label_nl: _Label
    row: _Cell
    col: _Cell

    @property
    def key_part(self) -> str:
        """Return what names the place in its key: the core id or the commune's French name."""
        return self.core if self.core is not None else str(self.commune_fr)


@dataclass(frozen=True, slots=True)
class TilePlace:
    """A tile of a territory's map: a commune or core, where it sits, the cores it links to."""

    key: str
    territory: str
    row: int
    col: int
    label_fr: str
    label_nl: str
    name_fr: str
    name_nl: str
    core_ids: tuple[str, ...]

    def label(self, lang: str) -> str:
        """Return the short label shown on the tile (Dutch for "nl", French otherwise)."""
        return self.label_nl if lang == "nl" else self.label_fr

    def name(self, lang: str) -> str:
        """Return the place's full name (Dutch for "nl", French otherwise)."""
        return self.name_nl if lang == "nl" else self.name_fr


def tiles_path() -> Path:
    """Return the repository's tile layout file."""
    return default_data_dir() / "tiles.yaml"


def load_layout(path: Path | None = None) -> dict[str, tuple[_Entry, ...]]:
    """Read and check the layout file (cached): territory id -> its tiles."""
    return _load(tiles_path() if path is None else Path(path))


@cache
def _load(path: Path) -> dict[str, tuple[_Entry, ...]]:
    """Read, validate and return the layout file at `path`."""
    data = _read(path)
    layout: dict[str, tuple[_Entry, ...]] = {}
    for territory, raw in data.items():
        if not isinstance(raw, list) or not raw:
            raise ReferenceDataError(f"{path}: {territory!r} must be a non-empty list")
        entries: list[_Entry] = []
        for position, item in enumerate(raw):
            try:
                entry = _Entry.model_validate(item)
            except ValidationError as exc:
                raise ReferenceDataError(f"{path}: {territory}[{position}]: {exc}") from None
            if (entry.core is None) == (entry.commune_fr is None) or (
                (entry.commune_fr is None) != (entry.commune_nl is None)
            ):
                raise ReferenceDataError(
                    f"{path}: {territory}[{position}]: give either core, or commune_fr and"
                    " commune_nl"
                )
            entries.append(entry)
        _check_territory(path, str(territory), entries)
        layout[str(territory)] = tuple(entries)
    return layout


def _read(path: Path) -> dict[Any, Any]:
    """Read a YAML file whose top level is a mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReferenceDataError(f"{path}: cannot read tile layout: {exc}") from exc
    if not isinstance(data, dict):
        raise ReferenceDataError(f"{path}: top level must be a mapping of territories")
    return data


def _check_territory(path: Path, territory: str, entries: list[_Entry]) -> None:
    """Check one territory's tiles on their own: unique cells and places, one kind of tile."""
    cells: dict[tuple[int, int], str] = {}
    places: set[str] = set()
    for entry in entries:
        cell = (entry.row, entry.col)
        if cell in cells:
            raise ReferenceDataError(
                f"{path}: {territory}: {entry.key_part!r} and {cells[cell]!r} share row"
                f" {entry.row}, col {entry.col}"
            )
        cells[cell] = entry.key_part
        if entry.key_part in places:
            raise ReferenceDataError(f"{path}: {territory}: {entry.key_part!r} twice")
        places.add(entry.key_part)
    if len({entry.core is None for entry in entries}) > 1:
        raise ReferenceDataError(f"{path}: {territory}: mixes commune and core tiles")
    if territory == "brussels" and places != BRUSSELS_COMMUNES:
        missing = sorted(BRUSSELS_COMMUNES - places)
        unknown = sorted(places - BRUSSELS_COMMUNES)
        raise ReferenceDataError(
            f"{path}: brussels needs the 19 communes, missing {missing}, unknown {unknown}"
        )


def tiles_for(
    territory_id: str, reference: Reference, *, path: Path | None = None
) -> tuple[TilePlace, ...]:
    """Return a territory's tiles, north-west first, each with the cores it links to.

    An unknown territory, or one without a tile map, gives an empty tuple. Raises
    :class:`ReferenceDataError` when the layout and the territory file disagree (a core on no
    tile, a core or commune unknown to the territory, a commune spelt otherwise).
    """
    territory = reference.territory(territory_id)
    entries = load_layout(path).get(territory_id)
    if territory is None or entries is None:
        return ()
    where = tiles_path() if path is None else path
    places: list[TilePlace] = []
    covered: set[str] = set()
    for entry in sorted(entries, key=lambda e: (e.row, e.col)):
        if entry.core is not None:
            core = reference.core(entry.core)
            if core is None or core.territory != territory_id:
                raise ReferenceDataError(f"{where}: {territory_id}: unknown core {entry.core!r}")
            cores: tuple[Core, ...] = (core,)
            key = f"core:{core.id}"
            name_fr, name_nl = core.name_fr, core.name_nl
        else:
            cores = tuple(c for c in territory.cores if c.commune_fr == entry.commune_fr)
            key = f"commune:{territory_id}:{entry.commune_fr}"
            name_fr, name_nl = str(entry.commune_fr), str(entry.commune_nl)
            if any(c.commune_nl != entry.commune_nl for c in cores):
                raise ReferenceDataError(
                    f"{where}: {territory_id}: {entry.commune_fr!r} is not"
                    f" {entry.commune_nl!r} in Dutch in the territory file"
                )
        covered.update(c.id for c in cores)
        places.append(
            TilePlace(
                key=key,
                territory=territory_id,
                row=entry.row,
                col=entry.col,
                label_fr=entry.label_fr,
                label_nl=entry.label_nl,
                name_fr=name_fr,
                name_nl=name_nl,
                core_ids=tuple(c.id for c in cores),
            )
        )
    untiled = [c.id for c in territory.cores if c.id not in covered]
    if untiled:
        raise ReferenceDataError(f"{where}: {territory_id}: cores on no tile: {untiled}")
    return tuple(places)
