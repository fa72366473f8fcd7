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
    geen enkel probleem|geen enkele klacht|pas le moindre probleme|no real problem
    no real issue|not a single problem
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

# The cue phrases that name a cause: "depuis", "since", "vu" or "avec les" also mean a time, a
# way or a company, so what follows them is not read as a cause.
_NAMED_CAUSES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in """
    a cause de|a cause des|a cause du|a cause d|suite a|suite aux|en raison de|en raison des
    en raison du|en raison d|par la faute de|par la faute d|grace a|grace aux|parce que|parce qu
    wegens|vanwege|als gevolg van|omdat|dankzij|te wijten aan|door de|door het|door die|door een
    door deze
    because of|due to|caused by|thanks to|because|cuz|cos
    """.replace("\n", "|").split("|")
    if p.strip()
)
# "Door de straat" is through the street: after "door", a place is a way, not a cause; so are
# "door de week" (in the week), "door de bank" (on the whole) and "door het dak" (through the
# roof). Places end a compound ("winkelstraat", "binnenstad"); a shop or a centre does not
# ("door de webwinkels", "door het nieuwe winkelcentrum" blame a competitor).
_THROUGH_ENDINGS = (
    "straat",
    "straten",
    "stad",
    "steden",
    "wijk",
    "wijken",
    "buurt",
    "plein",
    "laan",
    "dorp",
    "dorpen",
    "streek",
    "tunnel",
    "poort",
)
_THROUGH_WORDS = frozenset(
    [
        "centrum",
        "park",
        "winkel",
        "zaak",
        "deur",
        "gang",
        "markt",
        "gemeente",
        "land",
        "week",
        "weken",
        "bank",
        "dak",
        "jaren",
        "regio",
        "galerij",
    ]
)
_THROUGH_SPAN = 2
# A cause denied just before its cue: "ce n'est pas à cause du loyer", "it's not because of",
# "het is niet door". A negation alone is not enough: "ils ne viennent pas à cause des
# travaux" blames the works. Phone typing drops the apostrophe ("isnt because").
_DENYING = frozenset(["pas", "not", "niet", "nie", "nullement"])
_COPULAS = frozenset(["est", "etait", "is", "s", "was", "ligt", "lag", "its", "thats"])
_DENYING_COPULAS = frozenset(["isnt", "wasnt", "aint"])
_DENIAL_WORDS = 3
# How many words of what follows a cue are read as the cause it names.
_CAUSE_WORDS = 8

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
_NAMED_CAUSE_INDEX = _by_first_word(_NAMED_CAUSES)
# "Dat valt eerlijk gezegd best mee": a separable verb, its particle a few words on.
_SEPARABLE = {"valt": "mee", "vallen": "mee", "viel": "mee"}
_SEPARABLE_GAP = 4
# Another particle of the same verb ("valt tegen", "valt op") is another verb.
_OTHER_PARTICLES = frozenset(["tegen", "op", "uit", "af", "terug", "weg", "stil", "om", "toe"])
# A word that starts no phrase is most words of a message: one set lookup skips it.
_CUE_STARTS = (
    frozenset(_DISMISSAL_INDEX)
    | frozenset(_CONTRAST_INDEX)
    | frozenset(_CAUSE_INDEX)
    | frozenset(_SEPARABLE)
)


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


def _spoken(word: str) -> bool:
    """Return whether a token is a word, not punctuation or emoji."""
    return any(ch.isalnum() for ch in word)


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
        if _spoken(word):
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


def _separable_dismissals(
    words: Sequence[str], plain: Sequence[str], clause_of: Sequence[int], at: Sequence[int]
) -> list[tuple[int, int]]:
    """Return the "valt … mee" spans starting at one of the positions, within one clause."""
    found: list[tuple[int, int]] = []
    for i in at:
        particle = _SEPARABLE.get(plain[i])
        if particle is None:
            continue
        for j in range(i + 1, min(len(plain), i + 2 + _SEPARABLE_GAP)):
            if plain[j] == particle:
                found.append((i, j + 1))
                break
            # "Dat valt niet mee" is a complaint; "valt tegen, …" or "valt zwaar maar …" ends it.
            if (
                _negates(words[j], plain[j])
                or plain[j] in _OTHER_PARTICLES
                or plain[j] == ","
                or clause_of[j] != clause_of[i]
            ):
                break
    return found


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
    dismissals = _spans(plain, _DISMISSAL_INDEX, cues) + _separable_dismissals(
        words, plain, clause_of, cues
    )
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


def _denied(words: Sequence[str], plain: Sequence[str], cue: int) -> bool:
    """Return whether the words just before a cue deny the cause: "ce n'est pas à cause de"."""
    before = plain[max(0, cue - _DENIAL_WORDS) : cue]
    if any(word in _DENYING_COPULAS for word in before):
        return True
    # English "not because of …" denies on its own; "ne viennent pas à cause de" does not.
    if before and before[-1] == "not":
        return True
    # "isn't" arrives as "isn'" + "t".
    if cue > 1 and plain[cue - 1] == "t" and _negates(words[cue - 2], plain[cue - 2]):
        return True
    return any(word in _DENYING for word in before) and any(word in _COPULAS for word in before)


def _dash(plain: Sequence[str], spaced: Sequence[bool] | None, at: int) -> bool:
    """Return whether this word is a dash set apart by a space, not a hyphen inside a word."""
    # The tokenizer splits "one-way" at its hyphen too; only the space before tells them apart.
    word = plain[at]
    return spaced is not None and at > 0 and bool(word) and not word.strip("-") and spaced[at - 1]


def _ends_cause(plain: Sequence[str], at: int, spaced: Sequence[bool] | None = None) -> bool:
    """Return whether a cause stops before this word: a comma, "et" / "and", a dash, a new cue.

    Not "en": French "ventes en ligne". A dash ends one only when set apart by a space.
    """
    word = plain[at]
    return (
        word in (",", "et", "and")
        or _dash(plain, spaced, at)
        or (bool(word) and not word.strip(_BOUNDARIES))
        or bool(_spans(plain, _CONTRAST_INDEX, [at]))
        or bool(_spans(plain, _NAMED_CAUSE_INDEX, [at]))
    )


def cause_arguments(
    words: Sequence[str], spaced: Sequence[bool] | None = None
) -> list[tuple[int, int]]:
    """Return the (start, end) of each named cause: the words after "à cause de", "because of".

    A cause runs to the next comma, "et" / "and", clause boundary, contrast or cue, at most
    `_CAUSE_WORDS` words; with `spaced` (whether a space follows each word), also to a dash set
    apart by spaces ("à cause des travaux - les clients ne viennent plus"). A cue denied just
    before it ("ce n'est pas à cause du loyer", "isn't because of the rent") names no cause,
    nor does "door" before a place ("door de straat").
    """
    if spaced is not None and len(spaced) != len(words):
        raise ValueError("spaced must have one flag per word")
    plain = [_plain(w) for w in words]
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(plain):
        cues = _spans(plain, _NAMED_CAUSE_INDEX, [i])
        if not cues:
            i += 1
            continue
        # The longest cue: "because of" rather than "because".
        start = max(end for _, end in cues)
        end, counted = start, 0
        while end < len(plain) and counted < _CAUSE_WORDS and not _ends_cause(plain, end, spaced):
            counted += _spoken(plain[end])
            end += 1
        through = plain[i] == "door" and any(
            word.endswith(_THROUGH_ENDINGS) or word in _THROUGH_WORDS
            for word in plain[start : start + _THROUGH_SPAN]
        )
        # Trimmed like a clause row: no punctuation at either end.
        while end > start and not _spoken(plain[end - 1]):
            end -= 1
        if counted and not through and not _denied(words, plain, i):
            found.append((start, end))
        # A rejected cue does not hide the cue that follows it.
        i = start
    return found


# A change in demand itself, which the spec's rule lets stand beside a named cause: teleworking,
# purchasing power, a changing population, the season, an employer gone. Word starts, folded.
_DEMAND_STEMS = tuple(
    word
    for word in """
    teletravail|inflation|crise|touris|population|bobos|gentrifi|vieilli|etudiant|bureaux
    navetteur|employeur|usine|demenag|consommat|chomage|covid|corona|meteo|pluie|telewerk
    thuiswerk|koopkracht|inflatie|crisis|duurte|toerist|bevolking|vergrijz|studenten|kantoren
    pendelaar|werkgever|fabriek|verhuisd|wfh|tourist|ageing|aging|student|offices|commuter
    employer|factory|weather
    """.replace("\n", "|")
    .replace(" ", "")
    .split("|")
    if word
)
_DEMAND_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in """
    pouvoir d achat|cout de la vie|vie chere|personnes agees|quartier a change|fin du mois
    depensent moins|minder uitgeven|geven minder uit|remote work|working from home
    basse saison|hors saison|la saison touristique|het laagseizoen|buiten het seizoen
    low season|off season|moins de budget|less money|minder geld|leurs habitudes
    hun gewoontes|their habits|shopping habits
    work from home|purchasing power|cost of living|moved out|spend less|spending less
    neighbourhood has changed|neighbourhood changed|neighborhood changed
    """.replace("\n", "|").split("|")
    if p.strip()
)
_DEMAND_INDEX = _by_first_word(_DEMAND_PHRASES)


def names_demand_change(words: Sequence[str]) -> bool:
    """Return whether a folded message describes a change in demand itself."""
    plain = [_plain(w) for w in words]
    if any(word.startswith(_DEMAND_STEMS) for word in plain):
        return True
    starts = [i for i, word in enumerate(plain) if word in _DEMAND_INDEX]
    return bool(_spans(plain, _DEMAND_INDEX, starts))
