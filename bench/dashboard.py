"""Benchmark the dashboard on two years of data: 1,000,000 concerns, 20,000 people.

Targets: every view's server time p99 under 200 ms, for a territory and for a core
(`dashboard_p99_ms`, the worst of them), and the largest CSV export under 2 s
(`dashboard_csv_s`).

The database is the digest benchmark's fixture (`bench.digest`: 730 days of concerns,
follow-ups, quotes and six partners, three of them limited to some cores), built once under
var/bench/ and copied, then migrated to today's schema and frozen as the bot's hourly job
freezes it (`freeze_due`: the last full week and the 13 before it). The freezing time is
printed (`dashboard_freeze_s`, once, when the copy is made).

Then the real dashboard app (`build_dashboard_web`, every view, wired as the container wires
it) answers requests in-process through httpx's ASGI transport, signed in by real sessions:
an admin, the regional retail agency (Brussels whole) and the business coaches (three cores).
Each view is asked `--requests` times for a territory (the admin on Brussels) and for a core
(the coaches' scope, or the core view of one of their cores); the first request of each is
printed apart (`_first_ms`: the week's figures gated and charts drawn the first time), the p99
is over the others, as a partner clicking around sees it. The hourly job gates the recent
weeks right after freezing them (`DashboardFigures.warm`), so in the running bot the first
request is as fast as the others; `dashboard_warm_s` is what that costs the job. Server time
is measured around the ASGI call; nothing is mocked.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bench.digest import DAYS, PARTNERS, ROOT, add_partners, analyze, enrich
from bench.echo_queries import build
from bot.features.dashboard.access import COOKIE, DashboardAccess
from bot.features.dashboard.access_store import Holder
from bot.features.dashboard.figures import DashboardFigures
from bot.features.dashboard.periods import PeriodFigureService
from bot.features.dashboard.views import Sources, build_dashboard_web
from bot.features.entrepreneurs.report import CandidateReport
from bot.features.foodchain.store import FoodRepository
from bot.features.opportunities.report import OpportunityReport
from bot.features.partners.store import PartnerRepository
from bot.features.popup.store import PopupRepository
from bot.features.surveys.definitions import Surveys
from bot.reference import Reference, default_data_dir
from bot.storage import Database
from bot.storage.audit import AuditRepository
from bot.storage.database import opened

TZ = ZoneInfo("Europe/Brussels")
K = 5
TARGET_P99_MS = 200.0
TARGET_CSV_S = 2.0
BASE = "http://bench.invalid"


async def freeze(path: Path) -> float:
    """Migrate the copy and freeze the weeks the bot's job would; return the seconds."""
    async with opened(path) as db:
        reference = Reference.load(default_data_dir())
        started = time.perf_counter()
        await PeriodFigureService(db, reference, TZ).freeze_due(datetime.now(UTC))
        return time.perf_counter() - started


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def measure(path: Path, requests: int) -> dict[str, float]:
    """Time every view for a territory and for a core, and every CSV; return name -> value."""
    out: dict[str, float] = {}
    db = Database(path)
    await db.connect()
    try:
        reference = Reference.load(default_data_dir())
        audit = AuditRepository(db)
        access = DashboardAccess(db, BASE, audit)
        periods = PeriodFigureService(db, reference, TZ)
        figures = DashboardFigures(db, periods, reference, K, TZ)
        sources = Sources(
            db,
            reference,
            TZ,
            K,
            lambda: datetime.now(UTC),
            Surveys.load(default_data_dir() / "surveys"),
            CandidateReport(db, K),
            OpportunityReport(db, K, PopupRepository(db).report, FoodRepository(db).counts),
        )
        app = build_dashboard_web(access, figures, sources, None)
        from starlette.applications import Starlette

        asgi = Starlette(routes=app.routes())
        partners = {p.name: p for p in await PartnerRepository(db).all()}
        agency = partners[PARTNERS[1][1]]
        coaches = partners[PARTNERS[3][1]]
        core = coaches.cores[0]
        viewers = {
            "admin": Holder(None, "bench"),
            "agency": Holder(agency.id, None),
            "coaches": Holder(coaches.id, None),
        }
        cookies: dict[str, str] = {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url=BASE
        ) as client:
            for name, holder in viewers.items():
                url = await access.issue(holder, "fr", "bench")
                token = url.rsplit("/", 1)[1]
                answer = await client.post(
                    "/dashboard/signin", data={"token": token}, headers={"origin": BASE}
                )
                cookies[name] = answer.cookies[COOKIE]
                client.cookies.clear()
            territory = "place=territory:brussels"
            quarter = f"{territory}&period=quarter"
            roadworks = f"{territory}&factor=roadworks&period=4w"
            scope = f"place=partner:{coaches.id}"
            cases: list[tuple[str, str, str]] = [
                ("overview_territory", "admin", f"/dashboard/overview?{territory}"),
                ("overview_quarter_territory", "agency", f"/dashboard/overview?{quarter}"),
                ("overview_core", "coaches", f"/dashboard/overview?{scope}"),
                ("core_core", "coaches", f"/dashboard/core?core={core}"),
                ("core_territory", "agency", f"/dashboard/core?core={core}"),
                ("compare_territory", "agency", f"/dashboard/compare?{territory}"),
                ("compare_factor_territory", "agency", f"/dashboard/compare?{roadworks}"),
                ("compare_core", "coaches", f"/dashboard/compare?{scope}"),
                ("map_territory", "agency", "/dashboard/map?territory=brussels"),
                ("map_core", "coaches", "/dashboard/map?territory=brussels&factor=rent_premises"),
                ("surveys_territory", "agency", f"/dashboard/surveys?{territory}"),
                ("voices_territory", "agency", f"/dashboard/voices?{territory}"),
                ("voices_core", "coaches", f"/dashboard/voices?{scope}"),
                ("since_territory", "agency", f"/dashboard/since?{territory}&period=quarter"),
                ("since_core", "coaches", f"/dashboard/since?{scope}"),
                ("coverage_territory", "admin", "/dashboard/admin/coverage?territory=brussels"),
                ("broadcasts", "admin", "/dashboard/admin/broadcasts"),
                ("waves", "admin", "/dashboard/admin/waves"),
                ("audit", "admin", "/dashboard/admin/audit"),
            ]  # fmt: skip
            worst = 0.0
            for name, who, path in cases:
                client.cookies.set(COOKIE, cookies[who], path="/dashboard")
                times: list[float] = []
                for _ in range(requests + 1):
                    started = time.perf_counter()
                    answer = await client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (name, answer.status_code)
                client.cookies.clear()
                p99 = _p99(times[1:])
                out[f"dashboard_{name}_first_ms"] = times[0]
                out[f"dashboard_{name}_p99_ms"] = p99
                out[f"dashboard_{name}_median_ms"] = statistics.median(times[1:])
                worst = max(worst, p99)
            out["dashboard_p99_ms"] = worst
            exports = [
                ("compare_all", "admin", f"/dashboard/compare.csv?{territory}&table=cores_all"),
                ("core_weeks", "agency", f"/dashboard/core.csv?core={core}&table=weeks"),
                ("overview", "admin", f"/dashboard/overview.csv?{territory}&table=factors"),
                ("audit", "admin", "/dashboard/admin/audit.csv?table=entries"),
            ]
            slowest = 0.0
            for name, who, path in exports:
                client.cookies.set(COOKIE, cookies[who], path="/dashboard")
                started = time.perf_counter()
                answer = await client.get(path)
                took = time.perf_counter() - started
                client.cookies.clear()
                out[f"dashboard_csv_{name}_s"] = took
                out[f"dashboard_csv_{name}_bytes"] = float(len(answer.content))
                if answer.status_code == 200:
                    slowest = max(slowest, took)
            out["dashboard_csv_s"] = slowest
        # What the hourly job spends gating the recent weeks after freezing them, so that the
        # first visitor after a restart does not (a process of its own would start cold).
        cold = DashboardFigures(db, periods, reference, K, TZ)
        started = time.perf_counter()
        await cold.warm()
        out["dashboard_warm_s"] = time.perf_counter() - started
    finally:
        await db.close()
    return out


def main() -> None:
    """Build (or reuse) the fixture, freeze it, measure, print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--concerns", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    digest = ROOT / "var" / "bench" / f"digest-{args.users}-{args.concerns}-{DAYS}d.sqlite3"
    path = ROOT / "var" / "bench" / f"dashboard-{args.users}-{args.concerns}-{DAYS}d.sqlite3"
    built_s = 0.0
    freeze_s = 0.0
    if not digest.exists():
        digest.parent.mkdir(parents=True, exist_ok=True)
        partial = digest.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()

        async def migrate() -> None:
            async with opened(partial):
                pass

        asyncio.run(migrate())
        built_at = datetime.now(UTC)
        build(partial, args.users, args.concerns, days=DAYS)
        enrich(partial, built_at)
        asyncio.run(add_partners(partial))
        analyze(partial)
        partial.rename(digest)
        built_s = time.perf_counter() - started
    if not path.exists():
        partial = path.with_suffix(".partial")
        shutil.copyfile(digest, partial)
        freeze_s = asyncio.run(freeze(partial))
        partial.rename(path)
    else:
        # Reused: weeks closed since it was frozen are frozen now, as the hourly job would.
        freeze_s = asyncio.run(freeze(path))
    figures = asyncio.run(measure(path, max(2, args.requests)))
    print(f"dashboard_db_concerns: {args.concerns}")
    print(f"dashboard_db_users: {args.users}")
    print(f"dashboard_db_build_s: {built_s:.1f}")
    print(f"dashboard_freeze_s: {freeze_s:.1f}")
    for name, value in figures.items():
        if name.endswith("_bytes"):
            print(f"{name}: {int(value)}")
        elif name.endswith("_s"):
            print(f"{name}: {value:.3f}")
        else:
            print(f"{name}: {value:.1f}")
    print(f"dashboard_p99_target_ms: {TARGET_P99_MS:.0f}")
    print(f"dashboard_csv_target_s: {TARGET_CSV_S:.0f}")


if __name__ == "__main__":
    main()
