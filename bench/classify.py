"""Benchmark the shipped classifier: batch throughput, single-message latency, memory.

Runs on one core (BLAS threads pinned to 1). Messages are the training corpus texts, cycled.
"""

from __future__ import annotations

import os

# One core, as the bot's classification executor uses: pin BLAS before numpy loads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def rss_mb() -> float:
    """Return this process's resident memory in MB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    """Measure and print `name: value` lines."""
    before = rss_mb()
    from nlp.classifier import get_classifier
    from nlp.corpus import read_training_corpus

    texts = [e.text for e in read_training_corpus()]
    started = time.perf_counter()
    classifier = get_classifier()
    load_s = time.perf_counter() - started
    classifier.predict_many(texts[:200])  # warm-up
    loaded = rss_mb()

    batch = (texts * (5000 // len(texts) + 1))[:5000]
    started = time.perf_counter()
    classifier.predict_many(batch)
    per_s = len(batch) / (time.perf_counter() - started)

    latencies = []
    for text in texts[:1000]:
        t0 = time.perf_counter()
        classifier.predict(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}, one BLAS thread")
    print(f"classifier_variant: {classifier.variant}")
    print(f"classifier_load_s: {load_s:.2f}")
    print(f"classify_p50_ms: {statistics.median(latencies):.2f}")
    print(f"classify_msgs_per_s: {per_s:.0f}")
    print(f"classify_p99_ms: {latencies[int(0.99 * (len(latencies) - 1))]:.2f}")
    print(f"classifier_rss_before_load_mb: {before:.0f}")
    print(f"classifier_rss_mb: {loaded:.0f}")


if __name__ == "__main__":
    main()
