"""Word normalisation shared by topic learning, topic matching and term extraction.

One word maps to one normal form: lower case, synonyms (``k8s`` → ``kubernetes``), then a small rule-based
plural stripping. spaCy calls :meth:`Lexicon.norm` once per new lexeme, never per token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from extractors.taxonomy import Taxonomy, builtin_generic_words

_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-.+#/_][a-z0-9]+)*[+#]*")
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9]+s")
# Words whose final "s" is not a plural; stripping it would split them from their own mentions.
_KEEP = frozenset(
    (
        "news", "series", "species", "physics", "mathematics", "economics", "ethics", "analytics", "devops",
        "mlops", "gitops", "finops", "sales", "pandas", "kudos", "chaos", "https", "jenkins", "windows",
        "always", "perhaps", "towards", "whereas", "bias", "canvas", "atlas", "alias",
    )
)  # fmt: skip
_IRREGULAR = {
    "analyses": "analysis",
    "caches": "cache",
    "statuses": "status",
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "children": "child",
    "criteria": "criterion",
    "gpus": "gpu",
    "cpus": "cpu",
    "menus": "menu",
    "aliases": "alias",
    "biases": "bias",
}


def singular(word: str) -> str:
    """A lower-case word without its plural ending (rule-based: good enough to make plurals meet)."""
    if len(word) < 4 or word in _KEEP:
        return word
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    # "-ics" is a field far more often than a plural ("physics", "mechanics", "statistics", "dynamics").
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def canonical_id(label: str) -> str:
    """The topic id of a curated label: lower case; words of a multi-word label are made singular.

    A one-word label is taken literally ("Jenkins" stays "jenkins") because curators name products that way.
    """
    words = label.lower().split()
    if len(words) == 1:
        return words[0]
    return " ".join(singular(w) for w in words)


class Lexicon:
    """Normal forms and the content-word test, built from the synonym tables and stop words."""

    def __init__(self, taxonomy: Taxonomy, *, stop_words: Iterable[str]) -> None:
        self.synonyms: dict[str, str] = {}
        """Lower-case one-word alias → canonical term."""
        self.aliases: dict[str, tuple[str, ...]] = {}
        """Canonical term → every alias (one or more words), for phrase patterns."""
        self.curated: dict[str, str] = {}
        """Curated topic id → label."""
        self.ignore: frozenset[str] = taxonomy.ignore
        self._protected: set[str] = set()
        for table in (taxonomy.synonyms, taxonomy.topics):
            for label, aliases in table.items():
                term = canonical_id(label)
                if " " not in term:
                    self._protected.add(term)
                self.aliases[term] = tuple(dict.fromkeys((*self.aliases.get(term, ()), *aliases)))
                for alias in aliases:
                    if not alias.split() or len(alias.split()) > 1:
                        continue
                    self.synonyms[alias.lower()] = term
        for label in taxonomy.topics:
            self.curated[canonical_id(label)] = label
        self._stop = frozenset(w.lower() for w in stop_words) | builtin_generic_words() | self.ignore

    def norm(self, word: str) -> str:
        """The normal form of one token's text."""
        low = word.lower()
        hit = self.synonyms.get(low)
        if hit is not None:
            return hit
        if low in self._protected:
            return low
        if _ACRONYM_PLURAL.fullmatch(word):
            # "VMs", "PRs", "APIs": the plural of an acronym is its own word otherwise.
            return low[:-1]
        return singular(low) if low.isalpha() else low

    def is_literal(self, word: str) -> bool:
        """Whether the surface form is already the word we want (a synonym or a protected term)."""
        low = word.lower()
        return low in self.synonyms or low in self._protected

    def is_content(self, word: str) -> bool:
        """Whether a token can be part of a topic or a matching term: a real word, not a stop or filler word."""
        low = word.lower()
        if low in self.synonyms:
            return self.synonyms[low] not in self._stop
        if low in self._stop:
            return False
        normal = self.norm(word)
        if normal in self._stop or not _WORD.fullmatch(normal):
            return False
        return sum(c.isalpha() for c in normal) >= 2
