"""The help service on a real database with the real triage service: suggestions while the
summary is typed, "This answers it" counted once per form, errors by field with nothing
posted, and a submission posted once as the asker's thread at the chosen level."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from triage_helpers import CHANNEL, T0, Harness, harness

from watchstander.domain.levels import Level
from watchstander.render import Renderer, SlackVoice
from watchstander.services.answers import AnswerService, Suggestion
from watchstander.services.effects import Effect
from watchstander.services.forms import (
    ANSWERS,
    ASK,
    ASK_ABOUT,
    HELP_VIEW,
    SUPPORT_COMMAND,
    DoneView,
    FormClose,
    FormInput,
    FormOpen,
    FormSubmit,
    HelpFormView,
)
from watchstander.services.help import HelpService, metadata
from watchstander.services.inbound import datetime_to_ts
from watchstander.store import Store

NOW = T0 + timedelta(days=40)
ASKER, DEV = "U0CAROL", "U0DAVE"
RENDER = Renderer(SlackVoice()).render


@dataclass
class Chat:
    """Records what is posted; ``refuse``: the platform takes nothing."""

    posted: list[tuple[Effect, str]] = field(default_factory=list)
    refuse: bool = False

    def text(self, effect: Effect, text: str) -> str | None:
        if self.refuse and effect.person is None:
            return None
        self.posted.append((effect, text))
        return datetime_to_ts(NOW + timedelta(seconds=len(self.posted)))


@dataclass
class Setup:
    help: HelpService
    chat: Chat
    triage: Harness
    store: Store


def setup(store: Store, taker: str = "host:1:first", **env: str) -> Setup:
    """The help form's service, in a process named ``taker``."""
    triage = harness(store, **env)
    answers = AnswerService(store, lambda c, t: f"https://slack/archives/{c}/p{t}")
    chat = Chat()
    service = HelpService(
        store,
        triage.service.settings,
        answers,
        channel_id=CHANNEL,
        render=RENDER,
        say=chat,
        triage=triage.service,
        group_handles=lambda: {"S0ONCALL": "oncall", "S0DEVS": "devs"},
        taker=taker,
    )
    return Setup(service, chat, triage, store)


def earlier(store: Store, text: str, note: str) -> str:
    at = T0
    root_ts = datetime_to_ts(at)
    with store.transaction() as tx:
        row, _ = tx.ensure_thread(CHANNEL, root_ts, at)
        tx.add_message(row, root_ts, "U0BOB", text, at)
        values = {"root_text": text, "posted_at": at, "poster": "U0BOB", "assignee": DEV}
        values |= {"resolved_at": at + timedelta(minutes=30), "resolved_by": DEV}
        tx.save_thread(row, values | {"resolve_note": note})
    return root_ts


def typed(text: str, view_id: str = "V1") -> FormInput:
    return FormInput(ASKER, view_id, HELP_VIEW, "summary", text, {"summary": text}, "{}")


def test_typing_the_summary_shows_the_resolved_threads_that_look_like_it(store: Store) -> None:
    s = setup(store)
    root = earlier(store, "Scheduled export to S3 fails with AccessDenied", "fix bucket policy")
    opened = s.help.handle(FormOpen(ASKER, ASK), NOW)
    assert opened is not None
    assert isinstance(opened.open, HelpFormView)
    assert opened.open.suggestions == ()
    assert not opened.open.looked
    answer = s.help.handle(typed("our S3 export: AccessDenied again"), NOW)
    assert answer is not None
    assert isinstance(answer.update, HelpFormView)
    (found,) = answer.update.suggestions
    assert (found.root_ts, found.line) == (root, "fix bucket policy")
    nothing = s.help.handle(typed("can tasks have two assignees"), NOW)
    assert nothing is not None
    assert isinstance(nothing.update, HelpFormView)
    assert nothing.update.suggestions == ()
    assert nothing.update.looked
    short = s.help.handle(typed("\u200b\u200bS3"), NOW)
    assert short is not None
    assert isinstance(short.update, HelpFormView)
    assert not short.update.looked


def test_the_openers_prefill_and_other_ids_are_not_taken(store: Store) -> None:
    s = setup(store)
    by_command = s.help.handle(FormOpen(ASKER, SUPPORT_COMMAND, "C0X", "x" * 500), NOW)
    assert by_command is not None
    assert isinstance(by_command.open, HelpFormView)
    assert len(by_command.open.summary) == 150
    about = FormOpen(ASKER, ASK_ABOUT, "C0GENERAL", "", "1700000000.000100", "\u202e<!here> down")
    by_message = s.help.handle(about, NOW)
    assert by_message is not None
    assert isinstance(by_message.open, HelpFormView)
    assert by_message.open.about is not None
    assert by_message.open.about.link == "https://slack/archives/C0GENERAL/p1700000000.000100"
    assert by_message.open.about.text == "<!here> down"
    assert by_message.open.summary == ""
    assert s.help.handle(FormOpen(ASKER, "ws_other"), NOW) is None
    assert s.help.handle(FormClose(ASKER, "V1", "another_form"), NOW) is None
    assert s.help.handle(FormClose(ASKER, "V1", HELP_VIEW), NOW) is not None


def test_a_prefilled_form_opens_before_the_earlier_threads_are_looked_up(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack's trigger to open a form lasts 3 s: the lookup comes after, as ``fill``."""
    s = setup(store)
    root = earlier(store, "Scheduled export to S3 fails with AccessDenied", "fix bucket policy")
    asked: list[str] = []
    real = s.help.answers.suggest

    def suggest(text: str, *rest: Any) -> list[Suggestion]:
        asked.append(text)
        return real(text, *rest)

    monkeypatch.setattr(s.help.answers, "suggest", suggest)
    about = FormOpen(
        ASKER, ASK_ABOUT, CHANNEL, "", "1700000000.000100", "our S3 export: AccessDenied"
    )
    by_command = FormOpen(ASKER, SUPPORT_COMMAND, CHANNEL, "S3 export AccessDenied")
    for event, text in (
        (about, "our S3 export: AccessDenied"),
        (by_command, "S3 export AccessDenied"),
    ):
        opened = s.help.handle(event, NOW)
        assert opened is not None
        assert isinstance(opened.open, HelpFormView)
        assert (opened.open.looking, opened.open.suggestions, asked) == (True, (), [])
        assert opened.fill is not None
        filled = opened.fill()
        assert asked == [text]
        assert isinstance(filled, HelpFormView)
        assert [found.root_ts for found in filled.suggestions] == [root]
        assert (filled.looking, filled.looked) == (False, True)
        assert (filled.summary, filled.about, filled.metadata) == (
            opened.open.summary, opened.open.about, opened.open.metadata
        )  # fmt: skip
        asked.clear()
    # nothing to look up: the form opens as it is, with nothing left to fill
    for event in (FormOpen(ASKER, ASK), FormOpen(ASKER, SUPPORT_COMMAND, CHANNEL, " \u200b S3")):
        opened = s.help.handle(event, NOW)
        assert opened is not None
        assert isinstance(opened.open, HelpFormView)
        assert (opened.open.looking, opened.fill, asked) == (False, None, [])


def test_a_lookup_the_database_fails_leaves_the_form_usable_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'help.db'}")
    store.migrate()
    s = setup(store)
    opened = s.help.handle(FormOpen(ASKER, SUPPORT_COMMAND, CHANNEL, "S3 export AccessDenied"), NOW)
    assert opened is not None
    assert opened.fill is not None
    store.dispose()
    (tmp_path / "help.db").rename(tmp_path / "gone.db")  # the database is not what it was
    with caplog.at_level(logging.WARNING, "watchstander.services.help"):
        filled = opened.fill()
    assert isinstance(filled, HelpFormView)
    assert (filled.looking, filled.looked, filled.suggestions) == (False, False, ())
    assert filled.summary == "S3 export AccessDenied"
    (line,) = [r.getMessage() for r in caplog.records if r.name == "watchstander.services.help"]
    assert line.startswith("the help form's earlier threads were not looked up: ")
    assert "\n" not in line
    store.dispose()


def test_this_answers_it_counts_one_self_served_question_per_form(store: Store) -> None:
    s = setup(store)
    root = earlier(store, "Scheduled export to S3 fails with AccessDenied", "fix bucket policy")
    press = FormInput(ASKER, "V7", HELP_VIEW, ANSWERS, f"{CHANNEL} {root}", {}, "{}")
    for _ in range(2):
        answer = s.help.handle(press, NOW)
        assert answer is not None
        assert isinstance(answer.update, DoneView)
    with store.transaction() as tx:
        assert tx.self_served_between(T0, NOW + timedelta(days=1)) == {"form": 1}
    # a thread that is not resolved, or none at all: nothing recorded
    with store.transaction() as tx:
        tx.ensure_thread(CHANNEL, "1.000100", T0)
    for value in (f"{CHANNEL} 1.000100", f"{CHANNEL} 9.9", "<!channel>", ""):
        other = FormInput(ASKER, "V8", HELP_VIEW, ANSWERS, value, {}, "{}")
        answer = s.help.handle(other, NOW)
        assert answer is not None
        assert answer.update is None
    with store.transaction() as tx:
        assert tx.self_served_between(T0, NOW + timedelta(days=1)) == {"form": 1}
    assert s.chat.posted == []


def submit(view_id: str = "V1", metadata_: str = "{}", **values: str) -> FormSubmit:
    return FormSubmit(ASKER, view_id, HELP_VIEW, values, metadata_)


def test_a_form_missing_what_it_must_hold_gets_errors_and_posts_nothing(store: Store) -> None:
    s = setup(store)
    answer = s.help.handle(submit(summary="x", url="nope", level="emergency"), NOW)
    assert answer is not None
    assert answer.then is None
    assert set(answer.errors) == {"url", "happened"}
    answer = s.help.handle(submit(summary="x", level="emergency", happened="down"), NOW)
    assert answer is not None
    assert answer.then is not None
    assert s.chat.posted == []


@pytest.mark.parametrize(
    ("level", "tag", "said"),
    [
        ("urgent", "<!subteam^S0ONCALL|@oncall> ", ["announce"]),
        ("emergency", "<!subteam^S0DEVS|@devs> ", ["announce"]),
        ("question", "", []),
    ],
)
def test_a_submission_posts_once_as_the_askers_thread_at_its_level(
    store: Store, level: str, tag: str, said: list[str]
) -> None:
    s = setup(store)
    hostile = "<!channel> \u202eboom <@U0ALICE> " + "&" * 950
    kept = metadata(None)
    form = submit(
        "V9",
        kept,
        summary="Revenue report <!here> does not tie out",
        url="https://app.example.com/r/7",
        expected=hostile,
        happened=hostile,
        level=level,
    )
    answer = s.help.handle(form, NOW)
    assert answer is not None
    assert answer.then is not None
    assert answer.errors == {}
    again = s.help.handle(form, NOW)  # the platform sends it again
    assert again is not None
    assert again.then is None
    assert again.errors == {}
    answer.then()
    ((effect, text),) = s.chat.posted
    assert (effect.channel, effect.thread_ts, effect.template) == (CHANNEL, None, "help_question")
    assert text.startswith(f"{tag}*Revenue report &lt;!here&gt; does not tie out*")
    assert f"<@{ASKER}>" in text
    assert "<https://app.example.com/r/7|" in text
    assert text.count("<") == text.count("<@") + text.count("<!subteam") + text.count("<http")
    assert len(text) <= 3800  # one message, the longest texts shortened
    ts = datetime_to_ts(NOW + timedelta(seconds=1))
    with store.transaction() as tx:
        row = tx.thread(CHANNEL, ts)
        assert row is not None
        assert (row.poster, Level(row.level)) == (
            ASKER,
            {"urgent": 1, "emergency": 2}.get(level, 0),
        )
        assert "&lt;!channel&gt;" in (row.root_text or "")
    assert s.triage.templates() == said


def test_a_question_slack_did_not_take_is_said_to_the_asker(store: Store) -> None:
    s = setup(store)
    s.chat.refuse = True
    answer = s.help.handle(submit(summary="<!channel> export", level="question"), NOW)
    assert answer is not None
    assert answer.then is not None
    answer.then()
    ((effect, text),) = s.chat.posted
    assert effect.person == ASKER
    assert "nothing was posted" in text
    assert "&lt;!channel&gt; export" in text
    assert "Asked by" in text  # the whole question, for the asker to post again
    with store.transaction() as tx:
        assert tx.pending_questions("nobody", NOW) == []  # told: the form is done
    with store.transaction() as tx:
        assert tx.thread(CHANNEL, datetime_to_ts(NOW + timedelta(seconds=1))) is None


def test_a_form_taken_before_a_stop_is_posted_at_the_next_start_once(store: Store) -> None:
    """The process stops between the answer to the form and the post: the next start posts
    it; a start after that posts nothing more."""
    s = setup(store)
    answer = s.help.handle(submit("V5", summary="exports time out", level="urgent"), NOW)
    assert answer is not None
    assert answer.then is not None  # ... and the process stops before it runs
    assert setup(store).help.resume(NOW) == 0  # a process's own forms: left to it
    after = setup(store, taker="host:2:second")
    assert after.help.resume(NOW) == 1
    ((effect, _),) = after.chat.posted
    assert effect.template == "help_question"
    ts = datetime_to_ts(NOW + timedelta(seconds=1))
    with store.transaction() as tx:
        row = tx.thread(CHANNEL, ts)
        assert row is not None
        assert row.poster == ASKER
    assert after.help.resume(NOW) == 0
    answer.then()  # the first process's work, were it to run after all: nothing twice
    assert s.chat.posted == []
    assert len(after.chat.posted) == 1


def test_a_question_posted_before_a_stop_is_recorded_at_the_next_start_not_posted_again(
    store: Store,
) -> None:
    """Posted, then stopped before its thread was recorded: the next start records the
    thread as the asker's and posts nothing."""
    s = setup(store)
    answer = s.help.handle(submit("V6", summary="exports time out", level="urgent"), NOW)
    assert answer is not None
    ts = "1790000000.000100"
    with store.transaction() as tx:  # what the stopped process had done: the post
        tx.question_posted("form-post:V6", ts)
    after = setup(store, taker="host:2:second")
    assert after.help.resume(NOW) == 1
    assert after.chat.posted == []
    with store.transaction() as tx:
        row = tx.thread(CHANNEL, ts)
        assert row is not None
        assert (row.poster, Level(row.level)) == (ASKER, Level.URGENT)
        assert tx.pending_questions("nobody", NOW) == []
