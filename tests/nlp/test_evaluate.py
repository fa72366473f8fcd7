"""`python bot.py evaluate FILE` prints the figures and ends with macro_f1=<3 decimals>."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    ("e1", "fr", "Le loyer a encore augmenté, le proprio ne répare rien", ["rent_premises"]),
    ("e2", "nl", "De werken in onze straat duren al maanden, niemand kan binnen", ["roadworks"]),
    ("e3", "en", "Thanks a lot, see you at the info session!", []),
    ("e4", "fr", "Je bosse 7 jours sur 7 et je ne vois plus mes enfants", ["workload_health"]),
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "evaluate", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_evaluate_prints_figures_and_baseline(tmp_path: Path) -> None:
    path = tmp_path / "mini.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": i, "lang": lang, "text": text, "labels": labels}, ensure_ascii=False)
            for i, lang, text, labels in ROWS
        ),
        encoding="utf-8",
    )
    done = run(str(path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for needle in ("== spaCy classifier", "fr ", "nl ", "en ", "rent_premises", "baseline"):
        assert needle in out
    taps = re.search(r"plain question \(Yes / Change\): +(\d\.\d{3})", out)
    asking = re.search(
        r"with the close runner-up offered \((\w+), ratio [\d.]+\): (\d\.\d{3})", out
    )
    assert taps and asking, out
    # Four messages, each reached in one tap at best and a few at worst.
    assert 1.0 <= float(taps[1]) <= 4.0 and 1.0 <= float(asking[2]) <= 4.0
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"macro_f1=\d\.\d{3}", last), last


def test_evaluate_refuses_a_bad_file_politely(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "lang": "de", "text": "hallo", "labels": []}\n', encoding="utf-8")
    done = run(str(path), "--no-baseline")
    assert done.returncode == 2
    assert "bad.jsonl:1" in done.stderr and "Traceback" not in done.stderr
