"""The sandbox's terminal against the local Slack server: every line gets one answer, and
nothing typed (Slack's refusals, unknown people, threads, reactions) stops it."""

from __future__ import annotations

import io
import threading

from watchstander_sandbox.console import REACTIONS, command, console
from watchstander_sandbox.slack import LocalSlack


def test_a_second_identical_reaction_is_slack_s_refusal_in_one_line(slack: LocalSlack) -> None:
    assert command(slack, "post carol @oncall the report is wrong") == "thread 1 posted"
    assert command(slack, "react 1 dave eyes") == "reacted"
    again = command(slack, "react 1 dave eyes")
    assert again == "? Slack said already_reacted: that person has that reaction there already"
    assert command(slack, "unreact 1 erin eyes") == (
        "? Slack said no_reaction: that person has no such reaction there"
    )
    (root,) = slack.messages("C0SUPPORT")
    assert [(r["name"], r["users"]) for r in root["reactions"]] == [("eyes", ["U0DAVE"])]


def test_unknown_things_are_named_and_change_nothing(slack: LocalSlack) -> None:
    command(slack, "post carol where is the export button?")
    before = slack.messages("C0SUPPORT")
    unknown = command(slack, "react 1 dave partyparrot")
    assert unknown is not None
    assert unknown.startswith("? 'partyparrot' is not a reaction the sandbox knows: eyes, ")
    for name in REACTIONS:
        assert name in unknown
    assert "not one of alice, bob, carol, dave, erin" in (command(slack, "react 1 zed eyes") or "")
    assert "'7' is not a thread number" in (command(slack, "reply 7 dave hello") or "")
    assert "'x' is not a thread number" in (command(slack, "log x") or "")
    assert (command(slack, 'post carol "unclosed') or "").startswith("? ")
    assert slack.messages("C0SUPPORT") == before


def test_threads_lists_every_thread_of_the_channel(slack: LocalSlack) -> None:
    slack.post("U0BOB", "C0SUPPORT", "posted from the page")
    command(slack, "post carol from the terminal")
    assert command(slack, "threads") == "1: posted from the page\n2: from the terminal"
    assert command(slack, "reply 1 dave on it") == "replied"
    assert command(slack, "log 1") == "  U0DAVE: on it"


def test_the_console_goes_on_after_a_refusal_and_stops_at_quit(slack: LocalSlack) -> None:
    lines = "post carol hi\nreact 1 dave eyes\nreact 1 dave eyes\nthreads\nquit\npost bob no\n"
    out = io.StringIO()
    console(slack, io.StringIO(lines), out, threading.Event())
    said = out.getvalue().splitlines()
    assert said == [
        "thread 1 posted",
        "reacted",
        "? Slack said already_reacted: that person has that reaction there already",
        "1: hi",
    ]
    assert len(slack.messages("C0SUPPORT")) == 1  # nothing after quit
