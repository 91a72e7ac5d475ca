"""The Slack backend's forms (modals): a submission answered in its Socket Mode ack, within
Slack's 3 seconds; a form opened (``views.open``), typed in or pressed in (``views.update``)
or closed, offered to the first active plugin whose ``callback_form`` takes it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from watchstander.adapters.slack_views import ack_payload, draw
from watchstander.adapters.slack_web import slack_error
from watchstander.inbound import Ignored
from watchstander.inbound.slack_views import form_event
from watchstander.services.forms import (
    DoneView,
    FormAnswer,
    FormEvent,
    FormOpen,
    FormSubmit,
    FormView,
)

log = logging.getLogger(__name__)

SUBMIT_WAIT = 2.0  # seconds a form submission waits for the plugins (Slack waits 3 s in all)
SLACK_FAILURES = (SlackApiError, SlackClientError, OSError)
STARTING = "I am starting: submit again in a moment."
NOT_TAKEN = "I could not take this form just now: submit again in a moment."


class SlackForms:
    """Mixed into the Slack backend, which has these:"""

    _plugins_ready: threading.Event
    plugin_manager: Any
    slack_web: Any

    def _submission(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        """A form submitted: its answer (errors by field, another view, or nothing: the form
        closes) goes back in the ack, within Slack's 3 s; then the work the answer leaves.
        Every delivery is answered (Slack sends it again when an ack came late): the
        service's own key makes the work happen once. A form nobody takes stays open with
        a line saying so: closing it would lose what the person wrote."""
        payload = req.payload or {}
        answer = None
        if not self._plugins_ready.wait(timeout=SUBMIT_WAIT):
            log.warning("A form was submitted before the plugins were ready")
            answer = FormAnswer(errors={"summary": STARTING})
        else:
            try:
                event = form_event(req.type, payload)
                answer = self._offer_form(event) if event is not None else None
                if answer is None and isinstance(event, FormSubmit):
                    answer = FormAnswer(errors={"summary": NOT_TAKEN})
            except Ignored as why:
                log.info("Ignoring a view submission: %s", why)
        response = ack_payload(answer)
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload=response or None)
        )
        if answer is not None and answer.then is not None:
            self._then(answer)

    def _form(self, event: FormEvent, payload: dict[str, Any]) -> None:
        """A form opened (``views.open`` with the payload's trigger), typed in or pressed in
        (``views.update`` of its view, if its hash still holds: a newer keystroke's answer
        wins), or closed. The view that ends a form ("This answers it") is shown whatever
        came in between: a form left open could still post what was answered."""
        answer = self._offer_form(event)
        if answer is None:
            return
        view = payload.get("view")
        view_hash = view.get("hash") if isinstance(view, dict) else None
        try:
            if answer.open is not None and isinstance(event, FormOpen):
                opened = self.slack_web.views_open(
                    trigger_id=str(payload.get("trigger_id") or ""), view=draw(answer.open)
                )
                if answer.fill is not None:
                    self._fill(answer.fill, opened.get("view") or {})
            elif answer.update is not None and not isinstance(event, FormOpen):
                last = isinstance(answer.update, DoneView)
                changed = {"hash": str(view_hash)} if view_hash and not last else {}
                self.slack_web.views_update(
                    view_id=event.view_id, view=draw(answer.update), **changed
                )
        except SLACK_FAILURES as exc:
            log.info("Slack did not show the form (%s)", slack_error(exc))
        if answer.then is not None:
            self._then(answer)

    def _fill(self, fill: Callable[[], FormView | None], shown: dict[str, Any]) -> None:
        """The form just opened (``shown``), completed by its slow part, unless the person
        changed it meanwhile (its hash moved on: their newer answer stays)."""
        view = fill()
        if view is None:
            return
        seen = str(shown.get("hash") or "")
        try:
            self.slack_web.views_update(
                view_id=str(shown.get("id") or ""),
                view=draw(view),
                **({"hash": seen} if seen else {}),
            )
        except SLACK_FAILURES as exc:
            log.info("The form was not completed (%s)", slack_error(exc))

    def _offer_form(self, event: FormEvent) -> FormAnswer | None:
        """The first active plugin's answer to a form event; one log line when none takes it."""
        for plugin in self.plugin_manager.get_all_active_plugins():
            take = getattr(plugin, "callback_form", None)
            answer = take(event) if take is not None else None
            if answer is not None:
                return answer  # type: ignore[no-any-return]
        name = event.opener if isinstance(event, FormOpen) else event.form
        log.info("No plugin handles the form %r; ignored", name[:60])
        return None

    @staticmethod
    def _then(answer: FormAnswer) -> None:
        assert answer.then is not None
        try:
            answer.then()
        except Exception:  # the edge: a fault of the work after a form is logged, not raised
            log.exception("the work after a form failed")
