"""Ask for help, end to end: a person opens the form on the local Slack server (the global
shortcut, the message shortcut, ``/support``), types a summary and sees an earlier resolved
thread with the line that resolved it, gets errors by field for a form that lacks what it
must hold (nothing posted), and submits: the question is in #support as their own thread at
the level chosen, once, even when Slack sends the submission again. "This answers it" closes
the form, posts nothing and counts one self-served question."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from e2e_helpers import DEV, DEV2, POSTER, SUPPORT, Bot, errbot_log, wait_until

from watchstander.adapters.slack_views import LOOKING
from watchstander.services.forms import ANSWERS, ASK, ASK_ABOUT, DONE_VIEW, HELP_VIEW
from watchstander.store import ThreadRow
from watchstander_sandbox.slack import Call, LocalSlack

pytestmark = pytest.mark.e2e

ASKER = DEV2
NOTHING_LIKE_IT = "No earlier resolved thread looks like it yet."
EARLIER = "Scheduled export to S3 fails with AccessDenied"
ANSWER = "fix the bucket policy on the export bucket"


def resolved_earlier_thread(slack: LocalSlack, bot: Bot) -> str:
    """A thread resolved with a note: what the form will suggest."""
    root = slack.post(POSTER, SUPPORT, EARLIER)
    wait_until(lambda: thread_row(bot, root), 30, "the earlier thread recorded")
    slack.post(DEV, SUPPORT, f"!resolve {ANSWER}", thread_ts=root)
    wait_until(lambda: resolved(bot, root), 30, "the earlier thread resolved")
    return root


def resolved(bot: Bot, root: str) -> bool:
    with bot.store().transaction() as tx:
        found = tx.thread(SUPPORT, root)
        return found is not None and found.resolved_at is not None


def thread_row(bot: Bot, root: str) -> ThreadRow | None:
    with bot.store().transaction() as tx:
        return tx.thread(SUPPORT, root)


def open_form(slack: LocalSlack, user: str = ASKER, count: int = 1) -> dict[str, Any]:
    assert slack.wait_for(lambda s: len(s.views(user)) == count, 30), slack.calls_to("views.open")
    view = slack.views(user)[-1]
    assert view["callback_id"] == HELP_VIEW
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    assert found, [b.get("block_id") for b in view["blocks"]]
    return found[0]


def suggested(slack: LocalSlack) -> dict[str, Any]:
    def shown(s: LocalSlack) -> bool:
        views = s.views(ASKER)
        return bool(views) and any(
            b.get("block_id") == "ws_suggestion_0" for b in views[-1]["blocks"]
        )

    assert slack.wait_for(shown, 30), slack.views(ASKER)
    return slack.views(ASKER)[-1]


def questions(bot: Bot, marker: str) -> list[Call]:
    return [c for c in bot.top_level() if marker in str(c.params.get("text", ""))]


def submission_envelope(slack: LocalSlack) -> str:
    sent = [
        e
        for e in slack.envelopes
        if e["type"] == "interactive" and e["payload"]["type"] == "view_submission"
    ]
    return str(sent[-1]["envelope_id"])


def test_the_form_suggests_refuses_by_field_and_posts_the_askers_thread_once(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    earlier = resolved_earlier_thread(slack, bot)
    slack.shortcut(ASKER, ASK)
    view = open_form(slack)
    assert "ws_suggestion_0" not in str(view["blocks"])
    guide = str(block(view, "ws_guide"))
    assert "Can you help me understand these numbers" in guide  # the guide's own words
    levels = block(view, "level")["element"]["options"]
    assert [o["value"] for o in levels] == ["question", "urgent", "emergency"]

    # typing the summary shows the earlier thread, its link and the line that resolved it
    slack.type_into(ASKER, view["id"], "summary", "our S3 export: AccessDenied again")
    view = suggested(slack)
    shown = block(view, "ws_suggestion_0")
    assert ANSWER in shown["text"]["text"]
    assert f"/archives/{SUPPORT}/p{earlier.replace('.', '')}" in shown["text"]["text"]
    assert shown["accessory"]["action_id"] == ANSWERS
    # what was typed stays in the form
    assert view["state"]["values"]["summary"]["summary"]["value"].startswith("our S3 export")

    # Slack's own client refuses an empty required field; the bot refuses the rest, by field
    posted = len(bot.top_level())
    client = slack.submit(ASKER, view["id"], {"summary": "", "level": "emergency"})
    assert client["errors"] == {"summary": "Please complete this required field."}
    answer = slack.submit(
        ASKER,
        view["id"],
        {"summary": "S3 export AccessDenied", "url": "not a link", "level": "emergency"},
    )
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"url", "happened"}
    assert len(slack.views(ASKER)) == 1  # the form stays open
    assert len(bot.top_level()) == posted  # and nothing was posted

    hostile = "<!channel> totals differ <@U0ALICE> \u202eevil"
    answer = slack.submit(
        ASKER,
        view["id"],
        {
            "url": "https://app.example.com/exports/7",
            "expected": "the nightly export lands in S3",
            "happened": hostile,
            "level": "urgent",
        },
    )
    assert answer == {}
    assert slack.views(ASKER) == []  # the form closed
    assert slack.wait_for(lambda s: len(questions(bot, "S3 export AccessDenied")) == 1, 30)
    (question,) = questions(bot, "S3 export AccessDenied")
    text = str(question.params["text"])
    assert text.startswith("<!subteam^S0ONCALL|@oncall> *S3 export AccessDenied*")
    assert f"<@{ASKER}>" in text
    assert "https://app.example.com/exports/7" in text
    assert "<!channel>" not in text
    assert "<@U0ALICE>" not in text
    assert "\u202e" not in text
    assert "&lt;!channel&gt;" in text

    # the thread is the asker's, urgent: the bot names the person on call in it
    ts = str(next(m["ts"] for m in slack.messages(SUPPORT) if m["text"] == text))
    row = wait_until(lambda: thread_row(bot, ts), 30, "the question's thread")
    assert row is not None
    assert (row.poster, row.level) == (ASKER, 1)
    bot.wait_posts(ts, 1)

    # Slack sends the submission again (a late ack): answered again, posted once
    envelope = submission_envelope(slack)
    slack.redeliver(envelope)
    assert slack.wait_for(lambda s: len(s.acked_with(envelope)) == 2, 30)
    assert slack.acked_with(envelope)[1] == {}
    wait_until(lambda: "posted once already" in errbot_log(bot.data), 30, "the second delivery")
    assert len(questions(bot, "S3 export AccessDenied")) == 1


def self_served(bot: Bot) -> dict[str, int]:
    with bot.store().transaction() as tx:
        start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        return tx.self_served_between(start, end)


def test_this_answers_it_closes_the_form_posts_nothing_and_counts_once(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    resolved_earlier_thread(slack, bot)
    posted = len(bot.top_level())
    slack.shortcut(ASKER, ASK)
    view = open_form(slack)
    slack.type_into(ASKER, view["id"], "summary", "S3 export fails: AccessDenied")
    suggested(slack)
    slack.press_in_view(ASKER, view["id"], ANSWERS)
    done = lambda s: s.views(ASKER) and s.views(ASKER)[-1]["callback_id"] == DONE_VIEW  # noqa: E731
    assert slack.wait_for(done, 30), slack.views(ASKER)
    assert slack.views(ASKER)[-1]["submit"] is None  # nothing left to submit
    wait_until(lambda: self_served(bot) == {"form": 1}, 30, "one self-served question")

    # the same press sent as a new envelope (another delivery): still counted once
    (pressed,) = [
        e["payload"]
        for e in slack.envelopes
        if e["type"] == "interactive"
        and (e["payload"].get("actions") or [{}])[0].get("action_id") == ANSWERS
    ]
    slack.push_interactive(pressed)
    assert slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 3, 30)
    assert self_served(bot) == {"form": 1}
    slack.close_view(ASKER, view["id"])
    assert slack.views(ASKER) == []
    assert len(bot.top_level()) == posted  # nothing was posted


def test_the_message_shortcut_and_support_prefill_the_form(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    about = slack.post(DEV, "C0GENERAL", "<!here> the dashboard shows 0 users since 9:00")
    slack.message_shortcut(ASKER, "C0GENERAL", about, ASK_ABOUT)
    view = open_form(slack)
    # shown at once (a trigger lasts 3 s), then completed with what the lookup found
    (opening,) = slack.calls_to("views.open")
    assert LOOKING in str(opening.params["view"])
    assert slack.wait_for(lambda s: NOTHING_LIKE_IT in str(s.views(ASKER)[-1]["blocks"]), 30)
    (completing,) = slack.calls_to("views.update")
    assert completing.params["view_id"] == view["id"]
    assert completing.params["hash"]  # a keystroke that came first would win
    view = open_form(slack)
    context = block(view, "ws_about")["text"]["text"]
    assert f"/archives/C0GENERAL/p{about.replace('.', '')}|this message>" in context
    assert "the dashboard shows 0 users" in context
    assert "<!here>" not in context
    answer = slack.submit(ASKER, view["id"], {"summary": "Dashboard empty", "level": "question"})
    assert answer == {}
    assert slack.wait_for(lambda s: len(questions(bot, "Dashboard empty")) == 1, 30)
    (question,) = questions(bot, "Dashboard empty")
    text = str(question.params["text"])
    assert "this message>: @\u2060here the dashboard shows 0 users" in text
    assert "<!subteam" not in text
    assert "<!here>" not in text

    # /support with words: they prefill the summary; an unknown shortcut is one log line
    slack.slash(ASKER, SUPPORT, "/support", "Invoices PDF export is blank")
    view = open_form(slack)
    assert block(view, "summary")["element"]["initial_value"] == "Invoices PDF export is blank"
    slack.shortcut(ASKER, "<!channel>unknown")
    wait_until(
        lambda: "No plugin handles the form '<!channel>unknown'" in errbot_log(bot.data),
        30,
        "the unknown shortcut logged",
    )
    assert len(slack.views(ASKER)) == 1


def test_a_form_opened_before_a_restart_is_submitted_after_it(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    about = slack.post(DEV, "C0GENERAL", "exports are stuck since 9:00")
    slack.message_shortcut(ASKER, "C0GENERAL", about, ASK_ABOUT)
    view = open_form(slack)
    bot.stop()
    bot.start()  # what the form needs is in the form, not in the old process
    answer = slack.submit(ASKER, view["id"], {"summary": "Exports stuck", "level": "question"})
    assert answer == {}
    assert slack.wait_for(lambda s: len(questions(bot, "Exports stuck")) == 1, 30)
    (question,) = questions(bot, "Exports stuck")
    assert "exports are stuck since 9:00" in str(question.params["text"])
