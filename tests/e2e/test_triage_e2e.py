"""#support end to end through the real Slack backend and the local Slack server."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from e2e_helpers import DEV, DEV2, ONCALL, POSTER, SUPPORT, Bot, free_port, wait_until

from watchstander.services.inbound import ts_to_datetime
from watchstander.store import ActionRow, ThreadRow
from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"
# Threads here are posted and claimed in the past (the bot dates a claim by its Slack ts), so a
# check-in (UPDATE_INTERVAL, 30m) is due at once; no reminder of an unclaimed thread comes first.
PAST = {"CLAIM_TARGET": "2h", "RESPONSE_TARGET": "3h"}
CHECKIN = "how is it going"


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def stored_thread(bot: Bot, root: str) -> tuple[ThreadRow, list[ActionRow]] | None:
    """The bot's row for the thread ``root`` and its timed actions, once it has one."""
    with bot.store().transaction() as tx:
        thread = tx.thread(SUPPORT, root)
        return None if thread is None else (thread, list(tx.actions(thread)))


def recorded_reactions(bot: Bot, root: str) -> set[str]:
    """The reactions the bot recorded as added to the thread ``root``."""
    with bot.store().transaction() as tx:
        thread = tx.thread(SUPPORT, root)
        events = [] if thread is None else tx.events(thread)
        return {e.reaction for e in events if e.kind == "reaction_added"}


def test_urgent_post_claim_and_checkin(slack: LocalSlack, make_bot: Callable[..., Bot]) -> None:
    bot = make_bot(**PAST)
    quiet = slack.post(POSTER, SUPPORT, "where is the export button?")
    root = slack.post(POSTER, SUPPORT, URGENT, at=minutes_ago(40))
    (announce,) = bot.wait_posts(root, 1)
    assert announce.params["channel"] == SUPPORT
    assert f"<@{ONCALL}>" in announce.params["text"]
    assert "URL" in announce.params["text"]

    slack.react(DEV, SUPPORT, root, "eyes", at=minutes_ago(35))  # its check-in is 5 min late
    claimed = bot.wait_posts(root, 2)[1]
    assert f"<@{DEV}> has this" in claimed.params["text"]

    # the check-in that is due comes at once, in the root's thread
    checkin = bot.wait_posts(root, 3)[2]
    assert CHECKIN in checkin.params["text"]
    assert f"<@{DEV}>" in checkin.params["text"]

    # a command given in a reply is answered in the root's thread
    reply = slack.post(DEV2, SUPPORT, "!thread", thread_ts=root)
    answers = bot.wait_posts(root, 4)
    assert any("Urgent" in c.params["text"] and f"<@{DEV}>" in c.params["text"] for c in answers)
    assert all(c.params["thread_ts"] == root for c in answers)
    assert reply not in {c.params.get("thread_ts") for c in bot.posts()}

    # the untagged post got nothing but the answer to a command asked in it
    slack.post(DEV, SUPPORT, "!thread", thread_ts=quiet)
    (info,) = bot.wait_posts(quiet, 1)
    assert "General" in info.params["text"]


def test_edit_raises_once_and_duplicates_change_nothing(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, "numbers look odd in the dashboard")
    slack.unfurl(SUPPORT, root)  # a link unfurl is not an edit
    slack.edit(POSTER, SUPPORT, root, "numbers look odd in the dashboard " + URGENT)
    bot.wait_posts(root, 1)
    slack.edit(POSTER, SUPPORT, root, "numbers look odd, " + URGENT + " (typo)")

    # a 👀 delivered twice (a late ack) claims once
    slack.react(DEV, SUPPORT, root, "eyes")
    envelope = slack.envelopes[-1]["envelope_id"]
    bot.wait_posts(root, 2)
    slack.redeliver(envelope)
    slack.post(DEV2, SUPPORT, "!thread", thread_ts=root)
    posts = bot.wait_posts(root, 3)
    texts = [c.params["text"] for c in posts]
    assert sum("Urgent" in t and "on call" in t for t in texts) == 1, texts
    assert sum("has this" in t for t in texts) == 1, texts
    assert "Urgent" in texts[-1]
    assert f"<@{DEV}>" in texts[-1]


def test_restart_sends_a_due_checkin_exactly_once(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot(**PAST)
    root = slack.post(POSTER, SUPPORT, URGENT, at=minutes_ago(40))
    bot.wait_posts(root, 1)
    bot.stop()
    # while the bot is down, Dave took the thread 35 minutes ago: its check-in (30m after the
    # claim) fell due 5 minutes ago, still with the bot down
    eyes = slack.react(DEV, SUPPORT, root, "eyes", at=minutes_ago(35))
    due = ts_to_datetime(eyes) + timedelta(minutes=30)
    restarted = datetime.now(UTC)
    bot.start(**PAST)
    posts = bot.wait_posts(root, 3)
    assert f"<@{DEV}> has this" in posts[1].params["text"]
    assert CHECKIN in posts[2].params["text"]
    assert f"<@{DEV}>" in posts[2].params["text"]
    # Once: the database took the check-in due then, once, on this run, and the next one is
    # an interval after it was sent, so no second copy can fall due for half an hour.
    found = stored_thread(bot, root)
    assert found is not None
    thread, actions = found
    assert [(a.kind, a.due_at) for a in actions] == [("checkin", due)]
    assert restarted <= actions[0].sent_at <= datetime.now(UTC)
    assert thread.next_due_at == actions[0].sent_at + timedelta(minutes=30)
    # and the thread heard it once: a command's answer comes after everything said before
    slack.post(DEV2, SUPPORT, "!thread", thread_ts=root)
    posts = bot.wait_posts(root, 4)
    assert "Urgent" in posts[3].params["text"], [c.params["text"] for c in posts]
    assert [CHECKIN in c.params["text"] for c in posts] == [False, False, True, False]


def test_tokens_never_reach_the_logs_or_the_channel(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()  # logs at DEBUG: every request and event is written out
    root = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(root, 1)
    bot.stop()
    logs = bot.log_tail(lines=100_000)
    # The log holds the traffic the tokens travel with: every Web API call Slack saw (the app
    # token's apps.connections.open, the bot token's auth.test and chat.postMessage), each
    # with its Authorization header redacted, and every Socket Mode envelope the bot acked.
    own = (bot.data / "errbot" / "errbot.log").read_text(encoding="utf-8")
    sent = re.findall(r"Sending a request - url: (\S+), .*'Authorization': '\(redacted\)'", own)
    methods = [c.method for c in slack.calls]
    assert {"auth.test", "apps.connections.open", "chat.postMessage"} <= set(methods)
    assert Counter(sent) == Counter(slack.api_url + method for method in methods)
    (envelope,) = [e for e in slack.envelopes if e["payload"]["event"].get("ts") == root]
    assert envelope["envelope_id"] in slack.acks
    for acked in slack.acks:
        assert f'on_message invoked: (message: {{"envelope_id": "{acked}", "payload"' in own
    for secret in (slack.bot_token, slack.app_token):
        assert secret not in logs
        assert all(secret not in str(c.params.get("text", "")) for c in bot.posts())


def test_rotation_set_in_slack_names_the_new_person_on_call(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    before = len(bot.top_level())
    slack.post(ONCALL, SUPPORT, "!rotation set <@U0BOB> <@U0CAROL> every 1w handoff mon 10:00")
    assert slack.wait_for(lambda s: len(bot.top_level()) >= before + 2, 30)
    said = [c.params["text"] for c in bot.top_level()[before:]]
    assert any("<@U0BOB> → <@U0CAROL>" in t and "every 7d" in t for t in said), said
    assert any("Handoff: <@U0BOB> is on call now" in t for t in said), said
    root = slack.post(POSTER, SUPPORT, URGENT)
    (announce,) = bot.wait_posts(root, 1)
    assert "<@U0BOB> is on call" in announce.params["text"]


def test_emergency_pages_once_eyes_acknowledge_check_mark_resolves(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    pd = LocalPagerDuty().start()
    try:
        bot = make_bot(
            PAGERDUTY_ROUTING_KEY="R0UT1NGKEY0123456789abcdefABCDEF",
            PAGERDUTY_EVENTS_URL=pd.url,
        )
        root = slack.post(POSTER, SUPPORT, "<!subteam^S0DEVS|@devs> checkout is down")
        texts = [c.params["text"] for c in bot.wait_posts(root, 2)]
        assert "Emergency" in texts[0]
        assert "Paged the on-call" in texts[1]
        key = f"watchstander/{SUPPORT}/{root}"
        (envelope,) = [
            e
            for e in slack.envelopes
            if e["payload"]["event"].get("ts") == root and not e["payload"]["event"].get("bot_id")
        ]
        slack.redeliver(envelope["envelope_id"])  # the post again: no second page
        slack.react(DEV, SUPPORT, root, "eyes")
        assert pd.wait_for(lambda p: p.actions(key) == ["trigger", "acknowledge"], 30)
        slack.react(POSTER, SUPPORT, root, "white_check_mark")
        assert pd.wait_for(lambda p: p.actions(key)[-1:] == ["resolve"], 30)
        assert pd.actions(key) == ["trigger", "acknowledge", "resolve"]
        assert pd.events[0]["routing_key"] not in bot.log_tail(lines=100_000)
    finally:
        pd.stop()


def test_an_override_hands_off_in_the_channel_by_dm_and_in_the_user_group(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot(ONCALL_USERGROUP_ID="S0ONCALL")
    urgent = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(urgent, 1)
    before = len(bot.top_level())
    slack.post(ONCALL, SUPPORT, "!oncall override <@U0DAVE> 1h")
    assert slack.wait_for(lambda s: len(bot.top_level()) >= before + 2, 30), bot.log_tail()
    texts = [c.params["text"] for c in bot.top_level()[before:]]
    assert any(
        "Handoff: <@U0DAVE> is on call now" in t and "taking over from <@U0ALICE>" in t
        for t in texts
    ), texts
    assert any("revenue report" in t for t in texts)  # the open urgent thread is listed
    assert slack.wait_for(lambda s: bool(s.calls_to("usergroups.users.update")), 30)
    update = slack.calls_to("usergroups.users.update")[-1]
    assert update.params["usergroup"] == "S0ONCALL"
    assert update.params["users"] == "U0DAVE"
    dms = [c for c in bot.posts() if str(c.params.get("channel", "")).startswith("D")]
    assert dms
    assert "You are on call now" in dms[-1].params["text"]


def _http(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    deadline = time.monotonic() + 10
    while True:  # the web server thread may still be binding its port
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            threading.Event().wait(0.05)


def test_calendar_feed_and_signed_pagerduty_webhooks(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    port, secret = free_port(), "whsec-local-test"
    pd = LocalPagerDuty().start()
    try:
        bot = make_bot(
            WATCHSTANDER_HTTP_PORT=str(port),
            PAGERDUTY_WEBHOOK_SECRET=secret,
            PAGERDUTY_ROUTING_KEY="R0UT1NGKEY0123456789abcdefABCDEF",
            PAGERDUTY_EVENTS_URL=pd.url,
        )
        before = len(bot.top_level())
        slack.post(ONCALL, SUPPORT, "!rotation set <@U0BOB> <@U0CAROL>")
        assert slack.wait_for(lambda s: len(bot.top_level()) >= before + 2, 30)
        said = " ".join(c.params["text"] for c in bot.top_level()[before:])
        assert f"Calendar: http://127.0.0.1:{port}/oncall.ics" in said
        status, feed = _http("GET", f"http://127.0.0.1:{port}/oncall.ics")
        assert status == 200
        assert b"BEGIN:VCALENDAR" in feed
        assert b"On call: Bob de Vries" in feed  # names, as Slack gives them
        assert b"On call: Carol Smith" in feed
        assert b"On call: U0" not in feed

        root = slack.post(POSTER, SUPPORT, "<!subteam^S0DEVS|@devs> payments are failing")
        bot.wait_posts(root, 2)
        key = f"watchstander/{SUPPORT}/{root}"
        body = json.dumps(
            {
                "event": {
                    "event_type": "incident.acknowledged",
                    "agent": {"summary": "Bob de Vries"},
                    "data": {"incident_key": key},
                }
            }
        ).encode()
        url = f"http://127.0.0.1:{port}/pagerduty"
        assert _http("POST", url, body)[0] == 401  # unsigned
        wrong = {"X-PagerDuty-Signature": "v1=" + "0" * 64}
        assert _http("POST", url, body, wrong)[0] == 401
        good = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        bad_json = {
            "X-PagerDuty-Signature": "v1="
            + hmac.new(secret.encode(), b"{oops", hashlib.sha256).hexdigest()
        }
        assert _http("POST", url, b"{oops", bad_json)[0] == 400
        assert len(bot.posts(root)) == 2  # none of those changed anything
        signed = {"X-PagerDuty-Signature": f"v0=old, {good}"}
        assert _http("POST", url, body, signed)[0] == 202
        assert _http("POST", url, body, signed)[0] == 202  # redelivered: said once
        texts = [c.params["text"] for c in bot.wait_posts(root, 3)]
        assert "Bob de Vries acknowledged the page" in texts[2]
        slack.post(DEV2, SUPPORT, "!thread", thread_ts=root)
        final = [c.params["text"] for c in bot.wait_posts(root, 4)]
        assert sum("acknowledged the page" in t for t in final) == 1
    finally:
        pd.stop()


def test_review_turns_a_bug_tag_into_one_github_issue(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    gh = LocalGitHub().start()
    try:
        bot = make_bot(GITHUB_TOKEN=gh.token, GITHUB_REPO=gh.repo, GITHUB_API_URL=gh.url)
        root = slack.post(POSTER, SUPPORT, "the CSV export drops the last row <!channel>")
        again = slack.post(DEV2, SUPPORT, "CSV export: drops rows again?")
        slack.react(DEV, SUPPORT, root, "bug")
        slack.react(DEV2, SUPPORT, root, "necktie")
        # the bot handles events in parallel with commands: the review starts once the bot
        # has recorded the two posts and the thread's tags
        wait_until(
            lambda: (
                recorded_reactions(bot, root) == {"bug", "necktie"}
                and stored_thread(bot, again) is not None
            ),
            30,
            "the bot recorded both posts and the 🐛 and 👔 on the first",
        )
        before = len(bot.top_level())
        slack.post(DEV, SUPPORT, "!review --dry-run")
        assert slack.wait_for(lambda s: len(bot.top_level()) > before, 30), bot.log_tail()
        dry = bot.top_level()[-1].params["text"]
        assert "dry run" in dry
        assert "would make a bug issue" in dry
        assert gh.issues == []
        slack.post(DEV, SUPPORT, "!review")
        assert slack.wait_for(lambda s: len(bot.top_level()) > before + 1, 30)
        digest = bot.top_level()[-1].params["text"]
        assert "made bug" in digest
        assert "https://github.com/acme/app/issues/1" in digest
        assert "“csv export”: 2 threads, 2 this week" in digest  # a repeat topic
        (issue,) = gh.issues
        assert [label["name"] for label in issue["labels"]] == ["bug", "support"]
        assert "<!channel>" not in issue["body"]
        assert root.replace(".", "") in issue["body"]
        slack.post(DEV, SUPPORT, "!review")
        assert slack.wait_for(lambda s: len(bot.top_level()) > before + 2, 30)
        assert len(gh.issues) == 1
    finally:
        gh.stop()


def test_a_signed_github_webhook_closes_the_loop_once(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    gh, port, secret = LocalGitHub().start(), free_port(), "gh-webhook-secret"
    try:
        bot = make_bot(
            GITHUB_TOKEN=gh.token,
            GITHUB_REPO=gh.repo,
            GITHUB_API_URL=gh.url,
            GITHUB_WEBHOOK_SECRET=secret,
            WATCHSTANDER_HTTP_PORT=str(port),
        )
        root = slack.post(POSTER, SUPPORT, "the invoice PDF is blank")
        slack.react(DEV, SUPPORT, root, "bug")
        wait_until(  # the bot handles events in parallel with commands
            lambda: recorded_reactions(bot, root) == {"bug"}, 30, "the bot recorded the 🐛"
        )
        before = len(bot.top_level())
        slack.post(DEV, SUPPORT, "!review")
        assert slack.wait_for(lambda s: len(bot.top_level()) > before, 30), bot.log_tail()
        (issue,) = gh.issues
        assert issue["number"] == 1
        assert "made bug" in bot.top_level()[-1].params["text"]
        body = json.dumps({"action": "closed", "issue": {"number": 1}}).encode()
        url = f"http://127.0.0.1:{port}/github"
        headers = {"X-GitHub-Event": "issues"}
        assert _http("POST", url, body, headers)[0] == 401
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        signed = {**headers, "X-Hub-Signature-256": signature}
        assert _http("POST", url, body, signed)[0] == 202
        assert _http("POST", url, body, signed)[0] == 202  # redelivered
        (told,) = bot.wait_posts(root, 1)
        assert f"<@{POSTER}>" in told.params["text"]
        assert "issues/1" in told.params["text"]
        slack.post(DEV2, SUPPORT, "!thread", thread_ts=root)
        posts = bot.wait_posts(root, 2)
        assert sum("is closed" in c.params["text"] for c in posts) == 1
    finally:
        gh.stop()
