"""A local, Slack-compatible server: Web API over HTTP plus a Socket Mode websocket.

`LocalSlack` (``server.py``) is the one class tests, benchmarks and the sandbox use. Its
parts, a module each:

- ``world.py``: the workspace (`World`: team, bot user, people, channels, user groups) and the
  records of what the bot did (`Call`, `UploadedFile`);
- ``history.py``: every channel's messages, threads and reactions; test code acting as people;
- ``interactions.py``: people pressing the bot's buttons; the bot's ephemeral answers;
- ``home.py``: the App Home tab (``views.publish``; people opening it);
- ``views.py``: modals (views.open/update/push with trigger ids), shortcuts, slash commands,
  and people typing in, pressing in, submitting and closing a modal (``view_limits.py``:
  Slack's limits for a modal);
- ``web_api.py``: the Web API methods and their HTTP routes, with Slack's pagination;
- ``socket_mode.py``: the ``ws://`` endpoint, envelopes, acks, redelivery and broken links;
- ``faults.py``: injected errors and rate limits (429s), as Slack answers them;
- ``core.py``: what the parts share (the world, one lock, the change counter).
"""

from watchstander_sandbox.slack.faults import CONNECTING, SLACK_LIMITS
from watchstander_sandbox.slack.server import LocalSlack
from watchstander_sandbox.slack.socket_mode import PING_SECONDS, Held
from watchstander_sandbox.slack.web_api import BOT_SCOPES, MAX_MESSAGE_CHARS
from watchstander_sandbox.slack.world import (
    JSON,
    Call,
    Channel,
    Member,
    SlackError,
    UploadedFile,
    UserGroup,
    World,
)

__all__ = [
    "BOT_SCOPES",
    "CONNECTING",
    "JSON",
    "MAX_MESSAGE_CHARS",
    "PING_SECONDS",
    "SLACK_LIMITS",
    "Call",
    "Channel",
    "Held",
    "LocalSlack",
    "Member",
    "SlackError",
    "UploadedFile",
    "UserGroup",
    "World",
]
