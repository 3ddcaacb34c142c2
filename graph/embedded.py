"""The embedded GraphStore: a NetworkX multigraph in memory, optionally kept in a crash-safe data directory."""

from __future__ import annotations

import gc
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import networkx as nx

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
from graph.datadir import DataDirectory
from graph.delta import Expertise, ExpertiseKind, GraphDelta, Person, Post, SuggestionRecord, Team, Tie, Topic
from graph.errors import NotFound, StoreError
from graph.snapshot import Snapshot
from graph.store import (
    NODE_LABELS,
    RELATIONSHIP_TYPES,
    GraphCounts,
    Neighbourhood,
    Projection,
    by_id,
    check_limit,
    expertise_type,
)

NodeKey = tuple[str, str]
"""``(label, id)``, e.g. ``("Person", "u42")``."""
Edge = tuple[NodeKey, NodeKey, str, dict[str, Any]]
"""``(source, target, relationship type, properties)``."""
Link = tuple[NodeKey, NodeKey, str, dict[str, Any], str]
"""``(source, target, relationship type, properties, id of the end that is not the post)``."""

PERSON, TEAM, TOPIC, POST = "Person", "Team", "Topic", "Post"
MEMBER_OF, AUTHORED, MENTIONS, REPLY_TO, ABOUT = "MEMBER_OF", "AUTHORED", "MENTIONS", "REPLY_TO", "ABOUT"
INTERACTS_WITH, KNOWS_ABOUT, ASKS_ABOUT, SUGGESTED = "INTERACTS_WITH", "KNOWS_ABOUT", "ASKS_ABOUT", "SUGGESTED"
FEEDBACK, CORRECTS, DO_NOT_PAIR = "FEEDBACK", "CORRECTS", "DO_NOT_PAIR"

_POST_OUTGOING = (ABOUT, MENTIONS, REPLY_TO)
_NODE, _NEW_NODES, _EDGE, _GONE = "node", "new nodes", "edge", "gone"
_NOTHING: dict[Any, Any] = {}


@dataclass(frozen=True, slots=True)
class _State:
    """What the store keeps beside the graph, each kind by its key.

    Treated as immutable: a write builds a new one and installs it only once it is persisted. The one exception is
    ``digests``, which :meth:`EmbeddedStore._record_digest` extends in place after logging the record to disk.
    """

    feedback: dict[tuple[str, str], Feedback] = field(default_factory=dict)
    corrections: dict[tuple[str, str], TopicCorrection] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    do_not_pair: dict[tuple[str, str], DoNotPair] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    digests: dict[tuple[str, str], DigestRecord] = field(default_factory=dict)
    suppressed: frozenset[str] = frozenset()


class EmbeddedStore:
    """A :class:`~graph.store.GraphStore` on a NetworkX ``MultiDiGraph``: the default store and the tests' double.

    Nodes are keyed ``(label, id)`` and keep their frozen record under ``"record"``, so reads return the very
    records that were written. Edges are keyed by relationship type; ``AUTHORED`` has a ``role`` and the derived
    relationships keep their record (:class:`Tie`, :class:`Expertise`, :class:`SuggestionRecord`) under ``"record"``.

    Write semantics, shared by every backend and pinned by ``tests/graph/test_store_contract.py``:

    - Nodes are merged by id and their properties replaced. All nodes of a delta are written before its
      relationships, so a reply and its parent may arrive in the same delta.
    - A relationship is created only if both of its ends are stored at that point; otherwise it is skipped, and not
      added later when the missing end arrives (write the post again to link it). This covers ``REPLY_TO`` to an
      unknown parent, ``ABOUT`` an unknown topic, ``MENTIONS`` or ``AUTHORED`` of an unknown person, and ties,
      expertise and suggestions whose person or topic is unknown.
    - ``MEMBER_OF`` follows ``Person.team``: it moves when the team changes and goes when the team becomes ``None``.
      A placeholder ``Team(id=team, name=team)`` is created if neither the store nor the delta has the team.
    - A post's ``AUTHORED`` (``role`` ``"author"`` or ``"co_author"``; the author wins if listed twice),
      ``ABOUT``, ``MENTIONS`` and ``REPLY_TO`` follow its latest record.
    - :class:`Tie`, :class:`Expertise` and :class:`SuggestionRecord` are replaced by their keys ``(source, target)``,
      ``(person, topic, kind)`` and ``(person, candidate)``, never added up.
    - Writing the same delta twice changes nothing.
    - Controls (:mod:`graph.controls`) are kept in tables beside the graph, not as edges, the latest written per
      key: feedback per ``(person, candidate)``, corrections per ``(person, topic)``, policies per scope,
      do-not-pair entries per unordered pair. Like relationships they need their people stored (both for feedback
      and do-not-pair, the person for a correction, whose topic may be new); policies are kept whatever their scope.
      ``counts()`` reports them as ``FEEDBACK``, ``CORRECTS`` and ``DO_NOT_PAIR``.

    Reads order their results the same way everywhere: ties by stored ``weight`` (each as of its own ``last_at``),
    expertise by ``score``, both highest first; posts newest first; equal values by key; the projection by key.

    With ``path``, the store owns that data directory (created if missing) until :meth:`close`: it loads the
    snapshot found there and, after each write, replaces it atomically with a complete new one (see
    :mod:`graph.snapshot`). Digest reservations are the exception: each is appended to a flushed digest log (see
    :mod:`graph.datadir`) instead, so a digest run costs one small write per person rather than one snapshot.
    A write that fails leaves memory and disk as they were before it. The store is safe to share between threads;
    a second process opening the same directory gets a :class:`StoreError`.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._graph = nx.MultiDiGraph()
        self._state = _State()
        self._journal: list[tuple[Any, ...]] = []
        self._counts: GraphCounts | None = None
        self._mutex = threading.RLock()
        self._closed = False
        self._digest_log: str | None = None
        self._directory = None if path is None else DataDirectory(Path(path))
        if self._directory is not None:
            try:
                with _collector_paused():
                    snapshot = self._directory.read()
                    if snapshot is not None:
                        self._load(snapshot)
                    for record in self._directory.read_digests(self._digest_log):
                        self._state.digests[record.person, record.period] = record
                    self._directory.remove_digest_logs(keep=self._digest_log)
            except BaseException:
                self._directory.close()
                raise
        # Appending needs a log the snapshot names; until a snapshot names one, the first digest writes a snapshot.
        self._log_usable = self._digest_log is not None

    @property
    def path(self) -> Path | None:
        """The data directory, or ``None`` for a memory-only store."""
        return None if self._directory is None else self._directory.path

    @property
    def graph(self) -> nx.MultiDiGraph:
        """A read-only live view of the graph, for analysis and tests; do not hold it across writes."""
        return self._graph.copy(as_view=True)

    # -- writes ---------------------------------------------------------------------------------------------------

    def upsert(self, delta: GraphDelta) -> None:
        with self._mutex:
            self._check_open()
            if not delta:
                return
            try:
                with _collector_paused():
                    self._write(delta)
                    self._commit(self._with_controls(delta))
            except BaseException:
                self._rollback()
                raise
            finally:
                self._journal = []
                self._counts = None

    def _write(self, delta: GraphDelta) -> None:
        people = _last_by_id(delta.people)
        posts = _last_by_id(delta.posts)
        created = self._put_nodes(
            [
                *(((TEAM, team.id), team) for team in delta.teams),
                *(((PERSON, person.id), person) for person in people),
                *(((TOPIC, topic.id), topic) for topic in delta.topics),
                *(((POST, post.id), post) for post in posts),
            ]
        )
        nodes = self._graph._node
        missing_teams = {
            person.team for person in people if person.team is not None and (TEAM, person.team) not in nodes
        }
        created |= self._put_nodes(((TEAM, team), Team(id=team, name=team)) for team in sorted(missing_teams))

        # Edges touching a node created by this write are new: they go straight into the adjacency, unjournaled
        # (undoing the node removes them). They cannot collide with the journaled edges, which touch no new node.
        successors, predecessors = self._graph._succ, self._graph._pred
        for person in people:
            self._link_team(person, created)
        for post in posts:
            self._link_post(post, created)
        for source, target, relationship, record in _aggregates(delta.ties, delta.expertise, delta.suggestions):
            if source in nodes and target in nodes:
                if source in created or target in created:
                    relationships = successors[source].get(target)
                    if relationships is None:
                        relationships = successors[source][target] = predecessors[target][source] = {}
                    relationships[relationship] = {"record": record}
                else:
                    self._put_edge(source, target, relationship, {"record": record})
        _clear_cache(self._graph)

    def _with_controls(self, delta: GraphDelta) -> _State:
        """The state after the delta's controls; called once its nodes are written, whose people they may name."""
        state = self._state
        if not (delta.feedback or delta.corrections or delta.policies or delta.do_not_pair):
            return state
        nodes = self._graph._node

        def stored(*people: str) -> bool:
            return all((PERSON, person) in nodes for person in people)

        return replace(
            state,
            feedback=_updated(
                state.feedback, (((f.person, f.candidate), f) for f in delta.feedback if stored(f.person, f.candidate))
            ),
            corrections=_updated(
                state.corrections, (((c.person, c.topic), c) for c in delta.corrections if stored(c.person))
            ),
            policies=_updated(state.policies, ((policy.scope, policy) for policy in delta.policies)),
            do_not_pair=_updated(
                state.do_not_pair, (((pair.a, pair.b), pair) for pair in delta.do_not_pair if stored(pair.a, pair.b))
            ),
        )

    def remove_do_not_pair(self, a: str, b: str) -> bool:
        with self._mutex:
            self._check_open()
            key = (min(a, b), max(a, b))
            if key not in self._state.do_not_pair:
                return False
            pairs = dict(self._state.do_not_pair)
            del pairs[key]
            self._commit(replace(self._state, do_not_pair=pairs))
            return True

    def save_token(self, token: AccessToken) -> None:
        with self._mutex:
            self._check_open()
            self._commit(replace(self._state, tokens={**self._state.tokens, token.id: token}))

    def reserve_digest(self, person_id: str, period: str, *, at: datetime) -> bool:
        with self._mutex:
            self._check_open()
            if (person_id, period) in self._state.digests:
                return False
            self._record_digest(DigestRecord(person=person_id, period=period, state="reserved", at=at))
            return True

    def mark_digest_sent(self, person_id: str, period: str, *, at: datetime) -> None:
        with self._mutex:
            self._check_open()
            if (person_id, period) not in self._state.digests:
                raise NotFound("digest reservation", f"{person_id}/{period}")
            self._record_digest(DigestRecord(person=person_id, period=period, state="sent", at=at))

    def _record_digest(self, record: DigestRecord) -> None:
        """Make ``record`` durable, then visible: the caller may act on it (send an e-mail) once this returns."""
        key = (record.person, record.period)
        if self._directory is None:
            self._state.digests[key] = record
        elif not self._log_usable:
            with _collector_paused():
                self._commit(replace(self._state, digests={**self._state.digests, key: record}))
        else:
            assert self._digest_log is not None
            try:
                self._directory.append_digest(self._digest_log, record)
            except BaseException:
                # The log may now end in a partial line; never append after it. The next digest writes a snapshot,
                # which starts a new log. (Should the partial record survive, it only blocks a retry: at most once.)
                self._log_usable = False
                raise
            self._state.digests[key] = record

    def forget_person(self, person_id: str, *, suppress: Iterable[str]) -> None:
        keys = frozenset(suppress)
        with self._mutex:
            self._check_open()
            if (PERSON, person_id) not in self._graph._node:
                raise NotFound("person", person_id)
            try:
                with _collector_paused():
                    self._erase(person_id)
                    self._commit(_forgotten(self._state, person_id, keys))
            except BaseException:
                self._rollback()
                raise
            finally:
                self._journal = []
                self._counts = None

    def _erase(self, person_id: str) -> None:
        """Remove a person's node and the posts they wrote alone; take them out of every other post."""
        nodes, predecessors = self._graph._node, self._graph._pred
        alone: list[NodeKey] = []
        for key, attributes in list(nodes.items()):
            if key[0] != POST:
                continue
            post = attributes["record"]
            if person_id not in post.authors and person_id not in post.mentions and person_id not in post.audience:
                continue
            kept = _without_person(post, person_id)
            if kept is None:
                alone.append(key)
                continue
            self._put_nodes([(key, kept)])
            if kept.author != post.author and AUTHORED in predecessors[key].get((PERSON, kept.author), _NOTHING):
                self._put_edge((PERSON, kept.author), key, AUTHORED, {"role": "author"})
            if "unlinked" in attributes:
                references = tuple(
                    (relationship, other)
                    for relationship, other in attributes["unlinked"]
                    if other != person_id or relationship not in (AUTHORED, MENTIONS)
                )
                if references:
                    attributes["unlinked"] = references
                else:
                    del attributes["unlinked"]
        # Nobody keeps a forgotten person as their manager: the id itself is data about them.
        managed = [
            (key, replace(attributes["record"], manager=None))
            for key, attributes in nodes.items()
            if key[0] == PERSON and attributes["record"].manager == person_id
        ]
        self._put_nodes(managed)
        # The person first: undoing runs backwards, so their posts are back before their AUTHORED edges are.
        self._remove_node((PERSON, person_id))
        gone = set(alone)
        for key in alone:
            # A surviving reply to an erased post keeps its reply_to; like any unstored parent, it stays unlinked.
            for child, relationships in predecessors[key].items():
                if REPLY_TO in relationships and child not in gone:
                    attributes = nodes[child]
                    self._journal.append((_NODE, child, dict(attributes)))
                    attributes["unlinked"] = (*attributes.get("unlinked", ()), (REPLY_TO, key[1]))
        for key in alone:
            self._remove_node(key)

    def _remove_node(self, key: NodeKey) -> None:
        graph = self._graph
        edges = [*graph.out_edges(key, keys=True, data=True), *graph.in_edges(key, keys=True, data=True)]
        self._journal.append((_GONE, key, graph._node[key], edges))
        graph.remove_node(key)

    def _link_team(self, person: Person, created: set[NodeKey]) -> None:
        key = (PERSON, person.id)
        team = None if person.team is None else (TEAM, person.team)
        if key in created:
            if team is not None:
                _add_edges(self._graph, ((key, team, MEMBER_OF, {}),))
            return
        for target, relationships in list(self._graph._succ[key].items()):
            if MEMBER_OF in relationships and target != team:
                self._drop_edge(key, target, MEMBER_OF)
        if team is not None:
            self._put_edge(key, team, MEMBER_OF, {})

    def _link_post(self, post: Post, created: set[NodeKey]) -> None:
        key = (POST, post.id)
        nodes = self._graph._node
        unlinked: list[tuple[str, str]] = []
        if key in created:
            successors, predecessors = self._graph._succ, self._graph._pred
            for source, target, relationship, properties, other in _post_links(post):
                if source in nodes and target in nodes:
                    relationships = successors[source].get(target)
                    if relationships is None:
                        relationships = successors[source][target] = predecessors[target][source] = {}
                    relationships[relationship] = properties
                else:
                    unlinked.append((relationship, other))
            if unlinked:
                nodes[key]["unlinked"] = tuple(unlinked)
            return
        wanted: list[Edge] = []
        for source, target, relationship, properties, other in _post_links(post):
            if source in nodes and target in nodes:
                wanted.append((source, target, relationship, properties))
            else:
                unlinked.append((relationship, other))
        keep = {(source, target, relationship) for source, target, relationship, _ in wanted}
        for source, target, relationship in self._post_edges(key):
            if (source, target, relationship) not in keep:
                self._drop_edge(source, target, relationship)
        for source, target, relationship, properties in wanted:
            self._put_edge(source, target, relationship, properties)
        # Kept on the node (and so undone with it) because reloading the snapshot must not link them either.
        attributes = nodes[key]
        if unlinked:
            attributes["unlinked"] = tuple(unlinked)
        else:
            attributes.pop("unlinked", None)

    def _post_edges(self, key: NodeKey) -> list[tuple[NodeKey, NodeKey, str]]:
        outgoing = [
            (key, target, relationship)
            for target, relationships in self._graph._succ[key].items()
            for relationship in _POST_OUTGOING
            if relationship in relationships
        ]
        incoming = [
            (source, key, AUTHORED)
            for source, relationships in self._graph._pred[key].items()
            if AUTHORED in relationships
        ]
        return outgoing + incoming

    # The journal records the previous state of every node and edge a write touches, so a failed write can be undone
    # without copying the graph. Edges touching a node created by this write need no entry: undoing the node
    # removes them.

    def _put_nodes(self, records: Iterable[tuple[NodeKey, Any]]) -> set[NodeKey]:
        """Write node records (the last wins for a repeated key) and return the keys that are new."""
        nodes = self._graph._node
        new: dict[NodeKey, Any] = {}
        for key, record in records:
            attributes = nodes.get(key)
            if attributes is None:
                new[key] = record
            else:
                self._journal.append((_NODE, key, dict(attributes)))
                attributes["record"] = record
        self._journal.append((_NEW_NODES, tuple(new)))
        _add_nodes(self._graph, new.items())
        return set(new)

    def _put_edge(self, source: NodeKey, target: NodeKey, relationship: str, properties: dict[str, Any]) -> None:
        relationships = self._graph._succ[source].get(target)
        current = None if relationships is None else relationships.get(relationship)
        if current is None:
            self._journal.append((_EDGE, source, target, relationship, None))
            _add_edges(self._graph, ((source, target, relationship, dict(properties)),))
        elif current != properties:
            self._journal.append((_EDGE, source, target, relationship, dict(current)))
            _replace(current, properties)

    def _drop_edge(self, source: NodeKey, target: NodeKey, relationship: str) -> None:
        current = self._graph.get_edge_data(source, target, key=relationship)
        if current is not None:
            self._journal.append((_EDGE, source, target, relationship, dict(current)))
            self._graph.remove_edge(source, target, key=relationship)

    def _rollback(self) -> None:
        graph = self._graph
        for kind, *entry in reversed(self._journal):
            if kind == _NEW_NODES:
                graph.remove_nodes_from(entry[0])
            elif kind == _GONE:
                key, attributes, edges = entry
                graph.add_node(key, **attributes)
                graph.add_edges_from(edges)
            elif kind == _NODE:
                key, attributes = entry
                _replace(graph.nodes[key], attributes)
            else:
                source, target, relationship, properties = entry
                current = graph.get_edge_data(source, target, key=relationship)
                if properties is None:
                    graph.remove_edge(source, target, key=relationship)
                elif current is None:
                    graph.add_edge(source, target, key=relationship, **properties)
                else:
                    _replace(current, properties)
        self._journal = []

    # -- persistence ----------------------------------------------------------------------------------------------

    def _commit(self, state: _State) -> None:
        """Persist the graph as it now is with ``state``, then install ``state``; on failure nothing is installed."""
        if self._directory is not None:
            log = secrets.token_hex(8)
            self._directory.write(self._snapshot(state, digest_log=log))
            # The snapshot holds every digest record, so the previous log is now superseded.
            self._digest_log, self._log_usable = log, True
            self._directory.remove_digest_logs(keep=log)
        self._state = state
        self._counts = None

    def _snapshot(self, state: _State, *, digest_log: str | None = None) -> Snapshot:
        records: dict[str, list[Any]] = {label: [] for label in NODE_LABELS}
        derived: dict[str, list[Any]] = {INTERACTS_WITH: [], KNOWS_ABOUT: [], ASKS_ABOUT: [], SUGGESTED: []}
        unlinked: list[tuple[str, str, str]] = []
        successors = self._graph._succ
        for key, attributes in self._graph._node.items():
            label, node_id = key
            records[label].append(attributes["record"])
            if label == POST and "unlinked" in attributes:
                unlinked.extend((node_id, relationship, other) for relationship, other in attributes["unlinked"])
            elif label == PERSON:
                for relationships in successors[key].values():
                    for relationship, properties in relationships.items():
                        if relationship in derived:
                            derived[relationship].append(properties["record"])
        return Snapshot(
            people=tuple(records[PERSON]),
            teams=tuple(records[TEAM]),
            topics=tuple(records[TOPIC]),
            posts=tuple(records[POST]),
            ties=tuple(derived[INTERACTS_WITH]),
            expertise=(*derived[KNOWS_ABOUT], *derived[ASKS_ABOUT]),
            suggestions=tuple(derived[SUGGESTED]),
            unlinked=tuple(unlinked),
            feedback=tuple(state.feedback.values()),
            corrections=tuple(state.corrections.values()),
            policies=tuple(state.policies.values()),
            do_not_pair=tuple(state.do_not_pair.values()),
            tokens=tuple(state.tokens.values()),
            digests=tuple(state.digests.values()),
            suppressed=tuple(state.suppressed),
            digest_log=digest_log,
        )

    def _load(self, snapshot: Snapshot) -> None:
        graph = self._graph
        for label, records in (
            (TEAM, snapshot.teams),
            (PERSON, snapshot.people),
            (TOPIC, snapshot.topics),
            (POST, snapshot.posts),
        ):
            _add_nodes(graph, (((label, record.id), record) for record in records))
        nodes = graph._node
        unlinked: dict[str, list[tuple[str, str]]] = {}
        for post_id, relationship, other in snapshot.unlinked:
            unlinked.setdefault(post_id, []).append((relationship, other))
        for post_id, references in unlinked.items():
            if (POST, post_id) in nodes:
                nodes[POST, post_id]["unlinked"] = tuple(references)
        _add_edges(graph, _stored_edges(snapshot, unlinked, nodes))
        self._state = _State(
            feedback={(f.person, f.candidate): f for f in snapshot.feedback},
            corrections={(c.person, c.topic): c for c in snapshot.corrections},
            policies={policy.scope: policy for policy in snapshot.policies},
            do_not_pair={(pair.a, pair.b): pair for pair in snapshot.do_not_pair},
            tokens={token.id: token for token in snapshot.tokens},
            digests={(d.person, d.period): d for d in snapshot.digests},
            suppressed=frozenset(snapshot.suppressed),
        )
        self._digest_log = snapshot.digest_log

    # -- reads ----------------------------------------------------------------------------------------------------

    def existing_post_ids(self, ids: Iterable[str]) -> set[str]:
        with self._reading():
            return {post_id for post_id in ids if (POST, post_id) in self._graph}

    def posts_by_id(self, ids: Iterable[str]) -> dict[str, Post]:
        with self._reading():
            return {post_id: record for post_id in ids if (record := self._record(POST, post_id)) is not None}

    def ties_between(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Tie]:
        with self._reading():
            # Straight from the adjacency dicts (what get_edge_data reads): a first import asks for ~10^5 pairs.
            successors = self._graph._succ
            found = {}
            for source, target in pairs:
                relationships = successors.get((PERSON, source), _NOTHING).get((PERSON, target))
                if relationships is not None and INTERACTS_WITH in relationships:
                    found[source, target] = relationships[INTERACTS_WITH]["record"]
            return found

    def expertise_for(
        self, keys: Iterable[tuple[str, str, ExpertiseKind]]
    ) -> dict[tuple[str, str, ExpertiseKind], Expertise]:
        with self._reading():
            successors = self._graph._succ
            found = {}
            for person, topic, kind in keys:
                relationship = expertise_type(kind)
                relationships = successors.get((PERSON, person), _NOTHING).get((TOPIC, topic))
                if relationships is not None and relationship in relationships:
                    found[person, topic, kind] = relationships[relationship]["record"]
            return found

    def topics(self) -> list[Topic]:
        with self._reading():
            return sorted(self._records(TOPIC), key=by_id)

    def people(self) -> list[Person]:
        with self._reading():
            return sorted(self._records(PERSON), key=by_id)

    def person(self, person_id: str) -> Person:
        with self._reading():
            record = self._record(PERSON, person_id)
            if record is None:
                raise NotFound("person", person_id)
            return record

    def neighbourhood(self, person_id: str, *, limit: int = 10) -> Neighbourhood:
        check_limit(limit)
        with self._reading():
            person = self.person(person_id)
            key = (PERSON, person_id)
            ties = {
                (tie.source, tie.target): tie
                for adjacency in (self._graph.succ[key], self._graph.pred[key])
                for relationships in adjacency.values()
                if INTERACTS_WITH in relationships
                for tie in (relationships[INTERACTS_WITH]["record"],)
            }
            authored = [
                self._graph.nodes[target]["record"]
                for target, relationships in self._graph.succ[key].items()
                if AUTHORED in relationships
            ]
            authored.sort(key=by_id)
            authored.sort(key=lambda post: post.created_at, reverse=True)
            return Neighbourhood(
                person=person,
                team=None if person.team is None else self._record(TEAM, person.team),
                ties=tuple(sorted(ties.values(), key=lambda tie: (-tie.weight, tie.source, tie.target))[:limit]),
                knows=self._expertise_of(key, KNOWS_ABOUT, limit),
                asks=self._expertise_of(key, ASKS_ABOUT, limit),
                recent_posts=tuple(authored[:limit]),
            )

    def topic_people(self, topic_id: str, *, kind: ExpertiseKind = "knows", limit: int = 10) -> list[Expertise]:
        check_limit(limit)
        relationship = expertise_type(kind)
        with self._reading():
            key = (TOPIC, topic_id)
            if key not in self._graph:
                raise NotFound("topic", topic_id)
            found = [
                relationships[relationship]["record"]
                for relationships in self._graph.pred[key].values()
                if relationship in relationships
            ]
            found.sort(key=lambda expertise: (-expertise.score, expertise.person))
            return found[:limit]

    def projection(self) -> Projection:
        with self._reading(), _collector_paused():
            snapshot = self._snapshot(self._state)
            return Projection(
                people=tuple(sorted(snapshot.people, key=by_id)),
                teams=tuple(sorted(snapshot.teams, key=by_id)),
                topics=tuple(sorted(snapshot.topics, key=by_id)),
                posts=tuple(sorted(snapshot.posts, key=by_id)),
                ties=tuple(sorted(snapshot.ties, key=lambda tie: (tie.source, tie.target))),
                expertise=tuple(sorted(snapshot.expertise, key=lambda e: (e.person, e.topic, e.kind))),
                suggestions=tuple(sorted(snapshot.suggestions, key=lambda s: (s.person, s.candidate))),
                controls=_controls(self._state),
            )

    def controls(self) -> Controls:
        with self._reading():
            return _controls(self._state)

    def token(self, token_id: str) -> AccessToken:
        with self._reading():
            token = self._state.tokens.get(token_id)
            if token is None:
                raise NotFound("token", token_id)
            return token

    def tokens(self) -> list[AccessToken]:
        with self._reading():
            return sorted(self._state.tokens.values(), key=by_id)

    def digests(self, period: str | None = None) -> list[DigestRecord]:
        with self._reading():
            found = [d for d in self._state.digests.values() if period is None or d.period == period]
            return sorted(found, key=lambda d: (d.period, d.person))

    def suppressed(self) -> frozenset[str]:
        with self._reading():
            return self._state.suppressed

    def counts(self) -> GraphCounts:
        with self._reading():
            if self._counts is None:
                nodes = Counter(label for label, _ in self._graph)
                relationships = Counter(
                    chain.from_iterable(
                        keyed for adjacency in self._graph._succ.values() for keyed in adjacency.values()
                    )
                )
                state = self._state
                relationships.update(
                    {
                        FEEDBACK: len(state.feedback),
                        CORRECTS: len(state.corrections),
                        DO_NOT_PAIR: len(state.do_not_pair),
                    }
                )
                self._counts = GraphCounts(
                    nodes={label: nodes[label] for label in NODE_LABELS},
                    relationships={relationship: relationships[relationship] for relationship in RELATIONSHIP_TYPES},
                )
            return GraphCounts(nodes=dict(self._counts.nodes), relationships=dict(self._counts.relationships))

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._graph = nx.MultiDiGraph()
            if self._directory is not None:
                self._directory.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self._directory is None else str(self._directory.path)
        return f"EmbeddedStore({where}{', closed' if self._closed else ''})"

    # -- helpers --------------------------------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[None]:
        with self._mutex:
            self._check_open()
            yield

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the graph store is closed; open a new EmbeddedStore to read or write")

    def _record(self, label: str, node_id: str) -> Any:
        attributes = self._graph.nodes.get((label, node_id))
        return None if attributes is None else attributes["record"]

    def _records(self, label: str) -> list[Any]:
        return [record for (node_label, _), record in self._graph.nodes(data="record") if node_label == label]

    def _expertise_of(self, key: NodeKey, relationship: str, limit: int) -> tuple[Expertise, ...]:
        found = [
            relationships[relationship]["record"]
            for relationships in self._graph.succ[key].values()
            if relationship in relationships
        ]
        found.sort(key=lambda expertise: (-expertise.score, expertise.topic))
        return tuple(found[:limit])


def _stored_edges(
    snapshot: Snapshot, unlinked: dict[str, list[tuple[str, str]]], nodes: dict[NodeKey, Any]
) -> list[Edge]:
    """The relationships a snapshot implies. A file written by this class never points at a missing node; checking
    anyway keeps a hand-edited or future file from creating nodes without a record."""
    edges: list[Edge] = [
        ((PERSON, person.id), (TEAM, person.team), MEMBER_OF, {})
        for person in snapshot.people
        if person.team is not None and (TEAM, person.team) in nodes
    ]
    for post in snapshot.posts:
        skipped = unlinked.get(post.id, ())
        for source, target, relationship, properties, other in _post_links(post):
            if source in nodes and target in nodes and (not skipped or (relationship, other) not in skipped):
                edges.append((source, target, relationship, properties))
    for source, target, relationship, record in _aggregates(snapshot.ties, snapshot.expertise, snapshot.suggestions):
        if source in nodes and target in nodes:
            edges.append((source, target, relationship, {"record": record}))
    return edges


def _aggregates(
    ties: Iterable[Tie], expertise: Iterable[Expertise], suggestions: Iterable[SuggestionRecord]
) -> Iterator[tuple[NodeKey, NodeKey, str, Any]]:
    for tie in ties:
        yield (PERSON, tie.source), (PERSON, tie.target), INTERACTS_WITH, tie
    for e in expertise:
        yield (PERSON, e.person), (TOPIC, e.topic), expertise_type(e.kind), e
    for s in suggestions:
        yield (PERSON, s.person), (PERSON, s.candidate), SUGGESTED, s


def _add_nodes(graph: nx.MultiDiGraph, records: Iterable[tuple[NodeKey, Any]]) -> None:
    """Add new nodes holding their record; see :func:`_add_edges` for why this writes NetworkX's dicts directly."""
    nodes, successors, predecessors = graph._node, graph._succ, graph._pred
    for key, record in records:
        nodes[key] = {"record": record}
        successors[key] = {}
        predecessors[key] = {}
    _clear_cache(graph)


def _add_edges(graph: nx.MultiDiGraph, edges: Iterable[Edge]) -> None:
    """Add or overwrite edges between existing nodes, keyed by relationship type; each edge takes ownership of its
    property dict (callers pass a fresh one).

    This is what ``MultiDiGraph.add_edges_from`` does once its per-edge checks are known to pass, written straight
    into NetworkX's adjacency dicts (``_succ[u][v]`` and ``_pred[v][u]`` share one dict of keyed edges; NetworkX's
    own algorithms read them the same way). It is about twice as fast, which matters for 10^6 edges.
    ``tests/graph/test_embedded.py`` checks the result against a graph built through the public API.
    """
    successors, predecessors = graph._succ, graph._pred
    for source, target, relationship, properties in edges:
        relationships = successors[source].get(target)
        if relationships is None:
            relationships = successors[source][target] = predecessors[target][source] = {}
        relationships[relationship] = properties
    _clear_cache(graph)


def _clear_cache(graph: nx.MultiDiGraph) -> None:
    # NetworkX caches converted graphs for its backends and drops the cache on every change it makes itself.
    cache = getattr(graph, "__networkx_cache__", None)
    if cache:
        cache.clear()


def _post_links(post: Post) -> list[Link]:
    """A post's relationships, each with a property dict of its own (the caller may store it as is)."""
    key = (POST, post.id)
    author = post.author
    links: list[Link] = [((PERSON, author), key, AUTHORED, {"role": "author"}, author)]
    if post.co_authors:
        roles = dict.fromkeys(post.co_authors, "co_author")
        roles.pop(author, None)
        links.extend(((PERSON, person), key, AUTHORED, {"role": role}, person) for person, role in roles.items())
    links.extend([(key, (TOPIC, topic), ABOUT, {}, topic) for topic in dict.fromkeys(post.topics)])
    links.extend([(key, (PERSON, person), MENTIONS, {}, person) for person in dict.fromkeys(post.mentions)])
    if post.reply_to is not None:
        links.append((key, (POST, post.reply_to), REPLY_TO, {}, post.reply_to))
    return links


def _updated(table: dict[Any, Any], items: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
    """``table`` with ``items`` written over it: a new dict, or ``table`` if no items.

    A record replaces the stored one unless it is older (``at``, or ``updated_at`` for policies; a policy without a
    time always replaces), so a late retry of an old request cannot undo a newer one. Neo4j applies the same rule.
    """
    changes: dict[Any, Any] = {}
    for key, record in items:
        current = changes.get(key, table.get(key))
        if current is None or not _older(record, current):
            changes[key] = record
    return {**table, **changes} if changes else table


def _older(record: Any, current: Any) -> bool:
    when, now = getattr(record, "at", None), getattr(current, "at", None)
    if isinstance(record, Policy):
        when, now = record.updated_at, current.updated_at
    return when is not None and now is not None and when < now


def _controls(state: _State) -> Controls:
    return Controls(
        feedback=tuple(state.feedback[key] for key in sorted(state.feedback)),
        corrections=tuple(state.corrections[key] for key in sorted(state.corrections)),
        policies=tuple(state.policies[key] for key in sorted(state.policies)),
        do_not_pair=tuple(state.do_not_pair[key] for key in sorted(state.do_not_pair)),
    )


def _forgotten(state: _State, person_id: str, suppress: frozenset[str]) -> _State:
    """``state`` without anything of ``person_id``, and with ``suppress`` added to the suppression list."""
    scope = person_scope(person_id)
    return _State(
        feedback={key: f for key, f in state.feedback.items() if person_id not in key},
        corrections={key: c for key, c in state.corrections.items() if key[0] != person_id},
        policies={key: policy for key, policy in state.policies.items() if key != scope},
        do_not_pair={key: pair for key, pair in state.do_not_pair.items() if person_id not in key},
        tokens={key: token for key, token in state.tokens.items() if token.person != person_id},
        digests={key: d for key, d in state.digests.items() if key[0] != person_id},
        suppressed=state.suppressed | suppress,
    )


def _without_person(post: Post, person_id: str) -> Post | None:
    """``post`` with every reference to ``person_id`` taken out, or ``None`` if they were its only author."""
    co_authors = tuple(co_author for co_author in post.co_authors if co_author != person_id)
    author = post.author
    if author == person_id:
        remaining = [co_author for co_author in co_authors if co_author != person_id]
        if not remaining:
            return None
        author = remaining[0]
        co_authors = tuple(co_author for co_author in co_authors if co_author != author)
    audience = tuple(reader for reader in post.audience if reader != person_id)
    if post.audience and not audience:
        # An empty audience means everyone: a post meant for the forgotten person alone stays with its authors.
        audience = (author,)
    mentions = tuple(mentioned for mentioned in post.mentions if mentioned != person_id)
    return replace(post, author=author, co_authors=co_authors, audience=audience, mentions=mentions)


def _last_by_id(records: Iterable[Any]) -> list[Any]:
    return list({record.id: record for record in records}.values())


def _replace(attributes: dict[str, Any], values: dict[str, Any]) -> None:
    attributes.clear()
    attributes.update(values)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A large write or load builds ~10^6 long-lived dicts and tuples; each allocation burst triggers a full cyclic
    # collection that frees nothing. Pausing the collector meanwhile roughly halves the time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
