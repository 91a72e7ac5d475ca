"""A person's Home drawn as Slack's App Home tab: every outside value quoted (hostile post
texts and person ids mention nobody), a person with nothing open, no rotation, 100 open
threads within Slack's 100 blocks; and published with views.publish on the local Slack
server, which checks it as Slack does, with Slack's refusals said in one line."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from slack_sdk import WebClient

from watchstander.adapters.slack_chat import SlackChat
from watchstander.adapters.slack_home import MAX_BLOCKS, SlackHome, draw
from watchstander.domain.markup import first_line
from watchstander.render import SlackVoice
from watchstander.services.effects import ChatError
from watchstander.services.home import Home, HomeThread
from watchstander_sandbox.slack import LocalSlack

ME, DEV, ONCALL, NEXT = "U0CAROL", "U0DAVE", "U0ALICE", "U0BOB"
HOSTILE = [
    "<!channel> <!here> <!everyone> <!subteam^S123|@devs> <@U123> @here",
    "<https://evil.example|click> & *bold* `code` |pipe| " + "\U0001f4a5\u202e\u200b" * 50,
]
# What may appear in a drawn Home: the code's own mentions and links, nothing else.
TOKEN = re.compile(r"<([^<>]*)>")


def thread(n: int = 0, **changes: Any) -> HomeThread:
    values: dict[str, Any] = {
        "level": "urgent",
        "summary": f"question {n}",
        "link": f"https://sandbox.slack.com/archives/C0SUPPORT/p{n:016d}",
        "posted": True,
        "poster": ME,
        "assignee": DEV,
        "age": "25m",
        "next_checkin": "Tue 10:32 (in 7m)",
        "breached": False,
    }
    values.update(changes)
    return HomeThread(**values)


def home(threads: list[HomeThread], **changes: Any) -> Home:
    values: dict[str, Any] = {
        "user": ME,
        "threads": tuple(threads),
        "more": 0,
        "on_call": ONCALL,
        "backup": None,
        "next_person": NEXT,
        "handoff": "Mon 30 Nov 10:00 Europe/Amsterdam (in 5d23h)",
        "source": "rotation",
        "drawn": "Tue 24 Nov 10:25 Europe/Amsterdam",
    }
    values.update(changes)
    return Home(**values)


def texts(view: dict[str, Any]) -> list[str]:
    """Every text of every block, in order."""
    out = []
    for block in view["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", []) if "text" in e]
    return out


def tokens(view: dict[str, Any]) -> set[str]:
    return {t for text in texts(view) for t in TOKEN.findall(text)}


def test_a_thread_is_shown_with_its_level_link_holder_age_and_next_checkin() -> None:
    view = draw(home([thread()]), SlackVoice())
    assert view["type"] == "home"
    header, line, divider, on_call_header, on_call, footer = view["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Your open threads", "emoji": True},
    }
    assert line["text"]["text"] == (
        "*Urgent* · <https://sandbox.slack.com/archives/C0SUPPORT/p0000000000000000|question 0>\n"
        f"you posted it · held by <@{DEV}> · open for 25m · next check-in Tue 10:32 (in 7m)"
    )
    assert divider == {"type": "divider"}
    assert on_call_header["text"]["text"] == "On call"
    assert on_call["text"]["text"] == (
        f"*Now:* <@{ONCALL}>\n*Next:* <@{NEXT}>\n"
        "*Next handoff:* Mon 30 Nov 10:00 Europe/Amsterdam (in 5d23h)"
    )
    assert "drawn each time you open this tab" in footer["elements"][0]["text"]


def test_who_holds_it_is_said_from_the_person_s_side() -> None:
    lines = texts(
        draw(
            home(
                [
                    thread(1, assignee=None, next_checkin=None),
                    thread(2, assignee=ME),
                    thread(3, posted=False, poster=DEV, assignee=ME, breached=True),
                ]
            ),
            SlackVoice(),
        )
    )
    assert "you posted it · nobody holds it yet · open for 25m" in lines[1]
    assert "you posted it and hold it · open for" in lines[2]
    assert f"you hold it · posted by <@{DEV}>" in lines[3]
    assert lines[3].endswith("⚠️ a check-in was missed")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_texts_and_ids_mention_nobody(text: str) -> None:
    hostile = thread(
        summary=first_line(text, 80) + " " + text,  # the store's first line, and raw text too
        link="javascript:alert(1)|<!channel>",
        poster="<!here>",
        assignee="<!subteam^S123>",
        posted=False,
        age=text,
        next_checkin=text,
    )
    view = draw(
        home([hostile, thread(1, assignee=text)], on_call="<@U999>", next_person="<!channel>",
             handoff=text, drawn=text),
        SlackVoice(),
    )  # fmt: skip
    # the one token left is the second thread's own link: no mention, no other link
    assert tokens(view) == {
        "https://sandbox.slack.com/archives/C0SUPPORT/p0000000000000001|question 1"
    }
    assert all("<!" not in said and "<@" not in said for said in texts(view))
    assert json.dumps(view)  # one JSON document, whatever the text held


def test_a_person_with_nothing_open_and_no_rotation() -> None:
    view = draw(home([], on_call=None, next_person=None, handoff=None), SlackVoice())
    said = texts(view)
    assert said[1] == "Nothing open that you posted or hold."
    assert said[3].startswith("Nobody is on call: no rotation is set")
    assert len(view["blocks"]) == 6


def test_on_call_from_admins_shows_the_backup_and_no_planned_handoff() -> None:
    view = draw(home([], backup=NEXT, next_person=None, handoff=None), SlackVoice())
    assert texts(view)[3] == (
        f"*Now:* <@{ONCALL}>\n*Backup:* <@{NEXT}>\n"
        "*Next handoff:* none planned (no rotation is set: `!rotation set`)"
    )


@pytest.mark.parametrize(("shown", "more"), [(96, 0), (97, 0), (100, 0), (100, 250)])
def test_a_home_never_holds_more_than_100_blocks(shown: int, more: int) -> None:
    view = draw(home([thread(n) for n in range(shown)], more=more), SlackVoice())
    blocks = view["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    lines = [b for b in blocks if b["type"] == "section" and "question" in b["text"]["text"]]
    hidden = shown + more - len(lines)
    if hidden:
        assert blocks[-5]["elements"][0]["text"] == f"…and {hidden} more open threads of yours."
        assert len(blocks) == MAX_BLOCKS
    else:
        assert len(lines) == shown
    assert blocks[-3]["text"]["text"] == "On call"  # the on-call part is never cut


def test_views_publish_shows_it_on_the_person_s_home_tab(slack: LocalSlack) -> None:
    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    port = SlackHome(SlackChat(web), SlackVoice())
    port.show(ME, home([thread()]))
    shown = slack.home(ME)
    assert shown is not None
    assert shown["type"] == "home"
    assert shown["blocks"] == draw(home([thread()]), SlackVoice())["blocks"]
    assert slack.home(DEV) is None
    (call,) = slack.calls_to("views.publish")
    assert call.params["user_id"] == ME


def test_the_local_server_checks_a_view_as_slack_does(slack: LocalSlack) -> None:
    chat = SlackChat(WebClient(token=slack.bot_token, base_url=slack.api_url))
    bad: list[tuple[str, dict[str, Any], str]] = [
        ("U0NOBODY", {"type": "home", "blocks": []}, "user_not_found"),
        (ME, {"type": "modal", "blocks": []}, "invalid_arguments"),
        (ME, {"type": "home", "blocks": [{"type": "divider"}] * 101}, "invalid_arguments"),
        (ME, {"type": "home", "blocks": [{"type": "section", "text": "x" * 300_000}]},
         "view_too_large"),
    ]  # fmt: skip
    for user, view, error in bad:
        with pytest.raises(ChatError) as refused:
            chat.publish_home(user, view)
        assert str(refused.value) == f"Slack did not show the Home tab ({error})"
    assert slack.home(ME) is None


def test_a_refusal_is_one_line_with_slack_s_error(slack: LocalSlack) -> None:
    slack.fail("views.publish", "not_enabled")
    chat = SlackChat(WebClient(token=slack.bot_token, base_url=slack.api_url))
    with pytest.raises(ChatError, match=r"^Slack did not show the Home tab \(not_enabled\)$"):
        SlackHome(chat, SlackVoice()).show(ME, home([]))
    assert slack.home(ME) is None
