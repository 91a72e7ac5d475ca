"""Answers from past threads: which words of a question to search for, whether what the
search found is alike enough to suggest, and the line that resolved a thread. Pure rules."""

from __future__ import annotations

from collections.abc import Sequence

from watchstander.domain.likeness import Likeness
from watchstander.domain.review import STOPWORDS, keywords
from watchstander.domain.wording import plain

SUGGESTIONS = 3
# Words of a support channel that name who asks or how, not what about: searched for, they tie
# unrelated questions together ("customer wants ...").
_FILLER = (
    "customer customers client clients user users people person prospect account accounts",
    "says said say saying asks asked ask asking wants want wanted tell told find found",
    "does doesn't don't can't cannot won't isn't possible way anyone we'd i'd",
    "show shows showed shown showing",
)
FILLER = frozenset(" ".join(_FILLER).split())
MIN_MATCHED = 2  # words of the question an earlier thread must hold, at least
MIN_SHARE = 0.34  # ... and this share of the words of both (Likeness.share)
ASKING_SHARE = 0.6  # ... of a question that asks (whether, how, what): most of what it asks
LINE_LIMIT = 300  # characters of a resolving line shown
# With the meaning extra (a sentence model's cosines, see services.meanings): a thread this
# near a question is suggested whatever words it holds; of the threads its words found, those
# this near. Chosen on the development sets (bench/answers.py) with a year of history: the most
# questions answered with at most a tenth of unrelated ones given anything.
MEANING_FLOOR = 0.60
LEXICAL_GATE = 0.5


def search_terms(text: str, stop: frozenset[str] = STOPWORDS) -> list[str]:
    """The words of a question the database's search looks for, once each, in order: its
    meaningful words as written (the repeat topics' words, without the channel's filler), so
    that an earlier thread written in the same words is found."""
    return [w for w in dict.fromkeys(keywords(text, stop)) if w not in FILLER]


def question_terms(text: str, stop: frozenset[str] = STOPWORDS) -> list[str]:
    """The meaningful words of a post as a question and an earlier thread are compared: as
    :func:`search_terms`, in one wording ("log in" and "sign in" as "login")."""
    return search_terms(plain(text), stop)


def alike(found: Likeness, asking: bool) -> bool:
    """Whether a thread this like a question answers it: two of its words at least, and a
    third of the words of both; most of them when the question asks and the thread's root
    post did not (``asking``): a report that shares only the feature's name with "can the
    mobile app ...?" does not answer it, an earlier "can the mobile app ...?" may."""
    return found.matched >= MIN_MATCHED and found.share >= (ASKING_SHARE if asking else MIN_SHARE)


def resolving_line(
    note: str,
    replies: Sequence[tuple[str | None, str]],
    assignee: str | None,
    poster: str | None,
) -> str:
    """What resolved a thread: the ``!resolve`` note, else the last reply (before the
    resolution, oldest first in ``replies``) by the assignee, else by anyone but the poster.
    Commands to the bot (``!...``) are not answers. Empty when there is none."""
    if note.strip():
        return _short(note)
    said = [(user, body) for user, body in replies if body.strip() and not _command(body)]
    for wanted in ([assignee] if assignee else []), None:
        for user, body in reversed(said):
            if (wanted is None and user != poster) or (wanted and user in wanted):
                return _short(body)
    return ""


def _command(body: str) -> bool:
    return body.lstrip().startswith("!")


def _short(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + "…"
