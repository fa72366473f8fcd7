"""Links into the bot: start arguments, short codes, and what each channel's link holds."""

from __future__ import annotations

from bot.app.links import entry_links
from bot.config import Settings
from bot.features.reach.links import (
    CORE_CAMPAIGNS,
    Campaign,
    EntryLinks,
    EntryPoint,
    parse_start_arg,
    short_code,
    start_arg,
)
from bot.reference import Reference


def _settings(**extra: object) -> Settings:
    return Settings(_env_file=None, **extra)  # type: ignore[call-arg]


def test_a_start_argument_names_the_core_and_the_campaign_and_nothing_else() -> None:
    arg = start_arg("bru_galeries_saint_hubert", Campaign.NEWSLETTER)
    assert arg == "core_bru_galeries_saint_hubert-newsletter" and len(arg) <= 64
    assert parse_start_arg(arg) == ("bru_galeries_saint_hubert", Campaign.NEWSLETTER)
    assert parse_start_arg("core_les_ogy") == ("les_ogy", None)
    # A campaign this version does not know keeps the core (links outlive code changes).
    assert parse_start_arg("core_les_ogy-radio") == ("les_ogy", None)
    for odd in ("", "les_ogy", "core_", "core_Les_Ogy", "core_les_ogy-poster-x", "core_a b"):
        assert parse_start_arg(odd) is None, odd


def test_every_way_in_has_its_own_short_code_that_leads_back_to_it(reference: Reference) -> None:
    links = entry_links(
        _settings(
            bot_username="echoppe_bot",
            whatsapp_number="32460000000",
            public_url="https://echoppe.example.be/",
        ),
        reference,
    )
    cores = [c.id for t in reference.territories.values() for c in t.cores]
    seen = set()
    for channel in ("whatsapp", "telegram"):
        for core in cores:
            for campaign in CORE_CAMPAIGNS:
                entry = EntryPoint(channel, core, campaign)
                code = short_code(entry)
                assert links.resolve(code) == entry
                assert links.short_url(entry) == f"https://echoppe.example.be/go/{code}"
                seen.add(code)
    assert len(seen) == 2 * len(cores) * len(CORE_CAMPAIGNS)
    assert links.resolve("0000oo") is None and links.resolve("../etc") is None


def test_each_channels_link_carries_the_start_argument(reference: Reference) -> None:
    links = entry_links(
        _settings(bot_username="@echoppe_bot", whatsapp_number="+32 460 00 00 00"), reference
    )
    assert links.channels == ("whatsapp", "telegram")
    poster = EntryPoint("telegram", "bru_flagey", Campaign.POSTER)
    assert links.url(poster) == "https://t.me/echoppe_bot?start=core_bru_flagey-poster"
    card = EntryPoint("whatsapp", "les_ogy", Campaign.COUNTER)
    assert links.url(card, "nl") == (
        "https://wa.me/32460000000?text=Hallo%20%C3%89choppe%21%20%F0%9F%91%8B"
        "%20%28core_les_ogy-counter%29"
    )
    assert links.short_url(card) is None  # no public address configured


def test_only_configured_channels_get_links(reference: Reference) -> None:
    assert entry_links(_settings(), reference).channels == ()
    assert entry_links(_settings(whatsapp_number="32460000000"), reference).channels == (
        "whatsapp",
    )
    assert isinstance(entry_links(_settings(), reference), EntryLinks)
