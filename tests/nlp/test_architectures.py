"""echoppe's architectures learn, survive serialisation and odd inputs, and weigh IDF."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

import nlp.architectures  # noqa: F401
from nlp.classifier import MODEL_DIR
from nlp.features import normalize

TEXTS = ["le loyer est trop cher", "wegenwerken overal", "", "🙂", "a", "x" * 300]


def test_bytes_round_trip_predicts_identically() -> None:
    original = spacy.load(MODEL_DIR)
    copy = spacy.blank("fr").from_config(original.config)
    copy.from_bytes(original.to_bytes())
    for text in TEXTS:
        a, b = original(normalize(text)).cats, copy(normalize(text)).cats
        assert a.keys() == b.keys()
        assert all(abs(a[k] - b[k]) < 1e-7 for k in a)


def test_short_and_empty_docs_are_scored() -> None:
    model = spacy.load(MODEL_DIR)
    docs = list(model.pipe(normalize(t) for t in TEXTS))
    assert all(len(d.cats) == 12 for d in docs)
    assert all(0.0 <= v <= 1.0 for d in docs for v in d.cats.values())


_DATA = [
    ("le loyer augmente encore", {"rent_premises": 1.0, "mobility_parking": 0.0}),
    ("plus de place de parking", {"rent_premises": 0.0, "mobility_parking": 1.0}),
    ("le loyer ca va, mais le parking non", {"rent_premises": 0.0, "mobility_parking": 1.0}),
    ("bonjour merci", {"rent_premises": 0.0, "mobility_parking": 0.0}),
    # A label left out is unknown, not false: it must teach neither member anything.
    ("le loyer, aucun souci. le parking, impossible", {"mobility_parking": 1.0}),
    ("loyer trop cher", {"rent_premises": 1.0}),
]


def _pipeline(
    model: dict[str, object], data: list[tuple[str, dict[str, float]]] = _DATA
) -> tuple[spacy.language.Language, list[object]]:
    """Build an untrained pipeline with a model config, and the examples of `data`."""
    from spacy.training import Example

    nlp = spacy.blank("fr")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": model})
    for label in ("rent_premises", "mobility_parking"):
        textcat.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(t), {"cats": c}) for t, c in data]
    return nlp, examples


def _tiny(architecture: str, **extra: object) -> spacy.language.Language:
    """Build and briefly train a pipeline with one of echoppe's architectures."""
    model = {
        "@architectures": architecture,
        "exclusive_classes": False,
        "ngram_size": 2,
        "char_min": 3,
        "char_max": 5,
        "length": 4096,
        **extra,
    }
    # Every label known: the first four examples.
    nlp, examples = _pipeline(model, _DATA[:4])
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(30):
        nlp.update(examples, sgd=optimizer)
    return nlp


def test_scoped_and_clause_max_learn_round_trip_and_score_odd_inputs() -> None:
    for architecture, extra in (
        ("echoppe.ScopedCharBOW.v1", {"role_weight": 0.3}),
        ("echoppe.ClauseMaxBOW.v1", {"role_weight": 0.3}),
        # Trained on every row, the whole message's share mixed in after the sigmoid.
        ("echoppe.ClauseMaxBOW.v1", {"role_weight": 0.3, "whole_weight": 0.3}),
    ):
        nlp = _tiny(architecture, **extra)
        assert nlp("le loyer augmente encore").cats["rent_premises"] > 0.5
        assert nlp("plus de place de parking").cats["mobility_parking"] > 0.5
        copy = spacy.blank("fr").from_config(nlp.config)
        copy.from_bytes(nlp.to_bytes())
        for text in [*TEXTS, "bonjour ! le loyer. merci, bonne journee ."]:
            a, b = nlp(normalize(text)).cats, copy(normalize(text)).cats
            assert all(abs(a[k] - b[k]) < 1e-6 for k in a) and all(0 <= v <= 1 for v in a.values())


def test_clause_max_keeps_a_complaint_whatever_surrounds_it() -> None:
    nlp = _tiny("echoppe.ClauseMaxBOW.v1", role_weight=0.3)
    alone = nlp("le loyer augmente encore").cats["rent_premises"]
    wrapped = nlp("bonjour merci . le loyer augmente encore . merci").cats["rent_premises"]
    # The best clause decides: a greeting sentence around the complaint cannot lower it.
    assert wrapped >= alone - 1e-6


def test_bad_settings_are_refused() -> None:
    for architecture, extra in (
        ("echoppe.ScopedCharBOW.v1", {"role_weight": 0.0}),
        ("echoppe.ScopedCharBOW.v1", {"roles": "bogus"}),
        ("echoppe.ClauseMaxBOW.v1", {"roles": "neg,bogus"}),
        ("echoppe.ClauseMaxBOW.v1", {"hide": "bogus"}),
        ("echoppe.ClauseMaxBOW.v1", {"whole_weight": 1.0}),
        ("echoppe.ClauseMaxBOW.v1", {"whole_weight": -0.1}),
    ):
        with pytest.raises(ValueError):
            _tiny(architecture, **extra)


def test_whole_trained_clause_max_hides_dismissed_words_and_keeps_short_clauses_out() -> None:
    nlp = _tiny(
        "echoppe.ClauseMaxBOW.v1", role_weight=0.3, hide="ok", train_whole=True, min_words=3
    )
    scorer = nlp.get_pipe("textcat_multilabel").model.layers[0]
    assert scorer.attrs["hide"] == frozenset({"ok"}) and scorer.attrs["train_whole"]
    # A dismissed clause shows none of its words to the word and character blocks.
    from nlp.architectures import _doc_features

    doc = nlp.make_doc("le loyer ca va")
    ok = frozenset({"ok"})
    hidden = _doc_features(doc, scorer.ops, 2, (3,), 0.3, ok, hide=ok)
    shown = _doc_features(doc, scorer.ops, 2, (3,), 0.3, ok)
    assert 0 < len(hidden[0]) < len(shown[0])
    alone = nlp("le loyer augmente encore").cats["rent_premises"]
    wrapped = nlp("bonjour merci . le loyer augmente encore . merci").cats["rent_premises"]
    assert wrapped >= alone - 1e-6


def test_idf_weighs_rare_words_up_drops_unseen_ones_and_keeps_blocks_unit_length() -> None:
    import numpy

    from nlp.architectures import _doc_features, _idf_of, extract_word_and_char_ngrams, fill_idf

    nlp = spacy.blank("fr")
    layer = extract_word_and_char_ngrams(1, (), idf=True)
    docs = [nlp.make_doc(t) for t in ("le loyer", "le parking", "le stock", "le stock")]
    assert _idf_of(layer) is None  # empty until filled: plain log counts
    # Four words, the repeated "le stock" counting once: the copies that weigh field
    # corrections more in training must not make a word look common or rare.
    assert fill_idf(layer, docs) == 4
    assert fill_idf(layer, docs[:3]) == 4
    idf = _idf_of(layer)
    assert idf is not None
    keys, values = _doc_features(nlp.make_doc("le loyer zzzz"), layer.ops, 1, (), idf=idf)
    weight = dict(zip(keys.tolist(), values.tolist(), strict=True))
    le, loyer, unseen = (nlp.vocab.strings[w] for w in ("le", "loyer", "zzzz"))
    # "le" is in every message, "loyer" in one; a word training never saw drops out.
    assert weight[loyer] > weight[le] > 0 and weight[unseen] == 0
    assert abs(sum(v * v for v in weight.values()) - 1) < 1e-5
    # Without the table the same message weighs its words alike.
    plain_keys, plain = _doc_features(nlp.make_doc("le loyer zzzz"), layer.ops, 1, ())
    assert len(set(plain.tolist())) == 1 and len(plain_keys) == 3
    # The table follows the layer's arrays: new values weigh at once; in place, none change.
    layer.attrs["idf_values"] = numpy.ones(4, dtype="float32")
    _, even = _doc_features(nlp.make_doc("le loyer"), layer.ops, 1, (), idf=_idf_of(layer))
    assert abs(even[0] - even[1]) < 1e-7
    with pytest.raises(ValueError):
        layer.attrs["idf_keys"][0] = 1
    # min_df leaves out what fewer messages carry: only "le" remains.
    assert fill_idf(layer, docs, min_df=2) == 1
    with pytest.raises(ValueError):
        fill_idf(layer, docs, min_df=4)


def test_fill_idf_callback_fills_the_table_from_the_corpus_and_it_survives_saving(
    tmp_path: Path,
) -> None:
    from spacy.tokens import DocBin

    from nlp.architectures import make_fill_idf

    nlp = _tiny("echoppe.ScopedCharBOW.v1", role_weight=0.3, idf=True)
    corpus = DocBin(docs=[nlp.make_doc(t) for t in ("le loyer augmente", "le parking", "le")])
    corpus.to_disk(tmp_path / "train.spacy")
    before = nlp("le loyer augmente encore").cats
    make_fill_idf(str(tmp_path / "train.spacy"))(nlp)
    layer = next(n for n in nlp.get_pipe("textcat_multilabel").model.walk() if n.attrs.get("idf"))
    assert len(layer.attrs["idf_keys"]) > 0
    after = nlp("le loyer augmente encore").cats
    assert any(abs(after[k] - before[k]) > 1e-6 for k in after)
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    for text in [*TEXTS, "le loyer augmente encore"]:
        a, b = nlp(normalize(text)).cats, loaded(normalize(text)).cats
        assert all(abs(a[k] - b[k]) < 1e-6 for k in a)
    clause = _tiny("echoppe.ClauseMaxBOW.v1", role_weight=0.3, idf=True)
    make_fill_idf(str(tmp_path / "train.spacy"))(clause)
    assert len(clause.get_pipe("textcat_multilabel").model.layers[0].attrs["idf_keys"]) > 0
    clause.to_disk(tmp_path / "clause")
    reloaded = spacy.load(tmp_path / "clause")
    for text in [*TEXTS, "bonjour . le loyer augmente encore . merci"]:
        a, b = clause(normalize(text)).cats, reloaded(normalize(text)).cats
        assert all(abs(a[k] - b[k]) < 1e-6 for k in a)
    # A config asking for IDF on a model that has none is refused, not silently ignored.
    with pytest.raises(ValueError):
        make_fill_idf(str(tmp_path / "train.spacy"))(_tiny("echoppe.ScopedCharBOW.v1"))


_MEMBER = {"exclusive_classes": False, "ngram_size": 2, "char_min": 3, "char_max": 5}
_FIRST = {"@architectures": "echoppe.ScopedCharBOW.v1", "role_weight": 0.3, **_MEMBER}
# As shipped: trained on whole messages, clauses scored when predicting, dismissed words hidden.
_SECOND = {
    "@architectures": "echoppe.ClauseMaxBOW.v1",
    "role_weight": 0.3,
    "hide": "ok",
    "train_whole": True,
    "min_words": 2,
    **_MEMBER,
}


def test_mean_of_trains_each_member_as_if_alone_and_averages_them(tmp_path: Path) -> None:
    from thinc.api import SGD

    mean, examples = _pipeline(
        {"@architectures": "echoppe.MeanOf.v1", "first": _FIRST, "second": _SECOND}
    )
    mean.initialize(lambda: examples)
    alone = []
    for index, config in enumerate((_FIRST, _SECOND)):
        nlp, own = _pipeline(config)
        nlp.initialize(lambda own=own: own)
        member = mean.get_pipe("textcat_multilabel").model.layers[index]
        nlp.get_pipe("textcat_multilabel").model.from_bytes(member.to_bytes())
        alone.append((nlp, own))
    mean_sgd = SGD(0.5)
    sgds = [SGD(0.5), SGD(0.5)]
    for _ in range(20):
        mean.update(examples, sgd=mean_sgd)
        for (nlp, own), sgd in zip(alone, sgds, strict=True):
            nlp.update(own, sgd=sgd)
    texts = [
        *TEXTS,
        "le loyer augmente encore",
        "bonjour . le parking non . merci",
        "le loyer, aucun souci. le parking, impossible",
    ]
    for text in texts:
        together = mean(normalize(text)).cats
        apart = [nlp(normalize(text)).cats for nlp, _ in alone]
        # The mean of two members trained apart, not a model whose parts co-adapted.
        assert all(abs(together[k] - (apart[0][k] + apart[1][k]) / 2) < 1e-5 for k in together)
    assert mean("le loyer augmente encore").cats["rent_premises"] > 0.5
    assert apart[0] != apart[1]
    mean.to_disk(tmp_path / "mean")
    loaded = spacy.load(tmp_path / "mean")
    for text in texts:
        a, b = mean(normalize(text)).cats, loaded(normalize(text)).cats
        assert all(abs(a[k] - b[k]) < 1e-6 for k in a)


def test_whole_weight_is_the_mean_of_two_members_trained_alike_in_one_model(
    tmp_path: Path,
) -> None:
    from thinc.api import SGD

    alike = {
        "@architectures": "echoppe.ClauseMaxBOW.v1",
        "role_weight": 0.3,
        "hide": "ok",
        "train_whole": True,
        "idf": False,
        **_MEMBER,
    }
    whole_only = {**alike, "min_words": 1_000_000}
    best_row = {**alike, "min_words": 2, "cause_rows": True}
    mean, examples = _pipeline(
        {"@architectures": "echoppe.MeanOf.v1", "first": whole_only, "second": best_row}
    )
    pooled, own = _pipeline({**best_row, "whole_weight": 0.5})
    mean.initialize(lambda: examples)
    pooled.initialize(lambda: own)
    mean_sgd, pooled_sgd = SGD(0.5), SGD(0.5)
    for _ in range(20):
        mean.update(examples, sgd=mean_sgd)
        pooled.update(own, sgd=pooled_sgd)
    members = mean.get_pipe("textcat_multilabel").model.layers
    weights = [m.layers[0].layers[0].get_param("W") for m in members]
    pooled_model = pooled.get_pipe("textcat_multilabel").model
    # Same features, same batches: the two members learn the same weights, which the
    # pooled model holds once.
    assert (weights[0] == weights[1]).all() and weights[0].any()
    assert (pooled_model.layers[0].layers[0].get_param("W") == weights[0]).all()
    texts = [
        *TEXTS,
        "bonjour merci . le loyer augmente encore . merci",
        "les gens restent chez eux a cause du parking, le loyer ca va",
    ]
    for text in texts:
        a, b = mean(normalize(text)).cats, pooled(normalize(text)).cats
        assert all(a[k] == b[k] for k in a)
    # The clauses count: the pooled score is not the whole message's alone.
    text = normalize("bonjour merci . le loyer augmente encore . merci")
    pooled_model.layers[0].attrs["min_words"] = 1_000_000
    pooled_model.layers[0].attrs["cause_rows"] = False
    whole = pooled(text).cats
    pooled_model.layers[0].attrs["min_words"] = 2
    pooled_model.layers[0].attrs["cause_rows"] = True
    assert pooled(text).cats["rent_premises"] > whole["rent_premises"] + 1e-3
    pooled.to_disk(tmp_path / "pooled")
    loaded = spacy.load(tmp_path / "pooled")
    for text in texts:
        assert loaded(normalize(text)).cats == pooled(normalize(text)).cats


def test_mean_of_refuses_a_weight_outside_zero_one_and_single_label_members() -> None:
    for extra in ({"first_weight": 1.0}, {"first_weight": 0.0}, {"first_weight": 0.001}):
        with pytest.raises(ValueError):
            _pipeline(
                {
                    "@architectures": "echoppe.MeanOf.v1",
                    "first": _FIRST,
                    "second": _SECOND,
                    **extra,
                }
            )
    single = {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": True,
        "ngram_size": 1,
        "no_output_layer": False,
    }
    with pytest.raises(ValueError):
        _pipeline({"@architectures": "echoppe.MeanOf.v1", "first": _FIRST, "second": single})


def test_what_the_features_share_per_message_stays_off_the_doc_and_follows_its_tokens() -> None:
    model = spacy.load(MODEL_DIR)
    text = normalize(
        "Le loyer, aucun souci. Mais le parking, c'est impossible depuis les travaux."
    )
    doc = model(text)
    # Nothing of the message is left in the doc's user data, so it serialises as it came.
    assert doc.user_data == {}
    assert spacy.tokens.Doc(model.vocab).from_bytes(doc.to_bytes()).text == text
    textcat = model.get_pipe("textcat_multilabel")
    with doc.retokenize() as retokenizer:
        retokenizer.merge(doc[0:2])
    fresh = model.make_doc(text)
    with fresh.retokenize() as retokenizer:
        retokenizer.merge(fresh[0:2])
    # A retokenised doc is read again, not from what its old tokens gave.
    again, new = textcat(doc).cats, textcat(fresh).cats
    assert all(abs(again[k] - new[k]) < 1e-6 for k in again)


def test_the_idf_table_finds_every_key_however_they_collide() -> None:
    import numpy

    from nlp.architectures import _Idf

    # 40 keys sharing their low bits probe past each other, some wrapping round the table's
    # end; absent keys with the same low bits must still weigh 0.
    present = [j << 20 | 5 for j in range(30)] + [j << 20 | 127 for j in range(1, 10)] + [0]
    values = numpy.arange(1, len(present) + 1, dtype="float32")
    table = _Idf(numpy.asarray(present, dtype="uint64"), values)
    wanted = dict(zip(present, values.tolist(), strict=True))
    asked = present + [j << 20 | 5 for j in range(30, 60)] + [126, 127, 2**64 - 1, 1 << 63]
    asked = asked[::-1] + asked
    got = table.weights(numpy.asarray(asked, dtype="uint64"))
    assert got.tolist() == [wanted.get(k, 0.0) for k in asked]
    assert _Idf(numpy.zeros(0, dtype="uint64"), numpy.zeros(0, "float32")).weights(
        numpy.asarray([0, 7], dtype="uint64")
    ).tolist() == [0.0, 0.0]


def test_rows_weighed_in_one_batch_equal_rows_weighed_alone() -> None:
    import numpy

    from nlp.architectures import _idf_of, _weigh, _whole_blocks_of

    model = spacy.load(MODEL_DIR)
    layer = next(n for n in model.get_pipe("textcat_multilabel").model.walk() if _idf_of(n))
    docs = [model.make_doc(normalize(t)) for t in [*TEXTS, "", "le loyer! le loyer!!"]]
    rows = [_whole_blocks_of(layer, doc) for doc in docs]
    keys, values, lengths = _weigh(rows, _idf_of(layer))
    assert lengths[2] == 0 and len(keys) == sum(lengths) == len(values)
    alone = [_weigh([row], _idf_of(layer)) for row in rows]
    assert numpy.array_equal(keys, numpy.concatenate([k for k, _, _ in alone]))
    assert numpy.array_equal(values, numpy.concatenate([v for _, v, _ in alone]))


def test_a_clause_row_has_the_features_of_the_clause_written_alone() -> None:
    import numpy

    from nlp.architectures import _doc_features, _rows_of, _weigh

    nlp = spacy.blank("fr")
    ops = spacy.util.get_current_ops()
    text = "bonjour a tous . le loyer augmente encore et encore ! le parking manque vraiment"
    clauses = [c.strip() for c in text.replace("!", ".").split(".")]
    for size in (1, 2, 3):
        for chars in ((), (3, 4)):
            rows = _rows_of(nlp.make_doc(text), ops, size, chars, 0.0, frozenset(), min_words=1)
            assert len(rows) == 1 + len(clauses)
            for row, clause in zip(rows[1:], clauses, strict=True):
                keys, values, _ = _weigh([row], None)
                alone = _doc_features(nlp.make_doc(clause), ops, size, chars)
                assert sorted(zip(keys.tolist(), values.tolist(), strict=True)) == sorted(
                    zip(alone[0].tolist(), alone[1].tolist(), strict=True)
                )
                if not chars:
                    # Its words and every n-gram of them, as thinc's ngrams() hashes them.
                    words = nlp.make_doc(clause).to_array("ORTH").astype("uint64")
                    grams = [ops.ngrams(n, words) for n in range(2, size + 1) if n <= len(words)]
                    assert set(keys.tolist()) == set(numpy.concatenate([words, *grams]).tolist())


def test_a_cause_row_has_the_features_of_the_cause_written_alone() -> None:
    from nlp.architectures import _doc_features, _rows_of, _weigh

    nlp = spacy.blank("fr")
    ops = spacy.util.get_current_ops()
    alone = _doc_features(nlp.make_doc("chantier du tram"), ops, 2, (3,))
    # The cause ends at a comma, or at a dash set apart by spaces (phone typing).
    for stop in (",", "-", "--"):
        text = f"le chiffre a chute a cause du chantier du tram {stop} les gens ne viennent plus"
        doc = nlp.make_doc(text)
        # Clause rows are kept out (min_words): the whole message, then its one named cause.
        plain = _rows_of(doc, ops, 2, (3,), 0.0, frozenset(), min_words=100)
        rows = _rows_of(doc, ops, 2, (3,), 0.0, frozenset(), min_words=100, cause_rows=True)
        assert len(plain) == 1 and len(rows) == 2 and rows[0] == plain[0]
        keys, values, _ = _weigh([rows[1]], None)
        assert sorted(zip(keys.tolist(), values.tolist(), strict=True)) == sorted(
            zip(alone[0].tolist(), alone[1].tolist(), strict=True)
        ), stop
    # No cue, no cause row.
    assert (
        len(
            _rows_of(
                nlp.make_doc("le chantier du tram"),
                ops,
                2,
                (3,),
                0.0,
                frozenset(),
                min_words=100,
                cause_rows=True,
            )
        )
        == 1
    )


def test_cause_rows_count_when_predicting_and_survive_saving() -> None:
    nlp = _tiny("echoppe.ClauseMaxBOW.v1", role_weight=0.3, train_whole=True, cause_rows=True)
    scorer = nlp.get_pipe("textcat_multilabel").model.layers[0]
    assert scorer.attrs["cause_rows"]
    copy = spacy.blank("fr").from_config(nlp.config)
    copy.from_bytes(nlp.to_bytes())
    text = "les gens restent chez eux a cause du loyer trop cher"
    assert copy(text).cats == nlp(text).cats
    # The cause read alone raises the factor it names; nothing falls (each keeps its best row).
    scorer.attrs["cause_rows"] = False
    without = nlp(text).cats
    scorer.attrs["cause_rows"] = True
    assert nlp(text).cats["rent_premises"] > without["rent_premises"] + 1e-3
    assert all(nlp(text).cats[k] >= without[k] - 1e-6 for k in without)


ROLES_4 = ("neg", "ok", "pre", "post")


def test_the_roles_and_hidden_roles_a_model_was_trained_with_survive_saving() -> None:
    nlp = _tiny(
        "echoppe.ClauseMaxBOW.v1", role_weight=0.3, train_whole=True, roles="neg,ok", hide="ok"
    )
    # A pipeline built from another config, as an edited config.cfg would build it.
    config = nlp.config.copy()
    config["components"]["textcat_multilabel"]["model"].update(roles="neg,ok,pre,post", hide="")
    copy = spacy.blank("fr").from_config(config)
    scorer = copy.get_pipe("textcat_multilabel").model.layers[0]
    assert (scorer.attrs["roles"], scorer.attrs["hide"]) == (frozenset(ROLES_4), frozenset())
    copy.from_bytes(nlp.to_bytes())
    assert scorer.attrs["roles"] == frozenset({"neg", "ok"})
    assert scorer.attrs["hide"] == frozenset({"ok"})
    text = "le loyer ca va, mais le parking est impossible"
    assert copy(text).cats == nlp(text).cats


def test_idf_filling_without_a_corpus_path_says_so_when_initialising() -> None:
    from nlp.architectures import make_fill_idf

    nlp = spacy.load(MODEL_DIR)
    with pytest.raises(ValueError, match=r"paths\.train"):
        make_fill_idf(None, 2)(nlp)
