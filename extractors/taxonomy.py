"""Curated topic knowledge: the built-in synonym table and the optional taxonomy file (TOML).

Format (all parts optional)::

    ignore = ["synergy"]                  # words and topic ids never taken as topics
    [topics]                              # curated topics: always in the vocabulary
    "Kubernetes" = ["k8s", "kube"]        # label = aliases that also mean it
    [synonyms]                            # normalisation only: read the aliases as the key
    javascript = ["js"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from extractors.errors import ExtractorError


@dataclass(frozen=True, slots=True)
class Taxonomy:
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Curated topic label → aliases."""
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Canonical term → aliases; they normalise words without forcing a topic."""
    ignore: frozenset[str] = frozenset()

    def merged(self, other: Taxonomy) -> Taxonomy:
        """``other`` on top of ``self``: its aliases are added, its ignore words joined."""
        return Taxonomy(
            topics=_union(self.topics, other.topics),
            synonyms=_union(self.synonyms, other.synonyms),
            ignore=self.ignore | other.ignore,
        )


def builtin_taxonomy() -> Taxonomy:
    """The synonym table shipped with weaktie (``extractors/data/synonyms.toml``)."""
    text = resources.files("extractors").joinpath("data/synonyms.toml").read_text(encoding="utf-8")
    return parse_taxonomy(tomllib.loads(text), source="built-in synonyms.toml")


def builtin_generic_words() -> frozenset[str]:
    """Words that are never topics although spaCy does not count them as stop words."""
    text = resources.files("extractors").joinpath("data/generic_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def load_taxonomy(path: Path) -> Taxonomy:
    """Read a taxonomy file; raises :class:`ExtractorError` with the file and the problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExtractorError(f"taxonomy file {str(path)!r} does not exist; fix the path or drop the option") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExtractorError(f"cannot read taxonomy file {str(path)!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExtractorError(f"taxonomy file {str(path)!r} is not valid TOML: {exc}") from None
    return parse_taxonomy(data, source=str(path))


def parse_taxonomy(data: Mapping[str, Any], *, source: str) -> Taxonomy:
    unknown = set(data) - {"topics", "synonyms", "ignore"}
    if unknown:
        raise ExtractorError(f"{source}: unknown key(s) {sorted(unknown)}; expected 'ignore', [topics] and [synonyms]")
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(w, str) for w in ignore):
        raise ExtractorError(f"{source}: 'ignore' must be a list of strings")
    return Taxonomy(
        topics=_table(data.get("topics", {}), "topics", source),
        synonyms=_table(data.get("synonyms", {}), "synonyms", source),
        ignore=frozenset(w.strip().lower() for w in ignore if w.strip()),
    )


def _table(value: object, name: str, source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ExtractorError(f"{source}: [{name}] must be a table of  term = [aliases]")
    table: dict[str, tuple[str, ...]] = {}
    for key, aliases in value.items():
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ExtractorError(f"{source}: [{name}] {key!r} must be a list of alias strings, e.g. {key!r} = []")
        if key.strip():
            table[key.strip()] = tuple(a.strip() for a in aliases if a.strip())
    return table


def _union(a: Mapping[str, tuple[str, ...]], b: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out = dict(a)
    for key, aliases in b.items():
        out[key] = tuple(dict.fromkeys((*out.get(key, ()), *aliases)))
    return out
