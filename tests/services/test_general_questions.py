"""An answered general question closes quietly after GENERAL_CLOSE_AFTER with no new message
or reaction, on the service's own clock (passed in): no message, the timer from the stored
``next_due_at`` (so a restart loses nothing), a new reply reopens it."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from triage_helpers import CHANNEL, at, harness, post, react, reply, ts

from watchstander.render import Renderer, SlackVoice
from watchstander.services.effects import CommandContext
from watchstander.store import Store
from watchstander.store.engine import MIGRATIONS

POSTER, DEV = "U0CAROL", "U0DAVE"
QUESTION = "where is the export button?"
QUIET = timedelta(days=3).total_seconds() / 60  # minutes


def listed(store: Store, now_minutes: float) -> list[str]:
    threads = harness(store).commands.list_threads("open", POSTER, at(now_minutes))["threads"]
    return [t["root_ts"] for t in threads]


def test_an_answered_question_closes_quietly_once_and_leaves_the_list(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, QUESTION), at(0))
    h.service.handle_message(reply(5, 0, DEV, "top right, under Share"), at(5))
    h.service.handle_reaction(react(7, 5, POSTER, "pray"), at(7))
    assert h.timers.due[(CHANNEL, ts(0))] == at(7 + QUIET)  # quiet since the reaction
    assert h.service.run_due(at(7 + QUIET - 1)) == 0
    assert listed(store, 7 + QUIET - 1) == [ts(0)]
    assert h.service.run_due(at(7 + QUIET)) == 1
    assert h.said == []  # closed without a word
    assert h.service.on_timer(CHANNEL, ts(0), at(7 + QUIET)) == []  # the same job again
    assert listed(store, 8 + QUIET) == []
    info = h.commands.thread_info(CommandContext(CHANNEL, POSTER, ts(9), ts(0)), at(8 + QUIET))
    assert info["resolved"] is not None
    assert info["resolved_by"] is None
    assert info["quietly"] is True
    said = Renderer(SlackVoice()).render("thread", info)
    assert "(answered, then quiet for 3d: closed by itself)" in said
    assert h.service.earliest_due() is None
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
        assert thread is not None
        assert (thread.resolved_at, thread.first_response_at) == (at(7), at(5))
        assert [a.kind for a in tx.actions(thread)] == ["quiet_close"]


def test_the_timer_survives_a_restart(store: Store) -> None:
    before = harness(store)
    before.service.handle_message(post(0, POSTER, QUESTION), at(0))
    before.service.handle_message(reply(5, 0, DEV, "top right"), at(5))
    after = harness(store)  # a new process: nothing in memory, the database holds the time
    assert after.service.earliest_due() == at(5 + QUIET)
    assert after.service.run_due(at(5 + QUIET + 60)) == 1
    assert listed(store, 6 + QUIET + 60) == []


def test_a_new_reply_reopens_it_and_it_closes_again_after_another_quiet_period(
    store: Store,
) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, QUESTION), at(0))
    h.service.handle_message(reply(5, 0, DEV, "top right"), at(5))
    h.service.run_due(at(5 + QUIET))
    assert listed(store, 6 + QUIET) == []
    h.service.handle_message(reply(10 + QUIET, 0, POSTER, "it is gone again"), at(10 + QUIET))
    assert listed(store, 11 + QUIET) == [ts(0)]
    assert h.timers.due[(CHANNEL, ts(0))] == at(10 + 2 * QUIET)
    assert h.service.run_due(at(10 + 2 * QUIET)) == 1
    assert listed(store, 11 + 2 * QUIET) == []
    assert h.said == []


def test_an_unanswered_question_stays_open(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, QUESTION), at(0))
    h.service.handle_message(reply(5, 0, POSTER, "anyone?"), at(5))
    h.service.handle_reaction(react(6, 0, DEV, "eyes"), at(6))  # claimed, not answered
    assert h.service.earliest_due() is None
    assert h.service.run_due(at(10 * QUIET)) == 0
    assert listed(store, 10 * QUIET) == [ts(0)]


def test_the_setting_sets_the_quiet_period(store: Store) -> None:
    h = harness(store, GENERAL_CLOSE_AFTER="2h")
    h.service.handle_message(post(0, POSTER, QUESTION), at(0))
    h.service.handle_message(reply(5, 0, DEV, "top right"), at(5))
    assert h.service.earliest_due() == at(125)


def test_questions_answered_before_the_upgrade_are_looked_at_once(tmp_path: Path) -> None:
    """A database from before 0009: its answered general questions had no due time; after
    the upgrade (0009 run on such rows) the timer closes the quiet one and gives the recent
    one its true time. The rows are made by today's code, then put back as 0008 left them."""
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        store.migrate()
        h = harness(store)
        for root, answered in ((0, 5), (6000, 6005)):
            h.service.handle_message(post(root, POSTER, QUESTION), at(root))
            h.service.handle_message(reply(answered, root, DEV, "top right"), at(answered))
        h.service.handle_message(post(7000, POSTER, "unanswered"), at(7000))
        with store.transaction() as tx:  # as the code before 0009 stored them
            for root in (0, 6000):
                thread = tx.thread(CHANNEL, ts(root))
                assert thread is not None
                tx.save_thread(thread, {"next_due_at": None, "next_due_kind": None})
        upgrade_0009(store)
        assert h.service.earliest_due() is not None
        assert h.service.run_due(at(6010)) == 2
        assert listed(store, 6010) == [ts(6000), ts(7000)]
        assert h.service.earliest_due() == at(6005 + QUIET)
        assert h.said == []
    finally:
        store.dispose()


def upgrade_0009(store: Store) -> None:
    """Run migration 0009's upgrade on the database as it stands."""
    path = MIGRATIONS / "versions" / "0009_general_close.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with (
        store.engine.begin() as connection,
        Operations.context(MigrationContext.configure(connection)),
    ):
        module.upgrade()
