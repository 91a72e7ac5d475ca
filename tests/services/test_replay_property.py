"""Any delivery of a thread's events, in any order and with any redeliveries: what the bot
says about claims is what it stores and is never taken back, a redelivery changes nothing,
and the facts that do not depend on who holds the thread match the ordered delivery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from triage_helpers import CHANNEL, Harness, at, harness, post, react, reply

from watchstander.domain.thread import Claim
from watchstander.services.inbound import InboundMessage, InboundReaction
from watchstander.services.thread_state import load_state
from watchstander.store import Base, Store

POSTER = "U0CAROL"
PEOPLE = ["U0CAROL", "U0DAVE", "U0ERIN", "U0BOB"]
TEXTS = [
    "hello",
    "<!subteam^S0ONCALL|@oncall> please look",
    "<!here> it is down",
    "need 30 minutes",
    "by 15:30",
    "found it",
]
Event = InboundMessage | InboundReaction
ROOT = post(0, POSTER, "").ts


@st.composite
def thread_events(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = [post(0, POSTER, draw(st.sampled_from(TEXTS)))]
    count = draw(st.integers(min_value=1, max_value=12))
    for i in range(count):
        minute = 1 + i  # distinct Slack timestamps, as Slack gives
        user = draw(st.sampled_from(PEOPLE))
        if draw(st.booleans()):
            events.append(reply(minute, 0, user, draw(st.sampled_from(TEXTS))))
        else:
            name = draw(st.sampled_from(["eyes", "white_check_mark", "bug"]))
            on = draw(st.sampled_from([0, *range(1, minute)]))
            events.append(react(minute, on, user, name, added=draw(st.booleans())))
    return events


def fresh(store: Store) -> Harness:
    with store.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return harness(store)


def deliver(h: Harness, event: Event) -> None:
    if isinstance(event, InboundMessage):
        h.service.handle_message(event, at(100))
    else:
        h.service.handle_reaction(event, at(100))


def claims(h: Harness) -> list[Claim]:
    with h.service.store.transaction() as tx:
        row = tx.thread(CHANNEL, ROOT)
        return [] if row is None else load_state(tx, row, h.service.policy).claims


def stored(h: Harness) -> tuple[object, ...]:
    with h.service.store.transaction() as tx:
        row = tx.thread(CHANNEL, ROOT)
        assert row is not None
        return (
            row.level,
            row.poster,
            row.root_text,
            row.first_response_at,
            row.assignee,
            tuple(sorted(row.watcher_list)),
            row.resolved_at,
            row.resolved_by,
            row.next_checkin_at,
            row.next_due_at,
            len(tx.events(row)),
        )


def order_free(state: tuple[object, ...]) -> tuple[object, ...]:
    """What does not depend on who holds the thread: level, poster, text, first response."""
    return state[:4]


@pytest.fixture(scope="module")
def sqlite_store() -> Iterator[Store]:
    with TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'property.db'}")
        store.migrate()
        yield store
        store.dispose()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=thread_events(), data=st.data())
def test_any_delivery_keeps_what_was_said_and_redeliveries_change_nothing(
    sqlite_store: Store, events: list[Event], data: st.DataObject
) -> None:
    h = fresh(sqlite_store)
    for event in events:
        deliver(h, event)
    ordered = stored(h)

    h = fresh(sqlite_store)
    delivered = list(data.draw(st.permutations(events), label="delivery order"))
    history: list[list[Claim]] = [[]]
    for event in delivered:
        said_before = len(h.said)
        deliver(h, event)
        now = claims(h)
        before = history[-1]
        # claims are only ever added (or the last one let go): none is taken back
        assert [(c.user, c.at) for c in now[: len(before)]] == [(c.user, c.at) for c in before]
        kept = max(len(before) - 1, 0)  # the last claim may have been let go since
        assert [c.released_at for c in now[:kept]] == [c.released_at for c in before[:kept]]
        history.append(now)
        holder = now[-1].user if now and now[-1].released_at is None else None
        for effect in h.said[said_before:]:
            if effect.template in ("claimed", "handed_off", "eta", "checkin"):
                assert effect.data["assignee"] == holder  # what it says is what it stores
    once = stored(h)
    assert order_free(once) == order_free(ordered)

    said = len(h.said)
    again = data.draw(st.lists(st.sampled_from(events), max_size=6), label="redelivered")
    for event in again:
        deliver(h, event)
    assert stored(h) == once
    assert len(h.said) == said
