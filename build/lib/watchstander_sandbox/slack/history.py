"""What was said in the workspace: every channel's messages, threads and reactions, with
Slack's ``ts`` (unique, increasing, microseconds); and test code acting as people in it
(`post`, `edit`, `unfurl`, `react`, `unreact`), each change pushing the Events API envelope
Slack would send for it.

A post or a reaction can be dated in the past (``at=``): its ``ts`` is that time (moved on by
a microsecond while it is taken), so a test can make a deadline fall due at once instead of
waiting for it. Every ``ts`` stays unique; undated ones keep increasing.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from datetime import datetime
from typing import Any

from watchstander_sandbox.slack.socket_mode import SocketMode
from watchstander_sandbox.slack.world import JSON, Channel, Member, SlackError, UserGroup

_URL = re.compile(r"https?://[^\s>|]+")


class History(SocketMode):
    """Every channel's messages, oldest first, and the people acting on them."""

    def __init__(self) -> None:
        super().__init__()
        self._messages: dict[str, list[JSON]] = {}
        self._last_us = 0
        self._taken_us: set[int] = set()  # every ts given out (or restored), in microseconds

    def messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Top-level messages of `channel`, oldest first; a thread's replies given `thread_ts`."""
        with self._cond:
            stored = self._messages.get(self._channel(channel).id, [])
            if thread_ts is None:
                picked = [m for m in stored if m.get("thread_ts", m["ts"]) == m["ts"]]
            else:
                picked = [m for m in stored if m.get("thread_ts") == thread_ts != m["ts"]]
            return copy.deepcopy(picked)

    # ---------------------------------------------------------- acting as people

    def post(
        self,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        stranger: bool = False,
        at: datetime | None = None,
    ) -> str:
        """A person's post. ``stranger``: from a user id users.info will not know
        (``user_not_found``), as a member of another organisation in a shared channel.
        ``at``: posted then (an aware time, usually in the past), not now."""
        with self._cond:
            uid, chan = user if stranger else self._member(user).id, self._channel(channel)
            msg: JSON = {"client_msg_id": str(uuid.uuid4()), "type": "message", "text": text}
            msg.update(user=uid, ts=self._next_ts(at), team=self._team)
            self._store(chan, msg, thread_ts)
            return str(msg["ts"])

    def edit(
        self,
        user: str,
        channel: str,
        ts: str,
        text: str,
        attachments: list[dict[str, Any]] | None = None,
    ) -> str:
        with self._cond:
            chan = self._channel(channel)
            msg = self._message(chan.id, ts)
            if msg.get("user") != user:
                raise SlackError("cant_update_message")
            previous, edit_ts = copy.deepcopy(msg), self._next_ts()
            msg.update(text=text, edited={"user": user, "ts": edit_ts})
            if attachments is not None:
                msg["attachments"] = copy.deepcopy(attachments)
            return self._push_changed(chan, msg, previous, edit_ts)

    def unfurl(self, channel: str, ts: str) -> str:
        with self._cond:
            chan = self._channel(channel)
            msg = self._message(chan.id, ts)
            previous = copy.deepcopy(msg)
            found = _URL.search(str(msg.get("text", "")))
            url = found.group(0) if found else "https://example.com/"
            site = url.split("/")[2]
            msg["attachments"] = [
                {"id": 1, "from_url": url, "original_url": url, "title_link": url,
                 "title": f"{site} | page title", "fallback": f"{site}: page title",
                 "text": "A preview of the linked page.", "service_name": site}
            ]  # fmt: skip
            return self._push_changed(chan, msg, previous, self._next_ts())

    def react(
        self, user: str, channel: str, ts: str, name: str, *, at: datetime | None = None
    ) -> str:
        """A person's reaction on the message ``ts``; its ``event_ts``. ``at``: made then (an
        aware time, usually in the past), not now."""
        with self._cond:
            member, chan = self._member(user).id, self._channel(channel)
            return self._reaction(member, chan, ts, name, True, at)

    def unreact(self, user: str, channel: str, ts: str, name: str) -> str:
        with self._cond:
            return self._reaction(self._member(user).id, self._channel(channel), ts, name, False)

    # ---------------------------------------------------------------- state helpers

    def snapshot(self) -> dict[str, Any]:
        """Every channel's messages (threads, reactions), to be restored by a later run."""
        with self._cond:
            return {"messages": copy.deepcopy(self._messages)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back what ``snapshot`` saved (or sample data in its shape), pushing no event:
        the app saw these messages before (or the sample loader told it)."""
        with self._cond:
            messages = snapshot.get("messages") or {}
            self._messages = {str(c): list(m) for c, m in messages.items()}
            stamps = [m.get("ts", "0") for ms in self._messages.values() for m in ms]
            restored = {_micros(str(t)) for t in stamps}
            self._taken_us |= restored
            self._last_us = max(self._last_us, max(restored, default=0))
            self._changed()

    def _next_ts(self, at: datetime | None = None) -> str:
        """A new, unique ``ts``: now (after every undated one given before), or ``at``."""
        if at is None:
            micros = max(int(time.time() * 1_000_000), self._last_us + 1)
        elif at.tzinfo is None:
            raise ValueError("at: a naive time; give its time zone")
        else:
            micros = round(at.timestamp() * 1_000_000)
        while micros in self._taken_us:
            micros += 1
        self._taken_us.add(micros)
        if at is None:
            self._last_us = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _member(self, uid: Any) -> Member:
        found = self.world.user(str(uid or ""))
        if found is None:
            raise SlackError("user_not_found")
        return found

    def _channel(self, ref: Any) -> Channel:
        ref = str(ref or "")
        found = self.world.channel(ref)
        if found is None and ref.startswith(("U", "W")) and self.world.user(ref):
            found = self.world.im_with(ref)  # chat.postMessage to a user id posts to the DM
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def _chan(self, params: JSON) -> Channel:
        return self._channel(params.get("channel"))

    def _group(self, params: JSON) -> UserGroup:
        found = self.world.group(str(params.get("usergroup") or ""))
        if found is None:
            raise SlackError("no_such_subteam")
        return found

    def _message(self, cid: str, ts: Any) -> JSON:
        found = next((m for m in self._messages.get(cid, []) if m["ts"] == ts), None)
        if found is None:
            raise SlackError("message_not_found")
        return found

    def _store(self, chan: Channel, msg: JSON, thread_ts: str | None) -> None:
        """Store a new message (a reply if `thread_ts`) and push its ``message`` event."""
        stored = self._messages.setdefault(chan.id, [])
        if thread_ts:
            root = next((m for m in stored if m["ts"] == thread_ts), None)
            msg["thread_ts"] = root.get("thread_ts", thread_ts) if root else thread_ts
            root = next((m for m in stored if m["ts"] == msg["thread_ts"]), None)
            if root is not None:
                msg["parent_user_id"] = root.get("user", "")
                users = [u for u in root.get("reply_users", []) if u != msg["user"]]
                root.update(thread_ts=root["ts"], reply_users=[*users, msg["user"]])
                root.update(reply_count=root.get("reply_count", 0) + 1, latest_reply=msg["ts"])
                root["reply_users_count"] = len(root["reply_users"])
        stored.append(msg)
        event = {**copy.deepcopy(msg), "channel": chan.id, "event_ts": msg["ts"]}
        self.push_event({**event, "channel_type": chan.channel_type})
        self._changed()

    def _push_changed(self, chan: Channel, msg: JSON, previous: JSON, ts: str) -> str:
        event: JSON = {"type": "message", "subtype": "message_changed"}
        event["message"] = copy.deepcopy(msg)
        event.update(previous_message=previous, channel=chan.id, hidden=True, ts=ts, event_ts=ts)
        self.push_event({**event, "channel_type": chan.channel_type})
        self._changed()
        return ts

    def _reaction(
        self, uid: str, chan: Channel, ts: Any, name: str, added: bool, at: datetime | None = None
    ) -> str:
        if not name:
            raise SlackError("invalid_name")
        msg = self._message(chan.id, ts)
        reactions: list[JSON] = msg.get("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        users: list[str] = entry["users"] if entry else []
        if (uid in users) == added:
            raise SlackError("already_reacted" if added else "no_reaction")
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions = [*reactions, entry]
        entry["users"] = [*users, uid] if added else [u for u in users if u != uid]
        entry["count"] = len(entry["users"])
        msg["reactions"] = [r for r in reactions if r["count"]]
        if not msg["reactions"]:
            del msg["reactions"]
        event_ts = self._next_ts(at)
        self.push_event(
            {"type": "reaction_added" if added else "reaction_removed", "user": uid,
             "reaction": name, "item": {"type": "message", "channel": chan.id, "ts": ts},
             "item_user": msg.get("user", ""), "event_ts": event_ts}
        )  # fmt: skip
        self._changed()
        return event_ts


def _micros(ts: str) -> int:
    """A ``ts`` (``1700000000.000100``) in whole microseconds, exactly."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds or 0) * 1_000_000 + int((fraction + "000000")[:6])
