"""Benchmark: thousands of shopkeepers answering the monthly pulse at once, through the bot.

The bot runs as `python bot.py run` in its own process, as in production; this process plays
Telegram (the emulator) and the users. Set-up is not timed: `--users` onboarded shopkeepers
(French, Dutch or English, in real Brussels and Lessines cores, seeded) are written straight
into the bot's SQLite file, a wave of `monthly_pulse` is launched with a send window of 0 min
(`python bot.py survey launch monthly_pulse`), each user writes /help so the emulator has a
chat with them, and the bot's `survey_invitations` job sends every invitation.

Timed phase: once every invitation has arrived, all users answer at the same moment, each
taking a seeded think time of `--think-min` to `--think-max` s (4 to 16 by default, about
a minute for the whole pulse, as it is designed to take) before every action. With
`--think-min 0 --think-max 0` users tap the instant the bot answers: a saturation test whose
latency is queueing and whose throughput is the bot's ceiling. The actions: Start;
`hurts_most`: tick 1 to 3 factors then Done, or
Skip; `business_trend`: one option; `worse_why` (after worse / much worse): a sentence, then
Done on the factors the model found; `anything_else`: Skip, /skip, or a sentence and Done.

Latency runs from an action to the bot message it leads to, as the emulator received it:
- `survey_p50_ms` / `survey_p99_ms`: an answer (Start, Done, an option, Skip, /skip, a text)
  to the next screen, that is the next question, the factors found in a text, or the closing
  message; per kind as `survey_<kind>_p99_ms`;
- `survey_toggle_p99_ms`: ticking a factor to the edit of the same question.

`survey_completed_per_s` is the completed surveys over the wall time of the timed phase.
The bot's database is read back once the bot has stopped: every stored answer must be what
its user gave (`survey_lost_answers` counts those missing or different) and nothing more
(`survey_duplicate_answers` counts extra answers and second responses to the wave).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._botproc import ROOT, bot_process, cpu_s
from bot.emulator import BotApiEmulator, BotEvent, FakeUser
from bot.features.surveys.definitions import Survey, Surveys
from bot.i18n import translate
from bot.reference import Reference, default_data_dir
from bot.shared.text import clean_text
from bot.storage import CONSENT_VERSION, Database
from bot.storage.database import utcnow
from nlp.taxonomy import FACTOR_IDS

SURVEY_ID = "monthly_pulse"
FIRST_USER_ID = 500_000
LANGUAGE_WEIGHTS = {"fr": 5, "nl": 3, "en": 2}
TERRITORY_WEIGHTS = {"brussels": 3, "lessines": 2}
NEW_MESSAGE = frozenset({"send_message"})
EDITS = frozenset({"edit_text", "edit_markup"})
TICKED = "✅ "
# A reply slower than this is a lost step: its user stops there.
STEP_TIMEOUT_S = 60.0
# The invitation job first runs 10 s after the bot starts, then every 30 s.
INVITATIONS_TIMEOUT_S = 150.0
# hurts_most: how often "Skip" (a good month); anything_else: Skip button, /skip, or a text.
SKIP_HURTS = 0.15
ANYTHING_ELSE = {"skip_button": 0.35, "skip_command": 0.25, "text": 0.40}

# Why the month was worse (worse_why), in each language.
WHY_WORSE: dict[str, tuple[str, ...]] = {
    "fr": (
        "Le propriétaire a augmenté le loyer et je n'arrive plus à suivre",
        "Les travaux devant le magasin ont bloqué la rue tout le mois",
        "Plus aucune place de parking, les clients ne s'arrêtent plus",
        "Il y a eu beaucoup moins de passage, même le samedi",
        "Les gens ont tout acheté en ligne pour les fêtes",
        "La facture d'énergie a encore grimpé ce mois-ci",
        "J'ai passé mes soirées sur la TVA et la paperasse",
        "On a eu deux vols à l'étalage et une vitrine taguée",
        "Mon vendeur est parti et je ne trouve personne pour le remplacer",
        "Le nouveau centre commercial attire tous les clients",
        "La banque a refusé de prolonger mon crédit de caisse",
        "Il a plu tout le mois et la rue était vide",
        "Les fournisseurs ont augmenté leurs prix sans prévenir",
        "Le marché a été déplacé et le passage a chuté",
        "J'étais malade et j'ai dû fermer plusieurs jours",
    ),
    "nl": (
        "De huisbaas heeft de huur verhoogd en ik kan het niet meer volgen",
        "Door de werken voor de winkel was de straat de hele maand dicht",
        "Er is geen parkeerplaats meer, klanten stoppen niet meer",
        "Er kwam veel minder volk voorbij, zelfs op zaterdag",
        "Mensen hebben alles online gekocht voor de feestdagen",
        "De energiefactuur is deze maand weer gestegen",
        "Ik zat elke avond met de btw en het papierwerk",
        "Twee winkeldiefstallen en graffiti op de etalage",
        "Mijn verkoper is vertrokken en ik vind geen vervanger",
        "Het nieuwe shoppingcenter trekt alle klanten weg",
        "De bank weigert mijn kaskrediet te verlengen",
        "Het heeft de hele maand geregend en de straat was leeg",
        "De leveranciers hebben zonder verwittiging hun prijzen verhoogd",
        "De markt is verplaatst en er komt veel minder volk",
        "Ik was ziek en moest verschillende dagen sluiten",
    ),
    "en": (
        "The landlord raised the rent and I cannot keep up anymore",
        "Roadworks outside the shop blocked the street all month",
        "There is no parking left, customers no longer stop",
        "Far fewer people walked by, even on Saturdays",
        "People bought everything online for the holidays",
        "The energy bill went up again this month",
        "I spent my evenings on VAT returns and paperwork",
        "Two shoplifting incidents and graffiti on the window",
        "My shop assistant left and I cannot find anyone to replace her",
        "The new mall takes all the customers away",
        "The bank refused to extend my overdraft",
        "It rained all month and the street was empty",
        "Suppliers raised their prices without warning",
        "The market was moved and footfall dropped",
        "I was ill and had to close for several days",
    ),
}
# Anything else to say (anything_else), in each language.
ANYTHING: dict[str, tuple[str, ...]] = {
    "fr": (
        "Une idée : une soirée shopping commune avec les commerçants du quartier",
        "Les nouvelles illuminations de la rue ont fait du bien",
        "Il faudrait des poubelles plus souvent vidées sur la place",
        "Merci pour ce suivi, ça fait du bien d'être écouté",
        "La commune pourrait offrir une heure de parking gratuite",
        "Bonne nouvelle, j'ai engagé un apprenti",
    ),
    "nl": (
        "Een idee: een gezamenlijke koopavond met de handelaars van de buurt",
        "De nieuwe verlichting in de straat deed deugd",
        "De vuilnisbakken op het plein moeten vaker geleegd worden",
        "Bedankt voor deze opvolging, het doet deugd gehoord te worden",
        "De gemeente zou een uur gratis parkeren kunnen aanbieden",
        "Goed nieuws, ik heb een leerling aangenomen",
    ),
    "en": (
        "An idea: a late shopping night together with the shops of the area",
        "The new street lights did us good",
        "The bins on the square should be emptied more often",
        "Thanks for following up, it feels good to be heard",
        "The town could offer one hour of free parking",
        "Good news, I took on an apprentice",
    ),
}


class StepError(Exception):
    """Raised when the bot answers an action with something else than the expected screen."""


@dataclass
class Respondent:
    """Describe one simulated shopkeeper and what they answered."""

    user: FakeUser
    lang: str
    rng: random.Random
    invitation: BotEvent | None = None
    # question id -> (stored value, stored text) as the bot should have recorded it.
    expected: dict[str, tuple[Any, str | None]] = field(default_factory=dict)
    closed: bool = False


@dataclass
class Timings:
    """Collect latencies (seconds) by kind of action, and the users that stopped."""

    answers: dict[str, list[float]] = field(default_factory=dict)
    toggles: list[float] = field(default_factory=list)
    failed: int = 0

    def add(self, kind: str, seconds: float) -> None:
        """Record the latency of one answer of this kind."""
        self.answers.setdefault(kind, []).append(seconds)


def _buttons(event: BotEvent) -> list[tuple[str, str]]:
    """Return the (label, callback data) of every inline button of a bot message."""
    rows = (event.reply_markup or {}).get("inline_keyboard", [])
    return [(str(b.get("text", "")), str(b.get("callback_data", ""))) for r in rows for b in r]


def _data(event: BotEvent, prefix: str) -> list[str]:
    """Return the callback data of the message's buttons starting with `prefix`."""
    return [data for _, data in _buttons(event) if data.startswith(prefix)]


async def _next_event(
    emu: BotApiEmulator,
    chat_id: int,
    after: int,
    accept: Callable[[BotEvent], bool],
    kinds: frozenset[str],
    limit_s: float = STEP_TIMEOUT_S,
) -> BotEvent:
    """Wait for the first bot event of these kinds in the chat that `accept` takes."""
    last = after
    async with asyncio.timeout(limit_s):
        while True:
            event = await emu.wait_for_event(chat_id, after_seq=last, kinds=kinds, timeout=limit_s)
            last = event.seq
            if accept(event):
                return event


class Driver:
    """Play the users of one run against the emulator, timing every action."""

    def __init__(
        self,
        emu: BotApiEmulator,
        survey: Survey,
        timings: Timings,
        think: tuple[float, float],
    ) -> None:
        self.emu = emu
        self.survey = survey
        self.timings = timings
        self.think = think

    def text_of(self, question_id: str, lang: str) -> str:
        """Return a question's text in a language."""
        return str(self.survey.question(question_id).text.get(lang))

    async def _think(self, person: Respondent) -> None:
        """Wait the user's (seeded) think time before an action, if any."""
        if self.think[1] > 0:
            await asyncio.sleep(person.rng.uniform(*self.think))

    async def _screen(
        self, person: Respondent, kind: str, act: Callable[[], object], needle: str
    ) -> BotEvent:
        """Do an answer action; wait for the new message containing `needle`; time it."""
        await self._think(person)
        before = self.emu.last_seq
        started = time.monotonic()
        act()
        # After a tap the next question replaces the answered one (an edit); after a typed
        # answer it comes as a new message.
        event = await _next_event(
            self.emu, person.user.id, before, lambda e: True, NEW_MESSAGE | EDITS
        )
        if needle not in (event.text or ""):
            raise StepError(f"{kind}: expected {needle[:40]!r}, got {(event.text or '')[:80]!r}")
        self.timings.add(kind, event.at - started)
        return event

    async def _tap(
        self, person: Respondent, message: BotEvent, data: str, kind: str, needle: str
    ) -> BotEvent:
        """Tap a button of a message; wait for the next screen (a new message)."""
        assert message.message_id is not None
        message_id = message.message_id
        return await self._screen(
            person, kind, lambda: self.emu.press_button(person.user, message_id, data), needle
        )

    async def _toggle(self, person: Respondent, message: BotEvent, data: str) -> BotEvent:
        """Tick a factor; wait for the question to be edited in place; time it."""
        await self._think(person)
        message_id = message.message_id
        assert message_id is not None
        before = self.emu.last_seq
        started = time.monotonic()
        self.emu.press_button(person.user, message_id, data)
        edited = await _next_event(
            self.emu, person.user.id, before, lambda e: e.message_id == message_id, EDITS
        )
        self.timings.toggles.append(edited.at - started)
        return edited

    async def wait_invitation(self, person: Respondent, after: int) -> None:
        """Wait (not timed) for the user's invitation, with its Start button."""
        person.invitation = await _next_event(
            self.emu,
            person.user.id,
            after,
            lambda e: bool(_data(e, "sv:go:")),
            NEW_MESSAGE,
            limit_s=INVITATIONS_TIMEOUT_S,
        )

    async def answer(self, person: Respondent) -> None:
        """Answer the whole pulse; a step that fails stops this user (counted)."""
        try:
            await self._answer(person)
        except (TimeoutError, StepError, KeyError, ValueError) as exc:
            self.timings.failed += 1
            print(f"# user {person.user.id} stopped: {exc!r}", file=sys.stderr)

    async def _answer(self, person: Respondent) -> None:
        lang, rng = person.lang, person.rng
        invitation = person.invitation
        assert invitation is not None
        start = _data(invitation, "sv:go:")[0]
        question = await self._tap(
            person, invitation, start, "start", self.text_of("hurts_most", lang)
        )
        trend_text = self.text_of("business_trend", lang)
        if rng.random() < SKIP_HURTS:
            person.expected["hurts_most"] = (None, None)
            question = await self._tap(
                person, question, _data(question, "sv:k:")[0], "skip", trend_text
            )
        else:
            toggles = _data(question, "sv:t:")
            ticks = rng.sample(toggles, rng.randint(1, 3))
            edited = question
            for tick in ticks:
                edited = await self._toggle(person, question, tick)
            picked = sorted(
                (FACTOR_IDS[int(t.rsplit(":", 1)[1])] for t in ticks), key=FACTOR_IDS.index
            )
            shown = _ticked(edited)
            if shown != picked:
                raise StepError(f"hurts_most shows {shown} ticked, {picked} were tapped")
            person.expected["hurts_most"] = (picked, None)
            question = await self._tap(
                person, question, _data(question, "sv:d:")[0], "done", trend_text
            )
        options = self.survey.question("business_trend").options
        index = rng.randrange(len(options))
        trend = options[index].id
        person.expected["business_trend"] = (trend, None)
        choice = next(d for d in _data(question, "sv:c:") if d.endswith(f":{index}"))
        worse = trend in ("worse", "much_worse")
        following = self.text_of("worse_why" if worse else "anything_else", lang)
        question = await self._tap(person, question, choice, "choice", following)
        if worse:
            await self._text(person, "worse_why", rng.choice(WHY_WORSE[lang]), "anything_else")
            return
        await self._last(person, question)

    async def _last(self, person: Respondent, question: BotEvent) -> None:
        """Answer anything_else: Skip, /skip, or a text confirmed with Done."""
        lang, rng = person.lang, person.rng
        closing = self.survey.closing.get(lang)
        how = rng.choices(list(ANYTHING_ELSE), list(ANYTHING_ELSE.values()))[0]
        if how == "text":
            await self._text(person, "anything_else", rng.choice(ANYTHING[lang]), None)
            return
        person.expected["anything_else"] = (None, None)
        if how == "skip_button":
            await self._tap(person, question, _data(question, "sv:k:")[0], "skip", closing)
        else:
            await self._screen(
                person, "skip", lambda: self.emu.send_text(person.user, "/skip"), closing
            )
        person.closed = True

    async def _text(
        self, person: Respondent, question_id: str, sentence: str, following: str | None
    ) -> None:
        """Send a free-text answer, confirm the factors found; go on to `following` or close."""
        lang = person.lang
        understood = translate(lang, "survey.understood_text", factors="\0").split("\0")[0]
        confirm = await self._screen(
            person, "text", lambda: self.emu.send_text(person.user, sentence), understood
        )
        if self.text_of(question_id, lang) not in (confirm.text or ""):
            raise StepError(f"the factors shown are not those of {question_id}")
        picked = _ticked(confirm)
        person.expected[question_id] = (picked, clean_text(sentence))
        needle = (
            self.survey.closing.get(lang) if following is None else self.text_of(following, lang)
        )
        question = await self._tap(person, confirm, _data(confirm, "sv:d:")[0], "done", needle)
        if following is None:
            person.closed = True
        else:
            await self._last(person, question)


def _ticked(event: BotEvent) -> list[str]:
    """Return the factors shown ticked on a question, in the taxonomy's order."""
    picked = [
        FACTOR_IDS[int(data.rsplit(":", 1)[1])]
        for label, data in _buttons(event)
        if data.startswith("sv:t:") and label.startswith(TICKED)
    ]
    return sorted(picked, key=FACTOR_IDS.index)


def _people(users: int, seed: int) -> list[Respondent]:
    """Make `users` respondents, each with their own seeded RNG and language."""
    people = []
    for index in range(users):
        user_id = FIRST_USER_ID + index
        rng = random.Random(seed * 1_000_003 + user_id)
        lang = rng.choices(list(LANGUAGE_WEIGHTS), list(LANGUAGE_WEIGHTS.values()))[0]
        user = FakeUser(id=user_id, first_name=f"Shop{index}", language_code=lang)
        people.append(Respondent(user, lang, rng))
    return people


async def _migrate(database: Path) -> None:
    """Create the bot's database with the project's migrations."""
    db = Database(database)
    await db.connect()
    await db.close()


def _seed(database: Path, people: Sequence[Respondent], seed: int) -> None:
    """Insert the respondents as onboarded shopkeepers in real cores (bulk, with sqlite3)."""
    reference = Reference.load(default_data_dir())
    sectors = [s.id for s in reference.sectors]
    rng = random.Random(seed)
    rows = []
    for person in people:
        territory = rng.choices(list(TERRITORY_WEIGHTS), list(TERRITORY_WEIGHTS.values()))[0]
        core = rng.choice(reference.territories[territory].cores)
        stamp = utcnow()
        rows.append(
            (
                "telegram",
                str(person.user.id),
                person.lang,
                "shopkeeper",
                territory,
                core.id,
                rng.choice(sectors),
                "done",
                stamp,
                CONSENT_VERSION,
                stamp,
                stamp,
            )
        )
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO users (channel, external_id, language, role, territory_id, core_id,"
            " sector_id, step, consent_at, consent_version, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.close()


async def _launch(env: Mapping[str, str]) -> str:
    """Launch a wave of the pulse with `python bot.py survey launch`; return what it said."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "survey",
        "launch",
        SURVEY_ID,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"survey launch failed: {err.decode().strip()}")
    return out.decode().strip()


def _check(database: Path, people: Sequence[Respondent]) -> dict[str, int]:
    """Compare the stored responses and answers with what each user gave."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        responses = conn.execute(
            "SELECT r.id, u.external_id, r.status FROM survey_responses r"
            " JOIN users u ON u.id = r.user_id WHERE r.survey_id = ?",
            (SURVEY_ID,),
        ).fetchall()
        answers = conn.execute(
            "SELECT response_id, question_id, value, text FROM survey_answers"
        ).fetchall()
    conn.close()
    by_user: dict[str, list[tuple[int, str]]] = {}
    for response_id, external_id, status in responses:
        by_user.setdefault(str(external_id), []).append((int(response_id), str(status)))
    stored: dict[int, list[tuple[str, Any, str | None]]] = {}
    for response_id, question_id, value, text in answers:
        decoded = None if value is None else json.loads(value)
        stored.setdefault(int(response_id), []).append((str(question_id), decoded, text))
    lost = duplicate = completed = 0
    for person in people:
        mine = by_user.pop(str(person.user.id), [])
        duplicate += max(0, len(mine) - 1)
        completed += sum(1 for _, status in mine if status == "completed")
        rows = [row for response_id, _ in mine for row in stored.pop(response_id, [])]
        seen: dict[str, tuple[Any, str | None]] = {}
        for question_id, value, text in rows:
            if question_id in seen or question_id not in person.expected:
                duplicate += 1
            else:
                seen[question_id] = (value, text)
        lost += sum(1 for q, given in person.expected.items() if seen.get(q) != given)
    # Responses of nobody simulated here, or answers of no response: duplicates too.
    duplicate += len(by_user) + sum(len(rows) for rows in stored.values())
    return {"lost": lost, "duplicate": duplicate, "completed": completed}


def _percentile(values: Sequence[float], share: float) -> float:
    """Return a percentile in milliseconds (the nearest rank), NaN when there is no value."""
    ordered = sorted(values) or [math.nan]
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, launch, start the emulator and the bot, time the answers, check the database."""
    survey = Surveys.load(default_data_dir() / "surveys").get(SURVEY_ID)
    assert survey is not None
    people = _people(args.users, args.seed)
    timings = Timings()
    figures: dict[str, Any] = {}
    window = {"ECHOPPE_SURVEY_SEND_WINDOW_MINUTES": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        prepared = time.monotonic()
        await _migrate(database)
        _seed(database, people, args.seed)
        # Launched before the bot starts: its invitation job sends them all 10 s after start.
        launched = await _launch({**window, "ECHOPPE_DATABASE_PATH": str(database)})
        print(f"# {launched}", file=sys.stderr)
        async with BotApiEmulator() as emu:
            driver = Driver(emu, survey, timings, (args.think_min, args.think_max))
            before = emu.last_seq
            # The emulator only knows a chat once its user has written something.
            for person in people:
                emu.send_text(person.user, "/help")
            async with bot_process(emu, database, window) as bot:
                await asyncio.gather(*(driver.wait_invitation(p, before) for p in people))
                figures["setup_s"] = round(time.monotonic() - prepared, 1)
                bot_cpu = cpu_s(bot.pid)
                own_cpu = time.process_time()
                started = time.monotonic()
                await asyncio.gather(*(driver.answer(p) for p in people))
                elapsed = time.monotonic() - started
                own_cpu = time.process_time() - own_cpu
                bot_after = cpu_s(bot.pid)
                rejected = [e for e in emu.events() if e.kind == "rejected"]
        checked = _check(database, people)
    answers = [value for values in timings.answers.values() for value in values]
    figures.update(
        {
            "users": args.users,
            "survey_think_s": f"{args.think_min:g}-{args.think_max:g}",
            "survey_closings_received": sum(p.closed for p in people),
            "survey_users_stopped": timings.failed,
            "completed": checked["completed"],
            "wall_s": round(elapsed, 2),
            "survey_answer_actions": len(answers),
            "survey_toggle_actions": len(timings.toggles),
            "survey_api_rejections": len(rejected),
        }
    )
    if bot_cpu is not None and bot_after is not None:
        figures["bot_process_cpu_s"] = round(bot_after - bot_cpu, 2)
    figures["driver_process_cpu_s"] = round(own_cpu, 2)
    for kind in ("start", "done", "choice", "skip", "text"):
        figures[f"survey_{kind}_p99_ms"] = round(_percentile(timings.answers.get(kind, []), 0.99))
    figures["survey_toggle_p50_ms"] = round(_percentile(timings.toggles, 0.5), 1)
    figures["survey_toggle_p99_ms"] = round(_percentile(timings.toggles, 0.99), 1)
    figures["survey_completed_per_s"] = round(checked["completed"] / elapsed, 1)
    figures["survey_p50_ms"] = round(_percentile(answers, 0.5), 1)
    figures["survey_p99_ms"] = round(_percentile(answers, 0.99), 1)
    figures["survey_lost_answers"] = checked["lost"]
    figures["survey_duplicate_answers"] = checked["duplicate"]
    return figures


def main() -> None:
    """Run the benchmark and print `name: value` lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think-min", type=float, default=4.0)
    parser.add_argument(
        "--think-max", type=float, default=16.0, help="seeded think time before each action, s"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    for name, value in asyncio.run(run(args)).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
