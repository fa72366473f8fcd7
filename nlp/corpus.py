"""Read, check and split labelled message files (the dev-set JSON Lines format)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from nlp.taxonomy import FACTOR_IDS, LANGS

TRAINING_DIR = Path(__file__).resolve().parent.parent / "data" / "training"
# Never trained on: the first corpus's 15% (r1), and a part written apart, before round two (r2).
HELDOUT_DIR = Path(__file__).resolve().parent.parent / "data" / "heldout"


class CorpusError(ValueError):
    """Raised when a labelled file does not follow the format."""


class Example(BaseModel):
    """Hold one labelled message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    lang: str
    text: str
    labels: tuple[str, ...]

    @field_validator("lang")
    @classmethod
    def _lang(cls, value: str) -> str:
        if value not in LANGS:
            raise ValueError(f"unknown language {value!r}")
        return value

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty text")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [label for label in value if label not in FACTOR_IDS]
        if unknown:
            raise ValueError(f"unknown labels {unknown}")
        if list(value) != sorted(set(value)):
            raise ValueError("labels must be sorted and unique")
        return value


def read_examples(path: Path) -> list[Example]:
    """Read one JSON Lines file, failing with the line number on the first bad line."""
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    examples: list[Example] = []
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            examples.append(Example.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CorpusError(f"{path}:{number}: {exc}") from exc
    return examples


def read_training_corpus(directory: Path = TRAINING_DIR) -> list[Example]:
    """Read every *.jsonl file of the training folder, checking ids and texts are unique."""
    examples: list[Example] = []
    for path in sorted(directory.glob("*.jsonl")):
        examples.extend(read_examples(path))
    if not examples:
        raise CorpusError(f"no training examples under {directory}")
    ids = Counter(e.id for e in examples)
    texts = Counter(e.text for e in examples)
    dupes = [i for i, n in ids.items() if n > 1] + [t for t, n in texts.items() if n > 1]
    if dupes:
        raise CorpusError(f"duplicate ids or texts in the training corpus: {dupes[:5]}")
    return examples


@dataclass(frozen=True)
class CorpusStats:
    """Summarise a corpus: sizes per language and label, share of none and multi-label."""

    total: int
    by_lang: dict[str, int]
    by_label: dict[str, int]
    none_share: float
    multi_share: float


def corpus_stats(examples: Sequence[Example]) -> CorpusStats:
    """Count messages per language and per label, and the none / multi-label shares."""
    by_label = Counter(label for e in examples for label in e.labels)
    return CorpusStats(
        total=len(examples),
        by_lang=dict(Counter(e.lang for e in examples)),
        by_label={f: by_label.get(f, 0) for f in FACTOR_IDS},
        none_share=sum(not e.labels for e in examples) / max(len(examples), 1),
        multi_share=sum(len(e.labels) > 1 for e in examples) / max(len(examples), 1),
    )


def read_heldout_parts(directory: Path = HELDOUT_DIR) -> dict[str, list[Example]]:
    """Read each held-out part (one *.jsonl file each), by file name, in name order."""
    parts = {path.stem: read_examples(path) for path in sorted(directory.glob("*.jsonl"))}
    small = [name for name, examples in parts.items() if len(examples) < 20]
    if not parts or small:
        raise CorpusError(f"{directory}: every held-out part needs 20 messages or more {small}")
    return parts


def heldout_of(parts: dict[str, list[Example]]) -> list[Example]:
    """Return every held-out part as one list, parts in name order."""
    return [example for name in sorted(parts) for example in parts[name]]


_WORD = re.compile(r"\w+", re.UNICODE)


def fingerprint(text: str) -> set[str]:
    """Return the word trigrams of a text, case- and accent-folded, for near-duplicate checks."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = _WORD.findall(plain)
    if len(words) < 3:
        return {" ".join(words)}
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def near_duplicates(
    candidates: Iterable[Example], references: Sequence[Example], threshold: float = 0.5
) -> list[tuple[str, str, float]]:
    """Return (candidate id, reference id, Jaccard) pairs of texts sharing many word trigrams."""
    ref_prints = [(r.id, fingerprint(r.text)) for r in references]
    found: list[tuple[str, str, float]] = []
    for candidate in candidates:
        mine = fingerprint(candidate.text)
        for ref_id, theirs in ref_prints:
            union = len(mine | theirs)
            if union and len(mine & theirs) / union >= threshold:
                found.append((candidate.id, ref_id, len(mine & theirs) / union))
    return found
