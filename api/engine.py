"""The service layer the API and the CLI share: one store, the fitted recommenders, and the questions people ask.

The recommenders are fitted lazily from ``store.projection()`` on first use and refitted after an ingest.
Showing suggestions never records them by itself: only ``suggestions(..., record=True)`` writes
``SUGGESTED`` edges (the CLI's ``suggest --record`` and digests do; the HTTP ``GET`` does not, so reloading
a page cannot use up anyone's introductions).

People's and admins' controls (feedback, topic corrections, policies, do-not-pair, forget) are written through
``store.upsert`` and drop the fitted models; the recommenders fit on ``apply_controls(store.projection())``, and
every answer checks the controls once more before it is shown (docs/privacy.md).

The CLI opens its store with :func:`open_store`. The HTTP service opens one Neo4j driver per process
(:func:`neo4j_driver`) and an engine whose store is opened on first use (``Engine(opener=...)``), so it starts
and answers ``/v1/health`` while Neo4j is down, and creates the schema once the server is back.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import neo4j
from neo4j import exceptions as neo4j_errors

from api.errors import ApiError, ConfigurationError
from api.ingest import IngestReport, Progress, ingest_directory
from api.person_export import export_data
from api.settings import Settings
from api.team_report import ACTIVE_DAYS, TeamReport, team_report
from extractors.topics import TopicAnalyzer
from graph.controls import (
    CORRECTION_ACTIONS,
    FEEDBACK_KINDS,
    FREQUENCIES,
    ORG_SCOPE,
    Controls,
    CorrectionAction,
    DoNotPair,
    EffectivePolicy,
    Feedback,
    FeedbackKind,
    Frequency,
    Policy,
    TopicCorrection,
    effective_policy,
    suppression_keys,
)
from graph.delta import Expertise, ExpertiseKind, GraphDelta, Person, Topic, can_see
from graph.embedded import EmbeddedStore
from graph.errors import NotFound, StoreError
from graph.neo4j_store import Neo4jStore
from graph.store import GraphCounts, GraphStore, Neighbourhood, Projection
from recommender.already_done import AlreadyDone
from recommender.controls import apply_controls
from recommender.explain import Match, Suggestion
from recommender.people import Mode, PeopleToMeet
from recommender.topic_ranking import TopicSpecificity


class InvalidQuery(ApiError):
    """A question the engine cannot answer as asked (for example an empty text)."""


UNSEEN_FEEDBACK: frozenset[FeedbackKind] = frozenset({"dismiss", "not_relevant"})
"""Feedback after which the candidate is never suggested to that person again."""

TopicStatus = Literal["inferred", "confirmed", "hidden", "self-declared"]
STATUS_OF: dict[CorrectionAction, TopicStatus] = {"confirm": "confirmed", "hide": "hidden", "add": "self-declared"}
"""The status of a topic the person spoke about and nothing was inferred on."""


@dataclass(frozen=True, slots=True)
class Stats(GraphCounts):
    """Graph counts, all zero (``suppressed``) while the graph holds fewer than ``min_group_size`` people."""

    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class PersonTopic:
    """One topic of a person as they see it in ``weaktie topics list``: what was inferred and what they said."""

    topic: str
    label: str
    status: TopicStatus
    kind: ExpertiseKind | None
    """``knows`` or ``asks`` for inferred topics; ``None`` for a correction with no inferred expertise behind it."""
    score: float


@dataclass(frozen=True, slots=True)
class Profile:
    neighbourhood: Neighbourhood
    people: Mapping[str, Person] = field(default_factory=dict)
    """The people the neighbourhood's ties point at, by id (for names)."""


@dataclass(frozen=True, slots=True)
class TopicExperts:
    topic: Topic
    kind: ExpertiseKind
    experts: tuple[tuple[Person, Expertise], ...]


BOLT_SCHEMES = frozenset(f"{kind}{security}" for kind in ("bolt", "neo4j") for security in ("", "+s", "+ssc"))


def open_store(settings: Settings) -> GraphStore:
    """The store the settings select, owning its connection (for the CLI and scripts); the caller closes it.

    Raises :class:`graph.errors.StoreUnavailable` when Neo4j cannot be reached, after retrying for
    ``neo4j_retry_seconds``.
    """
    if settings.store == "neo4j":
        _check_uri(settings.neo4j_uri)
        return Neo4jStore.connect(
            settings.neo4j_uri,
            settings.neo4j_user,
            _neo4j_password(settings),
            database=settings.neo4j_database,
            max_retry_seconds=settings.neo4j_retry_seconds,
        )
    return EmbeddedStore(settings.graph_dir)


def neo4j_driver(settings: Settings) -> neo4j.Driver:
    """A Neo4j driver for the settings, not yet connected: it connects on its first query, so Neo4j may be down.

    Raises :class:`ConfigurationError` or :class:`graph.errors.StoreError` for settings no server could accept.
    """
    _check_uri(settings.neo4j_uri)
    try:
        return neo4j.GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(settings.neo4j_user, _neo4j_password(settings)),
            max_transaction_retry_time=settings.neo4j_retry_seconds,
        )
    except (neo4j_errors.ConfigurationError, ValueError) as error:
        raise StoreError(_bad_uri(settings.neo4j_uri)) from error


def check_settings(settings: Settings) -> None:
    """Raise the configuration errors opening the store would, without connecting to anything."""
    if settings.store == "neo4j":
        neo4j_driver(settings).close()


def _check_uri(uri: str) -> None:
    # The driver also takes http(s):// (its preview HTTP API, with extra packages): weaktie speaks Bolt only.
    scheme = uri.partition("://")[0].lower()
    if scheme not in BOLT_SCHEMES:
        raise StoreError(_bad_uri(uri))


def _bad_uri(uri: str) -> str:
    return f"{uri!r} is not a Neo4j Bolt URI: use e.g. bolt://localhost:7687 or neo4j://host:7687 (NEO4J_URI)"


def _neo4j_password(settings: Settings) -> str:
    if settings.neo4j_password is None:
        raise ConfigurationError(
            "WEAKTIE_STORE=neo4j needs the password of NEO4J_USER: set NEO4J_PASSWORD "
            "(for scripts/neo4j-local the default is weaktie-dev-password)"
        )
    return settings.neo4j_password.get_secret_value()


_SHOWN_ENTRIES = 10_000
"""How many explained answers :meth:`Engine.suggestions` keeps between fits (oldest dropped first)."""


def _settle_heap() -> None:
    """Move what is alive now (the graph, the fitted model) out of the garbage collector's sight.

    A service holds millions of long-lived objects; without this, every full collection walks all of them and
    the requests that happen to trigger it wait (the long tail of the API's latency). Objects freed later are still
    freed by reference counting. Cycles among frozen objects (say, of the previous fit) are collected here, at the
    next fit: everything is unfrozen, collected once, and what is still alive is frozen again.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Engine:
    """Answers the API's and the CLI's questions against one store."""

    def __init__(
        self,
        store: GraphStore | None = None,
        *,
        settings: Settings,
        clock: Callable[[], datetime] = _utcnow,
        opener: Callable[[], GraphStore] | None = None,
    ) -> None:
        """Give either an open ``store`` or an ``opener``, called on first use of the store (see :attr:`store`).

        With an opener, the engine can be built while the store is down: each use of the store until it can be
        opened raises the opener's error (e.g. :class:`graph.errors.StoreUnavailable`) and the next use tries again.
        """
        if (store is None) == (opener is None):
            raise ValueError("give Engine either an open store or an opener, not both or neither")
        self._store = store
        self._opener = opener
        self._store_lock = threading.Lock()
        self.settings = settings
        self._clock = clock
        # FastAPI runs plain endpoints in a thread pool: two first requests must not both fit.
        self._lock = threading.RLock()
        self._stored: Projection | None = None
        self._specificity: tuple[Projection, TopicSpecificity] | None = None
        self._projection: Projection | None = None
        self._controls: Controls | None = None
        self._people: PeopleToMeet | None = None
        self._already_done: AlreadyDone | None = None
        self._analyzer: TopicAnalyzer | None = None
        # Explained suggestions per (person, viewer, k, mode) since the last fit: the widget asks again on every
        # page view, and explaining is most of the cost of an answer.
        self._shown: dict[tuple[str, str | None, int, str], list[Suggestion]] = {}

    @property
    def store(self) -> GraphStore:
        """The store, opened now if it was deferred and not opened yet."""
        store = self._store
        if store is not None:
            return store
        # Not self._lock: a health check must not wait behind a long fit to learn that the store is down.
        with self._store_lock:
            if self._store is None:
                if self._opener is None:
                    raise StoreError("the engine is closed; open a new one to read or write the graph")
                self._store = self._opener()
            return self._store

    def check_store(self) -> None:
        """Open the store if needed and read from it: raises a StoreError (StoreUnavailable) if that fails."""
        self.store.counts()

    def close(self) -> None:
        """Close the store if it was opened; a deferred engine does not reopen it afterwards."""
        with self._store_lock:
            store, self._store, self._opener = self._store, None, None
        if store is not None:
            store.close()

    # -- writes -------------------------------------------------------------------------------------------------

    def ingest(self, path: Path, *, progress: Progress | None = None) -> IngestReport:
        with self._lock:
            report = ingest_directory(path, self.store, settings=self.settings, progress=progress)
            self.refresh()
        return report

    def refresh(self) -> None:
        """Forget the fitted models; the next question refits them on the current graph."""
        with self._lock:
            self._forget_fitted()
            self._analyzer = None

    def _forget_fitted(self) -> None:
        # What a control changes: the projection and every model fitted on it, not the topic analyzer (the
        # vocabulary is unchanged, and loading spaCy again would be slow).
        self._stored = None
        self._projection = None
        self._controls = None
        self._people = None
        self._already_done = None
        self._shown.clear()

    def _write(self, delta: GraphDelta, *, refit: bool = True) -> None:
        with self._lock:
            self.store.upsert(delta)
            if refit:
                self._forget_fitted()
            else:
                self._controls = None
                self._shown.clear()

    def feedback(self, person_id: str, candidate_id: str, kind: FeedbackKind) -> Feedback:
        """Record what ``person_id`` said about the suggestion of ``candidate_id``; the latest word per pair counts.

        ``dismiss`` and ``not_relevant`` mean the candidate is never suggested to them again.
        """
        if kind not in FEEDBACK_KINDS:
            raise InvalidQuery(f"feedback kind must be one of {', '.join(FEEDBACK_KINDS)}, not {kind!r}")
        if person_id == candidate_id:
            raise InvalidQuery("feedback is about someone else's suggestion: person and candidate are the same")
        self.store.person(person_id)
        self.store.person(candidate_id)
        record = Feedback(person=person_id, candidate=candidate_id, kind=kind, at=self._clock())
        # No refit (minutes on a large graph, for one click): the last check in suggestions() reads the new
        # controls at once, and the next refit (after an ingest) leaves the pair out of the allocation itself.
        self._write(GraphDelta(feedback=(record,)), refit=False)
        return record

    def correct_topic(self, person_id: str, topic: str, action: CorrectionAction) -> TopicCorrection:
        """A person's own word on one of their topics (by id or label): confirm, hide, or add a new one.

        Only ``add`` accepts a topic nobody has written about yet; it is stored under its normalised key.
        """
        if action not in CORRECTION_ACTIONS:
            raise InvalidQuery(f"topic action must be one of {', '.join(CORRECTION_ACTIONS)}, not {action!r}")
        self.store.person(person_id)
        try:
            key = self._topic(topic).id
        except NotFound:
            key = topic_key(topic)
            # Confirm and hide need a topic that exists: in the vocabulary, or added by this person before.
            known = {item.id for item in self.store.topics()} | set(self._corrections_of(person_id))
            if action != "add" and key not in known:
                raise
            if not key:
                raise InvalidQuery("the topic to add is empty; name it in a word or two") from None
        record = TopicCorrection(person=person_id, topic=key, action=action, at=self._clock())
        self._write(GraphDelta(corrections=(record,)))
        return record

    def set_policy(
        self,
        scope: str,
        *,
        suggest: bool | None = None,
        infer: bool | None = None,
        digest: Frequency | None = None,
    ) -> Policy:
        """Change what is said at ``scope`` (``org``, ``team:<id>``, ``person:<id>``); ``None`` keeps what was."""
        if digest is not None and digest not in FREQUENCIES:
            raise InvalidQuery(f"digest must be one of {', '.join(FREQUENCIES)}, not {digest!r}")
        self._check_scope(scope)
        stored = self.policy_at(scope) or Policy(scope=scope)
        policy = Policy(
            scope=scope,
            suggest=stored.suggest if suggest is None else suggest,
            infer=stored.infer if infer is None else infer,
            digest=stored.digest if digest is None else digest,
            updated_at=self._clock(),
        )
        self._write(GraphDelta(policies=(policy,)))
        return policy

    def do_not_pair(self, a: str, b: str) -> DoNotPair:
        """Never suggest ``a`` and ``b`` to each other, in either direction."""
        if a == b:
            raise InvalidQuery("a do-not-pair entry needs two different people")
        self.store.person(a)
        self.store.person(b)
        record = DoNotPair(a=a, b=b, at=self._clock())
        self._write(GraphDelta(do_not_pair=(record,)))
        return record

    def remove_do_not_pair(self, a: str, b: str) -> bool:
        """Drop the entry for ``a`` and ``b`` (either order); whether there was one."""
        with self._lock:
            removed = self.store.remove_do_not_pair(a, b)
            self._forget_fitted()
        return removed

    def forget_person(self, person_id: str) -> None:
        """Erase everything held about a person and keep them from coming back with a later import."""
        person = self.store.person(person_id)
        with self._lock:
            self.store.forget_person(person_id, suppress=suppression_keys(person))
            # Their words may have been in the analyzer's vocabulary and in every fitted model: refit all of it.
            self.refresh()

    # -- fitted state -------------------------------------------------------------------------------------------

    def stored_projection(self) -> Projection:
        """The graph as stored, before people's and admins' controls are applied (exports and reports)."""
        with self._lock:
            if self._stored is None:
                self._stored = self.store.projection()
            return self._stored

    def projection(self) -> Projection:
        """The graph the recommenders may see: the stored one with every control applied."""
        with self._lock:
            if self._projection is None:
                self._projection = apply_controls(self.stored_projection())
            return self._projection

    def controls(self) -> Controls:
        """Feedback, corrections, policies and do-not-pair entries, read once per refresh."""
        with self._lock:
            if self._controls is None:
                self._controls = self.store.controls()
            return self._controls

    def people_model(self) -> PeopleToMeet:
        with self._lock:
            if self._people is None:
                self._people = PeopleToMeet(
                    k=self.settings.suggestions_k,
                    capacity=self.settings.capacity,
                    half_life_days=self.settings.half_life_days,
                ).fit(self.projection())
                _settle_heap()
            return self._people

    def analyzer(self) -> TopicAnalyzer:
        """Normalises query texts exactly as posts were, over the vocabulary stored so far."""
        with self._lock:
            if self._analyzer is None:
                self._analyzer = TopicAnalyzer(
                    model=self.settings.spacy_model,
                    taxonomy=self.settings.taxonomy,
                    vocabulary=self.store.topics(),
                )
            return self._analyzer

    def already_done_model(self) -> AlreadyDone:
        with self._lock:
            if self._already_done is None:
                self._already_done = AlreadyDone(analyzer=self.analyzer().terms).fit(self.projection())
            return self._already_done

    # -- questions ----------------------------------------------------------------------------------------------

    def profile(self, person_id: str, *, viewer: str | None = None, limit: int = 10) -> Profile:
        """A person, their team, strongest ties, topics and the recent posts ``viewer`` may see.

        Hidden topics never show; inferred topics show only while the person allows inference, and only with
        evidence ``viewer`` may see; topics the person added show as self-declared until evidence appears.
        """
        person = self.store.person(person_id)
        reader = self._viewer(viewer)
        if person.opted_out:
            # Opted-out people keep a directory entry but none of their activity is shown.
            hood = self.store.neighbourhood(person_id, limit=0)
            return Profile(replace(hood, ties=(), knows=(), asks=(), recent_posts=()))
        said = self._corrections_of(person_id)
        hidden = {topic for topic, action in said.items() if action == "hide"}
        hood = self.store.neighbourhood(person_id, limit=limit + len(hidden))
        infer = self._policy(person).infer
        knows = self._shown_expertise(hood.knows, hidden, reader, infer=infer)
        asks = self._shown_expertise(hood.asks, hidden, reader, infer=infer)
        said_known = self._declared_topics(person_id)
        # Without consent to inference nothing inferred is shown, so whatever they said stands on its own.
        inferred = self.store.expertise_for((person_id, t, "knows") for t, _ in said_known) if infer else {}
        declared = tuple(
            Expertise(person=person_id, topic=topic, kind="knows", score=0.0, evidence=(), last_at=at, declared=True)
            for topic, at in said_known
            if (person_id, topic, "knows") not in inferred
        )
        visible = tuple(post for post in hood.recent_posts if can_see(post, reader))
        ties = hood.ties[:limit]
        partners = {other for tie in ties for other in (tie.source, tie.target) if other != person_id}
        people = {other: self.store.person(other) for other in sorted(partners)}
        shown = replace(
            hood,
            ties=ties,
            knows=(*declared, *knows)[:limit],  # their own word first
            asks=asks[:limit],
            recent_posts=visible[:limit],
        )
        return Profile(shown, people)

    def suggestions(
        self,
        person_id: str,
        *,
        k: int | None = None,
        viewer: str | None = None,
        record: bool = False,
        mode: Mode = "peer",
    ) -> list[Suggestion]:
        """Whom ``person_id`` should meet and why; with ``record=True`` the suggestions are stored as shown.

        Whoever opted out of suggestions gets none and is suggested to nobody; do-not-pair entries and dismissed
        candidates are never suggested. (The recommender applies the same controls when it fits; this is the last
        check before anything is shown.)
        """
        person = self.store.person(person_id)  # a clear NotFound before any fitting
        if viewer is not None:
            self.store.person(viewer)
        if not self._policy(person).suggest:
            return []
        with self._lock:
            model = self.people_model()
            key = (person_id, viewer, k or self.settings.suggestions_k, mode)
            found = self._shown.get(key) if not record else None
            if found is None:
                found = model.recommend(person_id, k=key[2], viewer=viewer, mode=mode)
                found = [item for item in found if self._may_suggest(person_id, item.candidate)]
                if len(self._shown) >= _SHOWN_ENTRIES:
                    self._shown.pop(next(iter(self._shown)))  # the oldest entry
                self._shown[key] = found
            if record and found:
                self.store.upsert(GraphDelta(suggestions=model.records(found, at=self._clock())))
                # Recorded suggestions change what may be suggested next; the text index is unaffected.
                self._stored = None
                self._projection = None
                self._people = None
                self._shown.clear()
        return found

    def already_done(
        self, text: str, *, asker: str | None = None, viewer: str | None = None, k: int = 5
    ) -> list[Match]:
        """Who already did what ``text`` describes. The asker is also the viewer unless another one is given.

        People who opted out of suggestions or of inference are never matched: a match is both.
        """
        if not text.strip():
            raise InvalidQuery("the text to match is empty; describe what you are working on in a sentence or two")
        if asker is not None:
            self.store.person(asker)
        viewer = viewer if viewer is not None else asker
        if viewer is not None and viewer != asker:
            self.store.person(viewer)
        # Under the lock: the query runs the spaCy analyzer, whose shared vocabulary is not thread-safe.
        with self._lock:
            found = self.already_done_model().query(text, asker=asker, viewer=viewer, k=k)
        return [match for match in found if self._matchable(match.person)]

    def topic_people(
        self, topic: str, *, kind: ExpertiseKind = "knows", limit: int = 10, viewer: str | None = None
    ) -> TopicExperts:
        """The people who know (or ask) most about a topic, given by id or by label.

        Left out: people who opted out of suggestions or inference, or hid the topic. Evidence lists only posts
        ``viewer`` (default: an anonymous reader) may see, and someone with no such evidence is left out too.
        """
        found = self._topic(topic)
        reader = self._viewer(viewer)
        hidden = {
            item.person for item in self.controls().corrections if item.topic == found.id and item.action == "hide"
        }
        # Asked for more than shown: some of the strongest may be left out below.
        stored = self.store.topic_people(found.id, kind=kind, limit=limit * 3 + len(hidden))
        visible = self._visible_posts((post for item in stored for post in item.evidence), reader)
        experts = []
        for item in stored:
            person = self.store.person(item.person)
            evidence = tuple(post for post in item.evidence if post in visible)
            if item.person in hidden or not evidence or not self._matchable(person):
                continue
            experts.append((person, replace(item, evidence=evidence)))
            if len(experts) == limit:
                break
        return TopicExperts(topic=found, kind=kind, experts=tuple(experts))

    def stats(self) -> Stats:
        """Nodes per label and relationships per type; all zero while fewer than ``min_group_size`` people are in the
        graph, since every count would then describe a group that small."""
        counts = self.store.counts()
        people = counts.nodes.get("Person", 0)
        if 0 < people < self.settings.min_group_size:
            return Stats(
                nodes=dict.fromkeys(counts.nodes, 0),
                relationships=dict.fromkeys(counts.relationships, 0),
                suppressed=True,
            )
        return Stats(nodes=counts.nodes, relationships=counts.relationships)

    def preferences(self, person_id: str) -> EffectivePolicy:
        """What applies to a person: their own policy over their team's over the organisation's."""
        return self._policy(self.store.person(person_id))

    def policy_at(self, scope: str) -> Policy | None:
        """What is said at exactly ``scope``, or ``None``."""
        return self.controls().policy_map().get(scope)

    def do_not_pair_entries(self) -> tuple[DoNotPair, ...]:
        return tuple(sorted(self.controls().do_not_pair, key=lambda entry: (entry.a, entry.b)))

    def person_topics(self, person_id: str) -> list[PersonTopic]:
        """Each topic of a person with its status: inferred, confirmed, hidden, or self-declared (added); the
        most characteristic of them first (:mod:`recommender.topic_ranking`)."""
        self.store.person(person_id)
        said = self._corrections_of(person_id)
        labels = {topic.id: topic.label for topic in self.store.topics()}
        found: dict[str, PersonTopic] = {}
        for ranked in self._topic_specificity().rank(person_id):
            item = ranked.expertise
            if item.topic in found:
                continue
            action = said.get(item.topic)
            # Once evidence backs an added topic, the person's word and the evidence agree: it is confirmed.
            status: TopicStatus = "inferred" if action is None else "hidden" if action == "hide" else "confirmed"
            found[item.topic] = PersonTopic(
                item.topic, labels.get(item.topic, item.topic), status, item.kind, float(item.score)
            )
        for topic, action in sorted(said.items()):
            if topic not in found:
                found[topic] = PersonTopic(topic, labels.get(topic, topic), STATUS_OF[action], None, 0.0)
        return list(found.values())

    def _topic_specificity(self) -> TopicSpecificity:
        with self._lock:
            stored = self.stored_projection()
            if self._specificity is None or self._specificity[0] is not stored:
                self._specificity = (stored, TopicSpecificity.of(stored.expertise))
            return self._specificity[1]

    def export_person(self, person_id: str) -> dict[str, Any]:
        """Everything held about a person, as JSON-ready data: what they may ask to see (never token secrets or
        digests, never whole message bodies)."""
        person = self.store.person(person_id)
        with self._lock:
            stored = self.stored_projection()
            controls = self.controls()
        tokens = [token for token in self.store.tokens() if token.person == person_id]
        digests = [record for record in self.store.digests() if record.person == person_id]
        return export_data(
            person,
            stored,
            controls,
            tokens=tokens,
            digests=digests,
            effective=self._policy(person),
            exported_at=self._clock(),
        )

    def team_report(self) -> TeamReport:
        """Per team: people, active people, posts, top topics and cross-team ties; no row stands for fewer than
        ``min_group_size`` people (small teams are merged, or left out and counted)."""
        with self._lock:
            stored = self.stored_projection()
            controls = self.controls()
        policies = controls.policy_map()
        no_inference = {person.id for person in stored.people if not effective_policy(person, policies).infer}
        hidden = {(item.person, item.topic) for item in controls.corrections if item.action == "hide"}
        return team_report(
            stored,
            since=self._clock() - timedelta(days=ACTIVE_DAYS),
            min_group_size=self.settings.min_group_size,
            no_inference=no_inference,
            hidden=hidden,
        )

    def person(self, person_id: str) -> Person:
        return self.store.person(person_id)

    def team_names(self) -> dict[str, str]:
        """Team id → display name, for people's ``team`` field."""
        return {team.id: team.name for team in self.projection().teams}

    # -- helpers ------------------------------------------------------------------------------------------------

    def _viewer(self, viewer: str | None) -> Person | None:
        return self.store.person(viewer) if viewer is not None else None

    def _topic(self, key: str) -> Topic:
        topics = self.store.topics()
        wanted = key.strip().casefold()
        for matches in (
            lambda topic: topic.id == key,
            lambda topic: topic.id.casefold() == wanted,
            lambda topic: topic.label.casefold() == wanted,
        ):
            for topic in topics:
                if matches(topic):
                    return topic
        raise NotFound("topic", key)

    def _policy(self, person: Person) -> EffectivePolicy:
        return effective_policy(person, self.controls().policy_map())

    def _corrections_of(self, person_id: str) -> dict[str, CorrectionAction]:
        """Topic id → the person's latest word on it."""
        latest: dict[str, TopicCorrection] = {}
        for item in self.controls().corrections:
            if item.person == person_id and (item.topic not in latest or latest[item.topic].at <= item.at):
                latest[item.topic] = item
        return {topic: item.action for topic, item in latest.items()}

    def _declared_topics(self, person_id: str) -> list[tuple[str, datetime]]:
        """Topics the person added or confirmed, with when; they show as self-declared while nothing backs them."""
        latest = self._corrections_of(person_id)
        return sorted(
            (item.topic, item.at)
            for item in self.controls().corrections
            if item.person == person_id and item.action != "hide" and latest.get(item.topic) == item.action
        )

    def _shown_expertise(
        self, items: Iterable[Expertise], hidden: set[str], reader: Person | None, *, infer: bool
    ) -> tuple[Expertise, ...]:
        """Expertise a profile may show: not hidden, inferred only with consent, and with evidence the reader sees.

        A topic whose every evidence post is closed to the reader is left out: naming it would tell them what the
        closed posts are about.
        """
        if not infer:
            return ()
        kept = [item for item in items if item.topic not in hidden]
        visible = self._visible_posts((post for item in kept for post in item.evidence), reader)
        shown = []
        for item in kept:
            evidence = tuple(post for post in item.evidence if post in visible)
            if evidence:
                shown.append(replace(item, evidence=evidence))
        return tuple(shown)

    def _visible_posts(self, ids: Iterable[str], reader: Person | None) -> set[str]:
        wanted = set(ids)
        if not wanted:
            return set()
        return {post_id for post_id, post in self.store.posts_by_id(wanted).items() if can_see(post, reader)}

    def _may_suggest(self, person_id: str, candidate: Person) -> bool:
        controls = self.controls()
        if not self._policy(candidate).suggest:
            return False
        pair = {person_id, candidate.id}
        if any({entry.a, entry.b} == pair for entry in controls.do_not_pair):
            return False
        return not any(
            item.person == person_id and item.candidate == candidate.id and item.kind in UNSEEN_FEEDBACK
            for item in controls.feedback
        )

    def _matchable(self, person: Person) -> bool:
        policy = self._policy(person)
        return policy.suggest and policy.infer

    def _check_scope(self, scope: str) -> None:
        kind, _, key = scope.partition(":")
        if scope == ORG_SCOPE:
            return
        if kind == "person" and key:
            self.store.person(key)
            return
        if kind == "team" and key:
            if key not in {person.team for person in self.store.people()}:
                raise NotFound("team", key)
            return
        raise InvalidQuery(f"a policy scope is 'org', 'team:<id>' or 'person:<id>', not {scope!r}")


def topic_key(text: str) -> str:
    """The normalised key of a topic someone names: lower case, single spaces."""
    return re.sub(r"\s+", " ", text).strip().casefold()
