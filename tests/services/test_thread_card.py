"""The card: the bot's first reply in an urgent thread, updated in place as the thread
changes (claimed, a check-in moved, resolved), on a real store; a general question has none,
and a thread that changes nothing the card shows is not updated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from triage_helpers import CHANNEL, ONCALL, SECONDARY, Timers, at, post, react, reply, ts

from watchstander.render import Renderer, SlackVoice
from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import CommandContext, Effect
from watchstander.services.inbound import datetime_to_ts
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store

DEV, POSTER = "U0DEV", "U0POSTER"
URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"


@dataclass
class Said:
    posted: list[tuple[Effect, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)  # (ts, text as rendered)
    renderer: Renderer = field(default_factory=lambda: Renderer(SlackVoice()))
    meanwhile: list[Callable[[], object]] = field(default_factory=list)  # while a post goes

    def say(self, effect: Effect) -> str:
        stamp = datetime_to_ts(at(1000 + len(self.posted)))
        self.posted.append((effect, stamp))
        while self.meanwhile:
            self.meanwhile.pop(0)()
        return stamp

    def update(self, effect: Effect, ts: str) -> None:
        assert effect.template == "card"
        self.updated.append((ts, self.renderer.render(effect.template, effect.data)))


def service(store: Store, said: Said) -> TriageService:
    settings = Settings.from_env({"ROTATION_ADMINS": f"{ONCALL},{SECONDARY}"})
    return TriageService(
        store,
        settings,
        channel_id=CHANNEL,
        emit=said.say,
        oncall=lambda now: OnCall(ONCALL, SECONDARY),
        timers=Timers(),
        group_handles=lambda: {"S0ONCALL": "oncall"},
        update=said.update,
    )


def test_the_first_reply_shows_who_has_it_the_next_checkin_and_the_resolution(
    store: Store,
) -> None:
    said = Said()
    triage = service(store, said)
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    ((announce, card_ts),) = said.posted
    assert announce.template == "announce"
    assert said.updated == []  # the announcement is the card as it first stands

    triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    ts_, text = said.updated[-1]
    assert ts_ == card_ts
    assert f"<@{DEV}> has this thread; next check-in 09:" in text
    assert "<@U0ALICE> is on call" in text

    before = len(said.updated)
    triage.handle_message(reply(3, 0, POSTER, "thanks, waiting"), at(3))  # nothing it shows
    assert len(said.updated) == before

    triage.handle_message(reply(5, 0, DEV, "looking, need 45 minutes"), at(5))
    assert "next check-in 09:50 UTC" in said.updated[-1][1]

    commands = ThreadCommands(triage)
    ctx = CommandContext(channel=CHANNEL, user=POSTER, ts=ts(9), thread_ts=ts(0))
    commands.resolve(ctx, "<!channel> fixed by a rerun", at(9))
    text = said.updated[-1][1]
    assert f"Resolved by <@{POSTER}>" in text
    assert "next check-in" not in text
    assert "<!channel>" not in text
    assert [e.template for e, _ in said.posted] == ["announce", "claimed", "eta", "resolved"]


def test_a_general_question_has_no_card(store: Store) -> None:
    said = Said()
    triage = service(store, said)
    triage.handle_message(post(0, POSTER, "how do I export the report?"), at(0))
    triage.handle_reaction(react(2, 0, DEV, "eyes"), at(2))
    triage.handle_reaction(react(4, 0, POSTER, "white_check_mark"), at(4))
    assert said.updated == []


def test_a_claim_made_while_the_announcement_was_on_its_way_reaches_the_card(
    store: Store,
) -> None:
    """👀 a moment after the post: the claim is recorded before the announcement's ts is
    kept, so the claim had no card to update; keeping the ts shows the card as it stands."""
    said = Said()
    triage = service(store, said)
    said.meanwhile.append(lambda: triage.handle_reaction(react(1, 0, DEV, "eyes"), at(1)))
    triage.handle_message(post(0, POSTER, URGENT), at(0))
    assert [e.template for e, _ in said.posted] == ["announce", "claimed"]
    ((card_ts, text),) = said.updated
    assert card_ts == said.posted[0][1]
    assert f"<@{DEV}> has this thread" in text
