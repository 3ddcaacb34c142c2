"""The admin kit: starter queries (checked against the real Neo4j server on the demo organisation), guide and style."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import neo4j
import networkx as nx
import pytest

from api.ingest import ingest_directory
from api.settings import Settings
from extractors.synthetic import generate_organisation, write_canonical
from graph.admin_queries import STARTER_QUERIES, StarterQuery
from graph.delta import GraphDelta, Person, Post, SuggestionRecord, Team, Topic
from graph.store import NODE_LABELS, RELATIONSHIP_TYPES, Projection
from recommender.people import PeopleToMeet
from tests.neo4j_server import TestServer

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "static"
GUIDE = STATIC / "browser-guide.html"
STYLE = STATIC / "weaktie.grass"
QUERIES = {query.name: query for query in STARTER_QUERIES}


# -- the queries themselves (offline) -----------------------------------------------------------------------------


def test_names_are_unique_slugs() -> None:
    names = [query.name for query in STARTER_QUERIES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", name) for name in names)


@pytest.mark.parametrize("query", STARTER_QUERIES, ids=lambda query: query.name)
def test_parameters_are_exactly_those_declared(query: StarterQuery) -> None:
    used = set(re.findall(r"\$([A-Za-z_]\w*)", query.cypher))
    assert used == {name for name, _ in query.parameters}


@pytest.mark.parametrize("query", STARTER_QUERIES, ids=lambda query: query.name)
def test_queries_only_read(query: StarterQuery) -> None:
    code = re.sub(r"//[^\n]*", "", query.cypher)
    assert not re.search(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DETACH|LOAD\s+CSV|FOREACH)\b", code, re.IGNORECASE)


def test_the_issue_s_questions_are_all_there() -> None:
    wanted = {
        "team-connections",
        "bridges",
        "isolated-teams",
        "experts",
        "topics-by-team",
        "suggestions-since",
        "already-done",
    }
    assert wanted <= set(QUERIES)


# -- the Browser guide --------------------------------------------------------------------------------------------


class _GuideParser(HTMLParser):
    """Collects the runnable blocks (what a click puts in the Browser's editor) and the slide ids."""

    def __init__(self) -> None:
        super().__init__()
        self.runnable: list[str] = []
        self.slides: list[str | None] = []
        self._in_runnable = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "slide":
            self.slides.append(attributes.get("id"))
        if tag == "pre" and "runnable" in (attributes.get("class") or "").split():
            self._in_runnable = True
            self.runnable.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_runnable = False

    def handle_data(self, data: str) -> None:
        if self._in_runnable:
            self.runnable[-1] += data


@pytest.fixture(scope="module")
def guide() -> _GuideParser:
    parser = _GuideParser()
    parser.feed(GUIDE.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_the_guide_shows_every_query_in_order(guide: _GuideParser) -> None:
    # The Browser trims a block before it fills the editor.
    shown = [block.strip() for block in guide.runnable if not block.strip().startswith(":")]
    assert shown == [query.cypher.strip() for query in STARTER_QUERIES]


def test_the_guide_has_a_slide_per_query(guide: _GuideParser) -> None:
    assert [slide for slide in guide.slides if slide] == [query.name for query in STARTER_QUERIES]


def test_the_guide_sets_every_parameter(guide: _GuideParser) -> None:
    commands = {block.strip() for block in guide.runnable if block.strip().startswith(":param")}
    wanted = {f":param {name} => {expression}" for query in STARTER_QUERIES for name, expression in query.parameters}
    assert commands == wanted


def test_the_guide_loads_the_style_from_the_api(guide: _GuideParser) -> None:
    (style,) = [block.strip() for block in guide.runnable if block.strip().startswith(":style")]
    assert re.fullmatch(r":style http://localhost:\d+/static/weaktie\.grass", style)


def test_the_admin_docs_show_every_query_in_order() -> None:
    text = (ROOT / "docs" / "admin.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```cypher\n(.*?)```", text, flags=re.DOTALL)
    assert [block.strip() for block in blocks] == [query.cypher.strip() for query in STARTER_QUERIES]
    for query in STARTER_QUERIES:
        for name, expression in query.parameters:
            assert f":param {name} => {expression}" in text


# -- the GraSS style ----------------------------------------------------------------------------------------------


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """The Neo4j Browser's own GraSS reading, in Python: quotes are dropped, rules split on ';' then ':'."""
    rules: dict[str, str] = {}
    selector, body = "", ""
    in_string = in_rule = False
    for char in text:
        if char in "'\"":
            in_string = not in_string
        elif char == "{" and not in_string:
            in_rule = True
        elif char == "}" and not in_string:
            rules[selector], selector, body, in_rule = body, "", "", False
        elif in_rule:
            body += char
        elif not char.isspace():
            selector += char
    parsed: dict[str, dict[str, str]] = {}
    for name, rule in rules.items():
        declarations = [part.split(":") for part in rule.split(";") if part.strip()]
        # The Browser silently drops a declaration that does not split into exactly two parts.
        assert all(len(parts) == 2 for parts in declarations), f"{name}: a value holds ':' or a ';' is missing"
        parsed[name] = {key.strip(): value.strip() for key, value in declarations}
    return parsed


@pytest.fixture(scope="module")
def grass() -> dict[str, dict[str, str]]:
    return parse_grass(STYLE.read_text(encoding="utf-8"))


def test_the_style_parses_into_the_model_s_selectors(grass: dict[str, dict[str, str]]) -> None:
    expected = {"node", "relationship"}
    expected |= {f"node.{label}" for label in NODE_LABELS}
    expected |= {f"relationship.{kind}" for kind in RELATIONSHIP_TYPES}
    assert set(grass) == expected  # a comment or a typo would show up here as an odd selector


def test_each_label_has_its_own_colour_and_size(grass: dict[str, dict[str, str]]) -> None:
    labels = [grass[f"node.{label}"] for label in NODE_LABELS]
    assert len({style["color"] for style in labels}) == len(labels)
    sizes = {label: int(grass[f"node.{label}"]["diameter"].removesuffix("px")) for label in NODE_LABELS}
    # Teams hold people, people write posts: the size says which is which at a glance.
    assert sizes["Team"] > sizes["Person"] > sizes["Topic"] > sizes["Post"]


@pytest.mark.parametrize(
    ("label", "record", "caption"),
    [("Person", Person, "name"), ("Team", Team, "name"), ("Topic", Topic, "label"), ("Post", Post, "title")],
)
def test_captions_name_a_stored_property(
    grass: dict[str, dict[str, str]], label: str, record: type, caption: str
) -> None:
    assert grass[f"node.{label}"]["caption"] == "{" + caption + "}"
    assert caption in {field.name for field in fields(record)}


# -- against the real server, on the demo organisation ------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    driver: neo4j.Driver
    projection: Projection
    recent: tuple[SuggestionRecord, ...]
    old: SuggestionRecord


@pytest.fixture(scope="module")
def demo(neo4j_server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """What ``weaktie demo`` imports, in Neo4j, with suggestions recorded an hour and a month ago."""
    store = neo4j_server.fresh_store()
    try:
        directory = tmp_path_factory.mktemp("admin-kit")
        write_canonical(generate_organisation(), directory / "export")
        ingest_directory(directory / "export", store, settings=Settings(data_dir=directory / "data"))
        now = datetime.now(UTC)
        # Suggestions do not change anything else the tests compare with, so one projection serves them all.
        projection = store.projection()
        model = PeopleToMeet(k=3).fit(projection)
        people = [person.id for person in projection.people if not person.opted_out]
        asked = people[:5]
        recent = tuple(
            record for person in asked for record in model.records(model.recommend(person), at=now - timedelta(hours=1))
        )
        assert recent, "the recommender suggested nobody to the first people of the demo"
        # A month old, for someone else: the week's query must leave it out.
        first = next(found for person in people[len(asked) :] if (found := model.recommend(person, k=1)))
        (old,) = model.records(first, at=now - timedelta(days=30))
        store.upsert(GraphDelta(suggestions=(*recent, old)))
        yield Demo(neo4j_server.driver, projection, recent, old)
    finally:
        store.close()


def run(demo: Demo, query: StarterQuery, **overrides: Any) -> tuple[list[dict[str, Any]], neo4j.ResultSummary]:
    """Run a starter query with the guide's parameters, evaluated by the server as ``:param x => expr`` does."""
    parameters = {}
    for name, expression in query.parameters:
        # The guide's expressions are fixed Cypher from graph/admin_queries.py, never user input.
        records, _, _ = demo.driver.execute_query(f"RETURN {expression} AS value", database_="neo4j")
        parameters[name] = records[0]["value"]
    parameters.update(overrides)
    records, summary, _ = demo.driver.execute_query(query.cypher, parameters, database_="neo4j")
    return [record.data() for record in records], summary


@pytest.mark.neo4j
@pytest.mark.slow
@pytest.mark.parametrize("query", STARTER_QUERIES, ids=lambda query: query.name)
def test_every_starter_query_answers_on_the_demo(demo: Demo, query: StarterQuery) -> None:
    rows, summary = run(demo, query)
    assert rows, f"{query.name} returned no rows on the demo organisation"
    assert summary.query_type == "r", f"{query.name} is not read-only"


def _teams(projection: Projection) -> dict[str, str]:
    return {person.id: person.team for person in projection.people if person.team is not None}


def _team_names(projection: Projection) -> dict[str, str]:
    return {team.id: team.name for team in projection.teams}


def _cross_team_ties(projection: Projection) -> list[tuple[str, str, float]]:
    team = _teams(projection)
    return [
        (team[tie.source], team[tie.target], tie.weight)
        for tie in projection.ties
        if tie.source in team and tie.target in team and team[tie.source] != team[tie.target]
    ]


@pytest.mark.neo4j
@pytest.mark.slow
def test_team_connections_count_every_cross_team_tie_once(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["team-connections"])
    names = _team_names(demo.projection)
    expected: dict[frozenset[str], int] = defaultdict(int)
    for source_team, target_team, _ in _cross_team_ties(demo.projection):
        expected[frozenset((names[source_team], names[target_team]))] += 1
    assert len(rows) == len(expected), "each pair of teams comes once"
    assert {frozenset((row["team"], row["other_team"])): row["ties"] for row in rows} == expected
    weights = [row["weight"] for row in rows]
    assert weights == sorted(weights, reverse=True)


@pytest.mark.neo4j
@pytest.mark.slow
def test_bridges_are_ranked_by_teams_reached_then_burt_s_constraint(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["bridges"])
    graph = nx.Graph()
    for tie in demo.projection.ties:
        if tie.source != tie.target:
            weight = graph.get_edge_data(tie.source, tie.target, {"weight": 0.0})["weight"]
            graph.add_edge(tie.source, tie.target, weight=weight + tie.weight)
    constraint = nx.constraint(graph, nodes=[row["id"] for row in rows], weight="weight")
    team = _teams(demo.projection)
    for row in rows:
        assert row["constraint"] == pytest.approx(constraint[row["id"]], abs=1e-3)
        reached = {team[other] for other in graph[row["id"]] if other in team} - {team.get(row["id"])}
        assert row["teams_reached"] == len(reached)
    ranks = [(-row["teams_reached"], row["constraint"]) for row in rows]
    assert ranks == sorted(ranks)


@pytest.mark.neo4j
@pytest.mark.slow
def test_isolated_teams_lists_every_team_with_its_outside_ties(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["isolated-teams"])
    names = _team_names(demo.projection)
    outside: dict[str, int] = defaultdict(int)
    for source_team, target_team, _ in _cross_team_ties(demo.projection):
        outside[names[source_team]] += 1
        outside[names[target_team]] += 1
    assert {row["team"]: row["outside_ties"] for row in rows} == {name: outside[name] for name in names.values()}
    ranks = [(row["teams_reached"], row["outside_share"]) for row in rows]
    assert ranks == sorted(ranks)


@pytest.mark.neo4j
@pytest.mark.slow
def test_suggestions_since_the_guide_s_default_are_this_week_s(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["suggestions-since"])
    people = {person.id: person.name for person in demo.projection.people}
    shown = sorted((row["person"], row["suggested"]) for row in rows)
    assert shown == sorted((people[record.person], people[record.candidate]) for record in demo.recent)
    # An ISO string works as well as a datetime: some Browser versions hand parameters over as text.
    older, _ = run(demo, QUERIES["suggestions-since"], since=(datetime.now(UTC) - timedelta(days=60)).isoformat())
    assert sorted((row["person"], row["suggested"]) for row in older) == sorted(
        [*shown, (people[demo.old.person], people[demo.old.candidate])]
    )


@pytest.mark.neo4j
@pytest.mark.slow
def test_experts_are_the_highest_scores_on_matching_topics(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["experts"], topic="forecast")
    opted_out = {person.id for person in demo.projection.people if person.opted_out}
    matching = [
        item
        for item in demo.projection.expertise
        if item.kind == "knows" and "forecast" in item.topic and item.person not in opted_out
    ]
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(max(item.score for item in matching), abs=0.01)
    assert len(rows) == min(25, len(matching))


@pytest.mark.neo4j
@pytest.mark.slow
def test_already_done_finds_public_work_on_the_topic(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["already-done"], topic="forecast")
    posts = {post.id: post for post in demo.projection.posts}
    for row in rows:
        post = posts[row["id"]]
        assert post.is_public and not post.is_question
        assert any("forecast" in topic for topic in post.topics)
    dates = [row["created_at"] for row in rows]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.neo4j
@pytest.mark.slow
def test_topics_by_team_gives_at_most_five_per_team(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["topics-by-team"])
    per_team: dict[str, int] = defaultdict(int)
    for row in rows:
        per_team[row["team"]] += 1
    assert set(per_team) == set(_team_names(demo.projection).values())
    assert max(per_team.values()) <= 5


@pytest.mark.neo4j
@pytest.mark.slow
def test_a_team_s_outside_ties_start_at_that_team(demo: Demo) -> None:
    rows, _ = run(demo, QUERIES["team-outside-ties"], team="Platform")
    for row in rows:
        path = row["path"]
        assert path[0]["id"] == "platform"
        assert path[-1]["id"] != "platform"
