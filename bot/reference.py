"""Load and query Échoppe's reference data: territories, commercial cores and sectors.

Data lives in ``data/territories/<territory_id>.yaml`` (one file per territory, loaded in
file-name order) and ``data/sectors.yaml``. Everything is validated at load time; any
problem raises :class:`ReferenceDataError` naming the file and the problem.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml  # type: ignore[import-untyped,unused-ignore]
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

Lang = Literal["fr", "nl", "en"]

LANGS: tuple[Lang, ...] = ("fr", "nl", "en")
"""Supported interface languages."""

CORE_ID_PREFIXES: Mapping[str, str] = {"brussels": "bru_", "lessines": "les_"}
"""Required core id prefix for each territory id."""

MAX_QUERY_CHARS = 64
"""Search queries are trimmed to this many characters before matching."""

_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
_Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=28)]
_Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=32)]


class ReferenceDataError(ValueError):
    """Signal invalid or inconsistent reference data files."""


class _Frozen(BaseModel):
    """Base for immutable reference models that reject unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Core(_Frozen):
    """A commercial core (shopping street, square or village) inside a territory."""

    id: Annotated[str, Field(pattern=r"^(bru|les)_[a-z0-9_]+$", max_length=32)]
    territory: _Slug
    name_fr: _Name
    name_nl: _Name
    commune_fr: _Name
    commune_nl: _Name

    def name(self, lang: str) -> str:
        """Return the core name in `lang` (Dutch for "nl", French otherwise)."""
        return self.name_nl if lang == "nl" else self.name_fr

    def commune(self, lang: str) -> str:
        """Return the commune name in `lang` (Dutch for "nl", French otherwise)."""
        return self.commune_nl if lang == "nl" else self.commune_fr


class Territory(_Frozen):
    """A territory served by the bot, with its commercial cores."""

    id: _Slug
    name_fr: _Name
    name_nl: _Name
    name_en: _Name
    cores: Annotated[tuple[Core, ...], Field(min_length=1)]

    def name(self, lang: str) -> str:
        """Return the territory name in `lang` (French for unknown languages)."""
        if lang == "nl":
            return self.name_nl
        if lang == "en":
            return self.name_en
        return self.name_fr


class Sector(_Frozen):
    """A sector of independent retail or services."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=24)]
    emoji: str
    fr: _Label
    nl: _Label
    en: _Label
    # False: something people may miss (a post point) that is no shop's own sector.
    shop: bool = True

    @field_validator("emoji")
    @classmethod
    def _check_emoji(cls, value: str) -> str:
        """Require a single emoji (one pictograph plus optional modifiers)."""
        ok = (
            1 <= len(value) <= 8
            and unicodedata.category(value[0]) == "So"
            and not any(ch.isascii() or ch.isspace() for ch in value)
        )
        if not ok:
            raise ValueError(f"must be a single emoji, got {value!r}")
        return value

    def label(self, lang: str) -> str:
        """Return the label in `lang` (French for unknown languages)."""
        if lang == "nl":
            return self.nl
        if lang == "en":
            return self.en
        return self.fr


# --------------------------------------------------------------------------- text folding

_FOLD_TABLE = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ı": "i",
    }
)

_ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {
    "st": ("saint", "sint"),
    "ste": ("sainte", "sint"),
    "sts": ("saints",),
    "ch": ("chaussee",),
    "chee": ("chaussee",),
    "chs": ("chaussee",),
    "stwg": ("steenweg",),
    "av": ("avenue",),
    "bd": ("boulevard",),
    "bld": ("boulevard",),
    "bvd": ("boulevard",),
    "pl": ("place", "plein"),
}


def fold(text: str) -> str:
    """Fold text for matching: lowercase, no accents, punctuation as single spaces."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text.translate(_FOLD_TABLE)):
        category = unicodedata.category(ch)
        if category[0] in "LN":
            out.append(ch.casefold())
        elif ch.isspace() or category[0] in "PZS":
            out.append(" ")
        # Marks (accents, variation selectors), format characters (RTL marks, ZWJ),
        # other control characters and unassigned code points are dropped.
    return " ".join("".join(out).split())


def sort_key(text: str) -> tuple[str, str]:
    """Return a case- and accent-insensitive sort key for display names."""
    return fold(text), text.casefold()


@dataclass(frozen=True, slots=True)
class _Folded:
    """A folded field: the text, its words and its space-free form."""

    text: str
    words: tuple[str, ...]
    compact: str

    @classmethod
    def of(cls, raw: str) -> _Folded:
        """Fold `raw` into its matching forms."""
        text = fold(raw)
        return cls(text, tuple(text.split()), text.replace(" ", ""))

    def contains(self, alternatives: Iterable[str]) -> bool:
        """Tell whether any alternative occurs in the text (spaces optional)."""
        return any(alt in self.text or alt in self.compact for alt in alternatives)

    def has_word_prefix(self, alternatives: Iterable[str]) -> bool:
        """Tell whether some word starts with one of the alternatives."""
        return any(word.startswith(alt) for alt in alternatives for word in self.words)

    def starts_with(self, query: Sequence[tuple[str, ...]], compact_query: str) -> bool:
        """Tell whether the text starts with the whole query."""
        if self.compact.startswith(compact_query):
            return True
        if len(query) > len(self.words):
            return False
        *heads, last = query
        return all(self.words[i] in alts for i, alts in enumerate(heads)) and any(
            self.words[len(heads)].startswith(alt) for alt in last
        )


@dataclass(frozen=True, slots=True)
class _CoreIndex:
    """Pre-folded searchable fields of one core."""

    core: Core
    names: tuple[_Folded, ...]
    communes: tuple[_Folded, ...]


def _query_words(query: str) -> list[tuple[str, ...]]:
    """Split a raw query into folded words, each with its accepted alternatives."""
    words = fold(query.strip()[:MAX_QUERY_CHARS]).split()
    return [(word, *_ABBREVIATIONS.get(word, ())) for word in words]


def _rank(entry: _CoreIndex, query: Sequence[tuple[str, ...]], compact: str) -> int | None:
    """Rank a core for a query (lower is better), or None when it does not match."""
    fields = entry.names + entry.communes
    if not all(any(f.contains(alts) for f in fields) for alts in query):
        return None
    if any(name.starts_with(query, compact) for name in entry.names):
        return 0
    if any(all(name.has_word_prefix(alts) for alts in query) for name in entry.names):
        return 1
    if any(all(name.contains(alts) for alts in query) for name in entry.names):
        return 2
    return 3


# --------------------------------------------------------------------------- reference


class Reference:
    """All territories, cores and sectors, with lookups, paging and search."""

    def __init__(self, territories: Mapping[str, Territory], sectors: Sequence[Sector]) -> None:
        """Index already validated territories and sectors."""
        self.territories: dict[str, Territory] = dict(territories)
        # What a shop can be (the pickers); `needs` adds what people may miss besides.
        self.sectors: tuple[Sector, ...] = tuple(s for s in sectors if s.shop)
        self.needs: tuple[Sector, ...] = tuple(sectors)
        self._needs: dict[str, Sector] = {sector.id: sector for sector in self.needs}
        self._cores: dict[str, Core] = {
            core.id: core for territory in self.territories.values() for core in territory.cores
        }
        self._sectors: dict[str, Sector] = {sector.id: sector for sector in self.sectors}
        self._index: dict[str, tuple[_CoreIndex, ...]] = {
            tid: tuple(
                _CoreIndex(
                    core,
                    (_Folded.of(core.name_fr), _Folded.of(core.name_nl)),
                    (_Folded.of(core.commune_fr), _Folded.of(core.commune_nl)),
                )
                for core in territory.cores
            )
            for tid, territory in self.territories.items()
        }
        self._sorted: dict[tuple[str, str], tuple[Core, ...]] = {}

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Reference:
        """Load and validate reference data from `data_dir` (default: the repo's data/)."""
        root = default_data_dir() if data_dir is None else Path(data_dir)
        territories = _load_territories(root / "territories")
        sectors = _load_sectors(root / "sectors.yaml")
        return cls(territories, sectors)

    def core(self, core_id: str) -> Core | None:
        """Return the core with this id, or None."""
        return self._cores.get(core_id)

    def territory(self, territory_id: str) -> Territory | None:
        """Return the territory with this id, or None."""
        return self.territories.get(territory_id)

    def sector(self, sector_id: str) -> Sector | None:
        """Return the sector with this id, or None."""
        return self._sectors.get(sector_id)

    def need(self, sector_id: str) -> Sector | None:
        """Return a sector people may miss (any sector, or a need such as a post point)."""
        return self._needs.get(sector_id)

    def sorted_cores(self, territory_id: str, lang: str) -> tuple[Core, ...]:
        """Return a territory's cores sorted by their name in `lang` (empty if unknown)."""
        name_lang = "nl" if lang == "nl" else "fr"
        key = (territory_id, name_lang)
        cached = self._sorted.get(key)
        if cached is None:
            territory = self.territories.get(territory_id)
            cores = territory.cores if territory is not None else ()
            cached = tuple(sorted(cores, key=lambda c: (sort_key(c.name(name_lang)), c.id)))
            self._sorted[key] = cached
        return cached

    def cores_page(
        self, territory_id: str, page: int, size: int, lang: str
    ) -> tuple[list[Core], int]:
        """Return one 0-based page of a territory's cores sorted by name, and the page count.

        `page` is clamped into ``[0, pages - 1]``. An unknown territory gives ``([], 0)``.
        """
        if size < 1:
            raise ValueError(f"page size must be at least 1, got {size}")
        if territory_id not in self.territories:
            return [], 0
        cores = self.sorted_cores(territory_id, lang)
        pages = max(1, math.ceil(len(cores) / size))
        page = min(max(page, 0), pages - 1)
        return list(cores[page * size : (page + 1) * size]), pages

    def search_cores(
        self, territory_id: str | None, query: str, lang: str, limit: int = 8
    ) -> list[Core]:
        """Find cores whose names or communes match every word of `query`, best first.

        Matching ignores case, accents, punctuation, control characters and emoji; "st"
        also matches "saint"/"sint". Ranking: name starts with the query, then a name word
        starts with each query word, then name substring, then commune-only matches; ties
        are broken by the name in `lang`. `territory_id=None` searches every territory.
        """
        words = _query_words(query)
        if not words or limit < 1:
            return []
        if territory_id is None:
            entries: Iterable[_CoreIndex] = (e for idx in self._index.values() for e in idx)
        else:
            entries = self._index.get(territory_id, ())
        compact = "".join(alts[0] for alts in words)
        ranked: list[tuple[int, tuple[str, str], str, Core]] = []
        for entry in entries:
            rank = _rank(entry, words, compact)
            if rank is not None:
                core = entry.core
                ranked.append((rank, sort_key(core.name(lang)), core.id, core))
        ranked.sort(key=lambda item: item[:3])
        return [item[3] for item in ranked[:limit]]


def default_data_dir() -> Path:
    """Return the repository's data directory (``<repo root>/data``)."""
    return Path(__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------- loading


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{path}: cannot read file: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ReferenceDataError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _describe(exc: ValidationError) -> str:
    """Summarise a pydantic validation error as `location: message` items."""
    parts: list[str] = []
    for error in exc.errors():
        location = ""
        for item in error["loc"]:
            location += f"[{item}]" if isinstance(item, int) else f".{item}"
        parts.append(f"{location.lstrip('.') or '<root>'}: {error['msg']}")
    return "; ".join(parts)


def _load_territories(directory: Path) -> dict[str, Territory]:
    """Load every territory file in `directory`, in file-name order, and check consistency."""
    if not directory.is_dir():
        raise ReferenceDataError(f"{directory}: territories directory not found")
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ReferenceDataError(f"{directory}: no territory files (*.yaml)")
    territories: dict[str, Territory] = {}
    core_files: dict[str, Path] = {}
    for path in paths:
        territory = _load_territory(path)
        if territory.id in territories:
            raise ReferenceDataError(f"{path}: duplicate territory id {territory.id!r}")
        for core in territory.cores:
            if core.id in core_files:
                raise ReferenceDataError(
                    f"{path}: duplicate core id {core.id!r} (already in {core_files[core.id]})"
                )
            core_files[core.id] = path
        territories[territory.id] = territory
    return territories


def _load_territory(path: Path) -> Territory:
    """Load and validate one territory file."""
    data = _read_yaml_mapping(path)
    territory_id = data.get("id")
    if not isinstance(territory_id, str):
        raise ReferenceDataError(f"{path}: missing or invalid territory 'id'")
    if territory_id != path.stem:
        raise ReferenceDataError(
            f"{path}: territory id {territory_id!r} does not match the file name"
        )
    prefix = CORE_ID_PREFIXES.get(territory_id)
    if prefix is None:
        raise ReferenceDataError(
            f"{path}: unknown territory {territory_id!r} (no core id prefix defined)"
        )
    raw_cores = data.get("cores")
    if not isinstance(raw_cores, list):
        raise ReferenceDataError(f"{path}: 'cores' must be a list")
    cores: list[Any] = []
    for position, raw in enumerate(raw_cores):
        if not isinstance(raw, dict):
            raise ReferenceDataError(f"{path}: cores[{position}] must be a mapping")
        if raw.get("territory", territory_id) != territory_id:
            raise ReferenceDataError(
                f"{path}: cores[{position}] has territory {raw['territory']!r}, "
                f"expected {territory_id!r}"
            )
        cores.append({**raw, "territory": territory_id})
    try:
        territory = Territory.model_validate({**data, "cores": cores})
    except ValidationError as exc:
        raise ReferenceDataError(f"{path}: {_describe(exc)}") from None
    _check_cores(path, territory, prefix)
    return territory


def _check_cores(path: Path, territory: Territory, prefix: str) -> None:
    """Check core id prefixes and uniqueness of ids and names within a territory."""
    seen_ids: set[str] = set()
    seen_names: dict[tuple[str, str], str] = {}
    for core in territory.cores:
        if not core.id.startswith(prefix):
            raise ReferenceDataError(
                f"{path}: core id {core.id!r} must start with {prefix!r} "
                f"for territory {territory.id!r}"
            )
        if core.id in seen_ids:
            raise ReferenceDataError(f"{path}: duplicate core id {core.id!r}")
        seen_ids.add(core.id)
        for lang, name in (("fr", core.name_fr), ("nl", core.name_nl)):
            key = (lang, fold(name))
            if key in seen_names:
                raise ReferenceDataError(
                    f"{path}: duplicate name_{lang} {name!r} "
                    f"(cores {seen_names[key]!r} and {core.id!r})"
                )
            seen_names[key] = core.id


def _load_sectors(path: Path) -> tuple[Sector, ...]:
    """Load and validate the sectors file."""
    data = _read_yaml_mapping(path)
    unknown = sorted(set(data) - {"sectors"})
    if unknown:
        raise ReferenceDataError(f"{path}: unknown top-level keys {unknown}")
    raw_sectors = data.get("sectors")
    if not isinstance(raw_sectors, list) or not raw_sectors:
        raise ReferenceDataError(f"{path}: 'sectors' must be a non-empty list")
    sectors: list[Sector] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_sectors):
        try:
            sector = Sector.model_validate(raw)
        except ValidationError as exc:
            raise ReferenceDataError(f"{path}: sectors[{position}]: {_describe(exc)}") from None
        if sector.id in seen:
            raise ReferenceDataError(f"{path}: duplicate sector id {sector.id!r}")
        seen.add(sector.id)
        sectors.append(sector)
    return tuple(sectors)
