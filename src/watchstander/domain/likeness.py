"""How alike a question and an earlier thread are, word by word: the words they share (a word
written another way counts: plural, tense, a typo), as a share of the words of both, the words
of the line that resolved the thread counting for half. And whether a post is a question that
asks (whether something can be done, how, what): such a one is answered only by a thread that
covers most of what it asks, not by one that shares the feature's name. Pure rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

LINE_WEIGHT = 0.5  # a question's word found only in the resolving line counts for this much
_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))
_STEM_LEFT = 3  # letters a suffix leaves, at least
_PREFIX_LEFT = 5  # a word that begins another counts as it from this length ("deprovision")
_TYPO_FROM = 4  # letters of a word from which one slip (an edit) is forgiven
_TWO_TYPOS_FROM = 8  # ... and two

# A post that asks: after a mention or a greeting, it begins with an auxiliary verb ("can ...",
# "is there ...", "does ...") or a question word ("how", "what"), or says someone asks whether.
# Not "why": it asks what caused a problem the post reports.
_QUESTION_WORDS = "how|what|what's|which|when|where|who"
_ASKS = re.compile(
    r"^(?:<[^>]*>[\s,:]*)?(?:(?:hi|hey|hello)\b[^,:]*[,:]\s*)?(?:"
    r"(?:the\s+)?(?:customer|client|prospect|user|they|someone)s?\s+"
    r"(?:asks?|asked|asking|is asking|wants? to know|would like to know)\s+"
    rf"(?:if|whether|about|{_QUESTION_WORDS})\b"
    rf"|(?:does\s+)?any(?:one|body)\s+knows?\s+(?:if|whether|{_QUESTION_WORDS})\b"
    rf"|(?:can|could|do|does|did|is|are|will|would|should|has|have|may|any|{_QUESTION_WORDS})\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Likeness:
    matched: int  # words of the question the thread holds (root post or resolving line)
    share: float  # Dice's coefficient over the question's and the root post's words


def asks(text: str) -> bool:
    """Whether a post is a question that asks (begins like one), as opposed to a report."""
    return bool(_ASKS.match(text.strip()))


def likeness(question: Sequence[str], root: Sequence[str], line: Sequence[str]) -> Likeness:
    """How alike a question's words are to a thread's root post's and resolving line's (each
    word once): the question's words either holds, and twice those (a word held by the line
    alone counting ``LINE_WEIGHT``) over the words of the question and the root post."""
    stems = {w: stem(w) for w in (*question, *root, *line)}
    root_stems = {stems[w] for w in root}
    line_stems = {stems[w] for w in line} - root_stems

    def held(word: str, others: set[str]) -> bool:
        mine = stems[word]
        return mine in others or any(_alike_stems(mine, other) for other in others)

    in_root = [w for w in question if held(w, root_stems)]
    in_line = [w for w in question if w not in in_root and held(w, line_stems)]
    words = len(question) + len(root)
    share = 2 * (len(in_root) + LINE_WEIGHT * len(in_line)) / words if words else 0.0
    return Likeness(len(in_root) + len(in_line), share)


def same_word(a: str, b: str) -> bool:
    """Whether two lower-case words are one written another way: the same stem, one the start
    of the other (long enough), or a slip of a letter (two in long words)."""
    return a == b or _alike_stems(stem(a), stem(b))


def _alike_stems(a: str, b: str) -> bool:
    if a == b:
        return True
    short = min(len(a), len(b))
    if short >= _PREFIX_LEFT and (a.startswith(b) or b.startswith(a)):
        return True
    if short < _TYPO_FROM or a[0] != b[0]:
        return False
    return edits(a, b, 2) <= (2 if short >= _TWO_TYPOS_FROM else 1)


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A word without its commonest English ending, a final "e" or a doubled last letter (a
    light stemmer: "charges", "charged" and "charge" → "charg")."""
    for suffix, instead in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _STEM_LEFT:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)] + instead
            break
    if len(word) > _STEM_LEFT and word.endswith("e"):
        word = word[:-1]  # "charge", "charged"
    if len(word) > _STEM_LEFT and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "running", "run"
    return word


def edits(a: str, b: str, most: int) -> int:
    """The edits (a letter added, dropped, changed, or two swapped) from ``a`` to ``b``, or
    ``most + 1`` when they are more than ``most`` (Damerau-Levenshtein as optimal string
    alignment, by rapidfuzz: a few hundred times faster than it was here in Python)."""
    return int(OSA.distance(a, b, score_cutoff=most))
