"""The help form as a Slack modal, and Slack's form payloads read back: hostile text in every
field (mentions, groups, 40,000 characters, direction overrides and zero-width characters)
reaches no one, every text keeps to Slack's limits (checked by the local Slack server's own
view check), and the answers to a submission have Slack's shapes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from watchstander.adapters.slack_views import LOOKING, ack_payload, draw
from watchstander.domain.help_form import level_choices
from watchstander.inbound import Ignored
from watchstander.inbound.slack_views import form_event, plain_from_slack
from watchstander.render import PlainVoice, SlackVoice
from watchstander.services.answers import Suggestion
from watchstander.services.forms import (
    ANSWERS,
    ASK,
    ASK_ABOUT,
    DONE_VIEW,
    HELP_VIEW,
    About,
    DoneView,
    FormAnswer,
    FormClose,
    FormInput,
    FormOpen,
    FormSubmit,
    HelpFormView,
    read_answer_value,
)
from watchstander.services.help import metadata, read_metadata
from watchstander_sandbox.slack.view_limits import check_view

HOSTILE = [
    "<!channel>",
    "<!here|here>",
    "<!subteam^S1>",
    "<!subteam^S123|@devs>",
    "<@U123>",
    "<https://evil.example|click>",
    "@channel",
    "\u202eevil\u2066 \u200b\u2060",
    "x" * 40_000,
    "&lt;!channel&gt; | > * _ ` ~",
]
LINK = "https://sandbox.slack.com/archives/C0SUPPORT/p1700000000000100"


def mrkdwn(value: Any) -> list[str]:
    """Every ``mrkdwn`` text (``plain_text`` is shown as it is: Slack makes nothing of it)."""
    if isinstance(value, dict):
        own = [str(value["text"])] if value.get("type") == "mrkdwn" else []
        return own + [t for v in value.values() for t in mrkdwn(v)]
    if isinstance(value, list):
        return [t for v in value for t in mrkdwn(v)]
    return []


def reaches_no_one(view: dict[str, Any], meant: tuple[str, ...] = ()) -> None:
    """No mention, group or broadcast, and no link but the ones meant, in any mrkdwn."""
    assert mrkdwn(view["blocks"])
    for text in mrkdwn(view["blocks"]):
        assert "<!" not in text
        assert "<@" not in text
        assert "<#" not in text
        assert set(re.findall(r"<([^|>]*)", text)) <= set(meant)
        assert not re.search(r"(?<!\u2060)@(here|channel|everyone)\b", text.replace("@\u2060", ""))


def form(hostile: str) -> HelpFormView:
    suggestion = Suggestion("C0SUPPORT", "1700000000.000100", LINK, hostile, 1.0, 3)
    levels = level_choices(hostile, hostile)
    about = About(hostile, hostile)
    return HelpFormView(levels, hostile[:150], about, (suggestion,) * 3, True, metadata(about))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_every_field_reaches_no_one_and_keeps_to_slack_s_limits(
    hostile: str,
) -> None:
    drawn = draw(form(hostile))
    check_view(drawn)  # the local Slack server refuses a view past Slack's limits
    reaches_no_one(drawn, meant=(LINK,))
    assert len(drawn["private_metadata"]) <= 3000
    assert drawn["callback_id"] == HELP_VIEW
    assert drawn["notify_on_close"] is True
    summary = next(b for b in drawn["blocks"] if b.get("block_id") == "summary")
    assert summary["dispatch_action"] is True
    assert summary["element"]["dispatch_action_config"] == {
        "trigger_actions_on": ["on_character_entered"]
    }
    buttons = [b["accessory"] for b in drawn["blocks"] if "accessory" in b]
    assert [b["action_id"] for b in buttons] == [ANSWERS] * 3
    assert read_answer_value(buttons[0]["value"]) == ("C0SUPPORT", "1700000000.000100")
    done = draw(DoneView(hostile))
    check_view(done)
    reaches_no_one(done)
    assert done["callback_id"] == DONE_VIEW
    assert "submit" not in done


def test_the_form_asks_for_the_data_points_and_shows_the_guide() -> None:
    drawn = draw(HelpFormView(level_choices("oncall", "devs"), looked=True))
    ids = [b["block_id"] for b in drawn["blocks"]]
    assert ids == ["summary", "ws_suggestions", "url", "expected", "happened", "level", "ws_guide"]
    optional = {b["block_id"]: b.get("optional", False) for b in drawn["blocks"]}
    assert (optional["summary"], optional["level"], optional["url"]) == (False, False, True)
    assert "No earlier resolved thread" in str(drawn["blocks"][1])
    guide = str(drawn["blocks"][-1])
    assert "Can you help me understand these numbers" in guide
    assert "*Emergency*" in guide
    assert [b["block_id"] for b in draw(HelpFormView(()))["blocks"]][:2] == ["summary", "url"]
    looking = draw(HelpFormView((), looking=True))["blocks"][1]
    assert (looking["block_id"], looking["elements"][0]["text"]) == ("ws_suggestions", LOOKING)


def test_the_metadata_keeps_the_message_and_junk_reads_as_none() -> None:
    about = About(LINK, 'the dashboard "shows" \\ 0 users\n' + "é" * 5000)
    kept = metadata(about)
    assert len(kept) <= 3000
    found = read_metadata(kept)
    assert found is not None
    assert found.link == LINK
    assert found.text.startswith('the dashboard "shows" \\ 0 users')
    for junk in ("", "{", "[]", '{"about": 3}', '{"about": ["a"]}', '{"about": [1, 2]}'):
        assert read_metadata(junk) is None, junk
    assert read_metadata(metadata(None)) is None


def test_a_submission_s_ack() -> None:
    assert ack_payload(None) == {}
    assert ack_payload(FormAnswer()) == {}
    refused = ack_payload(FormAnswer(errors={"url": "x" * 500}))
    assert refused["response_action"] == "errors"
    assert len(refused["errors"]["url"]) <= 150
    shown = ack_payload(FormAnswer(update=DoneView(LINK)))
    assert shown["response_action"] == "update"
    assert shown["view"]["callback_id"] == DONE_VIEW


def test_tags_are_only_the_ones_meant() -> None:
    slack, plain = SlackVoice(), PlainVoice()
    assert slack.tag("oncall", "S0ONCALL") == "<!subteam^S0ONCALL|@oncall>"
    assert slack.tag("@here") == "<!here>"
    assert slack.tag("devs") == "@devs"  # no group id: named, calling no one
    for bad_group in ("S1>|<!channel", "<!channel>", "U0ALICE", ""):
        assert "<" not in slack.tag("devs", bad_group)
    assert "<" not in slack.tag("<!channel>", "S0DEVS")
    assert "<" not in slack.tag("dev>s|x", "S0DEVS")
    assert plain.tag("oncall") == "@oncall"


# --- Slack's payloads read back --------------------------------------------------------------

USER = {"id": "U0CAROL", "username": "carol", "team_id": "T0"}


def view(callback: str = HELP_VIEW, **state: Any) -> dict[str, Any]:
    values = {
        "summary": {"summary": {"type": "plain_text_input", "value": state.get("summary")}},
        "level": {"level": {"type": "radio_buttons", "selected_option": state.get("level")}},
        "url": {"url": {"type": "plain_text_input", "value": None}},
    }
    return {
        "id": "V1",
        "callback_id": callback,
        "hash": "h",
        "private_metadata": "{}",
        "state": {"values": values},
    }


def test_shortcuts_and_support_open_a_form() -> None:
    assert form_event("interactive", {"type": "shortcut", "callback_id": ASK, "user": USER}) == (
        FormOpen("U0CAROL", ASK)
    )
    message = {"ts": "1.000200", "text": "<!here> <@U1|bob> &lt;b&gt; <https://x.io|site>"}
    payload = {
        "type": "message_action",
        "callback_id": ASK_ABOUT,
        "user": USER,
        "channel": {"id": "C0GENERAL"},
        "message": message,
    }
    opened = form_event("interactive", payload)
    assert opened == FormOpen(
        "U0CAROL", ASK_ABOUT, "C0GENERAL", "", "1.000200", "@here @bob <b> site"
    )
    slash = {"command": "/support", "text": "<!channel> export " + "x" * 50_000}
    opened = form_event("slash_commands", {**slash, "user_id": "U0CAROL", "channel_id": "C0S"})
    assert isinstance(opened, FormOpen)
    assert opened.summary.startswith("@channel export")
    assert len(opened.summary) <= 40_000
    assert form_event("slash_commands", {"command": "/watchstander", "user_id": "U1"}) is None


def test_submissions_closings_and_actions_in_a_view() -> None:
    chosen = {"value": "urgent", "text": {"type": "plain_text", "text": "Urgent"}}
    submitted = {
        "type": "view_submission",
        "user": USER,
        "view": view(summary="<!here>", level=chosen),
    }
    assert form_event("interactive", submitted) == FormSubmit(
        "U0CAROL", "V1", HELP_VIEW, {"summary": "<!here>", "level": "urgent", "url": ""}, "{}"
    )
    closed = {"type": "view_closed", "user": USER, "view": view()}
    assert form_event("interactive", closed) == FormClose("U0CAROL", "V1", HELP_VIEW)
    typed = {
        "type": "block_actions",
        "user": USER,
        "container": {"type": "view", "view_id": "V1"},
        "view": view(summary="old"),
        "actions": [{"type": "plain_text_input", "action_id": "summary", "value": "S3 export"}],
    }
    found = form_event("interactive", typed)
    assert isinstance(found, FormInput)
    assert (found.action_id, found.value, found.values["summary"]) == (
        "summary",
        "S3 export",
        "old",
    )
    on_a_message = {**typed, "container": {"type": "message", "message_ts": "1.0"}}
    assert form_event("interactive", on_a_message) is None  # a thread's control
    assert form_event("interactive", {"type": "something_new"}) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "shortcut", "callback_id": ASK},
        {"type": "view_submission", "user": USER, "view": {"callback_id": HELP_VIEW}},
        {"type": "block_actions", "user": USER, "container": {"type": "view", "view_id": "V1"}},
        {"type": "view_closed", "user": {"id": 3}, "view": view()},
    ],
)
def test_a_form_payload_missing_who_or_what_is_ignored(payload: dict[str, Any]) -> None:
    with pytest.raises(Ignored):
        form_event("interactive", json.loads(json.dumps(payload)))


def test_a_message_s_text_made_plain() -> None:
    text = "<!subteam^S1|@devs> <!subteam^S2> <#C1|general> <mailto:a@b.c> &amp;lt;"
    assert plain_from_slack(text) == "@devs @group #general mailto:a@b.c &lt;"
