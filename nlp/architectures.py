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
from murmurhash.mrmr import hash_unicode
from spacy.language import Language
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.tokens import Doc, DocBin
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats2d

from nlp.scopes import ROLES, clauses_and_roles

logger = logging.getLogger(__name__)

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


def _token_role_keys(text: str, roles: frozenset[str]) -> list[int]:
    keys: list[int] = []
    # The word and its first five letters (typos, plurals), once per role of its clause. In a
    # fixed order: a set's order changes with each process's string hashing, and the order of
    # a row's features decides how the sparse layer rounds its sum.
    for role in sorted(roles):
        keys.append(hash_unicode(f"{role}|{text}", seed=_ROLE_SEED) & 0xFFFFFFFFFFFF)
        keys.append(hash_unicode(f"{role}|{text[:5]}~", seed=_ROLE_SEED) & 0xFFFFFFFFFFFF)
    return keys


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


@dataclass
class _Tokens:
    """What each token of a message contributes, computed once for the message and its clauses."""

    orths: Any
    chars: list[tuple[int, ...]]
    roles: list[list[int]]
    hidden: list[bool]


def _tokens(
    doc: Doc,
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
        role_keys = [
            _token_role_keys(w, marks & roles) if role_weight and not (space or punct) else []
            for w, marks, (space, punct) in zip(words, found, flags, strict=True)
        ]
        shared = (cache["orths"], chars, role_keys, found)
        cache[key] = shared
    orths, chars, role_keys, found = shared
    return _Tokens(
        orths=orths,
        chars=chars,
        roles=role_keys,
        # Words of a hidden role (a dismissed clause) reach the model only through the roles.
        hidden=[bool(marks & hide) for marks in found],
    )


def _row(
    tokens: _Tokens,
    start: int,
    end: int,
    ops: Any,
    ngram_size: int,
    role_weight: float,
    idf: _Idf | None = None,
) -> tuple[Any, Any]:
    """Return the feature keys and values of tokens start..end: words, characters, roles."""
    shown = [i for i in range(start, end) if not tokens.hidden[i]]
    unigrams = ops.asarray(tokens.orths[numpy.asarray(shown, dtype="int64")])
    word_parts = [unigrams]
    for n in range(2, ngram_size + 1):
        # thinc's ngrams() indexes its input's first element: skip texts shorter than n.
        if len(unigrams) >= n:
            word_parts.append(ops.ngrams(n, unigrams))
    # Messages are short: counting in Python and weighing every block in one numpy pass is
    # several times faster than numpy.unique and a table lookup per block.
    blocks = [
        (Counter(numpy.concatenate(word_parts).tolist()), 1.0),
        (Counter(iter_chain.from_iterable(tokens.chars[i] for i in shown)), 1.0),
    ]
    if role_weight:
        roles = Counter(iter_chain.from_iterable(tokens.roles[start:end]))
        blocks.append((roles, role_weight))
    blocks = [(counts, scale) for counts, scale in blocks if counts]
    sizes = [len(counts) for counts, _ in blocks]
    total = sum(sizes)
    if not total:
        return numpy.zeros((0,), dtype="uint64"), numpy.zeros((0,), dtype="float32")
    keys = numpy.fromiter(
        iter_chain.from_iterable(counts for counts, _ in blocks), "uint64", total
    )
    values = numpy.log1p(
        numpy.fromiter(iter_chain.from_iterable(c.values() for c, _ in blocks), "float64", total)
    )
    if idf is not None:
        values *= idf.weights(keys)
    # Each block scaled to unit length, then by its weight.
    starts = numpy.cumsum([0, *sizes[:-1]])
    norms = numpy.sqrt(numpy.add.reduceat(values * values, starts))
    scales = numpy.asarray([scale for _, scale in blocks]) / numpy.where(norms > 0, norms, 1.0)
    values *= numpy.repeat(scales, sizes)
    return keys, values.astype("float32")


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
    tokens = _tokens(doc, char_sizes, role_weight, roles, hide, _per_doc(doc))
    return _row(tokens, 0, len(doc), ops, ngram_size, role_weight, idf)


@dataclass(frozen=True)
class _Idf:
    """Inverse document frequencies of the training corpus's feature keys, sorted by key."""

    keys: Any
    values: Any

    def weights(self, keys: Any) -> Any:
        """Return each key's IDF; a key training never saw weighs 0."""
        at = numpy.minimum(numpy.searchsorted(self.keys, keys), len(self.keys) - 1)
        known = self.keys[at] == keys
        # As in a TF-IDF vectoriser, unseen features drop out before the block is scaled to
        # unit length, so a typo-ridden message keeps the weight of the words the model knows.
        return numpy.where(known, self.values[at], 0.0)


def _idf_of(model: Model[Any, Any]) -> _Idf | None:
    """Return the IDF table a layer was filled with, or None when it weighs no IDF."""
    if not model.attrs.get("idf") or not len(model.attrs["idf_keys"]):
        return None
    return _Idf(model.attrs["idf_keys"], model.attrs["idf_values"])


def _idf_attrs(idf: bool) -> dict[str, Any]:
    # Filled after initialisation by echoppe.fill_idf.v1; saved with the model's attrs.
    return {
        "idf": bool(idf),
        "idf_keys": numpy.zeros((0,), dtype="uint64"),
        "idf_values": numpy.zeros((0,), dtype="float32"),
    }


def _extract_forward(model: Model[list[Doc], Any], docs: list[Doc], is_train: bool) -> Any:
    idf = _idf_of(model)
    features = [_whole_row(model, doc, idf) for doc in docs]

    def backprop(_d_output: Any) -> list[Doc]:
        return []

    return _batch(features, model.ops), backprop


def _batch(rows: list[tuple[Any, Any]], ops: Any) -> tuple[Any, Any, Any]:
    """Join feature rows into SparseLinear's input: keys, values, and each row's length."""
    keys = numpy.concatenate([k for k, _ in rows]) if rows else numpy.zeros((0,), "uint64")
    vals = numpy.concatenate([v for _, v in rows]) if rows else numpy.zeros((0,), "float32")
    return keys, vals, ops.asarray([len(k) for k, _ in rows], dtype="int32")


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
    idf: _Idf | None = None,
) -> list[tuple[Any, Any]]:
    """Return the feature rows of a message: the whole of it, then each clause of several."""
    cache = _per_doc(doc)
    clause_of = _clauses_and_roles_of(doc, cache)[0]
    tokens = _tokens(doc, char_sizes, role_weight, roles, hide, cache)
    rows = [_row(tokens, 0, len(doc), ops, ngram_size, role_weight, idf)]
    spans = [
        (group[0][0], group[-1][0] + 1)
        for group in (list(g) for _, g in groupby(enumerate(clause_of), key=itemgetter(1)))
    ]
    if len(spans) > 1:
        for start, end in spans:
            # The punctuation that ends a sentence is not part of the next one.
            while start < end and (doc[start].is_punct or doc[start].is_space):
                start += 1
            while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space):
                end -= 1
            words = sum(not (t.is_punct or t.is_space) for t in doc[start:end])
            if end > start and words >= min_words:
                rows.append(_row(tokens, start, end, ops, ngram_size, role_weight, idf))
    return rows


def _clause_max_forward(
    model: Model[list[Doc], Floats2d], docs: list[Doc], is_train: bool
) -> tuple[Floats2d, Any]:
    sparse = model.layers[0]
    idf = _idf_of(model)
    attrs = model.attrs
    # Trained on whole messages, the clauses only count when predicting.
    if is_train and attrs["train_whole"]:
        rows_per_doc = [[_whole_row(model, doc, idf)] for doc in docs]
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
                idf,
            )
            for doc in docs
        ]
    counts = [len(rows) for rows in rows_per_doc]
    flat = [row for rows in rows_per_doc for row in rows]
    scores, backprop_sparse = sparse(_batch(flat, model.ops), is_train)
    n_out = scores.shape[1]
    output = model.ops.alloc2f(len(docs), n_out)
    chosen = numpy.zeros((len(docs), n_out), dtype="int64")
    start = 0
    for i, count in enumerate(counts):
        block = scores[start : start + count]
        best = block.argmax(axis=0)
        chosen[i] = best + start
        output[i] = block[best, numpy.arange(n_out)]
        start += count

    def backprop(d_output: Floats2d) -> list[Doc]:
        d_scores: Any = model.ops.alloc2f(*scores.shape)
        for i in range(len(docs)):
            d_scores[chosen[i], numpy.arange(n_out)] += d_output[i]
        backprop_sparse(d_scores)
        return []

    return output, backprop


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
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Score the whole message and each of its clauses; keep each factor's best score.

    A greeting, a name or a thank-you in a clause of its own then cannot pull a complaint
    down, and a dismissed clause ("le loyer, aucun souci") stands apart from the one that
    complains. The same sparse weights score every clause (multiple-instance learning).
    With `train_whole`, training sees whole messages only and the clauses (of at least
    `min_words` words) count when predicting. Words of a `hide` role (e.g. "ok", a dismissed
    clause) then reach the model only through the role block.
    """
    if exclusive_classes:
        raise ValueError("echoppe.ClauseMaxBOW.v1 is for multi-label classification")
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
            **_idf_attrs(idf),
        },
    )
    model: Model[list[Doc], Floats2d] = chain(scorer, Logistic())
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


def _whole_row(layer: Model[Any, Any], doc: Doc, idf: _Idf | None) -> tuple[Any, Any]:
    """Return a whole message's feature row as `layer` (extractor or clause_max) builds it."""
    attrs = layer.attrs
    # Only clause_max hides words; the n-gram extractor has no "hide" attr.
    return _doc_features(
        doc,
        layer.ops,
        attrs["ngram_size"],
        attrs["char_sizes"],
        attrs.get("role_weight", 0.0),
        attrs.get("roles", frozenset()),
        idf,
        attrs.get("hide", frozenset()),
    )


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
        numpy.concatenate([numpy.unique(_whole_row(layer, doc, None)[0]) for doc in unique]),
        return_counts=True,
    )
    kept = df >= min_df
    if not kept.any():
        raise ValueError(f"no feature is in {min_df} or more of the training messages")
    layer.attrs["idf_keys"] = keys[kept].astype("uint64")
    layer.attrs["idf_values"] = (numpy.log((1 + len(unique)) / (1 + df[kept])) + 1).astype(
        "float32"
    )
    return int(kept.sum())


@registry.callbacks("echoppe.fill_idf.v1")  # type: ignore[untyped-decorator]
def make_fill_idf(path: str, min_df: int = 1) -> Callable[[Language], Language]:
    """Return an after_init callback filling every IDF-weighted layer from the corpus at path."""

    def fill(nlp: Language) -> Language:
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
