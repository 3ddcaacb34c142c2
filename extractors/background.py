"""What ordinary English looks like: word frequencies from ``wordfreq`` and how far a corpus departs from them.

A topic is a word or phrase a community uses far more often than English at large does ("qubit", "Kubernetes",
"Monte Carlo"); "painful", "goal" or "question" are ordinary English however often they are written. The measure is
the log-ratio of the corpus rate to the background rate (log-odds against a background model), with the corpus
count replaced by the lower end of its Poisson confidence interval, so that a word seen twice in a large corpus is
not mistaken for a community's vocabulary while three mentions of "Kubernetes" in ten messages still are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from scipy.special import gammaincinv

FLOOR = 1e-8
"""Background rate of a word ``wordfreq`` does not know (its own floor is a Zipf value of 1, i.e. 1e-8)."""
PHRASE_FACTOR = 0.01
"""How much rarer a phrase is in English than its rarest word: the share of a word's uses that continue with one
particular other word, taken as one in a hundred (set expressions such as "short term" run near one in ten, named
things such as "dark mode" far below). ``wordfreq`` estimates a phrase from its words only; everyday expressions
that pass are caught by their spread over teams and by the phrase rules in :mod:`extractors.topics`."""
CONFIDENCE = 0.95
"""One-sided confidence of the lower bound taken for a corpus count."""


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, float]:
    # Loaded once per process (about 0.3 s): a plain dict look-up is a hundred times faster than word_frequency().
    import wordfreq

    return wordfreq.get_frequency_dict("en", wordlist="best")


def word_rate(word: str) -> float:
    """How often ``word`` occurs in general English, per word (0 < rate < 1); lower case expected."""
    table = _frequencies()
    rate = table.get(word)
    if rate is None and ("-" in word or "'" in word):
        # Compounds are estimated from their parts, as wordfreq does for multi-word text.
        parts = [p for p in word.replace("'", "-").split("-") if p]
        rate = _combined([table.get(p, FLOOR) for p in parts]) if parts else None
    return max(rate or 0.0, FLOOR)


def phrase_rate(words: Sequence[str]) -> float:
    """Background rate of a phrase: its words' rates combined, and rarer by :data:`PHRASE_FACTOR` per added word."""
    rates = [word_rate(w) for w in words]
    return max(_combined(rates) * PHRASE_FACTOR ** (len(rates) - 1), FLOOR * FLOOR)


def informativeness(count: float, total: float, background: float) -> float:
    """Natural-log ratio of a candidate's corpus rate (``count`` of ``total`` tokens, at the lower end of its
    confidence interval) to its background rate; ``-inf`` for no count."""
    if count <= 0 or total <= 0:
        return -math.inf
    return math.log(lower_count(int(count)) / total) - math.log(background)


@lru_cache(maxsize=4096)
def lower_count(count: int) -> float:
    """The lower end of the one-sided Poisson confidence interval of an observed count (exact: the gamma quantile,
    i.e. half the chi-square quantile with 2·count degrees of freedom)."""
    return float(gammaincinv(count, 1.0 - CONFIDENCE))


def _combined(rates: Sequence[float]) -> float:
    """wordfreq's rule for several tokens: the reciprocal of the sum of reciprocals (a bit below the rarest)."""
    return 1.0 / sum(1.0 / max(r, FLOOR) for r in rates)
