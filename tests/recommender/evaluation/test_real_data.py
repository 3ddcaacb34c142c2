"""The harness on the two real data sets: structural truths checked against independent counts, not target values.

The data live outside the repository, in ``../shared/data`` (or ``WEAKTIE_SHARED_DATA``); the tests skip without it.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from recommender.evaluation.answerer_eval import ALREADY_DONE, AnswererOptions, evaluate_answerers, load_questions
from recommender.evaluation.baselines import ANSWERER_BASELINES, LINK_BASELINES
from recommender.evaluation.datasets import load_interactions
from recommender.evaluation.people_eval import FIXED, PRODUCT, PeopleOptions, evaluate_people
from recommender.evaluation.report import OURS
from tests.shared_data import DATA as SHARED

EMAIL = SHARED / "snap-email-eu-core"
SE = SHARED / "stackexchange-quantumcomputing-2018"
pytestmark = pytest.mark.slow


def _in_range(report) -> None:
    for table in report.tables:
        for result in table.results.values():
            for name, estimate in result.metrics.items():
                if name not in ("mean_mutual", "novelty"):
                    assert 0.0 <= estimate.value <= 1.0, (table.key, name)


@pytest.mark.skipif(not EMAIL.is_dir(), reason=f"no {EMAIL}")
def test_email_eu_core_people_task() -> None:
    edges = EMAIL / "email-Eu-core-temporal.txt"
    labels = EMAIL / "email-Eu-core-temporal-department-labels.DERIVED.txt"
    report = evaluate_people(load_interactions(edges, labels=labels), options=PeopleOptions(resamples=100))

    # Independent count, straight from the file: first-time pairs after a cut at 70% of the events.
    rows = [tuple(int(x) for x in line.split()) for line in edges.read_text().splitlines() if line.strip()]
    rows = [(u, v, t) for u, v, t in rows if u != v]
    times = sorted(t for _, _, t in rows)
    cut = times[math.ceil(0.7 * len(times))]
    before = {frozenset((u, v)) for u, v, t in rows if t < cut}
    active = {x for pair in before for x in pair}
    new = {frozenset((u, v)) for u, v, t in rows if t >= cut and u in active and v in active} - before
    team = {line.split()[0]: line.split()[1] for line in labels.read_text().splitlines() if not line.startswith("#")}
    cross = {pair for pair in new if len({team[str(x)] for x in pair}) == 2}
    assert report.table("all").test_size["new_ties"] == len(new) > 0
    assert report.table("all").test_size["people_with_new_ties"] == len({x for pair in new for x in pair})
    assert report.table("cross_team").test_size["new_ties"] == len(cross) > 0
    assert set(report.table("cross_team").results) == {OURS, FIXED, *LINK_BASELINES}
    assert set(report.table("all").results) == {OURS, PRODUCT, *LINK_BASELINES}
    _in_range(report)


@pytest.mark.skipif(not SE.is_dir(), reason=f"no {SE}")
def test_stackexchange_answerers_task() -> None:
    options = AnswererOptions(spacy_model="none", refit_every=25, resamples=100)
    report = evaluate_answerers(load_questions(SE), options=options)

    # Independent count from the XML: questions after a cut at 70% of the questions, answered by another known user.
    users = {row.get("Id") for row in ET.parse(SE / "Users.xml").getroot()} - {"-1"}
    posts = list(ET.parse(SE / "Posts.xml").getroot())
    questions = [p for p in posts if p.get("PostTypeId") == "1" and p.get("OwnerUserId") not in (None, "-1")]
    owner = {p.get("Id"): p.get("OwnerUserId") for p in posts if p.get("PostTypeId") == "2"}
    answerers: dict[str, set[str]] = {}
    for p in posts:
        if p.get("PostTypeId") == "2" and p.get("OwnerUserId") not in (None, "-1"):
            answerers.setdefault(p.get("ParentId"), set()).add(p.get("OwnerUserId"))
    when = sorted(datetime.fromisoformat(q.get("CreationDate")) for q in questions)
    cut = when[math.ceil(0.7 * len(when))]
    after = [q for q in questions if datetime.fromisoformat(q.get("CreationDate")) >= cut]
    accepted = [
        q
        for q in after
        if owner.get(q.get("AcceptedAnswerId")) in users
        and owner.get(q.get("AcceptedAnswerId")) != q.get("OwnerUserId")
    ]
    anyone = [q for q in after if (answerers.get(q.get("Id"), set()) - {q.get("OwnerUserId")}) & users]
    assert report.table("accepted").test_size["questions"] == len(accepted) > 0
    assert report.table("any").test_size["questions"] == len(anyone) > 0
    for key in ("accepted", "any"):
        assert set(report.table(key).results) == {OURS, ALREADY_DONE, *ANSWERER_BASELINES}
    _in_range(report)
