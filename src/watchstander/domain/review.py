"""The weekly emoji review: which reactions mean what, and the GitHub issues they ask for.

Pure: threads come in as plain records; the issue text is built here so that a re-run makes
exactly the same text, with a hidden marker that names the thread and the kind.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from watchstander.domain.markup import for_github, readable, title_line


@dataclass(frozen=True)
class Tag:
    reaction: str
    meaning: str
    kind: str | None  # the issue it asks for (None: counted only)
    labels: tuple[str, ...] = ()


TAGS: tuple[Tag, ...] = (
    Tag("necktie", "product question", None),
    Tag("fire_engine", "needed a developer", None),
    Tag("vhs", "data question", None),
    Tag("robot_face", "data question a developer answered", None),
    Tag("coffin", "post-mortem", "postmortem", ("postmortem",)),
    Tag(
        "evergreen_tree",
        "worth reading for new people",
        "onboarding",
        ("documentation", "onboarding"),
    ),
    Tag("bug", "a confirmed code issue", "bug", ("bug", "support")),
    Tag("documentation", "docs should be written", "documentation", ("documentation",)),
)
BY_REACTION: Mapping[str, Tag] = {tag.reaction: tag for tag in TAGS}
_EMOJI_NAME = re.compile(r"[a-z0-9_+'-]{1,100}")


def tag_table(renames: str) -> Mapping[str, Tag]:
    """The emoji table with the team's own reaction names: ``bug=beetle,documentation=memo``
    (the SPEC's name, then the one the team uses instead). ValueError in one line if wrong."""
    names = {tag.reaction: tag.reaction for tag in TAGS}
    for part in (p.strip() for p in renames.split(",") if p.strip()):
        old, _, new = (s.strip().strip(":").lower() for s in part.partition("="))
        if old not in names:
            known = ", ".join(names)
            raise ValueError(f"'{old[:40]}' is not a review tag: rename one of {known}")
        if not _EMOJI_NAME.fullmatch(new):
            raise ValueError(f"'{part[:40]}': write tag=emoji_name, like bug=beetle")
        names[old] = new
    if len(set(names.values())) != len(names):
        raise ValueError("two review tags cannot share one reaction name")
    return {names[t.reaction]: replace(t, reaction=names[t.reaction]) for t in TAGS}


TITLE_LIMIT = 80
QUOTE_LIMIT = 4000


@dataclass(frozen=True)
class TaggedThread:
    channel: str
    root_ts: str
    link: str
    poster: str | None
    level: str
    root_text: str
    tags: frozenset[str]
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}/{self.root_ts}"


@dataclass(frozen=True)
class IssueDraft:
    thread: TaggedThread
    kind: str
    title: str
    body: str
    labels: tuple[str, ...]

    @property
    def marker(self) -> str:
        return marker(self.thread.key, self.kind)


@dataclass
class Plan:
    drafts: list[IssueDraft] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # per reaction
    levels: Counter[str] = field(default_factory=Counter)  # tagged threads per level
    open_threads: list[TaggedThread] = field(default_factory=list)


def marker(thread_key: str, kind: str) -> str:
    """The hidden line that makes an issue findable again: one per thread and kind, ever."""
    return f"<!-- watchstander:thread={thread_key} kind={kind} -->"


def plan(
    threads: Iterable[TaggedThread],
    made: set[tuple[str, str]],
    tags: Mapping[str, Tag] = BY_REACTION,
    name_of: Callable[[str], str] = lambda person: person,
) -> Plan:
    """The week's counts, and an issue draft per thread and kind not ``made`` before
    (people in it by ``name_of``)."""
    out = Plan()
    for thread in threads:
        known = [tags[t] for t in sorted(thread.tags) if t in tags]
        if not known:
            continue
        out.levels[thread.level] += 1
        for tag in known:
            out.counts[tag.reaction] += 1
        if thread.resolved_at is None:
            out.open_threads.append(thread)
        for tag in known:
            if tag.kind and (thread.key, tag.kind) not in made:
                out.drafts.append(draft(thread, tag, name_of))
    return out


def draft(
    thread: TaggedThread, tag: Tag, name_of: Callable[[str], str] = lambda person: person
) -> IssueDraft:
    assert tag.kind is not None
    summary = title_line(thread.root_text, TITLE_LIMIT) or "(a #support thread with no text)"
    prefix = {"postmortem": "Post-mortem: ", "onboarding": "Onboarding: "}.get(tag.kind, "")
    title = (prefix + summary)[:TITLE_LIMIT]
    quoted = for_github(readable(thread.root_text[:QUOTE_LIMIT], name_of, at_people=False))
    quoted = quoted or "(empty)"
    if len(thread.root_text) > QUOTE_LIMIT:
        quoted += "…"
    lines = [
        f"From a {thread.level} thread in #support ({tag.meaning}): {thread.link}",
        "",
        f"- Posted by: {name_of(thread.poster) if thread.poster else 'unknown'}",
        f"- Level: {thread.level}",
        f"- Claimed by: {name_of(thread.claimed_by) if thread.claimed_by else 'nobody'}"
        + (f" at {thread.claimed_at:%Y-%m-%d %H:%M} UTC" if thread.claimed_at else ""),
        "- Resolved: "
        + (f"{thread.resolved_at:%Y-%m-%d %H:%M} UTC" if thread.resolved_at else "not yet"),
        "",
        "The post:",
        "",
        *("> " + line for line in quoted.splitlines() or [quoted]),
        "",
        marker(thread.key, tag.kind),
    ]
    return IssueDraft(thread, tag.kind, title, "\n".join(lines), tag.labels)


# Repeat topics: words and word pairs of this week's root posts that the database's own
# full-text search (SQLite FTS5, PostgreSQL tsvector) finds in more than one thread over the
# last five weeks. Here: which terms to ask about, and how the answers become topics.

TOPIC_WINDOW_WEEKS = 5  # this week and the last four
TOPIC_TERMS = 200  # terms asked about per review: the statement count does not grow
TOPIC_GENERIC_SHARE = 0.05  # a term in more than this share of the window's threads is noise
TOPIC_ASK = 40  # the week's terms looked for in the four weeks before
TOPIC_CANDIDATES = 15  # terms whose threads are fetched to tell topics apart
TOPIC_EXAMPLES = 50  # the week's newest threads of each: enough to see two terms are one topic
TOPIC_LIMIT = 5
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]", re.UNICODE)
_NOT_WORDS = re.compile(r"<[^>]*>|:[a-z0-9_+'-]+:|`{3}.*?`{3}|`[^`]*`|https?://\S+", re.DOTALL)
_TOPIC_TEXT = 2000  # the first characters of a post are enough to name its topic
# No library among the dependencies keeps a stop-word list (and the databases' own differ:
# PostgreSQL's English one, none in SQLite's FTS5), so the words are kept here: English
# function words (Snowball's list, less the ones that name a support problem, like "down")
# and the filler of a chat channel (greetings, thanks, "today", "anyone", "issue"). A team
# that writes in other languages adds its own with TOPIC_STOPWORDS.
_STOP = (
    "a about above after again against all also am an and any anyone anything are aren't as at",
    "be because been before being below between both but by can can't cannot could couldn't did",
    "didn't do does doesn't doing don't during each few for from further get gets getting got",
    "had hadn't has hasn't have haven't having he her here hers herself him himself his how i",
    "i'm i've if in into is isn't it it's its itself just know let let's like me more most my",
    "myself need needs no nor not now of off on once only or other our ours ourselves out over",
    "own please same see seems she should shouldn't so some someone something still such than",
    "thank thanks that that's the their theirs them themselves then there there's these they",
    "they're this those through to too try trying under until up us very via was wasn't way we",
    "we're were weren't what what's when where which while who whom why will with won't would",
    "wouldn't yet you you're your yours yourself yourselves one hi hello hey help error errors",
    "fail fails failed failing wrong anybody today yesterday tomorrow again issue problem question",
    "guys folks team ok okay sure quick thing things work working works",
    "last next first another ago earlier later soon since already anymore currently right",
    "morning afternoon evening tonight day days week weeks hour hours minute minutes time",
    "monday tuesday wednesday thursday friday saturday sunday weekend",
    "everyone everybody somebody else sorry pls plz thx cheers idea ideas wondering",
    "questions issues problems happen happened happening seeing seem seemed really maybe",
    "around back bit lot lots much many every ever able use using used look",
    "looking looks check checking stuff etc kind ought",
)
STOPWORDS = frozenset(" ".join(_STOP).split())


def stopwords(extra: Iterable[str] = ()) -> frozenset[str]:
    """The stop-words, with a team's own (TOPIC_STOPWORDS), in lower case."""
    return STOPWORDS | {word.strip().lower() for word in extra if word.strip()}


@dataclass(frozen=True)
class TopicThread:
    key: str  # channel/root_ts
    link: str
    posted_at: datetime


@dataclass(frozen=True)
class Topic:
    words: str  # what the threads share, as they were written
    count: int  # threads over the window
    this_week: int
    threads: tuple[TopicThread, ...]  # the newest of this week's, newest first


def keywords(text: str, stop: frozenset[str] = STOPWORDS) -> list[str]:
    """The words of a post that can name a topic, in order: lower case, without mentions,
    links, emoji codes, code, numbers or stop-words."""
    text = _NOT_WORDS.sub(" ", text[:_TOPIC_TEXT])
    words = (m.group(0).lower().replace("’", "'").removesuffix("'s") for m in _WORD.finditer(text))
    return [w for w in words if len(w) >= 3 and w not in stop and "'" not in w]


def topic_terms(
    texts: Iterable[str], limit: int = TOPIC_TERMS, stop: frozenset[str] = STOPWORDS
) -> list[str]:
    """The words and neighbouring word pairs of this week's posts, those in most posts first:
    what the database is asked to find over the window."""
    posts: Counter[str] = Counter()
    for text in texts:
        words = keywords(text, stop)
        pairs = {f"{a} {b}" for a, b in itertools.pairwise(words) if a != b}
        posts.update(set(words) | pairs)
    ranked = sorted(posts.items(), key=lambda kv: (-kv[1], -kv[0].count(" "), kv[0]))
    return [term for term, _ in ranked[:limit]]


def week_terms(
    week_counts: Mapping[str, int], *, week_threads: int, limit: int = TOPIC_ASK
) -> list[str]:
    """Of the terms the week's posts hold, those to look for in the four weeks before: the
    ones in most of the week's threads, not in a twentieth of them (noise), a pair first."""
    generic = max(10, int(week_threads * TOPIC_GENERIC_SHARE))
    found = [t for t, n in week_counts.items() if n <= generic]
    return sorted(found, key=lambda t: (-week_counts[t], -t.count(" "), t))[:limit]


def topic_candidates(
    counts: Mapping[str, tuple[int, int]],
    *,
    window_threads: int,
    limit: int = TOPIC_CANDIDATES,
) -> list[str]:
    """The terms worth a look, the most telling first: found in two threads or more over the
    window, one of them this week, and not in a twentieth of the window's threads (noise).
    Many threads of a term few others have come first (tf-idf), then a pair before a word."""
    generic = max(10, int(window_threads * TOPIC_GENERIC_SHARE))

    def weight(term: str) -> tuple[float, int, str]:
        n = counts[term][0]
        return (-n * math.log((window_threads + 1) / n), -term.count(" "), term)

    found = [t for t, (n, recent) in counts.items() if 2 <= n <= generic and recent]
    return sorted(found, key=weight)[:limit]


def topics(
    candidates: Sequence[str],
    counts: Mapping[str, tuple[int, int]],
    examples: Mapping[str, Iterable[TopicThread]],
    limit: int = TOPIC_LIMIT,
) -> list[Topic]:
    """Topics that came back, from ``topic_candidates`` in their order: terms found in much
    the same threads (more than half of a term's newest this week) are one topic, named by
    the first."""
    chosen: list[tuple[str, set[str]]] = []
    out: list[Topic] = []
    for term in candidates:
        if len(out) >= limit:
            break
        threads = sorted(examples.get(term, ()), key=lambda t: t.posted_at, reverse=True)
        keys = {t.key for t in threads}
        if not keys or any(len(keys & other) * 2 > len(keys) for _, other in chosen):
            continue
        chosen.append((term, keys))
        out.append(Topic(term, counts[term][0], counts[term][1], tuple(threads)))
    return out
