"""Training with field corrections: weighted, scored with and without, kept out of data/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.classifier import META_FILE, MODEL_DIR, Classifier
from nlp.corpus import CorpusError, read_heldout_parts, read_training_corpus
from nlp.train import (
    REPOSITORY,
    check_outside_repository,
    train_with_corrections,
    usable_corrections,
)


def _write(path: Path, examples: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples), encoding="utf-8"
    )
    return path


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    """A small training folder and two small held-out parts cut from the real ones."""
    train = read_training_corpus()[::40]
    parts = read_heldout_parts()
    _write(tmp_path / "training" / "t.jsonl", [e.model_dump() for e in train])
    for name, examples in parts.items():
        _write(tmp_path / "heldout" / f"{name}.jsonl", [e.model_dump() for e in examples[::6]])
    return tmp_path / "training", tmp_path / "heldout"


def test_corrections_are_weighted_scored_both_ways_and_kept_under_var(
    tmp_path: Path, small: tuple[Path, Path]
) -> None:
    corpus_dir, heldout_dir = small
    held_text = json.loads((heldout_dir / "r2.jsonl").read_text().splitlines()[0])["text"]
    field = [
        {
            "id": f"field-{i}",
            "lang": "fr",
            "text": f"le proprio augmente le loyer de {i}0 euros",
            "labels": ["rent_premises"],
        }
        for i in range(1, 9)
    ] + [{"id": "field-99", "lang": "fr", "text": held_text, "labels": []}]
    export = _write(tmp_path / "var" / "corrections.jsonl", field)
    output = tmp_path / "var" / "model-corrections"
    without, with_field, count = train_with_corrections(
        export,
        output,
        variant="charbow",
        weight=3,
        corpus_dir=corpus_dir,
        heldout_dir=heldout_dir,
        max_steps=60,
    )
    # The held-out text is never learnt: the held-out parts must stay unseen.
    assert count == 8
    meta = json.loads((output / META_FILE).read_text(encoding="utf-8"))
    assert meta["corrections"]["count"] == 8 and meta["corrections"]["weight"] == 3
    assert meta["train_size"] == len(read_training_corpus(corpus_dir)) + 8 * 3
    assert set(without.parts) == set(with_field.parts) == {"r1", "r2"}
    assert Classifier.load(output).variant == "charbow"


def test_peoples_words_are_refused_inside_the_repository_except_under_var(
    tmp_path: Path, small: tuple[Path, Path]
) -> None:
    export = _write(
        tmp_path / "c.jsonl",
        [{"id": "field-1", "lang": "fr", "text": "le loyer encore", "labels": ["rent_premises"]}],
    )
    for inside in (MODEL_DIR.parent / "model-field", REPOSITORY / "nlp" / "model-x", MODEL_DIR):
        with pytest.raises(ValueError, match="repository"):
            train_with_corrections(export, inside, variant="charbow")
        with pytest.raises(ValueError, match="repository"):
            check_outside_repository(inside / "corrections.jsonl")
    check_outside_repository(REPOSITORY / "var" / "corrections.jsonl")
    check_outside_repository(tmp_path / "corrections.jsonl")


def test_an_export_with_nothing_new_is_refused(tmp_path: Path, small: tuple[Path, Path]) -> None:
    corpus_dir, heldout_dir = small
    known = json.loads((corpus_dir / "t.jsonl").read_text().splitlines()[0])
    export = _write(tmp_path / "c.jsonl", [{**known, "id": "field-1"}])
    with pytest.raises(CorpusError, match="no correction left"):
        train_with_corrections(
            export,
            tmp_path / "out",
            variant="charbow",
            corpus_dir=corpus_dir,
            heldout_dir=heldout_dir,
            max_steps=10,
        )
    assert not (tmp_path / "out").exists()


def test_duplicates_within_an_export_count_once() -> None:
    from nlp.corpus import Example

    a = Example(id="field-1", lang="fr", text="Loyer trop cher", labels=("rent_premises",))
    b = Example(id="field-2", lang="fr", text="loyer trop cher ", labels=("rent_premises",))
    assert usable_corrections([a, b], [], []) == [a]
