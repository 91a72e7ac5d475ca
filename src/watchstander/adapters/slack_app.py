"""The Slack app Watchstander needs: one list of the Web API methods it calls and the events
it reads, each with the scope Slack asks for, and the app manifest made from that list.

`watchstander manifest` prints the manifest; `slack-app-manifest.json` at the top of the
repository is that output, and a test checks that both still match what the code calls.
"""

from __future__ import annotations

import json
from typing import Any

# slack_sdk WebClient methods the bot calls (its own code and the SlackV3 backend's, on the
# paths Watchstander uses) -> the bot scope each needs. The app-level token's method,
# apps.connections.open (Socket Mode), needs ``connections:write`` on that token instead.
WEB_API: dict[str, tuple[str, ...]] = {
    "auth_test": (),
    "apps_connections_open": (),  # the app-level token: connections:write
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),  # a control refused: said to its presser alone
    "chat_update": ("chat:write",),  # the first reply of an urgent thread, kept current
    "conversations_open": ("im:write",),  # direct messages to the person on call
    "conversations_info": ("channels:read",),
    "conversations_list": ("channels:read",),  # #support and the digest channel by name
    # a thread read back before saying what a killed process left unsaid (not said twice)
    "conversations_replies": ("channels:history",),
    "files_upload_v2": ("files:write",),  # the figures' pictures, post-mortem drafts
    "users_info": ("users:read",),
    "users_list": ("users:read",),  # watchstander check --people
    "bots_info": ("users:read",),
    "team_info": ("team:read",),
    "users_lookupByEmail": ("users:read.email",),  # on call from a PagerDuty schedule
    "usergroups_list": ("usergroups:read",),
    "usergroups_users_list": ("usergroups:read",),
    "usergroups_users_update": ("usergroups:write",),  # @oncall holds the person on call
    "views_publish": (),  # the App Home tab: no scope
    "views_open": (),  # the Ask for help form (a trigger from a shortcut or /support)
    "views_update": (),  # the form's suggestions as the summary is typed
}
# Called by the SlackV3 backend (errbot-backend-slackv3), not by Watchstander's own code.
BACKEND_CALLS = ("conversations_list",)

# Events -> the scope that lets the bot receive them ("": none needed).
EVENTS: dict[str, str] = {
    "app_home_opened": "",  # the Home tab: its person's threads, who is on call
    "message.channels": "channels:history",  # posts and replies in #support
    "message.im": "im:history",  # commands by direct message
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "user_change": "users:read",  # a renamed person is looked up again
    "channel_rename": "channels:read",
    "team_rename": "team:read",
}
# Shortcuts and slash commands (their ids: services/forms.py) need the ``commands`` scope.
SHORTCUTS = (
    ("global", "ws_ask", "Ask for help", "Ask #support: see earlier answers first"),
    ("message", "ws_ask_about", "Ask #support about this", "Ask #support about this message"),
)
SLASH_COMMANDS = (("/support", "Ask #support for help (a form)", "[what is wrong]"),)
COMMAND_SCOPES = ("commands",)
# A private #support channel needs these as well.
PRIVATE_CHANNEL_SCOPES = ("groups:history", "groups:read")
PRIVATE_CHANNEL_EVENTS = ("message.groups",)
APP_TOKEN_SCOPE = "connections:write"

NAME = "Watchstander"
DESCRIPTION = "On-call and triage for #support: claims, check-ins, paging, weekly review"
LONG_DESCRIPTION = (
    "Watchstander watches the threads people start in #support. A post that tags @oncall is "
    "urgent: the person on call is named and whoever claims it with :eyes: is asked for "
    "updates on their own schedule. A post that tags an emergency handle pages through "
    "PagerDuty. The bot keeps the on-call rotation and the @oncall user group, and once a week "
    "turns the emoji developers put on threads into GitHub issues, post-mortem drafts and "
    "documentation tasks, with a digest and the week's figures."
)


def bot_scopes(private_channel: bool = False) -> list[str]:
    scopes = {scope for needed in WEB_API.values() for scope in needed}
    scopes |= {scope for scope in EVENTS.values() if scope}
    scopes |= set(COMMAND_SCOPES)
    if private_channel:
        scopes |= set(PRIVATE_CHANNEL_SCOPES)
    return sorted(scopes)


def bot_events(private_channel: bool = False) -> list[str]:
    return sorted({*EVENTS, *(PRIVATE_CHANNEL_EVENTS if private_channel else ())})


def manifest(private_channel: bool = False) -> dict[str, Any]:
    """The app manifest (Slack: Create New App -> From an app manifest)."""
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": NAME,
            "description": DESCRIPTION,
            "long_description": LONG_DESCRIPTION,
            "background_color": "#1d3557",
        },
        "features": {
            "bot_user": {"display_name": "watchstander", "always_online": True},
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "shortcuts": [
                {"name": name, "type": kind, "callback_id": callback, "description": about}
                for kind, callback, name, about in SHORTCUTS
            ],
            "slash_commands": [
                {"command": command, "description": about, "usage_hint": hint}
                for command, about, hint in SLASH_COMMANDS
            ],
        },
        "oauth_config": {"scopes": {"bot": bot_scopes(private_channel)}},
        "settings": {
            "event_subscriptions": {"bot_events": bot_events(private_channel)},
            "interactivity": {"is_enabled": True},  # Socket Mode: no request URL
            "org_deploy_enabled": False,
            "socket_mode_enabled": True,
            "token_rotation_enabled": False,
        },
    }


def manifest_json(private_channel: bool = False) -> str:
    return json.dumps(manifest(private_channel), indent=2) + "\n"
