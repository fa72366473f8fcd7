"""Map what someone says is missing in their centre onto sectors ("il manque un boucher").

A matcher, not a model: word patterns per sector in French, Dutch and English
(data/needs/lexicon.yaml), a tolerance for typos in the long names people misspell, and two
rules a bag of words gets wrong: what is said to be plentiful ("on a déjà trois coiffeurs",
"not another bar") is not a need, and when a message turns ("…, mais ce qui manque c'est…",
"maar", "but"), what comes after the turn is the need. Nothing found: "other".
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

OTHER = "other"
LEXICON = Path(__file__).resolve().parent.parent / "data" / "needs" / "lexicon.yaml"
# A typo is tolerated in words of this length or more, at this similarity (difflib's ratio).
FUZZY_MIN_LENGTH = 6
FUZZY_RATIO = 0.84
# Words before a name that say there is enough of it already (folded, as a regex).
_PLENTY = re.compile(
    r"\b(assez|trop|deja|plein|suffisamment|encore un autre|encore une autre|pas besoin"
    r"|genoeg|te veel|al (twee|drie|vier|vijf|veel)|nog een|geen nood|niet nog"
    r"|enough|too many|plenty|already|another|no need|not another|lots of|loads of)\b"
    r"(\s+[^\s|]+){0,3}\s*$"
)
# Where a message turns to what is really missing; what follows counts, what precedes does not
# (when something follows).
_TURN = re.compile(
    r"\b(mais|par contre|ce qui manque|ce qu il manque|ce qu on n a pas|il manque|maar|wat"
    r" ontbreekt|wat we missen|wel een|we hebben nood aan|but|what we (really )?need|we need"
    r"|what s missing|instead|on a besoin d|il nous faut|il faudrait)\b"
)
# A shop's goods named in a repair ("faire ressemeler mes chaussures", "réparer mon GSM"):
# the repair counts; a phone's repair is the electronics shop's.
_REPAIR_TAKES = {"shoes_leather": "repair", "fashion": "repair"}


def fold(text: str) -> str:
    """Return text lower-cased, without accents, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", bare).split())


@dataclass(frozen=True)
class _Sector:
    id: str
    pattern: re.Pattern[str]
    words: tuple[str, ...]


class NeedsMatcher:
    """Say which sectors a message names as missing (sorted ids; "other" when none)."""

    def __init__(self, lexicon: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        self._sectors = tuple(
            _Sector(
                sector,
                re.compile(r"\b(?:" + "|".join(entry.get("patterns", ())) + ")"),
                tuple(fold(w) for w in entry.get("words", ())),
            )
            for sector, entry in lexicon.items()
        )
        self._fuzzy = {w: s.id for s in self._sectors for w in s.words}

    @property
    def labels(self) -> tuple[str, ...]:
        """Return every sector the matcher can name, and "other"."""
        return (*(s.id for s in self._sectors), OTHER)

    def match(self, text: str) -> list[str]:
        """Return the sectors a message says are missing, sorted; ["other"] if none."""
        # Clauses apart: "trop de bars, pas de boucher" must not read "trop de … boucher".
        folded = " | ".join(fold(c) for c in re.split(r"[,.;:!?()\n]+", text) if c.strip())
        turn = None
        for found in _TURN.finditer(folded):
            turn = found
        if turn is not None:
            after = folded[turn.end() :]
            found_after = self._found(after)
            if found_after:
                return sorted(found_after)
        named = self._found(folded)
        return sorted(named) if named else [OTHER]

    def _found(self, folded: str) -> set[str]:
        wanted: set[str] = set()
        plentiful: set[str] = set()
        for sector in self._sectors:
            for hit in sector.pattern.finditer(folded):
                before = folded[: hit.start()]
                (plentiful if _PLENTY.search(before) else wanted).add(sector.id)
        for token in folded.split():
            if len(token) < FUZZY_MIN_LENGTH:
                continue
            close = difflib.get_close_matches(token, self._fuzzy, n=1, cutoff=FUZZY_RATIO)
            if close and self._fuzzy[close[0]] not in plentiful:
                wanted.add(self._fuzzy[close[0]])
        if "repair" in wanted:
            wanted -= {s for s, taken_by in _REPAIR_TAKES.items() if taken_by == "repair"}
            if "electronics" in wanted and not self._repair_beyond_phones(folded):
                wanted.discard("repair")
        return wanted

    @staticmethod
    def _repair_beyond_phones(folded: str) -> bool:
        """Return whether a repair is named for something other than a phone or computer."""
        return bool(
            re.search(
                r"\b(cordonn|ressemel|retouche|couturi|schoenmaker|kleermaker|fiets|velo|bike"
                r"|cobbler|tailor|alteration|repair ?cafe|electromenager|appliance|machine a laver"
                r"|wasmachine|washing machine)",
                folded,
            )
        )


@cache
def needs_matcher(path: Path = LEXICON) -> NeedsMatcher:
    """Return the shipped matcher (loaded once)."""
    with path.open(encoding="utf-8") as handle:
        return NeedsMatcher(yaml.safe_load(handle))
