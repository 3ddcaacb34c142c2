"""The background model of ordinary English."""

from __future__ import annotations

import math

from extractors.background import FLOOR, informativeness, lower_count, phrase_rate, word_rate


def test_ordinary_words_are_common_and_jargon_is_rare() -> None:
    assert word_rate("question") > 100 * word_rate("qubit")
    assert word_rate("painful") > word_rate("kubernetes")
    assert word_rate("xqzzyplonk") == FLOOR


def test_a_phrase_is_rarer_than_its_rarest_word() -> None:
    assert phrase_rate(["monte", "carlo"]) < min(word_rate("monte"), word_rate("carlo"))
    assert word_rate("short-lived") < word_rate("short")


def test_informativeness_grows_with_the_count_and_with_rarity_in_english() -> None:
    total = 100_000
    assert informativeness(50, total, word_rate("qubit")) > informativeness(50, total, word_rate("question"))
    assert informativeness(50, total, 1e-5) > informativeness(5, total, 1e-5)
    assert informativeness(0, total, 1e-5) == -math.inf


def test_the_count_is_taken_at_the_lower_end_of_its_confidence_interval() -> None:
    assert 0 < lower_count(1) < 0.1
    assert 0.3 < lower_count(2) < 0.4
    assert 20 < lower_count(30) < 30
