"""The "what is missing here" matcher: its rules on written cases, its score on a set written
separately (data/needs/eval.jsonl), and that neither its words nor these cases come from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bot.reference import Reference
from nlp.corpus import Example, near_duplicates
from nlp.metrics import score
from nlp.needs import LEXICON, OTHER, needs_matcher

EVAL = Path(__file__).resolve().parents[2] / "data" / "needs" / "eval.jsonl"

# Cases written with the matcher (never from the evaluation set): one rule each.
CASES = [
    ("fr", "Il nous manque vraiment une boucherie au centre", ["butcher"]),
    ("fr", "une poisonnerie svp !!", ["fishmonger"]),  # a typo
    ("nl", "Sinds de bakkerei dicht is moeten we naar Geraardsbergen", ["bakery"]),
    ("fr", "trop de coiffeurs, pas une seule fleuriste", ["florist_garden"]),  # plenty
    ("en", "We already have three barbers; what we need is a cobbler", ["repair"]),  # a turn
    ("nl", "Er zijn al genoeg frituren maar geen groentewinkel", ["greengrocer"]),
    ("fr", "faire ressemeler mes bottines oblige d'aller à Ath", ["repair"]),  # not shoes
    ("en", "somewhere to get my cracked phone screen fixed", ["electronics"]),  # not repair
    ("fr", "des fruits de mer frais le vendredi", ["fishmonger"]),  # not greengrocer
    ("fr", "Un distributeur de billets et un point poste", ["bank_atm", "post_point"]),
    ("nl", "een kaaswinkel en een slager zouden welkom zijn", ["butcher", "grocery"]),
    ("en", "A proper playground for the kids", [OTHER]),  # nothing of the list
]


def test_the_rules_on_written_cases() -> None:
    matcher = needs_matcher()
    for _lang, text, expected in CASES:
        assert matcher.match(text) == expected, text


def test_it_names_every_need_of_the_sector_list_and_other(reference: Reference) -> None:
    assert set(needs_matcher().labels) == {s.id for s in reference.needs}


def _eval() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()]


def _texts(rows: list[tuple[str, str, str]]) -> list[Example]:
    """Return texts as examples for the near-duplicate check (labels play no part there)."""
    return [Example(id=i, lang=lang, text=text, labels=()) for i, lang, text in rows]


def test_the_separately_written_set_is_measured_not_learnt_from() -> None:
    evaluation = _eval()
    assert len(evaluation) >= 300 and {e["lang"] for e in evaluation} == {"fr", "nl", "en"}
    theirs = _texts([(e["id"], e["lang"], e["text"]) for e in evaluation])
    mine = _texts([(f"c{i}", lang, text) for i, (lang, text, _) in enumerate(CASES)])
    assert near_duplicates(mine, theirs, threshold=0.25) == []
    # The word lists hold words and short stems, never a phrase lifted from a message.
    lexicon = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    for entry in lexicon.values():
        for pattern in (*entry.get("patterns", ()), *entry.get("words", ())):
            assert len(pattern.split()) <= 4, pattern


def test_macro_f1_on_the_separately_written_set() -> None:
    matcher = needs_matcher()
    evaluation = _eval()
    gold = [frozenset(e["labels"]) for e in evaluation]
    predicted = [frozenset(matcher.match(e["text"])) for e in evaluation]
    measured = score(gold, predicted, labels=matcher.labels)
    print(f"needs_macro_f1: {measured.macro_f1:.3f}")
    assert measured.macro_f1 >= 0.80
