"""Slack's ``app_home_opened`` event as the person who opened the bot's Home tab; the
Messages tab, and events without a person (or with something else in its place), ignored."""

from __future__ import annotations

from typing import Any

import pytest

from watchstander.inbound import Ignored
from watchstander.inbound.slack import home_from_slack


def opened(**changes: Any) -> dict[str, Any]:
    """The event as Slack sends it (the view: present once a Home was published)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": "U0CAROL",
        "channel": "D0CAROL",
        "tab": "home",
        "event_ts": "1795510800.000100",
        "view": {"id": "V0HOME00001", "type": "home", "blocks": [], "hash": "1.2"},
    }
    event.update(changes)
    return event


def test_the_home_tab_names_its_person() -> None:
    assert home_from_slack(opened()) == "U0CAROL"
    assert home_from_slack(opened(view=None)) == "U0CAROL"  # opened for the first time


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"tab": "messages"}, "the messages tab"),
        ({"tab": None}, "the unnamed tab"),
        ({"user": None}, "no person's id"),
        ({"user": "<!channel>"}, "not a person's id: '<!channel>'"),
        ({"user": "U" + "A" * 500}, "not a person's id: 'U" + "A" * 29 + "'"),
    ],
)
def test_other_tabs_and_odd_people_are_ignored(changes: dict[str, Any], why: str) -> None:
    with pytest.raises(Ignored) as ignored:
        home_from_slack(opened(**changes))
    assert str(ignored.value) == why
