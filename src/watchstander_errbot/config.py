"""Errbot's settings, read from the environment (SPEC section 9). Nothing here may raise."""

import logging
import os
from pathlib import Path

from watchstander.logs import JsonFormatter, secrets_from_env
from watchstander.settings import chat_of

HERE = Path(__file__).resolve().parent  # the installed package: its plugins and backend
env = os.environ.get


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


DATA = Path(env("WATCHSTANDER_DATA_DIR") or "data")  # from the working directory
(DATA / "errbot").mkdir(parents=True, exist_ok=True)

CHAT = chat_of(os.environ)  # WATCHSTANDER_CHAT, or which tokens are set
BACKEND = env("WATCHSTANDER_BACKEND") or (
    "WatchstanderMattermost" if CHAT == "mattermost" else "WatchstanderSlack"
)
# the bench adds its plain SlackV3 baseline (bench/plain) here
BOT_EXTRA_BACKEND_DIR = [str(HERE / "backends"), *_list(env("WATCHSTANDER_BACKEND_DIRS"))]
BOT_DATA_DIR = str(DATA / "errbot")
BOT_EXTRA_PLUGIN_DIR = env("WATCHSTANDER_PLUGIN_DIR") or str(HERE / "plugins")
BOT_LOG_FILE = str(DATA / "errbot" / "errbot.log")
BOT_LOG_LEVEL = getattr(logging, (env("WATCHSTANDER_LOG_LEVEL") or "INFO").upper(), logging.INFO)
BOT_LOG_SENTRY = False
if (env("WATCHSTANDER_LOG_FORMAT") or "").strip().lower() == "json":
    # one JSON object a line on stderr, secrets masked; no text file beside it
    BOT_LOG_FORMATTER = JsonFormatter(secrets_from_env(os.environ))
    BOT_LOG_FILE = ""
AUTOINSTALL_DEPS = False
BOT_ASYNC = False  # commands run in the Socket Mode worker that got them: acked once done
BOT_ASYNC_POOLSIZE = 10

BOT_IDENTITY = {
    "token": env("SLACK_BOT_TOKEN"),
    "app_token": env("SLACK_APP_TOKEN"),
    "api_url": env("SLACK_API_URL") or "https://slack.com/api/",
}
if CHAT == "mattermost":
    BOT_IDENTITY = {
        "url": env("MATTERMOST_URL"),
        "token": env("MATTERMOST_TOKEN"),
        "team": env("MATTERMOST_TEAM"),
    }
BOT_ADMINS = _list(env("BOT_ADMINS"))
BOT_ADMINS_NOTIFICATIONS = ()
BOT_PREFIX = "!"
BOT_ALT_PREFIXES = ()
CHATROOM_PRESENCE = ()
# Only Watchstander's face: Errbot's Help, Health, Plugins, Utils (``!echo``, ``!render``,
# ``!history``...) and its command-not-found answer would let anyone make the bot say things or
# show its internals. The Guide plugin gives ``!help`` and the unknown-command answer instead.
CORE_PLUGINS = ("ACLs",)
SUPPRESS_CMD_NOT_FOUND = True
HIDE_RESTRICTED_COMMANDS = True
DIVERT_TO_PRIVATE = ()
DIVERT_TO_THREAD = ()
MESSAGE_SIZE_LIMIT = 4000
