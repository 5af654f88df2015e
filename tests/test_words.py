"""The shared wording: counts with their nouns, a capital to open a sentence, a text cut to
its first sentence; every message that counts or quotes goes through these."""

from __future__ import annotations

import pytest

from ccrc_sync.words import capital, first_sentence, plural


@pytest.mark.parametrize(
    ("count", "one", "many", "expected"),
    [
        (0, "conflict", None, "0 conflicts"),
        (1, "conflict", None, "1 conflict"),
        (2, "conflict", None, "2 conflicts"),
        (1, "fix", "fixes", "1 fix"),
        (3, "fix", "fixes", "3 fixes"),
        (-2, "day", None, "-2 days"),
    ],
)
def test_plural(count: int, one: str, many: str | None, expected: str) -> None:
    assert plural(count, one, many) == expected


def test_capital_raises_the_first_letter_only() -> None:
    assert capital("the Google Sheet") == "The Google Sheet"
    assert capital("") == ""
    assert capital("1 change") == "1 change"


def test_first_sentence_ends_where_the_next_sentence_starts() -> None:
    assert first_sentence("Do this.  Then\nthat.", 200) == "Do this."
    assert first_sentence("See e.g. the guide. Then.", 200) == "See e.g. the guide."
    assert first_sentence("Is it? (Yes.)", 200) == "Is it?"
    assert first_sentence("Version 2.1 ships. Then 3.", 200) == "Version 2.1 ships."


@pytest.mark.parametrize(
    ("limit", "ellipsis", "expected"),
    [
        (33, "…", "Review the first line…"),
        (34, "…", "Review the first line assurance…"),  # its comma dropped
        (34, " …", "Review the first line …"),
        (35, " …", "Review the first line assurance …"),
    ],
)
def test_a_long_first_sentence_is_cut_at_a_word_within_the_limit(
    limit: int, ellipsis: str, expected: str
) -> None:
    text = "Review the first line assurance, mechanisms and all of their parts."
    cut = first_sentence(text, limit, ellipsis=ellipsis)
    assert cut == expected
    assert len(cut) <= limit
    assert first_sentence(text, len(text)) == text
