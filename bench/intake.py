"""Benchmark: shopkeepers sending concerns and confirming them, through the emulator and the bot.

The bot runs as `python bot.py run` in its own process, as in production; this process plays
Telegram (the emulator) and the users. Every user is first onboarded as a shopkeeper in a
Brussels or Lessines core, in French, Dutch or English (seeded); onboarding is not timed.

Then each user sends `--concerns-per-user` concerns, one after the other, in free text. For
each one the user waits for the bot's question ("I understood …, is that right?") and taps
"Yes", or, when the model found nothing and the bot shows the factor picker, ticks one factor
and taps "Done". A concern is fully processed when the echo ("You're not alone …") arrives;
its latency runs from sending the text to the echo, the tap's round trip included, with no
think time in between.

Two rounds against the same bot process, each with its own users:
- `intake_paced_*`: users wait `--think-min` to `--think-max` s (seeded) before each concern,
  starting spread over that range; concerns/s is then set by the users, and the latency is
  what a person sees under that load;
- `intake_burst_*`: no think time at all, each user sending the next concern the instant the
  echo arrives: a saturation test, whose concerns/s is the bot's capacity and whose latency is
  mostly queueing behind the others.

A concern whose echo has not come after 60 s (or that got another answer, such as flood
control) is lost; its user stops there. At the end the bot's database is read back: its
confirmed concerns must number the echoes received.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._botproc import bot_process, cpu_s
from bot.emulator import BotApiEmulator, BotEvent, FakeUser
from bot.i18n import translate

MESSAGE_KINDS = frozenset({"send_message", "edit_text"})
EDIT_KINDS = frozenset({"edit_text", "edit_markup"})
LOST_AFTER_S = 60.0
# The bot's default cap on concerns per person per hour (ECHOPPE_FLOOD_PER_HOUR).
DEFAULT_FLOOD_PER_HOUR = 20
LANGUAGE_WEIGHTS = {"fr": 5, "nl": 3, "en": 2}
TERRITORY_WEIGHTS = {"brussels": 3, "lessines": 2}
# Each user settles in one of the first cores of the list shown: a few cores per territory.
CORE_CHOICES = 4
UNTICKED = "▫️ "

# What shopkeepers write: rent, roadworks, parking, footfall, online competition, staff, taxes,
# energy, safety, paperwork... and a few vague ones, for which the model may find nothing.
SENTENCES: dict[str, tuple[str, ...]] = {
    "fr": (
        "Le propriétaire veut augmenter le loyer de 15% au renouvellement du bail",
        "Les travaux de la rue durent depuis des mois et plus personne ne passe devant",
        "Impossible de se garer dans le quartier, mes clients ne viennent plus en voiture",
        "Les gens achètent tout sur internet, je ne peux pas suivre les prix d'Amazon",
        "Il y a de moins en moins de passage dans la rue, même le samedi c'est calme",
        "Je croule sous la paperasse et la TVA, je passe mes soirées sur l'administratif",
        "Ma facture d'électricité a doublé cette année, je ne sais plus comment payer",
        "On a encore eu un vol à l'étalage et des tags sur la vitrine cette semaine",
        "Je ne trouve personne à engager pour le week-end, les candidats ne viennent pas",
        "Je ne sais pas comment faire un site web ou vendre sur les réseaux sociaux",
        "Je travaille seul sept jours sur sept et je suis épuisé",
        "Les commerçants du quartier ne se parlent pas, chacun est dans son coin",
        "Le centre commercial en périphérie attire tous les clients avec ses promos",
        "La trésorerie est tendue, la banque refuse de prolonger mon crédit",
        "Bonjour, franchement c'est dur en ce moment",
    ),
    "nl": (
        "De huisbaas wil de huur met twintig procent verhogen bij het nieuwe contract",
        "Door de wegenwerken is de straat al maanden afgesloten en komt er niemand meer",
        "Er is geen parkeerplaats meer in de buurt, klanten rijden gewoon door",
        "Iedereen koopt online, ik kan niet op tegen de prijzen van de webshops",
        "Er loopt steeds minder volk door de winkelstraat, zelfs op zaterdag",
        "Te veel belastingen en papierwerk, ik zit elke avond met de boekhouding",
        "Mijn energiefactuur is verdubbeld, de marges zijn helemaal weg",
        "Weer een winkeldiefstal deze week en 's avonds voel ik me niet veilig",
        "Ik vind geen personeel voor het weekend, niemand reageert op de vacature",
        "Ik weet niet hoe ik een webshop moet opzetten of reclame maken op Instagram",
        "Ik sta er alleen voor, zeven dagen op zeven, ik ben op",
        "De handelaars in de straat werken niet samen, iedereen doet zijn eigen ding",
        "Het nieuwe shoppingcenter buiten de stad trekt alle klanten weg",
        "De bank wil geen krediet meer geven en de leveranciers willen cash",
        "Hallo, het is gewoon moeilijk tegenwoordig",
    ),
    "en": (
        "The landlord wants to raise the rent by a fifth when the lease ends",
        "The roadworks outside have blocked the street for months and nobody walks by",
        "There is nowhere to park anymore, customers just drive past the shop",
        "People buy everything online now, I cannot match the big web shops on price",
        "Fewer and fewer people walk down our street, even on Saturdays",
        "Too much paperwork and VAT returns, I spend my evenings on admin",
        "My energy bill has doubled this year and my margins are gone",
        "Another shoplifting this week and graffiti on the window again",
        "I cannot find anyone to hire for the weekends, nobody answers the ad",
        "I have no idea how to build a website or sell on social media",
        "I work alone seven days a week and I am exhausted",
        "The shops on our street never talk to each other, everyone is on their own",
        "The new mall out of town takes all the customers with its discounts",
        "Cash flow is tight and the bank will not extend my credit line",
        "Hello, things are just hard at the moment",
    ),
}
# Appended when a user has sent every sentence once, so that no text is sent twice.
AGAIN: dict[str, str] = {
    "fr": "Ça dure depuis {n} semaines.",
    "nl": "Dat duurt al {n} weken.",
    "en": "It has been going on for {n} weeks.",
}


@dataclass
class Shopkeeper:
    """Describe one simulated shopkeeper: Telegram identity, language, own RNG and texts."""

    user: FakeUser
    lang: str
    rng: random.Random
    texts: list[str]


@dataclass
class RoundResult:
    """Carry what one timed round measured."""

    users: int
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    picked: int = 0
    lost: int = 0
    elapsed: float = 0.0
    bot_cpu_s: float | None = None


def _before(lang: str, key: str, name: str) -> str:
    """Return a message's text up to its `{name}` placeholder."""
    return translate(lang, key, **{name: "\0"}).split("\0")[0]


def _buttons(event: BotEvent) -> list[tuple[str, str]]:
    """Return the (label, callback data) of every inline button of a bot message."""
    rows = (event.reply_markup or {}).get("inline_keyboard", [])
    return [(str(b.get("text", "")), str(b.get("callback_data", ""))) for r in rows for b in r]


async def _wait_message(
    emu: BotApiEmulator,
    chat_id: int,
    after: int,
    accept: Callable[[BotEvent], bool],
    kinds: frozenset[str] = MESSAGE_KINDS,
) -> BotEvent:
    """Wait for the first bot event of these kinds in the chat that `accept` takes."""
    last = after
    while True:
        event = await emu.wait_for_event(chat_id, after_seq=last, kinds=kinds, timeout=60)
        last = event.seq
        if accept(event):
            return event


def _with_data(prefix: str) -> Callable[[BotEvent], bool]:
    """Accept a message that has a button whose callback data starts with `prefix`."""
    return lambda event: any(data.startswith(prefix) for _, data in _buttons(event))


async def _tap(
    emu: BotApiEmulator, person: Shopkeeper, event: BotEvent, data: str, expect: str
) -> BotEvent:
    """Tap the button `data` of a message; wait for a message with a button `expect`."""
    assert event.message_id is not None
    before = emu.last_seq
    emu.press_button(person.user, event.message_id, data)
    return await _wait_message(emu, person.user.id, before, _with_data(expect))


async def _onboard(emu: BotApiEmulator, person: Shopkeeper) -> None:
    """Take one user through consent, role, territory, core and sector (not timed)."""
    rng, chat = person.rng, person.user.id
    before = emu.last_seq
    emu.send_text(person.user, "/start")
    notice = await _wait_message(emu, chat, before, _with_data("ob:ok:"))
    accept = next(data for _, data in _buttons(notice) if data.startswith("ob:ok:"))
    roles = await _tap(emu, person, notice, accept, "ob:role:")
    places = await _tap(emu, person, roles, "ob:role:shopkeeper", "ob:terr:")
    territory = rng.choices(list(TERRITORY_WEIGHTS), list(TERRITORY_WEIGHTS.values()))[0]
    cores = await _tap(emu, person, places, f"ob:terr:{territory}", "ob:core:")
    shown = [data for _, data in _buttons(cores) if data.startswith("ob:core:")]
    sectors = await _tap(emu, person, cores, rng.choice(shown[:CORE_CHOICES]), "ob:sect:")
    sector = rng.choice([data for _, data in _buttons(sectors) if data.startswith("ob:sect:")])
    assert sectors.message_id is not None
    done = _before(person.lang, "onboarding.done", "summary")
    before = emu.last_seq
    emu.press_button(person.user, sectors.message_id, sector)
    await _wait_message(emu, chat, before, lambda e: (e.text or "").startswith(done))


async def _concern(emu: BotApiEmulator, person: Shopkeeper, text: str) -> tuple[float, bool]:
    """Send one concern, answer the bot's question; return the latency and if it was picked."""
    lang, chat = person.lang, person.user.id
    understood = _before(lang, "concern.understood", "factors")
    pickers = {translate(lang, "concern.pick"), translate(lang, "concern.pick_change")}
    # "You're not alone …", or, for the first voices of a place, what their voice is for.
    headers = (translate(lang, "echo.header"), translate(lang, "echo.header_first"))
    before = emu.last_seq
    started = time.monotonic()
    emu.send_text(person.user, text)
    # The bot's answer to a text is always a new message: the question, or a refusal.
    question = await _wait_message(emu, chat, before, lambda e: True, frozenset({"send_message"}))
    reply = question.text or ""
    assert question.message_id is not None
    buttons = dict(_buttons(question))
    picked = reply in pickers
    if picked:
        toggles = [data for label, data in buttons.items() if label.startswith(UNTICKED)]
        tick = person.rng.choice(toggles)
        before = emu.last_seq
        emu.press_button(person.user, question.message_id, tick)
        ticked = await _wait_message(
            emu, chat, before, lambda e: e.message_id == question.message_id, EDIT_KINDS
        )
        done = dict(_buttons(ticked))[translate(lang, "concern.done")]
        before = emu.last_seq
        emu.press_button(person.user, question.message_id, done)
    elif reply.startswith(understood):
        before = emu.last_seq
        emu.press_button(person.user, question.message_id, buttons[translate(lang, "concern.yes")])
    else:
        raise LookupError(f"the bot answered {reply[:60]!r} instead of asking")
    # The echo replaces the question (one edit): "Noted: …" then the header and the counts.
    echo = await _wait_message(
        emu,
        chat,
        before,
        lambda e: (
            e.message_id == question.message_id
            and any(header in (e.text or "") for header in headers)
        ),
        EDIT_KINDS,
    )
    return echo.at - started, picked


async def _speak(
    emu: BotApiEmulator, person: Shopkeeper, result: RoundResult, think: tuple[float, float]
) -> None:
    """Send the user's concerns one after the other, recording each latency."""
    if think[1] > 0:
        await asyncio.sleep(person.rng.uniform(0, think[1]))
    for index, text in enumerate(person.texts):
        if index and think[1] > 0:
            await asyncio.sleep(person.rng.uniform(*think))
        result.sent += 1
        try:
            async with asyncio.timeout(LOST_AFTER_S):
                latency, picked = await _concern(emu, person, text)
        except (TimeoutError, LookupError) as exc:
            result.lost += 1
            print(f"# lost: user {person.user.id}: {exc!r}", file=sys.stderr)
            return
        result.latencies.append(latency)
        result.picked += picked


def _texts(lang: str, count: int, rng: random.Random) -> list[str]:
    """Return `count` different concern texts in `lang`, in a random order."""
    pool = list(SENTENCES[lang])
    rng.shuffle(pool)
    texts = []
    for index in range(count):
        text = pool[index % len(pool)]
        if index >= len(pool):
            text = f"{text}. {AGAIN[lang].format(n=index // len(pool) + 1)}"
        texts.append(text)
    return texts


def _people(users: int, first_id: int, concerns: int, seed: int) -> list[Shopkeeper]:
    """Make `users` shopkeepers, each with their own seeded RNG, language and texts."""
    people = []
    for index in range(users):
        user_id = first_id + index
        rng = random.Random(seed * 1_000_003 + user_id)
        lang = rng.choices(list(LANGUAGE_WEIGHTS), list(LANGUAGE_WEIGHTS.values()))[0]
        user = FakeUser(id=user_id, first_name=f"Shop{index}", language_code=lang)
        people.append(Shopkeeper(user, lang, rng, _texts(lang, concerns, rng)))
    return people


async def _round(
    emu: BotApiEmulator,
    bot: asyncio.subprocess.Process,
    people: Sequence[Shopkeeper],
    think: tuple[float, float],
) -> RoundResult:
    """Onboard the users (not timed), then time their concerns; return the round's figures."""
    await asyncio.gather(*(_onboard(emu, p) for p in people))
    result = RoundResult(users=len(people))
    cpu_before = cpu_s(bot.pid)
    started = time.monotonic()
    await asyncio.gather(*(_speak(emu, p, result, think) for p in people))
    result.elapsed = time.monotonic() - started
    cpu_after = cpu_s(bot.pid)
    if cpu_before is not None and cpu_after is not None:
        result.bot_cpu_s = cpu_after - cpu_before
    return result


def _confirmed_in(database: Path) -> int:
    """Count the confirmed concerns in the bot's database (read once the bot has stopped)."""
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT COUNT(*) FROM concerns WHERE status = 'confirmed'").fetchone()
    return int(row[0])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the emulator and the bot process, run both rounds, return the figures."""
    think = (float(args.think_min), float(args.think_max))
    concerns = int(args.concerns_per_user)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        async with BotApiEmulator() as emu:
            # Flood control would refuse the concerns beyond the hourly cap.
            flood = max(concerns, DEFAULT_FLOOD_PER_HOUR)
            async with bot_process(emu, database, {"ECHOPPE_FLOOD_PER_HOUR": str(flood)}) as bot:
                paced_people = _people(args.users, 10_000, concerns, args.seed)
                burst_people = _people(args.users, 20_000, concerns, args.seed)
                rounds = {
                    "intake_paced": await _round(emu, bot, paced_people, think),
                    "intake_burst": await _round(emu, bot, burst_people, (0.0, 0.0)),
                }
        confirmed = _confirmed_in(database)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    figures: dict[str, Any] = {
        # CPU seconds over onboarding, both rounds and start-up: the bot vs emulator and users.
        "bot_process_cpu_s": round(children.ru_utime + children.ru_stime, 2),
        "emulator_process_cpu_s": round(own.ru_utime + own.ru_stime, 2),
    }
    for name, result in rounds.items():
        ordered = sorted(result.latencies) or [math.nan]
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        figures[f"{name}_users"] = result.users
        figures[f"{name}_sent"] = result.sent
        figures[f"{name}_processed"] = len(result.latencies)
        figures[f"{name}_via_picker"] = result.picked
        figures[f"{name}_lost"] = result.lost
        figures[f"{name}_wall_s"] = round(result.elapsed, 2)
        if result.bot_cpu_s is not None:
            figures[f"{name}_bot_cpu_s"] = round(result.bot_cpu_s, 2)
        figures[f"{name}_per_s"] = round(len(result.latencies) / result.elapsed, 1)
        figures[f"{name}_p50_ms"] = round(statistics.median(ordered) * 1000, 1)
        figures[f"{name}_p99_ms"] = round(p99 * 1000, 1)
    echoes = sum(len(r.latencies) for r in rounds.values())
    figures["intake_lost"] = sum(r.lost for r in rounds.values())
    figures["intake_echoes"] = echoes
    figures["intake_db_confirmed"] = confirmed
    figures["intake_db_matches"] = int(confirmed == echoes)
    return figures


def main() -> None:
    """Run the benchmark and print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concerns-per-user", type=int, default=5)
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    figures = asyncio.run(run(args))
    for name, value in figures.items():
        print(f"{name}: {value}")
    print(
        "# intake_per_s = burst round concerns/s (capacity, no think time);"
        f" intake_p99_ms = paced round p99 ({args.think_min:g} to {args.think_max:g} s think)"
    )
    print(f"intake_per_s: {figures['intake_burst_per_s']}")
    print(f"intake_p99_ms: {figures['intake_paced_p99_ms']}")


if __name__ == "__main__":
    main()
