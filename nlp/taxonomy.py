"""Load the 12 difficulty factors (ids, emoji, labels and descriptions in fr, nl, en)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LANGS = ("fr", "nl", "en")
FACTOR_IDS: tuple[str, ...] = (
    "rent_premises",
    "roadworks",
    "mobility_parking",
    "competition",
    "demand_footfall",
    "admin_tax",
    "costs_cashflow",
    "safety_image",
    "staff",
    "skills_digital",
    "isolation_collective",
    "workload_health",
)
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "taxonomy.yaml"


class TaxonomyError(ValueError):
    """Raised when the taxonomy file is missing, malformed or incomplete."""


class Texts(BaseModel):
    """Hold one text in each language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fr: str = Field(min_length=1)
    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """Return the text in a language (French when unknown)."""
        return str(getattr(self, lang)) if lang in LANGS else self.fr


class Factor(BaseModel):
    """Describe one difficulty factor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    emoji: str = Field(min_length=1, max_length=8)
    label: Texts
    # A few words for where the label does not fit, such as the barometer's "me too" buttons.
    short: Texts
    description: Texts

    @field_validator("id")
    @classmethod
    def _known_id(cls, value: str) -> str:
        if value not in FACTOR_IDS:
            raise ValueError(f"unknown factor id {value!r}")
        return value

    def title(self, lang: str) -> str:
        """Return 'emoji label' in a language, as shown on buttons and in digests."""
        return f"{self.emoji} {self.label.get(lang)}"

    def short_title(self, lang: str) -> str:
        """Return 'emoji short label' in a language, for buttons with little room."""
        return f"{self.emoji} {self.short.get(lang)}"


class Taxonomy(BaseModel):
    """Hold the 12 factors in the spec's order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    factors: tuple[Factor, ...]

    @field_validator("factors")
    @classmethod
    def _complete_and_ordered(cls, value: tuple[Factor, ...]) -> tuple[Factor, ...]:
        ids = tuple(f.id for f in value)
        if ids != FACTOR_IDS:
            raise ValueError(f"factors must be exactly {FACTOR_IDS} in that order, got {ids}")
        return value

    @property
    def ids(self) -> tuple[str, ...]:
        """Return the factor ids in order."""
        return tuple(f.id for f in self.factors)

    def get(self, factor_id: str) -> Factor:
        """Return a factor by id or raise KeyError."""
        for factor in self.factors:
            if factor.id == factor_id:
                return factor
        raise KeyError(factor_id)


def load_taxonomy(path: Path = DEFAULT_PATH) -> Taxonomy:
    """Read and validate the taxonomy file."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Taxonomy.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {exc}") from exc
    except ValidationError as exc:
        raise TaxonomyError(f"{path}: invalid taxonomy: {exc}") from exc


@cache
def taxonomy() -> Taxonomy:
    """Return the project's taxonomy, loaded once."""
    return load_taxonomy()
