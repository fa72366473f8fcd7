"""A spaCy text-classification architecture: bag of words plus character n-grams.

spaCy's own TextCatBOW sees whole tokens only. Shopkeepers type on phones ("loyé", "parkng",
"stationement"), and Dutch glues words together ("parkeerplaatsen", "wegenwerken"), so the
features here add the character n-grams of every token, the way fastText does. Each block of
features (word n-grams, character n-grams) is scaled to unit length per message, so long
rants and one-liners land on the same scale. Registered in spaCy's registry, used from
nlp/configs/*.cfg, trained by `spacy train`.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy
from murmurhash.mrmr import hash_unicode
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats2d

_NEG_VALUE = -5000.0
# Character n-grams are hashed with their own seed (one per size), so "abc" as a character
# trigram never has the key of the word "abc"; SparseLinear_v2 then maps keys to buckets.
# The 48-bit mask only makes the signed 32-bit hash non-negative for the uint64 keys.
_CHAR_SEED = 7919


def _char_keys(word: str, sizes: tuple[int, ...]) -> list[int]:
    marked = f"<{word}>"
    keys: list[int] = []
    for size in sizes:
        if len(marked) < size:
            continue
        keys.extend(
            hash_unicode(marked[i : i + size], seed=_CHAR_SEED + size) & 0xFFFFFFFFFFFF
            for i in range(len(marked) - size + 1)
        )
    return keys


def _doc_features(
    doc: Doc, ops: Any, ngram_size: int, char_sizes: tuple[int, ...]
) -> tuple[Any, Any]:
    unigrams = ops.asarray(doc.to_array("ORTH"))
    word_parts = [unigrams]
    for n in range(2, ngram_size + 1):
        # thinc's ngrams() indexes its input's first element: skip texts shorter than n.
        if len(unigrams) >= n:
            word_parts.append(ops.ngrams(n, unigrams))
    word_keys, word_counts = numpy.unique(numpy.concatenate(word_parts), return_counts=True)
    char_list: list[int] = []
    for token in doc:
        if not token.is_space:
            char_list.extend(_char_keys(token.text, char_sizes))
    char_keys, char_counts = numpy.unique(
        numpy.asarray(char_list, dtype="uint64"), return_counts=True
    )
    blocks_keys = [word_keys.astype("uint64")]
    blocks_vals = [_unit(numpy.log1p(word_counts))]
    if len(char_keys):
        blocks_keys.append(char_keys)
        blocks_vals.append(_unit(numpy.log1p(char_counts)))
    return numpy.concatenate(blocks_keys), numpy.concatenate(blocks_vals).astype("float32")


def _unit(values: Any) -> Any:
    norm = math.sqrt(float((values * values).sum()))
    return values / norm if norm else values


def _extract_forward(model: Model[list[Doc], Any], docs: list[Doc], is_train: bool) -> Any:
    ngram_size: int = model.attrs["ngram_size"]
    char_sizes: tuple[int, ...] = model.attrs["char_sizes"]
    features = [_doc_features(doc, model.ops, ngram_size, char_sizes) for doc in docs]
    keys = [k for k, _ in features]
    vals = [v for _, v in features]
    lengths = model.ops.asarray([len(k) for k in keys], dtype="int32")
    batch_keys = numpy.concatenate(keys) if keys else numpy.zeros((0,), dtype="uint64")
    batch_vals = numpy.concatenate(vals) if vals else numpy.zeros((0,), dtype="float32")

    def backprop(_d_output: Any) -> list[Doc]:
        return []

    return (batch_keys, batch_vals, lengths), backprop


def extract_word_and_char_ngrams(ngram_size: int, char_sizes: tuple[int, ...]) -> Model[Any, Any]:
    """Return a layer turning docs into hashed word n-gram and character n-gram features."""
    model: Model[Any, Any] = Model("extract_word_and_char_ngrams", _extract_forward)
    model.attrs["ngram_size"] = ngram_size
    model.attrs["char_sizes"] = tuple(char_sizes)
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
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Build a linear classifier over word n-grams and character n-grams of each token."""
    if exclusive_classes:
        raise ValueError("echoppe.CharBOW.v1 is for multi-label classification")
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[Floats2d, Floats2d] = resizable(
        sparse_linear,
        resize_layer=partial(resize_linear_weighted, fill_defaults={"b": _NEG_VALUE, "W": 0}),
    )
    sizes = tuple(range(char_min, char_max + 1))
    output = logistic_with_log_loss(positive_weight) if log_loss else Logistic()
    model: Model[list[Doc], Floats2d] = chain(
        extract_word_and_char_ngrams(ngram_size, sizes), resizable_layer, output
    )
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = True
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
