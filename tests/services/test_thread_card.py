"""The card: the bot's first reply in an urgent thread, updated in place as the thread
changes (claimed, a check-in moved, resolved), on a real store; a general question has none,
and a thread that changes nothing the card shows is not updated."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from pagerduty_helpers import pager_for
from sqlalchemy import text
from triage_helpers import CHANNEL, ONCALL, SECONDARY, Timers, at, post, react, reply, ts

from watchstander.render import Renderer, SlackVoice
from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import CommandContext, Effect
from watchstander.services.inbound import datetime_to_ts
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store
from watchstander_sandbox.pagerduty_server import LocalPagerDuty

DEV, POSTER = "U0DEV", "U0POSTER"
URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"


@dataclass
class Said:
    posted: list[tuple[Effect, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)  # (ts, text as rendered)
    renderer: Renderer = field(default_factory=lambda: Renderer(SlackVoice()))
    meanwhile: list[Callable[[], object]] = field(default_factory=list)  # while a post goes

    def say(self, effect: Effect) -> str:
        stamp = datetime_to_ts(at(1000 + len(self.posted)))
        self.posted.append((effect, stamp))
        while self.meanwhile:
            self.meanwhile.pop(0)()
        return stamp

    locked: list[bool] = field(default_factory=list)  # the thread's lock held at each update
    triage: TriageService | None = None

    def update(self, effect: Effect, ts: str) -> None:
        assert effect.template == "card"
        if self.triage is not None and effect.thread_ts is not None:
            stripe = hash((effect.channel, effect.thread_ts)) % len(self.triage._locks)
            self.locked.append(self.triage._locks[stripe].locked())
        self.updated.append((ts, self.renderer.render(effect.template, effect.data)))


def service(store: Store, said: Said, pd: LocalPagerDuty | None = None) -> TriageService:
    settings = Settings.from_env({"ROTATION_ADMINS": f"{ONCALL},{SECONDARY}"})
    said.triage = TriageService(
        store,
        settings,
        channel_id=CHANNEL,
        emit=said.say,
        oncall=lambda now: OnCall(ONCALL, SECONDARY),
        timers=Timers(),
        group_handles=lambda: {"S0ONCALL": "oncall", "S0DEVS": "devs"},
        update=said.update,
        pager=pager_for(pd) if pd is not None else None,
    )
    return said.triage


def test_the_first_reply_shows_who_has_it_the_next_checkin_and_the_resolution(
    store: Store,
) -> None:
    said = Said()
    triage = service(store, said)
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    ((announce, card_ts),) = said.posted
    assert announce.template == "announce"
    assert said.updated == []  # the announcement is the card as it first stands

    triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    ts_, text = said.updated[-1]
    assert ts_ == card_ts
    assert f"<@{DEV}> has this thread; next check-in 09:" in text
    assert "<@U0ALICE> is on call" in text

    before = len(said.updated)
    triage.handle_message(reply(3, 0, POSTER, "thanks, waiting"), at(3))  # nothing it shows
    assert len(said.updated) == before

    triage.handle_message(reply(5, 0, DEV, "looking, need 45 minutes"), at(5))
    assert "next check-in 09:50 UTC" in said.updated[-1][1]

    commands = ThreadCommands(triage)
    ctx = CommandContext(channel=CHANNEL, user=POSTER, ts=ts(9), thread_ts=ts(0))
    commands.resolve(ctx, "<!channel> fixed by a rerun", at(9))
    text = said.updated[-1][1]
    assert f"Resolved by <@{POSTER}>" in text
    assert "next check-in" not in text
    assert "<!channel>" not in text
    assert [e.template for e, _ in said.posted] == ["announce", "claimed", "eta", "resolved"]


def test_a_general_question_has_no_card(store: Store) -> None:
    said = Said()
    triage = service(store, said)
    triage.handle_message(post(0, POSTER, "how do I export the report?"), at(0))
    triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    triage.handle_reaction(react(4, 0, POSTER, "white_check_mark"), at(4))
    assert said.updated == []


def test_a_claim_made_while_the_announcement_was_on_its_way_reaches_the_card(
    store: Store,
) -> None:
    """👀 a moment after the post: the claim is recorded before the announcement's ts is
    kept, so the claim had no card to update; keeping the ts shows the card as it stands."""
    said = Said()
    triage = service(store, said)
    said.meanwhile.append(lambda: triage.handle_reaction(react(1, 0, DEV, "eyes"), at(1)))
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    assert [e.template for e, _ in said.posted] == ["announce", "claimed"]
    ((card_ts, text),) = said.updated
    assert card_ts == said.posted[0][1]
    assert f"<@{DEV}> has this thread" in text


def test_every_card_is_shown_holding_the_threads_lock(store: Store) -> None:
    """Read and shown under the thread's lock: two changes a moment apart can never leave
    the older one on the card (the later change waits, then shows what the store holds)."""
    said = Said()
    triage = service(store, said)
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    triage.handle_reaction(react(3, 0, POSTER, "white_check_mark"), at(3))
    assert len(said.locked) == 2
    assert all(said.locked)


def test_a_raised_level_announces_again_and_the_first_reply_stays_the_card(
    store: Store,
) -> None:
    said = Said()
    triage = service(store, said)
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    triage.handle_message(reply(1, 0, POSTER, "<!subteam^S0DEVS|@devs> now it is down"), at(1))
    (first, card_ts), (second, _) = said.posted
    assert [first.template, second.template] == ["announce", "announce"]
    assert first.controls != ()
    assert second.controls == ()  # the card keeps the controls
    ((shown_ts, text),) = said.updated
    assert shown_ts == card_ts
    assert "Emergency." in text

    triage.handle_reaction(react(4, 0, POSTER, "white_check_mark"), at(4))
    assert said.updated[-1][0] == card_ts
    assert "Resolved by" in said.updated[-1][1]


def test_the_card_says_how_the_page_went_to_the_end(store: Store, pd: LocalPagerDuty) -> None:
    said = Said()
    triage = service(store, said, pd)
    triage.handle_message(post(0, POSTER, "<!subteam^S0DEVS|@devs> the app is down"), at(0))
    assert "Page: sent to PagerDuty." in said.updated[-1][1]
    triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    assert "Page: acknowledged in PagerDuty." in said.updated[-1][1]
    triage.handle_reaction(react(3, 0, POSTER, "white_check_mark"), at(3))
    assert "Page: resolved in PagerDuty." in said.updated[-1][1]
    assert "Resolved by" in said.updated[-1][1]


@dataclass
class EndedMeanwhile(Said):
    """Each card update takes so long that the server ends the transaction holding the
    thread's lock meanwhile (as PostgreSQL does after ``IDLE_IN_TRANSACTION_S``)."""

    store: Store | None = None

    def update(self, effect: Effect, ts: str) -> None:
        super().update(effect, ts)
        assert self.store is not None
        with self.store.engine.connect() as other:
            other.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                    "current_database() AND state = 'idle in transaction' AND pid <> "
                    "pg_backend_pid()"
                )
            )


def test_a_card_shown_after_its_transaction_was_ended_is_one_line(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    if store.is_sqlite:
        pytest.skip("PostgreSQL: the server ends a transaction left idle")
    said = EndedMeanwhile(store=store)
    triage = service(store, said)
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    with caplog.at_level(logging.WARNING, logger="watchstander.services.thread_card"):
        triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))  # no error: the card is shown
    assert len(said.updated) == 1
    assert DEV in said.updated[0][1] or "<@U0DEV>" in said.updated[0][1]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert lines[0].startswith("The card of ")
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
    assert thread is not None
    assert thread.assignee == DEV  # the claim was kept before the card was shown
