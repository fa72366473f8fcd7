"""Let admins register schools, venues and teachers from the chat (/school, /venue, /teacher)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.candidates_store import TeacherRepository
from bot.features.entrepreneurs.links import school_start_arg
from bot.features.entrepreneurs.people import parse_person
from bot.features.entrepreneurs.registry import Registry, RegistryError
from bot.features.reach.links import EntryLinks
from bot.features.reach.posters import channel_name, invitation_card
from bot.i18n import Translator
from bot.shared.routes import FlowRoutes, admin_routes
from bot.storage import Database, Role, UserRepository

PREFIX = "ra"


class RegistryAdminFlow:
    """Answer /school, /venue and /teacher for admins."""

    def __init__(self, db: Database, registry: Registry, links: Callable[[], EntryLinks]) -> None:
        self._db = db
        self._registry = registry
        self._links = links
        self._teachers = TeacherRepository(db)
        self._users = UserRepository(db)

    def routes(self) -> FlowRoutes:
        """Declare the admins' registry commands."""
        commands = ("school", "venue", "teacher")
        return admin_routes("registry_admin", commands, PREFIX, self.on_command, self.on_button)

    async def on_button(self, _msg: IncomingMessage, lang: str) -> Outcome:
        """No buttons: an old tap is stale."""
        return Outcome(notice=Translator(lang)("button.stale"))

    async def on_command(self, msg: IncomingMessage, lang: str) -> Outcome:
        """Route /school, /venue or /teacher with its words."""
        t = Translator(lang)
        words = msg.args.split()
        by = f"{msg.channel}:{msg.user_ref}"
        command = msg.command.lower()
        try:
            if command == "school":
                return await self._school(t, words, by)
            if command == "venue":
                return await self._venue(t, msg.args.strip(), by)
            return await self._teacher(t, words, by)
        except RegistryError as exc:
            # The registry's reasons are for operators; admins get them as they are.
            return Outcome((Reply(t("admin.registry_refused", reason=str(exc))),))

    async def _school(self, t: Translator, words: list[str], by: str) -> Outcome:
        if not words:
            schools = await self._registry.schools()
            if not schools:
                return Outcome((Reply(t("admin.school_none") + "\n\n" + t("admin.school_usage")),))
            lines = [f"• {s.code}: {s.name} ({s.territory_id})" for s in schools]
            return Outcome((Reply(t("admin.school_list", schools="\n".join(lines))),))
        action = words[0].lower()
        if action == "add" and len(words) >= 4:
            school = await self._registry.add_school(words[1], " ".join(words[3:]), words[2], by)
            return Outcome(
                (Reply(t("admin.school_added", code=school.code, name=school.name)),)
                + await self._school_links(t, school.code)
            )
        if action == "remove" and len(words) == 2:
            done = await self._registry.remove_school(words[1])
            key = "admin.school_removed" if done else "admin.school_unknown"
            return Outcome((Reply(t(key, code=words[1][:20])),))
        if action == "qr" and len(words) == 2:
            code = words[1].lower()
            if code not in {s.code for s in await self._registry.schools()}:
                return Outcome((Reply(t("admin.school_unknown", code=code[:20])),))
            return Outcome(await self._school_links(t, code))
        return Outcome((Reply(t("admin.school_usage")),))

    async def _school_links(self, t: Translator, code: str) -> tuple[Reply, ...]:
        """Return a school's links and a picture of their QR codes."""
        links = self._links()
        if not links.channels:
            return (Reply(t("admin.poster_no_links")),)
        codes = [
            (channel_name(channel), links.link(channel, school_start_arg(code), t.lang))
            for channel in links.channels
        ]
        card = await asyncio.to_thread(invitation_card, codes)
        text = "\n".join(f"{name}: {url}" for name, url in codes)
        return (
            Reply(t("admin.school_links", code=code, links=text)),
            Reply(t("admin.school_qr", code=code), image=card),
        )

    async def _venue(self, t: Translator, args: str, by: str) -> Outcome:
        words = args.split()
        if not words:
            venues = await self._registry.venues()
            if not venues:
                return Outcome((Reply(t("admin.venue_none") + "\n\n" + t("admin.venue_usage")),))
            lines = [f"• {v.id}: {v.name}, {v.address} ({v.territory_id})" for v in venues]
            return Outcome((Reply(t("admin.venue_list", venues="\n".join(lines))),))
        action = words[0].lower()
        if action == "add" and len(words) >= 3 and "|" in args:
            rest = args.split(None, 2)[2]
            name, _, address = rest.partition("|")
            venue = await self._registry.add_venue(words[1], name, address, by)
            return Outcome(
                (Reply(t("admin.venue_added", id=venue.id, name=venue.name)),),
            )
        if action == "remove" and len(words) == 2 and words[1].isdigit():
            done = await self._registry.remove_venue(int(words[1]))
            key = "admin.venue_removed" if done else "admin.venue_unknown"
            return Outcome((Reply(t(key, id=words[1][:12])),))
        return Outcome((Reply(t("admin.venue_usage")),))

    async def _teacher(self, t: Translator, words: list[str], by: str) -> Outcome:
        if not words:
            rows = await self._teachers.listed()
            if not rows:
                return Outcome(
                    (Reply(t("admin.teacher_none") + "\n\n" + t("admin.teacher_usage")),)
                )
            lines = [f"• {code}: {channel}:{ref}" for code, _, channel, ref in rows]
            return Outcome((Reply(t("admin.teacher_list", teachers="\n".join(lines))),))
        action = words[0].lower()
        if action not in ("add", "remove") or len(words) != 3:
            return Outcome((Reply(t("admin.teacher_usage")),))
        code, person = words[1].lower(), parse_person(words[2])
        if code not in {s.code for s in await self._registry.schools()}:
            return Outcome((Reply(t("admin.school_unknown", code=code[:20])),))
        user = await self._users.get(*person) if person else None
        if user is None or not user.onboarded:
            return Outcome((Reply(t("admin.person_unknown", who=words[2][:40])),))
        async with self._db.transaction():
            if action == "remove":
                done = await self._teachers.remove(user.id, code)
                key = "admin.teacher_removed" if done else "admin.teacher_not_there"
                return Outcome((Reply(t(key, code=code)),))
            if user.role is not Role.RESEARCHER:
                return Outcome((Reply(t("admin.teacher_role")),))
            added = await self._teachers.add(user.id, code, by)
        key = "admin.teacher_added" if added else "admin.teacher_already"
        return Outcome((Reply(t(key, code=code)),))
