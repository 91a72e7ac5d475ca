"""Reactions taken away while the bot could not see it: what a message shows now against what
its thread's record holds (the real triage service and store)."""

from __future__ import annotations

from triage_helpers import CHANNEL, at, harness, post, react, ts

from watchstander.services.reactions_now import reactions_now
from watchstander.store import Store

POSTER, DEV, DEV2 = "U0CAROL", "U0DAVE", "U0ERIN"
URGENT = "@oncall checkout is down"


def test_eyes_no_longer_shown_let_the_thread_go_once(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(1))
    h.service.handle_reaction(react(2, 0, DEV2, "tada"), at(2))
    assert h.templates() == ["announce", "claimed"]
    shown = {(DEV2, "tada")}  # the post shows this now: Dave's 👀 was taken away
    assert reactions_now(h.service, CHANNEL, ts(0), shown, ts(5), at(9)) == 1
    assert h.templates() == ["announce", "claimed", "released"]
    assert reactions_now(h.service, CHANNEL, ts(0), shown, ts(5), at(9)) == 0  # once
    assert reactions_now(h.service, CHANNEL, ts(0), shown, ts(6), at(10)) == 0
    assert h.templates() == ["announce", "claimed", "released"]


def test_what_is_still_shown_or_never_held_changes_nothing(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(1))
    h.service.handle_reaction(react(2, 0, DEV2, "eyes"), at(2))
    h.service.handle_reaction(react(3, 0, DEV2, "eyes", added=False), at(3))  # seen removed
    shown = {(DEV, "eyes"), (POSTER, "thumbsup")}
    assert reactions_now(h.service, CHANNEL, ts(0), shown, ts(5), at(9)) == 0
    assert reactions_now(h.service, CHANNEL, ts(7), set(), ts(8), at(9)) == 0  # no thread
    assert reactions_now(h.service, "C0ELSEWHERE", ts(0), set(), ts(8), at(9)) == 0
    assert h.templates() == ["announce", "claimed"]
