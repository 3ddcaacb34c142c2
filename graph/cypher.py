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
    # Operational state (graph/controls.py): the constraints also make MERGE on these keys atomic across processes.
    "CREATE CONSTRAINT policy_scope IF NOT EXISTS FOR (n:Policy) REQUIRE n.scope IS UNIQUE",
    "CREATE CONSTRAINT token_id IF NOT EXISTS FOR (n:Token) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT digest_key IF NOT EXISTS FOR (n:Digest) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT suppressed_key IF NOT EXISTS FOR (n:Suppressed) REQUIRE n.key IS UNIQUE",
    # Team rosters, a person's recent posts, and "what was proposed lately" for admins.
    "CREATE INDEX person_team IF NOT EXISTS FOR (n:Person) ON (n.team)",
    "CREATE INDEX post_created_at IF NOT EXISTS FOR (n:Post) ON (n.created_at)",
    "CREATE INDEX suggested_at IF NOT EXISTS FOR ()-[r:SUGGESTED]-() ON (r.at)",
    # A period's digests, and what forgetting a person deletes besides their node.
    "CREATE INDEX digest_period IF NOT EXISTS FOR (n:Digest) ON (n.period)",
    "CREATE INDEX digest_person IF NOT EXISTS FOR (n:Digest) ON (n.person)",
    "CREATE INDEX token_person IF NOT EXISTS FOR (n:Token) ON (n.person)",
)
CONSTRAINT_NAMES: Final[tuple[str, ...]] = (
    "person_id",
    "team_id",
    "topic_id",
    "post_id",
    "policy_scope",
    "token_id",
    "digest_key",
    "suppressed_key",
)
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
  WHERE t.declared_only IS NULL
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
WHERE t.declared_only IS NULL
MERGE (p)-[r:KNOWS_ABOUT]->(t)
SET r = row.properties
"""

MERGE_ASKS_ABOUT: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person})
MATCH (t:Topic {id: row.topic})
WHERE t.declared_only IS NULL
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

# -- controls (graph/controls.py): the latest record per key wins -------------------------------------------------

# A record replaces the stored one unless it is older, so a late retry or a replayed delta cannot undo a newer word.
# Both ends must be stored, as for every relationship.
MERGE_FEEDBACK: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person})
MATCH (c:Person {id: row.candidate})
MERGE (p)-[r:FEEDBACK]->(c)
WITH r, row
WHERE coalesce(r.at <= row.properties.at, true)
SET r = row.properties
"""

# An "add" may name a topic nobody wrote about yet: it is created as declared only (invisible to topics(), counts
# and text matching) and becomes an ordinary topic when a Topic record for it is upserted (SET n = … drops the flag).
MERGE_CORRECTIONS: Final = """
UNWIND $rows AS row
MATCH (p:Person {id: row.person})
MERGE (t:Topic {id: row.topic})
ON CREATE SET t.label = row.topic, t.declared_only = true
MERGE (p)-[r:CORRECTS]->(t)
WITH r, row
WHERE coalesce(r.at <= row.properties.at, true)
SET r = row.properties
"""

# A policy without updated_at (or replacing one without it) always replaces: there is nothing to compare.
MERGE_POLICIES: Final = """
UNWIND $rows AS row
MERGE (n:Policy {scope: row.scope})
WITH n, row
WHERE coalesce(n.updated_at <= row.properties.updated_at, true)
SET n = row.properties
"""

# rows: {a, b, properties} with a < b (DoNotPair orders them), so one pair has one relationship.
MERGE_DO_NOT_PAIR: Final = """
UNWIND $rows AS row
MATCH (a:Person {id: row.a})
MATCH (b:Person {id: row.b})
MERGE (a)-[r:DO_NOT_PAIR]->(b)
WITH r, row
WHERE coalesce(r.at <= row.properties.at, true)
SET r = row.properties
"""

REMOVE_DO_NOT_PAIR: Final = """
MATCH (:Person {id: $a})-[r:DO_NOT_PAIR]-(:Person {id: $b})
DELETE r
RETURN count(r) AS removed
"""

ALL_FEEDBACK: Final = """
MATCH (p:Person)-[r:FEEDBACK]->(c:Person)
RETURN p.id AS person, c.id AS candidate, properties(r) AS properties
"""

ALL_CORRECTIONS: Final = """
MATCH (p:Person)-[r:CORRECTS]->(t:Topic)
RETURN p.id AS person, t.id AS topic, properties(r) AS properties
"""

ALL_POLICIES: Final = """
MATCH (n:Policy)
RETURN properties(n) AS properties
"""

ALL_DO_NOT_PAIR: Final = """
MATCH (a:Person)-[r:DO_NOT_PAIR]->(b:Person)
RETURN a.id AS a, b.id AS b, properties(r) AS properties
"""

# -- tokens -------------------------------------------------------------------------------------------------------

SAVE_TOKEN: Final = """
MERGE (n:Token {id: $id})
SET n = $properties
"""

TOKEN: Final = """
MATCH (n:Token {id: $id})
RETURN properties(n) AS properties
"""

ALL_TOKENS: Final = """
MATCH (n:Token)
RETURN properties(n) AS properties
"""

# -- digests ------------------------------------------------------------------------------------------------------

# MERGE under the digest_key uniqueness constraint takes the key's lock: of concurrent callers (in any process) one
# creates the node and the others, once it commits, match it. Each caller brings its own $claim, so the creator
# learns it won even when the driver retries the transaction after a commit whose acknowledgement was lost.
RESERVE_DIGEST: Final = """
MERGE (n:Digest {key: $key})
ON CREATE SET n.person = $person, n.period = $period, n.state = 'reserved', n.at = $at, n.claim = $claim
RETURN n.claim = $claim AS reserved
"""

MARK_DIGEST_SENT: Final = """
MATCH (n:Digest {key: $key})
SET n.state = 'sent', n.at = $at
RETURN count(n) AS marked
"""

ALL_DIGESTS: Final = """
MATCH (n:Digest)
RETURN properties(n) AS properties
"""

PERIOD_DIGESTS: Final = """
MATCH (n:Digest {period: $period})
RETURN properties(n) AS properties
"""

# -- forgetting a person: FORGET runs in order in one transaction, after PERSON_EXISTS found them ------------------

PERSON_EXISTS: Final = """
MATCH (n:Person {id: $id})
RETURN count(n) > 0 AS found
"""

# Posts are found by their properties, not by relationships: a post stored before its author has no AUTHORED yet.
FORGET: Final[tuple[str, ...]] = (
    # Posts they wrote alone go.
    """
MATCH (post:Post)
WHERE post.author = $id AND all(other IN coalesce(post.co_authors, []) WHERE other = $id)
DETACH DELETE post
""",
    # A post they wrote with others stays, with its first other co-author as its author.
    """
MATCH (post:Post {author: $id})
WITH post, [other IN post.co_authors WHERE other <> $id][0] AS heir
SET post.author = heir, post.co_authors = [other IN post.co_authors WHERE NOT other IN [$id, heir]]
WITH post, heir
MATCH (:Person {id: heir})-[r:AUTHORED]->(post)
SET r.role = 'author'
""",
    # Their id leaves the lists of the remaining posts. A post only they (and its authors) could see must not turn
    # public when its audience empties: its author stands in as the audience.
    """
MATCH (post:Post)
WHERE $id IN post.co_authors OR $id IN post.mentions OR $id IN post.audience
WITH post, [x IN post.audience WHERE x <> $id] AS audience, size(coalesce(post.audience, [])) > 0 AS restricted
SET post.co_authors = [x IN coalesce(post.co_authors, []) WHERE x <> $id],
    post.mentions = [x IN coalesce(post.mentions, []) WHERE x <> $id],
    post.audience = CASE WHEN restricted AND size(audience) = 0 THEN [post.author] ELSE audience END
""",
    # Nobody keeps a forgotten person as their manager: the id itself is data about them.
    """
MATCH (other:Person {manager: $id})
SET other.manager = null
""",
    # The node and every relationship: membership, authorship, mentions, ties, expertise, suggestions, feedback,
    # corrections and do-not-pair entries, in either direction.
    """
MATCH (n:Person {id: $id})
DETACH DELETE n
""",
    """
MATCH (n:Policy {scope: $scope})
DELETE n
""",
    """
MATCH (n:Token {person: $id})
DELETE n
""",
    """
MATCH (n:Digest {person: $id})
DELETE n
""",
    # A topic only their corrections named would keep what they declared.
    """
MATCH (t:Topic)
WHERE t.declared_only AND NOT EXISTS { (t)--() }
DELETE t
""",
    # $call marks the keys this very call added, for FORGOTTEN_BY_CALL.
    """
UNWIND $keys AS key
MERGE (n:Suppressed {key: key})
SET n.forgotten_by = $call
""",
)

# A retry of a forget whose commit was acknowledged too late finds the person gone: this tells it that it was itself
# (and so succeeded), not a second request for someone already forgotten (NotFound).
FORGOTTEN_BY_CALL: Final = """
MATCH (n:Suppressed)
WHERE n.key IN $keys AND n.forgotten_by = $call
RETURN count(n) > 0 AS done
"""

SUPPRESSED: Final = """
MATCH (n:Suppressed)
RETURN n.key AS key
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

# Topics only named by a correction ("add") are no vocabulary yet: texts are never matched on them.
ALL_TOPICS: Final = """
MATCH (n:Topic)
WHERE n.declared_only IS NULL
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
WHERE t.declared_only IS NULL
CALL (t) {
  MATCH (p:Person)-[r:KNOWS_ABOUT|ASKS_ABOUT]->(t)
  WHERE type(r) = $type
  WITH p, r ORDER BY r.score DESC, p.id LIMIT $limit
  RETURN collect({person: p.id, properties: properties(r)}) AS found
}
RETURN found
"""

# Each count but one reads Neo4j's count store, so it is constant-time whatever the size of the graph; topics are
# scanned to leave out those only a correction names (they are few: the vocabulary, not the posts).
COUNTS: Final = """
MATCH (n:Person) RETURN 'node' AS kind, 'Person' AS name, count(n) AS count
UNION ALL MATCH (n:Team) RETURN 'node' AS kind, 'Team' AS name, count(n) AS count
UNION ALL MATCH (n:Topic) WHERE n.declared_only IS NULL RETURN 'node' AS kind, 'Topic' AS name, count(n) AS count
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
UNION ALL MATCH ()-[r:FEEDBACK]->() RETURN 'relationship' AS kind, 'FEEDBACK' AS name, count(r) AS count
UNION ALL MATCH ()-[r:CORRECTS]->() RETURN 'relationship' AS kind, 'CORRECTS' AS name, count(r) AS count
UNION ALL MATCH ()-[r:DO_NOT_PAIR]->() RETURN 'relationship' AS kind, 'DO_NOT_PAIR' AS name, count(r) AS count
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

# Every property of every node and relationship, whatever its label or type: what a check that a forgotten person
# left no trace reads.
ALL_PROPERTIES: Final = """
CALL () { MATCH (n) RETURN collect(properties(n)) AS nodes }
CALL () { MATCH ()-[r]->() RETURN collect(properties(r)) AS relationships }
RETURN nodes + relationships AS properties
"""

# Every node and relationship, whatever its label or type, with their element ids: a repeated write that changes
# nothing keeps both the totals and the ids (nothing was deleted and created again).
ELEMENT_IDS: Final = """
CALL () { MATCH (n) RETURN collect(elementId(n)) AS nodes }
CALL () { MATCH ()-[r]->() RETURN collect(elementId(r)) AS relationships }
RETURN nodes, relationships
"""
