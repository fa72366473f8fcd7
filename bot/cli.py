"""Parse the operator's command line and run the chosen command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.channels.base import ChannelRefused
from bot.config import PROJECT_ROOT, ConfigError, Settings, deprecated_names, load_settings
from bot.features.surveys.definitions import SurveyDefinitionError
from bot.reference import ReferenceDataError
from nlp.variants import VARIANTS

if TYPE_CHECKING:
    from bot.storage import Database

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description="Échoppe chat bot")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve Telegram users (long polling by default)")
    run.add_argument("--webhook", metavar="URL", help="use a webhook at this public HTTPS URL")

    demo = commands.add_parser("demo", help="chat with the real bot in this terminal, offline")
    demo.add_argument("--database", type=Path, help="SQLite file (default var/demo.sqlite3)")
    demo.add_argument("--fresh", action="store_true", help="start from an empty database")
    demo.add_argument("--lang", default="fr", help="the demo user's phone language (fr/nl/en)")
    demo.add_argument(
        "--channel",
        choices=("console", "whatsapp"),
        default="console",
        help="console: the terminal as a channel; whatsapp: the bot on WhatsApp, through the"
        " project's Cloud API emulator, shown as WhatsApp shows it",
    )
    demo.add_argument(
        "--user-id",
        type=int,
        default=1001,
        help="the demo user's id (list it in ECHOPPE_ADMIN_IDS to try admin commands)",
    )

    emulator = commands.add_parser("emulator", help="run the local Bot API emulator alone")
    emulator.add_argument("--port", type=int, default=8081)

    whatsapp = commands.add_parser("whatsapp", help="WhatsApp Business: message templates")
    whatsapp_commands = whatsapp.add_subparsers(dest="whatsapp_command", required=True)
    templates = whatsapp_commands.add_parser("templates", help="the bot's message templates")
    templates.add_argument(
        "action",
        choices=("sync", "list"),
        help="sync: submit to Meta those it does not have; list: show their review status",
    )

    commands.add_parser("migrate", help="create or upgrade the database, then exit")
    audit = commands.add_parser("audit", help="print the audit trail: admin and partner actions")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--refused", action="store_true", help="only refused attempts")
    backup = commands.add_parser(
        "backup", help="copy the database consistently, even while the bot runs"
    )
    backup.add_argument("file", type=Path)
    backup.add_argument("--force", action="store_true", help="replace the file if it exists")
    restore = commands.add_parser(
        "restore", help="put a backup in place of the database (stop the bot first)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--yes", action="store_true", help="confirm that the bot is stopped; required"
    )

    export = commands.add_parser(
        "export-corrections", help="write confirmed concerns as training JSON Lines"
    )
    export.add_argument("--output", type=Path, default=Path("var/corrections.jsonl"))
    export.add_argument(
        "--only-corrected", action="store_true", help="only those whose factors were changed"
    )

    survey = commands.add_parser("survey", help="launch survey waves")
    survey_commands = survey.add_subparsers(dest="survey_command", required=True)
    launch = survey_commands.add_parser(
        "launch", help="invite the matching people to a survey (the running bot sends them)"
    )
    launch.add_argument("survey_id", help="monthly_pulse, shop_profile, event_feedback, ...")
    launch.add_argument("--territory", help="only this territory (brussels, lessines)")
    launch.add_argument("--core", help="only this commercial core (e.g. bru_flagey)")
    launch.add_argument("--role", help="only this role (shopkeeper, customer, ...)")
    launch.add_argument("--dry-run", action="store_true", help="count, do not launch")
    export_survey = survey_commands.add_parser(
        "export", help="write a survey's responses as CSV, one row per response, no identities"
    )
    export_survey.add_argument("survey_id")
    export_survey.add_argument("--csv", type=Path, required=True, help="output file")

    partner = commands.add_parser("partner", help="invite, list and revoke partners")
    partner_commands = partner.add_subparsers(dest="partner_command", required=True)
    invite = partner_commands.add_parser(
        "invite", help="create a partner and print a single-use, expiring invitation link"
    )
    invite.add_argument("--name", required=True)
    invite.add_argument("--territory", action="append", required=True, help="repeatable")
    invite.add_argument("--core", action="append", default=[], help="repeatable; default: all")
    invite.add_argument("--email")
    invite.add_argument("--lang", default="fr", choices=("fr", "nl", "en"))
    invite.add_argument("--days", type=float, default=3.0, help="the link expires after this")
    invite.add_argument("--partner", type=int, help="a new link for an existing partner")
    partner_commands.add_parser("list", help="list partners and their scope")
    email = partner_commands.add_parser(
        "email", help="set where a partner's digest is e-mailed (--clear to stop)"
    )
    email.add_argument("partner_id", type=int)
    email_target = email.add_mutually_exclusive_group(required=True)
    email_target.add_argument("address", nargs="?")
    email_target.add_argument("--clear", action="store_true")
    revoke = partner_commands.add_parser("revoke", help="revoke a partner (its chats lose access)")
    revoke.add_argument("partner_id", type=int)

    dashboard = commands.add_parser("dashboard", help="the partners' and admins' web dashboard")
    dashboard_commands = dashboard.add_subparsers(dest="dashboard_command", required=True)
    dash_link = dashboard_commands.add_parser(
        "link", help="print a sign-in link (single use, valid 15 minutes)"
    )
    dash_who = dash_link.add_mutually_exclusive_group(required=True)
    dash_who.add_argument("--partner", type=int, help="a partner's id (see `partner list`)")
    dash_who.add_argument("--admin", action="store_true", help="an admin's link (sees all)")
    dash_link.add_argument("--lang", choices=("fr", "nl", "en"), help="the pages' language")

    broadcast = commands.add_parser("broadcast", help="send announcements; list and control them")
    broadcast_commands = broadcast.add_subparsers(dest="broadcast_command", required=True)
    new = broadcast_commands.add_parser(
        "new", help="schedule a broadcast (the running bot sends it); --dry-run to count only"
    )
    new.add_argument("--text", required=True, help="the French text (everyone's fallback)")
    new.add_argument("--text-nl", help="the Dutch text")
    new.add_argument("--text-en", help="the English text")
    new.add_argument("--photo", type=Path, help="an image sent with the text as its caption")
    for name in ("territory", "core", "sector", "role", "language", "factor"):
        new.add_argument(f"--{name}", help=f"only people with this {name}")
    new.add_argument("--days", type=int, help="with --factor: raised in the last N days")
    new.add_argument("--at", help="local date and time, e.g. '2026-12-01 10:00' (default: now)")
    new.add_argument("--dry-run", action="store_true", help="print the count, store nothing")
    broadcast_commands.add_parser("list", help="list the latest broadcasts with their progress")
    for action in ("pause", "resume", "cancel"):
        control = broadcast_commands.add_parser(action, help=f"{action} a broadcast")
        control.add_argument("broadcast_id", type=int)

    event = commands.add_parser("event", help="list events and export their attendee lists")
    event_commands = event.add_subparsers(dest="event_command", required=True)
    event_commands.add_parser("list", help="upcoming (and last week's) events with their answers")
    attendees = event_commands.add_parser(
        "attendees", help="write the attendees who chose to share their name, as CSV"
    )
    attendees.add_argument("event_id", type=int)
    attendees.add_argument("--csv", type=Path, required=True, help="output file")

    digest = commands.add_parser("digest", help="render a partner's weekly digest to an HTML file")
    digest.add_argument("--partner", type=int, required=True, help="the partner's id")
    digest.add_argument("--week", help="an ISO week like 2026-W48 (default: the last full one)")
    digest.add_argument("--out", type=Path, required=True, help="the HTML file to write")

    posters = commands.add_parser(
        "posters", help="print-ready posters (A4) and counter cards (A6) with QR codes"
    )
    posters.add_argument("--territory", required=True, help="brussels, lessines")
    posters.add_argument("--core", help="only this commercial core (e.g. bru_flagey)")
    posters.add_argument(
        "--lang", help="fr, nl or fr+nl (default: fr+nl in Brussels, fr elsewhere)"
    )
    posters.add_argument("--out", type=Path, required=True, help="the folder to write to")

    campaigns = commands.add_parser(
        "campaigns", help="where people came from: per week, core and campaign (counts only)"
    )
    campaigns.add_argument("--territory", help="only this territory (brussels, lessines)")
    campaigns.add_argument("--weeks", type=int, default=8, help="how many weeks back (8)")

    links = commands.add_parser(
        "links", help="a core's links into the bot for a campaign (newsletter, session…)"
    )
    links.add_argument("--core", required=True, help="a commercial core (e.g. bru_flagey)")
    links.add_argument(
        "--campaign",
        required=True,
        help="poster, counter, session, neighbour or newsletter",
    )
    links.add_argument("--lang", default="fr", choices=("fr", "nl", "en"))

    school = commands.add_parser("school", help="the schools of the entrepreneurs' path")
    school_commands = school.add_subparsers(dest="school_command", required=True)
    add_school = school_commands.add_parser("add", help="register a school")
    add_school.add_argument("--code", required=True, help="a short code: 2-20 of a-z, 0-9, -")
    add_school.add_argument("--name", required=True)
    add_school.add_argument("--territory", required=True, help="brussels, lessines")
    school_commands.add_parser("list", help="the schools registered")
    remove_school = school_commands.add_parser("remove", help="remove a school")
    remove_school.add_argument("code")
    school_links = school_commands.add_parser(
        "links", help="a school's links into the candidate path (what its QR code holds)"
    )
    school_links.add_argument("code")
    school_links.add_argument("--lang", default="fr", choices=("fr", "nl", "en"))

    venue = commands.add_parser("venue", help="public venues for coaching appointments")
    venue_commands = venue.add_subparsers(dest="venue_command", required=True)
    add_venue = venue_commands.add_parser("add", help="register a venue")
    add_venue.add_argument("--territory", required=True, help="brussels, lessines")
    add_venue.add_argument("--name", required=True)
    add_venue.add_argument("--address", required=True)
    list_venues = venue_commands.add_parser("list", help="the venues registered")
    list_venues.add_argument("--territory", default="")
    remove_venue = venue_commands.add_parser("remove", help="remove a venue")
    remove_venue.add_argument("venue_id", type=int)

    coach = commands.add_parser("coach", help="the coaches of the entrepreneurs' path")
    coach_commands = coach.add_subparsers(dest="coach_command", required=True)
    add_coach = coach_commands.add_parser(
        "add", help="register (or change) a coach: a person already onboarded"
    )
    add_coach.add_argument(
        "person_arg", nargs="?", help="telegram:<user id> or whatsapp:<number> (or --person)"
    )
    add_coach.add_argument(
        "--person", "--user", dest="person", help="telegram:<user id> or whatsapp:<number>"
    )
    add_coach.add_argument(
        "--name", default="Coach", help="the name candidates see (default: Coach)"
    )
    add_coach.add_argument(
        "--territories",
        "--territory",
        dest="territories",
        required=True,
        help="e.g. lessines,brussels",
    )
    add_coach.add_argument(
        "--specialities",
        "--speciality",
        "--specialties",
        dest="specialities",
        default="idea,plan,financing,premises,legal,marketing",
        help="among idea,plan,financing,premises,legal,marketing, comma-separated (default: all)",
    )
    coach_commands.add_parser("list", help="the coaches registered")
    remove_coach = coach_commands.add_parser("remove", help="stop offering requests to a coach")
    remove_coach.add_argument(
        "person_arg", nargs="?", help="telegram:<user id> or whatsapp:<number> (or --person)"
    )
    remove_coach.add_argument("--person", "--user", dest="person")

    coaching = commands.add_parser("coaching", help="the entrepreneurs' path's figures")
    coaching_commands = coaching.add_subparsers(dest="coaching_command", required=True)
    report = coaching_commands.add_parser(
        "report",
        help="candidate entrepreneurs, sessions, coaching in a territory over a period (CSV)",
    )
    report.add_argument("--territory", required=True, help="brussels, lessines")
    report.add_argument(
        "--from", dest="date_from", required=True, help="first day, YYYY-MM-DD (local)"
    )
    report.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
    report.add_argument("--out", default="-", help="a file to write (default: the terminal)")

    opportunities = commands.add_parser(
        "opportunities", help="needs, empty cells, the pop-up and the food chain's figures"
    )
    opportunities_commands = opportunities.add_subparsers(
        dest="opportunities_command", required=True
    )
    export = opportunities_commands.add_parser(
        "export",
        help="needs and opportunities of a territory over whole ISO weeks, gated (CSV)",
    )
    export.add_argument("--territory", required=True, help="brussels, lessines")
    export.add_argument(
        "--from", dest="date_from", required=True, help="first day, YYYY-MM-DD (local)"
    )
    export.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
    export.add_argument("--out", default="-", help="a file to write (default: the terminal)")

    train = commands.add_parser("train", help="train the classifier variants, ship the best")
    train.add_argument(
        "--variants",
        help=f"comma-separated, from: {','.join(VARIANTS)} (default: all;"
        " with --with-corrections: the shipped model's)",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--output",
        type=Path,
        help="model directory (default data/model; with --with-corrections var/model-corrections)",
    )
    train.add_argument(
        "--with-corrections",
        type=Path,
        metavar="FILE",
        help="also learn from an export-corrections file; report held-out scores with and"
        " without it; the model stays under var/ (set ECHOPPE_MODEL_DIR to use it)",
    )
    train.add_argument(
        "--corrections-weight",
        type=int,
        default=2,
        help="how many times each correction counts (default 2)",
    )

    evaluate = commands.add_parser("evaluate", help="score the classifier on a labelled file")
    evaluate.add_argument("file", type=Path, help="JSON Lines: id, lang, text, labels")
    evaluate.add_argument("--model", type=Path, help="model directory (default data/model)")
    evaluate.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF baseline")
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO, including the URL with the bot token in it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # At DEBUG python-telegram-bot logs whole updates: names, texts, shared phone numbers.
    telegram_level = max(logging.getLevelName(level), logging.INFO)
    logging.getLogger("telegram").setLevel(telegram_level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named on the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    try:
        return _dispatch(args, settings)
    except (ConfigError, ReferenceDataError, SurveyDefinitionError, ChannelRefused) as exc:
        # Broken settings or data files: one line that names what to fix, no traceback.
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        from bot.app.run import serve

        settings.require_channel()
        _configure_logging(settings.log_level)
        for line in deprecated_names(os.environ, Path(".env")):
            logger.warning("%s", line)
        asyncio.run(serve(settings, webhook_url=args.webhook))
        return 0
    if args.command == "demo":
        from bot.app.demo import run_demo

        _configure_logging("WARNING")
        database = args.database or settings.database_path.parent / "demo.sqlite3"
        if args.fresh and database.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        demo_settings = settings.model_copy(update={"database_path": database})
        if args.channel == "whatsapp":
            from bot.app.demo import run_whatsapp_demo

            return asyncio.run(run_whatsapp_demo(demo_settings))
        return asyncio.run(run_demo(demo_settings, user_id=args.user_id, language_code=args.lang))
    if args.command == "emulator":
        from bot.emulator.__main__ import serve as serve_emulator

        _configure_logging(settings.log_level)
        asyncio.run(serve_emulator("127.0.0.1", args.port))
        return 0
    if args.command == "migrate":
        from bot.storage.database import opened

        _configure_logging(settings.log_level)

        async def migrate() -> None:
            async with opened(settings.database_path):
                pass

        asyncio.run(migrate())
        print(f"database ready: {settings.database_path}")
        return 0
    if args.command == "export-corrections":
        from datetime import UTC, datetime

        from bot.features.concerns.corrections import export_corrections
        from bot.features.privacy.retention_store import retention_cutoff
        from bot.storage.database import opened
        from nlp.train import check_outside_repository

        _configure_logging("WARNING")
        since = retention_cutoff(datetime.now(UTC), settings.text_retention_months)
        try:
            check_outside_repository(args.output)
        except ValueError as exc:
            print(f"échoppe: {exc}", file=sys.stderr)
            return 2

        async def export() -> int:
            async with opened(settings.database_path) as db:
                return await export_corrections(
                    db, args.output, only_corrected=args.only_corrected, since=since
                )

        count = asyncio.run(export())
        print(f"wrote {count} labelled messages to {args.output}")
        return 0
    if args.command == "digest":
        return _digest(args, settings)
    if args.command == "audit":
        return _audit(args, settings)
    if args.command == "posters":
        from bot.app.reach_cli import posters

        return posters(settings, args.territory, args.core, args.lang, args.out)
    if args.command == "campaigns":
        from bot.app.reach_cli import campaigns

        return campaigns(settings, args.territory, args.weeks)
    if args.command == "school":
        from bot.app.entrepreneurs_cli import school

        return school(
            settings,
            args.school_command,
            getattr(args, "code", ""),
            getattr(args, "name", ""),
            getattr(args, "territory", ""),
            getattr(args, "lang", "fr"),
        )
    if args.command == "coaching":
        from bot.app.entrepreneurs_cli import coaching_report

        return coaching_report(settings, args.territory, args.date_from, args.date_to, args.out)
    if args.command == "opportunities":
        from bot.app.opportunities_cli import opportunities_export

        return opportunities_export(
            settings, args.territory, args.date_from, args.date_to, args.out
        )
    if args.command == "dashboard":
        from bot.app.dashboard_cli import dashboard_link

        return dashboard_link(settings, args.partner, args.lang or "")
    if args.command == "coach":
        from bot.app.entrepreneurs_cli import coach

        person = getattr(args, "person", None) or getattr(args, "person_arg", None) or ""
        if args.coach_command in ("add", "remove") and not person:
            print(
                "échoppe: name the person: telegram:<user id> or whatsapp:<number>",
                file=sys.stderr,
            )
            return 2
        return coach(
            settings,
            args.coach_command,
            person,
            getattr(args, "name", ""),
            getattr(args, "territories", ""),
            getattr(args, "specialities", ""),
        )
    if args.command == "venue":
        from bot.app.entrepreneurs_cli import venue

        return venue(
            settings,
            args.venue_command,
            getattr(args, "venue_id", 0),
            getattr(args, "name", ""),
            getattr(args, "address", ""),
            getattr(args, "territory", ""),
        )
    if args.command == "links":
        from bot.app.reach_cli import links

        return links(settings, args.core, args.campaign, args.lang)
    if args.command == "whatsapp":
        from bot.app.whatsapp_admin import templates

        lines = asyncio.run(templates(settings, submit=args.action == "sync"))
        print("\n".join(lines))
        return 0
    if args.command in ("backup", "restore"):
        return _backup_or_restore(args, settings)
    if args.command == "broadcast":
        return _broadcast(args, settings)
    if args.command == "event":
        return _event(args, settings)
    if args.command == "partner":
        return _partner(args, settings)
    if args.command == "survey" and args.survey_command == "export":
        return _export_survey(args, settings)
    if args.command == "survey":
        return _launch_survey(args, settings)
    if args.command == "train":
        return _train(args)
    if args.command == "evaluate":
        from nlp.classifier import MODEL_DIR, ModelError
        from nlp.corpus import CorpusError
        from nlp.evaluate import evaluate_file

        _configure_logging("WARNING")
        try:
            report = evaluate_file(
                args.file, args.model or MODEL_DIR, with_baseline=not args.no_baseline
            )
        except (OSError, CorpusError, ModelError) as exc:
            print(f"échoppe: {exc}", file=sys.stderr)
            return 2
        print(report)
        return 0
    raise AssertionError(args.command)


def _train(args: argparse.Namespace) -> int:
    """Train the classifier: every variant (ship the best), or one with field corrections."""
    from nlp.classifier import MODEL_DIR, Classifier, ModelError
    from nlp.corpus import CorpusError
    from nlp.train import train_and_ship, train_with_corrections

    _configure_logging("INFO")
    variants = [v.strip() for v in (args.variants or "").split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        print(
            f"échoppe: unknown variants {unknown}; choose from {list(VARIANTS)}", file=sys.stderr
        )
        return 2
    if args.with_corrections is None:
        try:
            train_and_ship(
                variants or list(VARIANTS), output=args.output or MODEL_DIR, seed=args.seed
            )
        except (OSError, ValueError, CorpusError) as exc:
            print(f"échoppe: {exc}", file=sys.stderr)
            return 2
        return 0
    if len(variants) > 1:
        print("échoppe: --with-corrections trains one variant", file=sys.stderr)
        return 2
    output = args.output or PROJECT_ROOT / "var" / "model-corrections"
    try:
        variant = variants[0] if variants else Classifier.load(MODEL_DIR).variant
        if variant not in VARIANTS:
            raise ModelError(f"the shipped model's variant {variant!r} is unknown: use --variants")
        without, with_field, count = train_with_corrections(
            args.with_corrections,
            output,
            variant=variant,
            weight=args.corrections_weight,
            seed=args.seed,
        )
    except (OSError, ValueError, CorpusError, ModelError) as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    print(f"variant {variant}, {count} corrections counted {args.corrections_weight} times each")
    print(f"{'held-out part':<16} {'without':>8} {'with':>8}")
    for name in sorted(without.parts):
        before, after = without.parts[name].macro_f1, with_field.parts[name].macro_f1
        print(f"{name:<16} {before:8.3f} {after:8.3f}  ({after - before:+.3f})")
    print(f"{'mean':<16} {without.heldout_macro_f1:8.3f} {with_field.heldout_macro_f1:8.3f}")
    print(f"model with corrections: {output} (ECHOPPE_MODEL_DIR={output} to use it)")
    return 0


def _launch_survey(args: argparse.Namespace, settings: Settings) -> int:
    """Create a survey wave from the command line; the running bot sends the invitations."""
    from datetime import timedelta

    from bot.features.surveys.definitions import Surveys
    from bot.features.surveys.waves import UnknownSurvey, WaveService
    from bot.reference import Reference
    from bot.storage import Role
    from bot.storage.database import opened

    _configure_logging("WARNING")
    reference = Reference.load(settings.data_dir)
    problems = []
    if args.territory and reference.territory(args.territory) is None:
        problems.append(
            f"unknown territory {args.territory!r} ({', '.join(reference.territories)})"
        )
    if args.core and reference.core(args.core) is None:
        problems.append(f"unknown core {args.core!r}")
    if args.role and args.role not in {r.value for r in Role}:
        problems.append(f"unknown role {args.role!r} ({', '.join(r.value for r in Role)})")
    if problems:
        print("échoppe: " + "; ".join(problems), file=sys.stderr)
        return 2

    async def launch() -> str:
        async with opened(settings.database_path) as db:
            waves = WaveService(
                db,
                Surveys.load(settings.data_dir / "surveys"),
                window=timedelta(minutes=settings.survey_send_window_minutes),
                remind_after=timedelta(hours=settings.survey_remind_after_hours),
                open_for=timedelta(days=settings.survey_open_days),
            )
            filters = {"territory_id": args.territory, "core_id": args.core, "role": args.role}
            if args.dry_run:
                count = await waves.count_audience(args.survey_id, **filters)
                return f"{count} people would be invited to {args.survey_id}"
            done = await waves.launch(args.survey_id, created_by="cli", **filters)
            return (
                f"wave {done.wave.id} of {args.survey_id}: {done.invited} people invited, spread"
                f" over {settings.survey_send_window_minutes} min; closes {done.wave.closes_at}"
            )

    try:
        print(asyncio.run(launch()))
    except UnknownSurvey as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    return 0


def _export_survey(args: argparse.Namespace, settings: Settings) -> int:
    """Write a survey's responses to a CSV file."""
    from bot.features.surveys.definitions import Surveys
    from bot.features.surveys.export import export_csv
    from bot.storage.database import opened

    _configure_logging("WARNING")
    surveys = Surveys.load(settings.data_dir / "surveys")
    survey = surveys.get(args.survey_id)
    if survey is None:
        known = ", ".join(s.id for s in surveys)
        print(f"échoppe: no survey {args.survey_id!r} (known: {known})", file=sys.stderr)
        return 2

    async def export() -> int:
        async with opened(settings.database_path) as db:
            return await export_csv(db, survey, args.csv, settings.anonymity_k)

    count = asyncio.run(export())
    print(f"wrote {count} responses to {args.csv}")
    return 0


def _broadcast(args: argparse.Namespace, settings: Settings) -> int:
    """Schedule, list, pause, resume or cancel broadcasts from a shell."""
    from datetime import datetime

    from pydantic import ValidationError

    from bot.features.broadcasts.service import PHOTO_PATH_PREFIX, BroadcastError, BroadcastService
    from bot.features.broadcasts.store import Audience
    from bot.reference import Reference
    from bot.storage.database import opened

    _configure_logging("WARNING")
    reference = Reference.load(settings.data_dir)

    async def act() -> list[str]:
        async with opened(settings.database_path) as db:
            service = BroadcastService(db, reference)
            command = args.broadcast_command
            if command != "list":
                await _audited(db, f"broadcast {command}", str(getattr(args, "broadcast_id", "")))
            if command == "list":
                return [
                    f"{b.id}\t{b.status.value}\t{b.send_at[:16]}\t{p.get('sent', 0)}/"
                    f"{b.recipients if b.recipients is not None else '?'} sent"
                    f"\t{p.get('blocked', 0)} blocked\t{p.get('failed', 0)} failed"
                    f"\t{b.texts['fr'][:40]!r}"
                    for b, p in await service.recent(20)
                ] or ["no broadcasts yet"]
            if command in ("pause", "resume", "cancel"):
                done = await getattr(service, command)(args.broadcast_id)
                return [
                    f"broadcast {args.broadcast_id}: {command} "
                    + ("done" if done else "refused (not in a state that allows it)")
                ]
            return await _new_broadcast(args, settings, service)

    async def _new_broadcast(
        args: argparse.Namespace, settings: Settings, service: BroadcastService
    ) -> list[str]:
        try:
            audience = Audience(
                territory_id=args.territory,
                core_id=args.core,
                sector_id=args.sector,
                role=args.role,
                language=args.language,
                factor=args.factor,
                days=args.days,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise BroadcastError(f"--{first['loc'][0]}: {first['msg']}") from exc
        texts = {"fr": args.text, "nl": args.text_nl or "", "en": args.text_en or ""}
        photo = None
        if args.photo is not None:
            if not args.photo.is_file():
                raise BroadcastError(f"no such file: {args.photo}")
            photo = PHOTO_PATH_PREFIX + str(args.photo.resolve())
        when = None
        if args.at:
            try:
                when = datetime.strptime(args.at, "%Y-%m-%d %H:%M").replace(tzinfo=settings.tz)
            except ValueError as exc:
                raise BroadcastError(
                    f"--at: expected 'YYYY-MM-DD HH:MM', got {args.at!r}"
                ) from exc
            if when < datetime.now(settings.tz):
                raise BroadcastError(f"--at: {args.at} is in the past")
        service.check(texts, photo, audience)
        count = await service.count(audience)
        if args.dry_run:
            return [f"{count} people would get it (nothing stored)"]
        made = await service.create(
            created_by="cli", texts=texts, audience=audience, photo=photo, send_at=when
        )
        moment = "now" if when is None else f"at {args.at} ({settings.timezone})"
        return [
            f"broadcast {made.id} scheduled {moment} for {count} people;"
            " the running bot sends it (`bot.py broadcast list` shows progress)"
        ]

    try:
        print("\n".join(asyncio.run(act())))
    except BroadcastError as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    return 0


async def _audited(db: Database, action: str, detail: str = "") -> None:
    """Record a shell action in the audit trail (who: the system account that ran it)."""
    import getpass

    from bot.storage.audit import AuditRepository

    await AuditRepository(db).record(
        actor=f"cli:{getpass.getuser()}", role="cli", action=action, detail=detail, allowed=True
    )


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    """Print the latest audit entries, newest first."""
    from bot.storage.audit import AuditRepository
    from bot.storage.database import opened

    async def read() -> list[str]:
        async with opened(settings.database_path) as db:
            entries = await AuditRepository(db).latest(args.limit, refused_only=args.refused)
        return [
            f"{e.at[:19]}\t{'ok' if e.allowed else 'REFUSED'}\t{e.role}\t{e.actor}"
            f"\t{e.action}\t{e.detail}"
            for e in entries
        ] or ["the audit trail is empty"]

    print("\n".join(asyncio.run(read())))
    return 0


def _backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Make a consistent copy of the database, or put one back in its place."""
    from bot.storage.backup import BackupError, backup, restore

    database = settings.database_path
    try:
        if args.command == "backup":
            made = backup(database, args.file, overwrite=args.force)
            print(
                f"backed up {database} to {made.path}: {made.bytes} bytes,"
                f" schema {made.schema_version}, {made.users} users (integrity checked)"
            )
            return 0
        if not args.yes:
            print(
                "échoppe: stop the bot first, then run `bot.py restore FILE --yes`",
                file=sys.stderr,
            )
            return 2
        kept = restore(args.file, database)
    except BackupError as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    print(f"restored {args.file} to {database}")
    if kept is not None:
        print(f"the database it replaced is kept as {kept}")
    return 0


def _local(stamp: str, settings: Settings) -> str:
    """Show a stored UTC time in the configured time zone."""
    from datetime import datetime

    return datetime.fromisoformat(stamp).astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")


def _event(args: argparse.Namespace, settings: Settings) -> int:
    """List events, or write one's attendee list (names people chose to share)."""
    from bot.features.broadcasts.service import BroadcastService
    from bot.features.events.service import EventService
    from bot.reference import Reference
    from bot.storage.database import opened

    _configure_logging("WARNING")
    reference = Reference.load(settings.data_dir)

    async def act() -> tuple[int, list[str]]:
        async with opened(settings.database_path) as db:
            events = EventService(
                db, reference, BroadcastService(db, reference), None, settings.tz
            )
            if args.event_command == "list":
                return 0, [
                    f"{e.id}\t{_local(e.starts_at, settings)}\t{e.title}"
                    f"\tgoing {c.get('going', 0)}"
                    f"/{e.capacity or '-'}\twaiting {c.get('waiting', 0)}"
                    f"\tmaybe {c.get('maybe', 0)}\tno {c.get('no', 0)}"
                    f"\t{'announced' if e.announced_at else 'not announced'}"
                    for e, c in await events.upcoming(50)
                ] or ["no upcoming events"]
            if await events.get(args.event_id) is None:
                return 2, [f"échoppe: no event {args.event_id}"]
            content, named, seated = await events.attendees_csv(args.event_id)
            await _audited(db, "event attendees", str(args.event_id))
            args.csv.write_bytes(content)
            return 0, [
                f"wrote {named} of {seated} attendees (those who shared their name) to {args.csv}"
            ]

    code, lines = asyncio.run(act())
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    """Render one partner's digest of one week to a self-contained HTML file."""
    from datetime import UTC, datetime

    from bot.features.digests.flow import DigestFlow
    from bot.features.digests.service import DigestService
    from bot.features.entrepreneurs.report import CandidateReport
    from bot.features.partners.service import PartnerService
    from bot.features.surveys.definitions import Surveys
    from bot.reference import Reference
    from bot.shared.schedule import last_full_week, week_bounds
    from bot.storage.database import opened
    from nlp.taxonomy import taxonomy

    _configure_logging("WARNING")
    week = args.week or last_full_week(datetime.now(UTC), settings.tz)
    try:
        week_bounds(week, settings.tz)
    except (ValueError, OverflowError) as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    reference = Reference.load(settings.data_dir)
    definitions = Surveys.load(settings.data_dir / "surveys")
    k = settings.anonymity_k

    async def render() -> str | None:
        async with opened(settings.database_path) as db:
            partners = PartnerService(db, reference)
            partner = await partners.get(args.partner)
            if partner is None:
                return None
            digests = DigestService(
                db, k, settings.tz, definitions, reference, CandidateReport(db, k)
            )
            flow = DigestFlow(partners, digests, reference, taxonomy(), k)
            return await flow.html_page(partner, await digests.figures(partner, week))

    page = asyncio.run(render())
    if page is None:
        print(f"échoppe: no partner {args.partner} (see `bot.py partner list`)", file=sys.stderr)
        return 2
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote the digest of {week} for partner {args.partner} to {args.out}")
    return 0


def _partner(args: argparse.Namespace, settings: Settings) -> int:
    """Invite, list or revoke partners from the command line."""
    from datetime import timedelta

    from bot.features.partners.service import PartnerError, PartnerService
    from bot.reference import Reference
    from bot.storage.database import opened

    _configure_logging("WARNING")
    reference = Reference.load(settings.data_dir)

    async def act() -> list[str]:
        async with opened(settings.database_path) as db:
            service = PartnerService(db, reference)
            if args.partner_command != "list":
                await _audited(
                    db,
                    f"partner {args.partner_command}",
                    str(vars(args).get("partner_id") or vars(args).get("name") or ""),
                )
            if args.partner_command == "list":
                return [
                    f"{p.id}\t{p.name}\t{','.join(p.territories)}"
                    f"\t{','.join(p.cores) or 'all cores'}\t{p.email or '-'}"
                    f"\t{'revoked ' + p.revoked_at[:10] if p.revoked_at else 'active'}"
                    for p in await service.all()
                ] or ["no partners yet"]
            if args.partner_command == "email":
                await service.set_email(args.partner_id, None if args.clear else args.address)
                target = "no e-mail" if args.clear else args.address
                return [f"partner {args.partner_id}: {target}"]
            if args.partner_command == "revoke":
                done = await service.revoke(args.partner_id)
                return [f"partner {args.partner_id} revoked" if done else "nothing to revoke"]
            partner_id = args.partner
            if partner_id is None:
                partner = await service.create(
                    name=args.name,
                    territories=args.territory,
                    cores=args.core,
                    email=args.email,
                    language=args.lang,
                    created_by="cli",
                )
                partner_id = partner.id
            invitation = await service.invite(
                partner_id, created_by="cli", valid_for=timedelta(days=args.days)
            )
            return [
                f"partner {partner_id}: {invitation.partner.name}",
                f"single-use link, valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC:",
                invitation.link(settings.bot_username),
                "or, to bind a group of the partner's team (adds the bot to the group):",
                invitation.group_link(settings.bot_username),
            ]

    try:
        print("\n".join(asyncio.run(act())))
    except PartnerError as exc:
        print(f"échoppe: {exc}", file=sys.stderr)
        return 2
    return 0
