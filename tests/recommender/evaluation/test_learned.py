"""The learned scores the evaluation showed to help: pair weights for new ties, and who-can-answer weights."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.answerers import ANSWER_FEATURES, WhoCanAnswer
from recommender.features import build_features, team_rarity
from recommender.people import PeopleToMeet
from recommender.tie_model import PAIR_FEATURES, TieModel, pair_block
from tests.recommender.builders import day, introductions_org, person, post, projection, terms, tie


def closure_org(seed: int = 0, *, until: float = 1e9, after: list | None = None):
    """Eighty people in four teams: random ties over 100 days, then 150 days in which the pairs with the most mutual
    colleagues tend to meet (chance grows with the cube of their mutual colleagues).

    Ties formed after day ``until`` are left out and appended to ``after`` as index pairs.
    """
    rng = np.random.default_rng(seed)
    n = 80
    people = [person(f"u{i:02d}", f"t{i % 4}") for i in range(n)]
    adjacency = np.zeros((n, n))
    edges: dict[tuple[int, int], float] = {}
    while len(edges) < 240:
        a, b = sorted(rng.choice(n, 2, replace=False).tolist())
        edges.setdefault((a, b), float(rng.uniform(0, 100)))
        adjacency[a, b] = adjacency[b, a] = 1
    for t in np.linspace(100, 250, 240):
        mutual = adjacency @ adjacency
        chance = np.triu(mutual**3 * (adjacency == 0), k=1)
        flat = rng.choice(n * n, p=(chance / chance.sum()).ravel())
        a, b = divmod(int(flat), n)
        edges[(a, b)] = float(t)
        adjacency[a, b] = adjacency[b, a] = 1
    ties = [tie(people[a].id, people[b].id, at=day(t)) for (a, b), t in edges.items() if t <= until]
    if after is not None:
        after.extend(pair for pair, t in edges.items() if t > until)
    return projection(people, ties=ties)


def test_tie_model_ranks_the_ties_formed_next_above_other_candidates() -> None:
    future: list[tuple[int, int]] = []
    org = closure_org(until=210.0, after=future)
    features = build_features(org)
    rarity = team_rarity(features)
    model = TieModel().fit(features, rarity)
    assert model.fitted_ and model.n_positives_ >= 50
    assert set(model.weights) == set(PAIR_FEATURES)
    block = pair_block(features, rarity, np.arange(features.n_people), band_peak=3.0, half_life_days=90.0)
    new = {(a, b) for a, b in future} | {(b, a) for a, b in future}
    label = np.array([(r, c) in new for r, c in zip(block.rows.tolist(), block.cols.tolist(), strict=True)])
    scores = model.score(block)
    assert label.sum() >= 10
    # Area under the ROC curve: how often a future tie outscores a candidate that did not form.
    auc = (scores[label][:, None] > scores[~label][None, :]).mean()
    assert auc > 0.7


def test_team_link_features_count_whom_the_candidate_knows_in_the_persons_team() -> None:
    org = closure_org()
    features = build_features(org)
    block = pair_block(features, team_rarity(features), np.arange(10), band_peak=3.0, half_life_days=90.0)
    links = block.values[:, PAIR_FEATURES.index("team_links_candidate")]
    share = block.values[:, PAIR_FEATURES.index("team_share_candidate")]
    colleagues = features.colleagues.toarray()
    for i, (r, c) in enumerate(zip(block.rows.tolist(), block.cols.tolist(), strict=True)):
        team = features.team_of == features.team_of[r]
        assert links[i] == pytest.approx(np.log1p(colleagues[c, team].sum()))
        assert share[i] == pytest.approx(colleagues[c, team].sum() / team.sum())


def test_tie_model_reports_the_typical_mutual_colleagues_of_new_ties() -> None:
    features = build_features(closure_org())
    model = TieModel().fit(features, team_rarity(features))
    # In this organisation ties form in proportion to the cube of mutual colleagues, so they have several.
    assert model.typical_mutual_ >= 2


def test_pair_block_lists_only_pairs_with_a_reason() -> None:
    org = closure_org()
    features = build_features(org)
    block = pair_block(features, team_rarity(features), np.arange(5), band_peak=3.0, half_life_days=90.0)
    mutual = (features.colleagues @ features.colleagues).toarray()
    assert len(block.rows) > 0 and block.values.shape == (len(block.rows), len(PAIR_FEATURES))
    assert all(mutual[r, c] > 0 and r != c for r, c in zip(block.rows, block.cols, strict=True))
    assert np.allclose(block.values[:, 0], np.log1p(mutual[block.rows, block.cols]))


def test_learned_people_to_meet_keeps_its_contract() -> None:
    org = closure_org()
    model = PeopleToMeet(k=3, learn_weights=True).fit(org)
    assert model.tie_model_ is not None
    shown = 0
    for someone in org.people:
        for suggestion in model.recommend(someone.id):
            shown += 1
            assert suggestion.candidate.team != someone.team
            assert suggestion.score == pytest.approx(model.score_parts(someone.id, suggestion.candidate.id).total)
            assert any(reason.kind == "mutual_colleagues" for reason in suggestion.reasons)
    assert shown > 0


def test_too_little_history_falls_back_to_the_fixed_weights() -> None:
    org = introductions_org()
    learned = PeopleToMeet(learn_weights=True).fit(org)
    fixed = PeopleToMeet().fit(org)
    assert learned.tie_model_ is None
    assert learned.allocation_ == fixed.allocation_


def qa_org(questions: int):
    """Questions alternate between kubernetes and postgres; each subject's expert answers, a generalist replies
    to every third question with a generic remark."""
    people = [person(p, team) for p, team in (("ann", "a"), ("kim", "b"), ("pat", "c"), ("gus", "d"))]
    posts = []
    for i in range(questions):
        k8s = i % 2 == 0
        text = "how to restart kubernetes pod?" if k8s else "how to vacuum postgres table?"
        posts.append(post(f"q{i}", "ann", day(i), text))
        answer = "restart the kubernetes pod with kubectl" if k8s else "vacuum the postgres table nightly"
        posts.append(post(f"a{i}", "kim" if k8s else "pat", day(i + 0.5), answer, reply_to=f"q{i}"))
        if i % 3 == 0:
            posts.append(post(f"g{i}", "gus", day(i + 0.2), "thanks, interesting", reply_to=f"q{i}"))
    return projection(people, posts=posts)


@pytest.mark.parametrize("questions", [12, 120])
def test_who_can_answer_puts_the_subject_expert_first(questions: int) -> None:
    model = WhoCanAnswer(analyzer=terms).fit(qa_org(questions))
    assert (model.learned_ is not None) == (questions >= 60)
    assert set(model.weights) == set(ANSWER_FEATURES)
    assert model.query("kubernetes pod keeps crashing", asker="ann", k=2)[0].person.id == "kim"
    assert model.query("postgres table bloat", asker="ann", k=2)[0].person.id == "pat"
    assert all(m.person.id != "ann" for m in model.query("kubernetes", asker="ann", k=4))
