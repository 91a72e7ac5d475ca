"""Pictures through files_upload_v2 against the local Slack server: into a thread by the
channel's id; a refusal is one line that names Slack's error and no token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from watchstander.adapters.chat import Files, UploadError
from watchstander_sandbox.slack_server import LocalSlack

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    server = LocalSlack().start()
    yield server
    server.stop()


def test_pictures_land_in_the_thread(slack: LocalSlack) -> None:
    root = slack.post("U0CAROL", "C0SUPPORT", "figures")
    files = Files(WebClient(token=slack.bot_token, base_url=slack.api_url))
    taken = files.upload("C0SUPPORT", root, [("a.png", PNG, "A"), ("b.png", PNG + b"1", "B")])
    assert taken == 2
    assert [(f.filename, f.channel, f.thread_ts, f.content) for f in slack.files] == [
        ("a.png", "C0SUPPORT", root, PNG),
        ("b.png", "C0SUPPORT", root, PNG + b"1"),
    ]


def test_a_refusal_is_one_line_without_the_token(slack: LocalSlack) -> None:
    files = Files(WebClient(token=slack.bot_token, base_url=slack.api_url))
    with pytest.raises(UploadError) as error:
        files.upload("<#C0SUPPORT|support>", None, [("a.png", PNG, "A")])  # what upstream sends
    text = str(error.value)
    assert "channel_not_found" in text and slack.bot_token not in text and "\n" not in text
    assert slack.files == []
