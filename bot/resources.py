"""Load what help exists per factor and territory (data/resources/*.yaml), validated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nlp.taxonomy import FACTOR_IDS


class ResourceDataError(ValueError):
    """Raised when a resources file is missing, malformed or inconsistent."""


class Texts(BaseModel):
    """Hold one short text per language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fr: str = Field(min_length=1, max_length=160)
    nl: str = Field(min_length=1, max_length=160)
    en: str = Field(min_length=1, max_length=160)

    def get(self, lang: str) -> str:
        """Return the text in a language (French when unknown)."""
        return str(getattr(self, lang)) if lang in ("fr", "nl", "en") else self.fr


class Resource(BaseModel):
    """Describe one organisation or scheme that helps with some factors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    factors: tuple[str, ...] = Field(min_length=1)
    name: Texts
    description: Texts
    url: str | None = None
    phone: str | None = None

    @field_validator("factors")
    @classmethod
    def _known_factors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [f for f in value if f not in FACTOR_IDS]
        if unknown:
            raise ValueError(f"unknown factors {unknown}")
        return value

    @field_validator("url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s]+$", value):
            raise ValueError(f"not a web address: {value!r}")
        return value


class TerritoryResources(BaseModel):
    """Hold the resources of one territory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    territory: str
    resources: tuple[Resource, ...]


class Resources:
    """Answer 'what help exists for this factor here?'."""

    def __init__(self, by_territory: dict[str, TerritoryResources]) -> None:
        self._by_territory = by_territory

    @classmethod
    def load(cls, directory: Path) -> Resources:
        """Read every *.yaml of the folder; ids must be unique across files."""
        by_territory: dict[str, TerritoryResources] = {}
        seen: set[str] = set()
        for path in sorted(directory.glob("*.yaml")):
            try:
                raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
                data = TerritoryResources.model_validate(raw)
            except (OSError, yaml.YAMLError, ValidationError) as exc:
                raise ResourceDataError(f"{path}: {exc}") from exc
            duplicates = seen & {r.id for r in data.resources}
            if duplicates:
                raise ResourceDataError(f"{path}: duplicate resource ids {sorted(duplicates)}")
            seen |= {r.id for r in data.resources}
            by_territory[data.territory] = data
        return cls(by_territory)

    def for_factor(self, territory_id: str | None, factor: str, limit: int = 2) -> list[Resource]:
        """Return up to `limit` resources of a territory for a factor, in file order."""
        data = self._by_territory.get(territory_id or "")
        if data is None:
            return []
        return [r for r in data.resources if factor in r.factors][:limit]

    def territories(self) -> list[str]:
        """Return the territories that have resources."""
        return list(self._by_territory)
