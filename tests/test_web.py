"""The bot's small web server, with real HTTP requests on 127.0.0.1: routes by method and path
(the query string aside), 404, 413 for a body over the limit, 400 for a Content-Length that is
not a number, 500 and one log line when a handler raises, and a port freed by stop (also
before start)."""

from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Iterator, Mapping

import pytest
from port_helpers import port_is_free

from watchstander.web import MAX_BODY, WebServer

Seen = list[tuple[dict[str, str], bytes]]


def port_of(server: WebServer) -> int:
    return int(server.address.rsplit(":", 1)[1])


@pytest.fixture
def seen() -> Seen:
    return []


@pytest.fixture
def server(seen: Seen) -> Iterator[WebServer]:
    def feed(headers: Mapping[str, str], body: bytes) -> tuple[int, str, bytes]:
        seen.append((dict(headers), body))
        return 200, "text/calendar", b"BEGIN:VCALENDAR\r\n"

    def hook(headers: Mapping[str, str], body: bytes) -> tuple[int, str, bytes]:
        seen.append((dict(headers), body))
        return 202, "text/plain", b"taken " + body[:5]

    def broken(headers: Mapping[str, str], body: bytes) -> tuple[int, str, bytes]:
        raise KeyError("incident_key")

    routes = {("GET", "/feed.ics"): feed, ("POST", "/hook"): hook, ("POST", "/boom"): broken}
    running = WebServer("127.0.0.1", 0, routes).start()
    yield running
    running.stop()


def request(
    server: WebServer, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, str, bytes]:
    """(status, Content-Type, body) of one request on its own connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=5)
    try:
        conn.putrequest(method, path)
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
        if body and "Content_Length" not in headers:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        answer = conn.getresponse()
        return answer.status, answer.getheader("Content-Type", ""), answer.read()
    finally:
        conn.close()


def test_the_address_is_where_it_listens(server: WebServer) -> None:
    assert server.address == f"http://127.0.0.1:{port_of(server)}"
    assert port_of(server) > 0
    assert not port_is_free(port_of(server))


def test_routes_by_method_and_path(server: WebServer, seen: Seen) -> None:
    assert request(server, "GET", "/feed.ics") == (200, "text/calendar", b"BEGIN:VCALENDAR\r\n")
    assert request(server, "GET", "/feed.ics?user=U0ALICE")[0] == 200  # the query aside
    status, kind, body = request(server, "POST", "/hook", b'{"event": 1}', X_Signature="v1=ab")
    assert (status, kind, body) == (202, "text/plain", b'taken {"eve')
    assert [b for _, b in seen] == [b"", b"", b'{"event": 1}']
    assert seen[2][0]["X-Signature"] == "v1=ab"
    assert seen[2][0]["Content-Length"] == "12"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("POST", "/feed.ics"), ("GET", "/hook"), ("GET", "/feed.ics/")],
)
def test_anything_else_is_404(server: WebServer, seen: Seen, method: str, path: str) -> None:
    assert request(server, method, path) == (404, "text/plain", b"not found\n")
    assert seen == []


def test_a_body_over_the_limit_is_413_and_never_read(server: WebServer, seen: Seen) -> None:
    status, _, body = request(server, "POST", "/hook", Content_Length=str(MAX_BODY + 1))
    assert (status, body) == (413, b"too large\n")
    assert seen == []
    just = b"x" * MAX_BODY
    assert request(server, "POST", "/hook", just)[0] == 202
    assert seen[0][1] == just


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "0x10"])
def test_a_content_length_that_is_no_number_is_400(
    server: WebServer, seen: Seen, length: str
) -> None:
    status, _, body = request(server, "POST", "/hook", b"{}", Content_Length=length)
    assert (status, body) == (400, b"bad Content-Length\n")
    assert seen == []


def test_a_handler_that_raises_is_500_and_one_log_line(
    server: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="watchstander.web"):
        assert request(server, "POST", "/boom?x=1", b"{}") == (
            500,
            "text/plain",
            b"internal error\n",
        )
    (record,) = [r for r in caplog.records if r.name == "watchstander.web"]
    assert record.getMessage() == "POST /boom?x=1 failed"
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError
    assert request(server, "GET", "/feed.ics")[0] == 200  # it goes on serving


def test_stop_frees_the_port() -> None:
    server = WebServer("127.0.0.1", 0, {}).start()
    port = port_of(server)
    assert request(server, "GET", "/")[0] == 404
    server.stop()
    assert port_is_free(port)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_stop_before_start_frees_the_port_too() -> None:
    server = WebServer("127.0.0.1", 0, {})
    port = port_of(server)
    assert not port_is_free(port)  # bound when made
    server.stop()
    assert port_is_free(port)
