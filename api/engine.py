"""The service layer the API and the CLI share: one store, the fitted recommenders, and the questions people ask.

The recommenders are fitted lazily from ``store.projection()`` on first use and refitted after an ingest.
Showing suggestions never records them by itself: only ``suggestions(..., record=True)`` writes
``SUGGESTED`` edges (the CLI's ``suggest --record`` and digests do; the HTTP ``GET`` does not, so reloading
a page cannot use up anyone's introductions).

The CLI opens its store with :func:`open_store`. The HTTP service opens one Neo4j driver per process
(:func:`neo4j_driver`) and an engine whose store is opened on first use (``Engine(opener=...)``), so it starts
and answers ``/v1/health`` while Neo4j is down, and creates the schema once the server is back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import neo4j
from neo4j import exceptions as neo4j_errors

from api.errors import ApiError, ConfigurationError
from api.ingest import IngestReport, Progress, ingest_directory
from api.settings import Settings
from extractors.topics import TopicAnalyzer
from graph.delta import Expertise, ExpertiseKind, GraphDelta, Person, Topic, can_see
from graph.embedded import EmbeddedStore
from graph.errors import NotFound, StoreError
from graph.neo4j_store import Neo4jStore
from graph.store import GraphCounts, GraphStore, Neighbourhood, Projection
from recommender.already_done import AlreadyDone
from recommender.explain import Match, Suggestion
from recommender.people import Mode, PeopleToMeet


class InvalidQuery(ApiError):
    """A question the engine cannot answer as asked (for example an empty text)."""


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
        self._projection: Projection | None = None
        self._people: PeopleToMeet | None = None
        self._already_done: AlreadyDone | None = None
        self._analyzer: TopicAnalyzer | None = None

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
            self._projection = None
            self._people = None
            self._already_done = None
            self._analyzer = None

    # -- fitted state -------------------------------------------------------------------------------------------

    def projection(self) -> Projection:
        with self._lock:
            if self._projection is None:
                self._projection = self.store.projection()
            return self._projection

    def people_model(self) -> PeopleToMeet:
        with self._lock:
            if self._people is None:
                self._people = PeopleToMeet(
                    k=self.settings.suggestions_k,
                    capacity=self.settings.capacity,
                    half_life_days=self.settings.half_life_days,
                ).fit(self.projection())
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
        """A person, their team, strongest ties, topics and the recent posts ``viewer`` may see."""
        hood = self.store.neighbourhood(person_id, limit=limit)
        if hood.person.opted_out:
            # Opted-out people keep a directory entry but none of their activity is shown.
            return Profile(replace(hood, ties=(), knows=(), asks=(), recent_posts=()))
        reader = self._viewer(viewer)
        visible = tuple(post for post in hood.recent_posts if can_see(post, reader))
        partners = {other for tie in hood.ties for other in (tie.source, tie.target) if other != person_id}
        people = {other: self.store.person(other) for other in sorted(partners)}
        return Profile(replace(hood, recent_posts=visible), people)

    def suggestions(
        self,
        person_id: str,
        *,
        k: int | None = None,
        viewer: str | None = None,
        record: bool = False,
        mode: Mode = "peer",
    ) -> list[Suggestion]:
        """Whom ``person_id`` should meet and why; with ``record=True`` the suggestions are stored as shown."""
        self.store.person(person_id)  # a clear NotFound before any fitting
        if viewer is not None:
            self.store.person(viewer)
        with self._lock:
            model = self.people_model()
            found = model.recommend(person_id, k=k or self.settings.suggestions_k, viewer=viewer, mode=mode)
            if record and found:
                self.store.upsert(GraphDelta(suggestions=model.records(found, at=self._clock())))
                # Recorded suggestions change what may be suggested next; the text index is unaffected.
                self._projection = None
                self._people = None
        return found

    def already_done(
        self, text: str, *, asker: str | None = None, viewer: str | None = None, k: int = 5
    ) -> list[Match]:
        """Who already did what ``text`` describes. The asker is also the viewer unless another one is given."""
        if not text.strip():
            raise InvalidQuery("the text to match is empty; describe what you are working on in a sentence or two")
        if asker is not None:
            self.store.person(asker)
        viewer = viewer if viewer is not None else asker
        if viewer is not None and viewer != asker:
            self.store.person(viewer)
        # Under the lock: the query runs the spaCy analyzer, whose shared vocabulary is not thread-safe.
        with self._lock:
            return self.already_done_model().query(text, asker=asker, viewer=viewer, k=k)

    def topic_people(self, topic: str, *, kind: ExpertiseKind = "knows", limit: int = 10) -> TopicExperts:
        """The people who know (or ask) most about a topic, given by id or by label."""
        found = self._topic(topic)
        experts = []
        for item in self.store.topic_people(found.id, kind=kind, limit=limit):
            person = self.store.person(item.person)
            if not person.opted_out:
                experts.append((person, item))
        return TopicExperts(topic=found, kind=kind, experts=tuple(experts))

    def stats(self) -> GraphCounts:
        return self.store.counts()

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
