"""Benchmark: WhatsApp users through signed webhooks, the bot running as `python bot.py run`.

This process plays Meta (the WhatsApp Cloud API emulator) and the people; the bot runs on
WhatsApp only, in its own process, as in production.

Round 1, paced: `--users` people (seeded) each go through onboarding (hello, consent, role,
territory, core, sector) and then write `--concerns` concerns, confirming each; all together
they write about `--rate` messages per second (each person waits users/rate seconds between
two actions, starting spread over that time). Measured:
- `whatsapp_ack_p99_ms`: a webhook POST until the bot's 200 (it stores before it answers);
- `whatsapp_reply_p99_ms`: a person's message until the bot's answer is accepted by the
  emulator (the first answer; for a concern, the "I understood …" question);
- `whatsapp_paced_per_s`: inbound messages per second actually achieved.

Round 2, every webhook delivered twice and one in ten held back and delivered out of order:
`--dup-users` onboarded people each write `--dup-concerns` concerns without waiting.
Measured from the bot's database: `whatsapp_duplicates_processed` (concerns stored twice) and
`whatsapp_lost` (messages that left no concern).

Round 3, a broadcast to `--broadcast` WhatsApp recipients (seeded straight into the database),
a third of whom last wrote three days ago (outside the 24-hour window: only the announcement
template reaches them), 1% failing later with 131026 (not on WhatsApp): made with `bot.py
broadcast new` as an admin would, sent at ECHOPPE_BROADCAST_RATE = ECHOPPE_WHATSAPP_MAX_RATE =
`--broadcast-rate`. Measured from the emulator's log: `whatsapp_broadcast_rate_ratio` (messages
accepted per second of sending, over the configured rate), `whatsapp_broadcast_lost`
(recipients with nothing), `whatsapp_broadcast_duplicates` (messages beyond one per person),
`whatsapp_broadcast_templates_missing` (window-closed recipients not sent the template).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bot.emulator.whatsapp import WaUser, WhatsAppEmulator
from bot.emulator.whatsapp.phone import WaPhone
from bot.i18n import translate

ROOT = Path(__file__).resolve().parent.parent
UNDERSTOOD = translate("fr", "concern.understood", factors="")[:12]
TEXTS = (
    "Le loyer a encore augmenté et le propriétaire ne répond pas",
    "Les travaux devant le magasin font fuir les clients depuis des mois",
    "Trop de paperasse avec la TVA et les charges sociales",
    "Je ne trouve pas de vendeuse pour le samedi",
    "Plus personne ne passe dans la rue depuis la fermeture de la banque",
    "Les livraisons sont impossibles, pas de place pour décharger",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bot_env(api_url: str, port: int, database: Path, **extra: str) -> dict[str, str]:
    """Return the environment of `bot.py run` on WhatsApp only, against the emulator."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ECHOPPE_")},
        "ECHOPPE_WHATSAPP_TOKEN": "wa-test-token",
        "ECHOPPE_WHATSAPP_APP_SECRET": "wa-app-secret",
        "ECHOPPE_WHATSAPP_VERIFY_TOKEN": "wa-verify",
        "ECHOPPE_WHATSAPP_PHONE_NUMBER_ID": "1000000001",
        "ECHOPPE_WHATSAPP_BUSINESS_ACCOUNT_ID": "2000000002",
        "ECHOPPE_WHATSAPP_API_URL": api_url,
        "ECHOPPE_HTTP_PORT": str(port),
        "ECHOPPE_DATABASE_PATH": str(database),
        "ECHOPPE_LOG_LEVEL": "WARNING",
        **extra,
    }


def _p99(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _person(emulator: WhatsAppEmulator, wa_id: str) -> WaPhone:
    """Return one WhatsApp user whose phone times each answer."""
    return WaPhone(emulator, WaUser(wa_id, "Bench"), timeout=60)


def _steps(person: WaPhone, concerns: int, rng: random.Random) -> list[tuple[str, str, str]]:
    def t(key: str) -> str:
        return translate("fr", key)

    steps = [
        ("send", "Bonjour", t("privacy.notice")[:20]),
        ("choose", t("privacy.accept"), t("role.question")),
        ("choose", t("role.shopkeeper"), t("territory.question")),
        ("choose", "Lessines", "1/1"),
        ("choose", "Ogy", t("sector.question")),
        ("choose", "🥖", "🎉"),
    ]
    for _ in range(concerns):
        steps.append(("concern", rng.choice(TEXTS) + f" ({rng.randrange(10**6)})", ""))
    return steps


async def _concern(person: WaPhone, text: str) -> None:
    """Write a concern; confirm the bot's guess, or pick a factor when it had none."""
    await person.send(text, None)
    last = person.emulator.messages_to(person.user.wa_id)[-1]
    if UNDERSTOOD in last.text or not last.rows:
        await person.choose(translate("fr", "concern.yes"), "🤝")
        return
    await person.choose(last.rows[0][1], None)
    await person.choose(translate("fr", "concern.done"), "📝")


async def _paced(emulator: WhatsAppEmulator, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(args.seed)
    people = [_person(emulator, f"3247{i:07d}") for i in range(args.users)]
    gap = args.users / args.rate

    async def run(person: WaPhone) -> int:
        await asyncio.sleep(rng.uniform(0, gap))
        done = 0
        for kind, what, until in _steps(person, args.concerns, rng):
            started = time.monotonic()
            if kind == "send":
                await person.send(what, until)
            elif kind == "concern":
                await _concern(person, what)
            else:
                await person.choose(what, until)
            done += 1
            await asyncio.sleep(max(0.0, gap - (time.monotonic() - started)))
        return done

    started = time.monotonic()
    actions = sum(await asyncio.gather(*(run(p) for p in people)))
    wall = time.monotonic() - started
    acks = [d for w in emulator.webhooks for d in w.durations]
    replies = [r for p in people for r in p.latencies]
    return {
        "whatsapp_paced_users": args.users,
        "whatsapp_paced_actions": actions,
        "whatsapp_paced_per_s": round(actions / wall, 1),
        "whatsapp_ack_p50_ms": round(statistics.median(acks) * 1000, 1),
        "whatsapp_ack_p99_ms": round(_p99(acks) * 1000, 1),
        "whatsapp_reply_p50_ms": round(statistics.median(replies) * 1000, 1),
        "whatsapp_reply_p99_ms": round(_p99(replies) * 1000, 1),
    }


async def _duplicated(
    emulator: WhatsAppEmulator, database: Path, args: argparse.Namespace
) -> dict[str, float]:
    rng = random.Random(args.seed + 1)
    people = [_person(emulator, f"3248{i:07d}") for i in range(args.dup_users)]
    for person in people:
        for kind, what, until in _steps(person, 0, rng):
            await (person.send if kind == "send" else person.choose)(what, until)
    emulator.duplicate_webhooks = True
    texts = {
        p.user.wa_id: [f"{rng.choice(TEXTS)} #{n}" for n in range(args.dup_concerns)]
        for p in people
    }

    async def write(person: WaPhone) -> None:
        for text in texts[person.user.wa_id]:
            if rng.random() < 0.1:
                emulator.reorder_next(2)
            await emulator.send_text(person.user, text)

    await asyncio.gather(*(write(p) for p in people))
    await emulator.release_held()
    wanted = {(wa_id, text) for wa_id, written in texts.items() for text in written}
    stored: dict[tuple[str, str], int] = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as conn:
            rows = conn.execute(
                "SELECT u.external_id, c.text, COUNT(*) FROM concerns c"
                " JOIN users u ON u.id = c.user_id GROUP BY u.external_id, c.text"
            ).fetchall()
        stored = {(r[0], r[1]): int(r[2]) for r in rows if (r[0], r[1]) in wanted}
        if len(stored) == len(wanted):
            break
        await asyncio.sleep(0.5)
    expected = len(wanted)
    emulator.duplicate_webhooks = False
    return {
        "whatsapp_dup_messages": expected,
        "whatsapp_duplicates_processed": sum(n - 1 for n in stored.values() if n > 1),
        "whatsapp_lost": expected - len(stored),
    }


async def _broadcast(args: argparse.Namespace) -> dict[str, float]:
    """Seed recipients, approve the template, broadcast, and read the emulator's log."""
    from bench.broadcast import _cli, _finished
    from bot.app.whatsapp_admin import templates
    from bot.config import Settings
    from bot.storage import CONSENT_VERSION

    rng = random.Random(args.seed + 2)
    port = _free_port()
    recipients = [f"3249{i:07d}" for i in range(args.broadcast)]
    closed = {wa_id for wa_id in recipients if rng.random() < 1 / 3}
    gone = set(rng.sample(recipients, max(1, args.broadcast // 100)))
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "broadcast.sqlite3"
        db_env = {"ECHOPPE_DATABASE_PATH": str(database)}
        await asyncio.to_thread(_cli, db_env, ["migrate"])
        now = time.time()

        def iso(at: float) -> str:
            return time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime(at))

        stamp = iso(now - 7 * 86400)
        with sqlite3.connect(database) as conn:
            conn.executemany(
                "INSERT INTO users (channel, external_id, language, role, territory_id,"
                " core_id, sector_id, step, consent_at, consent_version, created_at,"
                " updated_at, last_inbound_at) VALUES ('whatsapp', ?, ?, 'shopkeeper',"
                " 'lessines', 'les_ogy', 'bakery', 'done', ?, ?, ?, ?, ?)",
                [
                    (
                        wa_id,
                        rng.choice(("fr", "fr", "nl", "en")),
                        stamp,
                        CONSENT_VERSION,
                        stamp,
                        stamp,
                        iso(now - 3 * 86400) if wa_id in closed else iso(now - 3600),
                    )
                    for wa_id in recipients
                ],
            )
        conn.close()
        async with WhatsAppEmulator(retry_delays=(0.5, 1.0, 2.0), status_delay=0.05) as emu:
            settings = Settings(
                database_path=database,
                whatsapp_token="wa-test-token",  # type: ignore[arg-type]
                whatsapp_app_secret="wa-app-secret",  # type: ignore[arg-type]
                whatsapp_verify_token="wa-verify",  # type: ignore[arg-type]
                whatsapp_phone_number_id="1000000001",
                whatsapp_business_account_id="2000000002",
                whatsapp_api_url=emu.base_url,
                _env_file=None,  # type: ignore[call-arg]
            )
            await templates(settings, submit=True)
            emu.approve_template("echoppe_announcement")
            await templates(settings, submit=False)
            for wa_id in gone:
                emu.fail_next(wa_id, 131026, http=False)
            for wa_id in set(recipients) - closed:
                emu.set_window(wa_id, True)  # they wrote an hour ago, as the database says
            await asyncio.to_thread(
                _cli, db_env, ["broadcast", "new", "--text", "Atelier vitrine"]
            )
            emu.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
            env = _bot_env(
                emu.base_url,
                port,
                database,
                ECHOPPE_WHATSAPP_MAX_RATE=f"{args.broadcast_rate:g}",
                ECHOPPE_WHATSAPP_DAILY_LIMIT=str(args.broadcast * 2),
                ECHOPPE_BROADCAST_RATE=f"{args.broadcast_rate:g}",
                ECHOPPE_BROADCAST_BATCH="50",
            )
            bot = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", env=env
            )
            try:
                deadline = time.monotonic() + 3600
                while not _finished(database):
                    if time.monotonic() > deadline or bot.returncode is not None:
                        raise RuntimeError("the broadcast did not finish")
                    await asyncio.sleep(0.2)
            finally:
                bot.terminate()
                await asyncio.wait_for(bot.wait(), timeout=60)
            wanted = set(recipients)
            sent = [m for m in emu.sent if m.to in wanted]
            # What people saw: accepted and not failed later (131047, 131026).
            seen = [m for m in sent if not m.failed]
    per_person: dict[str, list[object]] = {}
    for message in seen:
        per_person.setdefault(message.to, []).append(message)
    times = sorted(m.at for m in sent)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    missing_templates = sum(
        1
        for wa_id in closed - gone
        if not any(getattr(m, "type", "") == "template" for m in per_person.get(wa_id, []))
    )
    return {
        "whatsapp_broadcast_recipients": args.broadcast,
        "whatsapp_broadcast_outside_window": len(closed),
        "whatsapp_broadcast_configured_per_s": args.broadcast_rate,
        "whatsapp_broadcast_per_s": round(len(sent) / span, 1),
        "whatsapp_broadcast_rate_ratio": round(len(sent) / span / args.broadcast_rate, 3),
        "whatsapp_broadcast_lost": len(wanted - gone - set(per_person)),
        "whatsapp_broadcast_undeliverable": len(gone),
        "whatsapp_broadcast_duplicates": sum(len(v) - 1 for v in per_person.values()),
        "whatsapp_broadcast_templates_missing": missing_templates,
    }


async def main_async(args: argparse.Namespace) -> dict[str, float]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "whatsapp.sqlite3"
        async with WhatsAppEmulator(retry_delays=(0.5, 1.0, 2.0), status_delay=0.05) as emu:
            emu.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
            env = _bot_env(emu.base_url, port, database, ECHOPPE_FLOOD_PER_HOUR="1000")
            bot = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "run", env=env
            )
            try:
                async with httpx.AsyncClient() as client:
                    for _ in range(600):
                        try:
                            if (await client.get(f"http://127.0.0.1:{port}/healthz")).is_success:
                                break
                        except httpx.TransportError:
                            pass
                        await asyncio.sleep(0.1)
                figures = await _paced(emu, args)
                figures.update(await _duplicated(emu, database, args))
                figures["whatsapp_refused_by_emulator"] = len(emu.rejected)
            finally:
                bot.terminate()
                await asyncio.wait_for(bot.wait(), timeout=60)
    return figures


def main() -> None:
    """Run the benchmark and print `name: value` lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concerns", type=int, default=2)
    parser.add_argument("--rate", type=float, default=20.0, help="inbound messages per second")
    parser.add_argument("--dup-users", type=int, default=20)
    parser.add_argument("--dup-concerns", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--broadcast", type=int, default=20_000, help="recipients (0: skip)")
    parser.add_argument("--broadcast-rate", type=float, default=80.0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    for name, value in asyncio.run(main_async(args)).items():
        print(f"{name}: {value}", flush=True)
    if args.broadcast:
        for name, value in asyncio.run(_broadcast(args)).items():
            print(f"{name}: {value}", flush=True)


if __name__ == "__main__":
    main()
