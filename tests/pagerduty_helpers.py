"""PagerDuty clients for tests, closed by the ``pd`` fixture of conftest.py."""

from __future__ import annotations

from watchstander.adapters.pager import Pager
from watchstander_sandbox.pagerduty_server import LocalPagerDuty

OPEN_PAGERS: list[Pager] = []
ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # 32 characters, as PagerDuty wants


def pager_for(server: LocalPagerDuty, key: str = ROUTING_KEY, timeout: float = 2.0) -> Pager:
    made = Pager(key, server.url, timeout=timeout, attempts=3, backoff=0.001)
    OPEN_PAGERS.append(made)
    return made
