"""A spaCy text-classification architecture: bag of words plus character n-grams.

spaCy's own TextCatBOW sees whole tokens only. Shopkeepers type on phones ("loyé", "parkng",
"stationement"), and Dutch glues words together ("parkeerplaatsen", "wegenwerken"), so the
features here add the character n-grams of every token, the way fastText does. Each block of
features (word n-grams, character n-grams) is scaled to unit length per message, so long
rants and one-liners land on the same scale. Registered in spaCy's registry, used from
nlp/configs/*.cfg, trained by `spacy train`.
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain as iter_chain
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy
import srsly
from murmurhash.mrmr import hash_unicode
from spacy.language import Language
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.tokens import Doc, DocBin
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable
from thinc.layers.resizable import resize_linear_weighted
from thinc.model import deserialize_attr, serialize_attr
from thinc.types import Floats2d

import nlp.components  # noqa: F401  (registers the echoppe pipeline component with spaCy)
from nlp.scopes import ROLES, cause_arguments, clauses_and_roles

logger = logging.getLogger(__name__)


# thinc saves a layer's attrs with msgpack and silently leaves out what msgpack cannot pack, such
# as the sets of roles and of hidden roles: a saved model then took them from its config.cfg on
# load, so editing the config changed what a trained model computes. Saved as sorted lists,
# read back as sets (the dispatch is on the type of the value the freshly built layer holds).
@serialize_attr.register(frozenset)
def _serialize_frozenset(
    _: frozenset[Any], value: frozenset[Any], name: str, model: Model[Any, Any]
) -> bytes:
    return bytes(srsly.msgpack_dumps(sorted(value)))


@deserialize_attr.register(frozenset)
def _deserialize_frozenset(
    _: frozenset[Any], value: bytes, name: str, model: Model[Any, Any]
) -> frozenset[Any]:
    return frozenset(srsly.msgpack_loads(value))


_NEG_VALUE = -5000.0
# Character n-grams are hashed with their own seed (one per size), so "abc" as a character
# trigram never has the key of the word "abc"; SparseLinear_v2 then maps keys to buckets.
# The 48-bit mask only makes the signed 32-bit hash non-negative for the uint64 keys.
_CHAR_SEED = 7919
_ROLE_SEED = 104729


# Most words of a message are common ones: hashing their character n-grams once per process
# instead of once per message is a quarter of the classifier's time. 16,384 words take about
# 10 MB.
@lru_cache(maxsize=16384)
def _char_keys(word: str, sizes: tuple[int, ...]) -> tuple[int, ...]:
    marked = f"<{word}>"
    keys: list[int] = []
    for size in sizes:
        if len(marked) < size:
            continue
        keys.extend(
            hash_unicode(marked[i : i + size], seed=_CHAR_SEED + size) & 0xFFFFFFFFFFFF
            for i in range(len(marked) - size + 1)
        )
    return tuple(keys)


# The same few thousand words come back in the same roles: their keys are hashed once per
# process. 32,768 entries take about 8 MB.
@lru_cache(maxsize=32768)
def _token_role_keys(text: str, roles: tuple[str, ...]) -> tuple[int, ...]:
    keys: list[int] = []
    # The word and its first five letters (typos, plurals), once per role of its clause. The
    # roles come sorted: a set's order changes with each process's string hashing, and the
    # order of a row's features decides how the sparse layer rounds its sum.
    for role in roles:
        keys.append(hash_unicode(f"{role}|{text}", seed=_ROLE_SEED) & 0xFFFFFFFFFFFF)
        keys.append(hash_unicode(f"{role}|{text[:5]}~", seed=_ROLE_SEED) & 0xFFFFFFFFFFFF)
    return tuple(keys)


# What is computed once per message and shared by the members of echoppe.MeanOf.v1. Kept off
# the doc (its user_data is serialised with it, and would carry the message's words), keyed
# weakly so that an entry dies with its doc.
_PER_DOC: weakref.WeakKeyDictionary[Doc, dict[str, Any]] = weakref.WeakKeyDictionary()


def _per_doc(doc: Doc) -> dict[str, Any]:
    """Return the cache of what was computed for this doc's tokens, empty if they changed."""
    orths = doc.to_array("ORTH")
    found = _PER_DOC.get(doc)
    # A retokenised doc (merged or split tokens) starts again.
    if found is None or not numpy.array_equal(found["orths"], orths):
        found = {"orths": orths}
        _PER_DOC[doc] = found
    return found


def _words_of(doc: Doc, cache: dict[str, Any]) -> list[str]:
    """Return a message's token texts, read once per doc (cache: the doc's `_per_doc`)."""
    if "words" not in cache:
        # Through the string store: creating a Token object per word costs more.
        strings = doc.vocab.strings
        cache["words"] = [strings[orth] for orth in cache["orths"].tolist()]
    words: list[str] = cache["words"]
    return words


def _clauses_and_roles_of(
    doc: Doc, cache: dict[str, Any]
) -> tuple[list[int], list[frozenset[str]]]:
    """Return the clauses and roles of a message's tokens, found once per doc."""
    if "roles" not in cache:
        cache["roles"] = clauses_and_roles(_words_of(doc, cache))
    found: tuple[list[int], list[frozenset[str]]] = cache["roles"]
    return found


# A row's feature blocks before weighing: each block's feature counts and its weight.
_Blocks = list[tuple[Counter[int], float]]


@dataclass
class _Tokens:
    """What each token of a message contributes to a feature row, found once per message."""

    # The word n-grams run over the shown tokens: words[j] is the j-th shown token's key and
    # ngrams[n - 2][j] the key of the n-gram starting there; shown_before[i] is how many
    # tokens before token i are shown (one entry more than there are tokens).
    words: list[int]
    ngrams: list[list[int]]
    shown_before: list[int]
    chars: list[tuple[int, ...]]
    roles: list[tuple[int, ...]]
    hidden: list[bool]
    # Punctuation or space: what a clause is trimmed of.
    blank: list[bool]
    # The whole message's row, counted once for every member sharing these tokens.
    whole: _Blocks | None = None


def _tokens(
    doc: Doc,
    ops: Any,
    ngram_size: int,
    char_sizes: tuple[int, ...],
    role_weight: float,
    roles: frozenset[str],
    hide: frozenset[str],
    cache: dict[str, Any],
) -> _Tokens:
    # A saved model's attrs come back from msgpack as lists; the caches need tuples.
    sizes = tuple(char_sizes)
    # Roles are only looked for when the features use them.
    needed = bool(role_weight or hide)
    # The members of echoppe.MeanOf.v1 share what does not depend on what they hide.
    key = f"tokens|{sizes}|{float(role_weight)}|{sorted(roles)}|{needed}"
    shared = cache.get(key)
    if shared is None:
        found = _clauses_and_roles_of(doc, cache)[1] if needed else [frozenset()] * len(doc)
        words = _words_of(doc, cache)
        flags = doc.to_array(["IS_SPACE", "IS_PUNCT"]).tolist()
        chars = [
            () if space else _char_keys(w, sizes)
            for w, (space, _) in zip(words, flags, strict=True)
        ]
        # A clause's tokens share their roles: sort each set of them once.
        wanted = {marks: tuple(sorted(marks & roles)) for marks in set(found)}
        role_keys = [
            _token_role_keys(w, wanted[marks]) if role_weight and not (space or punct) else ()
            for w, marks, (space, punct) in zip(words, found, flags, strict=True)
        ]
        blank = [bool(space or punct) for space, punct in flags]
        shared = (chars, role_keys, found, blank)
        cache[key] = shared
    chars, role_keys, found, blank = shared
    # Words of a hidden role (a dismissed clause) reach the model only through the roles.
    hiding = {marks: bool(marks & hide) for marks in set(found)} if hide else {}
    hidden_at = [i for i, marks in enumerate(found) if hiding.get(marks)]
    # Members that hide nothing in this message (most messages) share their tokens too.
    mine = f"{key}|{ngram_size}|{hidden_at}"
    tokens: _Tokens | None = cache.get(mine)
    if tokens is not None:
        return tokens
    hidden = [False] * len(found)
    orths = cache["orths"]
    if hidden_at:
        for i in hidden_at:
            hidden[i] = True
        shown_before = [0]
        for is_hidden in hidden:
            shown_before.append(shown_before[-1] + (not is_hidden))
        orths = orths[numpy.asarray([i for i, h in enumerate(hidden) if not h], dtype="int64")]
    else:
        shown_before = list(range(len(found) + 1))
    unigrams = ops.asarray(orths, dtype="uint64")
    # thinc's ngrams() indexes its input's first element: skip texts shorter than n.
    ngrams = [
        ops.ngrams(n, unigrams).tolist() if len(unigrams) >= n else []
        for n in range(2, ngram_size + 1)
    ]
    tokens = _Tokens(
        words=unigrams.tolist(),
        ngrams=ngrams,
        shown_before=shown_before,
        chars=chars,
        roles=role_keys,
        hidden=hidden,
        blank=blank,
    )
    cache[mine] = tokens
    return tokens


def _row(tokens: _Tokens, start: int, end: int, role_weight: float) -> _Blocks:
    """Return the feature blocks of tokens start..end: words, characters, roles."""
    first, last = tokens.shown_before[start], tokens.shown_before[end]
    # The n-grams that start and end within the span, in the order thinc's ngrams() gives.
    word_keys = tokens.words[first:last]
    for n, keys in enumerate(tokens.ngrams, start=2):
        word_keys = word_keys + keys[first : max(first, last - n + 1)]
    hidden = tokens.hidden
    chars = tokens.chars
    blocks: _Blocks = [
        (Counter(word_keys), 1.0),
        (
            Counter(
                iter_chain.from_iterable(chars[i] for i in range(start, end) if not hidden[i])
            ),
            1.0,
        ),
    ]
    if role_weight:
        blocks.append((Counter(iter_chain.from_iterable(tokens.roles[start:end])), role_weight))
    return [(counts, scale) for counts, scale in blocks if counts]


def _weigh(rows: list[_Blocks], idf: _Idf | None) -> tuple[Any, Any, list[int]]:
    """Return the keys and values of feature rows, and each row's length.

    Values are log counts times IDF, each block scaled to unit length, then by its weight.
    """
    # Messages are short: counting in Python and weighing all rows of a batch in one numpy
    # pass is several times faster than numpy work per row or per block.
    blocks = [block for row in rows for block in row]
    sizes = [len(counts) for counts, _ in blocks]
    lengths = [sum(len(counts) for counts, _ in row) for row in rows]
    total = sum(sizes)
    if not total:
        return numpy.zeros((0,), dtype="uint64"), numpy.zeros((0,), dtype="float32"), lengths
    keys = numpy.fromiter(
        iter_chain.from_iterable(counts for counts, _ in blocks), "uint64", total
    )
    values = numpy.log1p(
        numpy.fromiter(iter_chain.from_iterable(c.values() for c, _ in blocks), "float64", total)
    )
    if idf is not None:
        values *= idf.weights(keys)
    starts = numpy.cumsum([0, *sizes[:-1]])
    norms = numpy.sqrt(numpy.add.reduceat(values * values, starts))
    scales = numpy.asarray([scale for _, scale in blocks]) / numpy.where(norms > 0, norms, 1.0)
    values *= numpy.repeat(scales, sizes)
    return keys, values.astype("float32"), lengths


def _whole(tokens: _Tokens, role_weight: float) -> _Blocks:
    """Return the feature blocks of the whole message, counted once per shared tokens."""
    if tokens.whole is None:
        tokens.whole = _row(tokens, 0, len(tokens.hidden), role_weight)
    return tokens.whole


def _doc_features(
    doc: Doc,
    ops: Any,
    ngram_size: int,
    char_sizes: tuple[int, ...],
    role_weight: float = 0.0,
    roles: frozenset[str] = frozenset(),
    idf: _Idf | None = None,
    hide: frozenset[str] = frozenset(),
) -> tuple[Any, Any]:
    """Return the feature keys and values of a whole message."""
    tokens = _tokens(doc, ops, ngram_size, char_sizes, role_weight, roles, hide, _per_doc(doc))
    keys, values, _ = _weigh([_whole(tokens, role_weight)], idf)
    return keys, values


class _Idf:
    """Inverse document frequencies of the training corpus's feature keys.

    Held in an open-addressing hash table (linear probing, at most a third full): a batch's
    keys are looked up in a few vectorised probes, about twice as fast as a binary search of
    the sorted keys, whose every step is a cache miss.
    """

    def __init__(self, keys: Any, values: Any) -> None:
        keys = numpy.asarray(keys, dtype="uint64")
        size = 1 << max(4, (3 * len(keys)).bit_length())
        self._mask = numpy.uint64(size - 1)
        self._keys = numpy.zeros(size, dtype="uint64")
        self._values = numpy.zeros(size, dtype="float32")
        self._used = numpy.zeros(size, dtype=bool)
        pending = numpy.arange(len(keys))
        slots = (keys & self._mask).astype("int64")
        while pending.size:
            wanted = slots[pending]
            free = ~self._used[wanted]
            # Of the keys wanting the same free slot, the first takes it; the rest move on.
            taken, first = numpy.unique(wanted[free], return_index=True)
            winners = pending[free][first]
            self._keys[taken] = keys[winners]
            self._values[taken] = values[winners]
            self._used[taken] = True
            moving = numpy.ones(pending.size, dtype=bool)
            moving[numpy.flatnonzero(free)[first]] = False
            pending = pending[moving]
            slots[pending] = (slots[pending] + 1) & (size - 1)

    def weights(self, keys: Any) -> Any:
        """Return each key's IDF; a key training never saw weighs 0."""
        # As in a TF-IDF vectoriser, unseen features drop out before the block is scaled to
        # unit length, so a typo-ridden message keeps the weight of the words the model knows.
        found = numpy.zeros(len(keys), dtype="float64")
        slots = (keys & self._mask).astype("int64")
        pending = numpy.arange(len(keys))
        while pending.size:
            at = slots[pending]
            hit = self._keys[at] == keys[pending]
            found[pending[hit]] = self._values[at[hit]]
            # A miss on a used slot probes the next one; an empty slot ends the search.
            going = ~hit & self._used[at]
            pending = pending[going]
            slots[pending] = (at[going] + 1) & (len(self._keys) - 1)
        return found


# One table per pair of IDF arrays, built on first use and dropped with the keys array.
_IDF_TABLES: dict[int, tuple[weakref.ref[Any], weakref.ref[Any], _Idf]] = {}


def _idf_of(model: Model[Any, Any]) -> _Idf | None:
    """Return the IDF table a layer was filled with, or None when it weighs no IDF."""
    if not model.attrs.get("idf") or not len(model.attrs["idf_keys"]):
        return None
    keys, values = model.attrs["idf_keys"], model.attrs["idf_values"]
    known = _IDF_TABLES.get(id(keys))
    # A table is reused only for the very arrays it was built from (fill_idf makes them
    # read-only, so they cannot change under it).
    if known is not None and known[0]() is keys and known[1]() is values:
        return known[2]
    table = _Idf(keys, values)
    if known is None or known[0]() is not keys:
        weakref.finalize(keys, _IDF_TABLES.pop, id(keys), None)
    _IDF_TABLES[id(keys)] = (weakref.ref(keys), weakref.ref(values), table)
    return table


def _idf_attrs(idf: bool) -> dict[str, Any]:
    # Filled after initialisation by echoppe.fill_idf.v1; saved with the model's attrs.
    return {
        "idf": bool(idf),
        "idf_keys": numpy.zeros((0,), dtype="uint64"),
        "idf_values": numpy.zeros((0,), dtype="float32"),
    }


def _extract_forward(model: Model[list[Doc], Any], docs: list[Doc], is_train: bool) -> Any:
    rows = [_whole_blocks_of(model, doc) for doc in docs]

    def backprop(_d_output: Any) -> list[Doc]:
        return []

    return _batch(rows, _idf_of(model), model.ops), backprop


def _batch(rows: list[_Blocks], idf: _Idf | None, ops: Any) -> tuple[Any, Any, Any]:
    """Return SparseLinear's input for feature rows: keys, values, and each row's length."""
    keys, values, lengths = _weigh(rows, idf)
    return keys, values, ops.asarray(lengths, dtype="int32")


def extract_word_and_char_ngrams(
    ngram_size: int,
    char_sizes: tuple[int, ...],
    role_weight: float = 0.0,
    roles: frozenset[str] = frozenset(),
    idf: bool = False,
) -> Model[Any, Any]:
    """Return a layer turning docs into hashed word n-gram and character n-gram features.

    With a role weight, the words of each clause also count once per role of that clause
    (negated, dismissed, before or after a contrast, in a message naming a cause). With
    `idf`, each feature is weighted by its inverse document frequency in the training corpus.
    """
    model: Model[Any, Any] = Model(
        "extract_word_and_char_ngrams", _extract_forward, attrs=_idf_attrs(idf)
    )
    model.attrs["ngram_size"] = ngram_size
    model.attrs["char_sizes"] = tuple(char_sizes)
    model.attrs["role_weight"] = float(role_weight)
    model.attrs["roles"] = frozenset(roles)
    return model


def logistic_with_log_loss(positive_weight: float) -> Model[Floats2d, Floats2d]:
    """Return a sigmoid layer whose backward pass turns spaCy's loss into weighted log loss.

    spaCy's multi-label text categorizer passes d = score - truth, a squared-error gradient;
    a plain sigmoid then multiplies it by s(1-s), which vanishes for confident mistakes. Passing
    d through unchanged gives the logits exactly the gradient of binary cross-entropy (logistic
    regression). A truth of 1 shows as d < 0: scaling those by `positive_weight` balances the
    rare positives against the many negatives, like class_weight="balanced" would.
    """

    def forward(model: Model[Floats2d, Floats2d], X: Floats2d, is_train: bool) -> Any:
        Y = model.ops.sigmoid(X, inplace=False)

        def backprop(dY: Floats2d) -> Floats2d:
            weights = model.ops.xp.where(dY < 0, positive_weight, 1.0).astype("float32")
            scaled: Floats2d = dY * weights
            return scaled

        return Y, backprop

    return Model("logistic_with_log_loss", forward)


@registry.architectures("echoppe.CharBOW.v1")  # type: ignore[untyped-decorator]
def build_char_bow_classifier(
    exclusive_classes: bool,
    ngram_size: int,
    char_min: int,
    char_max: int,
    length: int = 262144,
    positive_weight: float = 1.0,
    log_loss: bool = False,
    idf: bool = False,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Build a linear classifier over word n-grams and character n-grams of each token."""
    sizes = tuple(range(char_min, char_max + 1))
    return _build(
        exclusive_classes,
        extract_word_and_char_ngrams(ngram_size, sizes, idf=idf),
        length,
        positive_weight,
        log_loss,
        nO,
    )


@registry.architectures("echoppe.ScopedCharBOW.v1")  # type: ignore[untyped-decorator]
def build_scoped_char_bow_classifier(
    exclusive_classes: bool,
    ngram_size: int,
    char_min: int,
    char_max: int,
    length: int = 262144,
    role_weight: float = 1.0,
    roles: str = ",".join(ROLES),
    positive_weight: float = 1.0,
    log_loss: bool = False,
    idf: bool = False,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Build the CharBOW classifier with words also seen through their clause's roles."""
    wanted = _roles(roles)
    if role_weight <= 0 or not wanted:
        raise ValueError("ScopedCharBOW needs a positive role_weight and at least one role")
    sizes = tuple(range(char_min, char_max + 1))
    return _build(
        exclusive_classes,
        extract_word_and_char_ngrams(ngram_size, sizes, role_weight, wanted, idf),
        length,
        positive_weight,
        log_loss,
        nO,
    )


def _roles(roles: str) -> frozenset[str]:
    """Read a config's comma-separated roles, refusing one nlp/scopes.py does not give."""
    wanted = frozenset(r.strip() for r in roles.split(",") if r.strip())
    if not wanted <= set(ROLES):
        raise ValueError(f"roles must come from {ROLES}, not {sorted(wanted - set(ROLES))}")
    return wanted


def _build(
    exclusive_classes: bool,
    features: Model[Any, Any],
    length: int,
    positive_weight: float,
    log_loss: bool,
    nO: int | None,
) -> Model[list[Doc], Floats2d]:
    if exclusive_classes:
        raise ValueError("echoppe's bag-of-n-grams classifiers are for multi-label use")
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[Floats2d, Floats2d] = resizable(
        sparse_linear,
        resize_layer=partial(resize_linear_weighted, fill_defaults={"b": _NEG_VALUE, "W": 0}),
    )
    output = logistic_with_log_loss(positive_weight) if log_loss else Logistic()
    model: Model[list[Doc], Floats2d] = chain(features, resizable_layer, output)
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = True
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model


def _rows_of(
    doc: Doc,
    ops: Any,
    ngram_size: int,
    char_sizes: tuple[int, ...],
    role_weight: float,
    roles: frozenset[str],
    hide: frozenset[str] = frozenset(),
    min_words: int = 1,
    cause_rows: bool = False,
) -> list[_Blocks]:
    """Return the feature rows of a message: the whole, each clause of several, each cause."""
    cache = _per_doc(doc)
    clause_of = _clauses_and_roles_of(doc, cache)[0]
    tokens = _tokens(doc, ops, ngram_size, char_sizes, role_weight, roles, hide, cache)
    rows = [_whole(tokens, role_weight)]
    # A message shorter than `min_words` has no clause long enough: skip looking.
    spans = (
        [
            (group[0][0], group[-1][0] + 1)
            for group in (list(g) for _, g in groupby(enumerate(clause_of), key=itemgetter(1)))
        ]
        if len(clause_of) >= min_words
        else []
    )
    if len(spans) > 1:
        blank = tokens.blank
        for start, end in spans:
            # The punctuation that ends a sentence is not part of the next one.
            while start < end and blank[start]:
                start += 1
            while end > start and blank[end - 1]:
                end -= 1
            words = sum(not blank[i] for i in range(start, end))
            if end > start and words >= min_words:
                rows.append(_row(tokens, start, end, role_weight))
    if cause_rows:
        # "Sales collapsed because of the roadworks, people stay away": the cause read alone.
        if "causes" not in cache:
            spaced = doc.to_array("SPACY").astype(bool).tolist()
            cache["causes"] = cause_arguments(_words_of(doc, cache), spaced)
        rows.extend(_row(tokens, start, end, role_weight) for start, end in cache["causes"])
    return rows


def _clause_max_forward(
    model: Model[list[Doc], Floats2d], docs: list[Doc], is_train: bool
) -> tuple[Floats2d, Any]:
    sparse = model.layers[0]
    attrs = model.attrs
    # Trained on whole messages, the clauses only count when predicting.
    if is_train and attrs["train_whole"]:
        rows_per_doc = [[_whole_blocks_of(model, doc)] for doc in docs]
    else:
        rows_per_doc = [
            _rows_of(
                doc,
                model.ops,
                attrs["ngram_size"],
                attrs["char_sizes"],
                attrs["role_weight"],
                attrs["roles"],
                attrs["hide"],
                attrs["min_words"],
                attrs["cause_rows"],
            )
            for doc in docs
        ]
    counts = [len(rows) for rows in rows_per_doc]
    flat = [row for rows in rows_per_doc for row in rows]
    scores, backprop_sparse = sparse(_batch(flat, _idf_of(model), model.ops), is_train)
    n_out = scores.shape[1]
    # With a whole-message share, the pooling layer after the sigmoid mixes the whole
    # message's score with the best row's: both are passed on, side by side.
    both = attrs["whole_weight"] > 0 and not (is_train and attrs["train_whole"])
    output = model.ops.alloc2f(len(docs), 2 * n_out if both else n_out)
    chosen = numpy.zeros((len(docs), n_out), dtype="int64")
    wholes = numpy.zeros((len(docs),), dtype="int64")
    start = 0
    for i, count in enumerate(counts):
        block = scores[start : start + count]
        best = block.argmax(axis=0)
        chosen[i] = best + start
        wholes[i] = start
        if both:
            output[i, :n_out] = block[0]
            output[i, n_out:] = block[best, numpy.arange(n_out)]
        else:
            output[i] = block[best, numpy.arange(n_out)]
        start += count

    def backprop(d_output: Floats2d) -> list[Doc]:
        d_scores: Any = model.ops.alloc2f(*scores.shape)
        for i in range(len(docs)):
            if both:
                d_scores[wholes[i]] += d_output[i, :n_out]
                d_scores[chosen[i], numpy.arange(n_out)] += d_output[i, n_out:]
            else:
                d_scores[chosen[i], numpy.arange(n_out)] += d_output[i]
        backprop_sparse(d_scores)
        return []

    return output, backprop


def _whole_and_best_forward(
    model: Model[Floats2d, Floats2d], X: Floats2d, is_train: bool
) -> tuple[Floats2d, Any]:
    n_out = model.get_dim("nO")
    if X.shape[1] == n_out:
        # Trained on whole messages: the whole message is the only row.
        return X, lambda dY: dY
    weight = model.attrs["whole_weight"]
    whole, best = X[:, :n_out], X[:, n_out:]
    # The same arithmetic as echoppe.MeanOf.v1 over a whole-only and a best-row member.
    Y: Floats2d = weight * whole + (1 - weight) * best

    def backprop(dY: Floats2d) -> Floats2d:
        dX: Floats2d = model.ops.xp.concatenate([weight * dY, (1 - weight) * dY], axis=1)
        return dX

    return Y, backprop


def _whole_and_best_init(
    model: Model[Floats2d, Floats2d], X: Floats2d | None = None, Y: Floats2d | None = None
) -> None:
    if Y is not None:
        model.set_dim("nO", Y.shape[1])
    elif X is not None:
        # Initialised by prediction: the whole message's scores beside the best rows'.
        model.set_dim("nO", X.shape[1] // 2)


def _clause_max_init(
    model: Model[list[Doc], Floats2d], X: list[Doc] | None = None, Y: Floats2d | None = None
) -> None:
    sparse = model.layers[0]
    if Y is not None:
        sparse.set_dim("nO", Y.shape[1])
    if sparse.has_dim("nO"):
        sparse.initialize()
        model.set_dim("nO", sparse.get_dim("nO"))


@registry.architectures("echoppe.ClauseMaxBOW.v1")  # type: ignore[untyped-decorator]
def build_clause_max_classifier(
    exclusive_classes: bool,
    ngram_size: int,
    char_min: int,
    char_max: int,
    length: int = 262144,
    role_weight: float = 0.3,
    roles: str = ",".join(ROLES),
    hide: str = "",
    train_whole: bool = False,
    min_words: int = 1,
    idf: bool = False,
    cause_rows: bool = False,
    whole_weight: float = 0.0,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Score the whole message and each of its clauses; keep each factor's best score.

    A greeting, a name or a thank-you in a clause of its own then cannot pull a complaint
    down, and a dismissed clause ("le loyer, aucun souci") stands apart from the one that
    complains. The same sparse weights score every clause (multiple-instance learning).
    With `train_whole`, training sees whole messages only and the clauses (of at least
    `min_words` words) count when predicting. Words of a `hide` role (e.g. "ok", a dismissed
    clause) then reach the model only through the role block. With `cause_rows`, what a
    message names as a cause ("because of the roadworks") is scored on its own too. With
    `whole_weight` w > 0, a factor's score is w times the whole message's score plus (1 - w)
    times its best row's, each after the sigmoid.
    """
    if exclusive_classes:
        raise ValueError("echoppe.ClauseMaxBOW.v1 is for multi-label classification")
    if not 0.0 <= whole_weight < 1.0:
        raise ValueError("whole_weight must be at least 0 and below 1")
    wanted = _roles(roles)
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    scorer: Model[list[Doc], Floats2d] = Model(
        "clause_max",
        _clause_max_forward,
        init=_clause_max_init,
        layers=[sparse_linear],
        dims={"nO": nO},
        attrs={
            "ngram_size": ngram_size,
            "char_sizes": tuple(range(char_min, char_max + 1)),
            "role_weight": float(role_weight),
            "roles": wanted,
            "hide": _roles(hide) if hide else frozenset(),
            "train_whole": bool(train_whole),
            "min_words": int(min_words),
            "cause_rows": bool(cause_rows),
            "whole_weight": float(whole_weight),
            **_idf_attrs(idf),
        },
    )
    model: Model[list[Doc], Floats2d]
    if whole_weight > 0:
        pool: Model[Floats2d, Floats2d] = Model(
            "whole_and_best",
            _whole_and_best_forward,
            init=_whole_and_best_init,
            dims={"nO": nO},
            attrs={"whole_weight": float(whole_weight)},
        )
        model = chain(scorer, Logistic(), pool)
    else:
        model = chain(scorer, Logistic())
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = True
    return model


def _mean_forward(
    model: Model[list[Doc], Floats2d], docs: list[Doc], is_train: bool
) -> tuple[Floats2d, Any]:
    first, second = model.layers
    weight = model.attrs["first_weight"]
    first_scores, backprop_first = first(docs, is_train)
    second_scores, backprop_second = second(docs, is_train)
    scores = weight * first_scores + (1 - weight) * second_scores

    def backprop(d_scores: Floats2d) -> list[Doc]:
        # spaCy's text categorizer passes d = score - truth (0 where a label is missing), so
        # the truth is score - d. Each member gets its own score - truth: the members learn
        # as if trained alone and are averaged, instead of co-adapting to the average. d is 0
        # exactly when the label is missing or both members are exactly right, and then each
        # member's own gradient is 0 too.
        truth = scores - d_scores
        unknown = d_scores == 0
        backprop_first(model.ops.xp.where(unknown, 0.0, first_scores - truth).astype("float32"))
        backprop_second(model.ops.xp.where(unknown, 0.0, second_scores - truth).astype("float32"))
        return []

    return scores, backprop


def _mean_init(
    model: Model[list[Doc], Floats2d], X: list[Doc] | None = None, Y: Floats2d | None = None
) -> None:
    for member in model.layers:
        member.initialize(X=X, Y=Y)
    if all(member.has_dim("nO") for member in model.layers):
        sizes = {member.get_dim("nO") for member in model.layers}
        if len(sizes) != 1:
            raise ValueError(f"echoppe.MeanOf.v1's members score different labels: {sizes}")
        model.set_dim("nO", sizes.pop())


@registry.architectures("echoppe.MeanOf.v1")  # type: ignore[untyped-decorator]
def build_mean_of(
    first: Model[list[Doc], Floats2d],
    second: Model[list[Doc], Floats2d],
    first_weight: float = 0.5,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Average the scores of two multi-label classifiers, each trained on its own loss.

    The members see the same messages in the same batches, but each learns from its own
    error, exactly as if trained apart; only their scores are averaged. Two linear models on
    different views of a message (the whole of it; its best clause) make different mistakes.
    """
    # Near 0 or 1 the mean rounds onto the label and the lighter member stops learning.
    if not 0.01 <= first_weight <= 0.99:
        raise ValueError("first_weight must be between 0.01 and 0.99")
    for member in (first, second):
        if not member.attrs.get("multi_label"):
            raise ValueError("echoppe.MeanOf.v1 averages multi-label classifiers only")
    model: Model[list[Doc], Floats2d] = Model(
        "mean_of",
        _mean_forward,
        init=_mean_init,
        layers=[first, second],
        dims={"nO": nO},
        attrs={"first_weight": float(first_weight), "multi_label": True},
    )
    return model


def _whole_blocks_of(layer: Model[Any, Any], doc: Doc) -> _Blocks:
    """Return a whole message's feature blocks as `layer` (extractor or clause_max) builds them."""
    attrs = layer.attrs
    # Only clause_max hides words; the n-gram extractor has no "hide" attr.
    role_weight = attrs.get("role_weight", 0.0)
    tokens = _tokens(
        doc,
        layer.ops,
        attrs["ngram_size"],
        attrs["char_sizes"],
        role_weight,
        attrs.get("roles", frozenset()),
        attrs.get("hide", frozenset()),
        _per_doc(doc),
    )
    return _whole(tokens, role_weight)


def fill_idf(layer: Model[Any, Any], docs: Sequence[Doc], min_df: int = 1) -> int:
    """Set a layer's IDF table from the messages it is trained on; return the number of keys.

    Smoothed as scikit-learn's TfidfVectorizer does: idf = ln((1 + n) / (1 + df)) + 1. Keys
    seen in fewer than `min_df` messages are left out, so they weigh 0.
    """
    # A text given several times (field corrections are copied to weigh more in training)
    # is one message for its document frequency.
    unique = list({doc.text: doc for doc in docs}.values())
    if not unique:
        raise ValueError("the IDF table needs at least one training message")
    keys, df = numpy.unique(
        numpy.concatenate(
            [numpy.unique(_weigh([_whole_blocks_of(layer, doc)], None)[0]) for doc in unique]
        ),
        return_counts=True,
    )
    kept = df >= min_df
    if not kept.any():
        raise ValueError(f"no feature is in {min_df} or more of the training messages")
    idf_keys = keys[kept].astype("uint64")
    idf_values = (numpy.log((1 + len(unique)) / (1 + df[kept])) + 1).astype("float32")
    # The lookup table built from them is kept for as long as they live.
    idf_keys.flags.writeable = False
    idf_values.flags.writeable = False
    layer.attrs["idf_keys"] = idf_keys
    layer.attrs["idf_values"] = idf_values
    return int(kept.sum())


@registry.callbacks("echoppe.fill_idf.v1")  # type: ignore[untyped-decorator]
def make_fill_idf(path: str | None, min_df: int = 1) -> Callable[[Language], Language]:
    """Return an after_init callback filling every IDF-weighted layer from the corpus at path."""

    def fill(nlp: Language) -> Language:
        # A shipped model's config keeps paths.train null: it is built and loaded, not
        # initialised, and only initialising needs the corpus.
        if path is None:
            raise ValueError("echoppe.fill_idf.v1 needs paths.train, the training corpus")
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        filled = 0
        for _name, component in nlp.pipeline:
            model = getattr(component, "model", None)
            if not isinstance(model, Model):
                continue
            for layer in model.walk():
                if layer.attrs.get("idf"):
                    count = fill_idf(layer, docs, min_df)
                    logger.info("IDF of %d feature keys from %d messages", count, len(docs))
                    filled += 1
        if not filled:
            raise ValueError("echoppe.fill_idf.v1 found no layer built with idf = true")
        return nlp

    return fill
