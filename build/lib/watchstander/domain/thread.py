"""A support thread as a fold over its events, and what the bot must do about it.

The state of a thread is a pure function of the *set* of its recorded events, so a duplicated
delivery changes nothing. They are replayed in Slack's own order (the ``ts``), with one
exception that keeps what the bot said true: an event whose effect depends on who holds the
thread (a reply, a reaction, a command) never goes before one the bot recorded earlier (see
:func:`ordered`). So when two 👀 arrive at once, the one the bot recorded first claims the
thread, and a 👀 that reaches the bot late, with an earlier ``ts``, cannot take back a claim
the bot has already confirmed. Everything else (the poster, the level, the first response)
is the same in whatever order the events arrive.

Effects come from comparing what the bot already said with the new state, so nothing is said
twice (see :mod:`watchstander.domain.said`). Timed work (check-ins, reminders, breaches,
escalations, the quiet close of an answered general question) is recorded as events of the
bot's own, and :func:`due` says which one falls due next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from watchstander.domain.levels import Level

EYES = "eyes"
DONE = "white_check_mark"


class Kind(StrEnum):
    POST = "post"
    REPLY = "reply"
    EDIT = "edit"
    REACTION_ADDED = "reaction_added"
    REACTION_REMOVED = "reaction_removed"
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    HANDOFF = "handoff"
    RESOLVE = "resolve"
    ETA = "eta"
    # The bot's own timed actions, recorded so that a replay knows they happened.
    CHECKIN = "checkin"
    ESCALATION = "escalation"
    CLAIM_REMINDER = "claim_reminder"
    BREACH = "breach"
    QUIET_CLOSE = "quiet_close"  # an answered general question, quiet for a while: closed


BOT_ACTIONS = frozenset(
    {Kind.CHECKIN, Kind.ESCALATION, Kind.CLAIM_REMINDER, Kind.BREACH, Kind.QUIET_CLOSE}
)
COMMANDS = frozenset({Kind.CLAIM, Kind.UNCLAIM, Kind.HANDOFF, Kind.RESOLVE, Kind.ETA})
# What these do depends on who holds the thread: they are replayed in the order recorded.
HOLDER_KINDS = COMMANDS | {Kind.REPLY, Kind.REACTION_ADDED, Kind.REACTION_REMOVED}


@dataclass(frozen=True)
class Event:
    """One thing that happened in a thread. ``level`` and ``until`` are read at ingest;
    ``item_ts`` is the message it is about (a reaction's message), ``seq`` the order in which
    the bot recorded it (0: not recorded, such as the bot's own timed actions)."""

    kind: Kind
    ts: str
    actor: str | None
    at: datetime
    text: str = ""
    level: Level = Level.GENERAL
    reaction: str = ""
    target: str = ""
    on_root: bool = False
    until: datetime | None = None
    item_ts: str = ""
    seq: int = 0

    def sort_key(self) -> tuple[Decimal, int, str, str]:
        """Slack's order, then a fixed order for events of the same ts."""
        return (ts_decimal(self.ts), _RANK[self.kind], self.actor or "", self.reaction)


_RANK = {kind: rank for rank, kind in enumerate(Kind)}


@dataclass(frozen=True)
class Policy:
    update_interval: timedelta = timedelta(minutes=30)
    emergency_update_interval: timedelta = timedelta(minutes=15)
    claim_target: timedelta = timedelta(minutes=15)
    response_target: timedelta = timedelta(hours=1)
    general_close_after: timedelta = timedelta(days=3)

    def interval(self, level: Level) -> timedelta:
        if level is Level.EMERGENCY:
            return self.emergency_update_interval
        return self.update_interval


@dataclass(frozen=True)
class Claim:
    user: str
    at: datetime
    released_at: datetime | None = None


@dataclass
class ThreadState:
    poster: str | None = None
    posted_at: datetime | None = None
    root_text: str = ""
    level: Level = Level.GENERAL
    raised_at: datetime | None = None
    level_changes: list[tuple[datetime, Level]] = field(default_factory=list)
    assignee: str | None = None
    claimed_at: datetime | None = None
    claims: list[Claim] = field(default_factory=list)
    watchers: list[str] = field(default_factory=list)
    first_response_at: datetime | None = None
    last_update_at: datetime | None = None
    updates: list[datetime] = field(default_factory=list)
    next_checkin_at: datetime | None = None
    unanswered: int = 0
    escalated: bool = False
    claim_reminded: bool = False
    breached: bool = False
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolve_note: str = ""
    resolved_by_reaction: bool = False
    answered_at: datetime | None = None  # the first reply by someone other than the poster
    last_activity_at: datetime | None = None  # the latest message, reaction or command
    closed_quietly: bool = False
    bot_actions: list[tuple[datetime, Kind]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def watched(self) -> bool:
        """Urgent or emergency and still open: the bot keeps time on it."""
        return self.is_open and self.level >= Level.URGENT


def ts_decimal(ts: str) -> Decimal:
    try:
        return Decimal(ts)
    except (InvalidOperation, TypeError):
        return Decimal(0)


def ordered(events: Iterable[Event]) -> list[Event]:
    """The order of replay: Slack's ``ts``, except that the events whose effect depends on who
    holds the thread (:data:`HOLDER_KINDS`) keep the order in which the bot recorded them; one
    recorded after another that is later in Slack's order is placed just after it.

    A reaction that came before its message was seen counts as recorded with that message.
    """
    events = list(events)
    message_seq = {e.ts: e.seq for e in events if e.kind in (Kind.POST, Kind.REPLY)}

    def recorded(e: Event) -> int:
        if e.kind in (Kind.REACTION_ADDED, Kind.REACTION_REMOVED):
            return max(e.seq, message_seq.get(e.item_ts, 0))
        return e.seq

    held = sorted(
        (e for e in events if e.kind in HOLDER_KINDS), key=lambda e: (recorded(e), e.sort_key())
    )
    keyed: list[tuple[Decimal, int, tuple[object, ...], Event]] = []
    latest = Decimal("-Infinity")
    for n, e in enumerate(held):  # each at its own ts, or just after what was recorded before
        latest = max(latest, ts_decimal(e.ts))
        keyed.append((latest, 1, (n,), e))
    keyed += [(ts_decimal(e.ts), 0, e.sort_key(), e) for e in events if e.kind not in HOLDER_KINDS]
    keyed.sort(key=lambda k: k[:3])
    return [k[-1] for k in keyed]


def replay(events: Iterable[Event], policy: Policy) -> ThreadState:
    """Fold the events, in :func:`ordered` order, into the thread's state."""
    state = ThreadState()
    for event in ordered(events):
        _apply(state, event, policy)
    return state


def _apply(s: ThreadState, e: Event, policy: Policy) -> None:
    if e.kind not in BOT_ACTIONS:
        if s.last_activity_at is None or e.at > s.last_activity_at:
            s.last_activity_at = e.at
        if s.closed_quietly and (e.kind is Kind.REPLY or e.level > s.level):
            _reopen(s)  # a new reply (or a raised level) after a quiet close
    if e.kind in (Kind.POST, Kind.REPLY, Kind.EDIT):
        _raise_level(s, e.level, e.at, policy)
    if e.kind is Kind.POST:
        s.poster, s.posted_at, s.root_text = e.actor, e.at, e.text
    elif e.kind is Kind.EDIT and e.on_root:
        s.root_text = e.text
    elif e.kind is Kind.REPLY and e.actor:
        if s.poster is not None and e.actor != s.poster:  # the post seen: someone else
            _responded(s, e.at)
            if s.answered_at is None or e.at < s.answered_at:
                s.answered_at = e.at
            if s.assignee is None and s.is_open:
                _claim(s, e.actor, e.at, policy)
        if e.actor == s.assignee:
            _update(s, e.at, e.until, policy)
    elif e.kind is Kind.REACTION_ADDED and e.actor:
        _reaction_added(s, e, policy)
    elif e.kind is Kind.REACTION_REMOVED and e.actor:
        _reaction_removed(s, e)
    elif e.kind in COMMANDS:
        _command(s, e, policy)
    elif e.kind in BOT_ACTIONS:
        _bot_action(s, e, policy)


def _raise_level(s: ThreadState, level: Level, at: datetime, policy: Policy) -> None:
    if level <= s.level:
        return
    s.level = level
    s.level_changes.append((at, level))
    if level >= Level.URGENT and s.raised_at is None:
        s.raised_at = at
    if s.assignee is not None and s.is_open:
        due = s.last_update_at or at
        candidate = max(due, at) + policy.interval(level)
        if s.next_checkin_at is None or candidate < s.next_checkin_at:
            s.next_checkin_at = candidate


def _reaction_added(s: ThreadState, e: Event, policy: Policy) -> None:
    actor = e.actor or ""
    if e.reaction == EYES and s.poster is not None and actor != s.poster:
        _responded(s, e.at)
        if s.assignee is None and s.is_open:
            _claim(s, actor, e.at, policy)
        elif actor != s.assignee and actor not in s.watchers:
            s.watchers.append(actor)
    elif e.reaction == DONE and e.on_root and s.is_open and actor in (s.assignee, s.poster):
        _resolve(s, actor, e.at, "")
        s.resolved_by_reaction = True


def _responded(s: ThreadState, at: datetime) -> None:
    """The first response is the earliest, whatever order the responses were recorded in."""
    if s.first_response_at is None or at < s.first_response_at:
        s.first_response_at = at


def _reaction_removed(s: ThreadState, e: Event) -> None:
    if e.reaction == EYES:
        if e.actor == s.assignee:
            _release(s, e.at)
        elif e.actor in s.watchers:
            s.watchers.remove(e.actor)
    elif e.reaction == DONE and e.on_root and s.resolved_by_reaction and e.actor == s.resolved_by:
        s.resolved_at, s.resolved_by, s.resolved_by_reaction = None, None, False


def _command(s: ThreadState, e: Event, policy: Policy) -> None:
    actor = e.actor or ""
    if not s.is_open:
        return
    if e.kind is Kind.CLAIM and s.assignee is None:
        _claim(s, actor, e.at, policy)
    elif e.kind is Kind.UNCLAIM and actor == s.assignee:
        _release(s, e.at)
    elif e.kind is Kind.HANDOFF and e.target and s.assignee in (None, actor):
        if s.assignee is not None:
            _release(s, e.at)
        _claim(s, e.target, e.at, policy)
    elif e.kind is Kind.RESOLVE:
        _resolve(s, actor, e.at, e.text)
    elif e.kind is Kind.ETA and actor == s.assignee and e.until is not None:
        _update(s, e.at, e.until, policy)


def _bot_action(s: ThreadState, e: Event, policy: Policy) -> None:
    if e.kind is Kind.QUIET_CLOSE:
        _quiet_close(s, e.at, policy)
        return
    s.bot_actions.append((e.at, e.kind))
    if e.kind is Kind.CLAIM_REMINDER:
        s.claim_reminded = True
    elif e.kind is Kind.BREACH:
        s.breached = True
    elif s.assignee is not None and s.is_open:
        s.unanswered += 1
        s.escalated = s.escalated or e.kind is Kind.ESCALATION
        s.next_checkin_at = e.at + policy.interval(s.level)


def _claim(s: ThreadState, user: str, at: datetime, policy: Policy) -> None:
    s.assignee, s.claimed_at = user, at
    s.claims.append(Claim(user, at))
    if user in s.watchers:
        s.watchers.remove(user)
    s.last_update_at, s.unanswered, s.escalated = at, 0, False
    s.next_checkin_at = at + policy.interval(s.level) if s.level >= Level.URGENT else None


def _release(s: ThreadState, at: datetime) -> None:
    if s.claims and s.claims[-1].released_at is None:
        s.claims[-1] = replace(s.claims[-1], released_at=at)
    s.assignee, s.claimed_at, s.next_checkin_at = None, None, None
    s.unanswered, s.escalated = 0, False


def _update(s: ThreadState, at: datetime, until: datetime | None, policy: Policy) -> None:
    s.last_update_at, s.unanswered, s.escalated = at, 0, False
    s.updates.append(at)
    if s.level >= Level.URGENT:
        s.next_checkin_at = until if until is not None else at + policy.interval(s.level)


def _resolve(s: ThreadState, actor: str, at: datetime, note: str) -> None:
    s.resolved_at, s.resolved_by, s.resolve_note = at, actor, note
    s.next_checkin_at = None
    if s.claims and s.claims[-1].released_at is None:
        s.claims[-1] = replace(s.claims[-1], released_at=at)


def quiet_since(s: ThreadState, policy: Policy) -> datetime | None:
    """An open general question someone answered closes quietly once nothing has happened in
    it for ``general_close_after``: from when (None: it does not)."""
    if not s.is_open or s.level is not Level.GENERAL or s.answered_at is None:
        return None
    return s.last_activity_at


def _quiet_close(s: ThreadState, at: datetime, policy: Policy) -> None:
    """Taken only if still true where it is replayed: a reply that reached the bot after the
    close, with an earlier ``ts``, undoes it (the thread was not quiet after all)."""
    since = quiet_since(s, policy)
    if since is None or since + policy.general_close_after > at:
        return
    s.bot_actions.append((at, Kind.QUIET_CLOSE))
    _resolve(s, "", since, "")  # resolved when it went quiet: its last word settled it
    s.resolved_by, s.closed_quietly = None, True


def _reopen(s: ThreadState) -> None:
    if s.claims and s.claims[-1].released_at == s.resolved_at and s.assignee is not None:
        s.claims[-1] = replace(s.claims[-1], released_at=None)
    s.resolved_at, s.resolved_by, s.closed_quietly = None, None, False


# --- what falls due -------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    kind: Kind
    at: datetime


def next_due(s: ThreadState, policy: Policy) -> Due | None:
    """The next timed action of this thread, whether or not its time has come."""
    quiet = quiet_since(s, policy)
    if quiet is not None:
        return Due(Kind.QUIET_CLOSE, quiet + policy.general_close_after)
    if not s.watched:
        return None
    if s.assignee is None:
        if s.claims or s.raised_at is None:
            return None
        if not s.claim_reminded:
            return Due(Kind.CLAIM_REMINDER, s.raised_at + policy.claim_target)
        if not s.breached:
            return Due(Kind.BREACH, s.raised_at + policy.response_target)
        return None
    if s.next_checkin_at is None:
        return None
    kind = Kind.ESCALATION if s.unanswered >= 2 and not s.escalated else Kind.CHECKIN
    return Due(kind, s.next_checkin_at)


def due(s: ThreadState, policy: Policy, now: datetime) -> Due | None:
    """The timed action to take now, if one has come due."""
    action = next_due(s, policy)
    return action if action is not None and action.at <= now else None
