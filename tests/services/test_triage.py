"""The triage service on a real database: levels, claims, check-ins, commands, bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from triage_helpers import (
    CHANNEL,
    ONCALL,
    SECONDARY,
    at,
    edit,
    harness,
    post,
    react,
    reply,
    ts,
)

from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import CommandContext, CommandError
from watchstander.services.inbound import ts_to_datetime
from watchstander.store import Store

URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"
POSTER, DEV, DEV2 = "U0CAROL", "U0DAVE", "U0ERIN"


def ctx(user: str, minutes: float, root: float | None = 0) -> CommandContext:
    return CommandContext(CHANNEL, user, ts(minutes), None if root is None else ts(root))


def test_general_post_is_recorded_silently(store: Store) -> None:
    h = harness(store)
    assert h.service.handle_message(post(0, POSTER, "where is the export button?"), at(0))
    assert h.said == []
    assert h.timers.due == {}
    info = h.commands.thread_info(ctx(POSTER, 1), at(1))
    assert info["level"] == "general"
    assert info["poster"] == POSTER


def test_urgent_post_gets_one_announcement_naming_oncall(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    assert h.templates() == ["announce"]
    effect = h.said[0]
    assert effect.thread_ts == ts(0)
    assert effect.data["oncall"] == ONCALL
    assert h.timers.due[(CHANNEL, ts(0))] == at(15)  # claim target


def test_duplicate_delivery_changes_nothing(store: Store) -> None:
    h = harness(store)
    assert h.service.handle_message(post(0, POSTER, URGENT), at(0))
    assert not h.service.handle_message(post(0, POSTER, URGENT), at(0))
    assert h.templates() == ["announce"]


def test_eyes_claims_and_confirms_once_watchers_follow(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    h.service.handle_reaction(react(2.5, 0, DEV2, "eyes"), at(2.5))
    h.service.handle_reaction(react(2, 0, DEV, "eyes"), at(3))  # redelivered
    assert h.templates() == ["announce", "claimed"]
    info = h.commands.thread_info(ctx(POSTER, 4), at(4))
    assert info["assignee"] == DEV
    assert info["watchers"] == [DEV2]
    assert h.timers.due[(CHANNEL, ts(0))] == at(32)  # claimed at 2 + 30m


def test_a_late_eyes_with_an_earlier_ts_cannot_take_a_confirmed_claim(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(2, 0, DEV2, "eyes"), at(2))  # recorded first
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(2))  # earlier in Slack, arrives late
    assert h.templates() == ["announce", "claimed"]
    assert h.said[1].data["assignee"] == DEV2
    info = h.commands.thread_info(ctx(POSTER, 3), at(3))
    assert info["assignee"] == DEV2
    assert info["watchers"] == [DEV]
    assert info["first_response"] == h.service.clock(at(1), at(3))  # the earliest, still


def test_a_late_eyes_after_a_release_takes_the_thread(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(2, 0, DEV2, "eyes"), at(2))
    h.service.handle_reaction(react(3, 0, DEV2, "eyes", added=False), at(3))
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(4))  # sent at 1, seen after the release
    assert h.templates() == ["announce", "claimed", "released", "claimed"]
    assert h.said[-1].data["assignee"] == DEV
    assert h.commands.thread_info(ctx(POSTER, 5), at(5))["assignee"] == DEV


def test_poster_eyes_does_not_claim(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, POSTER, "eyes"), at(1))
    assert h.commands.thread_info(ctx(POSTER, 2), at(2))["assignee"] is None


def test_reply_by_someone_else_claims(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, "general question"), at(0))
    h.service.handle_message(reply(1, 0, POSTER, "more detail from me"), at(1))
    h.service.handle_message(reply(3, 0, DEV, "looking"), at(3))
    assert h.said == []  # general claims are silent
    assert h.commands.thread_info(ctx(POSTER, 4), at(4))["assignee"] == DEV


def test_checkins_commitments_and_escalation(store: Store) -> None:
    h = harness(store)
    key = (CHANNEL, ts(0))
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(1))
    h.service.handle_message(reply(5, 0, DEV, "need 45 minutes to dig in"), at(5))
    assert h.templates()[-1] == "eta"
    assert h.timers.due[key] == at(50)
    assert h.service.on_timer(CHANNEL, ts(0), at(49)) == []  # not yet
    first = h.service.on_timer(CHANNEL, ts(0), at(50))
    assert [e.template for e in first] == ["checkin"]
    assert first[0].data["assignee"] == DEV
    assert h.service.on_timer(CHANNEL, ts(0), at(50)) == []  # the same job twice: once
    assert h.timers.due[key] == at(80)
    second = h.service.on_timer(CHANNEL, ts(0), at(80))
    assert [e.template for e in second] == ["checkin"]
    third = h.service.on_timer(CHANNEL, ts(0), at(110))
    assert [e.template for e in third] == ["escalation"]
    assert third[0].data["escalate_to"] == ONCALL
    # an answer restarts the clock from the reply
    h.service.handle_message(reply(112, 0, DEV, "found it, deploying a fix"), at(112))
    assert h.timers.due[key] == at(142)


def test_escalation_goes_to_secondary_when_assignee_is_oncall(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, ONCALL, "eyes"), at(1))
    for minute in (31, 61):
        h.service.on_timer(CHANNEL, ts(0), at(minute))
    escalation = h.service.on_timer(CHANNEL, ts(0), at(91))
    assert escalation[0].template == "escalation"
    assert escalation[0].data["escalate_to"] == SECONDARY


def test_unclaimed_reminder_then_breach(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    assert [e.template for e in h.service.on_timer(CHANNEL, ts(0), at(15))] == ["claim_reminder"]
    assert h.timers.due[(CHANNEL, ts(0))] == at(60)
    assert [e.template for e in h.service.on_timer(CHANNEL, ts(0), at(61))] == ["breach"]
    assert h.commands.list_threads("breached", POSTER, at(62))["threads"][0]["breached"]
    assert (CHANNEL, ts(0)) not in h.timers.due


def test_bot_down_for_hours_catches_up_once_each(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    taken = h.service.on_timer(CHANNEL, ts(0), at(300))
    assert [e.template for e in taken] == ["claim_reminder", "breach"]


def test_edit_adding_oncall_raises_once(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, "numbers look odd"), at(0))
    h.service.handle_message(edit(1, 0, POSTER, "numbers look odd " + URGENT), at(1))
    h.service.handle_message(edit(1, 0, POSTER, "numbers look odd " + URGENT), at(1))
    h.service.handle_message(edit(2, 0, POSTER, "numbers look odd, @oncall pls"), at(2))
    assert h.templates() == ["announce"]
    # removing the tag again never lowers the level
    h.service.handle_message(edit(3, 0, POSTER, "never mind"), at(3))
    assert h.commands.thread_info(ctx(POSTER, 4), at(4))["level"] == "urgent"


def test_reply_with_emergency_tag_raises_to_emergency(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(1))
    h.service.handle_message(reply(2, 0, POSTER, "<!subteam^S0DEVS|@devs> now it is down"), at(2))
    assert h.templates() == ["announce", "claimed", "announce"]
    assert h.said[-1].data["emergency"]
    assert h.timers.due[(CHANNEL, ts(0))] == at(17)  # emergency interval from the raise


def test_commands_in_a_thread(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.commands.claim(ctx(DEV, 1), at(1))
    with pytest.raises(CommandError, match="has this thread"):
        h.commands.claim(ctx(DEV2, 2), at(2))
    h.commands.eta(ctx(DEV, 3), "1h", at(3))
    assert h.timers.due[(CHANNEL, ts(0))] == at(63)
    h.commands.handoff(ctx(DEV, 4), f"<@{DEV2}>", at(4))
    assert h.commands.thread_info(ctx(POSTER, 5), at(5))["assignee"] == DEV2
    with pytest.raises(CommandError, match="do not hold"):
        h.commands.unclaim(ctx(DEV, 6), at(6))
    h.commands.unclaim(ctx(DEV2, 7), at(7))
    h.commands.claim(ctx(DEV, 8), at(8))
    h.commands.resolve(ctx(DEV, 9), "restarted the worker", at(9))
    assert h.templates() == [
        "announce",
        "claimed",
        "eta",
        "handed_off",
        "released",
        "claimed",
        "resolved",
    ]
    assert h.said[-1].data["note"] == "restarted the worker"
    assert (CHANNEL, ts(0)) not in h.timers.due
    with pytest.raises(CommandError, match="resolved already"):
        h.commands.claim(ctx(DEV2, 10), at(10))


def test_resolve_with_check_mark_by_poster(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(1))
    h.service.handle_reaction(react(2, 0, DEV2, "white_check_mark"), at(2))  # not theirs to close
    assert h.commands.thread_info(ctx(POSTER, 3), at(3))["resolved"] is None
    h.service.handle_reaction(react(4, 0, POSTER, "white_check_mark"), at(4))
    assert h.templates()[-1] == "resolved"


def test_removing_eyes_releases(store: Store) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(1, 0, DEV, "eyes"), at(1))
    h.service.handle_reaction(react(2, 0, DEV, "eyes", added=False), at(2))
    assert h.templates() == ["announce", "claimed", "released"]
    # a removal of a reaction that was never added changes nothing
    assert h.service.handle_reaction(react(3, 0, DEV2, "eyes", added=False), at(3))
    assert h.templates() == ["announce", "claimed", "released"]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: s.claim(ctx(DEV, 1, root=None), at(1)), "inside a #support thread"),
        (lambda s: s.eta(ctx(DEV, 1), "whenever", at(1)), "neither a duration nor a time"),
        (lambda s: s.eta(ctx(DEV, 1), "45m", at(1)), "Only the assignee"),
        (lambda s: s.handoff(ctx(DEV, 1), "bob", at(1)), "not a person I know"),
        (lambda s: s.list_threads("everything", DEV, at(1)), "not a list I keep"),
        (lambda s: s.claim(ctx(DEV, 1, root=99), at(1)), "not seen this thread"),
    ],
)
def test_bad_commands_get_one_line_and_change_nothing(
    store: Store, call: Callable[[ThreadCommands], object], match: str
) -> None:
    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    before = h.commands.thread_info(ctx(POSTER, 0.5), at(0.5))
    with pytest.raises(CommandError, match=match) as error:
        call(h.commands)
    assert "\n" not in str(error.value)
    assert h.commands.thread_info(ctx(POSTER, 0.5), at(0.5)) == before
    assert h.templates() == ["announce"]


def test_out_of_order_reply_and_reaction_before_root(store: Store) -> None:
    h = harness(store)
    h.service.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    h.service.handle_message(reply(3, 0, DEV, "on it"), at(3))
    h.service.handle_message(post(0, POSTER, URGENT), at(4))
    info = h.commands.thread_info(ctx(POSTER, 5), at(5))
    assert info["assignee"] == DEV
    assert info["poster"] == POSTER
    assert info["level"] == "urgent"


def test_huge_and_odd_posts_are_stored_whole(store: Store) -> None:
    h = harness(store)
    text = "ʕ•ᴥ•ʔ \u202e" + "x" * 39_000 + " <!subteam^S0ONCALL|@oncall>"
    h.service.handle_message(post(0, POSTER, text), at(0))
    assert h.templates() == ["announce"]
    with store.transaction() as tx:
        row = tx.thread(CHANNEL, ts(0))
        assert row is not None
        assert row.root_text == text


def test_other_channels_and_bots_are_ignored(store: Store) -> None:
    h = harness(store)
    from watchstander.services.inbound import InboundMessage

    assert not h.service.handle_message(
        InboundMessage("C0OTHER", ts(0), None, POSTER, URGENT), at(0)
    )
    bot = InboundMessage(CHANNEL, ts(1), None, "UBOT0001", URGENT, from_bot=True)
    assert not h.service.handle_message(bot, at(1))
    assert h.said == []


def test_concurrent_claims_end_with_one_assignee(store: Store) -> None:
    import threading

    h = harness(store)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    people = [f"U0P{i:03d}" for i in range(8)]
    barrier = threading.Barrier(len(people))

    def claim(i: int, user: str) -> None:
        barrier.wait()
        h.service.handle_reaction(react(1 + i / 1000, 0, user, "eyes"), at(1.5))

    workers = [threading.Thread(target=claim, args=(i, u)) for i, u in enumerate(people)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
        assert not w.is_alive(), "a claim hung"
    info = h.commands.thread_info(ctx(POSTER, 2), at(2))
    # the first 👀 recorded wins; the bot confirms it once and never takes it back
    confirmations = [e for e in h.said if e.template in ("claimed", "handed_off")]
    assert [e.template for e in confirmations] == ["claimed"]
    winner = confirmations[0].data["assignee"]
    assert info["assignee"] == winner
    assert sorted(info["watchers"]) == sorted(p for p in people if p != winner)
    # the check-in is due an interval after the winner's own 👀 (its Slack ts), not anyone's
    claimed_at = ts_to_datetime(ts(1 + people.index(winner) / 1000))
    assert h.timers.due[(CHANNEL, ts(0))] == claimed_at + timedelta(minutes=30)


class Workspace:
    """The chat platform's people, as the services ask for them (a fake PeoplePort)."""

    def __init__(self, *people: str) -> None:
        self.people = set(people)
        self.asked: list[str] = []

    def exists(self, user: str) -> bool:
        self.asked.append(user)
        return user in self.people


@pytest.mark.parametrize("target", ["<@U0NOPE99>", "U0NOPE99", "<@U0NOPE99|nope>"])
def test_a_handoff_to_nobody_in_the_workspace_is_refused(store: Store, target: str) -> None:
    h = harness(store)
    people = Workspace(DEV, DEV2)
    commands = ThreadCommands(h.service, people=people)
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    commands.claim(ctx(DEV, 1), at(1))
    before = commands.thread_info(ctx(POSTER, 2), at(2))
    with pytest.raises(CommandError, match="'U0NOPE99' is not a person in this workspace") as no:
        commands.handoff(ctx(DEV, 3), target, at(3))
    assert "\n" not in str(no.value)
    assert commands.thread_info(ctx(POSTER, 2), at(2)) == before
    commands.handoff(ctx(DEV, 4), f"<@{DEV2}>", at(4))
    assert commands.thread_info(ctx(POSTER, 5), at(5))["assignee"] == DEV2
    assert people.asked == ["U0NOPE99", DEV2]
