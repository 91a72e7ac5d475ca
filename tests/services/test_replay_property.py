"""Shuffled and duplicated deliveries of a thread's events end in the ordered state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from triage_helpers import at, harness, post, react, reply

from watchstander.services.inbound import InboundMessage, InboundReaction
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


ROOT = post(0, POSTER, "").ts


def final_state(store: Store, events: list[Event]) -> tuple[object, ...]:
    """Deliver ``events`` in this order to a fresh database; the thread's stored state."""
    with store.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    h = harness(store)
    for event in events:
        if isinstance(event, InboundMessage):
            h.service.handle_message(event, at(100))
        else:
            h.service.handle_reaction(event, at(100))
    with store.transaction() as tx:
        row = tx.thread("C0SUPPORT", ROOT)
        assert row is not None
        return (
            row.level,
            row.poster,
            row.assignee,
            tuple(sorted(row.watcher_list)),
            row.resolved_at,
            row.resolved_by,
            row.next_checkin_at,
            row.first_response_at,
            row.next_due_at,
            len(tx.events(row)),
        )


@pytest.fixture(scope="module")
def sqlite_store() -> Iterator[Store]:
    with TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'property.db'}")
        store.migrate()
        yield store
        store.dispose()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=thread_events(), data=st.data())
def test_shuffled_and_duplicated_deliveries_match_ordered(
    sqlite_store: Store, events: list[Event], data: st.DataObject
) -> None:
    ordered = final_state(sqlite_store, events)
    again = data.draw(st.lists(st.sampled_from(events), max_size=6), label="redelivered")
    delivered = data.draw(st.permutations(events + again), label="delivery order")
    assert final_state(sqlite_store, list(delivered)) == ordered
