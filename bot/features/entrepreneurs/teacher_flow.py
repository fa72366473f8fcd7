"""What a teacher sees: for their school only, two counts, each hidden under k."""

from __future__ import annotations

from bot.channels.base import IncomingMessage, Outcome, Reply
from bot.features.entrepreneurs.candidates_store import CandidateRepository, TeacherRepository
from bot.features.entrepreneurs.store import RegistryRepository
from bot.i18n import Translator
from bot.shared.access import unknown_command
from bot.shared.gate import nested
from bot.shared.routes import Command, FlowRoutes, known
from bot.storage import Database, User


class TeacherFlow:
    """Answer /myschool for registered teachers; everyone else gets "unknown command"."""

    def __init__(self, db: Database, anonymity_k: int) -> None:
        self._teachers = TeacherRepository(db)
        self._candidates = CandidateRepository(db)
        self._schools = RegistryRepository(db)
        self._k = anonymity_k

    def routes(self) -> FlowRoutes:
        """Declare /myschool."""
        return FlowRoutes(
            "teacher",
            commands=(Command("myschool", self.on_command),),
        )

    async def on_command(self, user: User | None, _msg: IncomingMessage, lang: str) -> Outcome:
        """Show the counts of each school the person teaches at."""
        person = known(user)
        t = Translator(lang)
        codes = await self._teachers.schools_of(person.id)
        if not codes:
            return Outcome((unknown_command(t),))
        blocks = []
        for code in codes:
            joined = await self._candidates.pupils(code)
            asked = await self._candidates.pupils_asking(code)
            # Those who asked are among those who joined: the gap must not be a small group.
            shown_asked, shown_joined = nested([asked, joined], self._k)
            hidden = t("school.hidden", k=self._k)
            blocks.append(
                t(
                    "school.counts",
                    school=await self._schools.name(code) or code,
                    joined=hidden if shown_joined is None else shown_joined,
                    asked=hidden if shown_asked is None else shown_asked,
                )
            )
        return Outcome((Reply("\n\n".join(blocks) + "\n\n" + t("school.privacy")),))
