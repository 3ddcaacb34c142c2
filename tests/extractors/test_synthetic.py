"""The synthetic organisation: deterministic, the requested size, internally consistent, and its planted cases hold."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from extractors.canonical import read_canonical
from extractors.synthetic import SyntheticError, SyntheticOrg, generate_organisation, write_canonical
from graph.errors import WeaktieError

END = datetime(2026, 11, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
MENTION = re.compile(r'@"([^"]+)"|@([A-Za-z0-9][A-Za-z0-9._-]*)')
WORD = re.compile(r"[a-z0-9]+")
STOP = frozenset(
    ("the", "and", "for", "with", "our", "that", "this", "from", "are", "was", "but", "not", "how", "can", "when",
     "what", "which", "into", "have", "has", "its", "you", "your", "any", "all", "out", "than", "then", "they",
     "their", "there", "here", "about", "just", "also", "only", "more", "most", "very", "each", "every")
)  # fmt: skip


@pytest.fixture(scope="module")
def org() -> SyntheticOrg:
    return generate_organisation(seed=7)


@pytest.fixture(scope="module")
def small() -> SyntheticOrg:
    return generate_organisation(people=90, teams=6, posts=900, seed=11, days=200)


# --- helpers: a reading of the data that does not use the generator's internals ----------------------------------


def _iso(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0), text
    return at


def _resolver(org: SyntheticOrg) -> dict[str, str]:
    """Mention text (handle or unique full name) to person id."""
    names = Counter(p["name"] for p in org.people)
    lookup = {h: p["id"] for p in org.people for h in p["handles"]}
    lookup.update({p["name"]: p["id"] for p in org.people if names[p["name"]] == 1})
    return lookup


def _mentioned(post: dict, lookup: dict[str, str]) -> set[str]:
    found = set(post.get("mentions", ()))
    for name, handle in MENTION.findall(post["text"]):
        found.add(lookup[name or handle.rstrip(".")])
    return found


def _edges(org: SyntheticOrg) -> set[frozenset[str]]:
    """Undirected interactions: co-authorship, mentions and replies (to every author of the parent)."""
    lookup = _resolver(org)
    by_id = {p["id"]: p for p in org.posts}
    edges: set[frozenset[str]] = set()
    for post in org.posts:
        authors = [post["author"], *post["co_authors"]]
        others = set(authors) | _mentioned(post, lookup)
        if post["reply_to"]:
            parent = by_id[post["reply_to"]]
            others |= {parent["author"], *parent["co_authors"]}
        edges.update(frozenset((a, b)) for a in authors for b in others if a != b)
    return edges


def _neighbours(edges: set[frozenset[str]]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        a, b = tuple(edge)
        result[a].add(b)
        result[b].add(a)
    return result


def _bag(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if len(w) > 2 and w not in STOP}


# --- determinism ---------------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_organisation() -> None:
    first = generate_organisation(people=60, teams=5, posts=400, seed=3)
    second = generate_organisation(people=60, teams=5, posts=400, seed=3)
    assert first == second


def test_different_seeds_give_different_organisations() -> None:
    first = generate_organisation(people=60, teams=5, posts=400, seed=3)
    second = generate_organisation(people=60, teams=5, posts=400, seed=4)
    assert [p["name"] for p in first.people] != [p["name"] for p in second.people]
    assert [p["text"] for p in first.posts] != [p["text"] for p in second.posts]


def test_output_does_not_depend_on_string_hashing() -> None:
    # Iterating a set of strings would make the output differ between processes; this catches it.
    script = (
        "import hashlib, json; from extractors.synthetic import generate_organisation;"
        "o = generate_organisation(people=60, teams=5, posts=400, seed=3);"
        "print(hashlib.sha256(json.dumps([o.people, o.posts, [repr(m) for m in o.planted]])"
        ".encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    org = generate_organisation(people=60, teams=5, posts=400, seed=3)
    here = json.dumps([org.people, org.posts, [repr(m) for m in org.planted]]).encode()
    digests.add(hashlib.sha256(here).hexdigest())
    assert len(digests) == 1


# --- sizes and shape -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "teams", "posts"),
    [(36, 12, 0), (36, 12, 40), (90, 6, 900), (400, 20, 2500), (45, 2, 300)],
)
def test_requested_sizes_are_honoured(people: int, teams: int, posts: int) -> None:
    org = generate_organisation(people=people, teams=teams, posts=posts, seed=5)
    assert len(org.people) == people
    assert len(org.posts) == posts
    team_sizes = Counter(p["team"] for p in org.people)
    assert len(team_sizes) == teams
    assert min(team_sizes.values()) >= 3
    assert len({p["id"] for p in org.people}) == people
    assert len({p["id"] for p in org.posts}) == posts


def test_default_organisation_reads_like_a_company(org: SyntheticOrg) -> None:
    assert len(org.people) == 300 and len(org.posts) == 3000
    teams = Counter(p["team"] for p in org.people)
    departments = {p["department"] for p in org.people}
    assert len(teams) == 12 and 3 <= len(departments) <= 6
    assert {"platform", "data-science", "security", "legal", "marketing"} <= set(teams)
    spaces = Counter(p["space"] for p in org.posts)
    assert {"dare-to-ask", "working-out-loud"} <= set(spaces)
    assert any(p["co_authors"] for p in org.posts) and any(p["reply_to"] for p in org.posts)
    assert any(len(p["co_authors"]) == 2 for p in org.posts)
    assert any(p["text"].startswith("TIL") for p in org.posts)
    assert any(p["text"].startswith("Has anyone") for p in org.posts)
    assert 1 <= sum(1 for p in org.people if p.get("opted_out")) <= 2
    restricted = [p for p in org.posts if p.get("audience")]
    assert 0 < len(restricted) < 0.1 * len(org.posts)


def test_text_lengths_are_realistic(org: SyntheticOrg) -> None:
    words = [len(p["text"].split()) for p in org.posts]
    assert 25 <= statistics.median(words) <= 60
    assert sum(20 <= w <= 80 for w in words) >= 0.75 * len(words)
    assert max(words) <= 120


def test_timestamps_fall_in_the_window_and_after_the_author_started(small: SyntheticOrg) -> None:
    started = {p["id"]: _iso(p["started_at"]) for p in small.people}
    stamps = [_iso(p["created_at"]) for p in small.posts]
    assert min(stamps) >= END - timedelta(days=200)
    assert max(stamps) <= END
    assert stamps == sorted(stamps)  # written oldest first
    assert all(_iso(p["created_at"]) >= started[p["author"]] for p in small.posts)
    weekdays = sum(at.weekday() < 5 for at in stamps)
    assert weekdays >= 0.85 * len(stamps)


def test_topics_come_in_several_phrasings_shared_across_teams(org: SyntheticOrg) -> None:
    team = {p["id"]: p["team"] for p in org.people}

    def teams_writing(pattern: str) -> tuple[set[str], set[str]]:
        found = [(team[p["author"]], m.group(0)) for p in org.posts for m in re.finditer(pattern, p["text"])]
        return {t for t, _ in found}, {form for _, form in found}

    kube_teams, kube_forms = teams_writing(r"(?i)\bk8s\b|\bkubernetes\b")
    assert {"platform", "data-science"} <= kube_teams
    assert len(kube_forms) >= 2
    gdpr_teams, _ = teams_writing(r"(?i)\bgdpr\b")
    assert {"legal", "security", "marketing"} <= gdpr_teams
    onboarding_teams, _ = teams_writing(r"(?i)\bonboarding\b")
    assert {"people", "customer-support"} <= onboarding_teams


# --- references ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["org", "small"])
def test_every_reference_points_to_an_existing_record(fixture: str, request: pytest.FixtureRequest) -> None:
    org: SyntheticOrg = request.getfixturevalue(fixture)
    people = {p["id"]: p for p in org.people}
    teams = {p["team"] for p in org.people}
    posts = {p["id"]: p for p in org.posts}
    lookup = _resolver(org)
    for person in org.people:
        assert person["manager"] is None or person["manager"] in people
    for post in org.posts:
        assert post["author"] in people
        assert all(c in people and c != post["author"] for c in post["co_authors"])
        assert all(m in people for m in post.get("mentions", ()))
        for name, handle in MENTION.findall(post["text"]):
            assert (name or handle.rstrip(".")) in lookup, post["text"]
        for entry in post.get("audience", ()):
            assert entry in people or (entry.startswith("team:") and entry[5:] in teams)
        if post["reply_to"] is not None:
            parent = posts[post["reply_to"]]
            assert _iso(parent["created_at"]) < _iso(post["created_at"])
            assert post.get("audience") == parent.get("audience")


def test_managers_form_a_tree_within_teams_and_departments(org: SyntheticOrg) -> None:
    people = {p["id"]: p for p in org.people}
    heads = [p for p in org.people if p["manager"] is None]
    assert len(heads) == len({p["department"] for p in org.people})
    for person in org.people:
        seen = {person["id"]}
        boss = person["manager"]
        while boss is not None:
            assert boss not in seen, "management chain has a cycle"
            seen.add(boss)
            boss = people[boss]["manager"]
        if person["manager"] is not None:
            manager = people[person["manager"]]
            assert manager["team"] == person["team"] or manager["department"] == person["department"]
    titles = " ".join(p["title"] for p in org.people)
    assert "Junior" in titles and "Senior" in titles and "Lead" in titles


def test_restricted_replies_come_from_people_who_may_see_the_post(org: SyntheticOrg) -> None:
    team = {p["id"]: p["team"] for p in org.people}
    for post in org.posts:
        audience = post.get("audience")
        if not audience:
            continue
        for author in (post["author"], *post["co_authors"]):
            assert author in audience or f"team:{team[author]}" in audience


def test_handles_and_emails_are_unique(org: SyntheticOrg) -> None:
    handles = [h for p in org.people for h in p["handles"]]
    assert len(handles) == len(set(handles))
    assert len({p["email"] for p in org.people}) == len(org.people)
    assert all(1 <= len(p["handles"]) <= 2 for p in org.people)


# --- planted cases -------------------------------------------------------------------------------------------------


def test_planted_cases_of_both_kinds_exist(org: SyntheticOrg) -> None:
    kinds = Counter(m.kind for m in org.planted)
    assert kinds["already_done"] >= 3 and kinds["introduction"] >= 3
    stars = [m.person for m in org.planted] + [m.expert for m in org.planted]
    assert len(stars) == len(set(stars)), "each planted person plays one part only"
    opted_out = {p["id"] for p in org.people if p.get("opted_out")}
    assert not opted_out & set(stars)


@pytest.mark.parametrize("fixture", ["org", "small"])
def test_planted_pairs_are_in_different_teams_and_never_interact(fixture: str, request: pytest.FixtureRequest) -> None:
    org: SyntheticOrg = request.getfixturevalue(fixture)
    assert org.planted
    team = {p["id"]: p["team"] for p in org.people}
    edges = _edges(org)
    for match in org.planted:
        assert team[match.person] != team[match.expert]
        assert frozenset((match.person, match.expert)) not in edges, match


@pytest.mark.parametrize("fixture", ["org", "small"])
def test_already_done_evidence_is_public_by_the_expert_and_months_older(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    org: SyntheticOrg = request.getfixturevalue(fixture)
    posts = {p["id"]: p for p in org.posts}
    team = {p["id"]: p["team"] for p in org.people}
    cases = [m for m in org.planted if m.kind == "already_done"]
    assert cases
    for match in cases:
        asked = [p for p in org.posts if p["author"] == match.person and p["text"] == match.query]
        assert len(asked) == 1 and match.query.startswith("Working on")
        assert asked[0]["space"] == team[match.person] and "audience" not in asked[0]
        for post_id in match.post_ids:
            evidence = posts[post_id]
            assert evidence["author"] == match.expert and "audience" not in evidence
            assert _iso(evidence["created_at"]) <= _iso(asked[0]["created_at"]) - timedelta(days=30)
        assert len(posts[match.post_ids[0]]["text"].split()) >= 50, "the first evidence post is a detailed write-up"


def test_already_done_evidence_is_the_best_word_match_for_the_query(org: SyntheticOrg) -> None:
    # A plain TF-IDF-style word match must already find the expert: the planted texts share specific vocabulary.
    bags = [(p, _bag(p["text"] + " " + (p["title"] or ""))) for p in org.posts]
    frequency = Counter(word for _, bag in bags for word in bag)
    idf = {word: math.log(len(bags) / count) for word, count in frequency.items()}
    for match in (m for m in org.planted if m.kind == "already_done"):
        query = _bag(match.query)
        scored = [(sum(idf[w] for w in query & bag) / math.sqrt(len(bag) or 1), post) for post, bag in bags]
        ranked = sorted((pair for pair in scored if pair[1]["author"] != match.person), key=lambda pair: -pair[0])
        assert ranked[0][1]["id"] in match.post_ids, (match.topic, ranked[0][1]["text"])


@pytest.mark.parametrize("fixture", ["org", "small"])
def test_introductions_share_specific_topics_and_a_few_mutual_colleagues(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    org: SyntheticOrg = request.getfixturevalue(fixture)
    neighbours = _neighbours(_edges(org))
    posts = {p["id"]: p for p in org.posts}
    cases = [m for m in org.planted if m.kind == "introduction"]
    assert cases
    for match in cases:
        mutual = neighbours[match.person] & neighbours[match.expert]
        assert 2 <= len(mutual) <= 3, (match, mutual)
        label = match.topic.lower()
        writers = {p["author"] for p in org.posts if label in p["text"].lower()}
        assert writers == {match.person, match.expert}, (label, writers)
        assert len(match.post_ids) >= 2 and match.query == ""
        assert all(posts[i]["author"] == match.expert and "audience" not in posts[i] for i in match.post_ids)


# --- files ---------------------------------------------------------------------------------------------------------


def test_written_files_are_json_lines_with_the_documented_fields(small: SyntheticOrg, tmp_path: Path) -> None:
    write_canonical(small, tmp_path / "out")
    people = [json.loads(line) for line in (tmp_path / "out" / "people.jsonl").read_text("utf-8").splitlines()]
    posts = [json.loads(line) for line in (tmp_path / "out" / "posts.jsonl").read_text("utf-8").splitlines()]
    assert people == small.people and posts == small.posts
    person_fields = {"id", "name", "email", "handles", "team", "department", "title", "location", "manager",
                     "started_at"}  # fmt: skip
    for person in people:
        assert person_fields <= set(person) <= person_fields | {"opted_out"}
        assert isinstance(person["handles"], list) and "@" in person["email"]
        assert all(isinstance(person[f], str) and person[f] for f in ("id", "name", "team", "department", "title"))
        _iso(person["started_at"])
    post_fields = {"id", "author", "co_authors", "created_at", "space", "title", "text", "reply_to", "url"}
    for post in posts:
        assert post_fields <= set(post) <= post_fields | {"audience", "mentions"}
        assert isinstance(post["co_authors"], list) and post["text"].strip()
        assert post["url"] == f"https://intranet.example/posts/{post['id']}"
        assert post.get("audience", ["x"]) and post.get("mentions", ["x"])  # present means non-empty
        _iso(post["created_at"])


def test_canonical_reader_accepts_the_files_without_rejects(small: SyntheticOrg, tmp_path: Path) -> None:
    write_canonical(small, tmp_path)
    batch = read_canonical(tmp_path)
    assert batch.rejects == ()
    assert len(batch.people) == len(small.people) and len(batch.posts) == len(small.posts)
    restricted = {p["id"] for p in small.posts if p.get("audience")}
    assert {p.id for p in batch.posts if p.audience} == restricted
    assert sum(p.opted_out for p in batch.people) == sum(bool(p.get("opted_out")) for p in small.people)


# --- arguments -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"teams": 1},
        {"people": 10, "teams": 4},
        {"posts": -1},
        {"days": 7},
        {"end": datetime(2026, 11, 1)},  # naive on purpose
    ],
)
def test_impossible_requests_raise_a_clear_error(kwargs: dict) -> None:
    with pytest.raises(SyntheticError) as info:
        generate_organisation(**kwargs)
    assert isinstance(info.value, WeaktieError) and "expected" in str(info.value)
