"""The controls on the bot's first reply in an urgent thread, end to end: people press Claim
and Resolve and choose the next check-in on the local Slack server, which sends the Socket
Mode ``interactive`` envelopes Slack would, to the real bot. They do what 👀, ✅ and ``!eta``
do; a control someone may not use is answered to them alone (chat.postEphemeral) and changes
nothing; a redelivered envelope acts once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from e2e_helpers import (
    DEV,
    DEV2,
    POSTER,
    SUPPORT,
    Bot,
    errbot_log,
    redelivery_not_handled,
    wait_until,
)

from watchstander.services.controls import CHECKIN, CLAIM, RESOLVE
from watchstander.services.inbound import ts_to_datetime
from watchstander.store import ThreadRow
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"


def thread_row(bot: Bot, root: str) -> ThreadRow:
    with bot.store().transaction() as tx:
        found = tx.thread(SUPPORT, root)
        assert found is not None
        return found


def claims(bot: Bot, root: str) -> int:
    with bot.store().transaction() as tx:
        found = tx.thread(SUPPORT, root)
        return 0 if found is None else sum(e.kind == "claim" for e in tx.events(found))


def announced(slack: LocalSlack, bot: Bot) -> tuple[str, dict[str, Any]]:
    """An urgent post, and the bot's first reply in its thread (with its controls)."""
    root = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(root, 1)
    (reply,) = slack.messages(SUPPORT, root)
    return root, reply


def logged(bot: Bot, line: str) -> Callable[[], bool]:
    return lambda: line in errbot_log(bot.data)


def wait_card(slack: LocalSlack, root: str, text: str) -> dict[str, Any]:
    """The bot's first reply in the thread, once it says ``text`` (it is updated in place)."""

    def first() -> dict[str, Any]:
        return slack.messages(SUPPORT, root)[0]

    assert slack.wait_for(lambda s: text in first()["text"], 30), first()["text"]
    return first()


def whispered(slack: LocalSlack, user: str, count: int) -> list[dict[str, Any]]:
    assert slack.wait_for(lambda s: len(s.ephemerals(user)) >= count, 30), slack.ephemerals()
    return slack.ephemerals(user)


def test_the_first_reply_carries_claim_resolve_and_the_next_checkin(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root, reply = announced(slack, bot)
    assert "URL" in reply["text"]  # the text stays, as the fallback
    section, actions = reply["blocks"]
    assert section["text"]["text"] == reply["text"]
    elements = {e["action_id"]: e for e in actions["elements"]}
    assert [elements[CLAIM]["type"], elements[RESOLVE]["type"]] == ["button", "button"]
    options = [o["value"] for o in elements[CHECKIN]["options"]]
    assert (elements[CHECKIN]["type"], options) == ("static_select", ["15m", "30m", "1h", "2h"])

    # a control of nobody's, and a slash command nobody takes: one log line each, nothing else
    slack.press(DEV, SUPPORT, reply["ts"], CLAIM)
    bot.wait_posts(root, 2)
    (pressed,) = [e["payload"] for e in slack.envelopes if e["type"] == "interactive"]
    pressed["actions"][0].update(action_id="<!channel>elsewhere", action_ts="1.000001")
    slack.push_interactive(pressed)
    slash = {"command": "/watchstander", "text": "hi", "user_id": DEV, "channel_id": SUPPORT}
    slack.push_interactive(slash, kind="slash_commands")
    for said in ("No plugin handles the action '<!channel>elsewhere'", "'/watchstander'"):
        wait_until(logged(bot, said), 30, said)
    assert slack.ephemerals() == []
    assert len(bot.posts(root)) == 2


def test_claim_claims_once_and_a_second_claim_is_answered_alone(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root, reply = announced(slack, bot)
    envelope = slack.press(DEV, SUPPORT, reply["ts"], CLAIM)
    claimed = bot.wait_posts(root, 2)[1]
    assert f"<@{DEV}> has this" in claimed.params["text"]  # as 👀 says it
    assert thread_row(bot, root).assignee == DEV
    # the first reply now shows who has it, and keeps its controls
    card = wait_card(slack, root, f"<@{DEV}> has this thread; next check-in")
    assert card["ts"] == reply["ts"]
    assert [b["type"] for b in card["blocks"]] == ["section", "actions"]

    # Slack sends the same envelope again (a late ack): it is acted on once
    slack.redeliver(envelope)
    wait_until(lambda: redelivery_not_handled(bot.data, envelope), 30, "the redelivery dropped")
    # a second person's Claim: answered to them alone, in the thread; nothing changes
    slack.press(DEV2, SUPPORT, reply["ts"], CLAIM)
    (refusal,) = whispered(slack, DEV2, 1)
    assert "has this thread" in refusal["text"]
    assert refusal["thread_ts"] == root
    assert slack.ephemerals(DEV) == []
    assert thread_row(bot, root).assignee == DEV
    assert claims(bot, root) == 1
    assert len(bot.posts(root)) == 2


def test_the_checkin_menu_moves_the_next_checkin(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root, reply = announced(slack, bot)
    slack.press(DEV2, SUPPORT, reply["ts"], CHECKIN, "1h")  # nobody holds it yet
    (refusal,) = whispered(slack, DEV2, 1)
    assert "Only the assignee" in refusal["text"]

    slack.press(DEV, SUPPORT, reply["ts"], CLAIM)
    bot.wait_posts(root, 2)
    envelope = slack.press(DEV, SUPPORT, reply["ts"], CHECKIN, "2h")
    noted = bot.wait_posts(root, 3)[2]
    assert "next check-in" in noted.params["text"]
    (sent,) = [e for e in slack.envelopes if e["envelope_id"] == envelope]
    pressed = ts_to_datetime(sent["payload"]["actions"][0]["action_ts"])
    assert thread_row(bot, root).next_checkin_at == pressed + timedelta(hours=2)


def test_resolve_resolves_and_a_control_on_a_resolved_thread_is_answered_alone(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root, reply = announced(slack, bot)
    slack.press(POSTER, SUPPORT, reply["ts"], RESOLVE)
    resolved = bot.wait_posts(root, 2)[1]
    assert f"Resolved by <@{POSTER}>" in resolved.params["text"]
    assert thread_row(bot, root).resolved_at is not None

    # the first reply says so, without its controls
    card = wait_card(slack, root, f"Resolved by <@{POSTER}>")
    assert "blocks" not in card or card["blocks"] == []
    assert "next check-in" not in card["text"]
    # a stale Claim (a client that still shows the old controls): answered alone
    (press,) = [e["payload"] for e in slack.envelopes if e["type"] == "interactive"]
    stale = {**press, "user": {**press["user"], "id": DEV}}
    stale["actions"] = [{**press["actions"][0], "action_id": CLAIM, "action_ts": "9.000001"}]
    slack.push_interactive(stale)
    (refusal,) = whispered(slack, DEV, 1)
    assert "resolved already" in refusal["text"]
    assert thread_row(bot, root).assignee is None
    assert len(bot.posts(root)) == 2
