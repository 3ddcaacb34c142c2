"""Phrase look-up over whole batches of token arrays: the vectorised twin of spaCy's PhraseMatcher on NORM.

A phrase is a sequence of norm hashes folded into one 64-bit key; matching a batch hashes every n-gram once with
numpy and looks the keys up in sorted arrays, so no Python runs per token.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MIX = np.uint64(0x9E3779B97F4A7C15)
_MASK = (1 << 64) - 1
_BUCKETS = np.uint64((1 << 20) - 1)


def fold(hashes: Sequence[int]) -> int:
    """The key of one phrase; equals what :func:`ngram_keys` computes for the same hashes."""
    key = hashes[0]
    for value in hashes[1:]:
        key = ((key * int(MIX)) & _MASK) ^ value
    return key


def ngram_keys(norms: np.ndarray, previous: np.ndarray, n: int) -> np.ndarray:
    """Keys of the n-grams starting at each position, from the (n-1)-gram keys; the tail is left as it was."""
    keys = previous.copy()
    shift = n - 1
    if shift < len(norms):
        keys[:-shift] = (previous[:-shift] * MIX) ^ norms[shift:]
    return keys


class PhraseIndex:
    """Phrases (tuples of norm hashes) → an integer payload, matched in bulk."""

    def __init__(self) -> None:
        self._by_length: dict[int, dict[int, set[int]]] = {}
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] | None = None

    def add(self, hashes: Sequence[int], payload: int) -> None:
        if not hashes:
            return
        self._by_length.setdefault(len(hashes), {}).setdefault(fold(hashes), set()).add(payload)
        self._arrays = None

    @property
    def max_length(self) -> int:
        return max(self._by_length, default=0)

    def match(self, norms: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (doc, payload) pairs whose phrase occurs in ``norms`` without crossing a ``doc`` boundary."""
        arrays = self._compiled()
        docs: list[np.ndarray] = []
        payloads: list[np.ndarray] = []
        size = len(norms)
        keys = norms
        inside = np.ones(size, dtype=bool)
        for n in range(1, self.max_length + 1):
            if n > 1:
                keys = ngram_keys(norms, keys, n)
                inside = inside.copy()
                tail = max(size - n + 1, 0)
                inside[tail:] = False
                inside[:tail] &= doc[n - 1 :] == doc[:tail]
            if n not in arrays:
                continue
            sorted_keys, starts, flat, seen = arrays[n]
            # Most n-grams are no phrase: a one-bit-per-bucket filter rules them out before the binary search.
            candidates = np.flatnonzero(inside & seen[keys & _BUCKETS])
            where = np.searchsorted(sorted_keys, keys[candidates])
            where[where == len(sorted_keys)] = 0
            hit = sorted_keys[where] == keys[candidates]
            positions, slots = candidates[hit], where[hit]
            counts = starts[slots + 1] - starts[slots]
            docs.append(np.repeat(doc[positions], counts))
            offsets = np.repeat(starts[slots] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
            payloads.append(flat[offsets])
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(docs), np.concatenate(payloads)

    def _compiled(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        if self._arrays is None:
            self._arrays = {}
            for n, phrases in self._by_length.items():
                keys = sorted(phrases)
                members = [sorted(phrases[k]) for k in keys]
                starts = np.cumsum([0, *map(len, members)])
                flat = np.fromiter((p for m in members for p in m), dtype=np.int64, count=int(starts[-1]))
                sorted_keys = np.array(keys, dtype=np.uint64)
                seen = np.zeros(int(_BUCKETS) + 1, dtype=bool)
                seen[sorted_keys & _BUCKETS] = True
                self._arrays[n] = (sorted_keys, starts, flat, seen)
        return self._arrays
