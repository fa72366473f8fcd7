"""Mark what a negation, a dismissal, a contrast or a cause covers in a message.

A bag of n-grams reads "le loyer ça va, mais le parking…" as a message about rent. These
cues let the model weigh a word differently when its clause dismisses it ("ça va", "geen
probleem", "is fine"), negates it, comes before a "mais / maar / but" that moves the topic on,
or when the message names a cause ("à cause des travaux", "door de werken", "because of").
The words are folded like `nlp.features.normalize` (lower case, no accents). The lists are
general language, written for the project; nothing comes from an evaluation set.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

# Roles a token can take, in its clause or in the message.
NEG = "neg"
OK = "ok"
PRE = "pre"
POST = "post"
CAUSE = "cause"
ROLES = (NEG, OK, PRE, POST, CAUSE)

_NEGATORS = frozenset(
    [
        "pas",
        "plus",
        "jamais",
        "aucun",
        "aucune",
        "sans",
        "ni",
        "rien",
        "guere",
        "geen",
        "niet",
        "nie",
        "ni",
        "nooit",
        "zonder",
        "niks",
        "niets",
        "noch",
        "gene",
        "no",
        "not",
        "never",
        "without",
        "none",
        "nothing",
        "nor",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "cant",
        "wont",
    ]
)

# Phrases saying that something is fine, settled or not the problem. Words that are often
# just polite ("ok", "bien", "good") are left out: they would hide real complaints.
# "Je gère" / "on gère" are left out too: "je gère tout seul" is a workload complaint.
_DISMISSALS: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in """
    ca va|ca va encore|ca passe|ca roule|ca se passe bien|ca reste raisonnable|pas de souci
    pas de soucis|aucun souci|pas de probleme|pas de problemes|aucun probleme|pas un probleme
    pas le probleme|pas mon probleme|pas ca le probleme|rien a dire|rien a redire|pas a me plaindre
    pas a plaindre|pas grave|nickel|impeccable|pas trop mal|c est bon
    pas de plainte|ca ne me derange pas|je ne me plains pas
    geen probleem|geen problemen|geen zorgen|geen klagen|niet klagen|valt mee|valt nog mee
    gaat wel|gaat goed|is oke|is ok|in orde|niks mis|niets mis|prima|geregeld
    niet het probleem|nie het probleem|het probleem niet|geen last|geen gedoe|niet klagen
    is fine|are fine|s fine|all good|no problem|no problems|no issue|no issues|not the issue
    not the problem|not a problem|no complaints|cant complain|manageable|sorted|under control
    doing fine|not complaining|im not complaining
    """.replace("\n", "|").split("|")
    if p.strip()
)

# A topic change: what comes before it is often dismissed or background.
_CONTRASTS: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in """
    mais|par contre|sauf que|n empeche|pourtant|en revanche|cependant|seulement
    maar|alleen|echter|daarentegen|behalve|toch
    but|though|however|except|although|anyway|what kills me|the real problem
    """.replace("\n", "|").split("|")
    if p.strip()
)

# A named cause: the effect it explains (fewer customers) belongs to that cause.
_CAUSES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in """
    a cause|a cause de|a cause des|depuis|suite a|suite aux|vu|vu que|pcq|parce que|parce qu
    car|grace a|grace aux|en raison|par la faute|avec ces|avec ses|avec les|a force de
    door|door de|door het|omdat|wegens|sinds|vanwege|dankzij|als gevolg
    because|because of|cuz|cos|since|due to|thanks to|ever since|caused by|from the
    """.replace("\n", "|").split("|")
    if p.strip()
)

# A comma does not end a clause: "le loyer, aucun souci" dismisses the rent.
_BOUNDARIES = ".;:!?…()[]\n–—/|•*"


def _by_first_word(
    phrases: tuple[tuple[str, ...], ...],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return {word: tuple(found) for word, found in index.items()}


_DISMISSAL_INDEX = _by_first_word(_DISMISSALS)
_CONTRAST_INDEX = _by_first_word(_CONTRASTS)
_CAUSE_INDEX = _by_first_word(_CAUSES)
# A word that starts no phrase is most words of a message: one set lookup skips it.
_CUE_STARTS = frozenset(_DISMISSAL_INDEX) | frozenset(_CONTRAST_INDEX) | frozenset(_CAUSE_INDEX)


def _spans(
    words: Sequence[str], index: dict[str, tuple[tuple[str, ...], ...]], at: Sequence[int]
) -> list[tuple[int, int]]:
    """Return the (start, end) of every phrase occurrence starting at one of the positions."""
    return [
        (i, i + len(phrase))
        for i in at
        for phrase in index.get(words[i], ())
        if tuple(words[i : i + len(phrase)]) == phrase
    ]


def _plain(word: str) -> str:
    return word.replace("'", "").replace("’", "")


_SHORT_NEGATED = frozenset(
    [
        "don",
        "doesn",
        "didn",
        "isn",
        "wasn",
        "aren",
        "weren",
        "can",
        "won",
        "couldn",
        "wouldn",
        "shouldn",
        "haven",
        "hasn",
    ]
)


def _negates(word: str, plain: str) -> bool:
    """Return whether a token (and its `_plain` form) is a negation."""
    if plain in _NEGATORS:
        return True
    # "can't" arrives as "can'" + "t" from the French tokenizer.
    return plain in _SHORT_NEGATED and word.endswith(("n'", "n’"))


# "Le loyer ? Franchement ça va": a topic asked as a short question, then dismissed.
_TOPIC_WORDS = 6


def _asked_then_dismissed(
    plain: Sequence[str], clause_of: Sequence[int], dismissed: set[int]
) -> set[int]:
    """Return the short question clauses whose answer, the next clause, dismisses them."""
    words: dict[int, int] = {}
    # The punctuation that opens each clause, before its first word ("?", "??", "?!", "(").
    opening: dict[int, str] = {}
    for word, clause in zip(plain, clause_of, strict=True):
        if any(ch.isalnum() for ch in word):
            words[clause] = words.get(clause, 0) + 1
        elif clause not in words:
            opening[clause] = opening.get(clause, "") + word
    spoken = sorted(words)
    return {
        clause
        for clause, answer in pairwise(spoken)
        if answer in dismissed
        and words[clause] <= _TOPIC_WORDS
        and "?" in "".join(opening.get(c, "") for c in range(clause + 1, answer + 1))
    }


def token_roles(words: Sequence[str]) -> list[frozenset[str]]:
    """Return, for each folded token, the roles its clause and its message give it."""
    return clauses_and_roles(words)[1]


def clauses_and_roles(words: Sequence[str]) -> tuple[list[int], list[frozenset[str]]]:
    """Return each folded token's clause number and the roles its clause and message give it."""
    plain = [_plain(w) for w in words]
    cues = [i for i, word in enumerate(plain) if word in _CUE_STARTS]
    contrast_at = {start for start, _ in _spans(plain, _CONTRAST_INDEX, cues)}
    clause_of: list[int] = []
    clause = 0
    for i, word in enumerate(words):
        # A word made only of boundary characters ("!!", "...") ends a clause.
        if i in contrast_at or (word and not word.strip(_BOUNDARIES)):
            clause += 1
        clause_of.append(clause)
    first_contrast = min((clause_of[i] for i in contrast_at), default=None)
    negated = {c for c, w, p in zip(clause_of, words, plain, strict=True) if _negates(w, p)}
    # "ça va pas", "gaat niet goed": a dismissal followed by a negation is a complaint.
    dismissals = _spans(plain, _DISMISSAL_INDEX, cues)
    complaints = {
        start for start, end in dismissals if end < len(plain) and plain[end] in _NEGATORS
    }
    dismissed = {clause_of[start] for start, _ in dismissals if start not in complaints}
    if dismissed:
        dismissed |= _asked_then_dismissed(plain, clause_of, dismissed)
    has_cause = bool(_spans(plain, _CAUSE_INDEX, cues))
    # Every token of a clause has the same roles.
    by_clause: dict[int, frozenset[str]] = {}
    for c in set(clause_of):
        mine: set[str] = set()
        if c in negated:
            mine.add(NEG)
        if c in dismissed:
            mine.add(OK)
        if first_contrast is not None:
            mine.add(PRE if c < first_contrast else POST)
        if has_cause:
            mine.add(CAUSE)
        by_clause[c] = frozenset(mine)
    return clause_of, [by_clause[c] for c in clause_of]
