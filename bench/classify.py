"""Benchmark the shipped classifier: batch throughput, single-message latency, memory.

Runs on one core (BLAS threads pinned to 1). Messages are the training corpus texts, each with
a made-up word added (a name, a typo), so every message brings vocabulary the model has not
seen, as in the field; a second throughput figure uses the held-out texts, whose words the
model met less often (the tokenizer's cache holds the training vocabulary). Memory is the
process's peak resident size over the whole run. `python -m bench.classify [MODEL_DIR]`
measures another model directory than the shipped one.
"""

from __future__ import annotations

import os

# One core, as the bot's classification executor uses: pin BLAS before numpy loads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import random  # noqa: E402
import statistics  # noqa: E402
import string  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def proc_mb(field: str) -> float:
    """Return a memory figure of this process in MB from /proc (VmRSS now, VmHWM peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def with_new_words(texts: list[str], count: int, seed: int = 0) -> list[str]:
    """Return `count` messages, each a corpus text with one made-up word inserted."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 9)))
        words = texts[i % len(texts)].split()
        words.insert(rng.randint(0, len(words)), word)
        out.append(" ".join(words))
    return out


def main() -> None:
    """Measure and print `name: value` lines."""
    before = proc_mb("VmRSS")
    started = time.perf_counter()
    from nlp.classifier import MODEL_DIR, get_classifier
    from nlp.corpus import read_heldout_parts, read_training_corpus

    classifier = get_classifier(Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL_DIR)
    load_s = time.perf_counter() - started  # imports included
    texts = [e.text for e in read_training_corpus()]
    classifier.predict_many(texts[:200])  # warm-up

    batch = with_new_words(texts, 5000, seed=1)
    started = time.perf_counter()
    classifier.predict_many(batch)
    per_s = len(batch) / (time.perf_counter() - started)

    heldout = [e.text for part in read_heldout_parts().values() for e in part]
    batch = with_new_words(heldout, 5000, seed=3)
    started = time.perf_counter()
    classifier.predict_many(batch)
    heldout_per_s = len(batch) / (time.perf_counter() - started)

    latencies = []
    for text in with_new_words(texts, 1000, seed=2):
        t0 = time.perf_counter()
        classifier.predict(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}, one BLAS thread")
    print(f"classifier_variant: {classifier.variant}")
    print(f"classifier_load_s: {load_s:.2f}")
    print(f"classifier_rss_before_load_mb: {before:.0f}")
    print(f"classifier_rss_after_run_mb: {proc_mb('VmRSS'):.0f}")
    print(f"classify_p50_ms: {statistics.median(latencies):.2f}")
    print(f"classify_msgs_per_s: {per_s:.0f}")
    print(f"classify_heldout_msgs_per_s: {heldout_per_s:.0f}")
    print(f"classify_p99_ms: {latencies[int(0.99 * (len(latencies) - 1))]:.2f}")
    print(f"classifier_rss_mb: {proc_mb('VmHWM'):.0f}")


if __name__ == "__main__":
    main()
