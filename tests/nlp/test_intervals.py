"""Held-out intervals: one row per part and language, laid out as a table."""

from __future__ import annotations

from nlp.corpus import Example
from nlp.intervals import format_rows, interval_rows

F = frozenset


def _example(i: int, lang: str, labels: list[str]) -> Example:
    return Example(id=f"x-{i}", lang=lang, text=f"message {i}", labels=labels)


def test_rows_cover_the_part_and_each_language_it_has() -> None:
    examples = [
        _example(i, "fr" if i % 3 else "nl", ["staff"] if i % 2 else []) for i in range(30)
    ]
    gold = [F(e.labels) for e in examples]
    perfect = list(gold)
    empty = [F() for _ in examples]
    rows = interval_rows("r9", examples, perfect, empty, rounds=100)
    assert [(r.part, r.lang, r.size) for r in rows] == [
        ("r9", "all", 30),
        ("r9", "fr", 20),
        ("r9", "nl", 10),
    ]
    for row in rows:
        assert row.model.value == 1.0 and row.baseline.value == 0.0
        assert row.difference.value == 1.0
    table = format_rows(rows).splitlines()
    assert len(table) == 4
    assert table[1].split()[:5] == ["r9", "all", "30", "1.000", "[1.000,"]
    assert table[1].rstrip().endswith("+1.000 [+1.000, +1.000]")
