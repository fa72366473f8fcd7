"""Schools and venues: registered with checked input, listed, removed; a refusal stores nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.features.entrepreneurs.registry import Registry, RegistryError
from bot.reference import Reference
from bot.storage import Database, Role
from bot.storage.database import opened
from tests.features.entrepreneurs.test_routing import person


async def test_schools_are_registered_once_under_a_short_code(
    db: Database, reference: Reference
) -> None:
    registry = Registry(db, reference)
    school = await registry.add_school(" Ath-1 ", "Athénée Exemple", "lessines", "test")
    assert (school.code, school.name, school.territory_id) == (
        "ath-1",
        "Athénée Exemple",
        "lessines",
    )
    for code, name, territory, why in (
        ("ath-1", "Another", "lessines", "taken"),
        ("a", "Too short", "lessines", "code"),
        ("no spaces", "Spaces", "lessines", "code"),
        ("ok-2", "", "lessines", "empty"),
        ("ok-3", "x" * 81, "lessines", "over 80"),
        ("ok-4", "Nowhere", "atlantis", "unknown territory"),
    ):
        with pytest.raises(RegistryError, match=why):
            await registry.add_school(code, name, territory, "test")
    assert [s.code for s in await registry.schools()] == ["ath-1"]
    assert await registry.remove_school("ATH-1")
    assert not await registry.remove_school("ath-1")
    assert await registry.schools() == []
    # A removed school's code stays taken: its past pupils' records still point to it.
    with pytest.raises(RegistryError, match="taken"):
        await registry.add_school("ath-1", "Athénée Exemple", "lessines", "test")


async def test_venues_per_territory(db: Database, reference: Reference) -> None:
    registry = Registry(db, reference)
    room = await registry.add_venue("lessines", "Salle Exemple", "Grand-Place 1, Lessines", "t")
    await registry.add_venue("brussels", "Espace Exemple", "Rue Exemple 2, Ixelles", "t")
    assert [v.name for v in await registry.venues("lessines")] == ["Salle Exemple"]
    assert len(await registry.venues()) == 2
    with pytest.raises(RegistryError, match="address"):
        await registry.add_venue("lessines", "Sans adresse", "  ", "t")
    assert await registry.remove_venue(room.id) and not await registry.remove_venue(room.id)
    assert [v.territory_id for v in await registry.venues()] == ["brussels"]


def test_the_school_and_venue_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    assert main(["school", "list"]) == 0
    assert "no schools yet" in capsys.readouterr().out
    add = ["school", "add", "--code", "ecole-x", "--name", "École X", "--territory"]
    assert main([*add, "atlantis"]) == 2
    assert "unknown territory" in capsys.readouterr().err
    assert main([*add, "lessines"]) == 0
    assert main(["school", "list"]) == 0
    assert "ecole-x\tÉcole X\tlessines" in capsys.readouterr().out
    assert main(["school", "remove", "ecole-x"]) == 0
    assert "removed" in capsys.readouterr().out
    venue = ["venue", "add", "--territory", "lessines", "--name", "Salle", "--address"]
    assert main([*venue, "Grand-Place 1"]) == 0
    assert main(["venue", "list", "--territory", "lessines"]) == 0
    assert "lessines\tSalle\tGrand-Place 1" in capsys.readouterr().out


def test_coaches_from_the_shell(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("ECHOPPE_DATABASE_PATH", str(path))

    async def onboarded() -> None:
        async with opened(path) as db:
            await person(db, "000123", Role.COACH)

    asyncio.run(onboarded())
    assert main(["coach", "list"]) == 0
    assert "no coaches yet" in capsys.readouterr().out
    # Refused, nothing stored: nobody by that number, an unknown territory or speciality.
    for bad, why in (
        (["whatsapp:32470009999", "--territory", "lessines"], "Nobody signed up"),
        (["whatsapp:32470000123", "--territory", "atlantis"], "Unknown territories"),
        (
            ["whatsapp:32470000123", "--territory", "lessines", "--specialities", "magic"],
            "Unknown specialities",
        ),
    ):
        assert main(["coach", "add", *bad]) == 2
        assert why in capsys.readouterr().err
    assert main(["coach", "add", "--territory", "lessines"]) == 2
    assert "name the person" in capsys.readouterr().err
    assert main(["coach", "list"]) == 0
    assert "no coaches yet" in capsys.readouterr().out
    add = ["coach", "add", "--person", "whatsapp:+32 470 00 01 23", "--name", "Anne (ADL)"]
    assert main([*add, "--territories", "lessines", "--specialities", "plan,legal"]) == 0
    assert main(["coach", "list"]) == 0
    assert "whatsapp:32470000123\tAnne (ADL)\tlessines\tlegal,plan" in capsys.readouterr().out
    assert main(["coach", "remove", "whatsapp:32470000123"]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["coach", "list"]) == 0
    assert "no coaches yet" in capsys.readouterr().out
