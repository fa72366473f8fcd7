"""Clause roles: what a dismissal, a negation, a contrast and a cause cover."""

from __future__ import annotations

import spacy

from nlp.features import normalize
from nlp.scopes import CAUSE, NEG, OK, POST, PRE, clauses_and_roles, token_roles

TOKENIZER = spacy.blank("fr")


def words_of(text: str) -> list[str]:
    """Split a message the way the model does: normalised, spaCy's French tokenizer."""
    return [token.text for token in TOKENIZER.make_doc(normalize(text))]


def roles(text: str) -> dict[str, frozenset[str]]:
    words = words_of(text)
    return dict(zip(words, token_roles(words), strict=True))


def test_a_dismissal_covers_its_clause_up_to_the_contrast() -> None:
    found = roles("Le loyer, aucun souci mais le parking me tue")
    assert OK in found["loyer"] and PRE in found["loyer"]
    assert OK not in found["parking"] and POST in found["parking"]


def test_a_dismissal_followed_by_a_negation_is_a_complaint() -> None:
    assert OK not in roles("le loyer ca va pas du tout")["loyer"]
    assert NEG in roles("le loyer ca va pas du tout")["loyer"]


def test_sentences_are_clauses_and_a_named_cause_marks_the_message() -> None:
    words = words_of("Bonjour ! On perd des clients à cause des travaux. Merci")
    assert clauses_and_roles(words)[0] == [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]
    assert all(CAUSE in r for r in token_roles(words))
    assert not any(CAUSE in r for r in token_roles(words_of("on perd des clients")))


def test_dutch_and_english() -> None:
    nl = roles("de huur valt mee maar de werken duren te lang")
    assert OK in nl["huur"] and OK not in nl["werken"]
    en = roles("Rent's fine but I can't find staff")
    assert OK in en["rent'"] and OK not in en["staff"] and NEG in en["staff"]


def test_a_short_question_answered_by_a_dismissal_is_dismissed() -> None:
    assert OK in roles("Les livraisons ? Bah franchement ça roule.")["livraisons"]
    assert OK in roles("Onze huurbaas? Geen probleem eigenlijk")["huurbaas"]
    # A question answered by a complaint, or a long question, keeps its words.
    assert OK not in roles("Les livraisons ? Une catastrophe.")["livraisons"]
    long_question = "Pourquoi la commune ne répond jamais à nos mails sur la propreté ? Ça va."
    assert OK not in roles(long_question)["proprete"]
    # The answer must come right after the question.
    assert OK not in roles("Le stock ? Bon. Le reste ça va.")["stock"]


def test_managing_alone_is_not_a_dismissal() -> None:
    assert OK not in roles("je gère tout seul, sept jours sur sept")["seul"]


def test_phone_punctuation_between_the_question_and_its_answer() -> None:
    for text in (
        "Le loyer ?? Ça va.",
        "Le loyer ?! Ça va.",
        "Le loyer ?... ça va",
        "Le loyer ? (ça va)",
    ):
        assert OK in roles(text)["loyer"], text
    assert OK not in roles("Le loyer !! Ça va.")["loyer"]
