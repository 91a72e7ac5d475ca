"""The rotation commands on a real database: who is on call, overrides, swaps, admins only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from watchstander.services.oncall import OnCallError
from watchstander.services.rotation import RotationService
from watchstander.settings import Settings
from watchstander.store import AuditRow, OverrideRow, RotationRow, Store

# Tuesday 2026-11-24 09:00 UTC = 10:00 in Amsterdam.
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ADMIN, A, B, C = "U0ERIN", "U0ALICE", "U0BOB", "U0CAROL"


class Workspace:
    """The chat platform's people (a fake PeoplePort): everyone here but U0NOPE."""

    def exists(self, user: str) -> bool:
        return user != "U0NOPE"


def service(store: Store) -> RotationService:
    settings = Settings.from_env(
        {"ROTATION_ADMINS": f"{ADMIN},{A}", "TIMEZONE": "Europe/Amsterdam"}
    )
    return RotationService(store, settings, people=Workspace())


def test_before_a_rotation_the_first_admin_is_on_call(store: Store) -> None:
    now = service(store)(NOW)
    assert (now.primary, now.secondary, now.source) == (ADMIN, A, "ROTATION_ADMINS")


def test_set_rotation_then_who_is_on_call(store: Store) -> None:
    rotations = service(store)
    shown = rotations.set_rotation(ADMIN, f"<@{A}> <@{B}> <@{C}> every 1w handoff mon 10:00", NOW)
    assert shown["people"] == [A, B, C]
    assert shown["every"] == "7d"
    assert shown["handoff"] == "mon 10:00"
    now = rotations(NOW + timedelta(hours=1))
    assert (now.primary, now.secondary, now.next_person) == (A, B, B)
    assert now.until == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert rotations(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)).primary == B
    summary = rotations.summary(NOW)
    assert summary["until"].startswith("mon 30 Nov 10:00 Europe/Amsterdam")
    with store.transaction() as tx:
        assert tx.count(RotationRow) == 1
        assert tx.count(AuditRow) == 1


def test_override_for_a_duration_and_for_a_span(store: Store) -> None:
    rotations = service(store)
    rotations.set_rotation(ADMIN, f"<@{A}> <@{B}>", NOW)
    rotations.override(ADMIN, f"<@{C}> 2h", NOW)
    assert rotations(NOW + timedelta(hours=1)).primary == C
    assert rotations(NOW + timedelta(hours=2, minutes=1)).primary == A
    made = rotations.override(ADMIN, f"<@{B}> from 18:00 to 22:00", NOW)
    assert made["from"].startswith("tue 24 Nov 18:00")
    assert rotations(datetime(2026, 11, 24, 18, 30, tzinfo=UTC)).primary == B  # 19:30 local
    assert rotations(datetime(2026, 11, 24, 21, 30, tzinfo=UTC)).primary == A


def test_swap_gives_each_the_others_next_shift(store: Store) -> None:
    rotations = service(store)
    rotations.set_rotation(ADMIN, f"<@{A}> <@{B}> <@{C}>", NOW)
    rotations.swap(ADMIN, f"<@{B}> <@{C}>", NOW)
    handoff = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert rotations(handoff + timedelta(hours=1)).primary == C
    assert rotations(handoff + timedelta(days=7, hours=1)).primary == B
    with store.transaction() as tx:
        assert tx.count(OverrideRow) == 2


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda r: r.set_rotation(B, f"<@{A}>", NOW), "Only rotation admins"),
        (lambda r: r.set_rotation(ADMIN, "alice bob", NOW), "Name the people in order"),
        (lambda r: r.set_rotation(ADMIN, f"<@{A}> <@{A}>", NOW), "once"),
        (lambda r: r.set_rotation(ADMIN, f"<@{A}> every 12h", NOW), "whole days"),
        (lambda r: r.set_rotation(ADMIN, f"<@{A}> handoff noon", NOW), "mon 10:00"),
        (lambda r: r.override(ADMIN, "2h", NOW), "Name who takes over"),
        (lambda r: r.override(ADMIN, f"<@{A}> for a while", NOW), "not a duration or a span"),
        (lambda r: r.override(ADMIN, f"<@{A}> 90d", NOW), "60 days"),
        (lambda r: r.override(ADMIN, f"<@{A}> from 25:00 to 26:00", NOW), "not a time"),
        (lambda r: r.swap(ADMIN, f"<@{A}> <@{B}>", NOW), "no rotation"),
        (lambda r: r.swap(ADMIN, f"<@{A}>", NOW), "two people"),
    ],
)
def test_bad_rotation_commands_change_nothing(
    store: Store, call: Callable[[RotationService], object], match: str
) -> None:
    rotations = service(store)
    with pytest.raises(OnCallError, match=match) as error:
        call(rotations)
    assert "\n" not in str(error.value)
    with store.transaction() as tx:
        assert tx.count(RotationRow) == 0
        assert tx.count(OverrideRow) == 0


def test_with_a_pagerduty_schedule_the_rotation_is_read_only(store: Store) -> None:
    from watchstander.services.oncall import OnCall

    settings = Settings.from_env({"ROTATION_ADMINS": ADMIN})
    rotations = RotationService(
        store, settings, external=lambda now: OnCall(B, A, source="PagerDuty")
    )
    assert rotations(NOW).primary == B
    assert rotations.show(NOW)["external"] == "PagerDuty schedule"
    with pytest.raises(OnCallError, match="change it in PagerDuty"):
        rotations.set_rotation(ADMIN, f"<@{A}>", NOW)
    with pytest.raises(OnCallError, match="change it in PagerDuty"):
        rotations.override(ADMIN, f"<@{A}> 1h", NOW)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (f"set <@{A}> NaN", "'NaN' is not part of `!rotation set"),
        (f"set <@{A}> <@{B}> every 1w handoff mon 10:00 <!here>", "'<!here>' is not part of"),
        (f"set <@{A}> every 1w every 2w", "'every 2w' is not part of"),
        (f"set <@{A}> <@U0NOPE>", "'U0NOPE' is not a person in this workspace"),
        ("override <@U0NOPE> 2h", "'U0NOPE' is not a person in this workspace"),
        (f"override <@{A}> <@{B}> 2h", "Name one person who takes over"),
        (f"override <@{A}> 2h <!channel>", "'2h <!channel>' is not a duration"),
        (f"swap <@{A}> <@{B}> <@U0EVIL>", "Name two people and nothing else"),
        (f"swap <@{A}> <@{B}> tomorrow", "'tomorrow' is not part of it"),
        ("swap <@U0NOPE> <@U0BOB>", "'U0NOPE' is not a person in this workspace"),
    ],
)
def test_a_command_is_checked_whole_and_a_bad_one_changes_nothing(
    store: Store, change: str, says: str
) -> None:
    rotations = service(store)
    rotations.set_rotation(ADMIN, f"<@{A}> <@{B}> <@{C}>", NOW)
    before = rotations.show(NOW)
    verb, _, args = change.partition(" ")
    act = {"set": rotations.set_rotation, "override": rotations.override, "swap": rotations.swap}
    with pytest.raises(OnCallError) as refused:
        act[verb](ADMIN, args, NOW)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)
    assert rotations.show(NOW) == before
    with store.transaction() as tx:
        assert tx.count(OverrideRow) == 0
        assert tx.count(AuditRow) == 1
