"""A local, Mattermost-compatible server: a REST API v4 subset over HTTP plus the WebSocket
events, for the tests and benchmarks of the Mattermost backend (which is to come).

`LocalMattermost` (``server.py``) is the one class tests use. Its parts, a module each:

- ``world.py``: the team, its people (the bot's own user, a deactivated one), channels and
  custom groups (`World`), Mattermost's ids and error bodies, and the records of calls;
- ``history.py``: posts, threads, edits, reactions and files; test code acting as people;
- ``rest.py``: routing, sessions (Bearer tokens), users, teams and channels;
- ``posts_api.py``: posts, threads, reactions and files over REST;
- ``groups_api.py``: custom user groups, or their absence on an unlicensed server;
- ``websocket.py``: the WebSocket: authentication, events and their ``seq``, reconnects
  (``connection_id`` and ``sequence_number``), dropped links and events sent twice;
- ``faults.py``: injected errors and Mattermost's rate limiter (429);
- ``core.py``: what the parts share (the world, one lock, the clock of posts).
"""

from watchstander_sandbox.mattermost.history import MAX_POST_CHARS
from watchstander_sandbox.mattermost.server import LocalMattermost
from watchstander_sandbox.mattermost.websocket import AUTH_SECONDS, DEAD_QUEUE
from watchstander_sandbox.mattermost.world import (
    JSON,
    Call,
    Channel,
    Group,
    MattermostError,
    StoredFile,
    Team,
    User,
    World,
    new_id,
    stable_id,
)

__all__ = [
    "AUTH_SECONDS",
    "DEAD_QUEUE",
    "JSON",
    "MAX_POST_CHARS",
    "Call",
    "Channel",
    "Group",
    "LocalMattermost",
    "MattermostError",
    "StoredFile",
    "Team",
    "User",
    "World",
    "new_id",
    "stable_id",
]
