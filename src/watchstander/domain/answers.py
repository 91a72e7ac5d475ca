"""Answers from past threads: which words of a question to search for, whether what the
search found is alike enough to suggest, and the line that resolved a thread. Pure rules."""

from __future__ import annotations

from collections.abc import Sequence

from watchstander.domain.review import STOPWORDS, keywords

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
MIN_MATCHED = 2  # words of the question an earlier thread's root post must hold, at least
MIN_SHARE = 0.34  # ... and this share of the question's words
LINE_LIMIT = 300  # characters of a resolving line shown


def question_terms(text: str, stop: frozenset[str] = STOPWORDS) -> list[str]:
    """The meaningful words of a question, once each, in order: the repeat topics' words,
    without the channel's filler."""
    return [w for w in dict.fromkeys(keywords(text, stop)) if w not in FILLER]


def alike(matched: int, terms: int, root_terms: int) -> bool:
    """Whether a thread whose root post (of ``root_terms`` meaningful words) holds ``matched``
    of a question's ``terms`` words answers it: the words the two share, as a share of the
    words of both (Dice's coefficient)."""
    return matched >= MIN_MATCHED and 2 * matched >= MIN_SHARE * (terms + root_terms)


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
