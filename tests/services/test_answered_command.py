"""``!answered`` in a thread: what "This answered it" does where no button is drawn (on
Mattermost), on a real database; refused in one line, changing nothing, where it cannot."""

from __future__ import annotations

import pytest
from test_suggestions import ASKER, DAY, DEV, OTHER, QUESTION, history, offered, wire
from triage_helpers import CHANNEL, at, harness, post, ts

from watchstander.services.effects import CommandContext, CommandError
from watchstander.store import Store


def said(user: str, minutes: float, root: float | None = 0) -> CommandContext:
    return CommandContext(CHANNEL, user, ts(minutes), None if root is None else ts(root))


def test_the_asker_says_an_offered_thread_answered_it_once(store: Store) -> None:
    h = harness(store)
    suggestions = wire(h.service)
    history(h)
    h.service.handle_message(post(0, ASKER, QUESTION), at(0))
    assert len(offered(h)) == 1
    with pytest.raises(CommandError, match="Only the person who asked"):
        suggestions.answered_command(said(OTHER, 1), at(1))
    with pytest.raises(CommandError, match="in the thread"):
        suggestions.answered_command(said(ASKER, 1, root=None), at(1))
    note = suggestions.answered_command(said(ASKER, 2), at(2))
    assert "Resolved" in str(note)
    with pytest.raises(CommandError, match="resolved already"):
        suggestions.answered_command(said(ASKER, 3), at(3))
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
        assert thread is not None
        assert (thread.resolved_by, thread.resolve_note) == (ASKER, "answered by an earlier thread")
        assert tx.self_served_between(at(0), at(10)) == {"thread": 1}
        assert sum(e.kind == "resolve" for e in tx.events(thread)) == 1


def test_a_thread_offered_nothing_is_not_counted_as_answered(store: Store) -> None:
    h = harness(store)
    suggestions = wire(h.service)
    history(h)
    h.service.handle_message(post(0, ASKER, "can tasks have multiple assignees?"), at(0))
    assert offered(h) == []
    with pytest.raises(CommandError, match="offered no earlier threads"):
        suggestions.answered_command(said(ASKER, 1), at(1))
    with pytest.raises(CommandError, match="not seen"):
        suggestions.answered_command(said(DEV, 1, root=7), at(1))
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
        assert thread is not None
        assert thread.resolved_at is None
        assert tx.self_served_between(at(-2 * DAY), at(10)) == {}
