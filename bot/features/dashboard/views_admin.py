"""The admins' dashboard views: barometer coverage, broadcasts, survey waves, the audit trail.

Partners never reach these (`admin_only`: a 404 for them). Counts of people still go through
the gate: coverage says "open" or "still closed" and shows only gated figures, survey waves
hide small groups. Delivery figures (broadcasts, templates) and the audit trail are counts of
messages and entries, shown exactly as the bot's admin commands show them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.features.barometer.service import WINDOW
from bot.features.broadcasts.service import REPORTING_CHANNELS
from bot.features.broadcasts.store import Audience
from bot.features.dashboard.admin_store import AdminRepository
from bot.features.dashboard.figures import DashboardFigures, Released
from bot.features.dashboard.pages import Cell, Column, Filter, Option, Section, Table, ViewPage
from bot.features.dashboard.periods import PERIODS, SPAN, PeriodFigures, weeks_ending
from bot.features.dashboard.periods_store import PeriodRepository
from bot.features.dashboard.views import Sources, _choice, col, href, week_filter
from bot.features.dashboard.web import NotFound, View, ViewContext
from bot.features.reach.links import Campaign
from bot.features.reach.service import CampaignLine, CampaignService, iso_week
from bot.features.surveys.definitions import Surveys
from bot.i18n import Translator
from bot.reference import Core, Reference, sort_key
from bot.shared.gate import nested
from bot.shared.schedule import week_bounds
from bot.storage import Database, Role
from nlp.taxonomy import FACTOR_IDS, taxonomy

# The barometer's own window (30 days up to now), as the coverage view's default.
LIVE = "30d"
ALL = "all"
ROLES: tuple[str, ...] = tuple(role.value for role in Role)
BROADCASTS_PER_PAGE = 20
AUDIT_PER_PAGE = 50
# Pages offered around the current one in the page filter (and always the first and last).
PAGES_AROUND = 5
TEMPLATE_DAYS = 31
TEXT_SHOWN = 80


def _local(stamp: str | None, tz: ZoneInfo, seconds: bool = False) -> str:
    """Return a stored UTC time as local time, "" when there is none."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _exact(t: Translator, key: str) -> Column:
    """Return a numeric column whose empty cell means "not known yet", never "hidden"."""
    # `derived` makes the page show an empty cell as "—" instead of "fewer than k": these
    # are delivery counts (or a figure left out for another reason), not suppressed groups.
    return Column(key, t(f"dash.col.{key}"), numeric=True, derived=True)


def _page_filter(ctx: ViewContext, total: int, size: int) -> tuple[int, Filter]:
    """Return the chosen page (1 = newest) and its filter; a page that is not is a 404."""
    pages = max(1, math.ceil(total / size))
    asked = ctx.params.get("page", "1")
    if not (asked.isascii() and asked.isdigit()) or not 1 <= int(asked) <= pages:
        raise NotFound(asked)
    page = int(asked)
    shown = sorted(
        {1, pages, *range(max(1, page - PAGES_AROUND), min(pages, page + PAGES_AROUND) + 1)}
    )
    options = tuple(
        Option(str(n), ctx.t("dash.admin.page_of", page=n, pages=pages)) for n in shown
    )
    return page, Filter("page", ctx.t("dash.admin.filter.page"), options, str(page))


def _role_label(t: Translator, role: str | None) -> str:
    return t(f"role.{role}") if role in ROLES else (role or "")


# --------------------------------------------------------------------------- coverage


class CoverageView:
    """Where the echo is still silent: which cores' barometers are open, per role and factor."""

    name = "admin/coverage"
    admin_only = True
    tables: Mapping[str, tuple[str, ...]] = {
        "roles": ("role", "cores_open", "cores_silent", "open_cells"),
        "cores": (
            "core_id",
            "core",
            "commune",
            "role",
            "open_factors",
            "closed_factors",
            "open_list",
            "campaigns",
        ),
        "factors": ("core_id", "core", "role", "factor_id", "factor", "barometer", "open_people"),
        "campaigns": ("core_id", "core", "campaign", "week", "consented", "onboarded"),
    }

    def __init__(
        self,
        figures: DashboardFigures,
        db: Database,
        reference: Reference,
        tz: ZoneInfo,
        clock: Callable[[], datetime],
    ) -> None:
        self._figures = figures
        self._repo = AdminRepository(db)
        self._periods = PeriodRepository(db)
        self._campaigns = CampaignService(db, reference, tz, clock)
        self._ref = reference
        self._tz = tz
        self._clock = clock
        self._k = figures.k

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.admin.view.coverage")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the coverage of a territory."""
        t = ctx.t
        territories = list(self._ref.territories)
        if not territories:
            raise NotFound("no territory")
        territory_id = _choice(ctx, "territory", territories, territories[0])
        territory = self._ref.territory(territory_id)
        assert territory is not None
        period = _choice(ctx, "period", (LIVE, *PERIODS), LIVE)
        role = _choice(ctx, "role", ROLES, Role.SHOPKEEPER.value)
        cores = sorted(territory.cores, key=lambda c: sort_key(c.name(t.lang)))
        core_choice = ctx.params.get("core", ALL)
        if core_choice != ALL and self._ref.core(core_choice) is None:
            raise NotFound(core_choice)
        if core_choice not in {ALL, *(c.id for c in cores)}:
            # A core of another territory: the territory was just changed in the form, and
            # wins (the core's filter is then "all cores" of the territory shown).
            core_choice = ALL
        filters = [
            Filter(
                "territory",
                t("dash.filter.territory"),
                tuple(Option(tid, self._ref.territories[tid].name(t.lang)) for tid in territories),
                territory_id,
            ),
            Filter(
                "period",
                t("dash.admin.filter.window"),
                (
                    Option(LIVE, t("dash.admin.period.30d")),
                    *(Option(p, t(f"dash.period.{p}")) for p in PERIODS),
                ),
                period,
            ),
        ]
        released: Released | None = None
        week = ""
        if period == LIVE:
            # The barometer's rule (bot.features.barometer.service): distinct people of the
            # same role with a voice on the factor in the core over the 30 days up to now.
            now = self._clock()
            since = (now - WINDOW).isoformat(timespec="milliseconds")
            opened = await self._repo.open_cells(
                territory_id,
                ROLES,
                FACTOR_IDS,
                since,
                now.isoformat(timespec="milliseconds"),
                self._k,
            )
            intro = t("dash.admin.coverage.intro_30d", k=self._k, k1=self._k + 1)
            # Campaigns: the finished weeks the 30 days touch (the current one is never shown).
            first_week, last_week = iso_week(now - WINDOW, self._tz), iso_week(now, self._tz)
        else:
            week, week_f = week_filter(ctx, self._figures)
            filters.append(week_f)
            released = await self._figures.week(week, role)
            opened = await self._frozen_open(territory_id, period, week)
            intro = t(
                "dash.admin.coverage.intro_period",
                k=self._k,
                period=t(f"dash.period.{period}").lower(),
                week=week,
            )
            first_week, last_week = weeks_ending(week, SPAN[period])[0], week  # type: ignore[index]
        filters.append(
            Filter(
                "role",
                t("dash.admin.filter.role"),
                tuple(Option(r, _role_label(t, r)) for r in ROLES),
                role,
            )
        )
        filters.append(
            Filter(
                "core",
                t("dash.filter.core"),
                (
                    Option(ALL, t("dash.admin.core.all")),
                    *(Option(c.id, c.name(t.lang)) for c in cores),
                ),
                core_choice,
            )
        )
        shown_cores = [c for c in cores if core_choice in (ALL, c.id)]
        # A campaign whose every count is hidden still says that 1 to k-1 people came
        # through it: such rows are left out, as "what came since" leaves them out.
        lines = [
            line
            for line in await self._campaign_lines(territory_id, first_week)
            if first_week <= line.week <= last_week
            and (line.consented is not None or line.onboarded is not None)
        ]
        permalink = {
            "territory": territory_id,
            "period": period,
            "role": role,
            **({"week": week} if week else {}),
        }
        sections = (
            Section(
                "roles",
                t("dash.admin.section.roles"),
                self._roles(t, cores, opened),
                intro=intro,
            ),
            Section(
                "cores",
                t("dash.admin.section.cores", role=_role_label(t, role)),
                self._cores(t, shown_cores, role, opened, lines, permalink),
            ),
            Section(
                "factors",
                t("dash.admin.section.factors", role=_role_label(t, role)),
                self._factors(t, shown_cores, role, opened, released, period),
                notes=(t("dash.admin.coverage.no_numbers"),) if released is None else (),
            ),
            Section(
                "campaigns",
                t("dash.admin.section.campaigns"),
                self._campaign_table(t, shown_cores, lines),
                intro=t("dash.admin.campaigns.intro", k=self._k),
            ),
        )
        return ViewPage(
            self.name,
            t("dash.admin.coverage.title", territory=territory.name(t.lang)),
            tuple(filters),
            sections,
        )

    async def _frozen_open(
        self, territory_id: str, period: str, week: str
    ) -> set[tuple[str, str, str]]:
        """Return (core, role, factor) with at least k people in a frozen period."""
        # Read raw, for deciding only: the frozen figures of every role at once (the view's
        # role was gated, and frozen if need be, just before).
        stored = await self._periods.of_week(week)
        territory = self._ref.territory(territory_id)
        assert territory is not None
        opened: set[tuple[str, str, str]] = set()
        for core in territory.cores:
            text = stored.get((f"core:{core.id}", period))
            if text is None:
                continue
            figures = PeriodFigures.model_validate_json(text)
            for role in ROLES:
                for factor, people in figures.role(role).factors.items():
                    if people >= self._k and factor in FACTOR_IDS:
                        opened.add((core.id, role, factor))
        return opened

    async def _campaign_lines(self, territory_id: str, first_week: str) -> list[CampaignLine]:
        """Return the territory's gated weekly arrivals per core and campaign from a week on."""
        start, _ = week_bounds(first_week, self._tz)
        weeks = max(1, math.ceil((self._clock() - start) / timedelta(weeks=1)) + 1)
        return await self._campaigns.report(weeks, territory_id, self._k)

    def _roles(
        self, t: Translator, cores: Sequence[Core], opened: set[tuple[str, str, str]]
    ) -> Table:
        rows: list[tuple[Cell, ...]] = []
        for role in ROLES:
            open_cores = {
                c.id for c in cores if any((c.id, role, f) in opened for f in FACTOR_IDS)
            }
            cells = sum(1 for c in cores for f in FACTOR_IDS if (c.id, role, f) in opened)
            rows.append(
                (_role_label(t, role), len(open_cores), len(cores) - len(open_cores), cells)
            )
        return Table(
            "roles",
            (
                col(t, "role"),
                col(t, "cores_open", True),
                col(t, "cores_silent", True),
                col(t, "open_cells", True),
            ),
            tuple(rows),
        )

    def _cores(
        self,
        t: Translator,
        cores: Sequence[Core],
        role: str,
        opened: set[tuple[str, str, str]],
        lines: Sequence[CampaignLine],
        permalink: Mapping[str, str],
    ) -> Table:
        tax = taxonomy()
        rows: list[tuple[Cell, ...]] = []
        links: dict[tuple[int, int], str] = {}
        for core in cores:
            open_factors = [f for f in FACTOR_IDS if (core.id, role, f) in opened]
            campaigns = sorted(
                {_campaign(t, line.campaign) for line in lines if line.core_id == core.id}
            )
            links[(len(rows), 1)] = (
                href(self.name, t.lang, **permalink, core=core.id) + "#s-factors"
            )
            rows.append(
                (
                    core.id,
                    core.name(t.lang),
                    core.commune(t.lang),
                    _role_label(t, role),
                    len(open_factors),
                    len(FACTOR_IDS) - len(open_factors),
                    "; ".join(tax.get(f).short_title(t.lang) for f in open_factors),
                    ", ".join(campaigns),
                )
            )
        return Table(
            "cores",
            (
                col(t, "core_id"),
                col(t, "core"),
                col(t, "commune"),
                col(t, "role"),
                col(t, "open_factors", True),
                col(t, "closed_factors", True),
                col(t, "open_list"),
                col(t, "campaigns"),
            ),
            tuple(rows),
            links,
        )

    def _factors(
        self,
        t: Translator,
        cores: Sequence[Core],
        role: str,
        opened: set[tuple[str, str, str]],
        released: Released | None,
        period: str,
    ) -> Table:
        tax = taxonomy()
        rows: list[tuple[Cell, ...]] = []
        for core in cores:
            for factor in FACTOR_IDS:
                is_open = (core.id, role, factor) in opened
                row: tuple[Cell, ...] = (
                    core.id,
                    core.name(t.lang),
                    _role_label(t, role),
                    factor,
                    tax.get(factor).title(t.lang),
                    t("dash.admin.open") if is_open else t("dash.admin.closed"),
                )
                if released is not None:
                    # Only an open cell may show a number, and only the gated one: a closed
                    # cell's count is under k, and an open one may be hidden by difference.
                    shown = released.people(f"core:{core.id}", period, factor) if is_open else None
                    row = (*row, shown)
                rows.append(row)
        columns: tuple[Column, ...] = (
            col(t, "core_id"),
            col(t, "core"),
            col(t, "role"),
            col(t, "factor_id"),
            col(t, "factor"),
            col(t, "barometer"),
        )
        if released is not None:
            columns = (*columns, _exact(t, "open_people"))
        return Table("factors", columns, tuple(rows))

    def _campaign_table(
        self, t: Translator, cores: Sequence[Core], lines: Sequence[CampaignLine]
    ) -> Table:
        names = {c.id: c for c in cores}
        rows: list[tuple[Cell, ...]] = []
        ordered = sorted(
            (line for line in lines if line.core_id in names),
            key=lambda line: (
                sort_key(names[line.core_id].name(t.lang)),
                line.campaign,
                line.week,
            ),
        )
        for line in ordered:
            core = names[line.core_id]
            rows.append(
                (
                    core.id,
                    core.name(t.lang),
                    _campaign(t, line.campaign),
                    line.week,
                    line.consented,
                    line.onboarded,
                )
            )
        return Table(
            "campaigns",
            (
                col(t, "core_id"),
                col(t, "core"),
                col(t, "campaign"),
                col(t, "week"),
                col(t, "consented", True),
                col(t, "onboarded", True),
            ),
            tuple(rows),
        )


def _campaign(t: Translator, name: str) -> str:
    return t(f"dash.admin.campaign.{name}") if name in set(Campaign) else name


# --------------------------------------------------------------------------- broadcasts


class BroadcastsView:
    """The broadcasts, newest first, with what became of their messages."""

    name = "admin/broadcasts"
    admin_only = True
    tables: Mapping[str, tuple[str, ...]] = {
        "broadcasts": (
            "broadcast_id",
            "broadcast_status",
            "created_at",
            "send_at",
            "created_by",
            "audience",
            "text",
            "recipients",
            "waiting",
            "sent",
            "blocked",
            "failed",
            "cancelled",
            "delivered",
            "read",
        ),
        "failures": ("broadcast_id", "reason", "messages"),
        "templates": ("day", "category", "templates", "cost"),
    }

    def __init__(
        self, db: Database, reference: Reference, tz: ZoneInfo, clock: Callable[[], datetime]
    ) -> None:
        self._repo = AdminRepository(db)
        self._ref = reference
        self._tz = tz
        self._clock = clock

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.admin.view.broadcasts")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build a page of broadcasts."""
        t = ctx.t
        page, page_f = _page_filter(ctx, await self._repo.count_broadcasts(), BROADCASTS_PER_PAGE)
        broadcasts = await self._repo.broadcasts(
            BROADCASTS_PER_PAGE, (page - 1) * BROADCASTS_PER_PAGE
        )
        ids = [b.id for b in broadcasts]
        outbox = await self._repo.outbox_counts(ids)
        reported = await self._repo.delivery_counts(ids, REPORTING_CHANNELS)
        rows: list[tuple[Cell, ...]] = []
        for b in broadcasts:
            counts = outbox.get(b.id, {})
            statuses = reported.get(b.id, {})
            text = b.texts.get("fr") or next(iter(b.texts.values()), "")
            rows.append(
                (
                    b.id,
                    t(f"broadcast.status_{b.status}"),
                    _local(b.created_at, self._tz),
                    _local(b.send_at, self._tz),
                    b.created_by,
                    self._audience(t, b.audience),
                    text[:TEXT_SHOWN] + ("…" if len(text) > TEXT_SHOWN else ""),
                    b.recipients,
                    counts.get("pending", 0) + counts.get("sending", 0),
                    counts.get("sent", 0),
                    counts.get("blocked", 0),
                    counts.get("failed", 0),
                    counts.get("cancelled", 0),
                    statuses.get("delivered", 0) + statuses.get("read", 0),
                    statuses.get("read", 0),
                )
            )
        table = Table(
            "broadcasts",
            (
                col(t, "broadcast_id"),
                col(t, "broadcast_status"),
                col(t, "created_at"),
                col(t, "send_at"),
                col(t, "created_by"),
                col(t, "audience"),
                col(t, "text"),
                *(
                    _exact(t, key)
                    for key in (
                        "recipients",
                        "waiting",
                        "sent",
                        "blocked",
                        "failed",
                        "cancelled",
                        "delivered",
                        "read",
                    )
                ),
            ),
            tuple(rows),
        )
        failures = Table(
            "failures",
            (col(t, "broadcast_id"), col(t, "reason"), _exact(t, "messages")),
            tuple(
                (broadcast, reason or "—", n)
                for broadcast, reason, n in await self._repo.failure_reasons(ids)
            ),
        )
        since = (self._clock().astimezone(UTC) - timedelta(days=TEMPLATE_DAYS - 1)).date()
        templates = Table(
            "templates",
            (col(t, "day"), col(t, "category"), _exact(t, "templates"), _exact(t, "cost")),
            tuple(
                (d.day, d.category.lower(), d.count, round(d.cost, 2))
                for d in await self._repo.template_days(since.isoformat())
            ),
        )
        return ViewPage(
            self.name,
            t("dash.admin.view.broadcasts"),
            (page_f,),
            (
                Section(
                    "broadcasts",
                    t("dash.admin.section.broadcasts"),
                    table,
                    intro=t("dash.admin.broadcasts.intro"),
                ),
                Section("failures", t("dash.admin.section.failures"), failures),
                Section(
                    "templates",
                    t("dash.admin.section.templates", days=TEMPLATE_DAYS),
                    templates,
                    intro=t("dash.admin.templates.intro"),
                ),
            ),
        )

    def _audience(self, t: Translator, audience: Audience) -> str:
        """Describe who a broadcast goes to, as the bot's /broadcasts preview does."""
        parts: list[str] = []
        if audience.territory_id and (place := self._ref.territory(audience.territory_id)):
            parts.append(place.name(t.lang))
        if audience.core_id and (core := self._ref.core(audience.core_id)):
            parts.append(core.name(t.lang))
        if audience.sector_id:
            sector = self._ref.sector(audience.sector_id)
            parts.append(sector.label(t.lang) if sector else audience.sector_id)
        if audience.role:
            parts.append(_role_label(t, audience.role))
        if audience.language:
            parts.append(audience.language)
        if audience.factor:
            parts.append(
                t(
                    "dash.admin.audience.factor",
                    factor=taxonomy().get(audience.factor).short_title(t.lang)
                    if audience.factor in FACTOR_IDS
                    else audience.factor,
                    days=audience.days or 0,
                )
            )
        if audience.candidates:
            parts.append(t("dash.admin.audience.candidates"))
        if audience.user_ids is not None:
            parts.append(t("dash.admin.audience.named", n=len(audience.user_ids)))
        return " · ".join(parts) if parts else t("admin.broadcast_everyone")


# --------------------------------------------------------------------------- survey waves


class WavesView:
    """The survey waves still open, with how far they got (small groups hidden)."""

    name = "admin/waves"
    admin_only = True
    tables: Mapping[str, tuple[str, ...]] = {
        "waves": (
            "wave_id",
            "survey",
            "audience",
            "opened_at",
            "closes_at",
            "planned",
            "invited",
            "reminded",
            "started",
            "finished",
        ),
    }

    def __init__(
        self, db: Database, reference: Reference, tz: ZoneInfo, k: int, surveys: Surveys | None
    ) -> None:
        self._repo = AdminRepository(db)
        self._ref = reference
        self._tz = tz
        self._k = k
        self._surveys = surveys

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.admin.view.waves")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the list of open waves."""
        t = ctx.t
        rows: list[tuple[Cell, ...]] = []
        for wave in await self._repo.open_waves():
            # Each is a subset of the next: finished ⊂ started ⊂ invited ⊂ planned, and
            # reminded ⊂ invited. A number is hidden under k, and an outer one is hidden when
            # it exceeds an inner one by 1 to k-1 in either chain.
            answered = nested([wave.finished, wave.started, wave.invited, wave.planned], self._k)
            reminders = nested([wave.reminded, wave.invited, wave.planned], self._k)
            invited = answered[2] if reminders[1] is not None else None
            planned = answered[3] if reminders[2] is not None else None
            survey = self._surveys.get(wave.survey_id) if self._surveys else None
            rows.append(
                (
                    wave.id,
                    survey.title.get(t.lang) if survey else wave.survey_id,
                    self._audience(t, wave.territory_id, wave.core_id, wave.role),
                    _local(wave.send_from, self._tz),
                    _local(wave.closes_at, self._tz),
                    planned,
                    invited,
                    reminders[0],
                    answered[1],
                    answered[0],
                )
            )
        table = Table(
            "waves",
            (
                col(t, "wave_id"),
                col(t, "survey"),
                col(t, "audience"),
                col(t, "opened_at"),
                col(t, "closes_at"),
                col(t, "planned", True),
                col(t, "invited", True),
                col(t, "reminded", True),
                col(t, "started", True),
                col(t, "finished", True),
            ),
            tuple(rows),
        )
        return ViewPage(
            self.name,
            t("dash.admin.view.waves"),
            (),
            (
                Section(
                    "waves",
                    t("dash.admin.section.waves"),
                    table,
                    intro=t("dash.admin.waves.intro", k=self._k),
                ),
            ),
        )

    def _audience(
        self, t: Translator, territory_id: str | None, core_id: str | None, role: str | None
    ) -> str:
        parts: list[str] = []
        if territory_id and (place := self._ref.territory(territory_id)):
            parts.append(place.name(t.lang))
        if core_id and (core := self._ref.core(core_id)):
            parts.append(core.name(t.lang))
        if role:
            parts.append(_role_label(t, role))
        return " · ".join(parts) if parts else t("admin.broadcast_everyone")


# --------------------------------------------------------------------------- audit trail


class AuditView:
    """The latest entries of the audit trail, refused attempts alone if asked."""

    name = "admin/audit"
    admin_only = True
    tables: Mapping[str, tuple[str, ...]] = {
        "entries": ("at", "actor", "actor_role", "action", "detail", "allowed"),
    }

    def __init__(self, db: Database, tz: ZoneInfo) -> None:
        self._repo = AdminRepository(db)
        self._tz = tz

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.admin.view.audit")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build a page of the audit trail."""
        t = ctx.t
        which = _choice(ctx, "refused", (ALL, "only"), ALL)
        refused_only = which == "only"
        page, page_f = _page_filter(
            ctx, await self._repo.count_audit(refused_only), AUDIT_PER_PAGE
        )
        entries = await self._repo.audit(AUDIT_PER_PAGE, (page - 1) * AUDIT_PER_PAGE, refused_only)
        table = Table(
            "entries",
            (
                col(t, "at"),
                col(t, "actor"),
                col(t, "actor_role"),
                col(t, "action"),
                col(t, "detail"),
                col(t, "allowed"),
            ),
            tuple(
                (
                    _local(e.at, self._tz, seconds=True),
                    e.actor,
                    e.role,
                    e.action,
                    e.detail,
                    t("dash.admin.allowed.yes") if e.allowed else t("dash.admin.allowed.no"),
                )
                for e in entries
            ),
        )
        refused_f = Filter(
            "refused",
            t("dash.admin.filter.refused"),
            (
                Option(ALL, t("dash.admin.refused.all")),
                Option("only", t("dash.admin.refused.only")),
            ),
            which,
        )
        return ViewPage(
            self.name,
            t("dash.admin.view.audit"),
            (refused_f, page_f),
            (
                Section(
                    "entries",
                    t("dash.admin.section.entries"),
                    table,
                    intro=t("dash.admin.audit.intro"),
                ),
            ),
        )


# --------------------------------------------------------------------------- wiring


def admin_views(figures: DashboardFigures, sources: Sources) -> list[View]:
    """Return the admins' views, in the navigation's order."""
    return [
        CoverageView(figures, sources.db, sources.reference, sources.tz, sources.clock),
        BroadcastsView(sources.db, sources.reference, sources.tz, sources.clock),
        WavesView(sources.db, sources.reference, sources.tz, figures.k, sources.surveys),
        AuditView(sources.db, sources.tz),
    ]
