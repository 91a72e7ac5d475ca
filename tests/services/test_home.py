"""A person's Home on a real database (SQLite, and PostgreSQL when set), with a passed clock:
the open threads they posted or hold, who is on call and the next handoff in TIMEZONE, and a
burst of openings shown once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from triage_helpers import CHANNEL, ONCALL, SECONDARY, Harness, at, harness, post, react, ts

from watchstander.services.effects import ChatError
from watchstander.services.home import Home, HomeService
from watchstander.services.oncall import OnCall
from watchstander.services.rotation import RotationService
from watchstander.settings import Settings
from watchstander.store import Store

POSTER, DEV, OTHER = "U0CAROL", "U0DAVE", "U0ERIN"
URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"
SETTINGS = Settings.from_env(
    {"ROTATION_ADMINS": f"{ONCALL},{SECONDARY}", "TIMEZONE": "Europe/Amsterdam"}
)


class Shown:
    """A Home port that records what it was given (or refuses, as a platform can)."""

    def __init__(self, refuse: bool = False) -> None:
        self.homes: list[tuple[str, Home]] = []
        self.refuse = refuse

    def show(self, user: str, home: Home) -> None:
        if self.refuse:
            raise ChatError("Slack did not show the Home tab (not_enabled)")
        self.homes.append((user, home))


def link(channel: str, root_ts: str) -> str:
    return f"https://sandbox.slack.com/archives/{channel}/p{root_ts.replace('.', '')}"


def service(store: Store, port: Shown | None = None) -> HomeService:
    fixed = OnCall(ONCALL, SECONDARY, at(60 * 24), OTHER)
    return HomeService(store, SETTINGS, lambda now: fixed, link=link, port=port)


def threads(h: Harness) -> None:
    """Carol's urgent thread, claimed by Dave; Carol's general question; Erin's urgent
    thread, claimed by Carol; Erin's general one; Dave's resolved one."""
    h.service.handle_message(post(0, POSTER, URGENT), at(0))
    h.service.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    h.service.handle_message(post(5, POSTER, "how do I export a CSV?"), at(5))
    h.service.handle_message(post(10, OTHER, URGENT + " again"), at(10))
    h.service.handle_reaction(react(11, 10, POSTER, "eyes"), at(11))
    h.service.handle_message(post(20, OTHER, "a general question of Erin's"), at(20))
    h.service.handle_message(post(30, DEV, "mine, soon resolved"), at(30))
    h.service.handle_reaction(react(31, 30, DEV, "white_check_mark"), at(31))


def test_a_home_lists_the_threads_a_person_posted_or_holds(store: Store) -> None:
    threads(harness(store))
    home = service(store).home(POSTER, at(25))
    assert [(t.level, t.posted, t.assignee) for t in home.threads] == [
        ("urgent", True, DEV),  # the loudest, then the oldest first
        ("urgent", False, POSTER),
        ("general", True, None),
    ]
    first = home.threads[0]
    assert first.link == link(CHANNEL, ts(0))
    assert first.summary.startswith("@\u2060oncall the revenue report")  # no mention left
    assert first.age == "25m"
    assert first.next_checkin == "Tue 10:32 (in 7m)"  # claimed at 2 + 30m, in Amsterdam
    assert home.threads[2].next_checkin is None  # no check-ins on a general thread
    assert home.more == 0
    assert (home.on_call, home.backup, home.next_person) == (ONCALL, SECONDARY, OTHER)
    assert home.handoff == "Wed 25 Nov 10:00 Europe/Amsterdam (in 23h35m)"
    assert home.drawn == "Tue 24 Nov 10:25 Europe/Amsterdam"

    late = service(store).home(DEV, at(45))
    assert [t.summary[-3:] for t in late.threads] == ["out"]  # his resolved one is gone
    assert late.threads[0].next_checkin == "Tue 10:32 (13m late)"


def test_a_person_with_no_threads_and_no_rotation(store: Store) -> None:
    threads(harness(store))
    lonely = Settings.from_env({"TIMEZONE": "Europe/Amsterdam"})
    rotation = RotationService(store, lonely)
    home = HomeService(store, lonely, rotation, link=link).home("U0NOBODY", at(40))
    assert (home.threads, home.more) == ((), 0)
    assert (home.on_call, home.next_person, home.handoff) == (None, None, None)


def test_a_kept_rotation_says_who_is_next_and_when(store: Store) -> None:
    rotation = RotationService(store, SETTINGS)
    rotation.set_rotation(ONCALL, f"<@{DEV}> <@{OTHER}> every 1w handoff mon 10:00", at(0))
    home = HomeService(store, SETTINGS, rotation, link=link).home(POSTER, at(1))
    assert (home.on_call, home.next_person) == (DEV, OTHER)
    assert home.handoff == "Mon 30 Nov 10:00 Europe/Amsterdam (in 5d23h)"


def test_more_threads_than_a_home_holds_are_counted(store: Store) -> None:
    h = harness(store)
    for n in range(103):
        h.service.handle_message(post(n, POSTER, f"question {n}"), at(n))
    home = service(store).home(POSTER, at(200))
    assert len(home.threads) == 100
    assert home.more == 3
    assert home.threads[0].summary == "question 0"


@pytest.mark.parametrize("gap", [0.0, 1.0, 4.9])
def test_a_burst_of_openings_is_shown_once(store: Store, gap: float) -> None:
    threads(harness(store))
    shown = Shown()
    home = service(store, shown)
    now = at(40)
    assert home.opened(POSTER, now)
    assert home.opened(POSTER, now + timedelta(seconds=gap))
    assert home.opened(DEV, now + timedelta(seconds=gap))  # another person: shown
    assert [user for user, _ in shown.homes] == [POSTER, DEV]
    assert home.opened(POSTER, now + timedelta(seconds=5))  # a few seconds on: again
    assert [user for user, _ in shown.homes] == [POSTER, DEV, POSTER]


def test_a_refused_home_is_tried_again_at_the_next_opening(store: Store) -> None:
    shown = Shown(refuse=True)
    home = service(store, shown)
    now: datetime = at(40)
    assert home.opened(POSTER, now)  # said in the log, nothing raised
    shown.refuse = False
    assert home.opened(POSTER, now + timedelta(seconds=1))
    assert len(shown.homes) == 1


def test_no_home_on_a_platform_without_one(store: Store) -> None:
    assert service(store).opened(POSTER, at(0)) is False
