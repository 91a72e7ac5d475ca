"""The bot's App Home tab, end to end: a person opens it on the local Slack server, which sends
the ``app_home_opened`` event Slack would, and the real bot publishes (``views.publish``)
their open threads and who is on call. A redelivered event, and a burst of openings, publish
once; the Messages tab publishes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from e2e_helpers import (
    DEV,
    ONCALL,
    POSTER,
    SECONDARY,
    SUPPORT,
    Bot,
    errbot_log,
    redelivery_not_handled,
    wait_until,
)

from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out, cc <@U0DAVE>"


def shown(slack: LocalSlack, user: str, count: int = 1) -> dict[str, Any]:
    """The Home published for ``user``, once ``count`` views.publish calls were made for them."""

    def published(s: LocalSlack) -> bool:
        calls = [c for c in s.calls_to("views.publish") if c.params.get("user_id") == user]
        return len(calls) >= count and s.home(user) is not None

    assert slack.wait_for(published, 30), slack.calls_to("views.publish")
    view = slack.home(user)
    assert view is not None
    return view


def texts(view: dict[str, Any]) -> str:
    out = []
    for block in view["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", []) if "text" in e]
    return "\n".join(out)


def logged(bot: Bot, line: str) -> Callable[[], bool]:
    return lambda: line in errbot_log(bot.data)


def test_a_person_sees_their_urgent_thread_and_who_is_on_call(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(root, 1)  # the announcement: the thread is recorded

    envelope = slack.open_home(POSTER)
    # a second opening at once (a burst), and Slack sending the first event again (a late
    # ack): the redelivery dropped, the burst shown once per few seconds
    slack.open_home(POSTER)
    slack.redeliver(envelope)
    (sent,) = [e for e in slack.envelopes if e["envelope_id"] == envelope]
    event_id = str(sent["payload"]["event_id"])
    wait_until(lambda: redelivery_not_handled(bot.data, event_id), 30, "the redelivery dropped")
    wait_until(logged(bot, f"Home of {POSTER} shown"), 30, "the burst shown once")
    view = shown(slack, POSTER)
    assert len(slack.calls_to("views.publish")) == 1

    said = texts(view)
    assert view["type"] == "home"
    assert "*Urgent* · <https://" in said
    assert f"/archives/{SUPPORT}/p{root.replace('.', '')}|" in said
    assert "the revenue report does not tie out, cc @\u2060U0DAVE" in said  # mentions nobody
    assert "you posted it · nobody holds it yet" in said
    assert f"*Now:* <@{ONCALL}>" in said  # the first of ROTATION_ADMINS
    assert f"*Backup:* <@{SECONDARY}>" in said
    assert f"<@{DEV}>" not in said

    # another person, with nothing open: their own Home
    slack.open_home(DEV)
    assert "Nothing open that you posted or hold." in texts(shown(slack, DEV))
    assert len(slack.calls_to("views.publish")) == 2


def test_the_messages_tab_publishes_nothing(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    event = {"type": "app_home_opened", "user": POSTER, "channel": "D0CAROL", "tab": "messages"}
    event["event_ts"] = "1795510800.000100"
    slack.push_event(event)
    wait_until(logged(bot, "Ignoring app_home_opened: the messages tab"), 30, "ignored")
    assert slack.calls_to("views.publish") == []
