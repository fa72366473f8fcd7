"""Seed a sample database with five weeks of plausible Brussels activity and render a digest.

Used for the README's screenshot of the HTML digest:

    .venv/bin/python docs/sample_digest.py var/sample-digest.html
    chromium --headless --no-sandbox --screenshot=docs/images/digest.png \
        --window-size=720,2300 var/sample-digest.html

Every figure in it comes from the seeded rows through the bot's own code; the quotes are
written here for the sample (people who accepted being quoted).
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.features.concerns.store import ConcernRepository, VoiceKind
from bot.features.digests.flow import DigestFlow
from bot.shared.schedule import week_bounds
from bot.features.digests.service import DigestService
from bot.features.partners.service import PartnerService
from bot.features.surveys.definitions import Surveys
from bot.features.surveys.store import SurveyRepository
from bot.reference import Reference, default_data_dir
from bot.storage import Database, Role, Step, UserRepository
from nlp.taxonomy import FACTOR_IDS, taxonomy

WEEK = "2026-W48"
TZ = ZoneInfo("Europe/Brussels")
CORES = [
    "bru_chaussee_d_ixelles",
    "bru_flagey",
    "bru_matonge",
    "bru_parvis_saint_gilles",
    "bru_chaussee_de_waterloo",
    "bru_dansaert",
    "bru_rue_neuve",
    "bru_bockstael",
]
# People per factor in a usual week, and this week (roadworks flare up on Chaussée d'Ixelles).
USUAL = {
    "rent_premises": 9,
    "roadworks": 6,
    "mobility_parking": 8,
    "demand_footfall": 7,
    "costs_cashflow": 10,
    "admin_tax": 6,
    "competition": 4,
    "safety_image": 3,
    "staff": 2,
    "skills_digital": 2,
    "isolation_collective": 1,
    "workload_health": 3,
}
QUOTES = {
    "roadworks": [
        "Depuis que la chaussée est éventrée, les clients ne passent plus devant ma vitrine.",
        "Le chantier devait durer trois semaines, on en est à deux mois et personne ne prévient.",
    ],
    "costs_cashflow": [
        "L'énergie a doublé et je n'ose plus augmenter mes prix, les clients comptent chaque euro.",
        "Entre la TVA à avancer et les fournisseurs à payer comptant, la trésorerie est à sec.",
    ],
    "rent_premises": [
        "Le propriétaire veut 30 % de plus au renouvellement du bail, je ne sais pas si je reste.",
    ],
    "mobility_parking": [
        "Plus une place pour livrer le matin, je décharge en double file et je prends des PV.",
    ],
}


async def seed(path: Path) -> str:
    """Fill the database; return the HTML digest of WEEK for a Brussels partner."""
    rng = random.Random(48)
    reference = Reference.load(default_data_dir())
    db = Database(path)
    await db.connect()
    users, concerns = UserRepository(db), ConcernRepository(db)
    start, _ = week_bounds(WEEK, TZ)
    people = []
    for i in range(260):
        user = await users.create(
            channel="sample",
            external_id=str(i),
            language="fr",
            consent_version="v",
            step=Step.DONE,
            pending_core_id=None,
        )
        core = CORES[i % len(CORES)]
        people.append(
            await users.update(
                user.id,
                role=Role.SHOPKEEPER,
                territory_id="brussels",
                core_id=core,
                sector_id="bakery",
                quote_consent=i % 3 == 0,
            )
        )

    async def voice(user_index: int, factor: str, at: datetime, text: str = "…") -> None:
        user = people[user_index]
        concern = await concerns.create(
            user_id=user.id,
            text=text,
            lang="fr",
            predicted=[factor],
            text_hash=f"{user.id}{factor}{at}",
        )
        await concerns.add_voice(
            concern.id,
            factor,
            VoiceKind.RAISED,
            user_id=user.id,
            core_id=user.core_id,
            territory_id=user.territory_id,
            role="shopkeeper",
            at=at.isoformat(timespec="milliseconds"),
        )

    for weeks_ago in range(4, -1, -1):
        week_start = start - timedelta(weeks=weeks_ago)
        for factor in FACTOR_IDS:
            count = USUAL[factor] + rng.randint(-2, 2)
            if weeks_ago == 0 and factor == "roadworks":
                count = 16
            if weeks_ago == 0 and factor == "costs_cashflow":
                count = 13
            for n in range(max(count, 0)):
                # This week's roadworks voices come mostly from Chaussée d'Ixelles (index 0).
                index = (
                    (8 * rng.randrange(30))
                    if factor == "roadworks" and weeks_ago == 0 and n < 11
                    else rng.randrange(len(people))
                )
                at = week_start + timedelta(hours=rng.randrange(24 * 7 - 12) + 8)
                texts = QUOTES.get(factor, [])
                text = texts[n] if weeks_ago == 0 and n < len(texts) else "…"
                await voice(index if text == "…" else 3 * rng.randrange(80), factor, at, text)
    # Follow-up answers given this week.
    for n, answer in enumerate(["solved"] * 7 + ["still_there"] * 9 + ["worse"] * 5):
        user = people[n * 5]
        at = (start + timedelta(days=2)).isoformat(timespec="milliseconds")
        concern = await concerns.create(
            user_id=user.id, text="…", lang="fr", predicted=[], text_hash=f"f{n}"
        )
        await db.execute(
            "INSERT INTO follow_ups (concern_id, user_id, core_id, territory_id, role, due_at,"
            " sent_at, answer, answered_at) VALUES (?, ?, ?, 'brussels', 'shopkeeper', ?, ?, ?, ?)",
            (concern.id, user.id, user.core_id, at, at, answer, at),
        )
    # The monthly pulse closed on Friday.
    surveys = Surveys.load(default_data_dir() / "surveys")
    waves = SurveyRepository(db)
    closes = start + timedelta(days=4, hours=18)
    wave = await waves.create_wave(
        survey_id="monthly_pulse",
        territory_id="brussels",
        core_id=None,
        role="shopkeeper",
        created_by="sample",
        send_from=(closes - timedelta(days=7)).isoformat(),
        send_until=(closes - timedelta(days=7)).isoformat(),
        remind_after_s=0,
        closes_at=closes.isoformat(timespec="milliseconds"),
    )
    trends = ["better"] * 9 + ["same"] * 24 + ["worse"] * 19 + ["much_worse"] * 6
    for n, trend in enumerate(trends):
        user = people[n * 4]
        response = await waves.start_response(
            wave=wave,
            user_id=user.id,
            core_id=user.core_id,
            territory_id="brussels",
            role="shopkeeper",
            position=None,
        )
        hurts = rng.sample(["costs_cashflow", "roadworks", "rent_premises", "mobility_parking"], 2)
        await waves.put_answer(response.id, "hurts_most", hurts)
        await waves.put_answer(response.id, "business_trend", trend)
    await waves.close_wave(wave.id, closes.isoformat(timespec="milliseconds"))
    partners = PartnerService(db, reference)
    hub = await partners.create(
        name="Observatoire du commerce", territories=["brussels"], created_by="sample"
    )
    digests = DigestService(db, 5, TZ, surveys, reference)
    flow = DigestFlow(partners, digests, reference, taxonomy(), 5)
    page = await flow.html_page(hub, await digests.figures(hub, WEEK))
    await db.close()
    return page


def main() -> None:
    """Write the sample digest to the file named on the command line."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "sample-digest.html")
    with tempfile.TemporaryDirectory() as folder:
        out.write_text(asyncio.run(seed(Path(folder) / "sample.sqlite3")), encoding="utf-8")
    print(f"wrote {out} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
