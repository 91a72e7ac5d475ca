"""The local Slack server under its first name: `LocalSlack` and its parts now live in the
`watchstander_sandbox.slack` package (world, history, Web API, Socket Mode, faults); this
module keeps the imports that name it working."""

from watchstander_sandbox.slack import (
    BOT_SCOPES,
    CONNECTING,
    JSON,
    MAX_MESSAGE_CHARS,
    PING_SECONDS,
    SLACK_LIMITS,
    Call,
    Channel,
    Held,
    LocalSlack,
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
