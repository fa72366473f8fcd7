"""The dashboard's views of the echo: overview, a core, cores compared, the map.

Each view reads gated figures only (`figures.DashboardFigures`): a number hidden anywhere is
hidden everywhere, whatever the filters. Filters live in the URL; a place outside the
viewer's scope answers 404, like a place that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup

from bot.features.dashboard.access import DashboardAccess, Viewer
from bot.features.dashboard.charts import Series, Tile, draw_bars, draw_small_multiples, tile_map
from bot.features.dashboard.figures import ANY, OUTCOME_METRICS, DashboardFigures, Released
from bot.features.dashboard.notes import NoteService
from bot.features.dashboard.pages import Cell, Column, Filter, Option, Section, Table, ViewPage
from bot.features.dashboard.periods import PERIODS, previous, weeks_ending
from bot.features.dashboard.tiles import tiles_for
from bot.features.dashboard.web import DashboardWeb, NotFound, View, ViewContext
from bot.features.entrepreneurs.report import CandidateReport
from bot.features.opportunities.report import OpportunityReport
from bot.features.surveys.definitions import Surveys
from bot.i18n import Translator
from bot.reference import Core, Reference, sort_key
from bot.storage import Database
from nlp.taxonomy import FACTOR_IDS, Taxonomy, taxonomy

WEEKS_SHOWN = 26
# How far back a permalink may point: a year of weeks, all frozen by the job (periods.CATCH_UP).
WEEKS_LINKABLE = 53
SERIES_WEEKS = 12
# Emerging: a core's week at least twice its own average of the 4 weeks before.
EMERGING_RATIO = 2.0
EMERGING_WEEKS = 4


# --------------------------------------------------------------------------- shared parts


@dataclass(frozen=True)
class Scope:
    """What a viewer may look at, in the reference's terms."""

    viewer: Viewer
    reference: Reference

    def places(self, t: Translator) -> list[Option]:
        """Return the places the overview and compare views offer: scope first."""
        partner = self.viewer.partner
        if partner is not None and partner.cores:
            return [Option(f"partner:{partner.id}", t("dash.place.scope", name=partner.name))]
        options = [
            Option(f"territory:{tid}", territory.name(t.lang))
            for tid in self.viewer.territories(self.reference)
            if (territory := self.reference.territory(tid)) is not None
        ]
        return options

    def chosen(self, ctx: ViewContext) -> tuple[list[Option], str]:
        """Return the places offered and the one in the URL (the first by default).

        Any place of the viewer's scope is a page; one outside it, or none at all, is not.
        """
        places = self.places(ctx.t)
        if not places:
            raise NotFound("no place")
        return places, self.check_place(ctx.params.get("place", places[0].value))

    def cores(self, place: str) -> list[Core]:
        """Return the cores of a place the viewer may see, by name."""
        kind, _, rest = place.partition(":")
        found: list[Core] = []
        for territory in self.reference.territories.values():
            for core in territory.cores:
                if not self.viewer.sees_core(self.reference, core.id):
                    continue
                inside = (
                    (kind == "territory" and core.territory == rest)
                    or kind == "partner"
                    or (kind == "commune" and f"{core.territory}:{core.commune_fr}" == rest)
                )
                if inside:
                    found.append(core)
        return found

    def check_place(self, place: str) -> str:
        """Return the place if the viewer may see it whole; else raise NotFound."""
        kind, _, rest = place.partition(":")
        partner = self.viewer.partner
        if kind == "partner":
            if partner is not None and partner.cores and rest == str(partner.id):
                return place
            raise NotFound(place)
        if kind == "territory" and self.reference.territory(rest) is not None:
            if self.viewer.whole_territory(rest):
                return place
            raise NotFound(place)
        if kind == "commune":
            territory_id, _, commune = rest.partition(":")
            territory = self.reference.territory(territory_id)
            cores = [c for c in territory.cores if c.commune_fr == commune] if territory else []
            if cores and all(self.viewer.sees_core(self.reference, c.id) for c in cores):
                return place
            raise NotFound(place)
        if kind == "core" and self.viewer.sees_core(self.reference, rest):
            return place
        raise NotFound(place)

    def around(self, core: Core) -> str:
        """Return the place a core is shown next to: its territory, or the partner's scope."""
        partner = self.viewer.partner
        if partner is not None and partner.cores:
            return f"partner:{partner.id}"
        return f"territory:{core.territory}"


def _choice(ctx: ViewContext, name: str, allowed: Sequence[str], default: str) -> str:
    """Return a filter's value from the URL; anything not offered is a page that is not."""
    value = ctx.params.get(name, default)
    if value not in allowed:
        raise NotFound(name)
    return value


def period_filter(ctx: ViewContext) -> tuple[str, Filter]:
    """Return the chosen period and its filter."""
    t = ctx.t
    period = _choice(ctx, "period", PERIODS, "week")
    options = tuple(Option(p, t(f"dash.period.{p}")) for p in PERIODS)
    return period, Filter("period", t("dash.filter.period"), options, period)


def week_filter(ctx: ViewContext, figures: DashboardFigures) -> tuple[str, Filter]:
    """Return the chosen closed week (the last one by default) and its filter.

    Any of the last year's closed weeks is a permalink; older, open, malformed weeks are no
    page (and no one can make the server count weeks before anything was said).
    """
    t = ctx.t
    weeks = figures.recent_weeks(WEEKS_SHOWN)
    week = ctx.params.get("week", weeks[0])
    if week not in weeks:
        if week not in figures.recent_weeks(WEEKS_LINKABLE):
            raise NotFound(week)
        weeks = [week, *weeks]
    options = tuple(Option(w, t("dash.week_label", week=w)) for w in weeks)
    return week, Filter("week", t("dash.filter.week"), options, week)


def factor_options(t: Translator, tax: Taxonomy, with_any: bool) -> tuple[Option, ...]:
    """Return the factors as filter options, "all factors" first when asked."""
    first = (Option(ANY, t("dash.factor.any")),) if with_any else ()
    return first + tuple(Option(f, tax.get(f).title(t.lang)) for f in FACTOR_IDS)


def col(t: Translator, key: str, numeric: bool = False) -> Column:
    """Return a column with its translated label."""
    return Column(key, t(f"dash.col.{key}"), numeric, derived=key == "change")


def change(now: int | None, before: int | None) -> int | None:
    """Return the change between two shown counts (None when either is hidden)."""
    return None if now is None or before is None else now - before


def href(view: str, lang: str, **params: str) -> str:
    """Return a permalink to a view with its filters."""
    return f"/dashboard/{view}?" + urlencode(sorted({**params, "lang": lang}.items()))


# --------------------------------------------------------------------------- overview


class OverviewView:
    """The 12 factors of a place over a period, against the period before."""

    name = "overview"
    admin_only = False
    tables: Mapping[str, tuple[str, ...]] = {
        "factors": ("factor_id", "factor", "people", "previous", "change"),
        "emerging": ("core_id", "core", "factor_id", "factor", "people"),
        "outcomes": ("answer", "people", "previous"),
        "said": ("published", "factor_id", "factor", "place", "author", "note"),
    }

    def __init__(
        self,
        figures: DashboardFigures,
        reference: Reference,
        tax: Taxonomy,
        notes: NoteService | None = None,
    ) -> None:
        self._figures = figures
        self._ref = reference
        self._tax = tax
        self._notes = notes

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.view.overview")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the overview."""
        t, scope = ctx.t, Scope(ctx.viewer, self._ref)
        places, place = scope.chosen(ctx)
        period, period_f = period_filter(ctx)
        week, week_f = week_filter(ctx, self._figures)
        now = await self._figures.week(week)
        before = await self._figures.week(previous(period, week))  # type: ignore[arg-type]
        rows: list[tuple[Cell, ...]] = []
        for metric in (ANY, *FACTOR_IDS):
            label = t("dash.factor.any") if metric == ANY else self._tax.get(metric).title(t.lang)
            current = now.people(place, period, metric)
            prior = before.people(place, period, metric)
            rows.append((metric, label, current, prior, change(current, prior)))
        factors = Table(
            "factors",
            (
                col(t, "factor_id"),
                col(t, "factor"),
                col(t, "people", True),
                col(t, "previous", True),
                col(t, "change", True),
            ),
            tuple(rows),
        )
        outcome_rows = tuple(
            (
                t(f"dash.outcome.{metric.removeprefix('outcome:')}"),
                now.people(place, period, metric),
                before.people(place, period, metric),
            )
            for metric in OUTCOME_METRICS
        )
        outcomes = Table(
            "outcomes",
            (col(t, "answer"), col(t, "people", True), col(t, "previous", True)),
            outcome_rows,
        )
        emerging = await self._emerging(ctx, scope, place, week, now)
        place_name = next((o.label for o in places if o.value == place), None)
        if place_name is None:
            # A core or commune is a place of "compare", not of the overview.
            raise NotFound(place)
        chart = await draw_bars(
            t("dash.chart.factors", place=place_name),
            t("dash.chart.factors_desc", period=t(f"dash.period.{period}").lower(), week=week),
            tuple((str(r[1]), _int(r[2]), _int(r[3])) for r in rows[1:]),
            t("dash.chart.current", week=week),
            t("dash.chart.previous"),
            t("dash.hidden", k=self._figures.k),
        )
        filters = (
            Filter("place", t("dash.filter.place"), tuple(places), place),
            period_f,
            week_f,
        )
        return ViewPage(
            self.name,
            t("dash.view.overview"),
            filters,
            (
                Section(
                    "factors",
                    t("dash.section.factors"),
                    factors,
                    chart=Markup(chart),
                    intro=t(
                        "dash.overview.intro",
                        period=t(f"dash.period.{period}").lower(),
                        week=week,
                        previous=previous(period, week),  # type: ignore[arg-type]
                    ),
                ),
                Section(
                    "emerging",
                    t("dash.section.emerging"),
                    emerging,
                    intro=t("dash.emerging.intro", week=week),
                ),
                Section("outcomes", t("dash.section.outcomes"), outcomes),
                *(await self._said(ctx, scope, place)),
            ),
        )

    async def _said(self, ctx: ViewContext, scope: Scope, place: str) -> tuple[Section, ...]:
        """Return the "you said, we did" notes about this place and its cores."""
        if self._notes is None:
            return ()
        t = ctx.t
        places = [f"core:{c.id}" for c in scope.cores(place)]
        if place.startswith("territory:"):
            places.append(place)
        elif place.startswith("partner:") and ctx.viewer.partner is not None:
            places += [
                f"territory:{tid}"
                for tid in ctx.viewer.partner.territories
                if ctx.viewer.whole_territory(tid)
            ]
        rows = tuple(
            (
                self._notes.day(note),
                note.factor,
                self._tax.get(note.factor).title(t.lang),
                self._notes.place_name(note.place, t.lang),
                note.author,
                note.text(t.lang),
            )
            for note in await self._notes.shown(places)
        )
        table = Table(
            "said",
            tuple(col(t, key) for key in self.tables["said"]),
            rows,
        )
        return (Section("said", t("dash.section.said"), table),)

    async def _emerging(
        self, ctx: ViewContext, scope: Scope, place: str, week: str, now: Released
    ) -> Table:
        t = ctx.t
        weeks = weeks_ending(week, EMERGING_WEEKS + 1)[:-1]
        earlier = await self._figures.weeks(weeks)
        rows: list[tuple[Cell, ...]] = []
        links: dict[tuple[int, int], str] = {}
        for core in sorted(scope.cores(place), key=lambda c: sort_key(c.name(t.lang))):
            key = f"core:{core.id}"
            for factor in FACTOR_IDS:
                shown = now.people(key, "week", factor)
                if shown is None:
                    continue
                average = sum(w.raw_people(key, "week", factor) for w in earlier) / len(earlier)
                if shown >= EMERGING_RATIO * max(1.0, average):
                    links[(len(rows), 1)] = href("core", t.lang, core=core.id, week=week)
                    rows.append(
                        (core.id, core.name(t.lang), factor, self._tax.get(factor).title(t.lang),
                         shown)
                    )  # fmt: skip
        return Table(
            "emerging",
            (
                col(t, "core_id"),
                col(t, "core"),
                col(t, "factor_id"),
                col(t, "factor"),
                col(t, "people", True),
            ),
            tuple(rows),
            links,
        )


# --------------------------------------------------------------------------- a core


class CoreView:
    """One core's factors over the last 12 weeks, next to its territory."""

    name = "core"
    admin_only = False
    tables: Mapping[str, tuple[str, ...]] = {
        "weeks": ("week", "factor_id", "factor", "core_people", "around_people"),
    }

    def __init__(self, figures: DashboardFigures, reference: Reference, tax: Taxonomy) -> None:
        self._figures = figures
        self._ref = reference
        self._tax = tax

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.view.core")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build a core's page."""
        t, scope = ctx.t, Scope(ctx.viewer, self._ref)
        places = scope.places(t)
        cores = sorted(
            (c for p in places for c in scope.cores(p.value)),
            key=lambda c: sort_key(c.name(t.lang)),
        )
        if not cores:
            raise NotFound("no core")
        core_id = ctx.params.get("core", cores[0].id)
        scope.check_place(f"core:{core_id}")
        core = self._ref.core(core_id)
        assert core is not None
        week, week_f = week_filter(ctx, self._figures)
        around = scope.around(core)
        weeks = weeks_ending(week, SERIES_WEEKS)
        rows: list[tuple[Cell, ...]] = []
        mine_all: list[Series] = []
        theirs_all: list[Series] = []
        released = await self._figures.weeks(weeks)
        for factor in FACTOR_IDS:
            mine = [r.people(f"core:{core.id}", "week", factor) for r in released]
            theirs = [r.people(around, "week", factor) for r in released]
            label = self._tax.get(factor).title(t.lang)
            rows += [(w, factor, label, a, b) for w, a, b in zip(weeks, mine, theirs, strict=True)]
            mine_all.append(Series(label, tuple(mine)))
            theirs_all.append(Series(label, tuple(theirs)))
        around_name = (
            t("dash.place.scope", name=ctx.viewer.partner.name)
            if around.startswith("partner:") and ctx.viewer.partner is not None
            else self._ref.territory(core.territory).name(t.lang)  # type: ignore[union-attr]
        )
        table = Table(
            "weeks",
            (
                col(t, "week"),
                col(t, "factor_id"),
                col(t, "factor"),
                Column("core_people", t("dash.col.core_people", core=core.name(t.lang)), True),
                Column("around_people", t("dash.col.around_people", place=around_name), True),
            ),
            tuple(rows),
        )
        filters = (
            Filter(
                "core",
                t("dash.filter.core"),
                tuple(Option(c.id, c.name(t.lang)) for c in cores),
                core.id,
            ),
            week_f,
        )
        chart = await draw_small_multiples(
            t("dash.chart.core", core=core.name(t.lang)),
            t("dash.chart.core_desc", core=core.name(t.lang), place=around_name, week=week),
            tuple(weeks),
            tuple(mine_all),
            tuple(theirs_all),
            t("dash.hidden", k=self._figures.k),
            place_label=core.name(t.lang),
            reference_label=around_name,
        )
        return ViewPage(
            self.name,
            t("dash.core.title", core=core.name(t.lang)),
            filters,
            (
                Section(
                    "weeks",
                    t("dash.section.weeks", count=SERIES_WEEKS),
                    table,
                    chart=Markup(chart),
                    intro=t("dash.core.intro", place=around_name, week=week),
                ),
            ),
        )


# --------------------------------------------------------------------------- compare


class CompareView:
    """Cores side by side, for one factor or all, sortable."""

    name = "compare"
    admin_only = False
    tables: Mapping[str, tuple[str, ...]] = {
        "cores": ("core_id", "core", "commune", "people", "previous", "change"),
        "cores_all": ("core_id", "core", "commune", *FACTOR_IDS),
    }

    def __init__(self, figures: DashboardFigures, reference: Reference, tax: Taxonomy) -> None:
        self._figures = figures
        self._ref = reference
        self._tax = tax

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.view.compare")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the comparison."""
        t, scope = ctx.t, Scope(ctx.viewer, self._ref)
        places, place = scope.chosen(ctx)
        if place.startswith("commune:"):
            places = [*places, Option(place, place.rsplit(":", 1)[1])]
        period, period_f = period_filter(ctx)
        week, week_f = week_filter(ctx, self._figures)
        factor = _choice(ctx, "factor", (ANY, *FACTOR_IDS), ANY)
        sort = _choice(ctx, "sort", ("people", "name"), "people")
        now = await self._figures.week(week)
        before = await self._figures.week(previous(period, week))  # type: ignore[arg-type]
        cores = scope.cores(place)
        links: dict[tuple[int, int], str] = {}
        table: Table
        if factor == ANY:
            rows = [
                (c.id, c.name(t.lang), c.commune(t.lang),
                 *(now.people(f"core:{c.id}", period, f) for f in FACTOR_IDS))
                for c in cores
            ]  # fmt: skip
            rows.sort(key=lambda r: sort_key(str(r[1])))
            if sort == "people":
                rows.sort(key=lambda r: -sum(v for v in r[3:] if isinstance(v, int)))
            columns = (
                col(t, "core_id"),
                col(t, "core"),
                col(t, "commune"),
                *(Column(f, self._tax.get(f).short_title(t.lang), True) for f in FACTOR_IDS),
            )
            key = "cores_all"
        else:
            rows = []
            for c in cores:
                current = now.people(f"core:{c.id}", period, factor)
                prior = before.people(f"core:{c.id}", period, factor)
                rows.append(
                    (c.id, c.name(t.lang), c.commune(t.lang), current, prior,
                     change(current, prior))
                )  # fmt: skip
            rows.sort(key=lambda r: sort_key(str(r[1])))
            if sort == "people":
                rows.sort(key=lambda r: (r[3] is None, -(r[3] or 0)))  # type: ignore[operator]
            columns = (
                col(t, "core_id"),
                col(t, "core"),
                col(t, "commune"),
                col(t, "people", True),
                col(t, "previous", True),
                col(t, "change", True),
            )
            key = "cores"
        for index, row in enumerate(rows):
            links[(index, 1)] = href("core", t.lang, core=str(row[0]), week=week)
        table = Table(key, columns, tuple(tuple(r) for r in rows), links)
        filters = (
            Filter("place", t("dash.filter.place"), tuple(places), place),
            Filter("factor", t("dash.filter.factor"), factor_options(t, self._tax, True), factor),
            period_f,
            week_f,
            Filter(
                "sort",
                t("dash.filter.sort"),
                (Option("people", t("dash.sort.people")), Option("name", t("dash.sort.name"))),
                sort,
            ),
        )
        return ViewPage(
            self.name,
            t("dash.view.compare"),
            filters,
            (Section(key, t("dash.section.cores"), table, intro=t("dash.compare.intro")),),
        )


# --------------------------------------------------------------------------- map


class MapView:
    """A tile map of a territory's communes (Brussels) or villages (Lessines), shaded."""

    name = "map"
    admin_only = False
    tables: Mapping[str, tuple[str, ...]] = {"areas": ("area_id", "area", "people")}

    def __init__(self, figures: DashboardFigures, reference: Reference, tax: Taxonomy) -> None:
        self._figures = figures
        self._ref = reference
        self._tax = tax

    def title(self, t: Translator) -> str:
        """Return the view's name."""
        return t("dash.view.map")

    async def page(self, ctx: ViewContext) -> ViewPage:
        """Build the map of one territory for one factor."""
        t, scope = ctx.t, Scope(ctx.viewer, self._ref)
        territories = [
            tid for tid in self._ref.territories if ctx.viewer.sees_territory(tid)
        ]
        if not territories:
            raise NotFound("no territory")
        territory_id = _choice(ctx, "territory", territories, territories[0])
        territory = self._ref.territory(territory_id)
        assert territory is not None
        factor = _choice(ctx, "factor", (ANY, *FACTOR_IDS), ANY)
        period, period_f = period_filter(ctx)
        week, week_f = week_filter(ctx, self._figures)
        now = await self._figures.week(week)
        tiles: list[Tile] = []
        rows: list[tuple[Cell, ...]] = []
        links: dict[tuple[int, int], str] = {}
        for place in tiles_for(territory_id, self._ref):
            try:
                scope.check_place(place.key)
                visible = bool(place.core_ids)
            except NotFound:
                visible = False
            value = now.people(place.key, period, factor) if visible else None
            target: str | None = None
            if visible and place.key.startswith("core:"):
                target = href("core", t.lang, core=place.key.removeprefix("core:"), week=week)
            elif visible:
                target = href(
                    "compare", t.lang, place=place.key, factor=factor, period=period, week=week
                )
            tiles.append(
                Tile(
                    place.key,
                    place.label(t.lang),
                    place.row,
                    place.col,
                    value,
                    target,
                    shown=not visible or value is not None,
                    name=place.name(t.lang),
                )
            )
            if visible:
                if target is not None:
                    links[(len(rows), 1)] = target
                rows.append((place.key, place.name(t.lang), value))
        factor_name = (
            t("dash.factor.any") if factor == ANY else self._tax.get(factor).title(t.lang)
        )
        chart = tile_map(
            t("dash.chart.map", territory=territory.name(t.lang), factor=factor_name),
            t("dash.chart.map_desc", period=t(f"dash.period.{period}").lower(), week=week),
            tuple(tiles),
            t("dash.chart.map_legend"),
            t("dash.hidden", k=self._figures.k),
            t("dash.chart.no_data"),
        )
        table = Table(
            "areas",
            (col(t, "area_id"), col(t, "area"), col(t, "people", True)),
            tuple(rows),
            links,
        )
        filters = (
            Filter(
                "territory",
                t("dash.filter.territory"),
                tuple(
                    Option(tid, self._ref.territories[tid].name(t.lang)) for tid in territories
                ),
                territory_id,
            ),
            Filter("factor", t("dash.filter.factor"), factor_options(t, self._tax, True), factor),
            period_f,
            week_f,
        )
        return ViewPage(
            self.name,
            t("dash.view.map"),
            filters,
            (
                Section(
                    "areas",
                    t("dash.section.areas"),
                    table,
                    chart=Markup(chart),
                    intro=t("dash.map.intro"),
                ),
            ),
        )


def _int(value: Cell) -> int | None:
    return value if isinstance(value, int) else None


# --------------------------------------------------------------------------- wiring


class ColumnDictionary:
    """Define every column of every view's tables, from the views' own declarations."""

    def __init__(self, views: Sequence[View]) -> None:
        self._views = views

    def entries(
        self, t: Translator, viewer: Viewer
    ) -> list[tuple[str, str, str, list[tuple[str, str, str]]]]:
        """Return (view title, anchor, table key, [(column, label, definition)])."""
        out: list[tuple[str, str, str, list[tuple[str, str, str]]]] = []
        for view in self._views:
            if view.admin_only and not viewer.is_admin:
                continue
            tables: Mapping[str, tuple[str, ...]] = getattr(view, "tables", {})
            for table, keys in tables.items():
                out.append(
                    (
                        view.title(t),
                        f"{view.name.replace('/', '-')}-{table}",
                        table,
                        [(key, _label(t, key), _definition(t, key)) for key in keys],
                    )
                )
        return out


def _label(t: Translator, key: str) -> str:
    if key in FACTOR_IDS:
        return taxonomy().get(key).title(t.lang)
    return t(f"dash.col.{key}", core="…", place="…")


def _definition(t: Translator, key: str) -> str:
    if key in FACTOR_IDS:
        return t("dash.def.factor_column", factor=taxonomy().get(key).label.get(t.lang))
    return t(f"dash.def.{key}")


@dataclass(frozen=True)
class Sources:
    """What the views read besides the frozen figures (the other features' reports)."""

    db: Database
    reference: Reference
    tz: ZoneInfo
    anonymity_k: int
    clock: Callable[[], datetime]
    surveys: Surveys | None = None
    candidates: CandidateReport | None = None
    opportunities: OpportunityReport | None = None
    admins: tuple[str, ...] = ()
    notes: NoteService | None = None


def build_dashboard_web(
    access: DashboardAccess,
    figures: DashboardFigures,
    sources: Sources,
    public_url: str | None,
) -> DashboardWeb:
    """Return the dashboard with all its views, in the navigation's order."""
    # Imported here: those views build on this module's shared parts.
    from bot.features.dashboard.views_admin import admin_views
    from bot.features.dashboard.views_more import SinceView, SurveysView, VoicesView

    tax = taxonomy()
    reference = sources.reference
    views: list[View] = [
        OverviewView(figures, reference, tax, sources.notes),
        CoreView(figures, reference, tax),
        CompareView(figures, reference, tax),
        MapView(figures, reference, tax),
        SurveysView(figures, sources, tax),
        VoicesView(figures, sources, tax),
        SinceView(figures, sources),
        *admin_views(figures, sources),
    ]
    return DashboardWeb(
        access, views, ColumnDictionary(views), public_url, figures.k, sources.notes
    )
