"""Handoffs on a real database: announced once, with a direct message and the user group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchstander.services.effects import Effect
from watchstander.services.handoffs import HandoffService
from watchstander.services.rotation import RotationService
from watchstander.settings import Settings
from watchstander.store import HandoffRow, Store

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Amsterdam
ADMIN, A, B = "U0ERIN", "U0ALICE", "U0BOB"


class Group:
    def __init__(self, members: list[str]) -> None:
        self.users = members
        self.updates = 0

    def members(self) -> list[str]:
        return list(self.users)

    def set_members(self, users: list[str]) -> None:
        self.users, self.updates = list(users), self.updates + 1


def make(store: Store, group: Group) -> tuple[RotationService, HandoffService, list[Effect]]:
    settings = Settings.from_env({"ROTATION_ADMINS": ADMIN, "TIMEZONE": "Europe/Amsterdam"})
    rotation = RotationService(store, settings)
    said: list[Effect] = []
    handoffs = HandoffService(
        store,
        settings,
        rotation,
        channel_id="C0SUPPORT",
        emit=lambda effect: said.append(effect),
        group=group,
    )
    return rotation, handoffs, said


def test_first_look_is_silent_but_fixes_the_group(store: Store) -> None:
    group = Group([B, A])
    _, handoffs, said = make(store, group)
    assert handoffs.check(NOW, sync_group=True) is None  # no rotation: no next handoff
    assert said == []
    assert group.users == [ADMIN]
    assert group.updates == 1


def test_each_handoff_is_announced_once_with_a_direct_message(store: Store) -> None:
    group = Group([ADMIN])
    rotation, handoffs, said = make(store, group)
    handoffs.check(NOW)
    rotation.set_rotation(ADMIN, f"<@{A}> <@{B}> every 1w handoff mon 10:00", NOW)
    nxt = handoffs.check(NOW)
    assert [e.template for e in said] == ["handoff", "handoff_dm"]
    assert said[0].channel == "C0SUPPORT"
    assert said[1].person == A
    assert said[0].data["previous"] == ADMIN
    assert said[0].data["person"] == A
    assert group.users == [A]
    assert handoffs.check(NOW + timedelta(minutes=1)) == nxt  # nothing new: nothing said
    assert len(said) == 2
    assert nxt == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    handoffs.check(nxt)
    assert said[-2].data["person"] == B
    assert group.users == [B]
    with store.transaction() as tx:
        assert tx.count(HandoffRow) == 3


def test_an_override_hands_off_and_back(store: Store) -> None:
    group = Group([ADMIN])
    rotation, handoffs, said = make(store, group)
    handoffs.check(NOW)
    rotation.override(ADMIN, f"<@{B}> 2h", NOW)
    back_at = handoffs.check(NOW)
    assert said[0].data["person"] == B
    assert back_at == NOW + timedelta(hours=2)
    assert handoffs.check(back_at) is None
    assert said[-2].data["person"] == ADMIN
    assert group.users == [ADMIN]
