"""Every Cypher statement weaktie runs, as named constants: parameterised, batched with ``UNWIND $rows``, never built.

Writes MERGE on ids backed by the uniqueness constraints in :data:`SCHEMA`, and relationships only ever MATCH both
ends, so each statement is safe to repeat (the driver retries managed transactions).
"""

from __future__ import annotations

from typing import Final

# -- schema: created at start-up, idempotently --------------------------------------------------------------------

SCHEMA: Final[tuple[str, ...]] = (
    "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT team_id IF NOT EXISTS FOR (n:Team) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT topic_id IF NOT EXISTS FOR (n:Topic) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT post_id IF NOT EXISTS FOR (n:Post) REQUIRE n.id IS UNIQUE",
    # Team rosters, a person's recent posts, and "what was proposed lately" for admins.
    "CREATE INDEX person_team IF NOT EXISTS FOR (n:Person) ON (n.team)",
    "CREATE INDEX post_created_at IF NOT EXISTS FOR (n:Post) ON (n.created_at)",
    "CREATE INDEX suggested_at IF NOT EXISTS FOR ()-[r:SUGGESTED]-() ON (r.at)",
)
CONSTRAINT_NAMES: Final[tuple[str, ...]] = ("person_id", "team_id", "topic_id", "post_id")
AWAIT_INDEXES: Final = "CALL db.awaitIndexes(300)"

# -- nodes: rows are {id, properties}; SET n = … replaces every property -----------------------------------------

MERGE_TEAMS: Final = """
UNWIND $rows AS row
MERGE (n:Team {id: row.id})
SET n = row.properties
"""

MERGE_PEOPLE: Final = """
UNWIND $rows AS row
MERGE (n:Person {id: row.id})
SET n = row.properties
"""

MERGE_TOPICS: Final = """
UNWIND $rows AS row
MERGE (n:Topic {id: row.id})
SET n = row.properties
"""

MERGE_POSTS: Final = """
UNWIND $rows AS row
MERGE (n:Post {id: row.id})
SET n = row.properties
"""

# A team named by a person but written by nobody: a placeholder named after its id until the real record arrives.
MERGE_PLACEHOLDER_TEAMS: Final = """
UNWIND $rows AS id
MERGE (n:Team {id: id})
ON CREATE SET n.name = id
"""

# -- relationships that follow a node's latest record ------------------------------------------------------------

# rows: {id, team}; the person's one MEMBER_OF moves with Person.team and goes when it is null.
REPLACE_MEMBER_OF: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.id})
CALL (p, row) {
  MATCH (p)-[old:MEMBER_OF]->(t:Team)
  WHERE row.team IS NULL OR t.id <> row.team
  DELETE old
}
CALL (p, row) {
  MATCH (t:Team {id: row.team})
  MERGE (p)-[:MEMBER_OF]->(t)
}
"""

# rows: {id, authors: [{person, role}], topics, mentions, reply_to}. Stale relationships are deleted and the wanted
# ones MERGEd, so rewriting an unchanged post neither creates nor deletes anything.
REPLACE_POST_LINKS: Final = """
UNWIND $rows AS row
MATCH (post:Post {id: row.id})
CALL (post, row) {
  MATCH (a:Person)-[old:AUTHORED]->(post)
  WHERE NOT a.id IN [author IN row.authors | author.person]
  DELETE old
}
CALL (post, row) {
  MATCH (post)-[old:ABOUT]->(t:Topic)
  WHERE NOT t.id IN row.topics
  DELETE old
}
CALL (post, row) {
  MATCH (post)-[old:MENTIONS]->(p:Person)
  WHERE NOT p.id IN row.mentions
  DELETE old
}
CALL (post, row) {
  MATCH (post)-[old:REPLY_TO]->(parent:Post)
  WHERE row.reply_to IS NULL OR parent.id <> row.reply_to
  DELETE old
}
CALL (post, row) {
  UNWIND row.authors AS author
  MATCH (a:Person {id: author.person})
  MERGE (a)-[r:AUTHORED]->(post)
  SET r.role = author.role
}
CALL (post, row) {
  UNWIND row.topics AS topic_id
  MATCH (t:Topic {id: topic_id})
  MERGE (post)-[:ABOUT]->(t)
}
CALL (post, row) {
  UNWIND row.mentions AS person_id
  MATCH (p:Person {id: person_id})
  MERGE (post)-[:MENTIONS]->(p)
}
CALL (post, row) {
  MATCH (parent:Post {id: row.reply_to})
  MERGE (post)-[:REPLY_TO]->(parent)
}
"""

# -- aggregates: replaced by key (MERGE the relationship, SET its properties) ------------------------------------

MERGE_TIES: Final = """
UNWIND $rows AS row
MATCH (s:Person {id: row.source})
MATCH (t:Person {id: row.target})
MERGE (s)-[r:INTERACTS_WITH]->(t)
SET r = row.properties
"""

MERGE_KNOWS_ABOUT: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person})
MATCH (t:Topic {id: row.topic})
MERGE (p)-[r:KNOWS_ABOUT]->(t)
SET r = row.properties
"""

MERGE_ASKS_ABOUT: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person})
MATCH (t:Topic {id: row.topic})
MERGE (p)-[r:ASKS_ABOUT]->(t)
SET r = row.properties
"""

MERGE_SUGGESTED: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person})
MATCH (c:Person {id: row.candidate})
MERGE (p)-[r:SUGGESTED]->(c)
SET r = row.properties
"""

# -- reads ---------------------------------------------------------------------------------------------------------

EXISTING_POST_IDS: Final = """
UNWIND $ids AS id
MATCH (n:Post {id: id})
RETURN DISTINCT n.id AS id
"""

POSTS_BY_ID: Final = """
UNWIND $ids AS id
MATCH (n:Post {id: id})
RETURN DISTINCT properties(n) AS properties
"""

TIES_BETWEEN: Final = """
UNWIND $pairs AS pair
MATCH (s:Person {id: pair[0]})-[r:INTERACTS_WITH]->(t:Person {id: pair[1]})
RETURN DISTINCT s.id AS source, t.id AS target, properties(r) AS properties
"""

# keys: {person, topic, type}; the relationship type is data here, matched against both expertise types.
EXPERTISE_FOR: Final = """
UNWIND $keys AS key
MATCH (p:Person {id: key.person})-[r:KNOWS_ABOUT|ASKS_ABOUT]->(t:Topic {id: key.topic})
WHERE type(r) = key.type
RETURN DISTINCT p.id AS person, t.id AS topic, type(r) AS type, properties(r) AS properties
"""

ALL_TOPICS: Final = """
MATCH (n:Topic)
RETURN properties(n) AS properties
ORDER BY n.id
"""

ALL_PEOPLE: Final = """
MATCH (n:Person)
RETURN properties(n) AS properties
ORDER BY n.id
"""

ALL_TEAMS: Final = """
MATCH (n:Team)
RETURN properties(n) AS properties
ORDER BY n.id
"""

ALL_POSTS: Final = """
MATCH (n:Post)
RETURN properties(n) AS properties
ORDER BY n.id
"""

ALL_TIES: Final = """
MATCH (s:Person)-[r:INTERACTS_WITH]->(t:Person)
RETURN s.id AS source, t.id AS target, properties(r) AS properties
ORDER BY source, target
"""

ALL_EXPERTISE: Final = """
MATCH (p:Person)-[r:KNOWS_ABOUT|ASKS_ABOUT]->(t:Topic)
RETURN p.id AS person, t.id AS topic, type(r) AS type, properties(r) AS properties
ORDER BY person, topic, type
"""

ALL_SUGGESTIONS: Final = """
MATCH (p:Person)-[r:SUGGESTED]->(c:Person)
RETURN p.id AS person, c.id AS candidate, properties(r) AS properties
ORDER BY person, candidate
"""

PERSON: Final = """
MATCH (n:Person {id: $id})
RETURN properties(n) AS properties
"""

# One row if the person exists, none otherwise; each part is ordered and cut to $limit inside its own subquery.
NEIGHBOURHOOD: Final = """
MATCH (p:Person {id: $id})
OPTIONAL MATCH (team:Team {id: p.team})
CALL (p) {
  MATCH (p)-[r:INTERACTS_WITH]-(:Person)
  WITH DISTINCT r
  WITH r, startNode(r).id AS source, endNode(r).id AS target
  ORDER BY r.weight DESC, source, target
  LIMIT $limit
  RETURN collect({source: source, target: target, properties: properties(r)}) AS ties
}
CALL (p) {
  MATCH (p)-[r:KNOWS_ABOUT]->(t:Topic)
  WITH r, t ORDER BY r.score DESC, t.id LIMIT $limit
  RETURN collect({topic: t.id, properties: properties(r)}) AS knows
}
CALL (p) {
  MATCH (p)-[r:ASKS_ABOUT]->(t:Topic)
  WITH r, t ORDER BY r.score DESC, t.id LIMIT $limit
  RETURN collect({topic: t.id, properties: properties(r)}) AS asks
}
CALL (p) {
  MATCH (p)-[:AUTHORED]->(post:Post)
  WITH DISTINCT post
  ORDER BY post.created_at DESC, post.id
  LIMIT $limit
  RETURN collect(properties(post)) AS posts
}
RETURN properties(p) AS person, properties(team) AS team, ties, knows, asks, posts
"""

# One row if the topic exists (with a possibly empty list), none otherwise.
TOPIC_PEOPLE: Final = """
MATCH (t:Topic {id: $topic})
CALL (t) {
  MATCH (p:Person)-[r:KNOWS_ABOUT|ASKS_ABOUT]->(t)
  WHERE type(r) = $type
  WITH p, r ORDER BY r.score DESC, p.id LIMIT $limit
  RETURN collect({person: p.id, properties: properties(r)}) AS found
}
RETURN found
"""

# Each count reads Neo4j's count store, so this is constant-time whatever the size of the graph.
COUNTS: Final = """
MATCH (n:Person) RETURN 'node' AS kind, 'Person' AS name, count(n) AS count
UNION ALL MATCH (n:Team) RETURN 'node' AS kind, 'Team' AS name, count(n) AS count
UNION ALL MATCH (n:Topic) RETURN 'node' AS kind, 'Topic' AS name, count(n) AS count
UNION ALL MATCH (n:Post) RETURN 'node' AS kind, 'Post' AS name, count(n) AS count
UNION ALL MATCH ()-[r:MEMBER_OF]->() RETURN 'relationship' AS kind, 'MEMBER_OF' AS name, count(r) AS count
UNION ALL MATCH ()-[r:AUTHORED]->() RETURN 'relationship' AS kind, 'AUTHORED' AS name, count(r) AS count
UNION ALL MATCH ()-[r:MENTIONS]->() RETURN 'relationship' AS kind, 'MENTIONS' AS name, count(r) AS count
UNION ALL MATCH ()-[r:REPLY_TO]->() RETURN 'relationship' AS kind, 'REPLY_TO' AS name, count(r) AS count
UNION ALL MATCH ()-[r:ABOUT]->() RETURN 'relationship' AS kind, 'ABOUT' AS name, count(r) AS count
UNION ALL MATCH ()-[r:INTERACTS_WITH]->() RETURN 'relationship' AS kind, 'INTERACTS_WITH' AS name, count(r) AS count
UNION ALL MATCH ()-[r:KNOWS_ABOUT]->() RETURN 'relationship' AS kind, 'KNOWS_ABOUT' AS name, count(r) AS count
UNION ALL MATCH ()-[r:ASKS_ABOUT]->() RETURN 'relationship' AS kind, 'ASKS_ABOUT' AS name, count(r) AS count
UNION ALL MATCH ()-[r:SUGGESTED]->() RETURN 'relationship' AS kind, 'SUGGESTED' AS name, count(r) AS count
"""

# -- maintenance (tests and admin tools) -------------------------------------------------------------------------

SHOW_CONSTRAINTS: Final = """
SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties
RETURN name, type, labelsOrTypes, properties
"""

# Deletes one batch of nodes with their relationships; repeat until it reports zero. Schema is kept.
DELETE_SOME_NODES: Final = """
MATCH (n)
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted
"""

# What was proposed, newest first: for admins in the Neo4j Browser, and for the tests that check the write-back.
RECENT_SUGGESTIONS: Final = """
MATCH (p:Person)-[s:SUGGESTED]->(c:Person)
RETURN p.id AS person, c.id AS candidate, s.score AS score, s.reasons AS reasons, s.at AS at
ORDER BY s.at DESC, person, candidate
LIMIT $limit
"""

# Every node and relationship, whatever its label or type, with their element ids: a repeated write that changes
# nothing keeps both the totals and the ids (nothing was deleted and created again).
ELEMENT_IDS: Final = """
CALL () { MATCH (n) RETURN collect(elementId(n)) AS nodes }
CALL () { MATCH ()-[r]->() RETURN collect(elementId(r)) AS relationships }
RETURN nodes, relationships
"""
