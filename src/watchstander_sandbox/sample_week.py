"""A realistic past week of #support for the sandbox: a few dozen threads of every level, with
claims, updates, resolutions and review tags, so `!review --dry-run`, `!stats` and `!digest`
show something the first time `make run` starts. A rotation is set too (alice, bob, dave, a
week each, handing off on Mondays at 10:00, alice first), so `!rotation`, the calendar feed
and overrides have one to work on, as a team trying the bot would have.

The week is played through the real triage service into the bot's database (at the times it
happened), and the same messages, with the bot's answers, are put in the local Slack server's
history, where the page shows them.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from watchstander.render import Renderer, SlackVoice
from watchstander.render.views import views
from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import CommandContext, Effect
from watchstander.services.inbound import InboundMessage, InboundReaction, datetime_to_ts
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import RotationRow, Store

SUPPORT, TEAM, BOT, BOT_ID = "C0SUPPORT", "T0SANDBOX", "UBOT0001", "BBOT0001"
ALICE, BOB, CAROL, DAVE, ERIN = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"
ROTATION = (ALICE, BOB, DAVE)  # a week each, from now; handoffs on Mondays at 10:00
ONCALL = "<!subteam^S0ONCALL|@oncall>"
DEVS = "<!subteam^S0DEVS|@devs>"

# (day of the week, hour, minute, poster, text, [(minutes later, who, what, detail)])
# what: "reply" (text), "react" (reaction name), "resolve" (note)
Step = tuple[int, str, str, str]
THREADS: list[tuple[int, int, int, str, str, list[Step]]] = [
    (
        0,
        9,
        5,
        CAROL,
        "How do I export last month's invoices as CSV?",
        [
            (12, BOB, "reply", "Billing > Invoices > Export, pick the month, then CSV."),
            (14, CAROL, "react", "white_check_mark"),
            (60, BOB, "react", "evergreen_tree"),
        ],
    ),
    (
        0,
        10,
        40,
        ERIN,
        f"{ONCALL} the CSV export times out for Acme (over 20k rows)",
        [
            (3, ALICE, "react", "eyes"),
            (
                20,
                ALICE,
                "reply",
                "Reproduced: the export query has no index on invoice_date. "
                "Need 30 minutes to ship a fix.",
            ),
            (55, ALICE, "reply", "Fix deployed, Acme's export finishes in 4 s."),
            (57, ALICE, "resolve", "index on invoice_date"),
            (90, BOB, "react", "bug"),
        ],
    ),
    (
        0,
        14,
        10,
        DAVE,
        "Is there a way to see which customers have SSO turned on?",
        [
            (35, ERIN, "reply", "Admin > Organisations, filter on 'SSO: on'."),
            (40, ERIN, "react", "necktie"),
        ],
    ),
    (
        1,
        8,
        50,
        CAROL,
        f"{ONCALL} SSO login loops back to the login page for Globex",
        [
            (6, BOB, "react", "eyes"),
            (
                30,
                BOB,
                "reply",
                "Their IdP certificate rotated; asked them for the new one. by 11:00",
            ),
            (95, BOB, "reply", "New certificate in place, logins work again."),
            (96, BOB, "resolve", "IdP certificate rotated"),
            (120, ALICE, "react", "documentation"),
        ],
    ),
    (
        1,
        11,
        20,
        ERIN,
        "Where do I find the API rate limits for the reporting endpoints?",
        [
            (240, DAVE, "reply", "docs/api/limits.md: 600 requests a minute per token."),
            (250, DAVE, "react", "documentation"),
        ],
    ),
    (
        1,
        15,
        0,
        CAROL,
        f"{DEVS} payments are failing for every customer since 14:55",
        [
            (2, ALICE, "react", "eyes"),
            (5, ALICE, "reply", "Looking. The payment provider's API answers 503."),
            (20, ALICE, "reply", "Provider confirms an outage; retries are queued. 15m"),
            (48, ALICE, "reply", "Provider is back, queued payments went through."),
            (50, ALICE, "resolve", "provider outage, 50 minutes"),
            (70, ERIN, "react", "coffin"),
            (71, ERIN, "react", "fire_engine"),
        ],
    ),
    (
        2,
        9,
        30,
        DAVE,
        "Quick one: can a customer have two billing addresses?",
        [
            (20, CAROL, "reply", "Not today, one per organisation."),
            (25, CAROL, "react", "necktie"),
        ],
    ),
    (
        2,
        10,
        15,
        CAROL,
        f"{ONCALL} the CSV export is empty for Initech since this morning",
        [
            (8, DAVE, "react", "eyes"),
            (25, DAVE, "reply", "Same index problem as Monday, on the archive table this time."),
            (70, DAVE, "reply", "Fixed and backfilled."),
            (72, DAVE, "resolve", "index on the archive table"),
            (100, BOB, "react", "bug"),
        ],
    ),
    (
        2,
        13,
        45,
        ERIN,
        "How many active users did Hooli have last quarter?",
        [
            (60, BOB, "reply", "4,312 monthly actives on average (from the warehouse)."),
            (62, BOB, "react", "vhs"),
        ],
    ),
    (
        2,
        16,
        20,
        CAROL,
        "Does the mobile app support dark mode?",
        [
            (15, ALICE, "reply", "Yes, it follows the phone's setting since 3.2."),
        ],
    ),
    (
        3,
        9,
        0,
        DAVE,
        f"{ONCALL} webhooks to Umbrella are delayed by 20 minutes",
        [
            (10, ALICE, "react", "eyes"),
            (15, ALICE, "reply", "The webhook queue is backed up behind one slow receiver."),
            (45, ALICE, "reply", "Isolated the slow receiver, queue drained."),
            (46, ALICE, "resolve", "slow receiver isolated"),
            (80, BOB, "react", "bug"),
        ],
    ),
    (
        3,
        11,
        30,
        CAROL,
        "Can someone explain how proration works when a plan is upgraded?",
        [
            (
                50,
                ERIN,
                "reply",
                "Charged for the rest of the period at the new price, credited at the old one.",
            ),
            (55, BOB, "react", "evergreen_tree"),
        ],
    ),
    (
        3,
        14,
        5,
        ERIN,
        "The revenue report and the invoice totals differ by 12 EUR for March",
        [
            (120, DAVE, "reply", "Rounding per line vs per invoice: the report rounds per line."),
            (121, DAVE, "react", "robot_face"),
        ],
    ),
    (
        3,
        17,
        40,
        CAROL,
        f"{ONCALL} SSO login loops again for Globex' second domain",
        [
            (12, BOB, "react", "eyes"),
            (40, BOB, "reply", "Second domain had the old certificate too; updated."),
            (42, BOB, "resolve", "second domain's certificate"),
        ],
    ),
    (
        4,
        9,
        20,
        DAVE,
        "What's the retention period for audit logs?",
        [
            (30, ALICE, "reply", "13 months, then archived to cold storage."),
        ],
    ),
    (
        4,
        10,
        50,
        CAROL,
        f"{ONCALL} a customer can't reset their password, the email never comes",
        [
            (9, DAVE, "react", "eyes"),
            (30, DAVE, "reply", "The mail provider bounced it: the address has a typo."),
            (31, DAVE, "resolve", "typo in the customer's address"),
        ],
    ),
    (
        4,
        13,
        0,
        ERIN,
        "Is there a sandbox environment customers can test the API against?",
        [
            (90, BOB, "reply", "Yes: api.sandbox.example.com, keys from the developer page."),
            (92, BOB, "react", "documentation"),
        ],
    ),
    (4, 15, 35, CAROL, "How do I move a user from one organisation to another?", []),
    (
        5,
        10,
        10,
        DAVE,
        "Weekend check: dashboards load slowly for everyone (8-10 s)",
        [
            (25, ALICE, "reply", "A cache node restarted; warming up now."),
        ],
    ),
    (
        5,
        18,
        0,
        CAROL,
        f"{ONCALL} PDF invoices show yesterday's date for Stark",
        [
            (14, ALICE, "react", "eyes"),
            (40, ALICE, "reply", "Time zone bug in the PDF renderer: it uses UTC. 1h"),
        ],
    ),
    (
        6,
        11,
        0,
        ERIN,
        "Can we get a list of customers on the legacy plan?",
        [
            (45, DAVE, "reply", "Sent you the list in a DM (37 organisations)."),
            (46, DAVE, "react", "vhs"),
        ],
    ),
    (6, 16, 30, CAROL, f"{ONCALL} the CSV export drops the last row for Hooli", []),
]


@dataclass
class _History:
    """The local Slack server's history in its own shape (``LocalSlack.restore``)."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    def add(self, user: str, text: str, ts: str, thread_ts: str | None, bot: bool = False) -> None:
        msg: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
        msg.update(team=TEAM, client_msg_id=str(uuid.uuid5(uuid.NAMESPACE_URL, ts)))
        if bot:
            msg.update(bot_id=BOT_ID, app_id="A0SANDBOX")
            del msg["client_msg_id"]
        if thread_ts and thread_ts != ts:
            root = next(m for m in self.messages if m["ts"] == thread_ts)
            msg.update(thread_ts=thread_ts, parent_user_id=root["user"])
            users = [u for u in root.get("reply_users", []) if u != user]
            root.update(thread_ts=thread_ts, reply_users=[*users, user], latest_reply=ts)
            root.update(reply_count=root.get("reply_count", 0) + 1)
            root["reply_users_count"] = len(root["reply_users"])
        self.messages.append(msg)

    def react(self, ts: str, user: str, name: str) -> None:
        msg = next(m for m in self.messages if m["ts"] == ts)
        reactions = msg.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if user not in entry["users"]:
            entry["users"].append(user)
            entry["count"] = len(entry["users"])


def load(store: Store, settings: Settings, now: datetime) -> dict[str, Any]:
    """Play the sample week (ending yesterday) into ``store``; the history for the server."""
    renderer = Renderer(SlackVoice(), views(settings))
    history = _History()
    pending: list[Effect] = []

    def remember(effect: Effect) -> None:
        pending.append(effect)

    service = TriageService(
        store,
        settings,
        channel_id=SUPPORT,
        emit=remember,
        oncall=lambda at: OnCall(ALICE, BOB, None, BOB),
        group_handles=lambda: {"S0ONCALL": "oncall", "S0DEVS": "devs"},
    )
    commands = ThreadCommands(service)
    tz = ZoneInfo(settings.timezone)
    monday = (now.astimezone(tz) - timedelta(days=7)).date()
    monday -= timedelta(days=monday.weekday())
    stamp = 0

    def ts_at(when: datetime) -> str:
        nonlocal stamp
        stamp += 1  # two things in the same second still get their own ts
        return datetime_to_ts(when + timedelta(microseconds=stamp))

    def said(at: datetime) -> None:
        for effect in pending:
            if effect.channel != SUPPORT:
                continue  # direct messages: not part of the channel's history
            text = renderer.render(effect.template, effect.data)
            bot_ts = ts_at(at + timedelta(seconds=2))
            history.add(BOT, text, bot_ts, effect.thread_ts, bot=True)
        pending.clear()

    for day, hour, minute, poster, text, steps in THREADS:
        posted = datetime(
            monday.year, monday.month, monday.day, hour, minute, tzinfo=tz
        ) + timedelta(days=day)
        if posted >= now:
            continue
        root = ts_at(posted)
        history.add(poster, text, root, None)
        service.handle_message(InboundMessage(SUPPORT, root, None, poster, text), posted)
        said(posted)
        for later, who, what, detail in steps:
            at = posted + timedelta(minutes=later)
            if at >= now:
                break
            ts = ts_at(at)
            if what == "reply":
                history.add(who, detail, ts, root)
                service.handle_message(InboundMessage(SUPPORT, ts, root, who, detail), at)
            elif what == "react":
                history.react(root, who, detail)
                reaction = InboundReaction(SUPPORT, root, who, detail, True, ts)
                service.handle_reaction(reaction, at)
            elif what == "resolve":
                history.add(who, f"!resolve {detail}", ts, root)
                commands.resolve(CommandContext(SUPPORT, who, ts, root), detail, at)
            said(at)
    history.messages.sort(key=lambda m: float(m["ts"]))
    with store.transaction() as tx:  # as `!rotation set @alice @bob @dave` would, now
        tx.set_rotation(
            RotationRow(
                people=json.dumps(list(ROTATION)),
                start_at=now,
                length_days=7,
                handoff_weekday=0,
                handoff_time="10:00",
                timezone=settings.timezone,
                set_by=None,
                set_at=now,
            )
        )
        tx.audit(now, None, "rotation:set", None, "the sandbox's sample week")
    return {"messages": {SUPPORT: copy.deepcopy(history.messages)}}
