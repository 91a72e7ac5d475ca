"""The thread as a fold over its events, with no store and no clock: claims, watchers, releases,
handoffs, resolving by ✅, ETAs, check-ins and escalation, level raises, and what falls due.
(The order of replay and what the thread is told: test_thread_order.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from thread_events import (
    DEV,
    DEV2,
    DEV3,
    POLICY,
    POSTER,
    at,
    bot,
    command,
    edit,
    post,
    react,
    recorded,
    reply,
    state,
)

from watchstander.domain.levels import Level
from watchstander.domain.thread import (
    Claim,
    Due,
    Kind,
    Policy,
    due,
    next_due,
    replay,
)

# --------------------------------------------------------------------- posts and claims


def test_an_urgent_post_waits_for_a_claim() -> None:
    s = state(post(0, text="the report is wrong"))
    assert (s.poster, s.posted_at, s.root_text) == (POSTER, at(0), "the report is wrong")
    assert (s.level, s.raised_at, s.level_changes) == (Level.URGENT, at(0), [(at(0), Level.URGENT)])
    assert s.is_open
    assert s.watched
    assert s.assignee is None
    assert s.first_response_at is None
    assert next_due(s, POLICY) == Due(Kind.CLAIM_REMINDER, at(15))
    assert due(s, POLICY, at(14.99)) is None
    assert due(s, POLICY, at(15)) == Due(Kind.CLAIM_REMINDER, at(15))


def test_a_general_post_is_not_watched() -> None:
    s = state(post(0, Level.GENERAL), reply(3, DEV))
    assert s.level is Level.GENERAL
    assert s.raised_at is None
    assert s.level_changes == []
    assert not s.watched
    assert s.assignee == DEV
    assert s.next_checkin_at is None
    # no check-in: only the quiet close of an answered question (test_general_close.py)
    assert next_due(s, POLICY) == Due(Kind.QUIET_CLOSE, at(3) + POLICY.general_close_after)
    assert due(s, POLICY, at(1000)) is None


def test_the_first_eyes_claims_and_later_ones_watch() -> None:
    s = state(post(), react(2, DEV), react(3, DEV2), react(4, DEV), react(5, DEV2, on=1))
    assert (s.assignee, s.claimed_at, s.claims) == (DEV, at(2), [Claim(DEV, at(2))])
    assert (s.last_update_at, s.unanswered) == (at(2), 0)  # the claim counts as an answer
    assert s.watchers == [DEV2]  # once, though it reacted twice
    assert s.first_response_at == at(2)
    assert s.next_checkin_at == at(32)
    assert next_due(s, POLICY) == Due(Kind.CHECKIN, at(32))


def test_the_posters_own_eyes_and_replies_claim_nothing() -> None:
    s = state(post(), react(1, POSTER), reply(2, POSTER, until=at(50)))
    assert s.assignee is None
    assert s.watchers == []
    assert s.first_response_at is None
    assert next_due(s, POLICY) == Due(Kind.CLAIM_REMINDER, at(15))


def test_a_reply_by_someone_else_claims_and_is_the_first_response() -> None:
    s = state(post(), reply(4, DEV), reply(6, DEV2))
    assert (s.assignee, s.claimed_at, s.first_response_at) == (DEV, at(4), at(4))
    assert s.watchers == []  # a reply does not make a watcher
    assert s.updates == [at(4)]
    assert s.next_checkin_at == at(34)


def test_a_reply_or_eyes_without_the_post_claim_nothing() -> None:
    s = replay(recorded(reply(1, DEV), react(2, DEV2)), POLICY)  # the post never arrived
    assert s.poster is None
    assert s.assignee is None
    assert s.first_response_at is None
    assert s.watchers == []
    assert s.claims == []


# ------------------------------------------------------------- releases and handoffs


def test_removing_the_eyes_lets_go_and_no_reminder_follows() -> None:
    s = state(post(), react(1, DEV), react(2, DEV2), react(3, DEV, added=False))
    assert s.assignee is None
    assert s.claimed_at is None
    assert s.next_checkin_at is None
    assert s.claims == [Claim(DEV, at(1), released_at=at(3))]
    assert s.watchers == [DEV2]  # a watcher does not take it over
    assert next_due(s, POLICY) is None  # it was claimed once: no "unclaimed" reminder
    watcher_gone = state(post(), react(1, DEV), react(2, DEV2), react(3, DEV2, added=False))
    assert watcher_gone.assignee == DEV
    assert watcher_gone.watchers == []


def test_unclaim_is_for_the_holder_only() -> None:
    s = state(post(), react(1, DEV), command(Kind.UNCLAIM, 2, DEV2))
    assert s.assignee == DEV
    assert s.claims == [Claim(DEV, at(1))]
    s = state(post(), react(1, DEV), command(Kind.UNCLAIM, 2, DEV), command(Kind.CLAIM, 3, DEV2))
    assert s.claims == [Claim(DEV, at(1), at(2)), Claim(DEV2, at(3))]
    assert s.assignee == DEV2
    assert s.next_checkin_at == at(33)


def test_a_claim_command_takes_only_a_free_thread() -> None:
    s = state(post(), command(Kind.CLAIM, 1, DEV), command(Kind.CLAIM, 2, DEV2))
    assert s.assignee == DEV
    assert s.claims == [Claim(DEV, at(1))]


def test_a_handoff_by_the_holder_or_by_anyone_while_nobody_holds() -> None:
    passed = state(
        post(), react(1, DEV), react(2, DEV2), command(Kind.HANDOFF, 3, DEV, target=DEV2)
    )
    assert passed.assignee == DEV2
    assert passed.watchers == []
    assert passed.claims == [Claim(DEV, at(1), at(3)), Claim(DEV2, at(3))]
    assert passed.next_checkin_at == at(33)
    assert passed.unanswered == 0
    refused = state(post(), react(1, DEV), command(Kind.HANDOFF, 3, DEV2, target=DEV3))
    assert refused.assignee == DEV
    assert refused.claims == [Claim(DEV, at(1))]
    free = state(post(), command(Kind.HANDOFF, 3, DEV2, target=DEV3))
    assert free.assignee == DEV3
    assert free.claims == [Claim(DEV3, at(3))]
    no_one = state(post(), react(1, DEV), command(Kind.HANDOFF, 3, DEV))  # no target
    assert no_one.assignee == DEV


# ------------------------------------------------------------------------ resolving


@pytest.mark.parametrize("who", [DEV, POSTER])
def test_a_check_mark_on_the_post_by_the_assignee_or_the_poster_resolves(who: str) -> None:
    s = state(post(), react(1, DEV), react(5, who, "white_check_mark"))
    assert (s.resolved_at, s.resolved_by, s.resolved_by_reaction) == (at(5), who, True)
    assert not s.is_open
    assert not s.watched
    assert s.next_checkin_at is None
    assert s.claims == [Claim(DEV, at(1), released_at=at(5))]
    assert next_due(s, POLICY) is None
    assert due(s, POLICY, at(1000)) is None


def test_a_check_mark_by_anyone_else_or_on_a_reply_does_not_resolve() -> None:
    s = state(
        post(),
        react(1, DEV),
        reply(2, DEV),
        react(3, DEV2, "white_check_mark"),  # a watcher's
        react(4, DEV, "white_check_mark", on=2),  # the assignee's, on a reply
    )
    assert s.is_open
    assert s.resolved_by is None


def test_taking_back_the_check_mark_reopens_only_for_who_set_it() -> None:
    reopened = state(
        post(),
        react(1, DEV),
        react(5, POSTER, "white_check_mark"),
        react(6, POSTER, "white_check_mark", added=False),
    )
    assert reopened.is_open
    assert reopened.resolved_by is None
    assert not reopened.resolved_by_reaction
    kept = state(
        post(),
        react(1, DEV),
        react(5, POSTER, "white_check_mark"),
        react(6, DEV, "white_check_mark", added=False),  # never set it
    )
    assert kept.resolved_at == at(5)
    assert kept.resolved_by == POSTER
    by_command = state(
        post(),
        react(1, DEV),
        command(Kind.RESOLVE, 5, DEV),
        react(6, DEV, "white_check_mark"),
        react(7, DEV, "white_check_mark", added=False),
    )
    assert by_command.resolved_at == at(5)
    assert by_command.resolve_note == "note"


def test_a_resolved_thread_takes_no_more_commands() -> None:
    s = state(
        post(),
        command(Kind.RESOLVE, 1, DEV2),
        command(Kind.CLAIM, 2, DEV),
        command(Kind.HANDOFF, 3, DEV2, target=DEV3),
        react(4, DEV),
    )
    assert s.resolved_by == DEV2
    assert s.assignee is None
    assert s.claims == []
    assert s.first_response_at == at(4)  # an answer still counts as one


# ------------------------------------------------------------- ETAs and check-ins


def test_an_eta_from_the_assignee_moves_the_next_check_in() -> None:
    s = state(post(), react(1, DEV), reply(5, DEV, until=at(50)))
    assert s.next_checkin_at == at(50)
    assert s.updates == [at(5)]
    assert s.last_update_at == at(5)
    s = state(post(), react(1, DEV), command(Kind.ETA, 5, DEV, until=at(65)))
    assert s.next_checkin_at == at(65)
    ignored = state(post(), react(1, DEV), command(Kind.ETA, 5, DEV2, until=at(65)))
    assert ignored.next_checkin_at == at(31)
    assert ignored.updates == []
    plain = state(post(), react(1, DEV), reply(12, DEV))  # any answer restarts the clock
    assert plain.next_checkin_at == at(42)


def test_unanswered_check_ins_escalate_once_then_go_on() -> None:
    events = [post(), react(1, DEV), bot(Kind.CHECKIN, 31)]
    s = state(*events)
    assert (s.unanswered, s.next_checkin_at) == (1, at(61))
    assert next_due(s, POLICY) == Due(Kind.CHECKIN, at(61))
    events.append(bot(Kind.CHECKIN, 61))
    s = state(*events)
    assert s.unanswered == 2
    assert next_due(s, POLICY) == Due(Kind.ESCALATION, at(91))
    events.append(bot(Kind.ESCALATION, 91))
    s = state(*events)
    assert (s.unanswered, s.escalated) == (3, True)
    assert next_due(s, POLICY) == Due(Kind.CHECKIN, at(121))  # escalated once
    assert s.bot_actions == [
        (at(31), Kind.CHECKIN),
        (at(61), Kind.CHECKIN),
        (at(91), Kind.ESCALATION),
    ]
    events.append(bot(Kind.CHECKIN, 121))
    s = state(*events)
    assert (s.unanswered, s.escalated) == (4, True)
    assert next_due(s, POLICY) == Due(Kind.CHECKIN, at(151))  # not a second escalation
    events.append(reply(125, DEV, until=at(150)))
    s = state(*events)
    assert (s.unanswered, s.escalated, s.next_checkin_at) == (0, False, at(150))


def test_a_check_in_of_a_thread_nobody_holds_counts_nothing() -> None:
    s = state(post(), react(1, DEV), react(2, DEV, added=False), bot(Kind.CHECKIN, 31))
    assert s.unanswered == 0
    assert s.next_checkin_at is None


def test_the_unclaimed_reminder_then_the_breach() -> None:
    reminded = state(post(), bot(Kind.CLAIM_REMINDER, 15))
    assert reminded.claim_reminded
    assert not reminded.breached
    assert next_due(reminded, POLICY) == Due(Kind.BREACH, at(60))
    assert due(reminded, POLICY, at(59)) is None
    breached = state(post(), bot(Kind.CLAIM_REMINDER, 15), bot(Kind.BREACH, 60))
    assert breached.breached
    assert next_due(breached, POLICY) is None
    late = state(post(), bot(Kind.CLAIM_REMINDER, 15), bot(Kind.BREACH, 60), react(70, DEV))
    assert late.assignee == DEV
    assert next_due(late, POLICY) == Due(Kind.CHECKIN, at(100))


def test_a_custom_policy() -> None:
    quick = Policy(
        update_interval=timedelta(minutes=5),
        emergency_update_interval=timedelta(minutes=2),
        claim_target=timedelta(minutes=1),
        response_target=timedelta(minutes=3),
    )
    s = replay(recorded(post()), quick)
    assert next_due(s, quick) == Due(Kind.CLAIM_REMINDER, at(1))
    s = replay(recorded(post(), react(1, DEV)), quick)
    assert s.next_checkin_at == at(6)
    s = replay(recorded(post(level=Level.EMERGENCY), react(1, DEV)), quick)
    assert s.next_checkin_at == at(3)


# --------------------------------------------------------------------------- levels


def test_a_raise_to_emergency_brings_the_check_in_forward() -> None:
    s = state(post(), react(1, DEV), reply(5, POSTER, Level.EMERGENCY))
    assert s.level is Level.EMERGENCY
    assert s.raised_at == at(0)
    assert s.level_changes == [(at(0), Level.URGENT), (at(5), Level.EMERGENCY)]
    assert s.next_checkin_at == at(20)  # 15 minutes from the raise, before the 31 it was


def test_a_raise_recorded_late_counts_from_the_last_answer() -> None:
    # the poster's @devs (ts 5) reached the bot after Dave's update (ts 10): it is replayed
    # after the update, and the emergency interval runs from the update, not from ts 5
    late = [post(), react(1, DEV), reply(10, DEV), reply(5, POSTER, Level.EMERGENCY)]
    s = state(*late)
    assert s.level is Level.EMERGENCY
    assert s.next_checkin_at == at(25)
    claim_only = state(post(), react(10, DEV), reply(5, POSTER, Level.EMERGENCY))
    assert claim_only.next_checkin_at == at(25)  # from the claim (ts 10)


def test_a_raise_never_puts_the_check_in_later() -> None:
    s = state(post(), react(1, DEV), reply(5, DEV, until=at(8)), reply(6, POSTER, Level.EMERGENCY))
    assert s.next_checkin_at == at(8)


def test_an_edit_raises_the_level_and_nothing_lowers_it() -> None:
    s = state(post(0, Level.GENERAL, "numbers look odd"), reply(2, DEV))
    assert s.assignee == DEV
    assert s.next_checkin_at is None
    s = state(
        post(0, Level.GENERAL, "numbers look odd"),
        reply(2, DEV),
        edit(4, "numbers look odd @oncall", Level.URGENT),
        edit(6, "never mind", Level.GENERAL),
    )
    assert s.level is Level.URGENT
    assert s.raised_at == at(4)
    assert s.root_text == "never mind"
    assert s.next_checkin_at == at(34)  # the assignee now owes check-ins, from the raise
    assert s.level_changes == [(at(4), Level.URGENT)]


def test_an_edit_of_a_reply_does_not_change_the_post() -> None:
    s = state(post(0, text="original"), edit(3, "a reply, edited", Level.GENERAL, on_root=False))
    assert s.root_text == "original"
