"""The Neo4j GraphStore: the same protocol and semantics as the embedded store, on a Neo4j 5 server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, LiteralString, Self, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors
from neo4j.time import DateTime

from graph import cypher
from graph.controls import (
    AccessToken,
    Controls,
    DigestRecord,
    DoNotPair,
    Feedback,
    Policy,
    TopicCorrection,
    person_scope,
)
from graph.delta import Expertise, ExpertiseKind, GraphDelta, Person, Post, SuggestionRecord, Team, Tie, Topic
from graph.errors import NotFound, StoreError, StoreUnavailable
from graph.store import (
    EXPERTISE_TYPES,
    NODE_LABELS,
    RELATIONSHIP_TYPES,
    GraphCounts,
    Neighbourhood,
    Projection,
    by_id,
    check_limit,
    expertise_type,
)

Row = dict[str, Any]
Write = tuple[LiteralString, list[Any]]
"""One statement and every row it should be given (split into batches when run)."""
_R = TypeVar("_R")

_EXPERTISE_KINDS: dict[str, ExpertiseKind] = {"KNOWS_ABOUT": "knows", "ASKS_ABOUT": "asks"}
_EQUIVALENT_SCHEMA = "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"
_NO_DATABASE = "Neo.ClientError.Database.DatabaseNotFound"


class Neo4jStore:
    """A :class:`~graph.store.GraphStore` on Neo4j, with the write semantics of :class:`graph.embedded.EmbeddedStore`.

    The store borrows a driver (one per process, opened and closed by the application) unless it was opened with
    :meth:`connect`, which owns its driver and closes it in :meth:`close`. Construction creates the uniqueness
    constraints and indexes if they are missing.

    Each write statement is an ``UNWIND $rows`` batch of at most ``batch_size`` rows in its own managed transaction,
    which the driver retries on transient failures. Every statement MERGEs on ids and replaces properties, so a
    retried or repeated batch changes nothing; an upsert interrupted half-way is completed by running it again.
    All nodes of a delta are written before any of its relationships, and a relationship is created only if both
    ends are stored. Records come back equal to those written: lists become tuples again and Neo4j ``DateTime``
    values become timezone-aware UTC datetimes.

    Controls are relationships (``FEEDBACK``, ``CORRECTS``, ``DO_NOT_PAIR``) and ``Policy`` nodes; a control replaces
    the stored one of its key unless its timestamp is older, so a late replay cannot undo a newer word. A topic that
    only a correction names is a ``Topic`` marked ``declared_only``: left out of :meth:`topics`, the projection, the
    counts and :meth:`topic_people` until a Topic record for it is upserted. Tokens, digests and the suppression list
    are ``Token``, ``Digest`` and ``Suppressed`` nodes outside :data:`~graph.store.NODE_LABELS`. A digest is reserved
    by a MERGE under a uniqueness constraint (atomic across processes); forgetting a person is one transaction. Both
    carry a per-call marker, so a retry after a lost commit acknowledgement reports what the first attempt did.

    Driver failures become :class:`StoreUnavailable` (server unreachable or busy: retry later) or
    :class:`StoreError`. The store keeps no connection state of its own, so it works again once the server is back.
    """

    def __init__(
        self,
        driver: neo4j.Driver,
        *,
        database: str = "neo4j",
        batch_size: int = 5000,
        uri: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self._driver = driver
        self._database = database
        self._batch_size = batch_size
        self._uri = uri if uri is not None else _address(driver)
        self._owns_driver = False
        self._closed = False
        self.ensure_schema()

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str,
        password: str,
        *,
        database: str = "neo4j",
        batch_size: int = 5000,
        max_retry_seconds: float = 15.0,
    ) -> Self:
        """Open a store with a driver of its own (for the CLI and scripts); :meth:`close` closes that driver."""
        try:
            driver = neo4j.GraphDatabase.driver(
                uri, auth=(user, password), max_transaction_retry_time=max_retry_seconds
            )
        except (neo4j_errors.ConfigurationError, ValueError) as error:
            raise StoreError(
                f"{uri!r} is not a Neo4j URI: use e.g. bolt://localhost:7687 or neo4j://host:7687 (NEO4J_URI)"
            ) from error
        try:
            store = cls(driver, database=database, batch_size=batch_size, uri=uri)
        except BaseException:
            driver.close()
            raise
        store._owns_driver = True
        return store

    @property
    def database(self) -> str:
        return self._database

    def ensure_schema(self) -> None:
        """Create the uniqueness constraints on the ids and the indexes, if they do not exist yet."""
        self._check_open()
        with self._translated(), self._session() as session:
            for statement in cypher.SCHEMA:
                try:
                    session.execute_write(_run, statement)
                except neo4j_errors.ClientError as error:
                    # Another process created the same rule between our check and our write: that is success.
                    if error.code != _EQUIVALENT_SCHEMA:
                        raise
            session.execute_read(_run, cypher.AWAIT_INDEXES)

    # -- writes ---------------------------------------------------------------------------------------------------

    def upsert(self, delta: GraphDelta) -> None:
        self._check_open()
        if not delta:
            return
        with self._translated(), self._session() as session:
            for statement, rows in _write_plan(delta):
                for start in range(0, len(rows), self._batch_size):
                    session.execute_write(_run_batch, statement, rows[start : start + self._batch_size])

    # -- reads ----------------------------------------------------------------------------------------------------

    def existing_post_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return set()
        return {record["id"] for record in self._read(cypher.EXISTING_POST_IDS, ids=wanted)}

    def posts_by_id(self, ids: Iterable[str]) -> dict[str, Post]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        posts = (_node(Post, record["properties"]) for record in self._read(cypher.POSTS_BY_ID, ids=wanted))
        return {post.id: post for post in posts}

    def ties_between(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Tie]:
        wanted = [[source, target] for source, target in dict.fromkeys(pairs)]
        if not wanted:
            return {}
        ties = (_tie(record) for record in self._read(cypher.TIES_BETWEEN, pairs=wanted))
        return {(tie.source, tie.target): tie for tie in ties}

    def expertise_for(
        self, keys: Iterable[tuple[str, str, ExpertiseKind]]
    ) -> dict[tuple[str, str, ExpertiseKind], Expertise]:
        wanted = [
            {"person": person, "topic": topic, "type": expertise_type(kind)}
            for person, topic, kind in dict.fromkeys(keys)
        ]
        if not wanted:
            return {}
        found = (_expertise(record) for record in self._read(cypher.EXPERTISE_FOR, keys=wanted))
        return {(e.person, e.topic, e.kind): e for e in found}

    def topics(self) -> list[Topic]:
        return sorted((_node(Topic, r["properties"]) for r in self._read(cypher.ALL_TOPICS)), key=by_id)

    def people(self) -> list[Person]:
        return sorted((_node(Person, r["properties"]) for r in self._read(cypher.ALL_PEOPLE)), key=by_id)

    def person(self, person_id: str) -> Person:
        records = self._read(cypher.PERSON, id=person_id)
        if not records:
            raise NotFound("person", person_id)
        return _node(Person, records[0]["properties"])

    def neighbourhood(self, person_id: str, *, limit: int = 10) -> Neighbourhood:
        check_limit(limit)
        records = self._read(cypher.NEIGHBOURHOOD, id=person_id, limit=limit)
        if not records:
            raise NotFound("person", person_id)
        record = records[0]
        return Neighbourhood(
            person=_node(Person, record["person"]),
            team=None if record["team"] is None else _node(Team, record["team"]),
            ties=tuple(_tie(row) for row in record["ties"]),
            knows=tuple(_expertise({**row, "person": person_id, "type": "KNOWS_ABOUT"}) for row in record["knows"]),
            asks=tuple(_expertise({**row, "person": person_id, "type": "ASKS_ABOUT"}) for row in record["asks"]),
            recent_posts=tuple(_node(Post, properties) for properties in record["posts"]),
        )

    def topic_people(self, topic_id: str, *, kind: ExpertiseKind = "knows", limit: int = 10) -> list[Expertise]:
        check_limit(limit)
        relationship = expertise_type(kind)
        records = self._read(cypher.TOPIC_PEOPLE, topic=topic_id, type=relationship, limit=limit)
        if not records:
            raise NotFound("topic", topic_id)
        return [_expertise({**row, "topic": topic_id, "type": relationship}) for row in records[0]["found"]]

    def projection(self) -> Projection:
        parts = self._read_many(
            (
                cypher.ALL_PEOPLE,
                cypher.ALL_TEAMS,
                cypher.ALL_TOPICS,
                cypher.ALL_POSTS,
                cypher.ALL_TIES,
                cypher.ALL_EXPERTISE,
                cypher.ALL_SUGGESTIONS,
                *_CONTROL_READS,
            )
        )
        people, teams, topics, posts, ties, expertise, suggestions = parts[:7]
        # Sorted here as well: Python's string order is the one the embedded store uses, whatever Neo4j's collation.
        return Projection(
            people=tuple(sorted((_node(Person, r["properties"]) for r in people), key=by_id)),
            teams=tuple(sorted((_node(Team, r["properties"]) for r in teams), key=by_id)),
            topics=tuple(sorted((_node(Topic, r["properties"]) for r in topics), key=by_id)),
            posts=tuple(sorted((_node(Post, r["properties"]) for r in posts), key=by_id)),
            ties=tuple(sorted((_tie(r) for r in ties), key=lambda t: (t.source, t.target))),
            expertise=tuple(sorted((_expertise(r) for r in expertise), key=lambda e: (e.person, e.topic, e.kind))),
            suggestions=tuple(sorted((_suggestion(r) for r in suggestions), key=lambda s: (s.person, s.candidate))),
            controls=_controls(*parts[7:]),
        )

    def counts(self) -> GraphCounts:
        found = {(record["kind"], record["name"]): record["count"] for record in self._read(cypher.COUNTS)}
        return GraphCounts(
            nodes={label: found.get(("node", label), 0) for label in NODE_LABELS},
            relationships={kind: found.get(("relationship", kind), 0) for kind in RELATIONSHIP_TYPES},
        )

    # -- controls -------------------------------------------------------------------------------------------------

    def controls(self) -> Controls:
        return _controls(*self._read_many(_CONTROL_READS))

    def remove_do_not_pair(self, a: str, b: str) -> bool:
        (record,) = self._write(cypher.REMOVE_DO_NOT_PAIR, a=a, b=b)
        return record["removed"] > 0

    def save_token(self, token: AccessToken) -> None:
        self._write(cypher.SAVE_TOKEN, id=token.id, properties=_properties(token))

    def token(self, token_id: str) -> AccessToken:
        records = self._read(cypher.TOKEN, id=token_id)
        if not records:
            raise NotFound("token", token_id)
        return _token(records[0]["properties"])

    def tokens(self) -> list[AccessToken]:
        return sorted((_token(r["properties"]) for r in self._read(cypher.ALL_TOKENS)), key=by_id)

    def reserve_digest(self, person_id: str, period: str, *, at: datetime) -> bool:
        # A claim of our own, the same across the driver's retries of this call (see cypher.RESERVE_DIGEST).
        claim = uuid.uuid4().hex
        (record,) = self._write(
            cypher.RESERVE_DIGEST,
            key=_digest_key(person_id, period),
            person=person_id,
            period=period,
            at=at,
            claim=claim,
        )
        return bool(record["reserved"])

    def mark_digest_sent(self, person_id: str, period: str, *, at: datetime) -> None:
        key = _digest_key(person_id, period)
        (record,) = self._write(cypher.MARK_DIGEST_SENT, key=key, at=at)
        if record["marked"] == 0:
            raise NotFound("reserved digest", key)

    def digests(self, period: str | None = None) -> list[DigestRecord]:
        records = self._read(cypher.ALL_DIGESTS) if period is None else self._read(cypher.PERIOD_DIGESTS, period=period)
        return sorted((_node(DigestRecord, r["properties"]) for r in records), key=lambda d: (d.period, d.person))

    def forget_person(self, person_id: str, *, suppress: Iterable[str]) -> None:
        self._check_open()
        keys = sorted(set(suppress))
        call = uuid.uuid4().hex
        with self._translated(), self._session() as session:
            found = session.execute_write(_forget, person_id, keys, call)
        if not found:
            raise NotFound("person", person_id)

    def suppressed(self) -> frozenset[str]:
        return frozenset(record["key"] for record in self._read(cypher.SUPPRESSED))

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owns_driver:
            self._driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self._uri}, database={self._database!r}{', closed' if self._closed else ''})"

    # -- helpers --------------------------------------------------------------------------------------------------

    def _session(self) -> neo4j.Session:
        # One bookmark manager for every session of the store (the driver's), so a read sees the writes before it
        # even on a cluster.
        return self._driver.session(
            database=self._database,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
            # Reads name every label and type of the model, including ones no write has created yet.
            notifications_disabled_classifications=["UNRECOGNIZED"],
        )

    def _write(self, statement: LiteralString, **parameters: Any) -> list[neo4j.Record]:
        """Run one write statement in its own managed (retried) transaction and return its records."""
        self._check_open()
        with self._translated(), self._session() as session:
            return session.execute_write(_fetch_all, (statement,), parameters)[0]

    def _read(self, statement: LiteralString, **parameters: Any) -> list[neo4j.Record]:
        return self._read_many((statement,), **parameters)[0]

    def _read_many(self, statements: Sequence[LiteralString], **parameters: Any) -> list[list[neo4j.Record]]:
        """Run read statements in one managed (retried) transaction and return each one's records."""
        self._check_open()
        with self._translated(), self._session() as session:
            return session.execute_read(_fetch_all, statements, parameters)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the Neo4j store is closed; open a new Neo4jStore to read or write")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn driver errors into store errors whose messages say what to do, without the driver's internals."""
        where = f"Neo4j at {self._uri}"
        try:
            yield
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as error:
            raise StoreUnavailable(
                f"{where} cannot be reached: check that the server runs (for a local one: scripts/neo4j-local "
                "status) and that NEO4J_URI points at it, then retry"
            ) from error
        except neo4j_errors.AuthError as error:
            raise StoreError(
                f"{where} refused the credentials: check NEO4J_USER and NEO4J_PASSWORD (a local server keeps the "
                "password of its first start)"
            ) from error
        except neo4j_errors.TransientError as error:
            raise StoreUnavailable(
                f"{where} could not complete the request even after retrying ({error.code}); retry later"
            ) from error
        except neo4j_errors.Neo4jError as error:
            if error.code == _NO_DATABASE:
                raise StoreError(
                    f"{where} has no database {self._database!r}: create it or set NEO4J_DATABASE"
                ) from error
            raise StoreError(
                f"{where} rejected a weaktie query ({error.code}); this is a bug, please report it"
            ) from error
        except neo4j_errors.DriverError as error:
            raise StoreError(
                f"the Neo4j driver failed talking to {where} ({type(error).__name__}); retry, and report it if it "
                "persists"
            ) from error


# -- transaction functions (the driver may call each several times) -------------------------------------------------


def _run(tx: neo4j.ManagedTransaction, statement: LiteralString) -> None:
    tx.run(statement).consume()


def _run_batch(tx: neo4j.ManagedTransaction, statement: LiteralString, rows: list[Any]) -> None:
    tx.run(statement, rows=rows).consume()


def _forget(tx: neo4j.ManagedTransaction, person_id: str, keys: list[str], call: str) -> bool:
    """Every step of forgetting a person, in one transaction; False (and nothing written) if there is no such person.

    True as well when this is the driver retrying a call whose commit went through (see cypher.FORGOTTEN_BY_CALL).
    """
    if not tx.run(cypher.PERSON_EXISTS, id=person_id).single(strict=True)["found"]:
        return bool(tx.run(cypher.FORGOTTEN_BY_CALL, keys=keys, call=call).single(strict=True)["done"])
    parameters = {"id": person_id, "scope": person_scope(person_id), "keys": keys, "call": call}
    for statement in cypher.FORGET:
        tx.run(statement, parameters).consume()
    return True


def _fetch_all(
    tx: neo4j.ManagedTransaction, statements: Sequence[LiteralString], parameters: dict[str, Any]
) -> list[list[neo4j.Record]]:
    return [list(tx.run(statement, parameters)) for statement in statements]


# -- records to rows ------------------------------------------------------------------------------------------------


def _write_plan(delta: GraphDelta) -> list[Write]:
    """Every statement of an upsert with its rows, nodes first; for a repeated key the last record wins."""
    teams = _last_by_key(delta.teams, by_id)
    people = _last_by_key(delta.people, by_id)
    topics = _last_by_key(delta.topics, by_id)
    posts = _last_by_key(delta.posts, by_id)
    ties = _last_by_key(delta.ties, lambda t: (t.source, t.target))
    expertise = _last_by_key(delta.expertise, lambda e: (e.person, e.topic, e.kind))
    suggestions = _last_by_key(delta.suggestions, lambda s: (s.person, s.candidate))
    plan: list[Write] = [
        (cypher.MERGE_TEAMS, [_node_row(team) for team in teams]),
        (cypher.MERGE_PEOPLE, [_node_row(person) for person in people]),
        (cypher.MERGE_PLACEHOLDER_TEAMS, sorted({p.team for p in people if p.team is not None})),
        (cypher.MERGE_TOPICS, [_node_row(topic) for topic in topics]),
        (cypher.MERGE_POSTS, [_node_row(post) for post in posts]),
        (cypher.REPLACE_MEMBER_OF, [{"id": person.id, "team": person.team} for person in people]),
        (cypher.REPLACE_POST_LINKS, [_post_links(post) for post in posts]),
        (
            cypher.MERGE_TIES,
            [
                {"source": t.source, "target": t.target, "properties": _properties(t, skip=("source", "target"))}
                for t in ties
            ],
        ),
    ]
    for kind, statement in (("knows", cypher.MERGE_KNOWS_ABOUT), ("asks", cypher.MERGE_ASKS_ABOUT)):
        rows = [
            {
                "person": e.person,
                "topic": e.topic,
                "properties": _properties(e, skip=("person", "topic", "kind", "declared")),
            }
            for e in expertise
            if expertise_type(e.kind) == EXPERTISE_TYPES[kind]
        ]
        plan.append((statement, rows))
    plan.append(
        (
            cypher.MERGE_SUGGESTED,
            [
                {
                    "person": s.person,
                    "candidate": s.candidate,
                    "properties": _properties(s, skip=("person", "candidate")),
                }
                for s in suggestions
            ],
        )
    )
    plan.extend(_control_writes(delta))
    return [(statement, rows) for statement, rows in plan if rows]


def _control_writes(delta: GraphDelta) -> list[Write]:
    feedback = _latest_by_key(delta.feedback, lambda f: (f.person, f.candidate), lambda f: f.at)
    corrections = _latest_by_key(delta.corrections, lambda c: (c.person, c.topic), lambda c: c.at)
    policies = _latest_by_key(delta.policies, lambda p: p.scope, lambda p: p.updated_at)
    do_not_pair = _latest_by_key(delta.do_not_pair, lambda d: (d.a, d.b), lambda d: d.at)
    return [
        (
            cypher.MERGE_FEEDBACK,
            [
                {
                    "person": f.person,
                    "candidate": f.candidate,
                    "properties": _properties(f, skip=("person", "candidate")),
                }
                for f in feedback
            ],
        ),
        (
            cypher.MERGE_CORRECTIONS,
            [
                {"person": c.person, "topic": c.topic, "properties": _properties(c, skip=("person", "topic"))}
                for c in corrections
            ],
        ),
        (cypher.MERGE_POLICIES, [{"scope": p.scope, "properties": _properties(p)} for p in policies]),
        (
            cypher.MERGE_DO_NOT_PAIR,
            [{"a": d.a, "b": d.b, "properties": _properties(d, skip=("a", "b"))} for d in do_not_pair],
        ),
    ]


def _node_row(record: Team | Person | Topic | Post) -> Row:
    return {"id": record.id, "properties": _properties(record)}


def _properties(record: Any, *, skip: tuple[str, ...] = ()) -> Row:
    """A record's fields as Neo4j properties: tuples become lists; ``None`` is left out, as Neo4j cannot store it."""
    properties: Row = {}
    for field in fields(record):
        value = getattr(record, field.name)
        if value is None or field.name in skip:
            continue
        properties[field.name] = list(value) if isinstance(value, tuple) else value
    return properties


def _post_links(post: Post) -> Row:
    roles = {post.author: "author"}
    for co_author in post.co_authors:
        roles.setdefault(co_author, "co_author")
    return {
        "id": post.id,
        "authors": [{"person": person, "role": role} for person, role in roles.items()],
        "topics": list(dict.fromkeys(post.topics)),
        "mentions": list(dict.fromkeys(post.mentions)),
        "reply_to": post.reply_to,
    }


# -- rows to records ------------------------------------------------------------------------------------------------

_T = TypeVar("_T")


def _node(kind: Callable[..., _T], properties: dict[str, Any]) -> _T:
    names = _FIELD_NAMES[kind]
    return kind(**{name: _python(value) for name, value in properties.items() if name in names})


def _tie(row: Any) -> Tie:
    return Tie(source=row["source"], target=row["target"], **_known(Tie, row["properties"]))


def _expertise(row: Any) -> Expertise:
    return Expertise(
        person=row["person"],
        topic=row["topic"],
        kind=_EXPERTISE_KINDS[row["type"]],
        **_known(Expertise, row["properties"]),
    )


def _suggestion(row: Any) -> SuggestionRecord:
    return SuggestionRecord(
        person=row["person"], candidate=row["candidate"], **_known(SuggestionRecord, row["properties"])
    )


_CONTROL_READS: tuple[LiteralString, ...] = (
    cypher.ALL_FEEDBACK,
    cypher.ALL_CORRECTIONS,
    cypher.ALL_POLICIES,
    cypher.ALL_DO_NOT_PAIR,
)


def _controls(
    feedback: list[neo4j.Record],
    corrections: list[neo4j.Record],
    policies: list[neo4j.Record],
    do_not_pair: list[neo4j.Record],
) -> Controls:
    """The records of :data:`_CONTROL_READS`, each kind sorted by its key."""
    return Controls(
        feedback=tuple(
            sorted(
                (
                    Feedback(person=r["person"], candidate=r["candidate"], **_known(Feedback, r["properties"]))
                    for r in feedback
                ),
                key=lambda f: (f.person, f.candidate),
            )
        ),
        corrections=tuple(
            sorted(
                (
                    TopicCorrection(person=r["person"], topic=r["topic"], **_known(TopicCorrection, r["properties"]))
                    for r in corrections
                ),
                key=lambda c: (c.person, c.topic),
            )
        ),
        policies=tuple(sorted((_node(Policy, r["properties"]) for r in policies), key=lambda p: p.scope)),
        do_not_pair=tuple(
            sorted(
                (DoNotPair(a=r["a"], b=r["b"], **_known(DoNotPair, r["properties"])) for r in do_not_pair),
                key=lambda d: (d.a, d.b),
            )
        ),
    )


def _token(properties: dict[str, Any]) -> AccessToken:
    # ``person`` has no default (a token must say whom it acts for) but is not stored when it is None.
    return _node(AccessToken, {"person": None, **properties})


def _known(kind: type, properties: dict[str, Any]) -> Row:
    names = _FIELD_NAMES[kind]
    return {name: _python(value) for name, value in properties.items() if name in names}


def _python(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_python(item) for item in value)
    if isinstance(value, DateTime):
        native = value.to_native()
        return native if native.tzinfo is None else native.astimezone(UTC)
    return value


_FIELD_NAMES: dict[Any, frozenset[str]] = {
    kind: frozenset(field.name for field in fields(kind))
    for kind in (
        Person,
        Team,
        Topic,
        Post,
        Tie,
        Expertise,
        SuggestionRecord,
        Feedback,
        TopicCorrection,
        Policy,
        DoNotPair,
        AccessToken,
        DigestRecord,
    )
}


# -- small helpers --------------------------------------------------------------------------------------------------


def _address(driver: neo4j.Driver) -> str:
    address = getattr(driver, "address", None)
    return "an unknown address" if address is None else str(address)


def _last_by_key(records: Iterable[_R], key: Callable[[_R], Any]) -> list[_R]:
    return list({key(record): record for record in records}.values())


def _latest_by_key(records: Iterable[_R], key: Callable[[_R], Any], at: Callable[[_R], datetime | None]) -> list[_R]:
    """The record kept per key, by the store's rule for controls: a later record wins unless it is older."""
    kept: dict[Any, _R] = {}
    for record in records:
        current = kept.get(key(record))
        if current is None or not _older(at(record), at(current)):
            kept[key(record)] = record
    return list(kept.values())


def _older(first: datetime | None, second: datetime | None) -> bool:
    return first is not None and second is not None and first < second


def _digest_key(person_id: str, period: str) -> str:
    return f"{person_id}|{period}"
