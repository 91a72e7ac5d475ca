"""Modals, as Slack keeps them: ``views.open``, ``views.push`` and ``views.update`` (a
trigger id is good once, for the person whose action issued it, for 3 seconds), each person's
stack of open views with what they typed (``state``), and people using them: a global or
message shortcut, a slash command, typing in an input that dispatches its actions, pressing a
button in a view, submitting (the bot's ack answers: errors by field, another view, or
nothing) and closing. Each sends the Socket Mode envelope Slack would."""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from watchstander_sandbox.slack.interactions import Interactions
from watchstander_sandbox.slack.view_limits import check_view
from watchstander_sandbox.slack.world import JSON, Member, SlackError

TRIGGER_SECONDS = 3.0  # a trigger id's life
STACK_LIMIT = 3  # views a person may have open at once
ACK_WAIT = 10.0  # seconds `submit` waits for the bot's ack
REQUIRED = "Please complete this required field."  # what Slack's client says, sending nothing


class Views(Interactions):
    def __init__(self) -> None:
        super().__init__()
        self._triggers: dict[str, tuple[str, float]] = {}  # trigger -> (user, issued at)
        self._used_triggers: set[str] = set()
        self._stacks: dict[str, list[JSON]] = {}  # user -> open views, the top last
        self._view_numbers = itertools.count(1)
        self.trigger_clock: Callable[[], float] = time.monotonic  # tests pass their own

    # ---------------------------------------------------------------- observing

    def views(self, user: str) -> list[dict[str, Any]]:
        """``user``'s open modals, the top last (id, callback_id, blocks, private_metadata,
        state, hash; ``errors``: what the bot's last ack said of its fields)."""
        with self._cond:
            return copy.deepcopy(self._stacks.get(user, []))

    def expire_triggers(self) -> None:
        """Every trigger id issued so far is now older than Slack keeps one."""
        with self._cond:
            self._triggers = {t: (u, -1e9) for t, (u, _at) in self._triggers.items()}

    # ------------------------------------------------------------ people acting

    def shortcut(self, user: str, callback_id: str) -> str:
        """``user`` picks the app's global shortcut ``callback_id``: the envelope's id."""
        with self._cond:
            who = self._member(user)
            payload: JSON = {"type": "shortcut", "callback_id": callback_id}
            payload.update(self._common(who), action_ts=self._next_ts())
        return self.push_interactive(payload)

    def message_shortcut(self, user: str, channel: str, ts: str, callback_id: str) -> str:
        """``user`` picks the message shortcut ``callback_id`` on the message ``ts``."""
        with self._cond:
            who, chan = self._member(user), self._channel(channel)
            msg = self._message(chan.id, ts)
            payload: JSON = {"type": "message_action", "callback_id": callback_id}
            payload.update(self._common(who), action_ts=self._next_ts(), message_ts=ts)
            payload.update(channel={"id": chan.id, "name": chan.name}, message=copy.deepcopy(msg))
            payload["response_url"] = f"https://hooks.slack.com/app/{self._team}/{ts}"
        return self.push_interactive(payload)

    def slash(self, user: str, channel: str, command: str, text: str = "") -> str:
        """``user`` types ``command text`` in ``channel``: a ``slash_commands`` envelope."""
        with self._cond:
            who, chan = self._member(user), self._channel(channel)
            w = self.world
            payload: JSON = {
                "token": "sandboxverificationtoken", "team_id": self._team,
                "team_domain": w.team_domain, "channel_id": chan.id, "channel_name": chan.name,
                "user_id": who.id, "user_name": who.name, "command": command, "text": text,
                "api_app_id": w.app_id, "is_enterprise_install": "false",
                "response_url": f"https://hooks.slack.com/commands/{self._team}/{self._next_ts()}",
                "trigger_id": self._issue_trigger(who.id),
            }  # fmt: skip
        return self.push_interactive(payload, kind="slash_commands")

    def type_into(self, user: str, view_id: str, action_id: str, text: str) -> str:
        """``user`` types ``text`` into the input ``action_id`` (cut at its ``max_length``, as
        Slack's client does): the ``block_actions`` envelope's id when the input dispatches
        on each character, else "" (the text is kept in the view's state)."""
        with self._cond:
            who, view = self._member(user), self._open_view(user, view_id)
            block, element = _find(view, action_id)
            if element.get("type") != "plain_text_input":
                raise SlackError("not_a_text_input")
            text = text[: int(element.get("max_length") or 3000)]
            _state(view)[block["block_id"]][action_id] = {"type": element["type"], "value": text}
            triggers = (element.get("dispatch_action_config") or {}).get("trigger_actions_on")
            if not block.get("dispatch_action") or "on_character_entered" not in (triggers or ()):
                self._changed()
                return ""
            action: JSON = {"type": element["type"], "block_id": block["block_id"]}
            action.update(action_id=action_id, value=text, action_ts=self._next_ts())
            payload = self._in_view(who, view, action)
        return self.push_interactive(payload)

    def press_in_view(self, user: str, view_id: str, action_id: str, value: str = "") -> str:
        """``user`` presses the button ``action_id`` in the view (or chooses the option
        ``value`` of a radio group or select there): the envelope's id; "" when the choice is
        an input's that does not dispatch (it is kept in the view's state)."""
        with self._cond:
            who, view = self._member(user), self._open_view(user, view_id)
            block, element = _find(view, action_id)
            action: JSON = {"type": element["type"], "block_id": block["block_id"]}
            action.update(action_id=action_id, action_ts=self._next_ts())
            if element["type"] == "button":
                action.update(text=element.get("text"), value=element.get("value", ""))
            else:
                option = _option(element, value)
                action["selected_option"] = option
                if block["type"] == "input":
                    chosen = {"type": element["type"], "selected_option": option}
                    _state(view)[block["block_id"]][action_id] = chosen
                    if not block.get("dispatch_action"):
                        self._changed()
                        return ""
            payload = self._in_view(who, view, action)
        return self.push_interactive(payload)

    def submit(self, user: str, view_id: str, values: dict[str, str]) -> dict[str, Any]:
        """``user`` fills in ``values`` (by action id: a text, or an option's value) and
        submits: the bot's ack payload ({}, or ``response_action`` ``errors`` with errors
        by block id, ``update``, ``push`` or ``clear``), applied to the stack as Slack does.
        A required input left empty is refused by Slack's own client: nothing is sent, and
        the answer is ``errors`` by block with Slack's words."""
        with self._cond:
            who, view = self._member(user), self._open_view(user, view_id)
            for action_id, value in values.items():
                block, element = _find(view, action_id)
                if element["type"] == "plain_text_input":
                    text = value[: int(element.get("max_length") or 3000)]
                    entry: JSON = {"type": element["type"], "value": text or None}
                else:
                    entry = {"type": element["type"], "selected_option": _option(element, value)}
                _state(view)[block["block_id"]][action_id] = entry
            missing = {
                b["block_id"]: REQUIRED
                for b in view["blocks"]
                if b.get("type") == "input" and not b.get("optional") and _empty(view, b)
            }
            if missing:
                view["errors"] = missing
                self._changed()
                return {"response_action": "errors", "errors": dict(missing)}
            payload: JSON = {"type": "view_submission", "view": copy.deepcopy(view)}
            payload.update(self._common(who), response_urls=[])
            envelope_id = self.push_interactive(payload)
            if not self._cond.wait_for(lambda: envelope_id in self._ack_payloads, ACK_WAIT):
                raise TimeoutError(f"the bot did not ack the submission within {ACK_WAIT} s")
            answer = copy.deepcopy(self._ack_payloads[envelope_id][0])
            self._apply(who.id, view, answer)
            return answer

    def close_view(self, user: str, view_id: str) -> str:
        """``user`` closes the view (and those above it): the ``view_closed`` envelope's id
        when the view asked to be told (``notify_on_close``), else ""."""
        with self._cond:
            who, view = self._member(user), self._open_view(user, view_id)
            stack = self._stacks[who.id]
            del stack[stack.index(view) :]
            self._changed()
            if not view.get("notify_on_close"):
                return ""
            payload: JSON = {"type": "view_closed", "view": copy.deepcopy(view)}
            payload.update(self._common(who), is_cleared=False)
            payload.pop("trigger_id")
        return self.push_interactive(payload)

    # ------------------------------------------------------------ the Web API

    def _api_views_open(self, params: JSON) -> JSON:
        user = self._use_trigger(params)
        view = self._new_view(params, user)
        self._stacks[user] = [view]
        return {"view": copy.deepcopy(view)}

    def _api_views_push(self, params: JSON) -> JSON:
        user = self._use_trigger(params)
        stack = self._stacks.get(user) or []
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= STACK_LIMIT:
            raise SlackError("push_limit_reached")
        view = self._new_view(params, user)
        view.update(previous_view_id=stack[-1]["id"], root_view_id=stack[0]["id"])
        stack.append(view)
        return {"view": copy.deepcopy(view)}

    def _api_views_update(self, params: JSON) -> JSON:
        wanted = str(params.get("view_id") or "")
        external = str(params.get("external_id") or "")
        found = next(
            (
                (user, v)
                for user, stack in self._stacks.items()
                for v in stack
                if (wanted and v["id"] == wanted) or (external and v["external_id"] == external)
            ),
            None,
        )
        if found is None:
            raise SlackError("not_found")
        user, view = found
        if params.get("hash") and params["hash"] != view["hash"]:
            raise SlackError("hash_conflict")
        self._replace(view, self._new_view(params, user))
        return {"view": copy.deepcopy(view)}

    # ------------------------------------------------------------ the parts

    def _common(self, who: Member) -> JSON:
        w = self.world
        return {
            "token": "sandboxverificationtoken", "api_app_id": w.app_id,
            "team": {"id": self._team, "domain": w.team_domain},
            "user": {"id": who.id, "username": who.name, "name": who.name,
                     "team_id": self._team},
            "enterprise": None, "is_enterprise_install": False,
            "trigger_id": self._issue_trigger(who.id),
        }  # fmt: skip

    def _in_view(self, who: Member, view: JSON, action: JSON) -> JSON:
        payload: JSON = {"type": "block_actions", "view": copy.deepcopy(view)}
        payload.update(self._common(who), actions=[action])
        payload["container"] = {"type": "view", "view_id": view["id"]}
        self._changed()
        return payload

    def _issue_trigger(self, user: str) -> str:
        trigger = f"{next(self._view_numbers)}.{abs(hash(user)) % 10**9}.{secrets.token_hex(8)}"
        self._triggers[trigger] = (user, self.trigger_clock())
        return trigger

    def _use_trigger(self, params: JSON) -> str:
        trigger = str(params.get("trigger_id") or "")
        if trigger in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        if trigger not in self._triggers:
            raise SlackError("invalid_trigger_id")
        user, issued = self._triggers[trigger]
        if self.trigger_clock() - issued > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        self._used_triggers.add(trigger)
        return user

    def _open_view(self, user: str, view_id: str) -> JSON:
        found = next((v for v in self._stacks.get(user, []) if v["id"] == view_id), None)
        if found is None:
            raise SlackError("view_not_found")
        return found

    def _new_view(self, params: JSON, user: str) -> JSON:
        spec = params.get("view")
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except ValueError:
                raise SlackError("invalid_arguments") from None
        if not isinstance(spec, dict):
            raise SlackError("invalid_arguments")
        check_view(spec)
        number = next(self._view_numbers)
        view: JSON = {
            "id": f"V0SANDBOX{number:04d}", "team_id": self._team, "type": spec["type"],
            "callback_id": spec.get("callback_id", ""), "external_id": spec.get("external_id", ""),
            "private_metadata": spec.get("private_metadata", ""),
            "title": spec["title"], "submit": spec.get("submit"), "close": spec.get("close"),
            "blocks": copy.deepcopy(spec.get("blocks") or []),
            "notify_on_close": bool(spec.get("notify_on_close")),
            "clear_on_close": bool(spec.get("clear_on_close")),
            "previous_view_id": None, "root_view_id": None, "app_id": self.world.app_id,
            "app_installed_team_id": self._team, "bot_id": self.world.bot.bot_id,
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}", "owner": user,
        }  # fmt: skip
        view["state"] = {"values": _initial_state(view["blocks"])}
        return view

    def _replace(self, view: JSON, new: JSON) -> None:
        """An update: the view keeps its id and what was typed in inputs it still has."""
        typed = _state(view)
        keep = ("id", "previous_view_id", "root_view_id")
        view.update({k: v for k, v in new.items() if k not in keep})
        state = _state(view)
        for block_id, actions in typed.items():
            for action_id, entry in actions.items():
                if action_id in state.get(block_id, {}):
                    state[block_id][action_id] = entry
        view.pop("errors", None)
        self._changed()

    def _apply(self, user: str, view: JSON, answer: JSON) -> None:
        stack = self._stacks.get(user, [])
        action = answer.get("response_action")
        if action == "errors":
            view["errors"] = dict(answer.get("errors") or {})
        elif action == "update":
            self._replace(view, self._new_view({"view": answer.get("view")}, user))
        elif action == "push":
            stack.append(self._new_view({"view": answer.get("view")}, user))
        elif action == "clear":
            stack.clear()
        elif view in stack:
            del stack[stack.index(view) :]
        self._changed()


def _state(view: JSON) -> dict[str, dict[str, JSON]]:
    values: dict[str, dict[str, JSON]] = view["state"]["values"]
    return values


def _initial_state(blocks: list[JSON]) -> dict[str, dict[str, JSON]]:
    """Every input block's element, as typed so far: its initial value or option, or none."""
    out: dict[str, dict[str, JSON]] = {}
    for block in blocks:
        element = block.get("element") or {}
        if block.get("type") != "input" or not element.get("action_id"):
            continue
        if element.get("type") == "plain_text_input":
            entry: JSON = {"type": "plain_text_input", "value": element.get("initial_value")}
        else:
            entry = {"type": element.get("type"), "selected_option": element.get("initial_option")}
        out[block["block_id"]] = {element["action_id"]: entry}
    return out


def _empty(view: JSON, block: JSON) -> bool:
    entries = _state(view).get(block["block_id"], {}).values()
    return not any(e.get("value") or e.get("selected_option") for e in entries)


def _find(view: JSON, action_id: str) -> tuple[JSON, JSON]:
    """The block and the element of the view whose action id is ``action_id``."""
    for block in view["blocks"]:
        candidates = [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block, element
    raise SlackError("no_such_control")


def _option(element: JSON, value: str) -> JSON:
    option = next((o for o in element.get("options") or [] if o.get("value") == value), None)
    if option is None:
        raise SlackError("no_such_option")
    return dict(option)
