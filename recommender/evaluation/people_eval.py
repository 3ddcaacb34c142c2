"""People you should meet, evaluated on a temporal split of an interaction graph.

Everyone active before the cut gets ``k`` suggestions from each method, fitted on the past only; the truth is the
pairs that interact for the first time after the cut. Two views: cross-team (every method may only suggest people
in other teams; truth = new cross-team ties) and all (any team; truth = every new tie).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import scipy.sparse as sp

from graph.delta import Person, Team, Tie
from graph.store import Projection
from recommender.evaluation.acceptance import feedback_acceptance
from recommender.evaluation.baselines import LINK_BASELINES, link_scores, top_k, undirected_adjacency
from recommender.evaluation.datasets import Interactions
from recommender.evaluation.errors import EvaluationError
from recommender.evaluation.metrics import (
    DEFAULT_RESAMPLES,
    Estimate,
    bootstrap_mean,
    bootstrap_statistic,
    gini,
    ndcg_at_k,
    paired_difference,
    recall_at_k,
    reciprocal_rank,
)
from recommender.evaluation.report import OURS, Comparison, EvaluationReport, MethodResult, Table, Target
from recommender.evaluation.splits import DEFAULT_TRAIN_SHARE, Cut, cut_at, cut_by_share
from recommender.people import PeopleToMeet

FIXED = "weaktie_fixed_weights"
"""weaktie with the fixed score weights (``learn_weights=False``, the product default today), cross-team view."""
PRODUCT = "weaktie_cross_team_only"
"""In the all-ties view: the product as shipped (never a teammate), next to weaktie allowed to suggest teammates."""
WEAK_BAND = (1, 10)
"""Mutual colleagues of a moderately weak tie (the inverted U of the LinkedIn experiment peaks near ten)."""
MUTUAL_BINS = ((0, 0), (1, 2), (3, 5), (6, 10), (11, None))
RANKING = ("recall@10", "ndcg@10", "mrr")
BEYOND = ("cross_team_share", "weak_band_share", "mean_mutual", "coverage", "gini_exposure", "novelty")
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class PeopleOptions:
    train_share: float = DEFAULT_TRAIN_SHARE
    cut: datetime | None = None
    """Cut at this instant instead of by share of events."""
    k: int = 10
    capacity: int | None = None
    """Per-candidate capacity of weaktie; ``None`` keeps the product default: at least ``max(3, 2k)``, more for
    people who interact with many others (``PeopleToMeet.activity_slack``)."""
    half_life_days: float = 90.0
    baselines: tuple[str, ...] = LINK_BASELINES
    random_state: int = 0
    resamples: int = DEFAULT_RESAMPLES


@dataclass(frozen=True, slots=True)
class _Setup:
    data: Interactions
    cut: Cut
    adjacency: sp.csr_matrix
    active: np.ndarray
    team_of: np.ndarray
    """Team position per person, -1 when unknown."""
    new_ties: Mapping[int, frozenset[int]]
    dropped_new_people: int


def evaluate_people(
    data: Interactions, *, options: PeopleOptions = PeopleOptions(), progress: Progress | None = None
) -> EvaluationReport:
    """Fit every method on the events before the cut and score its suggestions on the new ties after it."""
    say = progress or (lambda _message: None)
    setup = _setup(data, options)
    say(f"cut: {setup.cut.train_events:,} events before, {setup.cut.test_events:,} after")
    projection = training_projection(data, setup.cut.at, half_life_days=options.half_life_days)
    views = ("cross_team", "all") if data.has_teams else ("all",)
    tables = []
    for view in views:
        cross = view == "cross_team"
        served = np.flatnonzero(setup.active & ((setup.team_of >= 0) if cross else True))
        allowed = _allowed_matrix(setup, cross_team=cross)
        rankings: dict[str, dict[int, list[int]]] = {}
        say(f"{view}: weaktie")
        rankings[OURS] = _weaktie(projection, data, served, options, as_of=setup.cut.instant, exclude_teammates=cross)
        if cross:
            rankings[FIXED] = _weaktie(
                projection, data, served, options, as_of=setup.cut.instant, exclude_teammates=True, learn=False
            )
        if not cross and data.has_teams:
            rankings[PRODUCT] = _weaktie(
                projection, data, served, options, as_of=setup.cut.instant, exclude_teammates=True
            )
        for method in options.baselines:
            say(f"{view}: {method}")
            rankings[method] = _baseline(setup, served, allowed, method, options)
        truth = {u: _truth_for(setup, u, cross_team=cross) for u in served}
        tables.append(_table(setup, view, served, rankings, truth, options))
    # Interaction data sets carry no feedback, so this says so; a deployment's projection would hold some.
    acceptance = feedback_acceptance(projection)
    return EvaluationReport(
        task="people",
        dataset=data.name,
        cut=setup.cut,
        tables=tuple(tables),
        targets=people_targets(tables),
        notes=(*_notes(setup, options), acceptance.summary()),
        acceptance=acceptance,
        settings={
            "k": options.k,
            "capacity": options.capacity if options.capacity is not None else _product_capacity(options),
            "half_life_days": options.half_life_days,
            "random_state": options.random_state,
            "resamples": options.resamples,
        },
    )


def training_projection(data: Interactions, cut: float, *, half_life_days: float) -> Projection:
    """The graph as weaktie would hold it at the cut: people active before it, their teams, and one decayed
    :class:`~graph.delta.Tie` per directed pair (no posts, no topics: structure only)."""
    train = data.at < cut
    source, target, at = data.source[train], data.target[train], data.at[train]
    n = data.n_people
    pair = source * n + target
    order = np.lexsort((at, pair))
    pair, at = pair[order], at[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    ends = np.r_[starts[1:], len(pair)]
    last = at[ends - 1]
    decay = np.power(0.5, (np.repeat(last, ends - starts) - at) / (half_life_days * 86_400.0))
    weights = np.add.reduceat(decay, starts) if len(starts) else np.zeros(0)
    ties = tuple(
        Tie(
            source=data.people[int(p // n)],
            target=data.people[int(p % n)],
            weight=float(w),
            count=int(c),
            last_at=datetime.fromtimestamp(float(t), UTC),
        )
        for p, w, c, t in zip(pair[starts], weights, ends - starts, last, strict=True)
    )
    active = np.zeros(n, dtype=bool)
    active[source] = True
    active[target] = True
    people = tuple(Person(id=data.people[i], name=data.people[i], team=data.teams[i]) for i in np.flatnonzero(active))
    teams = tuple(Team(id=team, name=team) for team in sorted({p.team for p in people if p.team is not None}))
    return Projection(people=people, teams=teams, topics=(), posts=(), ties=ties, expertise=(), suggestions=())


def _setup(data: Interactions, options: PeopleOptions) -> _Setup:
    if options.k < 1:
        raise EvaluationError(f"k must be at least 1, got {options.k}")
    if len(data.at) < 2:
        raise EvaluationError(f"{data.name} holds {len(data.at)} interactions; the evaluation needs a history")
    cut = cut_at(data.at, options.cut) if options.cut is not None else cut_by_share(data.at, options.train_share)
    train = data.at < cut.at
    adjacency = undirected_adjacency(data.n_people, data.source[train], data.target[train])
    active = np.asarray(adjacency.sum(axis=1)).ravel() > 0
    team_ids = {team: i for i, team in enumerate(sorted({t for t in data.teams if t is not None}))}
    team_of = np.array([team_ids.get(team, -1) if team is not None else -1 for team in data.teams], dtype=np.int64)
    new: dict[int, set[int]] = {}
    dropped = set()
    for u, v in zip(data.source[~train].tolist(), data.target[~train].tolist(), strict=True):
        if not (active[u] and active[v]):
            dropped.add((min(u, v), max(u, v)))
            continue
        new.setdefault(u, set()).add(v)
        new.setdefault(v, set()).add(u)
    known = adjacency.tolil().rows
    new_ties = {u: frozenset(vs - set(known[u])) for u, vs in new.items()}
    return _Setup(
        data=data,
        cut=cut,
        adjacency=adjacency,
        active=active,
        team_of=team_of,
        new_ties={u: vs for u, vs in new_ties.items() if vs},
        dropped_new_people=len(dropped),
    )


def _truth_for(setup: _Setup, person: int, *, cross_team: bool) -> frozenset[int]:
    ties = setup.new_ties.get(person, frozenset())
    if not cross_team:
        return ties
    mine = setup.team_of[person]
    return frozenset(v for v in ties if setup.team_of[v] >= 0 and setup.team_of[v] != mine)


def _allowed_matrix(setup: _Setup, *, cross_team: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Which candidates each row may be offered: active, not themselves, not already known; other teams if asked."""

    def allowed(rows: np.ndarray) -> np.ndarray:
        mask = np.broadcast_to(setup.active, (len(rows), len(setup.active))).copy()
        mask[np.arange(len(rows)), rows] = False
        known = setup.adjacency[rows].tocoo()
        mask[known.row, known.col] = False
        if cross_team:
            teams = setup.team_of[rows][:, None]
            mask &= (setup.team_of[None, :] >= 0) & (setup.team_of[None, :] != teams)
        return mask

    return allowed


def _baseline(
    setup: _Setup,
    served: np.ndarray,
    allowed: Callable[[np.ndarray], np.ndarray],
    method: str,
    options: PeopleOptions,
) -> dict[int, list[int]]:
    n = setup.adjacency.shape[0]
    tiebreak = np.random.default_rng(options.random_state).permutation(n)
    chunk = max(1, 4_000_000 // max(n, 1))
    ranked: dict[int, list[int]] = {}
    for start in range(0, len(served), chunk):
        rows = served[start : start + chunk]
        scores = link_scores(setup.adjacency, rows, method, random_state=options.random_state)
        lists = top_k(scores, allowed(rows), options.k, tiebreak=tiebreak)
        ranked.update(zip(rows.tolist(), lists, strict=True))
    return ranked


def _weaktie(
    projection: Projection,
    data: Interactions,
    served: np.ndarray,
    options: PeopleOptions,
    *,
    as_of: datetime,
    exclude_teammates: bool,
    learn: bool = True,
) -> dict[int, list[int]]:
    # Every known pair is excluded for every method (the truth is first-time ties), so weaktie is asked to treat
    # any tie as strong rather than only its heaviest ones.
    model = PeopleToMeet(
        k=options.k,
        capacity=options.capacity,
        half_life_days=options.half_life_days,
        random_state=options.random_state,
        strong_count=1,
        exclude_teammates=exclude_teammates,
        learn_weights=learn,
    ).fit(projection, as_of=as_of)
    index = {person: i for i, person in enumerate(data.people)}
    return {int(u): [index[s.candidate.id] for s in model.recommend(data.people[u], k=options.k)] for u in served}


def _table(
    setup: _Setup,
    view: str,
    served: np.ndarray,
    rankings: Mapping[str, Mapping[int, list[int]]],
    truth: Mapping[int, frozenset[int]],
    options: PeopleOptions,
) -> Table:
    judged = np.array([u for u in served.tolist() if truth[u]], dtype=np.int64)
    degree = np.asarray(setup.adjacency.sum(axis=1)).ravel()
    popularity = degree / max(int(setup.active.sum()), 1)
    results: dict[str, MethodResult] = {}
    per_person: dict[str, np.ndarray] = {}
    for method, ranked in rankings.items():
        recall = np.array([recall_at_k(ranked[u], truth[u], options.k) for u in judged.tolist()])
        per_person[method] = recall
        metrics = {
            "recall@10": bootstrap_mean(recall, resamples=options.resamples),
            "ndcg@10": bootstrap_mean(
                [ndcg_at_k(ranked[u], truth[u], options.k) for u in judged.tolist()], resamples=options.resamples
            ),
            "mrr": bootstrap_mean(
                [reciprocal_rank(ranked[u], truth[u]) for u in judged.tolist()], resamples=options.resamples
            ),
        }
        exposure, details = _beyond_accuracy(setup, served, ranked, popularity, options)
        metrics.update(exposure)
        results[method] = MethodResult(metrics=metrics, details=details)
    baselines = [m for m in rankings if m in options.baselines]
    comparison = _compare(per_person, baselines, results, options) if baselines and OURS in per_person else None
    n_truth = sum(len(truth[u]) for u in judged.tolist()) // 2
    title = "new cross-team ties (every method limited to other teams)" if view == "cross_team" else "all new ties"
    return Table(
        key=view,
        title=title,
        test_size={"people_with_new_ties": len(judged), "new_ties": n_truth, "people_served": len(served)},
        columns=RANKING + BEYOND,
        results=results,
        comparison=comparison,
    )


def _beyond_accuracy(
    setup: _Setup,
    served: np.ndarray,
    ranked: Mapping[int, list[int]],
    popularity: np.ndarray,
    options: PeopleOptions,
) -> tuple[dict[str, Estimate], dict[str, object]]:
    n = setup.adjacency.shape[0]
    rows = np.repeat(np.arange(len(served)), [len(ranked[u]) for u in served.tolist()])
    persons = served[rows]
    candidates = np.array([v for u in served.tolist() for v in ranked[u]], dtype=np.int64)
    if len(candidates):
        mutual = np.asarray(setup.adjacency[persons].multiply(setup.adjacency[candidates]).sum(axis=1)).ravel()
    else:
        mutual = np.zeros(0)
    teams_p, teams_c = setup.team_of[persons], setup.team_of[candidates]
    cross = ((teams_p >= 0) & (teams_c >= 0) & (teams_p != teams_c)).astype(np.float64)
    band = ((mutual >= WEAK_BAND[0]) & (mutual <= WEAK_BAND[1])).astype(np.float64)
    surprise = -np.log2(np.maximum(popularity[candidates], 1.0 / max(int(setup.active.sum()), 1)))
    # People × catalogue counts: every list-level metric is a function of which served people are drawn.
    shown = sp.csr_matrix((np.ones(len(candidates)), (rows, candidates)), shape=(len(served), n))
    counts = np.bincount(rows, minlength=len(served)).astype(np.float64)
    catalogue = np.flatnonzero(setup.active)

    def share(values: np.ndarray) -> Callable[[np.ndarray], float]:
        """The mean over suggestions, for any resampling of the served people."""
        sums = np.bincount(rows, weights=values, minlength=len(served))
        return lambda w: float(w @ sums / (w @ counts)) if w @ counts > 0 else 0.0

    def exposure_gini(w: np.ndarray) -> float:
        return gini((shown.T @ w)[catalogue])

    def catalogue_coverage(w: np.ndarray) -> float:
        return float(np.count_nonzero((shown.T @ w)[catalogue] > 0) / max(len(catalogue), 1))

    r, unit = options.resamples, (0.0, 1.0)
    metrics = {
        "cross_team_share": bootstrap_statistic(len(served), share(cross), resamples=r, bounds=unit),
        "weak_band_share": bootstrap_statistic(len(served), share(band), resamples=r, bounds=unit),
        "mean_mutual": bootstrap_statistic(len(served), share(mutual.astype(np.float64)), resamples=r),
        "coverage": bootstrap_statistic(len(served), catalogue_coverage, resamples=r, bounds=unit),
        "gini_exposure": bootstrap_statistic(len(served), exposure_gini, resamples=r, bounds=unit),
        "novelty": bootstrap_statistic(len(served), share(surprise), resamples=r),
    }
    histogram = {
        _bin_name(low, high): float(np.mean((mutual >= low) & ((mutual <= high) if high is not None else True)))
        if len(mutual)
        else 0.0
        for low, high in MUTUAL_BINS
    }
    details = {"suggestions": len(candidates), "mutual_colleagues_share": histogram}
    return metrics, details


def _bin_name(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


def _compare(
    per_person: Mapping[str, np.ndarray],
    baselines: Sequence[str],
    results: Mapping[str, MethodResult],
    options: PeopleOptions,
) -> Comparison:
    best = max(baselines, key=lambda m: results[m].metrics["recall@10"].value)
    difference = paired_difference(per_person[OURS], per_person[best], resamples=options.resamples)
    theirs = results[best].metrics["recall@10"].value
    ratio = results[OURS].metrics["recall@10"].value / theirs if theirs > 0 else None
    return Comparison(metric="recall@10", baseline=best, difference=difference, ratio=ratio)


def people_targets(tables: Sequence[Table]) -> tuple[Target, ...]:
    """The issue's goals for people-you-should-meet, checked on the cross-team view when there are teams."""
    table = next((t for t in tables if t.key == "cross_team"), None)
    if table is None or table.comparison is None:
        return ()
    ours = table.results[OURS].metrics
    ratio = table.comparison.ratio or 0.0
    targets = [
        Target(
            name="recall@10 on new cross-team ties >= 1.2x the best baseline",
            value=ratio,
            threshold=1.2,
            met=ratio >= 1.2,
            note=f"best baseline: {table.comparison.baseline}"
            + ("; the difference is within the noise" if table.comparison.within_noise else ""),
        ),
        Target(
            name="share of suggestions that are cross-team >= 0.6",
            value=ours["cross_team_share"].value,
            threshold=0.6,
            met=ours["cross_team_share"].value >= 0.6,
        ),
    ]
    if "adamic_adar" in table.results:
        theirs = table.results["adamic_adar"].metrics["gini_exposure"].value
        targets.append(
            Target(
                name="exposure Gini <= 0.8x Adamic-Adar's",
                value=ours["gini_exposure"].value / theirs if theirs > 0 else float("inf"),
                threshold=0.8,
                met=ours["gini_exposure"].value <= 0.8 * theirs,
                note=f"weaktie {ours['gini_exposure'].value:.3f} vs Adamic-Adar {theirs:.3f}",
            )
        )
    return tuple(targets)


def _product_capacity(options: PeopleOptions) -> str:
    slack = PeopleToMeet().activity_slack
    return f"max({max(3, 2 * options.k)}, {slack:g} x {options.k} x degree / mean degree)"


def _notes(setup: _Setup, options: PeopleOptions) -> tuple[str, ...]:
    capacity = options.capacity if options.capacity is not None else _product_capacity(options)
    return (
        f"Cut at {setup.cut.instant:%Y-%m-%d %H:%M} UTC ({setup.cut.how}; "
        f"{setup.cut.time_share:.0%} of the time span).",
        f"{setup.dropped_new_people} new pairs after the cut involve someone with no interaction before it; no "
        "method can suggest them, so they are left out of the truth.",
        "Pairs that interacted before the cut are never candidates for any method (the truth is first-time ties).",
        "weaktie = PeopleToMeet(learn_weights=True): pair weights learned from the ties formed in the last part of "
        f"the training period; {FIXED} = the fixed weights that are the default today.",
        f"weaktie runs with the product's capacity ({capacity} suggestions per person per fit), which spreads "
        "exposure and costs some accuracy; baselines have no capacity.",
        "Ranking metrics average over people with at least one new tie in the view; beyond-accuracy metrics over "
        "everyone served. Intervals: 95% percentile bootstrap over people.",
    )
