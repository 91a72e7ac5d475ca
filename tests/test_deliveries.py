"""Slack's deliveries of an event, counted once: a redelivery of an event handled is acked at
once; one of an event being handled is acked with it once it is handled, and never when it
could not be taken (the database was away): Slack's next retry is then handled."""

from __future__ import annotations

from watchstander_errbot.deliveries import Deliveries


def test_a_redelivery_of_a_handled_event_is_acked_at_once_and_not_handled() -> None:
    deliveries, acks = Deliveries(), []
    assert deliveries.take("Ev1", lambda: acks.append("first")) == "new"
    assert acks == []  # the caller acks once it is handled
    assert deliveries.handled("Ev1") == []
    assert deliveries.take("Ev1", lambda: acks.append("again")) == "handled"
    assert acks == ["again"]


def test_a_redelivery_while_it_is_handled_is_acked_with_it() -> None:
    deliveries, acks = Deliveries(), []
    assert deliveries.take("Ev1", lambda: acks.append("first")) == "new"
    assert deliveries.take("Ev1", lambda: acks.append("retry 1")) == "handling"
    assert deliveries.take("Ev1", lambda: acks.append("retry 2")) == "handling"
    assert acks == []  # not yet: the first may still fail
    for ack in deliveries.handled("Ev1"):
        ack()
    assert acks == ["retry 1", "retry 2"]
    assert deliveries.take("Ev1", lambda: acks.append("late")) == "handled"
    assert acks[-1] == "late"


def test_an_event_not_taken_acks_none_of_its_deliveries_and_the_next_retry_is_handled() -> None:
    deliveries, acks = Deliveries(), []
    assert deliveries.take("Ev1", lambda: acks.append("first")) == "new"
    assert deliveries.take("Ev1", lambda: acks.append("retry")) == "handling"
    assert deliveries.refused("Ev1") == 1
    assert acks == []
    assert deliveries.take("Ev1", lambda: acks.append("next retry")) == "new"
    assert deliveries.handled("Ev1") == []
    assert acks == []


def test_only_recent_events_are_remembered() -> None:
    deliveries = Deliveries(remembered=2)
    for event in ("Ev1", "Ev2", "Ev3"):
        assert deliveries.take(event, lambda: None) == "new"
        deliveries.handled(event)
    assert deliveries.take("Ev3", lambda: None) == "handled"
    assert deliveries.take("Ev1", lambda: None) == "new"  # forgotten: handled again
