"""Judging text by its shape: cut off, run together, or recorded twice.

Heuristics, each tuned on the template (the seed's own defects) so that what they report
there is exactly what a careful reader would: Rec 28 cut off, Rec 6's "structureunderway"
and Rec 30's "Managers.Should" run together, Rec 31 repeating Rec 16. They return data;
`rules` turns it into findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ccrc_sync.schema.fields import ACTION, RECOMMENDATION, Formula, Value
from ccrc_sync.schema.table import PlanRow
from ccrc_sync.schema.values import is_blank


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A text that ends on one of these words stops mid-sentence ("... to the").
_DANGLING = _words(
    "a an the and or but nor of to in on at by for with from into onto as than that which "
    "who whom whose where when while if whether because including such its their our your "
    "his her is are was were be been being will would should shall can could may might must "
    "not no per via between among within without"
)
# A long sentence that does not end like one looks cut off.
_TRUNCATION_MIN_WORDS = 12
_END_PUNCTUATION = tuple(".!?…:;)]}\"'’”")

# Words too common to say what a recommendation is about.
_STOPWORDS = _words(
    "a an the and or of to in on for by with at as is are be been being this that these "
    "those it its their they them will should would can could may must from into any all "
    "each which who whom whose when where how what whether not no if than then there here "
    "we our us such so also both either other including include includes"
)
# Near-duplicate thresholds, tuned on the template (see `_near_duplicates`).
_COPY_JACCARD = 0.8
_SAME_ACTION_JACCARD = 0.2
_SPECIFIC_ACTION_WORDS = 8
_ANCHOR_WORDS = 8
# Earlier rows compared per bucket: keeps a plan of many copies linear.
_SCAN_LIMIT = 32
_TOKEN = re.compile(r"[0-9a-z]+")


def looks_truncated(text: str) -> bool:
    """True when a text seems cut off mid-sentence (pasted from a PDF, a full cell, ...).

    It ends on a word that cannot end a sentence ("... to the"), on a comma or dash, or it
    is a long sentence (12+ words) with no closing punctuation. Short phrases such as the
    action "Audit planned" are allowed to go without a full stop.
    """
    stripped = text.strip()
    words = stripped.split()
    if len(words) < 3 or stripped.endswith(_END_PUNCTUATION):
        return False
    if stripped.endswith((",", "-", "–", "—", "(", "&", "/")):
        return True
    last = words[-1].casefold().strip("\"'’”")
    return last in _DANGLING or len(words) >= _TRUNCATION_MIN_WORDS


def _stem_tokens(text: str) -> frozenset[str]:
    """Content words, crudely stemmed by truncation (operations ~ operational)."""
    return _stems_of(_TOKEN.findall(text.casefold()))


def _stems_of(tokens: list[str]) -> frozenset[str]:
    return frozenset(t[:6] for t in tokens if t not in _STOPWORDS and len(t) > 1)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


class _Text:
    """What the near-duplicate rules need of one recommendation, computed once."""

    __slots__ = ("_stems", "_tokens", "action_key", "ends", "row", "words")

    def __init__(self, plan_row: PlanRow, text: str, action: Value) -> None:
        self.row = plan_row
        words = _TOKEN.findall(text.casefold())
        self._tokens = words
        self._stems: frozenset[str] | None = None
        self.words = frozenset(words)
        content = [w for w in words if w not in _STOPWORDS]
        # A copy edited in one place keeps its opening or its ending word for word
        # (its first or last eight content words; half of them for short texts).
        size = _ANCHOR_WORDS if len(content) >= 12 else max(2, len(content) // 2)
        self.ends = (("^", *content[:size]), ("$", *content[-size:]))
        self.action_key: tuple[str, ...] | None = None
        if isinstance(action, str) and not isinstance(action, Formula):
            action_words = tuple(_TOKEN.findall(action.casefold()))
            if len(action_words) >= _SPECIFIC_ACTION_WORDS:
                self.action_key = action_words

    @property
    def stems(self) -> frozenset[str]:
        """Stemmed content words, needed only when two rows share a specific action."""
        if self._stems is None:
            self._stems = _stems_of(self._tokens)
        return self._stems


def near_duplicates(rows: Iterable[PlanRow]) -> list[tuple[PlanRow, PlanRow]]:
    """Recommendations recorded twice, as (later row, the earlier row it repeats), in
    linear time.

    Two signs, tuned so that in the template only Recs 16 and 31 (the Casework
    Administration Team manual, filed under two sections with the same progress note) are
    reported, while Recs 4 and 5 (deliberate variants sharing a stock action, word
    Jaccard 0.42) are not:

    - a copied recommendation: word Jaccard >= 0.8 with an earlier one that shares its
      first or last eight content words (signature buckets, so no all-pairs comparison);
    - the same work recorded twice: the same specific action word for word (8+ words,
      so stock phrases like "Process redesign underway." do not count) and overlapping
      recommendation text (stemmed content-word Jaccard >= 0.2).

    Each later row is reported once, against the first earlier row it duplicates.
    """
    pairs: list[tuple[PlanRow, PlanRow]] = []
    buckets: dict[tuple[str, ...], list[_Text]] = {}
    by_action: dict[tuple[str, ...], list[_Text]] = {}
    for plan_row in rows:
        text = plan_row.values.get(RECOMMENDATION)
        if not isinstance(text, str) or isinstance(text, Formula) or is_blank(text):
            continue
        item = _Text(plan_row, text, plan_row.values.get(ACTION))
        if not item.words:
            continue
        match = _find_duplicate(item, buckets, by_action)
        if match is not None:
            pairs.append((item.row, match.row))
        for key in item.ends:
            buckets.setdefault(key, []).append(item)
        if item.action_key is not None:
            by_action.setdefault(item.action_key, []).append(item)
    return pairs


def _find_duplicate(
    item: _Text,
    buckets: dict[tuple[str, ...], list[_Text]],
    by_action: dict[tuple[str, ...], list[_Text]],
) -> _Text | None:
    """The first earlier text this one duplicates, or None (bounded work per row)."""
    for key in item.ends:
        for other in buckets.get(key, [])[:_SCAN_LIMIT]:
            if _jaccard(item.words, other.words) >= _COPY_JACCARD:
                return other
    if item.action_key is not None:
        for other in by_action.get(item.action_key, [])[:_SCAN_LIMIT]:
            if _jaccard(item.stems, other.stems) >= _SAME_ACTION_JACCARD:
                return other
    return None


# --------------------------------------------------------------------------- run together

# "Managers.Should": a sentence's full stop with no space before the next sentence. Two
# letters at least before it, so "e.g.It" style abbreviations and initials are left alone.
_JOINED_SENTENCES = re.compile(r"(?<![A-Za-z.])([A-Za-z][a-z]+)([.!?])([A-Z][a-z]+)")
_WORD = re.compile(r"[A-Za-z]+")
# Both halves of a run-together word must be real words of at least this many letters.
_MIN_HALF = 5


@dataclass(frozen=True)
class RunTogether:
    """Where a text runs two words or sentences together, and the text with the space."""

    snippet: str
    proposed: str


def joined_sentences(text: str) -> RunTogether | None:
    """The first "word.Word" with no space after the full stop, with the text mended."""
    m = _JOINED_SENTENCES.search(text)
    if m is None or _looks_like_address(text, m.start(), m.end()):
        return None
    proposed = _JOINED_SENTENCES.sub(
        lambda j: (
            j.group(0) if _looks_like_address(text, j.start(), j.end()) else f"{j[1]}{j[2]} {j[3]}"
        ),
        text,
    )
    return RunTogether(m.group(0), proposed)


def _looks_like_address(text: str, start: int, end: int) -> bool:
    """Part of a web or email address (gov.UK, www.Example.org) rather than prose."""
    before = text[max(0, start - 1) : start]
    after = text[end : end + 1]
    return before in ("@", "/", ".") or after in (".", "/", "@")


def vocabulary(texts: Iterable[str]) -> dict[str, int]:
    """How often each word (lower case) occurs across the plan's texts."""
    counts: dict[str, int] = {}
    for text in texts:
        for key in _WORD.findall(text.lower()):
            counts[key] = counts.get(key, 0) + 1
    return counts


def one_off_candidates(words: dict[str, int]) -> set[str]:
    """The words that could be two words run together: used once, long enough to split
    into two real words. Few in any plan, so only texts holding one are looked at."""
    return {w for w, n in words.items() if n == 1 and len(w) >= 2 * _MIN_HALF and _splits(w, words)}


def _splits(key: str, words: dict[str, int]) -> bool:
    return any(
        words.get(key[:cut], 0) and words.get(key[cut:], 0)
        for cut in range(_MIN_HALF, len(key) - _MIN_HALF + 1)
    )


def run_together_word(text: str, words: dict[str, int]) -> RunTogether | None:
    """A word that is two of the plan's own words with the space lost ("structureunderway").

    Judged against the plan's own vocabulary rather than a dictionary: the word occurs
    once, and it splits into two words that each occur elsewhere in the plan on their own,
    so "casework" (used throughout) is never split, while a one-off slip is caught.
    """
    for m in _WORD.finditer(text):
        word = m.group(0)
        key = word.casefold()
        if len(key) < 2 * _MIN_HALF or words.get(key, 0) > 1:
            continue
        for cut in range(_MIN_HALF, len(key) - _MIN_HALF + 1):
            left, right = key[:cut], key[cut:]
            if words.get(left, 0) and words.get(right, 0):
                mended = f"{word[:cut]} {word[cut:]}"
                proposed = text[: m.start()] + mended + text[m.end() :]
                return RunTogether(word, proposed)
    return None


def text_of(value: Value) -> str | None:
    """A cell's text when it is plain typed text (not a formula, not blank)."""
    if isinstance(value, str) and not isinstance(value, Formula) and not is_blank(value):
        return value
    return None
