"""Ports on 127.0.0.1 for tests of servers that must let their port go."""

from __future__ import annotations

import socket


def port_is_free(port: int) -> bool:
    """Whether ``port`` on 127.0.0.1 can be bound again (the server let it go)."""
    with socket.socket() as probe:
        # as the web server binds (SO_REUSEADDR): a connection the server closed may wait
        # in TIME_WAIT, a listening socket may not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
