"""The page's own logic, run by Node where it is installed (the page's modules are plain ES
modules): times in the bot's zone labelled as Slack does, and which links in the bot's
messages the page opens itself (a thread here, an issue in the GitHub panel)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from watchstander_sandbox.web_ui import PAGE

NODE = shutil.which("node")
WORKSPACE = "https://sandbox.slack.com/"  # what the local Slack's auth.test says
ISSUES = [{"number": 3, "html_url": "https://github.com/acme/app/issues/3"}]


def run(script: str) -> Any:
    """Run ``script`` (an ES module with the page's modules imported) in Node; its JSON."""
    if NODE is None:
        pytest.skip("no Node: the page's logic is covered by the browser test where it runs")
    imports = "\n".join(
        f"import * as {name} from '{(PAGE / f'{name}.js').as_uri()}';"
        for name in ("clock", "links", "mrkdwn", "state")
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", f"{imports}\n{script}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stamps(zone: str, now: str, *times: str) -> list[str]:
    script = f"""
    const now = new Date({json.dumps(now)});
    console.log(JSON.stringify({json.dumps(list(times))}.map(
      (t) => clock.stamp(new Date(t), now, {json.dumps(zone)}))));
    """
    result: list[str] = run(script)
    return result


def test_a_message_is_labelled_in_the_bots_zone_with_its_day_when_not_today() -> None:
    now = "2026-11-30T12:00:00Z"  # Monday, 13:00 in Amsterdam
    times = (
        "2026-11-30T13:05:00Z",  # today
        "2026-11-29T23:30:00Z",  # Monday 00:30 in Amsterdam, Sunday 18:30 in New York
        "2026-11-24T13:05:00Z",  # last Tuesday
        "2026-11-16T13:05:00Z",  # two weeks ago
        "2025-12-31T13:05:00Z",  # another year
    )
    assert stamps("Europe/Amsterdam", now, *times) == [
        "14:05",
        "00:30",
        "Tue 14:05",
        "16 Nov 14:05",
        "31 Dec 2025 14:05",
    ]
    assert stamps("America/New_York", now, *times) == [
        "08:05",
        "Sun 18:30",
        "Tue 08:05",
        "16 Nov 08:05",
        "31 Dec 2025 08:05",
    ]


def test_seconds_the_whole_date_and_a_zone_the_browser_does_not_know() -> None:
    script = """
    const d = new Date('2026-11-30T13:05:09Z');
    console.log(JSON.stringify([
      clock.stamp(d, d, 'Europe/Amsterdam', true),
      clock.longStamp(d, 'Europe/Amsterdam'),
      typeof clock.stamp(d, d, 'Not/A_Zone'),
    ]));
    """
    short, long, unknown = run(script)
    assert short == "14:05:09"
    assert "30 November 2026" in long
    assert "14:05:09" in long
    assert "CET" in long
    assert unknown == "string"


def test_which_links_the_page_opens_itself() -> None:
    links = [
        f"{WORKSPACE}archives/C0SUPPORT/p1764500000123456",
        f"{WORKSPACE}archives/C0SUPPORT/p1764500000123456?thread_ts=1764400000.000100&cid=C0SUPPORT",
        f"{WORKSPACE}archives/C0GENERAL/p1764500000123456",  # not a channel the page shows
        "https://other.slack.com/archives/C0SUPPORT/p1764500000123456",
        "https://github.com/acme/app/issues/3",
        "https://github.com/acme/app/issues/4",  # not in the sandbox's GitHub
        "https://example.com/",
    ]
    script = f"""
    console.log(JSON.stringify({json.dumps(links)}.map((u) =>
      links.linkTarget(u, {json.dumps(WORKSPACE)}, 'C0SUPPORT', {json.dumps(ISSUES)}))));
    """
    assert run(script) == [
        {"kind": "message", "ts": "1764500000.123456", "threadTs": None},
        {"kind": "message", "ts": "1764500000.123456", "threadTs": "1764400000.000100"},
        None,
        None,
        {"kind": "issue", "number": 3},
        None,
        None,
    ]


def test_the_bots_links_are_rendered_to_open_in_the_page() -> None:
    data = {"workspace_url": WORKSPACE, "channel": {"id": "C0SUPPORT"}, "github": ISSUES}
    texts = [
        f"<{WORKSPACE}archives/C0SUPPORT/p1764500000123456|the thread>",
        "<https://github.com/acme/app/issues/3|#3>",
        "see https://github.com/acme/app/issues/3.",
        "<https://example.com/|elsewhere>",
    ]
    script = f"""
    Object.assign(state.S, {{data: {json.dumps(data)}}});
    console.log(JSON.stringify({json.dumps(texts)}.map((t) => mrkdwn.mrkdwn(t))));
    """
    thread, issue, bare, other = run(script)
    assert 'data-act="open-link" data-ts="1764500000.123456"' in thread
    assert 'href="#msg-1764500000.123456"' in thread
    assert 'data-number="3"' in issue
    assert 'href="#issue-3"' in issue
    assert 'data-number="3"' in bare
    assert bare.endswith("</a>.")
    assert 'href="https://example.com/" target="_blank"' in other
    assert "open-link" not in other
