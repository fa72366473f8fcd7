"""Train the classifier variants with `spacy train`, compare them, ship the best one."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import spacy
from spacy.cli.train import train as spacy_train
from spacy.tokens import DocBin

import nlp.architectures  # noqa: F401  (registers echoppe.* architectures with spaCy)
from nlp.asking import AskingRule, mean_taps, tune_rule
from nlp.classifier import META_FILE, MODEL_DIR, Classifier
from nlp.corpus import (
    HELDOUT_DIR,
    TRAINING_DIR,
    CorpusError,
    Example,
    heldout_of,
    read_examples,
    read_heldout_parts,
    read_training_corpus,
)
from nlp.features import normalize
from nlp.metrics import score
from nlp.taxonomy import FACTOR_IDS, LANGS
from nlp.variants import VARIANTS

logger = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
DEFAULT_SEED = 0
_GRID = [round(0.05 + 0.025 * i, 3) for i in range(37)]  # 0.05 .. 0.95


@dataclass(frozen=True)
class PartResult:
    """Hold a model's cross-fitted figures on one held-out part."""

    size: int
    macro_f1: float
    by_lang: dict[str, float]
    taps_plain: float
    taps_asking: float


@dataclass(frozen=True)
class VariantResult:
    """Hold what one trained variant scored on the held-out parts, and how fast it ran."""

    variant: str
    heldout_macro_f1: float
    heldout_macro_f1_at_half: float
    heldout_micro_f1: float
    heldout_none_correct: float | None
    msgs_per_s: float
    train_seconds: float
    size_mb: float
    thresholds: dict[str, float]
    asking: dict[str, object]
    parts: dict[str, PartResult]


def corpus_digest(examples: Sequence[Example]) -> str:
    """Return a stable hash of the training corpus, stored with the model."""
    payload = "\n".join(f"{e.id}\t{e.lang}\t{e.text}\t{','.join(e.labels)}" for e in examples)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def write_docbin(examples: Sequence[Example], normalizer: str, path: Path) -> None:
    """Write examples as a spaCy DocBin with one 0/1 category per factor."""
    nlp = spacy.blank("fr")
    docbin = DocBin(store_user_data=False)
    for example in examples:
        doc = nlp.make_doc(normalize(example.text, normalizer))
        doc.cats = {label: float(label in example.labels) for label in FACTOR_IDS}
        docbin.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(path)


def tune_thresholds(
    gold: Sequence[frozenset[str]], scores: Sequence[dict[str, float]]
) -> dict[str, float]:
    """Choose one threshold per label on held-out data, shrunk halfway to the best global one.

    Per-label optima on a few hundred messages are noisy; averaging with the single threshold
    that is best for all labels together keeps a rare label from getting an extreme cut-off.
    """

    def macro_at(thresholds: dict[str, float]) -> float:
        predicted = [frozenset(k for k, v in s.items() if v >= thresholds[k]) for s in scores]
        return score(gold, predicted).macro_f1

    best_global = max(_GRID, key=lambda t: (macro_at({k: t for k in FACTOR_IDS}), -abs(t - 0.5)))
    tuned: dict[str, float] = {}
    for label in FACTOR_IDS:

        def label_f1(t: float, label: str = label) -> tuple[float, float]:
            tp = sum(label in g and s[label] >= t for g, s in zip(gold, scores, strict=True))
            fp = sum(label not in g and s[label] >= t for g, s in zip(gold, scores, strict=True))
            fn = sum(label in g and s[label] < t for g, s in zip(gold, scores, strict=True))
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            return f1, -abs(t - best_global)

        best_label = max(_GRID, key=label_f1)
        tuned[label] = round((best_label + best_global) / 2, 4)
    return tuned


def _halves(n: int) -> tuple[list[int], list[int]]:
    return [i for i in range(n) if i % 2 == 0], [i for i in range(n) if i % 2]


def crossfit(
    gold: Sequence[frozenset[str]], scores: Sequence[dict[str, float]], with_taps: bool = True
) -> tuple[list[frozenset[str]], float, float]:
    """Predict held-out data honestly: what is tuned on one half decides the other half.

    Tuning and scoring on the same messages flatters a model; the shipped thresholds still use
    the whole held-out data, but the figures reported (and used to pick a variant) are these.
    Returns the predictions and the mean taps with the plain question and with the asking
    rule (0 when not asked for, or with fewer than two messages).
    """
    predicted: dict[int, frozenset[str]] = {}
    plain = asking = 0.0
    halves = _halves(len(gold))
    for tune_on, apply_to in (halves, halves[::-1]):
        g_tune = [gold[i] for i in tune_on]
        s_tune = [scores[i] for i in tune_on]
        thresholds = tune_thresholds(g_tune, s_tune)
        for i in apply_to:
            predicted[i] = frozenset(k for k, v in scores[i].items() if v >= thresholds[k])
        if with_taps and len(gold) >= 2:
            rule = tune_rule(s_tune, g_tune, thresholds)
            g_apply = [gold[i] for i in apply_to]
            s_apply = [scores[i] for i in apply_to]
            plain += mean_taps(AskingRule(), s_apply, g_apply, thresholds) * len(apply_to)
            asking += mean_taps(rule, s_apply, g_apply, thresholds) * len(apply_to)
    n = max(len(gold), 1)
    return [predicted[i] for i in range(len(gold))], plain / n, asking / n


def part_result(
    examples: Sequence[Example], scores: Sequence[dict[str, float]], with_taps: bool = True
) -> PartResult:
    """Score one held-out part, cross-fitted: overall, per language, and the taps."""
    gold = [frozenset(e.labels) for e in examples]
    predicted, taps_plain, taps_asking = crossfit(gold, scores, with_taps)
    by_lang: dict[str, float] = {}
    for lang in LANGS:
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        if idx:
            by_lang[lang] = round(
                score([gold[i] for i in idx], [predicted[i] for i in idx]).macro_f1, 4
            )
    return PartResult(
        size=len(examples),
        macro_f1=round(score(gold, predicted).macro_f1, 4),
        by_lang=by_lang,
        taps_plain=round(taps_plain, 3),
        taps_asking=round(taps_asking, 3),
    )


def _dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1_000_000


def _speed(classifier: Classifier, texts: Sequence[str]) -> float:
    batch = list(texts) * max(1, 2000 // max(len(texts), 1))
    started = time.perf_counter()
    classifier.predict_many(batch)
    return len(batch) / (time.perf_counter() - started)


def train_variant(
    variant: str,
    train: Sequence[Example],
    parts: dict[str, list[Example]],
    workdir: Path,
    seed: int = DEFAULT_SEED,
    max_steps: int | None = None,
) -> tuple[VariantResult, Path]:
    """Train one variant with spaCy's own workflow; return its held-out result and model dir.

    `parts` are the held-out parts: the checkpoint, the thresholds and the asking rule are
    chosen on all of them together; each is also scored on its own, cross-fitted.
    """
    heldout = heldout_of(parts)
    normalizer = VARIANTS[variant]
    data_dir = workdir / "corpus" / normalizer
    if not (data_dir / "train.spacy").exists():
        write_docbin(train, normalizer, data_dir / "train.spacy")
        write_docbin(heldout, normalizer, data_dir / "heldout.spacy")
    output = workdir / variant
    started = time.perf_counter()
    spacy_train(
        CONFIG_DIR / f"{variant}.cfg",
        output,
        overrides={
            "paths.train": str(data_dir / "train.spacy"),
            "paths.dev": str(data_dir / "heldout.spacy"),
            "system.seed": seed,
            **({} if max_steps is None else {"training.max_steps": max_steps}),
        },
    )
    elapsed = time.perf_counter() - started
    model_dir = output / "model-best"
    forget_build_paths(model_dir)
    nlp = spacy.load(model_dir)
    half = dict.fromkeys(FACTOR_IDS, 0.5)
    probe = Classifier(nlp, half, normalizer)
    texts = [e.text for e in heldout]
    raw = probe.scores_many(texts)
    gold = [frozenset(e.labels) for e in heldout]
    thresholds = tune_thresholds(gold, raw)
    asking = tune_rule(raw, gold, thresholds)
    tuned = Classifier(nlp, thresholds, normalizer, variant, asking)
    predicted = [frozenset(f.factor for f in tuned.decide(s)) for s in raw]
    at_half = [frozenset(f.factor for f in probe.decide(s)) for s in raw]
    scores = score(gold, predicted)
    part_results: dict[str, PartResult] = {}
    start = 0
    for name in sorted(parts):
        end = start + len(parts[name])
        part_results[name] = part_result(parts[name], raw[start:end])
        start = end
    result = VariantResult(
        variant=variant,
        heldout_macro_f1=round(_mean(p.macro_f1 for p in part_results.values()), 4),
        heldout_macro_f1_at_half=round(score(gold, at_half).macro_f1, 4),
        heldout_micro_f1=round(scores.micro_f1, 4),
        heldout_none_correct=scores.none_correct,
        msgs_per_s=round(_speed(tuned, texts), 1),
        train_seconds=round(elapsed, 1),
        size_mb=round(_dir_size_mb(model_dir), 1),
        thresholds=thresholds,
        asking=asking.as_meta(),
        parts=part_results,
    )
    _write_meta(model_dir, result, normalizer, seed, train, heldout)
    return result, model_dir


def forget_build_paths(model_dir: Path) -> None:
    """Set the corpus paths that training leaves in a model's config.cfg back to null."""
    # They name a temporary folder of the machine that trained it, gone since; loading and
    # predicting never read them, and `bot.py train` fills them again.
    path = model_dir / "config.cfg"
    config = spacy.util.load_config(path, interpolate=False)
    for key in ("train", "dev"):
        config["paths"][key] = None
    config.to_disk(path)


def _mean(values: Iterable[float]) -> float:
    found = list(values)
    return sum(found) / len(found) if found else 0.0


def _write_meta(
    model_dir: Path,
    result: VariantResult,
    normalizer: str,
    seed: int,
    train: Sequence[Example],
    heldout: Sequence[Example],
) -> None:
    meta = {
        "variant": result.variant,
        "normalizer": normalizer,
        "seed": seed,
        "thresholds": result.thresholds,
        "asking": result.asking,
        "heldout": {
            "macro_f1": result.heldout_macro_f1,
            "macro_f1_at_half": result.heldout_macro_f1_at_half,
            "micro_f1": result.heldout_micro_f1,
            "none_correct": result.heldout_none_correct,
            "size": len(heldout),
            "parts": {name: asdict(part) for name, part in result.parts.items()},
        },
        "train_size": len(train),
        "corpus_sha256": corpus_digest([*train, *heldout]),
        "spacy_version": spacy.about.__version__,
    }
    (model_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def _add_meta(model_dir: Path, key: str, value: dict[str, object]) -> None:
    """Add one entry to a trained model's echoppe.json."""
    path = model_dir / META_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta[key] = value
    path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def baseline_parts(
    train: Sequence[Example], parts: dict[str, list[Example]]
) -> dict[str, PartResult] | None:
    """Score the TF-IDF baseline, trained on the same data, on each held-out part."""
    try:
        from nlp.baseline import TfidfBaseline

        model = TfidfBaseline()
    except ImportError:
        return None
    model.fit(train, heldout_of(parts))
    return {
        name: part_result(examples, model.scores_many([e.text for e in examples]), False)
        for name, examples in sorted(parts.items())
    }


# The reproducibility check run by `make test`: the shipped variant on a fixed part of the
# corpus (chosen by a hash of each id), fewer steps; its scores are stored with the model.
SUBSET_SHARE = 0.375
SUBSET_STEPS = 1000


def fixed_subset(train: Sequence[Example]) -> list[Example]:
    """Return the fixed part of the training corpus that `make test` retrains on."""
    return [
        e for e in train if hashlib.sha256(e.id.encode("utf-8")).digest()[0] / 256 < SUBSET_SHARE
    ]


def train_subset(
    variant: str,
    train: Sequence[Example],
    parts: dict[str, list[Example]],
    workdir: Path,
    seed: int = DEFAULT_SEED,
) -> VariantResult:
    """Train a variant on the fixed subset with fewer steps; return its held-out figures."""
    result, _ = train_variant(
        variant, fixed_subset(train), parts, workdir, seed, max_steps=SUBSET_STEPS
    )
    return result


def _same_text(text: str) -> str:
    """Return what makes two messages the same text here (case and outer spaces ignored)."""
    return text.casefold().strip()


def check_apart(train: Sequence[Example], heldout: Sequence[Example]) -> None:
    """Refuse to train when a held-out message (same id or same text) is in the training data."""
    seen_ids = {e.id for e in train}
    seen_texts = {_same_text(e.text) for e in train}
    shared = [e.id for e in heldout if e.id in seen_ids or _same_text(e.text) in seen_texts]
    if shared:
        raise ValueError(f"held-out messages also in the training data: {shared[:5]}")


def _replace_model_dir(source: Path, output: Path) -> None:
    """Swap a new model into `output`, refusing to delete a folder that holds anything else."""
    if output.exists() and any(output.iterdir()) and not (output / META_FILE).exists():
        raise ValueError(f"{output} is not empty and holds no model: refusing to replace it")
    staging = output.with_name(output.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source, staging)
    if output.exists():
        old = output.with_name(output.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        output.rename(old)
        staging.rename(output)
        shutil.rmtree(old)
    else:
        staging.rename(output)


def _part_cells(part: PartResult) -> str:
    langs = " / ".join(f"{part.by_lang.get(lang, 0.0):.3f}" for lang in LANGS)
    return f"{part.macro_f1:.3f} ({langs})"


def comparison_table(
    results: Sequence[VariantResult], baseline: dict[str, PartResult] | None = None
) -> str:
    """Render the variants' figures (and the baseline's) as a Markdown table."""
    names = sorted(results[0].parts) if results else []
    head = " | ".join(f"{n}: macro F1 (fr / nl / en)" for n in names)
    lines = [
        f"| variant | {head} | taps plain → asking ({', '.join(names)}) | micro F1 "
        "| none left empty | msgs/s (one core) | train s | size MB |",
        "|---|" + "---|" * len(names) + "---|---|---|---|---|---|",
    ]
    for r in results:
        none = "—" if r.heldout_none_correct is None else f"{r.heldout_none_correct:.2f}"
        cells = " | ".join(_part_cells(r.parts[n]) for n in names)
        taps = ", ".join(
            f"{r.parts[n].taps_plain:.2f} → {r.parts[n].taps_asking:.2f}" for n in names
        )
        lines.append(
            f"| {r.variant} | {cells} | {taps} | {r.heldout_micro_f1:.3f} | {none} "
            f"| {r.msgs_per_s:.0f} | {r.train_seconds:.0f} | {r.size_mb:.1f} |"
        )
    if baseline is not None:
        cells = " | ".join(_part_cells(baseline[n]) for n in names)
        lines.append(f"| TF-IDF + LR baseline | {cells} | — | — | — | — | — | — |")
    return "\n".join(lines)


def train_and_ship(
    variants: Sequence[str] = tuple(VARIANTS),
    output: Path = MODEL_DIR,
    corpus_dir: Path = TRAINING_DIR,
    seed: int = DEFAULT_SEED,
    workdir: Path | None = None,
    heldout_dir: Path = HELDOUT_DIR,
) -> list[VariantResult]:
    """Train each variant, keep the best on held-out macro F1 and copy it to `output`."""
    train = read_training_corpus(corpus_dir)
    parts = read_heldout_parts(heldout_dir)
    check_apart(train, heldout_of(parts))
    logger.info("training on %d messages, %d held out", len(train), len(heldout_of(parts)))
    with tempfile.TemporaryDirectory(prefix="echoppe-train-") as tmp:
        root = workdir or Path(tmp)
        results: list[tuple[VariantResult, Path]] = [
            train_variant(v, train, parts, root, seed) for v in variants
        ]
        best, best_dir = max(results, key=lambda r: (r[0].heldout_macro_f1, r[0].msgs_per_s))
        subset = train_subset(best.variant, train, parts, root / "subset", seed)
        _add_meta(
            best_dir,
            "subset",
            {
                "share": SUBSET_SHARE,
                "max_steps": SUBSET_STEPS,
                "macro_f1": subset.heldout_macro_f1,
                "micro_f1": subset.heldout_micro_f1,
            },
        )
        _replace_model_dir(best_dir, output)
    table = comparison_table([r for r, _ in results], baseline_parts(train, parts))
    (output / "comparison.md").write_text(table + "\n", encoding="utf-8")
    logger.info("kept variant %s", best.variant)
    print(table)
    print(f"kept: {best.variant}")
    print(json.dumps(asdict(best), indent=2))
    return [r for r, _ in results]


# Field corrections count this many times each: a person's confirmed answer is worth more
# than a written example, and there are few of them.
CORRECTIONS_WEIGHT = 2


REPOSITORY = MODEL_DIR.parent.parent


def check_outside_repository(path: Path) -> None:
    """Refuse a path for people's words inside the repository, except under var/."""
    resolved = path.resolve()
    if resolved.is_relative_to(REPOSITORY.resolve()) and not resolved.is_relative_to(
        (REPOSITORY / "var").resolve()
    ):
        raise ValueError(f"{path}: people's words stay out of the repository (use var/)")


def usable_corrections(
    field: Sequence[Example], train: Sequence[Example], heldout: Sequence[Example]
) -> list[Example]:
    """Drop corrections that repeat a training or held-out text (held-out must stay unseen)."""
    seen = {_same_text(e.text) for e in [*train, *heldout]}
    kept: list[Example] = []
    for example in field:
        text = _same_text(example.text)
        if text and text not in seen:
            seen.add(text)
            kept.append(example)
    return kept


def train_with_corrections(
    corrections: Path,
    output: Path,
    *,
    variant: str,
    weight: int = CORRECTIONS_WEIGHT,
    seed: int = DEFAULT_SEED,
    corpus_dir: Path = TRAINING_DIR,
    heldout_dir: Path = HELDOUT_DIR,
    max_steps: int | None = None,
) -> tuple[VariantResult, VariantResult, int]:
    """Train a variant with and without field corrections; keep the one with them in `output`.

    Returns (without, with, number of corrections used). The model with corrections holds
    people's words: it belongs on the operator's machine, never in the repository.
    """
    check_outside_repository(output)
    if weight < 1:
        raise ValueError("the corrections' weight must be at least 1")
    train = read_training_corpus(corpus_dir)
    parts = read_heldout_parts(heldout_dir)
    check_apart(train, heldout_of(parts))
    field = usable_corrections(read_examples(corrections), train, heldout_of(parts))
    if not field:
        raise CorpusError(f"{corrections}: no correction left that is not already known")
    weighted = [
        example.model_copy(update={"id": f"{example.id}#{copy}"})
        for example in field
        for copy in range(weight)
    ]
    with tempfile.TemporaryDirectory(prefix="echoppe-corrections-") as tmp:
        root = Path(tmp)
        without, _ = train_variant(variant, train, parts, root / "without", seed, max_steps)
        with_field, model_dir = train_variant(
            variant, [*train, *weighted], parts, root / "with", seed, max_steps
        )
        _add_meta(
            model_dir,
            "corrections",
            {
                "count": len(field),
                "weight": weight,
                "file_sha256": hashlib.sha256(corrections.read_bytes()).hexdigest(),
                # People may since have used /forget: the model says when it learnt from them.
                "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        _replace_model_dir(model_dir, output)
    return without, with_field, len(field)
