"""The operator's commands, run as real processes: demo over stdin, run with SIGTERM."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli import main
from bot.emulator import BotApiEmulator, FakeUser
from bot.i18n import translate
from bot.storage import CONSENT_VERSION
from nlp.taxonomy import taxonomy
from tests.bot_process import clean_env
from tests.support import Phone

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    return clean_env(**{"ECHOPPE_HTTP_PORT": "0", **extra})  # any free port


def test_demo_completes_onboarding_from_scripted_stdin(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    # 1 = accept; 1 = shopkeeper; 2 = Lessines; 1 = first core; 1 = first sector.
    script = "1\n1\n2\n1\n1\n/profile\n:quit\n"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "demo", "--database", str(database), "--fresh"],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr
    assert translate("fr", "role.question") in done.stdout
    assert "🎉" in done.stdout and "Lessines" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT role, territory_id, core_id, sector_id, step FROM users"
        ).fetchone()
    assert row[0] == "shopkeeper" and row[1] == "lessines" and row[4] == "done"
    assert row[2].startswith("les_") and row[3]


async def _start_bot(emu: BotApiEmulator, database: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "run",
        env=_env(
            ECHOPPE_TELEGRAM_TOKEN="42:any-token",
            ECHOPPE_TELEGRAM_BASE_URL=emu.base_url,
            ECHOPPE_DATABASE_PATH=str(database),
            ECHOPPE_TELEGRAM_MAX_RATE="0",
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_serves_users_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "run.sqlite3"
    async with BotApiEmulator() as emu:
        phone = Phone(emu, FakeUser(id=9001, language_code="en"), timeout=60)
        bot = await _start_bot(emu, database)
        await phone.send("/start", until="Welcome")
        await phone.tap("I agree", until=translate("en", "role.question"))
        # Two actions arrive, and the stop signal right behind them.
        message_id, data = phone.find_button("Business coach")
        emu.press_button(phone.user, message_id, data)
        emu.send_text(phone.user, "/help")
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), timeout=60)
        assert bot.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
        # Whatever was not finished before the stop is served by the next start.
        again = await _start_bot(emu, database)
        try:
            # Updates of one chat are handled in order: once this answer is out, all are.
            await phone.send("/profile", until=translate("en", "profile.finish_first"))
            assert emu.pending_update_count() <= 1
        finally:
            again.send_signal(signal.SIGTERM)
            await asyncio.wait_for(again.communicate(), timeout=60)
        assert again.returncode == 0
    with sqlite3.connect(database) as conn:
        role, step = conn.execute(
            "SELECT role, step FROM users WHERE external_id = '9001'"
        ).fetchone()
    assert (role, step) == ("coach", "territory")
    texts = [m["text"] for m in emu.messages(9001)]
    assert any(translate("en", "help.text")[:10] in t for t in texts)
    # Once after the coach tap, once more under /profile's "let's finish first".
    assert sum(translate("en", "territory.question") in t for t in texts) == 2


def test_survey_launch_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(database))
    assert main(["survey", "launch", "no_such_survey"]) == 2
    assert "no survey 'no_such_survey'" in capsys.readouterr().err
    assert main(["survey", "launch", "monthly_pulse", "--territory", "atlantis"]) == 2
    assert "unknown territory 'atlantis'" in capsys.readouterr().err
    # One onboarded shopkeeper in Lessines: the wave invites exactly them.
    now = "2026-11-27T10:00:00.000+00:00"
    assert main(["migrate"]) == 0
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO users (channel, external_id, language, role, territory_id, core_id,"
            " sector_id, step, consent_at, consent_version, created_at, updated_at) VALUES"
            " ('telegram', '77', 'fr', 'shopkeeper', 'lessines', 'les_ogy', 'bakery', 'done',"
            f" ?, '{CONSENT_VERSION}', ?, ?)",
            (now, now, now),
        )
    assert main(["survey", "launch", "monthly_pulse", "--core", "bru_flagey", "--dry-run"]) == 0
    assert "0 people would be invited" in capsys.readouterr().out
    assert main(["survey", "launch", "monthly_pulse", "--territory", "lessines"]) == 0
    assert "1 people invited" in capsys.readouterr().out
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT user_id, sent_at FROM survey_invitations").fetchall()
    assert len(rows) == 1 and rows[0][1] is None  # the running bot's job sends it


def test_a_broken_survey_stops_start_up_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    source = Path(__file__).resolve().parent.parent / "data"
    for name in ("territories", "resources", "surveys"):
        shutil.copytree(source / name, data / name)
    shutil.copy(source / "sectors.yaml", data / "sectors.yaml")
    pulse = data / "surveys" / "monthly_pulse.yaml"
    pulse.write_text(pulse.read_text(encoding="utf-8").replace("max: 3", "max: 30"), "utf-8")
    monkeypatch.setenv("ECHOPPE_DATA_DIR", str(data))
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("ECHOPPE_TELEGRAM_TOKEN", "1:x")
    monkeypatch.setenv("ECHOPPE_TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert "monthly_pulse.yaml:" in err[0] and "questions.0.max" in err[0]


def test_partner_invite_list_and_revoke_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("ECHOPPE_BOT_USERNAME", "echoppe_bot")
    assert main(["partner", "invite", "--name", "ADL", "--territory", "atlantis"]) == 2
    assert "unknown territory 'atlantis'" in capsys.readouterr().err
    args = ["partner", "invite", "--name", "ADL Lessines", "--territory", "lessines"]
    assert main([*args, "--email", "adl@example.org"]) == 0
    out = capsys.readouterr().out
    assert "https://t.me/echoppe_bot?start=partner_" in out
    assert main(["partner", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ADL Lessines\tlessines\tall cores\tadl@example.org\tactive" in listed
    assert main(["partner", "email", "1", "bad address"]) == 2
    assert "not an e-mail address" in capsys.readouterr().err
    assert main(["partner", "email", "1", "veille@adl.example.org"]) == 0
    assert main(["partner", "list"]) == 0
    assert "\tveille@adl.example.org\t" in capsys.readouterr().out
    assert main(["partner", "email", "1", "--clear"]) == 0
    assert main(["partner", "list"]) == 0
    assert "all cores\t-\tactive" in capsys.readouterr().out
    assert main(["partner", "revoke", "1"]) == 0
    assert main(["partner", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["partner", "email", "1", "a@b.be"]) == 2  # revoked: nothing to change


def test_digest_renders_a_partner_s_week_to_an_html_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(database))
    monkeypatch.setenv("ECHOPPE_ANONYMITY_K", "2")
    out = tmp_path / "digest.html"
    assert main(["partner", "invite", "--name", "ADL", "--territory", "lessines"]) == 0
    # Two Lessines shopkeepers raised roadworks on Wednesday of 2026-W48.
    at = "2026-11-25T10:00:00.000+00:00"
    with sqlite3.connect(database) as conn:
        for i in (1, 2):
            conn.execute(
                "INSERT INTO users (id, channel, external_id, language, role, territory_id,"
                " core_id, sector_id, step, consent_at, consent_version, created_at, updated_at)"
                " VALUES (?, 'telegram', ?, 'fr', 'shopkeeper', 'lessines', 'les_ogy', 'bakery',"
                " 'done', ?, 'v', ?, ?)",
                (i, str(i), at, at, at),
            )
            conn.execute(
                "INSERT INTO concerns (id, user_id, text, lang, status, predicted, draft,"
                " text_hash, created_at, confirmed_at) VALUES (?, ?, 't', 'fr', 'confirmed',"
                " '[]', '[]', ?, ?, ?)",
                (i, i, f"h{i}", at, at),
            )
            conn.execute(
                "INSERT INTO concern_factors (concern_id, factor, user_id, core_id, territory_id,"
                " role, confirmed_at) VALUES (?, 'roadworks', ?, 'les_ogy', 'lessines',"
                " 'shopkeeper', ?)",
                (i, i, at),
            )
    capsys.readouterr()
    assert main(["digest", "--partner", "1", "--week", "2026-W48", "--out", str(out)]) == 0
    assert "2026-W48" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "ADL · 2026-W48" in page and taxonomy().get("roadworks").title("fr") in page
    assert 'src="data:image/png;base64,' in page
    # The week after: nothing from W48 shows.
    assert main(["digest", "--partner", "1", "--week", "2026-W49", "--out", str(out)]) == 0
    assert taxonomy().get("roadworks").title("fr") not in out.read_text(encoding="utf-8")
    assert main(["digest", "--partner", "9", "--week", "2026-W48", "--out", str(out)]) == 2
    assert "no partner 9" in capsys.readouterr().err
    assert main(["digest", "--partner", "1", "--week", "48", "--out", str(out)]) == 2
    assert "2026-W48" in capsys.readouterr().err


def test_broadcast_and_event_commands_from_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(database))
    assert main(["migrate"]) == 0
    now = "2026-11-27T10:00:00.000+00:00"
    with sqlite3.connect(database) as conn:
        for i, territory, core in ((1, "lessines", "les_ogy"), (2, "brussels", "bru_flagey")):
            conn.execute(
                "INSERT INTO users (id, channel, external_id, language, role, territory_id,"
                " core_id, sector_id, step, consent_at, consent_version, created_at, updated_at)"
                " VALUES (?, 'telegram', ?, 'fr', 'shopkeeper', ?, ?, 'bakery', 'done', ?, ?,"
                " ?, ?)",
                (i, str(i), territory, core, now, CONSENT_VERSION, now, now),
            )
    capsys.readouterr()
    new = ["broadcast", "new", "--text", "Séance d'info"]
    assert main([*new, "--territory", "lessines", "--dry-run"]) == 0
    assert "1 people would get it" in capsys.readouterr().out
    for wrong, says in (
        (["--territory", "atlantis"], "unknown territory"),
        (["--days", "0", "--factor", "roadworks"], "--days"),
        (["--at", "2001-01-01 10:00"], "in the past"),
        (["--at", "tomorrow"], "YYYY-MM-DD HH:MM"),
        (["--photo", str(tmp_path / "none.png")], "no such file"),
    ):
        assert main([*new, *wrong]) == 2, wrong
        assert says in capsys.readouterr().err
    assert main(["broadcast", "list"]) == 0
    assert "no broadcasts yet" in capsys.readouterr().out  # nothing refused was stored
    assert main([*new, "--at", "2099-01-01 10:00"]) == 0
    assert "scheduled at 2099-01-01 10:00" in capsys.readouterr().out
    assert main(["broadcast", "pause", "1"]) == 0
    assert main(["broadcast", "resume", "1"]) == 0
    assert main(["broadcast", "cancel", "1"]) == 0
    assert main(["broadcast", "resume", "1"]) == 0
    assert "refused" in capsys.readouterr().out.splitlines()[-1]
    assert main(["broadcast", "list"]) == 0
    assert "1\tcancelled\t2099-01-01T09:00" in capsys.readouterr().out

    assert main(["event", "list"]) == 0
    assert "no upcoming events" in capsys.readouterr().out
    assert main(["event", "attendees", "7", "--csv", str(tmp_path / "a.csv")]) == 2
    assert "no event 7" in capsys.readouterr().err


async def test_run_with_a_token_telegram_refuses_stops_with_one_line(tmp_path: Path) -> None:
    async def refuse(_request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            "run",
            env=_env(
                ECHOPPE_TELEGRAM_TOKEN="42:refused-secret-token",
                ECHOPPE_TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
                ECHOPPE_DATABASE_PATH=str(tmp_path / "refused.sqlite3"),
            ),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(bot.communicate(), timeout=60)
    finally:
        await runner.cleanup()
    output = (stdout + stderr).decode()
    assert bot.returncode == 2, output
    assert "refused the bot token" in output
    assert "refused-secret-token" not in output and "Traceback" not in output
    assert "Unclosed" not in output


def test_demo_on_whatsapp_shows_lists_and_buttons_as_whatsapp_does(tmp_path: Path) -> None:
    database = tmp_path / "wa-demo.sqlite3"
    # 1 = accept; 1 = shopkeeper; 2 = Lessines; 1 = first core; 1 = first sector; the menu.
    script = "1\n1\n2\n1\n1\nmenu\n:quit\n"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bot.py"),
            "demo",
            "--channel",
            "whatsapp",
            "--database",
            str(database),
            "--fresh",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr
    assert "☰ " in done.stdout and translate("fr", "menu.body") in done.stdout
    assert "🎉" in done.stdout and "Traceback" not in done.stdout + done.stderr
    with sqlite3.connect(database) as conn:
        channel, step = conn.execute("SELECT channel, step FROM users").fetchone()
    assert (channel, step) == ("whatsapp", "done")


def test_export_corrections_keeps_peoples_words_out_of_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    inside = ROOT / "data" / "corrections.jsonl"
    assert main(["export-corrections", "--output", str(inside)]) == 2
    assert "out of the repository" in capsys.readouterr().err and not inside.exists()
    outside = tmp_path / "corrections.jsonl"
    assert main(["export-corrections", "--output", str(outside)]) == 0
    assert "wrote 0 labelled messages" in capsys.readouterr().out and outside.exists()


def test_train_with_corrections_refuses_a_model_inside_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "c.jsonl"
    export.write_text(
        '{"id": "field-1", "lang": "fr", "text": "le loyer", "labels": ["rent_premises"]}\n',
        encoding="utf-8",
    )
    args = ["train", "--with-corrections", str(export), "--output", str(ROOT / "data" / "m")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "out of the repository" in err and "Traceback" not in err
    assert main(["train", "--variants", "nonesuch"]) == 2


def test_train_help_names_every_classifier_variant() -> None:
    from bot.cli import _parser
    from nlp.train import VARIANTS

    parser = _parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    train = commands.choices["train"]  # type: ignore[index]
    variants = next(a for a in train._actions if a.dest == "variants")
    listed = variants.help.split("from: ", 1)[1].split(" ", 1)[0].split(",")  # type: ignore[union-attr]
    assert listed == list(VARIANTS)
