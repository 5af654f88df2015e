"""The wording every message shares: counts with their nouns, a capital to open a
sentence, and a text cut to its first sentence.

Pure and tiny on purpose: the Summary, the digests, `validate` and the reports each wrote
these once, and copies drift ("1 fixs", a sentence cut at "e.g."). One place keeps every
message worded the same way.
"""

from __future__ import annotations

import re


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 conflict', '2 conflicts'; `many` for a noun that does not just take an s
    ('2 fixes')."""
    return f"{count} {one}" if count == 1 else f"{count} {many or one + 's'}"


def capital(text: str) -> str:
    """The text with its first letter a capital, the rest as written ('the Google Sheet'
    opens a sentence as 'The Google Sheet', never 'The google sheet')."""
    return text[:1].upper() + text[1:]


# A sentence ends at . ! or ? followed by a space and what opens a sentence (a capital, a
# digit, a quote or a bracket), so "e.g. the guide" is not cut after "e.g.".
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9‘“\"'(])")


def first_sentence(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """The text up to the end of its first sentence, never longer than `limit` characters:
    past it, cut at a word (never mid-word) and closed with `ellipsis`, so one line of a
    digest or a cell of the Summary stays that size."""
    flat = " ".join(text.split())
    head = _SENTENCE_END.split(flat, maxsplit=1)[0]
    if len(head) <= limit:
        return head
    cut = head[: limit - len(ellipsis)].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + ellipsis
