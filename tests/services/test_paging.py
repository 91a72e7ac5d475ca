"""Paging on a real database and the real PagerDuty client against the local Events API
server: an emergency is paged once, a claim acknowledges, a resolve resolves, a failure is
said in the thread with the person to call."""

from __future__ import annotations

import threading

from pagerduty_helpers import ROUTING_KEY as KEY
from pagerduty_helpers import pager_for
from triage_helpers import CHANNEL, ONCALL, at, post, react, reply, ts

from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import CommandContext, Effect
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import PageRow, Store
from watchstander_sandbox.pagerduty_server import Failure, LocalPagerDuty

EMERGENCY = "<!subteam^S0DEVS|@devs> the app is down for everyone"
URGENT = "<!subteam^S0ONCALL|@oncall> numbers look off"
POSTER, DEV = "U0CAROL", "U0DAVE"
DEDUP = f"watchstander/{CHANNEL}/{ts(0)}"
FIRST, SECOND = "host:1:first", "host:2:second"  # two processes (or a process and its restart)


def service(
    store: Store,
    pd: LocalPagerDuty | None,
    said: list[Effect],
    stopping: threading.Event | None = None,
    timeout: float = 1.0,
    taker: str = FIRST,
) -> TriageService:
    """Triage with paging, in a process named ``taker``."""
    pager = pager_for(pd, timeout=timeout) if pd is not None else None
    return TriageService(
        store,
        Settings.from_env({}),
        channel_id=CHANNEL,
        emit=lambda effect: said.append(effect),
        oncall=lambda now: OnCall(ONCALL, "U0BOB"),
        group_handles=lambda: {"S0ONCALL": "oncall", "S0DEVS": "devs"},
        pager=pager,
        link=lambda channel, root: f"https://sandbox.slack.com/archives/{channel}/p{root}",
        stopping=stopping,
        taker=taker,
    )


def test_emergency_pages_once_claim_acknowledges_resolve_resolves(
    store: Store, pd: LocalPagerDuty
) -> None:
    said: list[Effect] = []
    triage = service(store, pd, said)
    triage.handle_message(post(0, POSTER, EMERGENCY), at(0))
    triage.handle_message(post(0, POSTER, EMERGENCY), at(0))  # redelivered
    triage.handle_message(reply(1, 0, POSTER, "<!here> still down"), at(1))
    assert pd.actions(DEDUP) == ["trigger"]
    event = pd.events[0]
    assert event["payload"]["source"] == "#support"
    assert event["payload"]["summary"] == "the app is down for everyone"  # no defused @devs
    assert event["payload"]["custom_details"]["level"] == "emergency"
    assert event["links"][0]["href"].startswith("https://sandbox.slack.com/archives/")
    assert [e.template for e in said] == ["announce", "paged"]
    triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    ThreadCommands(triage).resolve(CommandContext(CHANNEL, DEV, ts(3), ts(0)), "rolled back", at(3))
    assert pd.actions(DEDUP) == ["trigger", "acknowledge", "resolve"]
    assert pd.incidents[DEDUP].status == "resolved"
    with store.transaction() as tx:
        assert tx.count(PageRow) == 1


def test_urgent_is_not_paged_until_raised_to_emergency(store: Store, pd: LocalPagerDuty) -> None:
    triage = service(store, pd, [])
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    assert pd.events == []
    triage.handle_message(reply(1, 0, POSTER, "<!subteam^S0DEVS|@devs> now it is down"), at(1))
    assert pd.actions(DEDUP) == ["trigger"]


def test_failed_page_is_said_with_the_person_to_call(store: Store, pd: LocalPagerDuty) -> None:
    said: list[Effect] = []
    triage = service(store, pd, said)
    pd.fail_next(*[Failure(503)] * 10)
    triage.handle_message(post(0, POSTER, EMERGENCY), at(0))
    failed = said[-1]
    assert failed.template == "page_failed"
    assert failed.data["oncall"] == ONCALL
    assert "503" in failed.data["error"]
    assert KEY not in failed.data["error"]
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
        assert thread is not None
        page = tx.page(thread)
        assert page is not None
        assert page.status == "failed"


def test_a_restart_mid_retry_sends_the_same_alert_again(store: Store, pd: LocalPagerDuty) -> None:
    triage = service(store, pd, [])
    pd.fail_next(*[Failure(202, delay=2.0)] * 3)  # the bot "dies" while PagerDuty is slow
    triage.handle_message(post(0, POSTER, EMERGENCY), at(0))
    with store.transaction() as tx:
        tx.set_page_status(DEDUP, "pending", "", at(0))  # as a crash would leave it
    assert service(store, pd, []).resume_pages(at(5)) == 0  # its own: left to it
    again = service(store, pd, [], taker=SECOND)
    assert again.resume_pages(at(5)) == 1
    assert set(pd.actions(DEDUP)) == {"trigger"}  # one dedup key: still one alert
    assert len(pd.incidents) == 1


def test_a_stop_lets_go_of_a_slow_page_and_the_next_start_sends_it(
    store: Store, pd: LocalPagerDuty
) -> None:
    said: list[Effect] = []
    stopping = threading.Event()
    pd.fail_next(Failure(202, delay=5.0))  # PagerDuty takes the trigger, answers late

    def stop_once_sent() -> None:
        assert pd.wait_for(lambda p: len(p.requests) == 1, 10), "no trigger was sent"
        stopping.set()  # SIGTERM

    helper = threading.Thread(target=stop_once_sent)
    helper.start()
    stopped = service(store, pd, said, stopping, timeout=30)  # it would wait, not try again
    stopped.handle_message(post(0, POSTER, EMERGENCY), at(0))
    helper.join(10)
    assert [e.template for e in said] == ["announce"]  # the page is not said yet
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
        page = tx.page(thread) if thread is not None else None
        assert page is not None
        assert page.status == "pending"
    assert service(store, pd, said, taker=SECOND).resume_pages(at(5)) == 1  # the next start
    assert [e.template for e in said] == ["announce", "paged"]
    assert pd.actions(DEDUP) == ["trigger"]
    assert service(store, pd, said, taker=SECOND).resume_pages(at(6)) == 0


def test_a_page_a_live_process_is_sending_is_left_to_it_and_taken_once_it_is_gone(
    store: Store, pd: LocalPagerDuty
) -> None:
    """Another replica, alive (its heartbeat renewed), has a trigger in flight: a start of
    this one leaves it; once that replica's heartbeat expires, two processes taking over at
    once send it once, and the digest's count says so."""
    with store.transaction() as tx:
        tx.beat(FIRST, at(0), at(3))
    pd.fail_next(Failure(202, delay=2.0))  # slow: the first process "dies" before the answer
    service(store, pd, [], timeout=0.2).handle_message(post(0, POSTER, EMERGENCY), at(0))
    with store.transaction() as tx:
        tx.set_page_status(DEDUP, "pending", "", at(0))  # as the death would leave it
    assert service(store, pd, [], taker=SECOND).resume_pages(at(2)) == 0  # alive: its own
    said: list[Effect] = []
    takers = [service(store, pd, said, taker=f"host:{n}:other") for n in (4, 5)]
    with store.transaction() as tx:  # both alive: neither takes it from the other
        for n in (4, 5):
            tx.beat(f"host:{n}:other", at(0), at(60))
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def take(triage: TriageService) -> None:
        barrier.wait()
        counts.append(triage.resume_pages(at(3)))

    workers = [threading.Thread(target=take, args=(t,)) for t in takers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive(), "a take-over hung"
    assert sorted(counts) == [0, 1]
    assert [e.template for e in said] == ["paged"]
    assert len(pd.incidents) == 1
    with store.transaction() as tx:
        assert tx.taken_over_since(None, at(3)) == {"page": 1}
        assert tx.in_flight() == {"issue": 0, "page": 0}


def test_escalation_of_an_emergency_triggers_again_with_the_same_key(
    store: Store, pd: LocalPagerDuty
) -> None:
    triage = service(store, pd, [])
    triage.handle_message(post(0, POSTER, EMERGENCY), at(0))
    triage.handle_reaction(react(1, 0, DEV, "eyes"), at(1))
    for minute in (16, 31):
        triage.on_timer(CHANNEL, ts(0), at(minute))
    triage.on_timer(CHANNEL, ts(0), at(46))
    assert pd.actions(DEDUP) == ["trigger", "acknowledge", "trigger"]
    assert pd.events[-1]["payload"]["summary"].startswith("Escalated")
    assert len(pd.incidents) == 1


def test_without_a_routing_key_the_thread_is_told_to_call(store: Store) -> None:
    said: list[Effect] = []
    service(store, None, said).handle_message(post(0, POSTER, EMERGENCY), at(0))
    assert [e.template for e in said] == ["announce"]
    assert said[0].data["paging"] is False
    assert said[0].data["emergency"]
