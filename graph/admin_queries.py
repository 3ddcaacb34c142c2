"""The admin kit's starter queries for the Neo4j Browser: read-only Cypher, one question each, named and described.

The Browser guide (``api/static/browser-guide.html``) shows these same statements; ``docs/admin.md`` explains them.
Parameters are set in the Browser with ``:param name => <cypher expression>``; :attr:`StarterQuery.parameters` holds
the expression the guide suggests for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class StarterQuery:
    name: str
    """A stable slug: the guide's anchor and the test id."""
    title: str
    answers: str
    """The question the query answers, in a sentence or two."""
    cypher: str
    parameters: tuple[tuple[str, str], ...] = ()
    """``(name, Cypher expression)`` pairs: what the guide sets with ``:param name => expression``."""


GRAPH_MODEL: Final = """
CALL db.schema.visualization()
"""

TEAM_CONNECTIONS: Final = """
// Each pair of teams once, with the ties between their members in either direction.
MATCH (a:Team)<-[:MEMBER_OF]-(:Person)-[r:INTERACTS_WITH]-(:Person)-[:MEMBER_OF]->(b:Team)
WHERE a.id < b.id
RETURN a.name AS team, b.name AS other_team, count(r) AS ties, sum(r.count) AS interactions,
       round(sum(r.weight), 2) AS weight
ORDER BY weight DESC, team, other_team
"""

TEAM_OUTSIDE_TIES: Final = """
// A picture: one team's members and the people in other teams they interact with.
MATCH (t:Team)
WHERE t.id = $team OR toLower(t.name) = toLower($team)
MATCH path = (t)<-[:MEMBER_OF]-(:Person)-[:INTERACTS_WITH]-(:Person)-[:MEMBER_OF]->(other:Team)
WHERE other <> t
RETURN path
LIMIT 300
"""

# Burt's constraint c(i) = sum over contacts j of (p_ij + sum over q of p_iq * p_qj)^2, where p_ij is the share of
# i's tie weight (both directions) spent on j: low when i's contacts do not know each other. Teams reached comes
# first because the question is about teams; constraint breaks ties between people who reach as many teams.
BRIDGES: Final = """
MATCH (i:Person)-[r:INTERACTS_WITH]-(j:Person)
WHERE i <> j
WITH i, j, sum(r.weight) AS a_ij
WITH i, collect({person: j, weight: a_ij}) AS contacts, sum(a_ij) AS total_i
UNWIND contacts AS contact
WITH i, contacts, total_i, contact.person AS j, contact.weight / total_i AS p_ij
CALL (i, j, contacts, total_i) {
  UNWIND contacts AS via
  WITH via.person AS q, via.weight / total_i AS p_iq
  WHERE q <> j
  MATCH (q)-[r:INTERACTS_WITH]-(j)
  WITH q, p_iq, sum(r.weight) AS a_qj
  CALL (q) {
    MATCH (q)-[r:INTERACTS_WITH]-(k:Person)
    WHERE k <> q
    RETURN sum(r.weight) AS total_q
  }
  RETURN sum(p_iq * a_qj / total_q) AS indirect
}
WITH i, j, (p_ij + indirect) ^ 2 AS local_constraint
OPTIONAL MATCH (i)-[:MEMBER_OF]->(home:Team)
OPTIONAL MATCH (j)-[:MEMBER_OF]->(theirs:Team)
WITH i, home, sum(local_constraint) AS constraint, count(j) AS contacts,
     collect(DISTINCT CASE WHEN theirs <> home THEN theirs.name END) AS other_teams
WHERE size(other_teams) > 0 AND NOT coalesce(i.opted_out, false)
RETURN i.id AS id, i.name AS person, home.name AS team, size(other_teams) AS teams_reached,
       contacts, round(constraint, 3) AS constraint, other_teams
ORDER BY teams_reached DESC, constraint, id
LIMIT 25
"""

ISOLATED_TEAMS: Final = """
MATCH (t:Team)
OPTIONAL MATCH (t)<-[:MEMBER_OF]-(:Person)-[r:INTERACTS_WITH]-(o:Person)
OPTIONAL MATCH (o)-[:MEMBER_OF]->(other:Team)
WITH t,
     count(DISTINCT CASE WHEN other <> t THEN r END) AS outside_ties,
     count(DISTINCT CASE WHEN other = t THEN r END) AS inside_ties,
     count(DISTINCT CASE WHEN other <> t THEN other END) AS teams_reached,
     sum(CASE WHEN other <> t THEN r.weight ELSE 0.0 END) AS outside_weight,
     // an inside tie is met once from each end
     sum(CASE WHEN other = t THEN r.weight ELSE 0.0 END) / 2 AS inside_weight
RETURN t.name AS team, COUNT { (t)<-[:MEMBER_OF]-(:Person) } AS members, teams_reached, outside_ties, inside_ties,
       CASE WHEN outside_weight + inside_weight = 0 THEN 0.0
            ELSE round(outside_weight / (outside_weight + inside_weight), 3) END AS outside_share
ORDER BY teams_reached, outside_share, team
"""

EXPERTS: Final = """
MATCH (p:Person)-[k:KNOWS_ABOUT]->(topic:Topic)
WHERE topic.id CONTAINS toLower(trim($topic)) AND NOT coalesce(p.opted_out, false)
OPTIONAL MATCH (p)-[:MEMBER_OF]->(team:Team)
RETURN p.id AS id, p.name AS person, team.name AS team, topic.label AS topic, round(k.score, 2) AS score,
       size(k.evidence) AS evidence_posts, k.last_at AS last_seen
ORDER BY score DESC, last_seen DESC, id
LIMIT 25
"""

TOPICS_BY_TEAM: Final = """
MATCH (team:Team)<-[:MEMBER_OF]-(p:Person)-[k:KNOWS_ABOUT]->(topic:Topic)
WITH team, topic, sum(k.score) AS score, count(p) AS people
ORDER BY team.name, score DESC, topic.id
WITH team, collect({topic: topic.label, score: round(score, 2), people: people})[..5] AS top
UNWIND top AS row
RETURN team.name AS team, row.topic AS topic, row.people AS people, row.score AS score
ORDER BY team, score DESC, topic
"""

SUGGESTIONS_SINCE: Final = """
MATCH (p:Person)-[s:SUGGESTED]->(c:Person)
WHERE s.at >= datetime($since)
OPTIONAL MATCH (p)-[:MEMBER_OF]->(pt:Team)
OPTIONAL MATCH (c)-[:MEMBER_OF]->(ct:Team)
RETURN s.at AS at, p.name AS person, pt.name AS team, c.name AS suggested, ct.name AS their_team,
       round(s.score, 3) AS score, s.reasons AS reasons
ORDER BY at DESC, person, suggested
LIMIT 200
"""

# Public, non-question posts only: what someone has done, as the product shows it to everyone.
ALREADY_DONE: Final = """
MATCH (post:Post)-[:ABOUT]->(topic:Topic)
WHERE topic.id CONTAINS toLower(trim($topic)) AND size(post.audience) = 0 AND NOT post.is_question
MATCH (author:Person)-[a:AUTHORED]->(post)
WHERE NOT coalesce(author.opted_out, false)
OPTIONAL MATCH (author)-[:MEMBER_OF]->(team:Team)
WITH post, collect(DISTINCT topic.label) AS topics,
     collect(DISTINCT author.name + ' (' + coalesce(team.name, 'no team') + ', ' + a.role + ')') AS authors
RETURN post.created_at AS created_at, post.id AS id, coalesce(post.title, post.snippet) AS post_title, authors, topics,
       post.url AS url
ORDER BY created_at DESC, id
LIMIT 25
"""

STARTER_QUERIES: Final[tuple[StarterQuery, ...]] = (
    StarterQuery(
        name="graph-model",
        title="What is in the graph",
        answers="The labels and relationship types weaktie stores and how they connect (docs/graph-model.md).",
        cypher=GRAPH_MODEL,
    ),
    StarterQuery(
        name="team-connections",
        title="Teams and how they connect",
        answers="For every pair of teams: how many INTERACTS_WITH ties join their members, how many interactions "
        "those ties carry, and their summed weight (recent interactions count more). Strongest pairs first.",
        cypher=TEAM_CONNECTIONS,
    ),
    StarterQuery(
        name="team-outside-ties",
        title="One team's outside ties, as a picture",
        answers="The members of one team and the people in other teams they interact with, drawn as a graph.",
        cypher=TEAM_OUTSIDE_TIES,
        parameters=(("team", "'platform'"),),
    ),
    StarterQuery(
        name="bridges",
        title="Who bridges teams",
        answers="People whose ties reach the most other teams, with Burt's constraint of their ties (low: their "
        "contacts do not know each other, so they broker between groups).",
        cypher=BRIDGES,
    ),
    StarterQuery(
        name="isolated-teams",
        title="Isolated teams",
        answers="Teams with the fewest ties to other teams and the smallest share of their interaction weight "
        "outside the team. The most isolated come first.",
        cypher=ISOLATED_TEAMS,
    ),
    StarterQuery(
        name="experts",
        title="People with expertise in a topic",
        answers="Who knows most about topics whose key contains $topic (KNOWS_ABOUT, highest score first), with "
        "their team, how many evidence posts and when they last wrote about it.",
        cypher=EXPERTS,
        parameters=(("topic", "'forecast'"),),
    ),
    StarterQuery(
        name="topics-by-team",
        title="Topics by team",
        answers="Each team's five strongest topics: the summed KNOWS_ABOUT score of its members, and how many "
        "members know about each.",
        cypher=TOPICS_BY_TEAM,
    ),
    StarterQuery(
        name="suggestions-since",
        title="Suggestions made this week",
        answers="Introductions weaktie recorded as shown (SUGGESTED) since $since, newest first, with both teams, "
        "the score and the reasons given.",
        cypher=SUGGESTIONS_SINCE,
        parameters=(("since", "datetime() - duration('P7D')"),),
    ),
    StarterQuery(
        name="already-done",
        title='"Already done" matches for a topic',
        answers="Public posts about topics whose key contains $topic that are not questions, newest first, with "
        "their authors and teams: who has already done it.",
        cypher=ALREADY_DONE,
        parameters=(("topic", "'forecast'"),),
    ),
)
