"""What the local PagerDuty- and GitHub-compatible servers share: a threaded stdlib HTTP
server on 127.0.0.1 with keep-alive (and no Nagle stalls), a condition to wait on, and
answers written in one piece."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LocalHTTPServer:
    """Subclasses implement ``_route(request, method)``; tests wait with :meth:`wait_for`."""

    def __init__(self, port: int = 0) -> None:
        self._cond = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real services
            disable_nagle_algorithm = True  # headers and body are separate writes
            wbufsize = -1  # ...buffered into one, flushed after each request

            def do_GET(self) -> None:
                server._route(self, "GET")

            def do_POST(self) -> None:
                server._route(self, "POST")

            def do_PATCH(self) -> None:
                server._route(self, "PATCH")

            def log_message(self, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def wait_for(self, predicate: Callable[[Self], bool], timeout: float = 10) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def _route(self, request: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler,
        status: int,
        body: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json; charset=utf-8")
            request.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its time-out): as with a real server
