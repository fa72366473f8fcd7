"""Build every service once at start-up and close them at shutdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.app.conversation import Conversation
from bot.app.links import entry_links
from bot.app.router import Router
from bot.config import Settings
from bot.features.barometer.flow import BarometerFlow
from bot.features.barometer.service import BarometerService
from bot.features.broadcasts.admin_flow import BroadcastAdminFlow
from bot.features.broadcasts.flow import AnnouncementsFlow
from bot.features.broadcasts.service import BroadcastService, BroadcastSettings, TemplatePlan
from bot.features.cells.admin_flow import CellAdminFlow
from bot.features.cells.flow import CellFlow
from bot.features.cells.photos import PhotoFetcher
from bot.features.cells.render import CellCards, CellNotices
from bot.features.cells.service import CellService
from bot.features.concerns.echo import Echo
from bot.features.concerns.flow import ConcernFlow
from bot.features.concerns.service import ConcernService
from bot.features.dashboard.access import DashboardAccess
from bot.features.dashboard.figures import DashboardFigures
from bot.features.dashboard.flow import DashboardFlow
from bot.features.dashboard.notes import NoteService
from bot.features.dashboard.periods import PeriodFigureService
from bot.features.dashboard.views import Sources as DashboardSources
from bot.features.dashboard.views import build_dashboard_web
from bot.features.dashboard.web import DashboardWeb
from bot.features.digests.dispatch import DigestDispatcher
from bot.features.digests.flow import DigestFlow
from bot.features.digests.mailer import SmtpMailer
from bot.features.digests.service import DigestService
from bot.features.entrepreneurs.admin_flow import RegistryAdminFlow
from bot.features.entrepreneurs.candidates import CandidateService
from bot.features.entrepreneurs.coach_admin_flow import CoachAdminFlow
from bot.features.entrepreneurs.coaching import CoachingService, CoachRegistry
from bot.features.entrepreneurs.coaching_flow import CoachingFlow
from bot.features.entrepreneurs.flow import CandidateFlow
from bot.features.entrepreneurs.jobs import NoticeSender, SessionSender
from bot.features.entrepreneurs.registry import Registry
from bot.features.entrepreneurs.render import CoachingRenderer
from bot.features.entrepreneurs.report import CandidateReport
from bot.features.entrepreneurs.session_admin_flow import SessionAdminFlow
from bot.features.entrepreneurs.session_flow import SessionFlow
from bot.features.entrepreneurs.teacher_flow import TeacherFlow
from bot.features.events.admin_flow import EventAdminFlow
from bot.features.events.flow import EventFlow
from bot.features.events.service import EventService
from bot.features.follow_ups.flow import FollowUpFlow
from bot.features.follow_ups.service import FollowUpService
from bot.features.foodchain.admin_flow import FoodAdminFlow
from bot.features.foodchain.flow import FoodFlow
from bot.features.foodchain.render import FoodRenderer
from bot.features.foodchain.service import FoodService
from bot.features.linking.flow import LinkFlow
from bot.features.linking.service import LinkService
from bot.features.needs.flow import NeedsFlow
from bot.features.needs.service import NeedService
from bot.features.notices.flow import NoticesFlow
from bot.features.notices.service import Notices
from bot.features.onboarding.flow import OnboardingService, SchoolLinks
from bot.features.opportunities.context import OpportunityContext
from bot.features.opportunities.flow import OpportunitiesFlow
from bot.features.opportunities.report import OpportunityReport
from bot.features.partners.admin_flow import PartnerAdminFlow
from bot.features.partners.flow import PartnerFlow
from bot.features.partners.service import PartnerService
from bot.features.popup.admin_flow import PopupAdminFlow
from bot.features.popup.flow import PopupFlow
from bot.features.popup.render import PopupRenderer, coach_line
from bot.features.popup.service import PopupService
from bot.features.privacy.flow import PrivacyFlow
from bot.features.privacy.retention_store import Pruned, RetentionRepository, retention_cutoff
from bot.features.reach.admin_flow import PosterAdminFlow
from bot.features.reach.flow import ReachFlow
from bot.features.reach.links import EntryLinks
from bot.features.reach.nudges import NudgeService
from bot.features.reach.service import CampaignService
from bot.features.surveys.admin_flow import SurveyAdminFlow
from bot.features.surveys.definitions import Surveys
from bot.features.surveys.flow import SurveyFlow
from bot.features.surveys.results import SurveyResults
from bot.features.surveys.service import SurveyService
from bot.features.surveys.waves import WaveService
from bot.reference import Reference
from bot.resources import Resources
from bot.shared.access import Admins
from bot.shared.classification import OffLoopClassifier
from bot.shared.contacts import ContactService
from bot.shared.inbox import DeliveryService
from bot.shared.metrics import Metrics
from bot.shared.outbound import Outbound
from bot.shared.schedule import WeeklyTime
from bot.storage import Database, InboxRepository, ProcessedEventRepository, UserRepository
from bot.storage.audit import AuditRepository
from bot.storage.deliveries import DeliveryStatusRepository
from bot.storage.replies import ReplyOutbox
from nlp.classifier import MODEL_DIR, get_classifier
from nlp.taxonomy import taxonomy

# Telegram keeps an unconfirmed update for 24 hours; a week of keys is ample.
PROCESSED_EVENTS_RETENTION = timedelta(days=7)


@dataclass
class BotIdentity:
    """What the bot learns about itself from its channel at start-up (for invitation links)."""

    username: str | None = None


@dataclass
class Services:
    """Hold the shared services of one running bot."""

    settings: Settings
    db: Database
    reference: Reference
    users: UserRepository
    onboarding: OnboardingService
    contacts: ContactService
    delivery: DeliveryService
    classifier: OffLoopClassifier
    concerns: ConcernService
    barometer: BarometerService
    barometer_flow: BarometerFlow
    follow_ups: FollowUpService
    follow_up_flow: FollowUpFlow
    partners: PartnerService
    digests: DigestService
    digest_flow: DigestFlow
    digest_dispatcher: DigestDispatcher
    surveys: SurveyService
    survey_flow: SurveyFlow
    waves: WaveService
    router: Router
    conversation: Conversation
    identity: BotIdentity
    # The links into the bot on each configured channel (posters, invitations, /go/).
    links: Callable[[], EntryLinks]
    campaigns: CampaignService
    reach: ReachFlow
    nudges: NudgeService
    broadcasts: BroadcastService
    announcements: AnnouncementsFlow
    events: EventService
    outbound: Outbound
    coaching: CoachingService
    coaching_notices: NoticeSender
    # How a request reads to its coach (what an opportunity adds to it included).
    coaching_render: CoachingRenderer
    info_sessions: SessionSender
    # What a flow tells someone other than the person who acted (opportunities' notices).
    notices: Notices
    metrics: Metrics
    cells: CellService
    cell_photos: PhotoFetcher
    food: FoodService
    popup: PopupService
    # The partners' and admins' web dashboard: its sign-in and its pages.
    dashboard: DashboardAccess
    dashboard_web: DashboardWeb
    # The figures of closed periods, frozen by a job and gated together for every view.
    dashboard_periods: PeriodFigureService
    dashboard_figures: DashboardFigures
    # None while no SMTP server is configured: digests then go to Telegram only.
    mailer: SmtpMailer | None = None

    async def close(self) -> None:
        """Release the classifier thread and the database."""
        self.classifier.close()
        await self.db.close()

    async def retention(self, now: datetime | None = None) -> Pruned:
        """Delete free text older than the retention period (labels kept anonymously)."""
        before = retention_cutoff(now or datetime.now(UTC), self.settings.text_retention_months)
        async with self.db.transaction():
            pruned = await RetentionRepository(self.db).prune(before)
        # Shared counts must not keep what is gone.
        self.barometer.forget_cache()
        return pruned

    async def metrics_text(self) -> bytes:
        """Return the figures for GET /metrics, the outboxes' depth read now."""
        self.metrics.outbox.labels("answers").set(await ReplyOutbox(self.db).depth())
        self.metrics.outbox.labels("notices").set(await self.notices.repo.depth())
        self.metrics.outbox.labels("announcements").set(await self.broadcasts.depth())
        return self.metrics.text()

    async def housekeeping(self) -> int:
        """Prune old exactly-once records and stale inbox copies; return how many went."""
        removed = await ProcessedEventRepository(self.db).prune(PROCESSED_EVENTS_RETENTION)
        removed += await self.delivery.prune()
        # Delivery statuses (WhatsApp's callbacks) are of use for a month.
        removed += await DeliveryStatusRepository(self.db).prune()
        await self.db.optimize()
        return removed


async def open_services(settings: Settings) -> Services:
    """Load reference data and the model, open and migrate the database, wire the services."""
    reference = Reference.load(settings.data_dir)
    resources = Resources.load(settings.data_dir / "resources")
    definitions = Surveys.load(settings.data_dir / "surveys")
    definitions.check_territories(list(reference.territories))
    # The bot's own figures for operators (GET /metrics): no person in them.
    metrics = Metrics()
    model_dir = settings.model_dir or MODEL_DIR
    classifier = OffLoopClassifier(lambda: get_classifier(model_dir), metrics)
    await classifier.start()
    db = Database(settings.database_path)
    await db.connect()
    users = UserRepository(db)
    contacts = ContactService(users)
    outbound = Outbound(contacts, metrics)
    campaigns = CampaignService(db, reference, settings.tz)
    candidates = CandidateService(db, reference)
    candidate_flow = CandidateFlow(db, candidates, reference)
    onboarding = OnboardingService(
        db,
        reference,
        campaigns.arrived,
        SchoolLinks(candidates.school_territory, candidate_flow.on_school_link),
    )
    follow_ups = FollowUpService(
        db,
        after=timedelta(days=settings.follow_up_after_days),
        from_hour=settings.follow_up_from_hour,
        until_hour=settings.follow_up_until_hour,
        tz=settings.tz,
    )
    barometer = BarometerService(
        db,
        anonymity_k=settings.anonymity_k,
        follow_ups=follow_ups,
        territory_cache_s=settings.barometer_cache_seconds,
    )
    concerns = ConcernService(
        db,
        classifier.question,
        anonymity_k=settings.anonymity_k,
        flood_per_hour=settings.flood_per_hour,
        follow_ups=follow_ups,
        voices_removed=barometer.forget_cache,
    )
    echo = Echo(barometer, reference, taxonomy(), resources, settings.anonymity_k)
    flow = ConcernFlow(concerns, taxonomy(), echo, onboarding.prompt_for)
    barometer_flow = BarometerFlow(
        barometer, echo, reference, taxonomy(), settings.anonymity_k, settings.tz
    )
    follow_up_flow = FollowUpFlow(follow_ups, echo, settings.tz)
    surveys = SurveyService(db, definitions, classifier)
    waves = WaveService(
        db,
        definitions,
        window=timedelta(minutes=settings.survey_send_window_minutes),
        remind_after=timedelta(hours=settings.survey_remind_after_hours),
        open_for=timedelta(days=settings.survey_open_days),
        results=SurveyResults(db, settings.anonymity_k),
    )
    sessions = SessionFlow(db)
    survey_flow = SurveyFlow(
        surveys,
        taxonomy(),
        waves.results_of,
        reference,
        settings.anonymity_k,
        # An information session's feedback ends with "Ask for a coach".
        sessions.feedback_buttons,
    )
    partners = PartnerService(db, reference)
    audit = AuditRepository(db)
    admins = Admins([str(a) for a in settings.admin_ids], audit)
    survey_admin = SurveyAdminFlow(
        db,
        definitions,
        waves,
        SurveyResults(db, settings.anonymity_k),
        survey_flow,
        reference,
        anonymity_k=settings.anonymity_k,
        send_window_minutes=settings.survey_send_window_minutes,
    )
    notices = Notices(db, users, outbound)
    cells = CellService(db, reference, notices, admins.refs, settings.tz)
    cell_cards = CellCards(reference, settings.tz)
    CellNotices(cells.repo, cell_cards).register(notices)
    cell_photos = PhotoFetcher(db, outbound)
    food = FoodService(db, reference, notices, admins.refs)
    food_render = FoodRenderer(food, reference, users)
    food_render.register(notices)
    popup = PopupService(db, reference, notices, admins.refs, settings.tz)
    popup_render = PopupRenderer(popup, reference)
    popup_render.register(notices)
    needs = NeedService(db, reference, settings.anonymity_k)
    digests = DigestService(
        db,
        settings.anonymity_k,
        settings.tz,
        definitions,
        reference,
        CandidateReport(db, settings.anonymity_k),
        OpportunityReport(db, settings.anonymity_k, popup.report, food.report),
    )
    digest_flow = DigestFlow(
        partners, digests, reference, taxonomy(), settings.anonymity_k, AuditRepository(db)
    )
    identity = BotIdentity(settings.bot_username)
    mailer = SmtpMailer.from_settings(settings)
    broadcasts = BroadcastService(
        db,
        reference,
        BroadcastSettings(
            rate_per_s=settings.broadcast_rate,
            batch=settings.broadcast_batch,
            max_attempts=settings.broadcast_max_attempts,
        ),
    )
    announcements = AnnouncementsFlow(users)
    plan = (
        TemplatePlan(
            channel="whatsapp",
            category="MARKETING",
            price=settings.whatsapp_price_marketing,
            daily_limit=settings.whatsapp_daily_limit,
        )
        if settings.whatsapp_on
        else None
    )
    broadcast_admin = BroadcastAdminFlow(broadcasts, settings.tz, plan)
    events = EventService(db, reference, broadcasts, waves, settings.tz)
    event_admin = EventAdminFlow(events, broadcasts, settings.tz)
    partner_admin = PartnerAdminFlow(partners, lambda: identity.username)
    privacy = PrivacyFlow(db, barometer.forget_cache)

    def links() -> EntryLinks:
        return entry_links(settings, reference, identity.username)

    poster_admin = PosterAdminFlow(reference, links, lambda: datetime.now(UTC))
    reach = ReachFlow(links, reference, users)
    registry_admin = RegistryAdminFlow(db, Registry(db, reference), links)
    coaching = CoachingService(
        db,
        reference,
        admins=admins.refs,
        accept_hours=settings.coach_accept_hours,
        tz=settings.tz,
    )
    # A pop-up test's would-settle answer is part of what a coach receives.
    popup_fact = coach_line(db)
    # What an opportunity is, in words: a request started from one names it to the coach.
    opportunity_context = OpportunityContext(
        reference, cells.repo, cell_cards, popup, popup_render, food
    )
    coaching_render = CoachingRenderer(
        coaching,
        candidates,
        reference,
        users,
        settings.tz,
        popup_fact,
        opportunity_context.describe,
    )
    coaching_notices = NoticeSender(db, coaching_render, outbound, users)
    popup_admin = PopupAdminFlow(db, popup, popup_render, broadcasts, admins)
    popup_flow = PopupFlow(
        db, popup, popup_render, candidates, reference, admins, popup_admin.on_popup,
        popup_admin.on_reason,
    )  # fmt: skip
    dashboard = DashboardAccess(
        db,
        settings.web_base_url,
        audit,
        mailer,
        settings.smtp_from,
        admins=admins.refs,
    )
    notes = NoteService(db, reference, broadcasts, audit, settings.tz)
    barometer_flow.said = notes.barometer_lines
    dashboard_periods = PeriodFigureService(db, reference, settings.tz)
    dashboard_figures = DashboardFigures(
        db, dashboard_periods, reference, settings.anonymity_k, settings.tz
    )
    dashboard_web = build_dashboard_web(
        dashboard,
        dashboard_figures,
        DashboardSources(
            db,
            reference,
            settings.tz,
            settings.anonymity_k,
            lambda: datetime.now(UTC),
            definitions,
            CandidateReport(db, settings.anonymity_k),
            OpportunityReport(db, settings.anonymity_k, popup.report, food.report),
            admins.refs,
            notes,
        ),
        settings.public_url,
    )
    coaching_flow = CoachingFlow(db, coaching, candidates, coaching_render, coaching_notices.kick)
    coach_admin = CoachAdminFlow(db, CoachRegistry(db, reference), coaching, coaching_notices.kick)
    # Every flow that answers people, registered once; the router's order is its own.
    router = Router(
        users.get,
        admins,
        privacy.gate(),
        lambda _user, msg, _lang: onboarding.handle(msg),
        [
            privacy.routes(),
            PartnerFlow(partners, reference, AuditRepository(db)).routes(),
            digest_flow.routes(),
            partner_admin.routes(),
            survey_admin.routes(),
            broadcast_admin.routes(),
            event_admin.routes(),
            poster_admin.routes(),
            registry_admin.routes(),
            coach_admin.routes(),
            SessionAdminFlow(db).routes(),
            DashboardFlow(dashboard, partners, admins, outbound, db).routes(),
            survey_flow.routes(),
            coaching_flow.routes(),
            candidate_flow.routes(),
            NeedsFlow(db, needs, reference).routes(),
            OpportunitiesFlow(
                db,
                candidates,
                needs,
                cells,
                cell_cards,
                popup,
                food,
                opportunity_context,
                reference,
                settings.tz,
                lambda: datetime.now(UTC),
            ).routes(),
            NoticesFlow(db, notices, admins.refs).routes(),
            CellFlow(db, cells, cell_cards, cell_photos, candidates, reference).routes(),
            CellAdminFlow(db, cells, cell_cards).routes(),
            FoodFlow(db, food, reference, food_render).routes(),
            FoodAdminFlow(db, food, reference).routes(),
            popup_flow.routes(),
            popup_admin.routes(),
            sessions.routes(),
            TeacherFlow(db, settings.anonymity_k).routes(),
            flow.routes(),
            barometer_flow.routes(),
            follow_up_flow.routes(),
            announcements.routes(),
            EventFlow(events).routes(),
            LinkFlow(LinkService(db, users)).routes(),
            reach.routes(),
        ],
    )
    return Services(
        settings=settings,
        db=db,
        reference=reference,
        users=users,
        onboarding=onboarding,
        contacts=contacts,
        delivery=DeliveryService(InboxRepository(db), users),
        classifier=classifier,
        concerns=concerns,
        barometer=barometer,
        barometer_flow=barometer_flow,
        follow_ups=follow_ups,
        follow_up_flow=follow_up_flow,
        partners=partners,
        digests=digests,
        digest_flow=digest_flow,
        digest_dispatcher=DigestDispatcher(
            db,
            digests,
            WeeklyTime.parse(settings.digest_time),
            settings.tz,
            email=mailer is not None,
        ),
        surveys=surveys,
        survey_flow=survey_flow,
        waves=waves,
        router=router,
        conversation=Conversation(
            db, router.handle, outbound, router.still_meaningful, metrics=metrics
        ),
        metrics=metrics,
        identity=identity,
        broadcasts=broadcasts,
        announcements=announcements,
        events=events,
        outbound=outbound,
        mailer=mailer,
        links=links,
        campaigns=campaigns,
        reach=reach,
        nudges=NudgeService(db, settings.tz),
        coaching=coaching,
        coaching_notices=coaching_notices,
        coaching_render=coaching_render,
        info_sessions=SessionSender(db, outbound, users),
        notices=notices,
        cells=cells,
        cell_photos=cell_photos,
        food=food,
        popup=popup,
        dashboard=dashboard,
        dashboard_web=dashboard_web,
        dashboard_periods=dashboard_periods,
        dashboard_figures=dashboard_figures,
    )
