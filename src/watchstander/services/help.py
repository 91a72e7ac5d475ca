"""Ask for help: the form that gathers the data points (what is wrong, the URL, what was
expected, what happened) and the level, shows the earlier resolved threads that look like
the question while it is typed, and posts it in #support as the asker's own thread.

A question answered by a suggestion ("This answers it") is recorded as self-served, once per
form, and nothing is posted. A submitted form posts once, however often the platform sends
the submission: the form's id keys the post in the database. What a form needs at its
submission is kept in the form itself (its metadata), so a restart between opening and
submitting loses nothing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from watchstander.domain.help_form import (
    ABOUT_LIMIT,
    LIMITS,
    QUESTION_LIMIT,
    SUMMARY,
    FormInvalid,
    HelpRequest,
    blank,
    clean,
    level_choices,
    parse_request,
    shortened,
)
from watchstander.domain.levels import Level
from watchstander.services.answers import AnswerService
from watchstander.services.effects import Effect
from watchstander.services.forms import (
    ANSWERS,
    ASK_ABOUT,
    HELP_VIEW,
    OPENERS,
    About,
    DoneView,
    FormAnswer,
    FormClose,
    FormEvent,
    FormInput,
    FormOpen,
    FormSubmit,
    HelpFormView,
    read_answer_value,
)
from watchstander.services.inbound import InboundMessage
from watchstander.settings import Settings
from watchstander.store import ONE_PROCESS, Store, StoreError, first_line

log = logging.getLogger(__name__)

METADATA_LIMIT = 3000  # characters a form keeps for its submission (Slack's private_metadata)
MIN_LOOKUP = 3  # characters of a summary before earlier threads are looked up


class Poster(Protocol):
    """The one voice's way out (:class:`~watchstander.render.ChatSpeaker`)."""

    def text(self, effect: Effect, text: str) -> str | None: ...


class Triage(Protocol):
    def handle_message(self, msg: InboundMessage, now: datetime) -> bool: ...


class HelpService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        answers: AnswerService,
        *,
        channel_id: str,
        render: Callable[[str, Mapping[str, Any]], str],
        say: Poster,
        triage: Triage,
        group_handles: Callable[[], Mapping[str, str]] | None = None,
        taker: str = ONE_PROCESS,
    ) -> None:
        self.store = store
        self.taker = taker  # this process, as the forms it takes name it
        self.settings = settings
        self.answers = answers
        self.channel_id = channel_id
        self.render = render
        self.say = say
        self.triage = triage
        self._group_handles = group_handles or (lambda: {})
        # no emergency tag set: the form's emergencies tag nobody (never a crowd unasked)
        self.emergency_handle = (settings.emergency_tags or ("",))[0].lstrip("@")
        paging = bool(settings.secrets.get("PAGERDUTY_ROUTING_KEY"))
        self.levels = level_choices(settings.oncall_handle, self.emergency_handle, paging=paging)

    def handle(self, event: FormEvent, now: datetime) -> FormAnswer | None:
        """The answer to what a person did with the form; None for another form's event."""
        if isinstance(event, FormOpen):
            return self.open(event, now) if event.opener in OPENERS else None
        if event.form != HELP_VIEW:
            return None
        if isinstance(event, FormInput):
            return self.input(event, now)
        if isinstance(event, FormSubmit):
            return self.submit(event, now)
        assert isinstance(event, FormClose)
        log.debug("the help form %s was closed by %s", event.view_id, event.user)
        return FormAnswer()

    # --- the form ---------------------------------------------------------------------------

    def open(self, event: FormOpen, now: datetime) -> FormAnswer:
        about = None
        if event.opener == ASK_ABOUT and event.channel and event.about_ts:
            link = self.answers.link(event.channel, event.about_ts)
            about = About(link, shortened(clean(event.about_text), ABOUT_LIMIT))
        summary = shortened(clean(event.summary, one_line=True), LIMITS[SUMMARY])
        text = summary or (about.text if about else "")
        looking = looks_up(text)
        shown = HelpFormView(self.levels, summary, about, metadata=metadata(about))
        if not looking:
            return FormAnswer(open=shown)

        def fill() -> HelpFormView:  # once the form is shown: Slack's trigger lasts 3 s
            try:
                return dataclasses.replace(self.form(text, now, about), summary=summary)
            except StoreError as exc:  # the form is still good without them
                log.warning(
                    "the help form's earlier threads were not looked up: %s", first_line(exc)
                )
                return shown

        return FormAnswer(open=dataclasses.replace(shown, looking=True), fill=fill)

    def form(self, text: str, now: datetime, about: About | None) -> HelpFormView:
        """The form, with the earlier threads that look like ``text``."""
        looked = looks_up(text)
        found = tuple(self.answers.suggest(text, now)) if looked else ()
        return HelpFormView(self.levels, "", about, found, looked, metadata(about))

    def input(self, event: FormInput, now: datetime) -> FormAnswer:
        about = read_metadata(event.metadata)
        if event.action_id == SUMMARY:
            return FormAnswer(update=self.form(event.value, now, about))
        if event.action_id == ANSWERS:
            return self.answered(event, now)
        log.info("nothing to do for %r in the help form", event.action_id[:60])
        return FormAnswer()

    def answered(self, event: FormInput, now: datetime) -> FormAnswer:
        """ "This answers it": the question was self-served (once per form); nothing is posted."""
        channel, root_ts = read_answer_value(event.value)
        with self.store.transaction() as tx:
            thread = tx.thread(channel, root_ts) if channel and root_ts else None
            if thread is None or thread.resolved_at is None:
                log.info("'This answers it' names no resolved thread; ignored")
                return FormAnswer()
            key = f"form:{event.view_id}"
            if tx.add_self_served(key, now, event.user, "form", None, thread.id):
                log.info("a help form was answered by an earlier thread (%s)", root_ts)
        return FormAnswer(update=DoneView(self.answers.link(channel, root_ts)))

    def submit(self, event: FormSubmit, now: datetime) -> FormAnswer:
        """Errors by field, or the form taken: posted once (after the answer), never twice."""
        try:
            parse_request(event.values)  # checked now; read again when it is posted
        except FormInvalid as invalid:
            return FormAnswer(errors=invalid.errors)
        key = f"form-post:{event.view_id}"
        body = json.dumps({"values": dict(event.values), "metadata": event.metadata})
        with self.store.transaction() as tx:
            first = tx.once(key, now) and tx.add_pending_question(
                key, now, event.user, body, self.taker
            )
        if not first:
            log.info("the help form %s was sent again; posted once already", event.view_id)
            return FormAnswer()
        return FormAnswer(then=lambda: self.post_pending(key, now))

    def resume(self, now: datetime) -> int:
        """Post the questions of forms taken that a process gone (stopped, or killed) did not,
        each taken over first (each once: a question posted before the stop is only
        recorded); a form a live process is posting is left to it. How many were taken."""
        with self.store.transaction() as tx:
            left = tx.pending_questions(self.taker, now)
        taken = 0
        for key, holder in left:
            with self.store.transaction() as tx:
                if not tx.take_over_question(key, holder, self.taker):
                    continue
                tx.audit(now, None, "took_over:question", None, holder or "")
            taken += 1
            self.post_pending(key, now)
        return taken

    # --- the question -----------------------------------------------------------------------

    def post_pending(self, key: str, now: datetime) -> None:
        """Post a form's question in the support channel, then open its thread as the
        asker's, at the level chosen (the platform's echo of the bot's post is the bot's,
        ignored). The form is kept until both are done; when the platform refuses the post,
        the asker is sent the whole question, and the form is done."""
        with self.store.transaction() as tx:
            row = tx.pending_question(key)
            pending = None if row is None else (row.user, row.body, row.posted_ts)
        if pending is None:
            return
        user, body, ts = pending
        kept = json.loads(body)
        request = parse_request(kept["values"])
        about = read_metadata(kept["metadata"])
        if ts is None:
            data = self.question(request, about, user)
            ts = self.say.text(
                Effect("help_question", self.channel_id, None), fit(self.render, data)
            )
            if ts is None:  # the asker gets it all back (without the tag: nobody to call)
                note = self.render("help_not_posted", {"summary": request.summary})
                copy = fit(self.render, data | {"tag_handle": "", "tag_group": ""})
                self.say.text(Effect.direct("help_not_posted", user, {}), f"{note}\n{copy}")
                with self.store.transaction() as tx:
                    tx.question_done(key)
                return
            with self.store.transaction() as tx:
                tx.question_posted(key, ts)
        text = request.thread_text(about.text if about else "")
        msg = InboundMessage(self.channel_id, ts, None, user, text, level=request.level)
        self.triage.handle_message(msg, now)
        with self.store.transaction() as tx:
            tx.question_done(key)

    def question(self, request: HelpRequest, about: About | None, user: str) -> dict[str, Any]:
        handle, group = "", ""
        if request.level is Level.URGENT:
            handle, group = self.settings.oncall_handle, self.settings.oncall_usergroup_id
        elif request.level is Level.EMERGENCY:
            handle = self.emergency_handle
        if handle and not group:
            group = next((g for g, h in self._group_handles().items() if h == handle), "")
        return {
            "user": user,
            "level": request.level.label,
            "tag_handle": handle,
            "tag_group": group,
            "summary": request.summary,
            "url": request.url,
            "expected": request.expected,
            "happened": request.happened,
            "about_link": about.link if about else "",
            "about_text": about.text if about else "",
        }


def fit(render: Callable[[str, Mapping[str, Any]], str], data: dict[str, Any]) -> str:
    """The question rendered within one message: the longest of the person's texts is
    shortened until it fits (quoting may make a text several times longer)."""
    text = render("help_question", data)
    longest = ("expected", "happened", "about_text", "url", "summary")
    while len(text) > QUESTION_LIMIT:
        name = max(longest, key=lambda k: len(data[k]))
        if len(data[name]) < 2:
            break
        data = {**data, name: shortened(data[name], len(data[name]) // 2)}
        text = render("help_question", data)
    return text


def looks_up(text: str) -> bool:
    """Whether ``text`` is long enough to look up earlier threads for."""
    return sum(not blank(ch) for ch in text) >= MIN_LOOKUP


def metadata(about: About | None) -> str:
    """What the form keeps for its submission, within Slack's 3,000 characters."""
    if about is None:
        return json.dumps({"v": 1})
    text = about.text
    while True:
        kept = json.dumps({"v": 1, "about": [about.link[:1000], text]}, ensure_ascii=False)
        if len(kept) <= METADATA_LIMIT or not text:
            return kept
        text = text[: len(text) // 2]


def read_metadata(raw: str) -> About | None:
    """The message a form is about, from its metadata; None when it holds none (or junk)."""
    try:
        kept = json.loads(raw or "{}")
        link, text = kept["about"] if isinstance(kept, dict) and "about" in kept else ("", "")
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(link, str) or not isinstance(text, str) or not (link or text):
        return None
    return About(link, shortened(clean(text), ABOUT_LIMIT))
