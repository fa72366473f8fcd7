"""Benchmark the partners' weekly digests on two years of data: 1,000,000 concerns, 20,000 users.

Target: building every partner's digest for one week takes under 3 s in total.

Builds the database once under var/bench/ (reused if present), through the project's own
migrations: `bench.echo_queries.build` spread over 730 days, then what a digest reads on top:
30% of users accept anonymous quotes; 85% of concerns are typed messages with a real text of
30 to 200 characters from the training corpus (data/training, one about a factor of the
concern), the rest "me too" taps; every concern has its follow-up three weeks later, asked,
covered or skipped, and about 40% of the asked ones answered (solved, still there or worse),
a persisting problem adding its 'still_there' or 'worse' voices as the bot does. Six partners
are then created through `PartnerService`: a research team (both territories), the regional
retail agency (Brussels), the local development agency (Lessines), and three partners seeing
only some cores (business coaches, a commune's trade office, a shopkeepers' association).
Statistics are those the bot's housekeeping leaves (`PRAGMA optimize` under
`analysis_limit = 400`), not a full ANALYZE: some plans differ between the two.

Then, for the last full ISO week before the fixture was built (Europe/Brussels; its four
weeks before are full too), builds each partner's digest in turn as the weekly job does:
`DigestService.figures` (counts, emerging signals, quotes, follow-up outcomes, survey waves
closed that week: none here), then the rendering for delivery to a chat, `DigestFlow.weekly`
(text, chart PNG, CSV), and by e-mail, `DigestFlow.email` (text, HTML page, the same chart,
CSV). Services are wired as bot/app/container.py wires them.

The loop over all partners runs twice on one connection, every chart drawn anew each time
(charts.py keeps drawn charts; a new week's are new). `digest_build_s` counts the first run
after opening the database (also printed as `digest_build_cold_s`): the weekly job runs once
a week, when SQLite's own page cache holds nothing of use and the first chart pays
matplotlib's set-up, so the first run is what it costs. The OS file cache is left as it is
(warm when the fixture was just built or benched, cold after a reboot); `--cold` first drops
the fixture from it (`posix_fadvise(DONTNEED)`), so that the first run reads from disk.
`digest_build_warm_s` is the immediate repeat, for comparison. Per partner, first run:
`digest_<partner>_figures_s` (the queries) and `digest_<partner>_render_s` (chat message,
chart, CSV, e-mail with its HTML page).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench._fixture import build_once
from bench.echo_queries import build
from bot.features.digests.flow import DigestFlow
from bot.features.digests.service import DigestFigures, DigestService
from bot.features.partners.service import PartnerService
from bot.features.partners.store import Partner, PartnerRepository
from bot.features.surveys.definitions import Surveys
from bot.reference import Reference, default_data_dir
from bot.shared import charts
from bot.shared.schedule import last_full_week
from bot.storage import Database
from nlp.taxonomy import taxonomy

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Europe/Brussels")
ANONYMITY_K = 5
DAYS = 730
QUOTE_CONSENT = 0.3
ME_TOO = 0.15
FOLLOW_UP_AFTER = timedelta(days=21)
ANSWERED = 0.4
ANSWERS = ("solved", "still_there", "worse")
ANSWER_WEIGHTS = (35, 45, 20)
ROUNDS = 2
SENDER = "Échoppe <digest@echoppe.example>"
# (key, name, language, territories, cores): who reads the digests.
PARTNERS = (
    (
        "research",
        "UCLouvain · équipe de recherche commerce de proximité",
        "fr",
        ("brussels", "lessines"),
        (),
    ),
    ("retail_agency", "hub.brussels · Observatoire du commerce", "fr", ("brussels",), ()),
    ("local_agency", "ADL Lessines", "fr", ("lessines",), ()),
    (
        "coaches",
        "Coaches commerce Saint-Gilles & Ixelles",
        "fr",
        ("brussels",),
        ("bru_parvis_saint_gilles", "bru_chaussee_de_waterloo", "bru_chaussee_d_ixelles"),
    ),
    (
        "commune",
        "Gemeente Anderlecht · dienst Handel",
        "nl",
        ("brussels",),
        ("bru_wayez", "bru_saint_guidon", "bru_cureghem"),
    ),
    (
        "association",
        "Association des commerçants de Lessines-centre",
        "fr",
        ("lessines",),
        ("les_centre",),
    ),
)


def _corpus() -> dict[str, list[tuple[str, str]]]:
    """Return (lang, text) of the training messages of 30 to 200 characters, per factor."""
    texts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path in sorted((default_data_dir() / "training").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if 30 <= len(item["text"]) <= 200:
                for factor in item["labels"]:
                    texts[factor].append((item["lang"], item["text"]))
    return texts


def enrich(path: Path, built_at: datetime, seed: int = 17) -> None:
    """Add quote consents, texts, "me too" taps, follow-ups and their voices to a built fixture."""
    rng = random.Random(seed)
    corpus = _corpus()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    consents = [
        (at, uid)
        for uid, at in conn.execute("SELECT id, consent_at FROM users ORDER BY id")
        if rng.random() < QUOTE_CONSENT
    ]
    conn.executemany(
        "UPDATE users SET quote_consent = 1, quote_consent_at = ? WHERE id = ?", consents
    )
    (last,) = conn.execute("SELECT MAX(id) FROM concerns").fetchone()
    step = 50_000
    for first in range(1, last + 1, step):
        rows = conn.execute(
            "SELECT c.id, c.user_id, c.confirmed_at, group_concat(f.factor), u.core_id,"
            " u.territory_id, u.role FROM concerns c"
            " JOIN concern_factors f ON f.concern_id = c.id JOIN users u ON u.id = c.user_id"
            " WHERE c.id >= ? AND c.id < ? GROUP BY c.id",
            (first, first + step),
        ).fetchall()
        concerns, follow_ups, voices = [], [], []
        for cid, uid, confirmed_at, factor_list, core, territory, role in rows:
            factors = sorted(factor_list.split(","))
            labels = json.dumps(factors)
            if len(factors) == 1 and rng.random() < ME_TOO:
                concerns.append(("", "fr", "me_too", "[]", labels, "", cid))
            else:
                lang, text = rng.choice(corpus[rng.choice(factors)])
                concerns.append((text, lang, "message", labels, labels, f"h{cid}", cid))
            due = datetime.fromisoformat(confirmed_at) + FOLLOW_UP_AFTER
            sent_at = skipped = answer = answered_at = None
            if due < built_at:
                draw = rng.random()
                if draw < 0.30:
                    skipped = "covered"
                elif draw < 0.37:
                    skipped = "off" if draw < 0.35 else "blocked"
                else:
                    sent = due + timedelta(seconds=rng.randrange(8 * 3600))
                    answered = sent + timedelta(seconds=rng.randrange(36 * 3600))
                    sent_at = _iso(sent)
                    if answered < built_at and rng.random() < ANSWERED:
                        answer = rng.choices(ANSWERS, ANSWER_WEIGHTS)[0]
                        answered_at = _iso(answered)
                        if answer != "solved":
                            voices += [
                                (cid, f, answer, uid, core, territory, role, answered_at)
                                for f in factors
                            ]
            follow_ups.append(
                (cid, uid, core, territory, role, _iso(due), sent_at, skipped, answer, answered_at)
            )
        conn.executemany(
            "UPDATE concerns SET text = ?, lang = ?, source = ?, predicted = ?, draft = ?,"
            " text_hash = ? WHERE id = ?",
            concerns,
        )
        conn.executemany(
            "INSERT INTO follow_ups (concern_id, user_id, core_id, territory_id, role, due_at,"
            " sent_at, skipped, answer, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            follow_ups,
        )
        conn.executemany(
            "INSERT INTO concern_factors (concern_id, factor, kind, user_id, core_id,"
            " territory_id, role, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            voices,
        )
    conn.commit()
    conn.close()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


async def add_partners(path: Path) -> None:
    """Create the partners through the bot's own service (scopes checked)."""
    db = Database(path)
    await db.connect()
    try:
        service = PartnerService(db, Reference.load(default_data_dir()))
        for key, name, language, territories, cores in PARTNERS:
            await service.create(
                name=name,
                territories=territories,
                cores=cores,
                language=language,
                email=f"{key}@example.org",
                created_by="bench",
            )
    finally:
        await db.close()


def analyze(path: Path) -> None:
    """Give the planner the statistics a running bot's database has.

    The bot's housekeeping runs `PRAGMA optimize` with `analysis_limit = 400` (see
    bot/storage/database.py): rough statistics, on which some plans differ from those a full
    ANALYZE would give. The fixture gets the same kind.
    """
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA analysis_limit = 400")
    conn.execute("ANALYZE")
    conn.close()


@dataclass(frozen=True)
class Round:
    """One loop over every partner: total and per-partner seconds (figures, rendering)."""

    total_s: float
    partners: tuple[tuple[str, float, float], ...]
    factors_shown: int
    quotes: int


async def measure(path: Path, rounds: int) -> tuple[str, int, list[Round]]:
    """Build every partner's digest `rounds` times on one connection; return week and rounds."""
    db = Database(path)
    await db.connect()
    try:
        # Wired as bot/app/container.py does.
        reference = Reference.load(default_data_dir())
        surveys = Surveys.load(default_data_dir() / "surveys")
        digests = DigestService(db, ANONYMITY_K, TZ, surveys, reference)
        flow = DigestFlow(
            PartnerService(db, reference), digests, reference, taxonomy(), ANONYMITY_K
        )
        partners = await PartnerRepository(db).all()
        built_at = datetime.fromisoformat(max(p.created_at for p in partners))
        week = last_full_week(built_at, TZ)
        keys = {name: key for key, name, *_ in PARTNERS}
        done = []
        for _ in range(rounds):
            # Each week's charts are new: none is drawn from the previous round's cache.
            charts._cached_png.cache_clear()
            # A week is counted once and kept; every round (and every run) counts it anew.
            await db.execute("DELETE FROM digest_snapshots")
            timings = []
            shown = quotes = 0
            started = time.perf_counter()
            for partner in partners:
                begun = time.perf_counter()
                figures = await digests.figures(partner, week)
                counted = time.perf_counter()
                await _render(flow, partner, figures)
                rendered = time.perf_counter()
                key = keys.get(partner.name, f"partner{partner.id}")
                timings.append((key, counted - begun, rendered - counted))
                shown += sum(line.people is not None for line in figures.factors)
                quotes += sum(len(q) for q in figures.quotes.values())
            done.append(Round(time.perf_counter() - started, tuple(timings), shown, quotes))
        return week, len(partners), done
    finally:
        await db.close()


async def _render(flow: DigestFlow, partner: Partner, figures: DigestFigures) -> None:
    """Render a digest as the weekly job sends it: to a chat, then by e-mail (HTML inside)."""
    await flow.weekly(partner, figures)
    await flow.email(partner, figures, SENDER, partner.email or SENDER)


def evict(path: Path) -> None:
    """Drop the fixture's pages from the OS file cache (no privilege needed, this file only)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def main() -> None:
    """Build (or reuse) the database, measure, print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--concerns", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--cold", action="store_true", help="evict the fixture from the OS file cache first"
    )
    args = parser.parse_args()
    path = ROOT / "var" / "bench" / f"digest-{args.users}-{args.concerns}-{DAYS}d.sqlite3"

    def fill(partial: Path) -> None:
        built_at = datetime.now(UTC)
        build(partial, args.users, args.concerns, days=DAYS)
        enrich(partial, built_at)
        asyncio.run(add_partners(partial))
        analyze(partial)

    built_s = build_once(path, fill)
    if args.cold:
        evict(path)
    week, partners, rounds = asyncio.run(measure(path, max(1, args.rounds)))
    first = rounds[0]
    print(f"digest_db_concerns: {args.concerns}")
    print(f"digest_db_users: {args.users}")
    print(f"digest_db_build_s: {built_s:.1f}")
    print(f"digest_partners: {partners}")
    print(f"digest_week: {week}")
    print(f"digest_os_cache_evicted: {int(args.cold)}")
    print(f"digest_factors_shown: {first.factors_shown}")
    print(f"digest_quotes: {first.quotes}")
    print(f"digest_build_cold_s: {first.total_s:.3f}")
    if len(rounds) > 1:
        print(f"digest_build_warm_s: {min(r.total_s for r in rounds[1:]):.3f}")
    for key, figures_s, render_s in first.partners:
        print(f"digest_{key}_figures_s: {figures_s:.3f}")
        print(f"digest_{key}_render_s: {render_s:.3f}")
    print(f"digest_build_s: {first.total_s:.3f}")


if __name__ == "__main__":
    main()
