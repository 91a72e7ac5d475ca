"""A local calendar feed server for the tests (the project's stdlib HTTP server), and the
exported feeds under tests/fixtures/ical/ in the forms Grafana OnCall, Opsgenie and
PagerDuty give them."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from watchstander_sandbox.http_stub import LocalHTTPServer

FIXTURES = Path(__file__).with_name("fixtures") / "ical"
SECRET = "s3cr3t-token-xyz"  # in the feed's path, as real exports have it


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FeedServer(LocalHTTPServer):
    """Serves ``body`` at ``/feed/<SECRET>.ics`` with ``status``; ``declare=False`` sends it
    chunked without a length; ``hang`` holds the answer until released (a time-out)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = b""
        self.status = 200
        self.declare = True
        self.hang = threading.Event()
        self.hung = False
        self.requests = 0

    @property
    def feed(self) -> str:
        return f"{self.url}/feed/{SECRET}.ics"

    def stop(self) -> None:
        self.hang.set()
        super().stop()

    def _route(self, request: BaseHTTPRequestHandler, method: str) -> None:
        with self._cond:
            self.requests += 1
            self._cond.notify_all()
        if self.hung:
            self.hang.wait(30)
            return
        if request.path != f"/feed/{SECRET}.ics":
            self._answer(request, 404, "not here")
            return
        try:
            request.send_response(self.status)
            request.send_header("Content-Type", "text/calendar; charset=utf-8")
            if self.declare:
                request.send_header("Content-Length", str(len(self.body)))
                request.end_headers()
                request.wfile.write(self.body)
            else:
                request.send_header("Transfer-Encoding", "chunked")
                request.end_headers()
                step = 64 * 1024
                for i in range(0, len(self.body), step):
                    chunk = self.body[i : i + step]
                    request.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                request.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
