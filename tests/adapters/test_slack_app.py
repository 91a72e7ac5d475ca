"""The Slack app manifest says exactly what the code needs: one list (adapters/slack_app.py)
checked against the Web API methods the code calls, and the manifest file made from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import slackv3
from slack_sdk import WebClient
from slack_sdk.web.base_client import BaseClient

from watchstander.adapters import slack_app
from watchstander.services import forms

ROOT = Path(__file__).resolve().parents[2]
OWN_CODE = [ROOT / "src" / "watchstander", ROOT / "src" / "watchstander_errbot"]
CALL = re.compile(r"\.([a-z]+_[A-Za-z0-9_]+)\(")
# the Web API's methods, not the client's own machinery (``api_call``, ...)
WEB_METHODS = {n for n in dir(WebClient) if not n.startswith("_")} - set(dir(BaseClient))


def called(folders: list[Path]) -> set[str]:
    """The WebClient methods that code in ``folders`` calls (``.chat_postMessage(`` ...)."""
    found: set[str] = set()
    for folder in folders:
        for path in folder.rglob("*.py"):
            found |= {m for m in CALL.findall(path.read_text()) if m in WEB_METHODS}
    return found


def test_every_web_api_method_the_code_calls_has_its_scope_listed() -> None:
    own = called(OWN_CODE)
    backend = called([Path(slackv3.__file__).parent])
    assert own - set(slack_app.WEB_API) == set()  # a new call: list it with its scope
    listed_but_unused = set(slack_app.WEB_API) - own - set(slack_app.BACKEND_CALLS)
    assert listed_but_unused == set()  # a call that went: drop it and its scope
    assert set(slack_app.BACKEND_CALLS) <= backend


def test_the_manifest_holds_the_listed_scopes_and_events_and_nothing_else() -> None:
    made = slack_app.manifest()
    scopes = set(made["oauth_config"]["scopes"]["bot"])
    needed = {s for listed in slack_app.WEB_API.values() for s in listed}
    assert scopes == needed | {s for s in slack_app.EVENTS.values() if s} | {"commands"}
    assert set(made["settings"]["event_subscriptions"]["bot_events"]) == set(slack_app.EVENTS)
    assert made["settings"]["socket_mode_enabled"] is True
    assert made["settings"]["interactivity"] == {"is_enabled": True}  # buttons, in Socket Mode
    assert made["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in made["settings"]["event_subscriptions"]["bot_events"]
    assert not scopes & set(slack_app.PRIVATE_CHANNEL_SCOPES)
    private = slack_app.manifest(private_channel=True)
    assert set(private["oauth_config"]["scopes"]["bot"]) - scopes == {
        "groups:history",
        "groups:read",
    }
    assert "message.groups" in private["settings"]["event_subscriptions"]["bot_events"]


def test_the_manifest_declares_the_help_form_s_shortcuts_and_slash_command() -> None:
    features = slack_app.manifest()["features"]
    shortcuts = {(s["type"], s["callback_id"]) for s in features["shortcuts"]}
    assert shortcuts == {("global", forms.ASK), ("message", forms.ASK_ABOUT)}
    assert [c["command"] for c in features["slash_commands"]] == [forms.SUPPORT_COMMAND]
    for shortcut in features["shortcuts"]:  # Slack's limits
        assert len(shortcut["name"]) <= 24
        assert len(shortcut["description"]) <= 150
    assert "url" not in features["slash_commands"][0]  # Socket Mode: no request URL


def test_the_repository_manifest_is_the_one_the_code_makes() -> None:
    """``watchstander manifest > slack-app-manifest.json`` after changing the list."""
    on_disk = (ROOT / "slack-app-manifest.json").read_text()
    assert on_disk == slack_app.manifest_json()
    assert json.loads(on_disk)["display_information"]["name"] == "Watchstander"


def test_the_descriptions_fit_slack_s_limits() -> None:
    shown = slack_app.manifest()["display_information"]
    assert len(shown["description"]) <= 140
    assert 175 <= len(shown["long_description"]) <= 4000
