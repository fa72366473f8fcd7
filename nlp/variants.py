"""The classifier variants `bot.py train` knows, each with the text normaliser it trains on.

Each is `nlp/configs/<variant>.cfg`. Kept apart from nlp/train.py so that the command line can
list them without loading spaCy.
"""

from __future__ import annotations

VARIANTS: dict[str, str] = {
    "bow": "fold",
    "charbow": "fold",
    "scoped": "fold",
    "clausemax": "fold",
    "scopedmax": "fold",
    "scopedidf": "fold",
    "scopedmaxidf": "fold",
    "charbowidf": "fold",
    "clausemaxidf": "fold",
    "meanidf": "fold",
    "meanhide": "fold",
    "hidepool": "fold",
    "ensemble": "fold",
    "charcnn": "fold",
    "vectors": "lower",
}
