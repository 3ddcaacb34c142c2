"""The serendipity digest: who gets one for an ISO week, what it says, and the never-twice delivery loop.

Planning reads the engine (one fit for everyone) and the store's policies and digest records; delivery reserves
each (person, period) in the store before composing, so a crash or a second run can never send it again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Literal, Protocol

from api.engine import Engine, InvalidQuery
from api.errors import ApiError
from graph.controls import DigestRecord, EffectivePolicy, Frequency, Policy, effective_policy
from graph.delta import GraphDelta, Person, Post, SuggestionRecord
from recommender.explain import Match, Suggestion

SUGGESTIONS_PER_DIGEST = 3
WORKING_ON_DAYS = 14
"""A "working on…" post counts for the digests of the two weeks after it was written."""
WORKING_ON_POSTS = 3
MATCHES_PER_POST = 2
RECORD_EVERY = 100
"""Shown suggestions are written every this many recipients: a write per recipient would rewrite an embedded
graph each time."""

WORKING_ON = re.compile(
    r"\b(working on|wip|anyone (?:done|tried|built|seen)|has anyone|about to (?:start|build|try))\b", re.IGNORECASE
)
"""Phrases that mark a post as work in progress (see docs/digest.md); questions count too."""
_PERIOD = re.compile(r"^(\d{4})-W(\d{2})$")
WEEKS_BETWEEN: dict[Frequency, int] = {"weekly": 1, "biweekly": 2, "monthly": 4}
"""A digest is due when none went out in the ``n - 1`` weeks before the period."""

SkipReason = Literal["switched_off", "frequency_off", "not_due", "no_email", "not_suggestable", "nothing_to_say"]
SKIP_REASONS: dict[SkipReason, str] = {
    "switched_off": "digests switched off (WEAKTIE_DIGEST_ENABLED)",
    "frequency_off": "digest frequency off (person, team or org policy)",
    "not_due": "not due this week (biweekly or monthly)",
    "no_email": "no usable e-mail address",
    "not_suggestable": "opted out of suggestions",
    "nothing_to_say": "nothing to say (no suggestions, no matches)",
}


class InvalidPeriod(ApiError):
    """A period that is not an ISO week such as 2026-W48."""


# -- periods ------------------------------------------------------------------------------------------------------


def parse_period(period: str) -> date:
    """The Monday that starts ISO week ``period`` (``YYYY-Www``)."""
    found = _PERIOD.match(period.strip())
    if found is None:
        raise InvalidPeriod(f"the period must be an ISO week such as 2026-W48, not {period!r}")
    try:
        return date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise InvalidPeriod(f"{period!r} has no such week: ISO years have 52 or 53 weeks") from None


def period_of(day: date | datetime) -> str:
    """The ISO week a day (or instant, by its own date) falls in."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def period_start(period: str) -> datetime:
    """Midnight UTC on the Monday that starts ``period``."""
    return datetime.combine(parse_period(period), time(), tzinfo=UTC)


def previous_periods(period: str, weeks: int) -> tuple[str, ...]:
    """The ``weeks`` ISO weeks just before ``period``, nearest first."""
    monday = parse_period(period)
    return tuple(period_of(monday - timedelta(weeks=back)) for back in range(1, weeks + 1))


def is_due(frequency: Frequency, period: str, earlier: Collection[str]) -> bool:
    """Whether a digest at ``frequency`` is due in ``period``, given the periods that already had one.

    Weekly: always; biweekly: none in the previous week; monthly: none in the previous three weeks.
    """
    if frequency == "off":
        return False
    return not any(week in earlier for week in previous_periods(period, WEEKS_BETWEEN[frequency] - 1))


# -- who -------------------------------------------------------------------------------------------------------------


def usable_address(email: str | None) -> bool:
    """Whether ``email`` is one plain address (``local@domain``) a message can go to."""
    if not email or not email.strip():
        return False
    try:
        address = Address(addr_spec=email.strip())
    except (ValueError, IndexError, HeaderParseError):
        return False
    return bool(address.username and address.domain) and address.addr_spec == email.strip()


def skip_reason(person: Person, policy: EffectivePolicy, *, period: str, earlier: Collection[str]) -> SkipReason | None:
    """Why ``person`` gets no digest in ``period`` (before looking at its content), or None when one is due."""
    if policy.digest == "off":
        return "frequency_off"
    if not policy.suggest:
        return "not_suggestable"
    if not usable_address(person.email):
        return "no_email"
    if not is_due(policy.digest, period, earlier):
        return "not_due"
    return None


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is due a digest for a period, and why everyone else is not."""

    period: str
    due: tuple[Person, ...]
    skipped: Mapping[SkipReason, tuple[str, ...]]
    already_sent: tuple[str, ...]
    """Sent in an earlier run of this period."""
    unconfirmed: tuple[str, ...]
    """Reserved in an earlier run that never confirmed sending (it crashed or the server refused): never retried."""


def audience(
    people: Iterable[Person],
    policies: Mapping[str, Policy],
    records: Iterable[DigestRecord],
    *,
    period: str,
    enabled: bool,
) -> Audience:
    """Sort everyone into due, skipped (by reason) and already handled this period; by person id."""
    parse_period(period)
    policy_map = dict(policies)
    history: dict[str, set[str]] = defaultdict(set)
    this_period: dict[str, DigestRecord] = {}
    for record in records:
        if record.period == period:
            this_period[record.person] = record
        else:
            # A reserved digest probably went out: for cadence it counts as sent (rather one too few than too many).
            history[record.person].add(record.period)
    due: list[Person] = []
    skipped: dict[SkipReason, list[str]] = defaultdict(list)
    sent: list[str] = []
    unconfirmed: list[str] = []
    for person in sorted(people, key=lambda p: p.id):
        handled = this_period.get(person.id)
        if handled is not None:
            (sent if handled.state == "sent" else unconfirmed).append(person.id)
            continue
        reason = (
            "switched_off"
            if not enabled
            else skip_reason(person, effective_policy(person, policy_map), period=period, earlier=history[person.id])
        )
        if reason is None:
            due.append(person)
        else:
            skipped[reason].append(person.id)
    return Audience(
        period=period,
        due=tuple(due),
        skipped={reason: tuple(ids) for reason, ids in skipped.items()},
        already_sent=tuple(sent),
        unconfirmed=tuple(unconfirmed),
    )


# -- what ------------------------------------------------------------------------------------------------------------


def is_working_on(post: Post) -> bool:
    """A question, or a post whose title or snippet says it is work in progress (see :data:`WORKING_ON`)."""
    if post.reply_to is not None:
        return False  # replies answer someone else's work
    return post.is_question or any(WORKING_ON.search(text) for text in (post.title or "", post.snippet))


def working_on_posts(posts: Iterable[Post], *, period: str, limit: int = WORKING_ON_POSTS) -> list[Post]:
    """The newest "working on…" posts among ``posts`` written in the :data:`WORKING_ON_DAYS` before the period."""
    end = period_start(period)
    start = end - timedelta(days=WORKING_ON_DAYS)
    recent = [post for post in posts if start <= post.created_at < end and is_working_on(post)]
    recent.sort(key=lambda post: (post.created_at, post.id), reverse=True)
    return recent[:limit]


def query_text(post: Post) -> str:
    """What a post asks the already-done index: its title and snippet."""
    return ". ".join(part.strip() for part in (post.title or "", post.snippet) if part.strip())


@dataclass(frozen=True, slots=True)
class WorkingOn:
    """One of the recipient's own recent posts and who already did something like it."""

    post: Post
    matches: tuple[Match, ...]


@dataclass(frozen=True, slots=True)
class DigestContent:
    person: Person
    period: str
    suggestions: tuple[Suggestion, ...] = ()
    working_on: tuple[WorkingOn, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.suggestions and not self.working_on


def compose(
    engine: Engine,
    person: Person,
    *,
    period: str,
    own_posts: Sequence[Post],
    allowed: Callable[[Person], bool],
) -> DigestContent:
    """What ``person``'s digest says: up to three people to meet and matches for their recent work in progress.

    Nothing is recorded here. Evidence is only ever what the recipient may see (they are the viewer and the
    asker); ``allowed`` drops people who must not be suggested to anyone.
    """
    found = engine.suggestions(person.id, k=SUGGESTIONS_PER_DIGEST, record=False)
    suggestions = tuple(item for item in found if item.candidate.id != person.id and allowed(item.candidate))
    working_on: list[WorkingOn] = []
    for post in working_on_posts(own_posts, period=period):
        text = query_text(post)
        if not text:
            continue
        try:
            # One spare: the asker is never ranked, but a co-author of their post may be someone not allowed.
            matches = engine.already_done(text, asker=person.id, k=MATCHES_PER_POST + 1)
        except InvalidQuery:
            continue
        kept = tuple(
            match for match in matches if match.person.id != person.id and allowed(match.person) and match.evidence
        )[:MATCHES_PER_POST]
        if kept:
            working_on.append(WorkingOn(post=post, matches=kept))
    return DigestContent(person=person, period=period, suggestions=suggestions, working_on=tuple(working_on))


# -- delivery --------------------------------------------------------------------------------------------------------


class Outbox(Protocol):
    """Where composed messages go: an SMTP server, or a directory for a dry run."""

    dry_run: bool
    """A dry run neither reserves digests nor records suggestions: it can be repeated freely."""

    def send(self, message: EmailMessage, *, person: str, period: str) -> None:
        """Deliver one message; raise :class:`Refused` when only this recipient failed."""


class Refused(ApiError):
    """The mail server refused one recipient; the others can still be sent."""


class DeliveryFailed(ApiError):
    """Delivery cannot go on (the mail server is gone): the run stops, the digest in flight stays reserved."""


@dataclass(slots=True)
class DigestReport:
    period: str
    dry_run: bool
    delivered: list[str] = field(default_factory=list)
    """Sent (or, on a dry run, written)."""
    skipped: dict[SkipReason, list[str]] = field(default_factory=dict)
    already_sent: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    """Reserved by an earlier run (or a concurrent one) and not confirmed sent: at most once, so not retried."""
    refused: list[str] = field(default_factory=list)
    """Reserved by this run, refused by the mail server: not retried either."""
    not_reached: list[str] = field(default_factory=list)
    """Due but beyond ``--limit``: a later run of the same period picks them up."""
    failed: list[str] = field(default_factory=list)
    """Reserved by this run when delivery broke down: unconfirmed, never retried."""
    error: str | None = None
    """Why the run stopped early, if it did."""

    def skip(self, reason: SkipReason, person: str) -> None:
        self.skipped.setdefault(reason, []).append(person)


MessageBuilder = Callable[[DigestContent], EmailMessage]
ProgressFn = Callable[[int, int], None]


def run_digest(
    engine: Engine,
    *,
    period: str,
    outbox: Outbox,
    build: MessageBuilder,
    now: datetime,
    limit: int | None = None,
    progress: ProgressFn | None = None,
) -> DigestReport:
    """Compose and deliver the digests of ``period``; never twice to anyone (see docs/digest.md).

    For real runs each recipient is reserved in the store before their message is built, sent, then marked sent;
    what a recipient was shown is recorded as suggested. :class:`DeliveryFailed` stops the run (the digest in
    flight stays reserved, unconfirmed) and is reported in ``report.error``; a refused recipient does not.
    """
    store = engine.store
    projection = engine.projection()
    policies = store.controls().policy_map()
    plan = audience(projection.people, policies, store.digests(), period=period, enabled=engine.settings.digest_enabled)
    report = DigestReport(period=period, dry_run=outbox.dry_run)
    for reason, ids in plan.skipped.items():
        report.skipped[reason] = list(ids)
    report.already_sent.extend(plan.already_sent)
    report.unconfirmed.extend(plan.unconfirmed)
    if not plan.due:
        return report

    due_ids = {person.id for person in plan.due}
    own_posts: dict[str, list[Post]] = defaultdict(list)
    for post in projection.posts:
        if post.author in due_ids:
            own_posts[post.author].append(post)

    def allowed(candidate: Person) -> bool:
        return effective_policy(candidate, policies).suggest

    shown: list[SuggestionRecord] = []

    def record_shown() -> None:
        if shown and not outbox.dry_run:
            store.upsert(GraphDelta(suggestions=tuple(shown)))
        shown.clear()

    try:
        for done, person in enumerate(plan.due):
            if progress is not None:
                progress(done, len(plan.due))
            if limit is not None and len(report.delivered) >= limit:
                report.not_reached.append(person.id)
                continue
            content = compose(engine, person, period=period, own_posts=own_posts[person.id], allowed=allowed)
            if content.empty:
                report.skip("nothing_to_say", person.id)
                continue
            if not outbox.dry_run and not store.reserve_digest(person.id, period, at=now):
                report.unconfirmed.append(person.id)  # another run got there first
                continue
            try:
                outbox.send(build(content), person=person.id, period=period)
            except Refused:
                report.refused.append(person.id)
                continue
            except DeliveryFailed as error:
                report.failed.append(person.id)
                report.error = str(error)
                break
            if not outbox.dry_run:
                store.mark_digest_sent(person.id, period, at=now)
                shown.extend(engine.people_model().records(content.suggestions, at=now))
            report.delivered.append(person.id)
            if len(report.delivered) % RECORD_EVERY == 0:
                record_shown()
        else:
            if progress is not None:
                progress(len(plan.due), len(plan.due))
    finally:
        record_shown()
        if not outbox.dry_run:
            engine.refresh()
    return report
