"""The candidate path's use cases: start a project, answer its questions, leave it."""

from __future__ import annotations

from enum import StrEnum

from bot.features.entrepreneurs.candidates_store import Candidate, CandidateRepository
from bot.features.entrepreneurs.store import RegistryRepository
from bot.reference import Reference
from bot.shared.text import clean_text
from bot.storage import Database, Role, User, utcnow

MAX_ACTIVITY = 120
MAX_DESCRIPTION = 1500
STAGES = ("idea", "plan", "ready")
SCHOOL_YEARS = ("5", "6", "7", "other")


class Step(StrEnum):
    """The project's questions, in the order they are asked."""

    ACTIVITY = "activity"
    SECTOR = "sector"
    TERRITORY = "territory"
    CORE = "core"
    STAGE = "stage"
    YEAR = "year"
    DESCRIPTION = "description"
    DONE = "done"


_ORDER = tuple(Step)
# The questions answered by typing; the others by a tap.
TYPED = frozenset({Step.ACTIVITY, Step.DESCRIPTION})


class TooLong(ValueError):
    """The text is over the limit for that answer (nothing was stored)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over {limit} characters")
        self.limit = limit


class CandidateService:
    """Keep a person's project: who asks what, what is kept, and who may see it (them)."""

    def __init__(self, db: Database, reference: Reference) -> None:
        self._db = db
        self._repo = CandidateRepository(db)
        self._schools = RegistryRepository(db)
        self._ref = reference

    async def get(self, user_id: int) -> Candidate | None:
        """Return the person's project, or None."""
        return await self._repo.get(user_id)

    async def school_territory(self, code: str) -> str | None:
        """Return the territory of a current school, or None."""
        school = await self._schools.school(code)
        return None if school is None else school.territory_id

    async def school_name(self, code: str | None) -> str | None:
        """Return a school's name (removed schools included: a pupil's record keeps it)."""
        if code is None:
            return None
        return await self._schools.name(code)

    async def start(self, user: User, school_code: str | None = None) -> Candidate:
        """Start the person's project (or return it, marking a school scanned later)."""
        current = await self._repo.get(user.id)
        if current is not None:
            if school_code is not None and current.school_code is None:
                current = await self._repo.update(user.id, school_code=school_code)
                if current.completed_at is not None and current.school_year is None:
                    # A year is asked of pupils; the rest of their project stands.
                    current = await self._repo.update(user.id, step=Step.YEAR.value)
            return current
        fields: dict[str, str | None] = {"school_code": school_code}
        if user.role is Role.CANDIDATE:
            # Their onboarding answers were about the project already.
            fields |= {
                "sector_id": user.sector_id,
                "territory_id": user.territory_id,
                "core_id": user.core_id,
            }
        return await self._repo.create(user.id, Step.ACTIVITY.value, **fields)

    async def fill_from_profile(self, user: User) -> Candidate | None:
        """Give a main-role candidate's project the place and sector they just chose."""
        current = await self._repo.get(user.id)
        if current is None or user.role is not Role.CANDIDATE:
            return current
        changes = {
            name: value
            for name, value in (
                ("sector_id", user.sector_id),
                ("territory_id", user.territory_id),
                ("core_id", user.core_id),
            )
            if getattr(current, name) is None and value is not None
        }
        return await self._repo.update(user.id, **changes) if changes else current

    def next_step(self, candidate: Candidate, after: Step) -> Step:
        """Return the question after `after`: skipping what is known, or done when editing."""
        if candidate.completed_at is not None:
            if after is Step.TERRITORY:
                return Step.CORE
            if candidate.school_code is not None and candidate.school_year is None:
                return Step.YEAR
            return Step.DONE
        for step in _ORDER[_ORDER.index(after) + 1 :]:
            if step is Step.SECTOR and candidate.sector_id is not None:
                continue
            if step is Step.TERRITORY and candidate.territory_id is not None:
                continue
            # A core is asked right after its territory, and "not known yet" is an answer.
            if step is Step.CORE and (after is not Step.TERRITORY):
                continue
            if step is Step.YEAR and candidate.school_code is None:
                continue
            return step
        return Step.DONE

    async def _advance(self, user_id: int, answered: Step, **fields: str | None) -> Candidate:
        candidate = await self._repo.update(user_id, **fields)
        step = self.next_step(candidate, answered)
        done = {"completed_at": candidate.completed_at or utcnow()} if step is Step.DONE else {}
        return await self._repo.update(user_id, step=step.value, **done)

    async def ask(self, user_id: int, step: Step) -> Candidate:
        """Stand the person at one question (to change one answer)."""
        return await self._repo.update(user_id, step=step.value)

    async def answer_activity(self, user_id: int, text: str) -> Candidate:
        """Keep what activity the project is (its words; never classified)."""
        return await self._advance(user_id, Step.ACTIVITY, activity=_checked(text, MAX_ACTIVITY))

    async def answer_sector(self, user_id: int, sector_id: str) -> Candidate:
        """Keep the project's sector (one from the list)."""
        if self._ref.sector(sector_id) is None:
            raise ValueError(f"unknown sector {sector_id!r}")
        return await self._advance(user_id, Step.SECTOR, sector_id=sector_id)

    async def answer_territory(self, user_id: int, territory_id: str) -> Candidate:
        """Keep where the project would settle; the core is asked next."""
        if self._ref.territory(territory_id) is None:
            raise ValueError(f"unknown territory {territory_id!r}")
        return await self._advance(
            user_id, Step.TERRITORY, territory_id=territory_id, core_id=None
        )

    async def answer_core(self, user_id: int, core_id: str | None) -> Candidate:
        """Keep the core (None: not known yet)."""
        if core_id is not None and self._ref.core(core_id) is None:
            raise ValueError(f"unknown core {core_id!r}")
        return await self._advance(user_id, Step.CORE, core_id=core_id)

    async def answer_stage(self, user_id: int, stage: str) -> Candidate:
        """Keep how far along the project is."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        return await self._advance(user_id, Step.STAGE, stage=stage)

    async def answer_year(self, user_id: int, year: str) -> Candidate:
        """Keep a pupil's school year (never their age)."""
        if year not in SCHOOL_YEARS:
            raise ValueError(f"unknown year {year!r}")
        return await self._advance(user_id, Step.YEAR, school_year=year)

    async def answer_description(self, user_id: int, text: str | None) -> Candidate:
        """Keep the project's description in the person's words (None: skipped)."""
        kept = None if text is None else _checked(text, MAX_DESCRIPTION)
        current = await self._repo.get(user_id)
        fields = {} if kept is None and current and current.description else {"description": kept}
        return await self._advance(user_id, Step.DESCRIPTION, **fields)

    async def add_to_description(self, user_id: int, text: str) -> Candidate:
        """Add what a main-role candidate writes to their project's description."""
        current = await self._repo.get(user_id)
        if current is None:
            raise LookupError(f"no project for {user_id}")
        added = _checked(text, MAX_DESCRIPTION)
        joined = f"{current.description}\n{added}" if current.description else added
        if len(joined) > MAX_DESCRIPTION:
            raise TooLong(MAX_DESCRIPTION)
        return await self._repo.update(user_id, description=joined)

    async def leave(self, user_id: int) -> bool:
        """Leave the path: the project is deleted."""
        return await self._repo.delete(user_id)


def _checked(text: str, limit: int) -> str:
    kept = clean_text(text, max_chars=limit + 1)
    if not kept:
        raise ValueError("empty")
    if len(kept) > limit:
        raise TooLong(limit)
    return kept
