"""What a thread must be told is kept with the decision, so a process killed after deciding and
before (or while) saying leaves it to the next start or the lease's holder, said once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from triage_helpers import CHANNEL, ONCALL, SECONDARY, T0, Timers, at, post, reply, ts

from watchstander.services.controls import THREAD_CONTROLS, Button
from watchstander.services.effects import Effect
from watchstander.services.oncall import OnCall
from watchstander.services.owed import dumps, loads
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store
from watchstander.store.models import OwedRow

POSTER, DEV = "U0POSTER", "U0DEV"
URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"


class Killed(BaseException):
    """The process dying where it stands (SIGKILL): nothing after it runs."""


class Chat:
    """A speaker that records what it says; ``die_at``: the n-th message kills the process
    before it is posted (0: the first)."""

    def __init__(self, die_at: int | None = None) -> None:
        self.said: list[Effect] = []
        self.die_at = die_at

    def __call__(self, effect: Effect) -> str:
        if self.die_at is not None and len(self.said) == self.die_at:
            raise Killed
        self.said.append(effect)
        return ts(1000 + len(self.said))


def replica(store: Store, chat: Chat, name: str) -> TriageService:
    settings = Settings.from_env({"ROTATION_ADMINS": f"{ONCALL},{SECONDARY}"})
    return TriageService(
        store,
        settings,
        channel_id=CHANNEL,
        emit=chat,
        oncall=lambda now: OnCall(ONCALL, SECONDARY),
        timers=Timers(),
        group_handles=lambda: {"S0ONCALL": "oncall"},
        taker=name,
        update=lambda effect, ts: None,
    )


def test_an_effect_survives_as_json_with_its_controls() -> None:
    effect = Effect(
        "announce",
        CHANNEL,
        ts(0),
        {"level": "urgent", "assignee": None, "emergency": False, "note": "@here <!channel>"},
        controls=(*THREAD_CONTROLS, Button("ws_answered", "This answered it", "1.2 7")),
        alone=DEV,
    )
    assert loads(dumps(effect, T0)) == (effect, T0)
    with pytest.raises(ValueError, match="not a message the bot kept"):
        loads('{"template": "announce"}')


def test_killed_before_the_announcement_it_is_said_once_at_the_next_start(store: Store) -> None:
    dying = Chat(die_at=0)
    with pytest.raises(Killed):
        replica(store, dying, "a").handle_message(post(0, POSTER, URGENT), at(0))
    assert dying.said == []
    # Slack's retry of the post finds it recorded: the retry alone would say nothing
    chat = Chat()
    restarted = replica(store, chat, "b")
    assert not restarted.handle_message(post(0, POSTER, URGENT), at(0.1))
    assert chat.said == []
    # the next start says what was decided, once, and it becomes the thread's card
    assert restarted.settle_owed(at(0.2)) == 1
    assert [(e.template, e.thread_ts, e.controls) for e in chat.said] == [
        ("announce", ts(0), THREAD_CONTROLS)
    ]
    assert restarted.settle_owed(at(0.3)) == 0
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
    assert thread is not None
    assert thread.card_ts == ts(1001)


def test_a_replica_takes_up_only_what_a_process_gone_left(store: Store) -> None:
    first = replica(store, Chat(), "a")
    first.handle_message(post(0, POSTER, URGENT), at(0))
    with store.transaction() as tx:  # "a" is alive until 2:15 (its heartbeat)
        tx.beat("a", at(2), at(2) + timedelta(seconds=15))
    dying = Chat(die_at=0)
    with pytest.raises(Killed):  # the claim decided, then the process froze or died
        replica(store, dying, "a").handle_message(reply(2, 0, DEV, "looking"), at(2))
    chat = Chat()
    other = replica(store, chat, "b")
    # while its heartbeat lasts it may still be posting it: left alone
    assert other.settle_owed(at(2) + timedelta(seconds=14)) == 0
    # the process that took it does not take its own rows back
    assert replica(store, Chat(), "a").settle_owed(at(3)) == 0
    assert other.settle_owed(at(2) + timedelta(seconds=16)) == 1
    assert [(e.template, e.data["assignee"]) for e in chat.said] == [("claimed", DEV)]
    assert other.settle_owed(at(10)) == 0


def test_said_messages_are_not_said_again(store: Store) -> None:
    chat = Chat()
    service = replica(store, chat, "a")
    service.handle_message(post(0, POSTER, URGENT), at(0))
    service.handle_message(reply(2, 0, DEV, "on it, need 30 minutes"), at(2))
    assert [e.template for e in chat.said] == ["announce", "claimed"]
    later = Chat()
    assert replica(store, later, "b").settle_owed(T0 + timedelta(days=1)) == 0
    assert later.said == []


def test_a_check_in_decided_and_not_posted_is_posted_once(store: Store) -> None:
    service = replica(store, Chat(), "a")
    service.handle_message(post(0, POSTER, URGENT), at(0))
    service.handle_message(reply(2, 0, DEV, "looking"), at(2))
    due = at(2) + timedelta(hours=2)
    dying = Chat(die_at=0)
    with pytest.raises(Killed):
        replica(store, dying, "a").run_due(due)
    chat = Chat()
    other = replica(store, chat, "b")
    assert other.run_due(due + timedelta(seconds=1)) == 0  # the action was taken: not again
    assert other.settle_owed(due + timedelta(seconds=1)) >= 1
    assert "checkin" in [e.template for e in chat.said]
    assert len(chat.said) == len({(e.template, e.thread_ts) for e in chat.said})


class Posting(Chat):
    """Posts, then dies before the post is marked said."""

    def __call__(self, effect: Effect) -> str:
        self.said.append(effect)
        raise Killed


def test_what_was_posted_before_the_process_died_is_not_posted_again(store: Store) -> None:
    posting = Posting()
    with pytest.raises(Killed):
        replica(store, posting, "a").handle_message(post(0, POSTER, URGENT), at(0))
    assert [e.template for e in posting.said] == ["announce"]
    looked: list[tuple[str, object]] = []

    def seen(effect: Effect, since: object) -> bool:
        looked.append((effect.template, since))
        return effect in posting.said

    chat = Chat()
    assert replica(store, chat, "b").settle_owed(at(1), seen=seen) == 0
    assert chat.said == []
    assert looked == [("announce", at(0))]  # looked for since it was decided
    assert replica(store, chat, "b").settle_owed(at(2), seen=seen) == 0
    assert len(looked) == 1  # and forgotten


def test_said_messages_are_forgotten_together_and_at_once_when_flushed(store: Store) -> None:
    chat = Chat()
    service = replica(store, chat, "a")
    service.owed.forget_after = 3600.0  # the timer never comes: only the flush forgets
    service.handle_message(post(0, POSTER, URGENT), at(0))
    service.handle_message(reply(2, 0, DEV, "looking"), at(2))
    assert [e.template for e in chat.said] == ["announce", "claimed"]
    with store.transaction() as tx:  # said, not yet forgotten: left to "a" while it lives
        tx.beat("a", at(2), at(3))
        assert not tx.owed_left("b", at(2))
        assert tx.owed_left("b", at(4))  # "a" gone: its rows are there to be taken
    service.owed.flush()
    with store.transaction() as tx:
        assert not tx.owed_left("b", at(4))


def test_an_announcement_that_became_the_card_is_not_said_again(store: Store) -> None:
    chat = Chat()
    service = replica(store, chat, "a")
    service.owed.forget_after = 3600.0  # said, then the process froze before forgetting it
    service.handle_message(post(0, POSTER, URGENT), at(0))
    assert [e.template for e in chat.said] == ["announce"]
    other = Chat()
    # its message is the card now: its words were replaced, the thread cannot show them
    assert replica(store, other, "b").settle_owed(at(1), seen=lambda e, since: False) == 0
    assert other.said == []


def test_messages_in_doubt_are_given_up_to_the_lease_holder_once_the_database_answers(
    store: Store,
) -> None:
    """A transaction that kept a message failed as it committed (the database went away:
    committed or not, the process cannot tell, and Slack's retry finds the post recorded).
    The process gives the rows up once the database answers; the lease's holder says them,
    once. Rows that were never committed give up nothing."""
    alive = replica(store, Chat(die_at=0), "a")
    with pytest.raises(Killed):  # committed, then not said (here: as if the say failed)
        alive.handle_message(post(0, POSTER, URGENT), at(0))
    with store.transaction() as tx:  # "a" lives on
        tx.beat("a", at(0), at(0) + timedelta(minutes=5))
        kept = list(tx.connection.execute(select(OwedRow.id)).scalars())
    chat = Chat()
    holder = replica(store, chat, "b")
    assert holder.settle_owed(at(1)) == 0  # a live process's own: left to it
    alive.owed.doubt([*kept, 999_999])  # and one that was rolled back
    alive.owed.give_up_doubted()
    assert holder.settle_owed(at(1)) == 1
    assert [(e.template, e.thread_ts) for e in chat.said] == [("announce", ts(0))]
    assert holder.settle_owed(at(2)) == 0
    alive.owed.give_up_doubted()  # nothing left in doubt: nothing happens
    assert holder.settle_owed(at(3)) == 0
