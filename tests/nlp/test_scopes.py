"""Clause roles: what a dismissal, a negation, a contrast and a cause cover."""

from __future__ import annotations

import pytest
import spacy

from nlp.features import normalize
from nlp.scopes import (
    CAUSE,
    NEG,
    OK,
    POST,
    PRE,
    cause_arguments,
    clauses_and_roles,
    names_demand_change,
    token_roles,
)

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


def test_a_separable_verb_with_its_particle_further_on_dismisses() -> None:
    assert OK in roles("De werken? Dat valt eerlijk gezegd best mee.")["werken"]
    assert OK in roles("de huur valt eigenlijk wel mee")["huur"]
    # "Valt niet mee" is a complaint; a particle in the next sentence is not the verb's.
    assert OK not in roles("de huur valt niet mee")["huur"]
    assert OK not in roles("de huur valt zwaar. mee eens?")["huur"]
    # Another clause, a comma or another particle ends the verb before "mee".
    assert OK not in roles("De huur valt zwaar maar we doen mee")["huur"]
    assert OK not in roles("de huur valt tegen, kom je mee?")["huur"]
    assert OK not in roles("de huur valt tegen en ik ga mee")["huur"]
    # The particle at the edge of the gap, and one word beyond it.
    assert OK in roles("de huur valt een b c d mee")["huur"]
    assert OK not in roles("de huur valt een b c d e mee")["huur"]


def test_an_intensified_dismissal_still_dismisses() -> None:
    assert OK in roles("Met de huur geen enkel probleem.")["huur"]
    assert OK in roles("le loyer, pas le moindre problème")["loyer"]
    assert OK in roles("no real problem with the rent")["rent"]
    # "Pas le moindre souci des commerçants" is not caring about them, not a dismissal.
    assert OK not in roles("La commune n'a pas le moindre souci des petits commerçants")["commune"]


def causes(text: str) -> list[str]:
    words = words_of(text)
    return [" ".join(words[start:end]) for start, end in cause_arguments(words)]


def test_a_named_cause_runs_to_the_comma_the_clause_or_the_contrast() -> None:
    assert causes("Sales collapsed because of the roadworks, people stay away.") == [
        "the roadworks"
    ]
    assert causes("On a perdu la moitié des clients à cause de la saleté dans la rue.") == [
        "la salete dans la rue"
    ]
    assert causes("la caisse est vide à cause du chantier mais le loyer monte") == ["chantier"]
    assert causes("we zijn klanten kwijt door de webwinkels! en de huur") == ["webwinkels"]
    # At most eight words: a run-on is not one long cause.
    long = causes(
        "ils viennent plus parce que le stationnement est devenu payant partout chez nous"
    )
    assert long == ["le stationnement est devenu payant partout chez nous"]
    assert len(causes("because of " + "very " * 20 + "works")[0].split()) == 8
    # "And" or the next cue ends a cause; elided French cues count; a hyphen and "en" do not.
    assert causes("Sales collapsed because of the new one-way system, people stay away") == [
        "the new one - way system"
    ]
    assert causes("à cause des ventes en ligne, les gens ne viennent plus") == ["ventes en ligne"]
    assert causes("because of the roadworks and people just don't come any more") == [
        "the roadworks"
    ]
    assert causes("à cause du chantier et à cause du parking, les gens partent") == [
        "chantier",
        "parking",
    ]
    assert causes("Le chiffre s'est effondré à cause d'un chantier interminable.") == [
        "un chantier interminable"
    ]


def test_a_denied_time_or_place_cue_names_no_cause() -> None:
    assert causes("Ce n'est pas à cause du loyer, c'est le parking.") == []
    assert causes("It isn't because of the rent.") == []
    assert causes("not because of the rent") == []
    # A cue that is also a time, a way or a place.
    assert causes("Depuis les travaux, plus personne.") == []
    assert causes("Er lopen veel minder mensen door de straat dan vroeger.") == []
    assert causes("since monday the shop is empty") == []
    # "Ne viennent plus à cause de…" is an effect and its cause, not a denied cause.
    assert causes("Les clients ne viennent plus à cause des travaux.") == ["travaux"]
    assert causes("Les clients ne viennent pas à cause des travaux.") == ["travaux"]
    assert causes("Klanten komen niet door de werken.") == ["werken"]
    assert causes("It isnt because of the rent") == []
    # A rejected cue does not hide the cause after it.
    assert causes("Ce n'est pas à cause du loyer, c'est à cause du parking.") == ["parking"]
    assert causes("Er komen minder mensen door de straat door de werken") == ["werken"]
    # After "door", a place ends a compound; a shop or a mall does not.
    assert causes("Er lopen minder mensen door de drukke winkelstraat dan vroeger") == []
    assert causes("door de week is het stil") == []
    assert causes("We zijn klanten kwijt door de webwinkels") == ["webwinkels"]
    assert causes("De omzet zakt door het nieuwe winkelcentrum") == ["nieuwe winkelcentrum"]


def test_a_change_in_demand_itself_is_named() -> None:
    for text in (
        "Avec le télétravail les bureaux sont vides",
        "le pouvoir d'achat a fondu",
        "Door de vergrijzing van de wijk",
        "people are spending less with the cost of living",
        "The tourists have gone",
        "c'est la basse saison",
    ):
        assert names_demand_change(words_of(text)), text
    for text in (
        "Sales collapsed because of the roadworks, people just don't come any more.",
        "Le chiffre a chuté à cause du chantier.",
        # A time is not a change in demand.
        "Since the summer sales have collapsed because of the roadworks",
        "D'habitude c'est plein, mais depuis l'hiver les travaux ont tout vidé",
        "",
    ):
        assert not names_demand_change(words_of(text)), text


def test_a_dash_set_apart_by_spaces_ends_a_cause_and_a_hyphen_does_not() -> None:
    nlp = spacy.blank("fr")

    def spaced_causes(text: str) -> list[str]:
        doc = nlp.make_doc(normalize(text))
        words = [t.text for t in doc]
        found = cause_arguments(words, [bool(t.whitespace_) for t in doc])
        return [" ".join(words[start:end]) for start, end in found]

    assert spaced_causes("Because of the roadworks - people just stay away") == ["the roadworks"]
    assert spaced_causes("à cause des travaux -- les clients ne viennent plus") == ["travaux"]
    assert spaced_causes("because of the one-way street people stay away") == [
        "the one - way street people stay away"
    ]
    # Without the spaces, as before: the dash cannot be told from a hyphen.
    assert causes("Because of the roadworks - people just stay away") == [
        "the roadworks - people just stay away"
    ]
    with pytest.raises(ValueError):
        cause_arguments(["because", "of", "rent"], [True])
