"""Posters and counter cards, read back: A4 and A6, their text, and QR codes a phone can read."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from bot.app.links import entry_links
from bot.cli import main
from bot.config import Settings
from bot.features.reach.links import Campaign, EntryLinks, parse_start_arg
from bot.features.reach.posters import render_poster
from bot.i18n import translate
from bot.reference import Reference
from tests.features.reach.poster_reader import read_poster

PUBLIC = "https://echoppe.example.be"


def _links(reference: Reference) -> EntryLinks:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_username="echoppe_bot",
        whatsapp_number="32460000000",
        public_url=PUBLIC,
    )
    return entry_links(settings, reference)


def _tag(url: str) -> tuple[str, Campaign | None] | None:
    """Return the core and campaign a QR code's link carries, as the bot will read them."""
    query = parse_qs(urlparse(url).query)
    if "start" in query:
        return parse_start_arg(query["start"][0])
    text = unquote(query["text"][0])
    return parse_start_arg(text[text.rindex("(") + 1 : text.rindex(")")])


def test_an_a4_poster_in_french_and_dutch_with_two_readable_qr_codes(
    reference: Reference,
) -> None:
    links = _links(reference)
    core = reference.core("bru_flagey")
    assert core is not None
    poster = read_poster(render_poster(links, core, ("fr", "nl")))
    assert round(poster.width_mm) == 210 and round(poster.height_mm) == 297
    assert poster.fonts_embedded
    for lang in ("fr", "nl"):
        assert translate(lang, "poster.title") in poster.text
        assert translate(lang, "poster.pitch")[:60] in poster.text
        assert translate(lang, "poster.privacy") in poster.text
    assert "Place Flagey" in poster.text and "Flageyplein" in poster.text
    assert translate("en", "poster.title") not in poster.text
    # One code per app, each tagged with the core and "poster", each with its short address.
    assert sorted(urlparse(url).netloc for url in poster.qr_codes) == ["t.me", "wa.me"]
    for url in poster.qr_codes:
        assert _tag(url) == ("bru_flagey", Campaign.POSTER)
    for channel in ("whatsapp", "telegram"):
        entry = next(
            e
            for code in _short_codes(poster.text)
            if (e := links.resolve(code)) is not None and e.channel == channel
        )
        assert (entry.core_id, entry.campaign) == ("bru_flagey", Campaign.POSTER)


def test_an_a6_counter_card_in_french_is_tagged_as_such(reference: Reference) -> None:
    core = reference.core("les_ogy")
    assert core is not None
    card = read_poster(render_poster(_links(reference), core, ("fr",), card=True))
    assert round(card.width_mm) == 105 and round(card.height_mm) == 148
    assert translate("fr", "poster.card_pitch")[:40] in card.text
    assert translate("nl", "poster.title") not in card.text
    assert len(card.qr_codes) == 2
    assert {_tag(url) for url in card.qr_codes} == {("les_ogy", Campaign.COUNTER)}


def _short_codes(text: str) -> list[str]:
    prefix = PUBLIC.removeprefix("https://") + "/go/"
    return [word.removeprefix(prefix) for word in text.split() if word.startswith(prefix)]


def test_the_posters_command_writes_a_poster_and_a_card_per_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("ECHOPPE_WHATSAPP_NUMBER", "32460000000")
    out = tmp_path / "posters"
    args = ["posters", "--territory", "lessines", "--out", str(out)]
    # Without the public address there would be nothing to print under the codes.
    assert main(args) == 2
    assert "ECHOPPE_PUBLIC_URL" in capsys.readouterr().err
    monkeypatch.setenv("ECHOPPE_PUBLIC_URL", PUBLIC)
    assert main([*args, "--lang", "de"]) == 2
    assert "--lang" in capsys.readouterr().err
    assert main(["posters", "--territory", "atlantis", "--out", str(out)]) == 2
    assert not out.exists()  # nothing written on a refusal
    assert main([*args, "--core", "les_ogy", "--lang", "fr+nl"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["les_ogy-card.pdf", "les_ogy-poster.pdf"]
    poster = read_poster((out / "les_ogy-poster.pdf").read_bytes())
    # Only WhatsApp is configured here: one code.
    assert [urlparse(url).netloc for url in poster.qr_codes] == ["wa.me"]
    assert translate("nl", "poster.title") in poster.text
    assert main(args) == 0
    assert len(list(out.iterdir())) == 2 * 8  # Lessines and its seven villages


def test_the_links_command_prints_a_cores_links_for_a_campaign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("ECHOPPE_WHATSAPP_NUMBER", "32460000000")
    monkeypatch.setenv("ECHOPPE_BOT_USERNAME", "echoppe_bot")
    monkeypatch.setenv("ECHOPPE_PUBLIC_URL", PUBLIC)
    args = ["links", "--core", "bru_flagey", "--campaign"]
    assert main([*args, "radio"]) == 2
    assert "--campaign" in capsys.readouterr().err
    assert main(["links", "--core", "atlantis", "--campaign", "session"]) == 2
    assert "unknown core" in capsys.readouterr().err
    assert main([*args, "newsletter", "--lang", "nl"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [line[0] for line in lines] == ["whatsapp", "telegram"]
    for _, url, short in lines:
        assert _tag(url) == ("bru_flagey", Campaign.NEWSLETTER)
        assert short.startswith(f"{PUBLIC}/go/")
