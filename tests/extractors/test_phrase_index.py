"""The vectorised phrase look-up: the same (text, phrase) pairs as a plain scan, bucket collisions included."""

from __future__ import annotations

import random

import numpy as np

from extractors.phrase_index import PhraseIndex, fold


def _scan(phrases: dict[tuple[int, ...], int], texts: list[list[int]]) -> set[tuple[int, int]]:
    found = set()
    for doc, tokens in enumerate(texts):
        for start in range(len(tokens)):
            for phrase, payload in phrases.items():
                if tuple(tokens[start : start + len(phrase)]) == phrase:
                    found.add((doc, payload))
    return found


def _match(index: PhraseIndex, texts: list[list[int]]) -> set[tuple[int, int]]:
    norms = np.array([t for tokens in texts for t in tokens], dtype=np.uint64)
    doc = np.repeat(np.arange(len(texts)), [len(tokens) for tokens in texts])
    docs, payloads = index.match(norms, doc)
    return set(zip(docs.tolist(), payloads.tolist(), strict=True))


def test_matches_equal_a_plain_scan_and_never_cross_texts() -> None:
    rng = random.Random(3)
    vocabulary = [rng.getrandbits(64) for _ in range(40)]
    phrases = {tuple(rng.sample(vocabulary, rng.randint(1, 3))): payload for payload in range(25)}
    index = PhraseIndex()
    for phrase, payload in phrases.items():
        index.add(list(phrase), payload)
    texts = [[rng.choice(vocabulary) for _ in range(rng.randint(0, 30))] for _ in range(60)]
    assert _match(index, texts) == _scan(phrases, texts)


def test_a_key_sharing_a_bucket_with_a_phrase_is_not_a_match() -> None:
    phrase = 0xABCDE_12345
    twin = phrase + (1 << 40)  # same low bits, so the one-bit filter lets it through to the exact look-up
    index = PhraseIndex()
    index.add([phrase], 7)
    index.add([phrase, 5], 8)
    texts = [[twin], [phrase], [twin, 5], [phrase, 5]]
    assert _match(index, texts) == {(1, 7), (3, 7), (3, 8)}
    assert fold([phrase, 5]) != fold([twin, 5])
