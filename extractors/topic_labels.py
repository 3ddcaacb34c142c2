"""How a topic is written: the label a person reads, from the forms its words take in the corpus."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from extractors.background import word_rate

ORDINARY = 1e-6
"""Background rate (a Zipf value of 3) from which a word counts as ordinary English for labels."""


def best_surface(
    orths: np.ndarray, orth_norms: np.ndarray, counts: np.ndarray, norms: set[int], spelled: Mapping[int, str]
) -> dict[int, tuple[str, str]]:
    """For each wanted norm hash, how to write it in a label: as a last word (its commonest form) and inside a
    phrase (the commonest form spelled like the normal form: "qubit" for the norm of "qubits"). An ordinary English
    word also written in lower case is written so: "customer", not "Customer" of "Customer Support"."""
    if not norms:
        return {}
    wanted = np.isin(orth_norms, np.fromiter(norms, dtype=np.uint64, count=len(norms)))
    forms: dict[int, dict[str, float]] = {}
    rows = zip(orths[wanted].tolist(), orth_norms[wanted].tolist(), counts[wanted].tolist(), strict=True)
    for orth, norm, count in rows:
        forms.setdefault(norm, {})[spelled[orth]] = count
    return {norm: (_writing(written, None), _writing(written, spelled[norm])) for norm, written in forms.items()}


def _writing(written: dict[str, float], plain: str | None) -> str:
    """The commonest of ``written`` (those spelled ``plain`` apart from case, when there are any), lower-cased
    when it is an ordinary English word that is written in lower case at least a fifth as often."""
    if plain is not None and any(form.lower() == plain for form in written):
        written = {form: count for form, count in written.items() if form.lower() == plain}
    best = max(written, key=lambda form: (written[form], form))
    lower = best.lower()
    if lower != best and written.get(lower, 0.0) >= 0.2 * written[best] and word_rate(lower) >= ORDINARY:
        return lower
    return best


def label_of(phrase: tuple[int, ...], best: dict[int, tuple[str, str]], strings: Mapping[int, str]) -> str:
    """A topic's label in its natural written form: each word as most often written, but words before the last in
    their plain (singular) form, so "ancilla qubit" and "single-qubit gate", not "ancilla qubits" and "qubits gate"."""
    words = []
    for i, norm in enumerate(phrase):
        last, inside = best.get(norm, (strings[norm], strings[norm]))
        words.append(last if i == len(phrase) - 1 else inside)
    return " ".join(words)
